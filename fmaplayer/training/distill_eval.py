"""Generalisation checks for `fmaplayer evaluate --teacher-cache`: the teacher as a system, agreement with
the teacher on unseen audio, readable scores and the genre threshold.

- The teacher's track vector is the mean of its cached segment vectors (raw cosine, as it was measured).
- overlap@10: for every anchor, the share of a system's 10 nearest neighbours that are also among the
  teacher's 10 nearest; the mean over anchors with a bootstrap interval. Chance is 10 / (n - 1).
- Score spread: the percentage the app shows (library-centred cosine, recommend.calibration) for the
  1st and 10th result of every anchor, and same-genre vs other-genre scores.
- Genre threshold: the lowest probability at which the shown genres of the *validation* clips are at
  least TARGET_ACCURACY right; the test split only reports what that threshold gives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fmaplayer.ml import features
from fmaplayer.training import distill, evaluation

TARGET_ACCURACY = 0.8


def teacher_vectors(paths: list[str], cache: Path, max_segments: int) -> np.ndarray:
    rows = []
    for p in paths:
        with np.load(cache / f"{distill.cache_key(p, max_segments)}.npz") as z:
            rows.append(z["pen"].mean(axis=0))
    return np.array(rows, np.float32)


def model_outputs(model, slices_per_item: list[np.ndarray]):
    """Track vectors (mean embedding) and mean genre probabilities for each item's slices."""
    import keras

    sub = keras.Model(model.inputs, [model.get_layer("embedding").output, model.get_layer("genre").output])
    owner = np.repeat(np.arange(len(slices_per_item)), [len(s) for s in slices_per_item])
    emb, gp = sub.predict(np.concatenate(slices_per_item), batch_size=64, verbose=0)
    vec = np.array([emb[owner == i].mean(0) for i in range(len(slices_per_item))])
    probs = np.array([gp[owner == i].mean(0) for i in range(len(slices_per_item))])
    return vec, probs


def centred_similarity(vectors: np.ndarray, prior: np.ndarray | None) -> np.ndarray:
    """The app's score matrix: library-centred cosine (recommend.calibration)."""
    from fmaplayer.recommend import calibration

    unit = distill.unit(vectors)
    centre = calibration.blended_centre(unit.sum(0, dtype=np.float64), len(unit), prior)
    return np.stack([calibration.centred_cosine(unit, q, centre) for q in unit])


def overlap_at_k(sim: np.ndarray, reference: np.ndarray, k: int = 10) -> dict:
    n = len(sim)
    a, b = sim.astype(np.float64).copy(), reference.astype(np.float64).copy()
    np.fill_diagonal(a, -np.inf)
    np.fill_diagonal(b, -np.inf)
    top_a, top_b = np.argsort(-a, axis=1)[:, :k], np.argsort(-b, axis=1)[:, :k]
    per = np.array([len(set(x) & set(y)) / k for x, y in zip(top_a, top_b, strict=True)])
    return {"avg": float(per.mean()), "ci95": evaluation.bootstrap_ci(per), "chance": k / max(1, n - 1),
            "n": int(n)}


def score_spread(sim: np.ndarray, genres: list[str | None] | None = None, k: int = 10) -> dict:
    from fmaplayer.recommend.calibration import match_percent

    s = sim.astype(np.float64).copy()
    np.fill_diagonal(s, -np.inf)
    top = -np.sort(-s, axis=1)[:, :k]
    pct = np.vectorize(match_percent)(top)
    out = {"median_first": float(np.median(pct[:, 0])), "median_kth": float(np.median(pct[:, -1])),
           "median_gap_first_kth": float(np.median(pct[:, 0] - pct[:, -1]))}
    if genres is not None:
        g = np.array([x or "" for x in genres])
        order = np.argsort(-s, axis=1)[:, :k]
        same, other = [], []
        for i, row in enumerate(order):
            if not g[i]:
                continue
            for j, v in zip(row, pct[i], strict=True):
                if g[j]:
                    (same if g[j] == g[i] else other).append(v)
        out["mean_same_genre_in_top"] = float(np.mean(same)) if same else None
        out["mean_other_genre_in_top"] = float(np.mean(other)) if other else None
    return out


def choose_threshold(probs: np.ndarray, y: np.ndarray, target: float = TARGET_ACCURACY) -> float:
    """Lowest max-probability threshold whose shown predictions reach `target` accuracy (validation)."""
    conf, right = probs.max(axis=1), probs.argmax(axis=1) == y
    for t in np.round(np.arange(0.0, 1.0, 0.01), 2):
        shown = conf >= t
        if shown.sum() >= 5 and right[shown].mean() >= target:
            return float(t)
    return 1.0


def shown_accuracy(probs: np.ndarray, y: np.ndarray, threshold: float) -> dict:
    shown = probs.max(axis=1) >= threshold
    right = probs.argmax(axis=1) == y
    return {"threshold": threshold, "shown_share": float(shown.mean()),
            "shown_accuracy": float(right[shown].mean()) if shown.any() else None,
            "all_accuracy": float(right.mean()), "n": int(len(y))}


def track_slices_all(paths: list[str]) -> list[np.ndarray]:
    """The app's excerpts of full-length files (features.track_slices)."""
    return [features.track_slices(p) for p in paths]
