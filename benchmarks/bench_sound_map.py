"""Sound map: projection time, peak memory and quality at 10k and 100k tracks; placing 1k new tracks;
frame time while panning the map at 100k points.

Embeddings are synthetic but shaped like the CNN-LSTM's: 32-d ReLU vectors sharing one large common
direction, in 40 clusters of unequal size with a spread inside each. Each projection runs in its own
subprocess so its peak resident memory (ru_maxrss) is its own; "baseline" is the same process with only
the data made, so the difference is what the projection needs. Quality: the share of each track's 10
nearest neighbours by (library-centred) cosine that are also among its 10 nearest on the map, over
2,000 sampled tracks (1.0 = every neighbourhood kept), and sklearn's trustworthiness on a 3,000-point
sample. The app uses t-SNE (openTSNE) with PCA as preview and fallback; UMAP (umap-learn, not a dependency:
`pip install umap-learn` to compare) is the candidate measured beside it, at 10k by default.

    python benchmarks/bench_sound_map.py [--sizes 10000 100000] [--skip-pan] [--out bench-results/...]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks._report import machine, write_json  # noqa: E402

DIM = 32


def synthetic_embeddings(n: int, seed: int = 0, clusters: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    common = np.abs(rng.normal(1.0, 0.2, DIM))
    centres = common + rng.normal(0, 0.6, (clusters, DIM))
    sizes = rng.dirichlet(np.full(clusters, 0.7))
    labels = rng.choice(clusters, size=n, p=sizes)
    spread = rng.uniform(0.15, 0.45, clusters)[labels, None]
    x = np.maximum(centres[labels] + rng.normal(0, 1, (n, DIM)) * spread, 0).astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def neighbour_agreement(rows: np.ndarray, coords: np.ndarray, k: int = 10, sample: int = 2000,
                        seed: int = 1) -> float:
    rng = np.random.default_rng(seed)
    picks = rng.choice(rows.shape[0], size=min(sample, rows.shape[0]), replace=False)
    kept = 0
    for chunk in np.array_split(picks, max(1, len(picks) // 200)):
        sims = rows[chunk] @ rows.T
        sims[np.arange(len(chunk)), chunk] = -np.inf
        near_high = np.argpartition(-sims, k, axis=1)[:, :k]
        d2 = ((coords[chunk, None, :] - coords[None, :, :]) ** 2).sum(-1)
        d2[np.arange(len(chunk)), chunk] = np.inf
        near_map = np.argpartition(d2, k, axis=1)[:, :k]
        kept += sum(len(set(a) & set(b)) for a, b in zip(near_high, near_map, strict=True))
    return kept / (k * len(picks))


def trust(rows: np.ndarray, coords: np.ndarray, sample: int = 3000) -> float:
    from sklearn.manifold import trustworthiness

    rng = np.random.default_rng(2)
    picks = rng.choice(rows.shape[0], size=min(sample, rows.shape[0]), replace=False)
    return float(trustworthiness(rows[picks], coords[picks], n_neighbors=10))


def umap_coords(rows: np.ndarray) -> np.ndarray:
    """The other candidate (umap-learn, not a dependency of the app)."""
    sys.modules.setdefault("umap.parametric_umap", None)   # else umap imports TensorFlow for nothing
    from umap.umap_ import UMAP

    model = UMAP(n_neighbors=15, min_dist=0.1, metric="euclidean", low_memory=True, n_jobs=-1)
    return np.asarray(model.fit_transform(rows), np.float32)


def run_one(method: str, n: int) -> dict:
    """In a child process: make the data, project it, report time, peak memory and quality."""
    from fmaplayer.recommend import sound_map

    rows = sound_map.prepare_vectors(synthetic_embeddings(n), None)
    rows = sound_map.prepare_vectors(rows, rows.mean(axis=0))   # library-centred, as the app ranks
    result = {"method": method, "n": n}
    started = time.perf_counter()
    try:
        coords = _project(method, rows)
    except ImportError as exc:           # a candidate that is not installed: say so, measure the rest
        return {**result, "skipped": str(exc)}
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if coords is not None:
        result["knn10_agreement"] = neighbour_agreement(rows, coords)
        result["trustworthiness"] = trust(rows, coords)
    return result


def _project(method: str, rows: np.ndarray):
    from fmaplayer.recommend import sound_map

    if method == "baseline":
        coords = None
    elif method == "pca":
        coords = sound_map.pca_coords(rows)
    elif method == "umap":
        coords = umap_coords(rows)
    elif method == "tsne":
        coords = sound_map.tsne_coords(rows)
    else:
        raise SystemExit(f"unknown method {method}")
    return coords


def in_subprocess(method: str, n: int) -> dict:
    output = subprocess.run([sys.executable, __file__, "--one", method, str(n)], capture_output=True,
                            text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def bench_place(n: int, new: int = 1000) -> dict:
    """Place `new` tracks into a fitted map of `n` (PCA coordinates stand in for the fit: placing
    costs the same whatever made the coordinates); median of 5."""
    from fmaplayer.recommend import sound_map

    rows = sound_map.prepare_vectors(synthetic_embeddings(n + new, seed=3))
    coords = sound_map.normalise_coords(sound_map.pca_coords(rows[:n]))
    times = []
    for _ in range(5):
        started = time.perf_counter()
        sound_map.place_new(rows[:n], coords, rows[n:])
        times.append(time.perf_counter() - started)
    return {"n": n, "new": new, "median_ms": float(np.median(times)) * 1000}


def bench_pan(n: int, steps: int = 40) -> dict:
    """Time to pan the map widget one step and render it (offscreen, into a QImage): median and p90
    per step with the cloud's device cache (what the app does) and without it (every point drawn
    again, as after a zoom step), and the first render (building the cloud)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication, QGraphicsItem

    from fmaplayer.recommend import sound_map
    from fmaplayer.ui.sound_map_view import SoundMapView

    app = QApplication.instance() or QApplication([])
    rows = sound_map.prepare_vectors(synthetic_embeddings(n))
    smap = sound_map.quick_map(np.arange(n), rows)
    genres = ["Jazz", "Pop/Rock", "Classical", "Electronic", ""]
    view = SoundMapView()
    view.resize(1000, 700)
    started = time.perf_counter()
    view.set_map(smap)
    view.set_colour_labels({int(i): genres[int(i) % len(genres)] for i in smap.ids})
    view.show()
    app.processEvents()
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
    view.viewport().render(image)
    result = {"n": n, "steps": steps, "first_render_ms": (time.perf_counter() - started) * 1000}
    for name, mode in (("cached", QGraphicsItem.CacheMode.DeviceCoordinateCache),
                       ("uncached", QGraphicsItem.CacheMode.NoCache)):
        view._cloud.setCacheMode(mode)
        times, moved = [], 0
        for step in range(steps):
            dx = 12 if (step // 10) % 2 == 0 else -12
            before = view.mapToScene(0, 0)
            started = time.perf_counter()
            view.pan_by(dx, 5 if step % 2 else -5)
            image.fill(0)
            view.viewport().render(image)
            times.append(time.perf_counter() - started)
            moved += view.mapToScene(0, 0) != before
        result[name] = {"median_ms": float(np.median(times)) * 1000,
                        "p90_ms": float(np.percentile(times, 90)) * 1000, "steps_that_moved": moved}
    view.close()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--methods", nargs="+", default=["pca", "tsne", "umap"])
    parser.add_argument("--umap-max", type=int, default=10_000, help="umap-learn only up to this size")
    parser.add_argument("--skip-pan", action="store_true")
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--out", default="bench-results/sound_map.json")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]))))
        return 0

    rows = []
    for n in args.sizes:
        baseline = in_subprocess("baseline", n)
        for method in args.methods:
            if method == "umap" and n > args.umap_max:
                continue
            result = in_subprocess(method, n)
            if "skipped" in result:
                print(f"{method:5s} {n:>7,d}  skipped: {result['skipped']}", flush=True)
                continue
            result["extra_rss_mb"] = result["peak_rss_mb"] - baseline["peak_rss_mb"]
            rows.append(result)
            print(f"{method:5s} {n:>7,d}  {result['seconds']:8.2f} s  peak {result['peak_rss_mb']:7.0f} MB "
                  f"(+{result['extra_rss_mb']:.0f})  10-NN kept {result['knn10_agreement']:.3f}  "
                  f"trust {result['trustworthiness']:.3f}", flush=True)
    place = bench_place(max(args.sizes))
    print(f"place 1,000 new tracks into {place['n']:,}: {place['median_ms']:.1f} ms (median of 5)")
    pan = None
    if not args.skip_pan:
        pan = bench_pan(max(args.sizes))
        for name in ("cached", "uncached"):
            step = pan[name]
            print(f"pan {pan['n']:,} points, {name}: median {step['median_ms']:.1f} ms, p90 "
                  f"{step['p90_ms']:.1f} ms per step ({step['steps_that_moved']}/{pan['steps']} moved)")
        print(f"first render of {pan['n']:,} points: {pan['first_render_ms']:.0f} ms")
    out = write_json({"machine": machine(), "projections": rows, "place": place, "pan": pan}, args.out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
