"""Runtimes for the bundled model's forward pass, behind one small interface, chosen once per Embedder.

A runtime takes a batch of mel slices (n, 128, 128, 1) float32 in dB and returns the embedding
(n, dim), the genre probabilities (n, n_genres) and the mood probabilities (n, n_moods) or None.

- `litert`: LiteRT (ai-edge-litert) with its default XNNPACK delegate, on models/<name>.tflite (int8
  dynamic-range where that passes the export's parity check: XNNPACK's int8 kernels, faster here).
- `onnxruntime`: ONNX Runtime's CPU provider, on models/<name>.onnx.
- `tensorflow`: Keras on TensorFlow with the .keras file itself: the fallback, and the choice when a
  CUDA GPU is present (the exported files are CPU-only paths here).

The exported files are the same layers and weights as the .keras (fmaplayer/training/export.py unrolls the
LSTMs so that no TensorList ops remain); the manifest lists each with its sha256 and the sha256 of the
.keras it came from. A missing, damaged or stale exported file is logged and the next runtime is tried.
Only the `tensorflow` runtime imports TensorFlow: on the light paths it is never loaded.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from fmaplayer.errors import ModelLoadError
from fmaplayer.ml import manifest as manifest_mod

log = logging.getLogger(__name__)

# Fastest first on the CPU (benchmarks/bench_runtimes.py; README "Benchmarks").
CPU_ORDER = ("litert", "onnxruntime", "tensorflow")
RUNTIME_ENV = "FMAPLAYER_RUNTIME"  # force one runtime by name (debugging, benchmarks)
THREADS_ENV = "FMAPLAYER_RUNTIME_THREADS"  # the light runtimes' thread count
OUTPUT_NAMES = ("embedding", "genre", "mood")  # the exported graphs' output names
INPUT_SHAPE = (128, 128, 1)  # one slice: mel bands x frames x 1


class RuntimeUnavailable(Exception):
    """This runtime cannot run the model here (not installed, file missing/damaged, no GPU)."""


Outputs = tuple[np.ndarray, np.ndarray, np.ndarray | None]


class Runtime(Protocol):
    name: str  # what runs the model, for logs and benchmarks: "LiteRT (XNNPACK, 2 threads)"
    device: str  # where, for the user: "CPU", "GPU:0 (NVIDIA ...)"

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
    a CUDA GPU, else the fastest that loads on the CPU. Raises ModelLoadError when none can run it."""
    model_path = Path(model_path)
    runtime = (os.environ.get(RUNTIME_ENV) or runtime or "auto").lower()
    if runtime != "auto":
        try:
            return load_one(runtime, model_path, manifest, device)
        except RuntimeUnavailable as exc:
            raise ModelLoadError(f"runtime {runtime} cannot run the model: {exc}") from exc
    gpu_first = device.lower() != "cpu" and cuda_gpu_present()
    order = ("tensorflow-gpu", *CPU_ORDER) if gpu_first else CPU_ORDER
    reasons = []
    for name in order:
        try:
            chosen = load_one(name, model_path, manifest, device)
        except RuntimeUnavailable as exc:
            log.warning("forward pass: %s unavailable (%s); trying the next runtime", name, exc)
            reasons.append(f"{name}: {exc}")
            continue
        log.info("forward pass on %s, %s", chosen.name, chosen.device)
        return chosen
    raise ModelLoadError("no runtime can run the model: " + "; ".join(reasons))
