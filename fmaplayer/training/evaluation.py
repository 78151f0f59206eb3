"""Metrics for the report: classification (slice and track level) and the papers' recommendation test.

Recommendation precision@k: every test track is an anchor once; its k nearest other test tracks by
cosine similarity (or by a system's own similarity) are relevant when they share the anchor's label.
Reported as the mean over anchors ("avg") and per label.
"""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np

from fmaplayer.ml import features


def classification_metrics(y_true: np.ndarray, probs: np.ndarray, labels: list[str]) -> dict:
    """y_true: int class index per row; probs: (n, k) probabilities."""
    from sklearn.metrics import accuracy_score, confusion_matrix, log_loss, precision_recall_fscore_support

    pred = probs.argmax(axis=1)
    k = len(labels)
    p, r, f, _ = precision_recall_fscore_support(
        y_true, pred, labels=range(k), average="macro", zero_division=0
    )
    clipped = np.clip(probs, 1e-7, 1)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    return {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, pred)),
        "log_loss": float(log_loss(y_true, clipped, labels=range(k))),
        "macro_precision": float(p),
        "macro_recall": float(r),
        "macro_f1": float(f),
        "confusion": confusion_matrix(y_true, pred, labels=range(k)).tolist(),
    }


def precision_at_k(sim: np.ndarray, labels: list[str], ks=(5, 10)) -> dict:
    """sim: (n, n) similarity (higher = closer) among the n evaluated tracks."""
    sim = sim.astype(np.float64).copy()
    np.fill_diagonal(sim, -np.inf)
    labels_arr = np.array(labels)
    order = np.argsort(-sim, axis=1, kind="stable")
    out = {}
    for k in ks:
        hits = (labels_arr[order[:, :k]] == labels_arr[:, None]).mean(axis=1)
        per = defaultdict(list)
        for lab, h in zip(labels, hits, strict=True):
            per[lab].append(h)
        out[f"p@{k}"] = {
            "avg": float(hits.mean()),
            "ci95": bootstrap_ci(hits),
            "per_anchor": [round(float(h), 4) for h in hits],  # for paired comparisons between systems
            "per_label": {lab: float(np.mean(v)) for lab, v in sorted(per.items())},
        }
    return out


def bootstrap_ci(per_anchor: np.ndarray, n: int = 2000, seed: int = 0) -> list[float]:
    """95 % interval of the mean over anchors (anchors resampled with replacement, fixed seed)."""
    rng = np.random.default_rng(seed)
    means = per_anchor[rng.integers(0, len(per_anchor), (n, len(per_anchor)))].mean(axis=1)
    return [float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))]


def paired_difference(a: list[float], b: list[float]) -> dict:
    """Mean per-anchor difference a - b of two systems scored on the same anchors, with its paired
    bootstrap 95 % interval: tighter than two separate intervals, and the honest test of a margin."""
    diff = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    return {"mean": float(diff.mean()), "ci95": bootstrap_ci(diff), "better_share": float((diff > 0).mean())}


def cosine_matrix(vectors: np.ndarray) -> np.ndarray:
    v = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return v @ v.T


def recommendation_metrics(sim: np.ndarray, genres: list[str | None], moods: list[str | None]) -> dict:
    """Genre P@k among tracks with a genre; quadrant P@k among tracks with a quadrant."""
    out = {}
    gi = [i for i, g in enumerate(genres) if g]
    if len(gi) > 10:
        out["genre"] = precision_at_k(sim[np.ix_(gi, gi)], [genres[i] for i in gi])
        out["genre"]["n"] = len(gi)
    mi = [i for i, m in enumerate(moods) if m]
    if len(mi) > 10:
        out["quadrant"] = precision_at_k(sim[np.ix_(mi, mi)], [moods[i] for i in mi])
        out["quadrant"]["n"] = len(mi)
    return out


# -- baselines ---------------------------------------------------------------------------------------
def mfcc_vectors(paths: list[str]) -> tuple[np.ndarray, float]:
    """20 MFCCs (librosa), mean and std over time -> 40-d, standardised over the evaluated set."""
    import librosa

    t0 = time.perf_counter()
    rows = []
    for p in paths:
        y = features.decode_whole(p)
        m = librosa.feature.mfcc(y=y, sr=features.SAMPLE_RATE, n_mfcc=20)
        rows.append(np.concatenate([m.mean(axis=1), m.std(axis=1)]))
    x = np.array(rows)
    x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-9)
    return x, (time.perf_counter() - t0) / max(1, len(paths))


def musly_similarity(paths: list[str]) -> tuple[np.ndarray, float, str]:
    """musly timbre method with its jukebox (mutual proximity inside libmusly); returns a similarity
    matrix where higher = closer, seconds per track, and the musly version."""
    import pymusly

    t0 = time.perf_counter()
    jukebox = pymusly.MuslyJukebox("timbre")
    tracks = [jukebox.track_from_audiodata(features.decode_whole(p).tolist()) for p in paths]
    jukebox.set_style(tracks)
    ids = list(range(len(tracks)))
    jukebox.add_tracks(list(zip(ids, tracks, strict=True)))
    pairs = list(zip(ids, tracks, strict=True))
    dist = np.array([jukebox.compute_similarity(pairs[i], pairs) for i in ids], dtype=np.float64)
    seconds = (time.perf_counter() - t0) / max(1, len(paths))
    # libmusly returns distances (self is the smallest); turn them into similarities
    if np.mean(np.diag(dist)) <= np.mean(dist):
        dist = -dist
    return dist, seconds, str(pymusly.get_musly_version())
