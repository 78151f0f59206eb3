"""Similarity-index benchmark: query latency (p50/p99) and memory at 10k, 100k and 1M synthetic tracks.

    .venv/bin/python benchmarks/bench_index.py [--sizes 10000 100000 1000000] [--dim 32] [--out FILE]

Each size runs twice in the same process: style-only rows of --dim (the 2.1.0 index) and the bundled hybrid
model's rows (style | timbre | tempo blocks, recommend/hybrid.py: one product with a dim x 2 query matrix).

Vectors are random unit rows (the worst case for argpartition: no structure to exploit). For each size it
reports the time to load the matrix (`replace`, the start-up path), the cost of the worker's incremental
commits (`upsert` of 8-row batches), top_k(10) latency, `relevant()` latency in both ranking modes with
20 predicted genres, and memory (the index's arrays, and the process RSS growth).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import machine, write_json  # noqa: E402
from fmaplayer.recommend.index import SimilarityIndex  # noqa: E402
from fmaplayer.recommend.ranking import RankingMode, relevant  # noqa: E402


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples: list[float]) -> tuple[float, float]:
    ms = np.asarray(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def hybrid_layout():
    """The bundled model's similarity layout (ml/similarity_space.py)."""
    from fmaplayer.ml import manifest
    from fmaplayer.recommend.hybrid import layout_of

    return layout_of(manifest.load_manifest(manifest.manifest_path_for(manifest.bundled_model_path())))


def bench_size(n: int, dim: int, queries: int, rng: np.random.Generator, layout=None) -> dict:
    dim = layout.dim if layout is not None else dim
    matrix = rng.standard_normal((n, dim), dtype=np.float32)
    ids = np.arange(1, n + 1, dtype=np.int64)
    genres = {int(i): f"g{int(i) % 20}" for i in ids}
    rss_before = rss_mb()
    # as the app and `similar` build it (library-centred scores; fused when the model is a hybrid one)
    index = SimilarityIndex(centred=True, layout=layout)
    t = time.perf_counter()
    index.replace(ids, matrix)
    load_s = time.perf_counter() - t
    del matrix
    rss_after = rss_mb()

    batches = 500
    t = time.perf_counter()
    for b in range(batches):
        new_ids = np.arange(n + 1 + b * 8, n + 1 + (b + 1) * 8)
        index.upsert(new_ids, rng.standard_normal((8, dim), dtype=np.float32))
    upsert_ms = (time.perf_counter() - t) / batches * 1000

    anchors = rng.integers(1, n + 1, size=queries)
    for a in anchors[:5]:  # warm caches
        index.top_k(index.vector(int(a)), 10, exclude_ids=[int(a)])
    topk, sim, genre = [], [], []
    for a in anchors:
        a = int(a)
        t = time.perf_counter()
        index.top_k(index.vector(a), 10, exclude_ids=[a])
        topk.append(time.perf_counter() - t)
        t = time.perf_counter()
        relevant(index, [a], 10, RankingMode.SIMILARITY, genres)
        sim.append(time.perf_counter() - t)
        t = time.perf_counter()
        relevant(index, [a], 10, RankingMode.SIMILARITY_GENRE, genres)
        genre.append(time.perf_counter() - t)
    # the first query after a committed batch also recomputes the library centre and x.c (once per batch)
    after_upsert = []
    for b in range(20):
        new_ids = np.arange(n + 10_000 + b * 8, n + 10_000 + (b + 1) * 8)
        index.upsert(new_ids, rng.standard_normal((8, dim), dtype=np.float32))
        a = int(anchors[b % len(anchors)])
        t = time.perf_counter()
        index.top_k(index.vector(a), 10, exclude_ids=[a])
        after_upsert.append(time.perf_counter() - t)
    kind = "style only" if layout is None else \
        "hybrid" + ("" if layout.weights["timbre"] == layout.weights["tempo"] == 0 else " fused")
    row = {"index": kind, "weights": None if layout is None else layout.weights, "tracks": n, "dim": dim,
           "queries": queries, "load_s": round(load_s, 3),
           "first_query_after_upsert_p50_ms": round(percentiles(after_upsert)[0], 3),
           "upsert_batch8_ms": round(upsert_ms, 4),
           "index_mb": round(index.nbytes / 2**20, 1), "rss_growth_mb": round(rss_after - rss_before, 1)}
    for name, samples in (("top_k", topk), ("similarity", sim), ("similarity_genre", genre)):
        p50, p99 = percentiles(samples)
        row[f"{name}_p50_ms"] = round(p50, 3)
        row[f"{name}_p99_ms"] = round(p99, 3)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=32, help="embedding dimension (the bundled model's is 32)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--out", default="bench-results/bench_index.json")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    import dataclasses

    layout = hybrid_layout()
    kinds = [None]
    if layout is not None:   # the shipped weights, and every part weighted (the second product runs)
        kinds += [layout, dataclasses.replace(layout, weights={"style": 0.8, "timbre": 0.15, "tempo": 0.05})]
    rows = [bench_size(n, args.dim, args.queries, rng, kind) for n in args.sizes for kind in kinds]
    header = (f"{'index':>12} {'dim':>4} {'tracks':>9} {'load s':>7} {'index MB':>9} {'RSS +MB':>8} "
              f"{'upsert8 ms':>10} "
              f"{'top_k p50/p99 ms':>17} {'similar p50/p99':>16} {'genre p50/p99':>15}")
    print(header)
    for r in rows:
        print(f"{r['index']:>12} {r['dim']:>4} {r['tracks']:>9,} {r['load_s']:>7.2f} {r['index_mb']:>9.1f} "
              f"{r['rss_growth_mb']:>8.1f} "
              f"{r['upsert_batch8_ms']:>10.3f} {r['top_k_p50_ms']:>8.2f}/{r['top_k_p99_ms']:<8.2f} "
              f"{r['similarity_p50_ms']:>7.2f}/{r['similarity_p99_ms']:<8.2f} "
              f"{r['similarity_genre_p50_ms']:>6.2f}/{r['similarity_genre_p99_ms']:<8.2f}")
    result = {"benchmark": "index", "machine": machine(), "rows": rows}
    out = write_json(result, args.out)
    print(f"machine: {result['machine']}\nwritten: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
