"""Fitting and choosing the hybrid similarity (training only; the app never imports this).

Every file is analysed once the app's way (features.track_slices -> the bundled Embedder) and the facts
every candidate needs are cached outside the repository: the style vector, genre and mood probabilities,
tempo, and timbre candidates from the same dB-mel slices (MFCC mean / standard deviation / delta spread
for 20 coefficients, whose first K are the K-coefficient MFCCs; mean and spread of 16 mel bands).

The hybrid style block is a ridge regression of [style vector | MFCC statistics] onto the musicnn
teacher's centred penultimate vectors (mean over the file's cached segments), reduced to the first RANK
principal directions of its predictions on the training files: one (features + 1) x RANK matrix in the
manifest. It is fitted on the training split of the labelled clips plus, when asked, the unlabelled
Debian training packages (teacher targets from `fmaplayer distill targets`). Everything else — the ridge
strength, whether Debian audio helps, the timbre and tempo weights on top, the percentage curve — is
chosen on the validation clips only; `score_matrix` ranks with the app's own SimilarityIndex, so what is
measured is what the panel does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fmaplayer.ml import timbre
from fmaplayer.ml.similarity_space import SimilarityLayout, track_vectors
from fmaplayer.recommend.index import SimilarityIndex
from fmaplayer.training import evaluation

N_MFCC = 20
N_BANDS = 16
RANK = 16
ALPHAS = (1.0, 10.0, 100.0)
TIMBRE_WEIGHTS = (0.0, 0.1, 0.2, 0.3)
TEMPO_WEIGHTS = (0.0, 0.05)
FACTS_VERSION = 2


@dataclass
class ClipFacts:
    paths: list[str]
    style: np.ndarray        # n x D unit
    genre_probs: np.ndarray  # n x G
    mood_probs: np.ndarray   # n x M
    tempo: np.ndarray        # n (nan: no clear pulse)
    mfcc_mean: np.ndarray    # n x 20
    mfcc_std: np.ndarray     # n x 20
    dmfcc_std: np.ndarray    # n x 20
    band_mean: np.ndarray    # n x 16
    band_std: np.ndarray     # n x 16
    style_std: np.ndarray    # n x D: spread of the slices' raw embeddings around their mean

    def take(self, rows) -> ClipFacts:
        rows = np.asarray(rows)
        return ClipFacts([self.paths[i] for i in rows], *(getattr(self, f)[rows] for f in _ARRAYS))

    @property
    def timbre_stats(self) -> np.ndarray:
        """What ml/timbre.timbre_stats gives the app: MFCC means then standard deviations."""
        return np.hstack([self.mfcc_mean[:, :timbre.N_COEFFS], self.mfcc_std[:, :timbre.N_COEFFS]])


_ARRAYS = ("style", "genre_probs", "mood_probs", "tempo", "mfcc_mean", "mfcc_std", "dmfcc_std",
           "band_mean", "band_std", "style_std")


def slice_facts(slices: np.ndarray) -> dict[str, np.ndarray]:
    """Timbre candidates from one file's dB-mel slices (n, 128, 128, 1)."""
    coeffs = timbre.mfcc_frames(slices, N_MFCC).reshape(len(slices), -1, N_MFCC)
    deltas = np.diff(coeffs, axis=1).reshape(-1, N_MFCC)
    flat = coeffs.reshape(-1, N_MFCC).astype(np.float64)
    mel = np.asarray(slices, np.float32)[..., 0]
    bands = mel.reshape(len(mel), N_BANDS, -1, mel.shape[2]).mean(axis=2)   # n x bands x frames
    bands = bands.transpose(0, 2, 1).reshape(-1, N_BANDS).astype(np.float64)
    return {"mfcc_mean": flat.mean(0), "mfcc_std": flat.std(0), "dmfcc_std": deltas.std(0),
            "band_mean": bands.mean(0), "band_std": bands.std(0)}


def analyse(paths: list[str], cache: Path, log=print) -> ClipFacts:
    """The app's analysis of every file plus the candidates, cached by model id and file list."""
    from fmaplayer.ml import features
    from fmaplayer.ml.embedder import Embedder

    embedder = Embedder(device="cpu")
    weights = embedder.manifest["sha256"]   # the network's weights: a new similarity section needs no re-run
    key = hashlib.sha1(json.dumps([FACTS_VERSION, weights, N_MFCC, N_BANDS, paths]).encode()
                       ).hexdigest()[:16]
    target = cache / f"hybrid-facts-{key}.npz"
    if target.exists():
        with np.load(target) as z:
            return ClipFacts(list(z["paths"]), *(z[f] for f in _ARRAYS))
    rows: dict[str, list] = {f: [] for f in _ARRAYS}
    for i, path in enumerate(paths):
        slices = features.track_slices(path, embedder.n_slices)
        emb = embedder.embed_slices([slices])[0]
        per_slice = embedder.slice_embeddings(slices).astype(np.float64)
        rows["style"].append(unit(per_slice.mean(axis=0, keepdims=True))[0])
        rows["style_std"].append(per_slice.std(axis=0))
        for name, value in slice_facts(slices).items():
            rows[name].append(value)
        rows["genre_probs"].append(emb.genre_probs)
        rows["mood_probs"].append(emb.mood_probs)
        rows["tempo"].append(np.nan if emb.tempo is None else emb.tempo)
        if (i + 1) % 100 == 0:
            log(f"  analysed {i + 1}/{len(paths)}")
    facts = ClipFacts(list(paths), *(np.asarray(rows[f], np.float32) for f in _ARRAYS))
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(target, paths=np.array(paths), **{f: getattr(facts, f) for f in _ARRAYS})
    return facts


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def fit_section(facts: ClipFacts, teacher: np.ndarray, fit_rows: np.ndarray, alpha: float,
                weights: dict[str, float] | None = None, rank: int = RANK) -> dict:
    """The manifest's `similarity` section from a ridge fit on `fit_rows` (their teacher vectors)."""
    stats = facts.timbre_stats
    x = np.hstack([facts.style, stats]).astype(np.float64)
    f_mean, f_scale = x[fit_rows].mean(0), np.maximum(x[fit_rows].std(0), 1e-6)
    z = np.hstack([(x - f_mean) / f_scale, np.ones((len(x), 1))])
    t = teacher.astype(np.float64)
    target = unit(t - t[fit_rows].mean(0))
    a = z[fit_rows]
    w = np.linalg.solve(a.T @ a + alpha * np.eye(a.shape[1]), a.T @ target[fit_rows])
    predicted = a @ w
    _, _, vt = np.linalg.svd(predicted - predicted.mean(0), full_matrices=False)
    matrix = w @ vt[:rank].T
    centre = unit(z[fit_rows] @ matrix).mean(0)
    return {
        "method": f"ridge regression (alpha {alpha:g}) of the standardised [embedding | MFCC mean, std] onto "
                  f"the musicnn teacher's centred penultimate vectors, first {rank} principal directions",
        "projection": {"matrix": np.round(matrix, 6).tolist(), "feature_mean": np.round(f_mean, 6).tolist(),
                       "feature_scale": np.round(f_scale, 6).tolist()},
        "centre": np.round(centre, 6).tolist(),
        "timbre": {"statistic": f"MFCC 1-{timbre.N_COEFFS} mean and standard deviation over the analysed "
                                "frames (ml/timbre.py)", "coefficients": timbre.N_COEFFS,
                   "mean": np.round(stats[fit_rows].mean(0), 6).tolist(),
                   "scale": np.round(np.maximum(stats[fit_rows].std(0), 1e-6), 6).tolist()},
        "weights": weights or {"style": 1.0, "timbre": 0.0, "tempo": 0.0},
    }


def plain_section(facts: ClipFacts, fit_rows: np.ndarray, weights: dict[str, float] | None = None) -> dict:
    """A `similarity` section without a projection: the style block is the network's own vector."""
    section = fit_section(facts, np.zeros((len(facts.paths), 1)), fit_rows, 1.0, weights)
    del section["projection"], section["centre"]
    section["method"] = ("the network's track vector (library-centred cosine) beside the timbre and tempo "
                         "blocks")
    return section


def layout_of(section: dict, style_dim: int) -> SimilarityLayout:
    return SimilarityLayout.from_manifest({"embedding": {"dim": style_dim}, "similarity": section})


def stored_vectors(facts: ClipFacts, layout: SimilarityLayout) -> np.ndarray:
    """What the Embedder stores for these files under `layout` (ml/similarity_space.track_vectors)."""
    return track_vectors(facts.style, facts.timbre_stats, facts.tempo, layout)


def score_matrix(rows: np.ndarray, layout: SimilarityLayout | None, prior_centre) -> np.ndarray:
    """The panel's scores among a set of files taken as one library: the SimilarityIndex itself."""
    index = SimilarityIndex(centred=True, prior_centre=prior_centre, layout=layout)
    index.replace(np.arange(len(rows)), rows)
    return np.stack([index.scores(row) for row in rows])


def p_at_10(sim: np.ndarray, labels: list[str | None]) -> float:
    keep = [i for i, g in enumerate(labels) if g]
    return evaluation.precision_at_k(sim[np.ix_(keep, keep)], [labels[i] for i in keep], (10,))["p@10"]["avg"]


def percent_curve(sim: np.ndarray, genres: list[str | None], k: int = 10, points: int = 12) -> dict:
    """Shown % = how often a result at that score shares the anchor's genre (isotonic fit over the top-k
    pairs of labelled anchors), as at most `points` (score, %) knots for np.interp."""
    return percent_from_pairs(*pair_outcomes(sim, genres, k), points)


def percent_from_pairs(scores: np.ndarray, same: np.ndarray, points: int = 12) -> dict:
    from sklearn.isotonic import IsotonicRegression

    fit = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(scores, same)
    knots = np.unique(np.quantile(scores, np.linspace(0, 1, points)))
    knots = np.concatenate([[-1.0], knots, [1.0]])
    percent = np.maximum.accumulate(np.round(fit.predict(knots) * 100.0, 1))
    return {"scores": np.round(knots, 4).tolist(), "percent": percent.tolist(),
            "meaning": "share of results at this fused score that have the anchor's genre (held-out clips)"}


def pair_outcomes(sim: np.ndarray, genres: list[str | None], k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(score, same genre?) of every labelled anchor's top-k labelled results."""
    keep = [i for i, g in enumerate(genres) if g]
    s = sim[np.ix_(keep, keep)].astype(np.float64).copy()
    np.fill_diagonal(s, -np.inf)
    labels = np.array([genres[i] for i in keep])
    order = np.argsort(-s, axis=1)[:, :k]
    scores = np.take_along_axis(s, order, axis=1).ravel()
    same = (labels[order] == labels[:, None]).ravel().astype(np.float64)
    return scores, same


def expected_calibration_error(percent: np.ndarray, same: np.ndarray, bins: int = 10) -> dict:
    """ECE of shown percentages against the same-genre outcome, with the reliability table."""
    edges = np.linspace(0, 100, bins + 1)
    table, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (percent >= lo) & ((percent < hi) if hi < 100 else (percent <= hi))
        if inside.any():
            shown, right = float(percent[inside].mean()), float(same[inside].mean() * 100)
            ece += inside.mean() * abs(shown - right) / 100
            table.append({"bin": f"{lo:.0f}-{hi:.0f} %", "n": int(inside.sum()),
                          "mean_shown": round(shown, 1),
                          "same_genre": round(right, 1)})
    return {"ece": float(ece), "table": table}


GENRE_C = (0.01, 0.03, 0.1, 0.3, 1.0)
TARGET_ACCURACY = 0.8


def genre_features(facts: ClipFacts) -> np.ndarray:
    from fmaplayer.ml import genre_head

    return genre_head.features(facts.style, facts.timbre_stats, facts.genre_probs)


def fit_genre_head(facts: ClipFacts, labels: list[int | None], fit_rows: np.ndarray, c: float,
                   n_genres: int) -> dict:
    """The manifest's `genre_head`: multinomial logistic regression on the fit rows' labelled clips."""
    from sklearn.linear_model import LogisticRegression

    x = genre_features(facts)
    rows = [i for i in np.flatnonzero(fit_rows) if labels[i] is not None]
    mean, scale = x[rows].mean(0), np.maximum(x[rows].std(0), 1e-6)
    model = LogisticRegression(C=c, max_iter=5000).fit((x[rows] - mean) / scale, [labels[i] for i in rows])
    weights, bias = np.zeros((x.shape[1], n_genres)), np.full(n_genres, -30.0)   # unseen genre: never
    for k, cls in enumerate(model.classes_):
        weights[:, cls], bias[cls] = model.coef_[k], model.intercept_[k]
    return {"method": f"multinomial logistic regression (C {c:g}) on the standardised [embedding | MFCC "
                      "mean, std | log network genre probabilities] of the labelled training clips",
            "feature_mean": np.round(mean, 6).tolist(), "feature_scale": np.round(scale, 6).tolist(),
            "weights": np.round(weights, 6).tolist(), "bias": np.round(bias, 6).tolist()}


def genre_head_probs(facts: ClipFacts, section: dict) -> np.ndarray:
    from fmaplayer.ml.genre_head import GenreHead

    head = GenreHead.from_manifest({"genre_head": section, "genres": [0] * len(section["bias"])})
    return head.probabilities(facts.style, facts.timbre_stats, facts.genre_probs)


def shown_genres(probs: np.ndarray, labels: list[int | None], threshold: float) -> dict:
    keep = [i for i, y in enumerate(labels) if y is not None]
    p, y = probs[keep], np.array([labels[i] for i in keep])
    shown, right = p.max(1) >= threshold, p.argmax(1) == y
    return {"threshold": round(float(threshold), 2), "shown_share": float(shown.mean()),
            "shown_accuracy": float(right[shown].mean()) if shown.any() else None,
            "accuracy_all": float(right.mean()), "n": int(len(y))}
