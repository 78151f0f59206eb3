"""The forward pass of the bundled model on each runtime, on the same model and the same batches, in one run:
TensorFlow as the app ran it before (default threads, oneDNN on), with 1 thread, oneDNN off, XLA; LiteRT
(XNNPACK) and ONNX Runtime with 1 and 2 threads; two batch sizes. Slices/s is the median of --reps passes
over the same slices; "vs TF" is the ratio to TensorFlow as before; cosine/prob columns compare each
runtime's outputs with that TensorFlow run's on the same slices. The configurations' passes are interleaved
(pass 1 of each, then pass 2 of each, ...), so a busy moment on a shared machine slows them all alike.

    python benchmarks/bench_runtimes.py [--slices 128] [--reps 7] [--out bench-results/runtimes.json]
        [--tflite LABEL=FILE ...]   # other .tflite exports of the bundled model, on LiteRT with 2 threads

The slices come from generated music-like audio (tones, noise bursts, a beat) through the real feature
pipeline. Each configuration runs in its own process (TensorFlow's threads and oneDNN are fixed at import);
only one of them computes at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks._report import machine, write_json  # noqa: E402

BATCH = 64  # the Embedder's largest padded batch: a chunk of 16 tracks x 10 slices runs as 64, 64, 32
# (label, runtime, threads, batch, environment for the child process, XLA[, .tflite file])
CONFIGS = [
    ("TensorFlow (as before: default threads, oneDNN on)", "tensorflow", 0, BATCH, {}, False),
    ("TensorFlow, batch 16", "tensorflow", 0, 16, {}, False),
    ("TensorFlow, 1 thread", "tensorflow", 1, BATCH, {}, False),
    ("TensorFlow, oneDNN off", "tensorflow", 0, BATCH, {"TF_ENABLE_ONEDNN_OPTS": "0"}, False),
    ("TensorFlow, XLA (jit_compile)", "tensorflow", 0, BATCH, {}, True),
    ("LiteRT XNNPACK, 1 thread", "litert", 1, BATCH, {}, False),
    ("LiteRT XNNPACK, 2 threads", "litert", 2, BATCH, {}, False),
    ("LiteRT XNNPACK, 2 threads, batch 16", "litert", 2, 16, {}, False),
    ("ONNX Runtime, 1 thread", "onnxruntime", 1, BATCH, {}, False),
    ("ONNX Runtime, 2 threads", "onnxruntime", 2, BATCH, {}, False),
]


def _slices(n: int, folder: Path) -> np.ndarray:
    """n mel slices of generated music-like audio, through the app's feature pipeline."""
    from benchmarks.bench_embedding import _write_music_like
    from fmaplayer.ml import features

    out, seed = [], 0
    while sum(len(s) for s in out) < n:
        path = _write_music_like(folder / f"m{seed}.wav", 60.0, seed)
        out.append(features.track_slices(path, 10))
        seed += 1
    return np.concatenate(out)[:n].astype(np.float32)


def _load(runtime: str, threads: int, xla: bool, tflite: str | None = None):
    from fmaplayer.ml import manifest
    from fmaplayer.ml import runtime as runtime_mod

    model = manifest.bundled_model_path()
    m = manifest.load_manifest(model)
    if tflite:  # another export of the same .keras: listed as if the manifest named it
        entry = {"file": str(Path(tflite).resolve()), "sha256": manifest.sha256_of(Path(tflite)),
                 "source_sha256": m["sha256"]}
        m = {**m, "runtimes": {**(m.get("runtimes") or {}), "litert": entry}}
    if runtime == "tensorflow":
        import tensorflow as tf

        if threads:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        rt = runtime_mod.load_one("tensorflow", model, m, device="cpu")
        if xla:
            rt._net.jit_compile = True  # Keras turns XLA off on CPU-only machines unless asked
        return rt
    return runtime_mod.load_one(runtime, model, m, threads=threads)


def child(spec: dict) -> None:
    """One configuration in its own process: load, warm up, then one timed pass per "run" line on stdin
    (the parent interleaves the configurations' passes, so a noisy moment hits them all alike)."""
    t0 = time.perf_counter()
    rt = _load(spec["runtime"], spec["threads"], spec["xla"], spec.get("tflite"))
    load_s = time.perf_counter() - t0
    x = np.load(spec["slices"])
    b = spec["batch"]
    batches = [x[i : i + b] for i in range(0, len(x), b)]
    outs = [rt.run(chunk) for chunk in batches]  # warm-up: graphs traced, arenas allocated
    np.savez(spec["result"], emb=np.concatenate([o[0] for o in outs]),
             genre=np.concatenate([o[1] for o in outs]))
    print(json.dumps({"name": rt.name, "load_s": load_s, "tensorflow_imported": "tensorflow" in sys.modules}),
          flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        t0 = time.perf_counter()
        for chunk in batches:
            rt.run(chunk)
        print(time.perf_counter() - t0, flush=True)


class _Child:
    """A configuration's process; start() returns once it has loaded and warmed up (or failed)."""

    def __init__(self, index: int, cfg, slices_path: Path, tmp: Path):
        self.label, self.runtime, self.threads, self.batch, self.env, self.xla, *tflite = cfg
        self.result = tmp / f"r{index}.npz"
        spec = {"runtime": self.runtime, "threads": self.threads, "batch": self.batch, "xla": self.xla,
                "slices": str(slices_path), "result": str(self.result), "tflite": (tflite or [None])[0]}
        self.proc = subprocess.Popen([sys.executable, __file__, "--child", json.dumps(spec)], cwd=ROOT,
                                     env={**os.environ, **self.env}, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.info = json.loads(line) if line.startswith("{") else None
        self.passes: list[float] = []

    def one_pass(self) -> None:
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        self.passes.append(float(self.proc.stdout.readline()))

    def finish(self) -> dict:
        row = {"label": self.label, "runtime": self.runtime}
        if self.info is None:
            self.proc.kill()
            reason = (self.proc.communicate()[1].strip().splitlines() or ["failed"])[-1]
            return {**row, "error": reason}
        self.proc.communicate("stop\n")
        data = np.load(self.result)
        return {**row, "threads": self.threads, "batch": self.batch, "env": self.env, "xla": self.xla,
                "impl": self.info["name"], "tensorflow_imported": self.info["tensorflow_imported"],
                "load_s": self.info["load_s"], "passes_s": self.passes,
                "_emb": data["emb"], "_genre": data["genre"]}


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.where(den > 0, (a * b).sum(axis=1) / np.maximum(den, 1e-30), 1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slices", type=int, default=128)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--only", help="comma-separated runtimes to run (tensorflow,litert,onnxruntime)")
    parser.add_argument("--out", default="bench-results/runtimes.json")
    parser.add_argument("--tflite", action="append", default=[], metavar="LABEL=FILE",
                        help="also time this .tflite export of the bundled model (LiteRT, 2 threads, "
                             "batch 16)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    wanted = set(args.only.split(",")) if args.only else None
    configs = [c for c in CONFIGS if wanted is None or c[1] in wanted or c is CONFIGS[0]]
    for item in args.tflite:
        label, sep, path = item.partition("=")
        label, path = (label, path) if sep else (item, item)
        configs.append((f"LiteRT XNNPACK, 2 threads, batch 16: {label}", "litert", 2, 16, {}, False, path))
    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, flags {' '.join(info['cpu_flags']) or '-'}; "
          f"{args.slices} slices, median of {args.reps} passes")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        x = _slices(args.slices, tmp)
        np.save(tmp / "slices.npy", x)
        children = [_Child(i, c, tmp / "slices.npy", tmp) for i, c in enumerate(configs)]  # one at a time
        for _ in range(args.reps):
            for c in children:
                if c.info is not None:
                    c.one_pass()
        rows = [c.finish() for c in children]
    base = rows[0]
    print(f"{'configuration':<52} {'slices/s':>9} {'range':>13} {'vs TF':>6} {'load s':>7} "
          f"{'min cos':>8} {'max |dp|':>9} {'TF loaded':>9}")
    for row in rows:
        if "error" in row:
            print(f"{row['label']:<52} unavailable: {row['error']}")
            continue
        rates = [args.slices / p for p in row["passes_s"]]
        row["slices_per_s"] = float(np.median(rates))
        row["slices_per_s_range"] = [float(min(rates)), float(max(rates))]
        if "_emb" in base:
            row["min_cosine_vs_tf"] = float(_cosines(row["_emb"], base["_emb"]).min())
            row["max_abs_genre_prob_diff_vs_tf"] = float(np.abs(row["_genre"] - base["_genre"]).max())
        ratio = row["slices_per_s"] / base["slices_per_s"] if "slices_per_s" in base else float("nan")
        row["ratio_vs_tf"] = ratio
        spread = f"{min(rates):.0f}-{max(rates):.0f}"
        print(f"{row['label']:<52} {row['slices_per_s']:9.1f} {spread:>13} "
              f"{ratio:6.2f} {row['load_s']:7.2f} {row.get('min_cosine_vs_tf', float('nan')):8.5f} "
              f"{row.get('max_abs_genre_prob_diff_vs_tf', float('nan')):9.1e} "
              f"{'yes' if row['tensorflow_imported'] else 'no':>9}")
    for row in rows:
        row.pop("_emb", None)
        row.pop("_genre", None)
    out = write_json({"machine": info, "slices": args.slices, "reps": args.reps, "rows": rows,
                      "date": time.strftime("%Y-%m-%d")}, args.out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
