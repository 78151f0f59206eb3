"""Sonic path benchmark: how smooth the paths are on a real library, and how long one takes at 100k.

    .venv/bin/python benchmarks/bench_sonic_path.py --db LIBRARY.db [--pairs 200] [--length 10]
    .venv/bin/python benchmarks/bench_sonic_path.py --embeddings FILE.npz|DIR [--pairs 200]
    .venv/bin/python benchmarks/bench_sonic_path.py --db LIBRARY.db --sizes 10000 100000   (timing)

For random (start, target) pairs of analysed tracks it builds a path of `length` tracks with each method
and with two baselines, all measured in the app's library-centred space (cosine distance = 1 - centred
cosine, the centre being the library mean blended with the bundled model's training centre, as the
panel does):
- graph: fmaplayer.recommend.sonic_path (the default: fewest-squared-angle path on a closer-only graph)
- snap:  interpolation points on the great circle snapped to the nearest unused, closer track
- random walk: each step a random one of the 10 nearest unused tracks of the current one, then the target
- sorted: N-2 tracks closer to the target than the start, evenly spaced in their rank by similarity to
  the target (a straight sort), then the target
Reported: mean and max step distance, the share of paths whose distance to the target decreases at
every step, the share of full-length paths, and the time per path. With --sizes it also times the
graph method on synthetic libraries of those sizes (rows resampled from the real ones plus noise).
An embeddings folder holds one .npy vector per track; an .npz holds `ids` and `vectors` arrays.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import machine, write_json  # noqa: E402
from fmaplayer.recommend import calibration  # noqa: E402
from fmaplayer.recommend.sonic_path import GRAPH, SNAP, SonicPathFinder  # noqa: E402


def load_db(path: str) -> tuple[np.ndarray, np.ndarray, str]:
    from fmaplayer.library.store import LibraryStore

    with LibraryStore(path) as store:
        counts = store.embedding_model_counts()
        if not counts:
            raise SystemExit(f"{path} holds no embeddings: run `fmaplayer scan` first")
        model_id = max(counts, key=counts.get)
        ids, matrix = store.load_embeddings(model_id)
    return ids, matrix, model_id


def load_embeddings(path: str) -> tuple[np.ndarray, np.ndarray, str]:
    source = Path(path)
    if source.suffix == ".npz":
        data = np.load(source)
        return np.asarray(data["ids"], np.int64), np.asarray(data["vectors"], np.float32), source.name
    files = sorted(source.glob("*.npy"))
    if not files:
        raise SystemExit(f"no .npy vectors in {source}")
    return np.arange(len(files), dtype=np.int64), np.stack([np.load(f).ravel() for f in files]), source.name


def app_centre(ids: np.ndarray, matrix: np.ndarray, model_id: str) -> np.ndarray | None:
    """The centre the app's index uses: library mean blended with the bundled model's prior."""
    from fmaplayer.ml import manifest

    unit = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    prior = None
    try:
        man = manifest.load_manifest(manifest.bundled_model_path())
        if manifest.model_id(man) == model_id:
            prior = calibration.model_centre(man)
    except Exception:  # noqa: BLE001 - no bundled manifest: the library mean alone
        prior = None
    return calibration.blended_centre(unit.sum(axis=0, dtype=np.float64), len(unit), prior)


def describe(rows: np.ndarray, order: list[int]) -> tuple[np.ndarray, np.ndarray]:
    v = rows[order]
    steps = 1.0 - np.sum(v[:-1] * v[1:], axis=1)
    to_target = 1.0 - v @ v[-1]
    to_target[-1] = 0.0
    return steps, to_target


def random_walk(rows: np.ndarray, start: int, target: int, length: int, rng) -> list[int]:
    path = [start]
    for _ in range(length - 2):
        scores = rows @ rows[path[-1]]
        scores[path] = -np.inf
        scores[target] = -np.inf
        near = np.argpartition(-scores, 10)[:10]
        path.append(int(rng.choice(near)))
    return [*path, target]


def sorted_by_target(rows: np.ndarray, start: int, target: int, length: int) -> list[int]:
    to_target = rows @ rows[target]
    closer = np.flatnonzero(to_target > to_target[start])
    closer = closer[closer != target]
    ranked = closer[np.argsort(to_target[closer])]          # farthest first
    if len(ranked) <= length - 2:
        middle = ranked.tolist()
    else:
        middle = ranked[np.linspace(0, len(ranked) - 1, length - 2).round().astype(int)].tolist()
    return [start, *middle, target]


def quality(finder: SonicPathFinder, pairs: int, length: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    rows = finder.rows
    results: dict[str, dict[str, list]] = {m: {"mean_step": [], "max_step": [], "monotone": [], "full": [],
                                               "ms": []} for m in ("graph", "snap", "random walk", "sorted")}
    for _ in range(pairs):
        a, b = (int(i) for i in rng.choice(len(finder.ids), 2, replace=False))
        for name in results:
            t = time.perf_counter()
            if name in (GRAPH, SNAP):
                order = [finder._row_of[i] for i in finder.path(int(finder.ids[a]), int(finder.ids[b]),
                                                                length, method=name).ids]
            elif name == "random walk":
                order = random_walk(rows, a, b, length, rng)
            else:
                order = sorted_by_target(rows, a, b, length)
            ms = (time.perf_counter() - t) * 1000
            steps, to_target = describe(rows, order)
            r = results[name]
            r["mean_step"].append(float(steps.mean()))
            r["max_step"].append(float(steps.max()))
            r["monotone"].append(bool(np.all(np.diff(to_target) < 0)))
            r["full"].append(len(order) == length)
            r["ms"].append(ms)
    return {name: {"mean_step": float(np.mean(r["mean_step"])),
                   "median_max_step": float(np.median(r["max_step"])),
                   "monotone_share": float(np.mean(r["monotone"])),
                   "full_length_share": float(np.mean(r["full"])),
                   "median_ms": float(np.median(r["ms"]))} for name, r in results.items()}


def timing(matrix: np.ndarray, centre, sizes: list[int], length: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for n in sizes:
        base = matrix[rng.integers(0, len(matrix), n)]
        x = np.abs(base + 0.05 * rng.standard_normal(base.shape).astype(np.float32))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        t = time.perf_counter()
        finder = SonicPathFinder(np.arange(n), x, centre)
        prepare_ms = (time.perf_counter() - t) * 1000
        times = []
        for _ in range(15):
            a, b = (int(i) for i in rng.choice(n, 2, replace=False))
            t = time.perf_counter()
            finder.path(a, b, length)
            times.append((time.perf_counter() - t) * 1000)
        out.append({"tracks": n, "prepare_ms": prepare_ms, "path_ms_median": float(np.median(times)),
                    "path_ms_max": float(np.max(times)), "rows_mb": finder.rows.nbytes / 2**20})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--db", help="a library database analysed by `fmaplayer scan`")
    source.add_argument("--embeddings", help="an .npz (ids, vectors) or a folder of .npy vectors")
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--length", type=int, default=10)
    parser.add_argument("--sizes", type=int, nargs="*", default=[],
                        help="also time graph paths at these sizes")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--out", default="bench-results/sonic_path.json")
    args = parser.parse_args(argv)

    ids, matrix, model_id = load_db(args.db) if args.db else load_embeddings(args.embeddings)
    if len(ids) < args.length + 2:
        raise SystemExit(f"only {len(ids)} analysed tracks: too few for paths of {args.length}")
    centre = app_centre(ids, matrix, model_id)
    finder = SonicPathFinder(ids, matrix, centre)
    table = quality(finder, args.pairs, args.length, args.seed)
    print(f"{len(ids)} tracks ({model_id}), {args.pairs} random pairs, paths of {args.length}; "
          "distance = 1 - library-centred cosine")
    print(f"{'method':12s} {'mean step':>10s} {'median max step':>16s} {'always closer':>14s} "
          f"{'full length':>12s} {'ms/path':>8s}")
    for name, r in table.items():
        print(f"{name:12s} {r['mean_step']:10.3f} {r['median_max_step']:16.3f} {r['monotone_share']:14.0%} "
              f"{r['full_length_share']:12.0%} {r['median_ms']:8.1f}")
    sizes = timing(matrix, centre, args.sizes, args.length, args.seed) if args.sizes else []
    for row in sizes:
        print(f"{row['tracks']:>8,} tracks: prepare {row['prepare_ms']:.0f} ms, path median "
              f"{row['path_ms_median']:.0f} ms (max {row['path_ms_max']:.0f}), "
              f"centred rows {row['rows_mb']:.1f} MB")
    out = write_json({"machine": machine(), "tracks": int(len(ids)), "model_id": model_id,
                      "pairs": args.pairs, "length": args.length, "methods": table, "timing": sizes},
                     args.out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
