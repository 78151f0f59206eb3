"""Choosing the hybrid similarity on the validation split (training only; the app never imports this).

Every labelled clip is analysed once the app's way (features.track_slices -> the bundled Embedder), and
the per-clip facts every candidate needs are cached outside the repository: the style vector, the genre
and mood probabilities, the tempo, and timbre candidates computed from the same dB-mel slices (MFCC mean,
standard deviation and delta spread for 20 coefficients, whose first K are the K-coefficient MFCCs; the
mean and spread of 16 mel bands). Candidates are standardised with the *training* clips' statistics.

`choose` scores every (timbre candidate, timbre weight, tempo weight) by leave-one-out genre P@10 among
the validation clips only, and `fused_similarity` is the matrix the app's ranking produces
(recommend/hybrid.py) for a chosen setting, so the test split is scored with exactly the app's function.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fmaplayer.ml import timbre
from fmaplayer.ml.similarity_space import TEMPO_DIM, SimilarityLayout, tempo_block
from fmaplayer.recommend.index import SimilarityIndex
from fmaplayer.training import evaluation

N_MFCC = 20
N_BANDS = 16
TIMBRE_WEIGHTS = np.round(np.arange(0.0, 1.0001, 0.05), 2)
TEMPO_WEIGHTS = (0.0, 0.05, 0.1, 0.2)


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

    def take(self, rows) -> ClipFacts:
        rows = np.asarray(rows)
        return ClipFacts([self.paths[i] for i in rows], *(getattr(self, f)[rows] for f in _ARRAYS))


_ARRAYS = ("style", "genre_probs", "mood_probs", "tempo", "mfcc_mean", "mfcc_std", "dmfcc_std",
           "band_mean", "band_std")


def slice_facts(slices: np.ndarray) -> dict[str, np.ndarray]:
    """Timbre candidates from one clip's dB-mel slices (n, 128, 128, 1)."""
    coeffs = timbre.mfcc_frames(slices, N_MFCC).reshape(len(slices), -1, N_MFCC)
    deltas = np.diff(coeffs, axis=1).reshape(-1, N_MFCC)
    flat = coeffs.reshape(-1, N_MFCC).astype(np.float64)
    mel = np.asarray(slices, np.float32)[..., 0]
    bands = mel.reshape(len(mel), N_BANDS, -1, mel.shape[2]).mean(axis=2)   # n x bands x frames
    bands = bands.transpose(0, 2, 1).reshape(-1, N_BANDS).astype(np.float64)
    return {"mfcc_mean": flat.mean(0), "mfcc_std": flat.std(0), "dmfcc_std": deltas.std(0),
            "band_mean": bands.mean(0), "band_std": bands.std(0)}


def analyse(paths: list[str], cache: Path, log=print) -> ClipFacts:
    """The app's analysis of every clip plus the candidates, cached by model id and file list."""
    from fmaplayer.ml import features
    from fmaplayer.ml.embedder import Embedder

    embedder = Embedder(device="cpu")
    key = hashlib.sha1(json.dumps([embedder.model_id, N_MFCC, N_BANDS, paths]).encode()).hexdigest()[:16]
    target = cache / f"hybrid-facts-{key}.npz"
    if target.exists():
        with np.load(target) as z:
            return ClipFacts(list(z["paths"]), *(z[f] for f in _ARRAYS))
    rows: dict[str, list] = {f: [] for f in _ARRAYS}
    for i, path in enumerate(paths):
        slices = features.track_slices(path, embedder.n_slices)
        emb = embedder.embed_slices([slices])[0]
        for name, value in slice_facts(slices).items():
            rows[name].append(value)
        rows["style"].append(emb.vector)
        rows["genre_probs"].append(emb.genre_probs)
        rows["mood_probs"].append(emb.mood_probs)
        rows["tempo"].append(np.nan if emb.tempo is None else emb.tempo)
        if (i + 1) % 100 == 0:
            log(f"  analysed {i + 1}/{len(paths)}")
    facts = ClipFacts(list(paths), *(np.asarray(rows[f], np.float32) for f in _ARRAYS))
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(target, paths=np.array(paths), **{f: getattr(facts, f) for f in _ARRAYS})
    return facts


def timbre_candidates(facts: ClipFacts) -> dict[str, np.ndarray]:
    """Raw statistics per candidate (n x d); every candidate of at most 32 numbers (memory <= 2x)."""
    out = {f"mfcc{k}": np.hstack([facts.mfcc_mean[:, :k], facts.mfcc_std[:, :k]]) for k in (8, 10, 13, 16)}
    out["mfcc20 (40-d)"] = np.hstack([facts.mfcc_mean, facts.mfcc_std])
    out["mfcc10+delta"] = np.hstack([facts.mfcc_mean[:, :10], facts.mfcc_std[:, :10],
                                     facts.dmfcc_std[:, :10]])
    out["bands16"] = np.hstack([facts.band_mean, facts.band_std])
    return out


def candidate_layout(timbre_dim: int, weights: dict[str, float], style_dim: int) -> SimilarityLayout:
    zeros = np.zeros(timbre_dim, np.float32)
    return SimilarityLayout(style_dim, timbre_dim, TEMPO_DIM, weights, zeros, zeros + 1, timbre_dim // 2)


def fused_similarity(style: np.ndarray, timbre_unit: np.ndarray, tempo: np.ndarray,
                     weights: dict[str, float], prior_centre: np.ndarray | None) -> np.ndarray:
    """The app's score matrix for a set of clips taken as one library: the SimilarityIndex itself."""
    layout = candidate_layout(timbre_unit.shape[1], weights, style.shape[1])
    rows = np.hstack([style, timbre_unit, tempo_block(tempo)]).astype(np.float32)
    index = SimilarityIndex(centred=True, prior_centre=prior_centre, layout=layout)
    index.replace(np.arange(len(rows)), rows)
    return np.stack([index.scores(row) for row in rows])


def genre_p10(sim: np.ndarray, genres: list[str | None]) -> float:
    return evaluation.recommendation_metrics(sim, genres, [None] * len(genres))["genre"]["p@10"]["avg"]


def choose(facts: ClipFacts, split: list[str], genres: list[str | None], prior_centre, log=print) -> dict:
    """Best (candidate, timbre weight, tempo weight) by validation genre P@10; the grid's figures too."""
    train = np.array([p == "train" for p in split])
    val = np.array([p == "val" for p in split])
    val_facts = facts.take(np.flatnonzero(val))
    val_genres = [g for g, v in zip(genres, val, strict=True) if v]
    grid = []
    for name, raw in timbre_candidates(facts).items():
        mean, scale = raw[train].mean(0), raw[train].std(0)
        unit = timbre.standardise(raw[val], mean, scale)
        for wt in TIMBRE_WEIGHTS:
            for wb in TEMPO_WEIGHTS:
                if wt + wb > 1.0:
                    continue
                weights = {"style": 1.0 - wt - wb, "timbre": float(wt), "tempo": float(wb)}
                sim = fused_similarity(val_facts.style, unit, val_facts.tempo, weights, prior_centre)
                grid.append({"candidate": name, "timbre": float(wt), "tempo": float(wb),
                             "val_genre_p10": genre_p10(sim, val_genres)})
        best_here = max((g for g in grid if g["candidate"] == name), key=lambda g: g["val_genre_p10"])
        log(f"  {name:>14}: best val genre P@10 {best_here['val_genre_p10']:.3f} at timbre "
            f"{best_here['timbre']:.2f}, tempo {best_here['tempo']:.2f}")
    best = max(grid, key=lambda g: (round(g["val_genre_p10"], 4), -g["tempo"]))
    raw = timbre_candidates(facts)[best["candidate"]]
    return {"best": best, "grid": grid, "timbre_mean": raw[train].mean(0).tolist(),
            "timbre_scale": raw[train].std(0).tolist()}


def main(argv: list[str] | None = None) -> int:
    """Analyse the labelled clips and choose the fusion on validation (nothing is read from test)."""
    import argparse

    from fmaplayer.ml import manifest as manifest_mod
    from fmaplayer.recommend.calibration import model_centre
    from fmaplayer.training import datasets

    parser = argparse.ArgumentParser(prog="python -m fmaplayer.training.hybrid")
    parser.add_argument("--data", required=True)
    parser.add_argument("--cache", required=True, help="folder for the analysed clips (outside the repo)")
    parser.add_argument("--out", required=True, help="JSON with the validation grid and the choice")
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args(argv)
    items = datasets.load_dataset(Path(args.data))
    split = datasets.artist_split(items, seed=args.seed)
    items = [it for it in items if it.path in split]
    facts = analyse([it.path for it in items], Path(args.cache))
    manifest = manifest_mod.load_manifest(manifest_mod.manifest_path_for(manifest_mod.bundled_model_path()))
    parts, genres = [split[it.path] for it in items], [it.genre for it in items]
    choice = choose(facts, parts, genres, model_centre(manifest))
    Path(args.out).write_text(json.dumps(choice, indent=1))
    print(json.dumps(choice["best"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
