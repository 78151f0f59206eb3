"""The forward pass of the bundled model on each runtime, on the same model and the same batches, in one run:
TensorFlow as the app ran it before (default threads, oneDNN on), with 1 thread, oneDNN off, XLA; LiteRT
(XNNPACK) and ONNX Runtime with 1 and 2 threads; two batch sizes. Slices/s is the median of --reps passes
over the same slices; "vs base" is the ratio to the run's base configuration (TensorFlow as before; with
--grid, LiteRT as the app runs it, on the same instruction set); cosine/prob columns compare each
runtime's outputs with the Keras model's (TensorFlow) on the same slices. The configurations' passes are
interleaved (pass 1 of each, then pass 2 of each, ...), so a busy moment on a shared machine slows them
all alike.

    python benchmarks/bench_runtimes.py [--slices 128] [--reps 7] [--out bench-results/runtimes.json]
        [--tflite LABEL=FILE ...]   # other .tflite exports of the bundled model, on LiteRT with 2 threads
        [--files DIR | --debian PKG,PKG [--debian-cache DIR]] [--limit N]   # real slices instead
        [--grid [--threads 1,2] [--batches 8,16,32,64]] [--isa native|avx2|both]

--grid times the light runtimes the app can choose (LiteRT on the bundled file, ONNX Runtime) at each
thread count and batch size, LiteRT at the true batch size (the app runs larger batches as several of
LiteRT.MAX_BATCH; its own row says "as the app runs it"); TensorFlow then only gives the reference
outputs, untimed. --isa avx2 runs the configurations in processes that see an AVX2-only CPU (no AVX-512,
VNNI or AMX: benchmarks/isa.py masks CPUID), so that the kernels an AVX2 machine would run are the ones
timed; --isa both runs every configuration both ways, interleaved.

By default the slices come from generated music-like audio (tones, noise bursts, a beat) through the real
feature pipeline; --files/--debian take them from real tracks instead (the app's 10 excerpts per track,
spread over the files). Each configuration runs in its own process (TensorFlow's threads and oneDNN are
fixed at import; the CPUID mask is set at exec); only one of them computes at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks import real_tracks  # noqa: E402
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


@dataclass
class Config:
    label: str
    runtime: str
    threads: int
    batch: int
    env: dict = field(default_factory=dict)
    xla: bool = False
    tflite: str | None = None
    max_batch: int | None = None  # LiteRT: run batches up to this size in one invoke (None: the app's)
    isa: str = "native"  # "avx2": the child sees an AVX2-only CPU (benchmarks/isa.py)
    timed: bool = True  # False: only its outputs are used (the reference)
    base: bool = False  # the configuration the others' "vs base" ratio is taken to (per instruction set)


def default_configs(only: set[str] | None, tflite: list[str]) -> list[Config]:
    configs = [Config(*c, base=(i == 0)) for i, c in enumerate(CONFIGS)
               if only is None or c[1] in only or i == 0]
    for item in tflite:
        label, sep, path = item.partition("=")
        label, path = (label, path) if sep else (item, item)
        configs.append(Config(f"LiteRT XNNPACK, 2 threads, batch 16: {label}", "litert", 2, 16, tflite=path))
    return configs


def grid_configs(threads: list[int], batches: list[int], isas: list[str]) -> list[Config]:
    """The light runtimes the app can choose, at each thread count and batch size, on each instruction set;
    the Keras model (native, untimed) gives the reference outputs."""
    from fmaplayer.ml.runtime import LiteRTRuntime

    configs = [Config("TensorFlow (Keras reference, untimed)", "tensorflow", 0, BATCH, timed=False)]
    for isa in isas:
        tag = "" if isa == "native" else " [AVX2 only]"
        top = max(threads)
        configs.append(Config(f"LiteRT, {top} threads, batch {BATCH} as the app runs it "
                              f"(invokes of {LiteRTRuntime.MAX_BATCH}){tag}", "litert", top, BATCH, isa=isa,
                              base=True))
        for runtime in ("litert", "onnxruntime"):
            name = {"litert": "LiteRT (bundled file)", "onnxruntime": "ONNX Runtime"}[runtime]
            for t in threads:
                for b in batches:
                    label = f"{name}, {t} thread{'s' if t > 1 else ''}, batch {b}{tag}"
                    configs.append(Config(label, runtime, t, b, isa=isa,
                                          max_batch=b if runtime == "litert" else None))
    return configs


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


def _real_slices(n: int, paths: list[Path]) -> np.ndarray:
    """n mel slices of real tracks as the app cuts them (10 excerpts a track), from tracks spread evenly
    over ``paths``."""
    from fmaplayer.ml import features

    tracks = max(1, min(len(paths), -(-n // 10)))
    chosen = [paths[i] for i in np.linspace(0, len(paths) - 1, tracks).round().astype(int)]
    x = np.concatenate([features.track_slices(p, 10) for p in chosen]).astype(np.float32)
    return x[np.linspace(0, len(x) - 1, min(n, len(x))).round().astype(int)]


def _load(runtime: str, threads: int, xla: bool, tflite: str | None = None, max_batch: int | None = None):
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
    rt = runtime_mod.load_one(runtime, model, m, threads=threads)
    if max_batch and runtime == "litert":
        rt.MAX_BATCH = max_batch  # one invoke per batch of this size (the app: several of LiteRT.MAX_BATCH)
    return rt


def child(spec: dict) -> None:
    """One configuration in its own process: load, warm up, then one timed pass per "run" line on stdin
    (the parent interleaves the configurations' passes, so a noisy moment hits them all alike)."""
    t0 = time.perf_counter()
    rt = _load(spec["runtime"], spec["threads"], spec["xla"], spec.get("tflite"), spec.get("max_batch"))
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

    def __init__(self, index: int, cfg: Config, slices_path: Path, tmp: Path, isa_env: dict[str, str]):
        self.cfg = cfg
        self.result = tmp / f"r{index}.npz"
        spec = {"runtime": cfg.runtime, "threads": cfg.threads, "batch": cfg.batch, "xla": cfg.xla,
                "slices": str(slices_path), "result": str(self.result), "tflite": cfg.tflite,
                "max_batch": cfg.max_batch}
        env = {**os.environ, **cfg.env, **(isa_env if cfg.isa == "avx2" else {})}
        self.proc = subprocess.Popen([sys.executable, __file__, "--child", json.dumps(spec)], cwd=ROOT,
                                     env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.info = json.loads(line) if line.startswith("{") else None
        self.passes: list[float] = []

    def one_pass(self) -> None:
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        self.passes.append(float(self.proc.stdout.readline()))

    def finish(self) -> dict:
        row = {"label": self.cfg.label, "runtime": self.cfg.runtime, "isa": self.cfg.isa}
        if self.info is None:
            self.proc.kill()
            reason = (self.proc.communicate()[1].strip().splitlines() or ["failed"])[-1]
            return {**row, "error": reason}
        self.proc.communicate("stop\n")
        data = np.load(self.result)
        return {**row, "threads": self.cfg.threads, "batch": self.cfg.batch, "env": self.cfg.env,
                "xla": self.cfg.xla, "max_batch": self.cfg.max_batch, "timed": self.cfg.timed,
                "base": self.cfg.base, "impl": self.info["name"],
                "tensorflow_imported": self.info["tensorflow_imported"],
                "load_s": self.info["load_s"], "passes_s": self.passes,
                "_emb": data["emb"], "_genre": data["genre"]}


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.where(den > 0, (a * b).sum(axis=1) / np.maximum(den, 1e-30), 1.0)


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slices", type=int, default=128)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--only", help="comma-separated runtimes to run (tensorflow,litert,onnxruntime)")
    parser.add_argument("--out", default="bench-results/runtimes.json")
    parser.add_argument("--tflite", action="append", default=[], metavar="LABEL=FILE",
                        help="also time this .tflite export of the bundled model (LiteRT, 2 threads, "
                             "batch 16)")
    real_tracks.add_arguments(parser)  # --files, --debian: slices of real tracks
    parser.add_argument("--grid", action="store_true",
                        help="the choosable runtimes at each thread count and batch size "
                             "(TensorFlow: reference only)")
    parser.add_argument("--threads", default="1,2", help="thread counts for --grid")
    parser.add_argument("--batches", default="8,16,32,64", help="batch sizes for --grid")
    parser.add_argument("--isa", default="native", choices=("native", "avx2", "both"),
                        help="avx2: children see an AVX2-only CPU (CPUID masked, benchmarks/isa.py)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    isas = ["native", "avx2"] if args.isa == "both" else [args.isa]
    isa_env: dict[str, str] = {}
    if "avx2" in isas:
        from benchmarks.isa import avx2_only_env

        isa_env = avx2_only_env()
    if args.grid:
        configs = grid_configs(_ints(args.threads), _ints(args.batches), isas)
    else:
        configs = default_configs(set(args.only.split(",")) if args.only else None, args.tflite)
        configs = [Config(**{**asdict(c), "isa": isa, "label": c.label + ("" if isa == "native" else
                                                                          " [AVX2 only]")})
                   for isa in isas for c in configs]
    info = machine()
    real = real_tracks.cases(args)
    source = real[0][0] if real else "generated music-like audio"
    print(f"machine: {info['cpu']}, {info['cores']} cores, flags {' '.join(info['cpu_flags']) or '-'}, "
          f"load average {info['load_avg_1m']:.2f}; {args.slices} slices of {source}, "
          f"median of {args.reps} passes" + (f"; instruction sets {', '.join(isas)}" if args.isa != "native"
                                            else ""))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        x = _real_slices(args.slices, real[0][1]) if real else _slices(args.slices, tmp)
        np.save(tmp / "slices.npy", x)
        children = [_Child(i, c, tmp / "slices.npy", tmp, isa_env) for i, c in enumerate(configs)]
        for _ in range(args.reps):
            for c in children:
                if c.info is not None and c.cfg.timed:
                    c.one_pass()
        rows = [c.finish() for c in children]
    reference = next((r for r in rows
                      if r["runtime"] == "tensorflow" and "_emb" in r and r["isa"] == "native"), None)
    bases = {r["isa"]: r for r in rows if r.get("base") and r.get("passes_s")}
    print(f"{'configuration':<62} {'slices/s':>9} {'range':>11} {'vs base':>7} {'load s':>7} "
          f"{'min cos':>8} {'max |dp|':>9}")
    for row in rows:
        if "error" in row:
            print(f"{row['label']:<62} unavailable: {row['error']}")
            continue
        if reference is not None and row is not reference:
            row["min_cosine_vs_keras"] = float(_cosines(row["_emb"], reference["_emb"]).min())
            row["max_abs_genre_prob_diff_vs_keras"] = float(np.abs(row["_genre"] - reference["_genre"]).max())
        if not row["passes_s"]:
            continue
        rates = [len(x) / p for p in row["passes_s"]]
        row["slices_per_s"] = float(np.median(rates))
        row["slices_per_s_range"] = [float(min(rates)), float(max(rates))]
        base = bases.get(row["isa"])
        ratio = row["slices_per_s"] / (len(x) / np.median(base["passes_s"])) if base else float("nan")
        row["ratio_vs_base"] = ratio
        spread = f"{min(rates):.0f}-{max(rates):.0f}"
        print(f"{row['label']:<62} {row['slices_per_s']:9.1f} {spread:>11} "
              f"{ratio:7.2f} {row['load_s']:7.2f} {row.get('min_cosine_vs_keras', float('nan')):8.5f} "
              f"{row.get('max_abs_genre_prob_diff_vs_keras', float('nan')):9.1e}")
    for row in rows:
        row.pop("_emb", None)
        row.pop("_genre", None)
    out = write_json({"machine": info, "slices": len(x), "slices_from": source, "reps": args.reps,
                      "isas": isas, "isa_env": isa_env, "rows": rows, "date": time.strftime("%Y-%m-%d"),
                      "load_avg_1m_after": os.getloadavg()[0]}, args.out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
