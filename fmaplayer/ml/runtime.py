"""Runtimes for the bundled model's forward pass, behind one small interface, chosen once per Embedder.

A runtime takes a batch of mel slices (n, 128, 128, 1) float32 in dB and returns the embedding
(n, dim), the genre probabilities (n, n_genres) and the mood probabilities (n, n_moods) or None.

- `litert`: LiteRT (ai-edge-litert) with its default XNNPACK delegate, on models/<name>.tflite (int8
  dynamic-range where that passes the export's parity check: XNNPACK's int8 kernels, faster here).
- `onnxruntime`: ONNX Runtime's CPU provider, on models/<name>.onnx.
- `tensorflow`: Keras on TensorFlow with the .keras file itself: the fallback, and the choice when a
  CUDA GPU is present (the exported files are CPU-only paths here).

On the CPU the first light runtime that loads is used: LiteRT on the bundled file was the fastest in
every configuration measured (1 and 2 threads, batches 8-64, with AVX-512 VNNI and with the CPU masked
to AVX2: benchmarks/bench_runtimes.py --grid --isa both; README "Speed on a 2-core CPU"), and ONNX
Runtime's arena peaks at about 1.1 GB where LiteRT's stays near 0.2 GB. Where that ranking may not hold,
$FMAPLAYER_RUNTIME_CALIBRATION=on measures instead: on first use every light runtime that loads is timed
on the bundled model (`calibrate`, under a second), each checked against the float32 export's outputs
(slice cosine >= 0.999) before it may be chosen, and the choice is cached in the user's cache folder per
CPU (model name, instruction-set flags, cores), model, exported files and runtime versions.

The exported files are the same layers and weights as the .keras (fmaplayer/training/export.py unrolls the
LSTMs so that no TensorList ops remain); the manifest lists each with its sha256 and the sha256 of the
.keras it came from. A missing, damaged or stale exported file is logged and the next runtime is tried.
Only the `tensorflow` runtime imports TensorFlow: on the light paths it is never loaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import platform
import time
from pathlib import Path
from typing import Protocol

import numpy as np

from fmaplayer.errors import ModelLoadError
from fmaplayer.ml import manifest as manifest_mod

log = logging.getLogger(__name__)

# The order runtimes are tried in on the CPU (fastest first wherever measured); with
# $FMAPLAYER_RUNTIME_CALIBRATION=on the light ones are ranked by measuring them here (`calibrate`).
CPU_ORDER = ("litert", "onnxruntime", "tensorflow")
LIGHT = ("litert", "onnxruntime")
RUNTIME_ENV = "FMAPLAYER_RUNTIME"  # force one runtime by name (debugging, benchmarks)
THREADS_ENV = "FMAPLAYER_RUNTIME_THREADS"  # the light runtimes' thread count
CALIBRATE_ENV = "FMAPLAYER_RUNTIME_CALIBRATION"  # "on": measure the light runtimes here (off by default)
OUTPUT_NAMES = ("embedding", "genre", "mood")  # the exported graphs' output names
INPUT_SHAPE = (128, 128, 1)  # one slice: mel bands x frames x 1


class RuntimeUnavailable(Exception):
    """This runtime cannot run the model here (not installed, file missing/damaged, no GPU)."""


Outputs = tuple[np.ndarray, np.ndarray, np.ndarray | None]


class Runtime(Protocol):
    name: str  # what runs the model, for logs and benchmarks: "LiteRT (XNNPACK, 2 threads)"
    device: str  # where, for the user: "CPU", "GPU:0 (NVIDIA ...)"
    choice: str  # why load_runtime chose it ("measured fastest on this CPU: ..."), or ""

    def run(self, batch: np.ndarray) -> Outputs: ...


def default_threads() -> int:
    """The light runtimes' threads: every core (decoding and the forward pass take turns), or
    $FMAPLAYER_RUNTIME_THREADS."""
    try:
        return max(1, int(os.environ.get(THREADS_ENV) or os.cpu_count() or 1))
    except ValueError:
        return max(1, os.cpu_count() or 1)


# -- exported files ----------------------------------------------------------------------------------
def exported_model_bytes(model_path: Path, manifest: dict, key: str) -> bytes:
    """The bytes of the file the manifest lists for runtime `key`, checked; RuntimeUnavailable if not."""
    entry = (manifest.get("runtimes") or {}).get(key)
    if not entry:
        raise RuntimeUnavailable(f"the manifest lists no exported file for {key}")
    path = Path(model_path).parent / entry["file"]
    if entry.get("source_sha256") != manifest["sha256"]:
        raise RuntimeUnavailable(
            f"{path.name} was exported from other weights (re-run fmaplayer.training.export)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RuntimeUnavailable(f"{path} is missing or unreadable: {exc}") from exc
    if manifest_mod.sha256_bytes(data) != entry["sha256"]:
        raise RuntimeUnavailable(f"{path} is damaged: its sha256 does not match the manifest")
    return data


def _check_outputs(names, has_mood: bool, what: str) -> None:
    wanted = set(OUTPUT_NAMES[: 3 if has_mood else 2])
    if not wanted <= set(names):
        raise RuntimeUnavailable(f"{what} lacks outputs {sorted(wanted - set(names))}")


class LiteRTRuntime:
    """LiteRT with XNNPACK; one interpreter per batch shape, so alternating sizes never re-plan.

    Allocating an interpreter's tensors holds the GIL for a time that grows with the batch (8: 34 ms,
    16: 40 ms, 32: 73 ms, 64: 137 ms on 2 cores), which stalls the UI thread, and each shape's arena
    costs memory (about 4 MB a slice). So the two shapes used are allocated here, while the model loads,
    and larger batches run as several invokes of MAX_BATCH (batch 16 is as fast as 64 here:
    benchmarks/bench_runtimes.py).
    """

    MAX_BATCH = 16
    PREPARED = (8, 16)
    choice = ""  # why this runtime was chosen (load_runtime), for logs and benchmarks

    def __init__(self, model_path: Path, manifest: dict, threads: int | None = None):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise RuntimeUnavailable(f"ai-edge-litert is not installed ({exc})") from exc
        self._content = exported_model_bytes(model_path, manifest, "litert")
        self._threads = threads or default_threads()
        self._has_mood = bool(manifest["moods"])
        self._make = lambda: Interpreter(model_content=self._content, num_threads=self._threads)
        try:
            probe = self._make()  # creating one packs the weights for XNNPACK (GIL held): reuse it below
            signature = probe.get_signature_runner()
        except (ValueError, RuntimeError) as exc:  # a flatbuffer the interpreter rejects
            raise RuntimeUnavailable(f"LiteRT cannot load the model: {exc}") from exc
        inputs, outputs = signature.get_input_details(), signature.get_output_details()
        del signature  # it holds views of the probe's tensors, which would forbid resizing it
        if len(inputs) != 1:
            raise RuntimeUnavailable("the LiteRT model must have one input")
        _check_outputs(outputs, self._has_mood, "the LiteRT model")
        self._input = next(iter(inputs.values()))["index"]
        names = OUTPUT_NAMES[: 3 if self._has_mood else 2]
        self._outputs = [outputs[name]["index"] for name in names]
        self._interpreters: dict[int, object] = {}
        for size in self.PREPARED:
            self._interpreter(size, probe if size == self.PREPARED[0] else None)
        variant = manifest["runtimes"]["litert"].get("variant", "float32")
        self.name = f"LiteRT (XNNPACK, {self._threads} thread{'s' if self._threads > 1 else ''}, {variant})"
        self.device = "CPU"

    def _interpreter(self, size: int, fresh=None):
        interpreter = self._interpreters.get(size)
        if interpreter is None:
            interpreter = fresh or self._make()
            interpreter.resize_tensor_input(self._input, [size, *INPUT_SHAPE])
            interpreter.allocate_tensors()
            self._interpreters[size] = interpreter
        return interpreter

    def _invoke(self, batch: np.ndarray) -> list[np.ndarray]:
        interpreter = self._interpreter(len(batch))
        interpreter.set_tensor(self._input, np.ascontiguousarray(batch, np.float32))
        interpreter.invoke()
        return [interpreter.get_tensor(index) for index in self._outputs]

    def run(self, batch: np.ndarray) -> Outputs:
        parts = [self._invoke(batch[i : i + self.MAX_BATCH]) for i in range(0, len(batch), self.MAX_BATCH)]
        out = [np.concatenate(column) if len(parts) > 1 else column[0] for column in zip(*parts, strict=True)]
        return out[0], out[1], out[2] if self._has_mood else None


class OnnxRuntime:
    """ONNX Runtime, CPU execution provider."""

    choice = ""

    def __init__(self, model_path: Path, manifest: dict, threads: int | None = None):
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise RuntimeUnavailable(f"onnxruntime is not installed ({exc})") from exc
        content = exported_model_bytes(model_path, manifest, "onnxruntime")
        threads = threads or default_threads()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings about unused initialisers are not the user's business
        try:
            self._session = ort.InferenceSession(content, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own Fail/InvalidGraph types
            raise RuntimeUnavailable(f"ONNX Runtime cannot load the model: {exc}") from exc
        self._has_mood = bool(manifest["moods"])
        names = [o.name for o in self._session.get_outputs()]
        _check_outputs(names, self._has_mood, "the ONNX model")
        self._outputs = list(OUTPUT_NAMES[: 3 if self._has_mood else 2])
        self._input = self._session.get_inputs()[0].name
        self.name = f"ONNX Runtime ({threads} thread{'s' if threads > 1 else ''})"
        self.device = "CPU"

    def run(self, batch: np.ndarray) -> Outputs:
        res = self._session.run(self._outputs, {self._input: np.ascontiguousarray(batch, np.float32)})
        return res[0], res[1], res[2] if self._has_mood else None


# -- TensorFlow / Keras --------------------------------------------------------------------------------
class KerasRuntime:
    """The .keras file on Keras/TensorFlow: on a GPU when one is visible (unless device == "cpu")."""

    choice = ""

    def __init__(self, model_path: Path, manifest: dict, device: str = "auto", require_gpu: bool = False):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        try:
            import keras
        except ImportError as exc:
            raise RuntimeUnavailable(f"Keras/TensorFlow is not installed: {exc}") from exc
        manifest_mod.check_keras_version(manifest, keras.__version__)
        self._tf_device = _select_device(device) if keras.backend.backend() == "tensorflow" else "CPU"
        if require_gpu and not self._tf_device.startswith("/GPU"):
            raise RuntimeUnavailable("TensorFlow sees no GPU")
        self.device = _device_label(self._tf_device)
        try:
            with self._device_scope():
                model = keras.saving.load_model(model_path, compile=False)
                emb = model.get_layer(manifest["embedding"]["layer"])
                outs = [emb.output, model.get_layer("genre").output]
                self._has_mood = bool(manifest["moods"])
                if self._has_mood:
                    outs.append(model.get_layer("mood").output)
                self._net = keras.Model(model.input, outs)
        except Exception as exc:  # zip/h5/deserialisation errors from Keras
            raise ModelLoadError(f"cannot load model {model_path}: {exc}") from exc
        self.name = f"TensorFlow {_tf_version()} (Keras {keras.__version__})"

    def _device_scope(self):
        if self._tf_device == "CPU":
            import contextlib

            return contextlib.nullcontext()
        import tensorflow as tf

        return tf.device(self._tf_device)

    def run(self, batch: np.ndarray) -> Outputs:
        with self._device_scope():
            res = self._net.predict_on_batch(batch)  # compiled graph, not eager layer calls
        res = [np.asarray(r) for r in res]
        return res[0], res[1], res[2] if self._has_mood else None


def _tf_version() -> str:
    try:
        import tensorflow as tf

        return tf.__version__
    except ImportError:
        return ""


def _select_device(device: str) -> str:
    """The device string for tf.device: the first GPU unless device == 'cpu' or there is none."""
    import tensorflow as tf

    if device.lower() == "cpu":
        return "/CPU:0"
    gpus = tf.config.list_physical_devices("GPU")
    return "/GPU:0" if gpus else "/CPU:0"


def _device_label(tf_device: str) -> str:
    if tf_device.startswith("/GPU"):
        try:
            import tensorflow as tf

            details = tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0])
            return f"GPU:0 ({details.get('device_name', 'GPU')})"
        except Exception:  # noqa: BLE001 - the label is cosmetic
            return "GPU:0"
    return "CPU"


# -- choosing ------------------------------------------------------------------------------------------
def cuda_gpu_present() -> bool:
    """An NVIDIA driver and TensorFlow are installed (checked without importing TensorFlow)."""
    driver = Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidiactl").exists()
    return driver and importlib.util.find_spec("tensorflow") is not None


def load_one(name: str, model_path: Path, manifest: dict, device: str = "cpu", threads: int | None = None):
    """Loads runtime `name`; RuntimeUnavailable (or ModelLoadError from Keras) when it cannot."""
    if name == "litert":
        return LiteRTRuntime(model_path, manifest, threads)
    if name == "onnxruntime":
        return OnnxRuntime(model_path, manifest, threads)
    if name == "tensorflow":
        return KerasRuntime(model_path, manifest, device)
    if name == "tensorflow-gpu":
        return KerasRuntime(model_path, manifest, device, require_gpu=True)
    raise ModelLoadError(f"unknown runtime {name!r}; choose from {', '.join(CPU_ORDER)}")


def load_runtime(model_path: str | Path, manifest: dict, device: str = "auto", runtime: str = "auto"):
    """The runtime the Embedder uses: `runtime` (or $FMAPLAYER_RUNTIME) when named, else TensorFlow on
    a CUDA GPU, else the light runtime measured fastest on this CPU (`choose_light`), else TensorFlow.
    Raises ModelLoadError when none can run it."""
    model_path = Path(model_path)
    runtime = (os.environ.get(RUNTIME_ENV) or runtime or "auto").lower()
    if runtime != "auto":
        try:
            return load_one(runtime, model_path, manifest, device)
        except RuntimeUnavailable as exc:
            raise ModelLoadError(f"runtime {runtime} cannot run the model: {exc}") from exc
    gpu_first = device.lower() != "cpu" and cuda_gpu_present()
    reasons: list[str] = []

    def attempt(name: str):
        try:
            return load_one(name, model_path, manifest, device)
        except RuntimeUnavailable as exc:
            log.warning("forward pass: %s unavailable (%s); trying the next runtime", name, exc)
            reasons.append(f"{name}: {exc}")
            return None

    chosen = attempt("tensorflow-gpu") if gpu_first else None
    if chosen is None:
        chosen = choose_light(model_path, manifest, attempt)
    for name in CPU_ORDER:
        if chosen is None and name not in LIGHT:
            chosen = attempt(name)
    if chosen is None:
        raise ModelLoadError("no runtime can run the model: " + "; ".join(reasons))
    log.info("forward pass on %s, %s%s", chosen.name, chosen.device,
             f" ({chosen.choice})" if getattr(chosen, "choice", "") else "")
    return chosen


# -- measuring the light runtimes on this machine ---------------------------------------------------------
CALIBRATION_VERSION = 1
CALIBRATION_BATCH = 16  # LiteRT's invoke size; the Embedder's batches of 32 and 64 run as several of it
CALIBRATION_BUDGET_S = 0.6  # timed rounds stop once this much has gone by (at least one round each)
CALIBRATION_MAX_ROUNDS = 5
TIE_MARGIN = 0.10  # a runtime must be this much faster than the one before it in LIGHT to be chosen
# (ONNX Runtime's arena peaks at ~1.1 GB with the Embedder's batches of 64, LiteRT's at ~0.2 GB)
MIN_COSINE = 0.999  # slice cosine with the float32 export's output, as the export's own check
_chosen_here: dict[str, str] = {}  # this process's choices by key: every Embedder here runs the same one


def calibration_slices(n: int = CALIBRATION_BATCH) -> np.ndarray:
    """n mel slices (float32 dB) of generated music-like audio: harmonic tones that change every slice,
    noise-burst beats and a quiet stretch, through the app's own feature code. Deterministic."""
    from fmaplayer.ml import features

    rng = np.random.default_rng(2024)
    sr, length = features.SAMPLE_RATE, features.SLICE_SAMPLES
    t = (np.arange(length) / sr).astype(np.float32)
    parts = []
    for i in range(n):
        f0 = np.float32(55.0 * 2 ** (i * 7 % 36 / 12))
        y = (np.sin(2 * np.pi * f0 * t) + 0.5 * np.sin(4 * np.pi * f0 * t) + 0.3 * np.sin(6 * np.pi * f0 * t))
        beat = (np.mod(t, np.float32(60.0 / (80 + 10 * i))) < 0.04) * rng.standard_normal(length, np.float32)
        parts.append((0.15 * y + 0.4 * beat) * np.float32(0.02 if i % 5 == 4 else 1.0))
    return features.slices_from_audio(np.concatenate(parts).astype(np.float32), n)


def cpu_signature() -> dict:
    """What decides which kernels the runtimes run: the CPU's model name, the instruction-set extensions
    this process sees (numpy's run-time detection) and the core count."""
    flags: list[str] = []
    try:
        from numpy._core import _multiarray_umath as umath  # numpy 2
    except ImportError:  # pragma: no cover - numpy 1
        from numpy.core import _multiarray_umath as umath
    features = getattr(umath, "__cpu_features__", {})
    flags = sorted(k for k, v in features.items() if v)
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"model": model, "machine": platform.machine(), "flags": flags, "cores": os.cpu_count()}


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version({"litert": "ai-edge-litert", "onnxruntime": "onnxruntime"}[name])
    except PackageNotFoundError:
        return ""


def calibration_key(manifest: dict, threads: int) -> tuple[str, dict]:
    """(hash, what it hashes): the CPU, the model and its exported files, the runtimes' versions, threads."""
    exported = {k: (v or {}).get("sha256", "")[:16] for k, v in (manifest.get("runtimes") or {}).items()}
    what = {"cpu": cpu_signature(), "model": manifest_mod.model_id(manifest), "exported": exported,
            "versions": {name: _dist_version(name) for name in LIGHT}, "threads": threads,
            "calibration": CALIBRATION_VERSION}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:20], what


def cache_path() -> Path:
    import appdirs

    return Path(appdirs.user_cache_dir("fmaplayer", appauthor=False)) / "runtime-choice.json"


def _read_cache() -> dict:
    try:
        data = json.loads(cache_path().read_text())
        return data if isinstance(data, dict) and isinstance(data.get("choices"), dict) else {"choices": {}}
    except (OSError, ValueError):
        return {"choices": {}}


def _write_cache(key: str, entry: dict) -> None:
    data = _read_cache()
    data["choices"][key] = entry
    path = cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, path)
    except OSError as exc:  # an unwritable cache only means measuring again next time
        log.warning("cannot cache the runtime choice in %s: %s", path, exc)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    live = np.linalg.norm(b, axis=1) > 1e-6  # an all-zero ReLU row has no direction
    a, b = a[live].astype(np.float64), b[live].astype(np.float64)
    return (a * b).sum(axis=1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-30)


def calibrate(runtimes: dict[str, Runtime], manifest: dict, x: np.ndarray | None = None,
              budget_s: float = CALIBRATION_BUDGET_S, clock=time.perf_counter) -> dict:
    """Measure loaded light runtimes (in LIGHT's order) on the same slices: the parity of each with the
    float32 export's outputs (its slice cosine must be >= MIN_COSINE to be chosen) and slices/s: each
    runtime in a block of its own (a warm-up run, which also gives the parity outputs, then timed runs;
    the best counts), so the threads one runtime leaves spinning after its run slow only the next one's
    warm-up. Interleaving single runs instead favoured ONNX Runtime by 20-40 % on 2 cores. A block has
    at least 2 timed runs and stops after budget_s / len(runtimes). Returns {"chosen", "slices_per_s",
    "min_cosine", "rejected", "batch", "seconds"}; "chosen" is None when none passed."""
    t_start = clock()
    x = calibration_slices() if x is None else x
    entries = manifest.get("runtimes") or {}
    outputs: dict[str, np.ndarray] = {}
    best = dict.fromkeys(runtimes, float("inf"))
    share = budget_s / max(1, len(runtimes))
    for name, rt in runtimes.items():
        outputs[name] = rt.run(x)[0]  # warm-up, and the parity outputs
        block_start = clock()
        for i in range(CALIBRATION_MAX_ROUNDS):
            t0 = clock()
            rt.run(x)
            best[name] = min(best[name], clock() - t0)
            if i >= 1 and clock() - block_start > share:
                break
    exact = [n for n in runtimes if str((entries.get(n) or {}).get("variant", "float32")) == "float32"]
    rejected: dict[str, str] = {}
    min_cos: dict[str, float] = {}
    for name in runtimes:
        exported_check = (entries.get(name) or {}).get("export_check_min_cosine")
        if exported_check is not None and float(exported_check) < MIN_COSINE:
            rejected[name] = f"its export's parity check gave {exported_check}"
        if exact:
            cos = _cosines(outputs[name], outputs[exact[0]])
            min_cos[name] = round(float(cos.min()), 6) if len(cos) else 1.0
            if min_cos[name] < MIN_COSINE:
                rejected[name] = f"slice cosine {min_cos[name]} with {exact[0]} < {MIN_COSINE}"
    rates = {name: round(len(x) / sec, 1) for name, sec in best.items()}
    chosen = None
    for name in runtimes:  # in LIGHT's order: a later one must beat the choice by TIE_MARGIN
        if name in rejected:
            continue
        if chosen is None or rates[name] > rates[chosen] * (1 + TIE_MARGIN):
            chosen = name
    return {"chosen": chosen, "slices_per_s": rates, "min_cosine": min_cos, "rejected": rejected,
            "batch": len(x), "seconds": round(clock() - t_start, 3)}


def choose_light(model_path: Path, manifest: dict, attempt):
    """The light runtime for this machine, loaded (None when none loads): the first in LIGHT that loads;
    with $FMAPLAYER_RUNTIME_CALIBRATION=on, the cached choice for this CPU, model and runtime versions,
    else the one `calibrate` finds fastest among those that load and pass the parity check (then cached).
    `attempt(name)` loads a runtime or returns None (and logs why)."""
    threads = default_threads()
    calibrating = (os.environ.get(CALIBRATE_ENV) or "off").lower() in ("on", "1", "yes")
    key, what = calibration_key(manifest, threads) if calibrating else ("", {})
    known = _chosen_here.get(key) or (_read_cache()["choices"].get(key) or {}).get("chosen")
    if calibrating and known in LIGHT:
        chosen = attempt(known)
        if chosen is not None:
            chosen.choice = f"measured fastest on this CPU earlier ({cache_path()})"
            _chosen_here[key] = known
            return chosen
    loaded = {}
    for name in LIGHT:
        if calibrating and name == known:  # it was just tried and did not load
            continue
        rt = attempt(name)
        if rt is not None:
            loaded[name] = rt
            if not calibrating:
                rt.choice = "the first light runtime that loads (fastest wherever measured)"
                return rt
    if not loaded:
        return None
    if len(loaded) == 1:
        only = next(iter(loaded.values()))
        only.choice = "the only light runtime that loads"
        return only
    t0 = time.perf_counter()
    result = calibrate(loaded, manifest)
    name = result["chosen"]
    if name is None:  # none passed the parity check: keep the order, and say so
        log.warning("forward pass: no light runtime passed the parity check (%s)", result["rejected"])
        name = next(iter(loaded))
    rates = ", ".join(f"{n} {r} slices/s" for n, r in result["slices_per_s"].items())
    log.info("forward pass: measured on this CPU in %.2f s: %s; chose %s%s", time.perf_counter() - t0,
             rates, name, f" (rejected: {result['rejected']})" if result["rejected"] else "")
    _write_cache(key, {**result, "chosen": name, "key": what, "date": time.strftime("%Y-%m-%d %H:%M:%S")})
    _chosen_here[key] = name
    chosen = loaded[name]
    chosen.choice = f"measured fastest on this CPU: {rates}"
    return chosen
