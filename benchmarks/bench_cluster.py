"""The analysis on a Ray cluster: what Ray costs per track, what one SQLite writer absorbs, and a projection.

    .venv/bin/python benchmarks/bench_cluster.py --files '/work/cache/debian/*/*.ogg' [--limit 64]
        [--node-cores 8] [--out bench-results/bench_cluster.json]

1. Local: `EmbeddingRunner` + `Embedder` (the code path of `fmaplayer scan`) over the same real files.
2. Ray: a local Ray of this machine's cores (`ray.init(address="local")`), `ClusterRunner` (the code path of
   `fmaplayer scan --ray`) with 1 worker of every core and with one worker per core. Two rates each: the whole
   run (actor start and model load included) and the marginal rate (the extra tracks of a full run over a
   quarter run, divided by the extra seconds: fixed start-up costs cancel), whose ratio to the local marginal
   rate is Ray's overhead per track. The files are read once first, so no run pays for a cold disk cache.
3. The driver's commit rate: `store.save_embeddings` of synthetic rows of the model's vector size (and genre
   and mood probabilities), in the CLI's batches of 16 and in batches of 256, into a library of 20,000 tracks:
   how many tracks/s one SQLite writer absorbs, the ceiling of the design.
4. A projection of a 1,000,000-track catalogue on N nodes of --node-cores cores, from the measured per-core
   rate and overhead, capped by the commit rate (and, with --ship-audio, by the desktop's uplink).
Prints a table and writes the JSON (README: "Analysing a huge library on a Ray cluster").
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks._report import machine, write_json  # noqa: E402

CATALOGUE = 1_000_000
NODES = (1, 4, 10, 25, 50, 100)
UPLINK_BYTES_S = 1e9 / 8 * 0.94   # a 1 Gbit/s link, less TCP/IP overhead: the --ship-audio ceiling


def library_of(files: list[str], folder: Path):
    """A fresh library holding `files` (scanned as `fmaplayer scan` does)."""
    from fmaplayer.library.scanner import Scanner
    from fmaplayer.library.store import LibraryStore

    store = LibraryStore(str(folder / "lib.db"))
    Scanner(store).scan_files(files)
    return store


def timed(files: list[str], folder: Path, make_runner) -> tuple[float, int, object, object]:
    store = library_of(files, folder)
    runner = make_runner(store)
    began = time.perf_counter()
    summary = runner.run()
    return time.perf_counter() - began, summary.embedded + len(summary.failed), store, runner


def marginal(files: list[str], tmp: Path, name: str, make_runner) -> dict:
    """A quarter run, then the full run: whole-run and marginal rates, and the full run's vectors."""
    t_part, n_part, _, _ = timed(files[: max(1, len(files) // 4)], tmp / f"{name}-part", make_runner)
    seconds, n, store, runner = timed(files, tmp / name, make_runner)
    rate = (n - n_part) / (seconds - t_part) if seconds > t_part else float("nan")
    return {"tracks": n, "seconds": round(seconds, 2), "tracks_per_s": round(n / seconds, 3),
            "marginal_tracks_per_s": round(rate, 3), "store": store, "runner": runner}


def run_local(files: list[str], tmp: Path) -> dict:
    from fmaplayer.ml.embedder import Embedder
    from fmaplayer.recommend.embedding_runner import EmbeddingRunner

    began = time.perf_counter()
    embedder = Embedder(device="cpu")
    loaded = time.perf_counter() - began
    result = marginal(files, tmp, "local", lambda store: EmbeddingRunner(store, embedder, 16))
    embedder.close()
    store = result.pop("store")
    result.pop("runner")
    return {**result, "model_load_s": round(loaded, 2), "runtime": embedder.runtime,
            "vectors": vectors_by_path(store, embedder.model_id)}


def run_ray(files: list[str], tmp: Path, workers: int, cpus: int, model_id: str, ship: bool = False) -> dict:
    from fmaplayer.cluster.runner import ClusterRunner

    result = marginal(files, tmp, f"ray{workers}{'s' if ship else ''}", lambda store: ClusterRunner(
        store, model_id, workers=workers, cpus_per_worker=cpus, ship_audio=ship))
    store, runner = result.pop("store"), result.pop("runner")
    return {"workers": workers, "cpus_per_worker": cpus, "ship_audio": ship, **result,
            "runtime": runner.worker_runtime, "vectors": vectors_by_path(store, model_id)}


def vectors_by_path(store, model_id: str) -> dict:
    ids, matrix = store.load_embeddings(model_id)
    return {store.track(i).path: v for i, v in zip(ids.tolist(), matrix, strict=True)}


def min_cosine(a: dict, b: dict) -> float:
    common = set(a) & set(b)
    if not common:
        return float("nan")
    return min(float(np.dot(a[p], b[p]) / (np.linalg.norm(a[p]) * np.linalg.norm(b[p]))) for p in common)


def commit_rate(tmp: Path, batch: int, total: int = 20_000) -> dict:
    """save_embeddings of `total` synthetic rows in batches of `batch` (each its own transaction)."""
    from benchmarks.synthetic_library import build_synthetic_library
    from fmaplayer.library.store import EmbeddingRow, LibraryStore
    from fmaplayer.ml import manifest as manifest_mod
    from fmaplayer.ml.similarity_space import SimilarityLayout

    manifest = manifest_mod.load_manifest(manifest_mod.manifest_path_for(manifest_mod.bundled_model_path()))
    layout = SimilarityLayout.from_manifest(manifest)
    dim = layout.dim if layout else int(manifest["embedding"]["dim"])
    genres, moods = len(manifest["genres"]), len(manifest["moods"])
    db = build_synthetic_library(tmp / f"commit{batch}.db", total, unreadable_fraction=0.0)
    store = LibraryStore(str(db))
    ids = [t.id for t in store.all_tracks()]
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((len(ids), dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = [EmbeddingRow(track_id=i, vector=vectors[k], genre="Rock",
                         genre_probs=np.full(genres, 1 / genres, np.float32), mood="happy" if moods else None,
                         mood_probs=np.full(moods, 1 / moods, np.float32) if moods else None, tempo=120.0)
            for k, i in enumerate(ids)]
    began = time.perf_counter()
    for k in range(0, len(rows), batch):
        store.save_embeddings("bench@1", rows[k:k + batch])
    seconds = time.perf_counter() - began
    store.close()
    return {"batch": batch, "rows": len(rows), "vector_dim": dim, "seconds": round(seconds, 2),
            "tracks_per_s": round(len(rows) / seconds)}


def projection(per_core: float, overhead: float, commit: float, node_cores: int,
               mean_bytes: float) -> list[dict]:
    """Hours for the catalogue on N nodes; what caps it."""
    uplink = UPLINK_BYTES_S / mean_bytes if mean_bytes else float("inf")
    table = []
    for nodes in NODES:
        cluster = nodes * node_cores * per_core * (1 - overhead)
        rate = min(cluster, commit)
        ship = min(rate, uplink)
        table.append({"nodes": nodes, "cores": nodes * node_cores, "cluster_tracks_per_s": round(cluster, 1),
                      "tracks_per_s": round(rate, 1), "hours": round(CATALOGUE / rate / 3600, 2),
                      "limited_by": "commit rate" if commit < cluster else "workers",
                      "ship_audio_tracks_per_s": round(ship, 1),
                      "ship_audio_hours": round(CATALOGUE / ship / 3600, 2)})
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", action="append", required=True, metavar="GLOB",
                        help="real audio files (a glob; repeat for more), e.g. '/work/cache/debian/*/*.ogg'")
    parser.add_argument("--limit", type=int, default=64, help="how many of them (default 64)")
    parser.add_argument("--node-cores", type=int, default=8, help="cores per node in the projection")
    parser.add_argument("--skip-ship", action="store_true", help="do not time --ship-audio")
    parser.add_argument("--out", default="bench-results/bench_cluster.json")
    args = parser.parse_args(argv)

    files = sorted({os.path.abspath(f) for pattern in args.files for f in glob.glob(pattern)})
    files = files[:: max(1, len(files) // args.limit)][: args.limit]   # spread over the folders
    if not files:
        print("no files match --files", file=sys.stderr)
        return 2
    mean_bytes = float(np.mean([os.path.getsize(f) for f in files]))
    for f in files:   # into the page cache: the first configuration timed must not pay for a cold disk
        Path(f).read_bytes()
    cores = os.cpu_count() or 1
    print(f"{len(files)} files, {mean_bytes / 1e6:.1f} MB on average; {cores} cores")
    import ray

    from fmaplayer.ml.embedder_factory import bundled_model_id

    model_id = bundled_model_id()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp_name:
        tmp = Path(tmp_name)
        local = run_local(files, tmp)
        print(f"local: {local['tracks_per_s']:.2f} tracks/s, {local['marginal_tracks_per_s']:.2f} marginal "
              f"({local['runtime']})")
        ray.init(address="local", num_cpus=cores, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR")
        try:
            runs = [run_ray(files, tmp, 1, cores, model_id), run_ray(files, tmp, cores, 1, model_id)]
            if not args.skip_ship:
                runs.append(run_ray(files, tmp, 1, cores, model_id, ship=True))
        finally:
            ray.shutdown()
        commits = [commit_rate(tmp, 16), commit_rate(tmp, 256)]
    for run in runs:
        run["min_cosine_vs_local"] = round(min_cosine(run.pop("vectors"), local["vectors"]), 6)
        run["overhead_vs_local"] = round(1 - run["marginal_tracks_per_s"] / local["marginal_tracks_per_s"], 3)
        print(f"ray {run['workers']} x {run['cpus_per_worker']} CPU{' ship' if run['ship_audio'] else ''}: "
              f"{run['tracks_per_s']:.2f} tracks/s whole run, {run['marginal_tracks_per_s']:.2f} marginal "
              f"(overhead {run['overhead_vs_local']:+.1%}), min cosine {run['min_cosine_vs_local']}")
    local.pop("vectors")
    for c in commits:
        print(f"commit: {c['tracks_per_s']:,} tracks/s in batches of {c['batch']} "
              f"({c['vector_dim']}-d vectors)")
    best = max(runs[:2], key=lambda r: r["marginal_tracks_per_s"])
    overhead = max(0.0, best["overhead_vs_local"])
    per_core = local["marginal_tracks_per_s"] / cores
    table = projection(per_core, overhead, commits[0]["tracks_per_s"], args.node_cores, mean_bytes)
    print(f"\n1,000,000 tracks on N nodes of {args.node_cores} cores ({per_core:.2f} tracks/s per core, "
          f"Ray overhead {overhead:.0%}, one writer {commits[0]['tracks_per_s']:,} tracks/s):")
    print(f"{'nodes':>6} {'tracks/s':>10} {'hours':>8}  {'limited by':<12} {'--ship-audio h (1 Gbit/s)':>26}")
    for row in table:
        print(f"{row['nodes']:>6} {row['tracks_per_s']:>10,.1f} {row['hours']:>8.2f}  "
              f"{row['limited_by']:<12} {row['ship_audio_hours']:>26.2f}")
    result = {"machine": machine(), "files": len(files), "mean_file_bytes": round(mean_bytes),
              "model_id": model_id, "local": local, "ray": runs, "commit": commits,
              "projection": {"catalogue": CATALOGUE, "node_cores": args.node_cores,
                             "per_core_tracks_per_s": round(per_core, 3), "ray_overhead": overhead,
                             "table": table}}
    print(f"\nwrote {write_json(result, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
