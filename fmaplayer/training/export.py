"""Turn a training run into a bundled model: <models>/<name>.keras (no optimizer state) + manifest,
and the .keras into the files the light runtimes run (<name>.tflite for LiteRT, <name>.onnx for ONNX Runtime).

    python -m fmaplayer.training.export --run /work/runs/cnn_lstm [--models models] [--metrics report.json]
    python -m fmaplayer.training.export --runtimes [--model models/cnn_lstm.keras]   # the exported files only

Re-run it whenever the weights change: it recomputes the sha256s that the Embedder checks. Exporting
needs TensorFlow and tf2onnx (the `export` extra); running the exported files needs neither.

The LiteRT file is int8 dynamic-range (weights int8, activations quantised per batch at run time by
XNNPACK) except the first LITERT_FLOAT_CONVS convolutions, which stay float32: it runs the forward pass
faster, and it is written only if its embeddings pass the parity check on music-like slices; else the
float32 file is written (README, "Quantised LiteRT exports").
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from fmaplayer.ml import features
from fmaplayer.ml import manifest as manifest_mod
from fmaplayer.ml.runtime import OUTPUT_NAMES

MODEL_VERSION = "1.0.0"
EXPORTED_SUFFIX = {"litert": ".tflite", "onnxruntime": ".onnx"}
PARITY_MIN_COSINE = 0.999  # an export whose embeddings drift further is refused
# Quantising either of the first two convolutions drops real clips' slice cosine to 0.995-0.9987
# (100 mer4q clips); with both in float32 the lowest was 0.99994.
LITERT_FLOAT_CONVS = 2


def export_run(
    run_dir: str | Path,
    models_dir: str | Path | None = None,
    name: str | None = None,
    checkpoint: str = "best.keras",
    metrics: dict | None = None,
) -> Path:
    import keras

    from fmaplayer.ml.models import EMBEDDING_LAYER, build_model

    run_dir = Path(run_dir)
    config = json.loads((run_dir / "config.json").read_text())
    state = json.loads((run_dir / "state.json").read_text())
    arch = config["arch"]
    name = name or arch
    models_dir = Path(models_dir or manifest_mod.models_dir())
    models_dir.mkdir(parents=True, exist_ok=True)
    trained = keras.saving.load_model(run_dir / checkpoint, compile=False)
    # a fresh, uncompiled copy holds no optimizer state: the file stays small
    model = build_model(arch, len(config["genres"]), len(config["moods"]))
    model.set_weights(trained.get_weights())
    target = models_dir / f"{name}.keras"
    tmp = models_dir / f".{name}.tmp.keras"
    model.save(tmp)
    tmp.replace(target)
    emb_dim = int(model.get_layer(EMBEDDING_LAYER).output.shape[-1])
    old = {}
    mpath = manifest_mod.manifest_path_for(target)
    if mpath.exists():
        try:
            old = json.loads(mpath.read_text())
        except ValueError:
            old = {}
    best = next((h for h in state["history"] if h["epoch"] == state.get("best_epoch")), {})
    manifest = {
        "name": name,
        "version": MODEL_VERSION,
        "architecture": arch,
        "parameters": model.count_params(),
        "weights_file": target.name,
        "sha256": manifest_mod.sha256_of(target),
        "keras_version": keras.__version__,
        "trained_with_backend": config.get("backend"),
        "input": {
            **features.feature_params(),
            "shape": [128, 128, 1],
            "layout": "mel bands x frames x 1",
            "normalisation": "inside the model: Rescaling layer 'db_scale' ((dB + 30) / 20)",
        },
        "genres": config["genres"],
        "moods": config["moods"],
        "outputs": {
            "genre": "softmax over genres",
            **({"mood": "softmax over emotion quadrants (Russell)"} if config["moods"] else {}),
        },
        "embedding": {
            "layer": EMBEDDING_LAYER,
            "dim": emb_dim,
            "track_vector": "mean over the track's slices, then L2-normalised",
        },
        "training": {
            "data": "../shared/data: mer4q (900 30-s clips; 538 with a single core genre, all with a "
            "quadrant) + gtzan-classical (81 15-s clips)",
            "split": "by artist, stratified by genre (quadrant for genre-less artists), seed "
            f"{config.get('seed')}, 70/15/15",
            "summary": config.get("data_summary"),
            "epochs_run": state["epochs_done"],
            "best_epoch": state.get("best_epoch"),
            "best_val_loss": state.get("best_val_loss"),
            "best_epoch_metrics": {k: round(v, 4) for k, v in best.items() if isinstance(v, float)},
            "hyperparameters": {
                k: config.get(k)
                for k in ("lr", "batch_size", "augment", "mixup", "crops_per_clip", "mood_head", "patience")
            },
            "class_weights": dict(zip(config["genres"], config.get("class_weights", []), strict=False)),
        },
        "metrics": metrics if metrics is not None else old.get("metrics", {}),
        "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    manifest_mod.write_manifest(mpath, manifest)
    export_runtimes(target)
    return target


def runtime_graph(model, manifest: dict):
    """The same layers and weights with each LSTM unrolled (its 4 steps as plain ops: no TensorList,
    which LiteRT's builtin ops lack) and the outputs the runtimes return, named."""
    import keras

    config = model.get_config()
    for layer in config["layers"]:
        inner = layer["config"].get("layer", {}) if layer["class_name"] == "Bidirectional" else layer
        for lstm in (inner, layer["config"].get("backward_layer") or {}):
            if lstm.get("class_name") in ("LSTM", "GRU"):
                lstm["config"]["unroll"] = True
    unrolled = keras.Model.from_config(config)
    unrolled.set_weights(model.get_weights())
    layers = [manifest["embedding"]["layer"], "genre", "mood"][: 3 if manifest["moods"] else 2]
    pairs = zip(OUTPUT_NAMES, layers, strict=False)
    outputs = {name: unrolled.get_layer(layer).output for name, layer in pairs}
    return keras.Model(unrolled.input, outputs)


def _litert_variants(graph, workdir: Path) -> list[tuple[str, bytes]]:
    """The LiteRT flatbuffers to try, preferred first: (variant, bytes)."""
    import tensorflow as tf

    saved = workdir / "saved_model"
    graph.export(str(saved), format="tf_saved_model", verbose=False)
    plain = tf.lite.TFLiteConverter.from_saved_model(str(saved)).convert()
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]  # dynamic range: int8 weights
    quantised = _float_convs(converter.convert(), plain, LITERT_FLOAT_CONVS)
    variant = f"int8 dynamic-range, first {LITERT_FLOAT_CONVS} convolutions float32"
    return [(variant, quantised), ("float32", plain)] if quantised else [("float32", plain)]


def _float_convs(quantised: bytes, plain: bytes, n: int) -> bytes | None:
    """The dynamic-range model with its first n CONV_2D filters put back in float32 from the float model
    (same tensor names); None if a filter cannot be matched."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils as fb

    model, source = fb.convert_bytearray_to_object(quantised), fb.convert_bytearray_to_object(plain)
    by_name = {t.name: t for t in source.subgraphs[0].tensors}
    graph, done = model.subgraphs[0], 0
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex]
        if done == n or max(code.builtinCode, code.deprecatedBuiltinCode) != schema.BuiltinOperator.CONV_2D:
            continue
        done += 1
        weights = graph.tensors[op.inputs[1]]
        if weights.type != schema.TensorType.INT8:
            continue  # left in float by the converter already
        original = by_name.get(weights.name)
        if original is None or original.type != schema.TensorType.FLOAT32:
            return None
        weights.type, weights.quantization = schema.TensorType.FLOAT32, None
        model.buffers[weights.buffer].data = source.buffers[original.buffer].data
    return bytes(fb.convert_object_to_bytearray(model))


def _onnx_variants(graph, workdir: Path) -> list[tuple[str, bytes]]:
    target = workdir / "model.onnx"
    graph.export(str(target), format="onnx", verbose=False)  # keras' own export (tf2onnx underneath)
    return [("float32", target.read_bytes())]


def _music_like_slices(n_clips: int = 2) -> np.ndarray:
    """Slices of generated music-like audio (a tone with harmonics and vibrato, noise-burst beats) through
    the real feature pipeline: quantisation error depends on the input's range, and uniform noise is not
    what real slices look like."""
    rng, sr = np.random.default_rng(0), features.SAMPLE_RATE
    t = np.arange(30 * sr) / sr
    out = []
    for _ in range(n_clips):
        f0 = rng.uniform(100, 600)
        y = sum(0.2 / k * np.sin(2 * np.pi * k * f0 * t + 3 * np.sin(2 * np.pi * 5 * t)) for k in range(1, 5))
        y = y * (1 + 0.5 * np.sin(2 * np.pi * 0.25 * t))
        y += 0.1 * (np.sin(2 * np.pi * 2 * t) > 0.9) * rng.standard_normal(len(t))
        out.append(features.slices_from_audio(y.astype(np.float32), 8))
    return np.concatenate(out)


def _parity(reference, name: str, path: Path, manifest: dict, batch: np.ndarray) -> float:
    """Lowest per-slice cosine between the exported file's embeddings and the Keras model's."""
    from fmaplayer.ml import runtime

    try:
        exported = runtime.load_one(name, path.with_suffix(".keras"), manifest, threads=1)
    except runtime.RuntimeUnavailable as exc:  # a variant the runtime rejects fails the check
        print(f"{path.name}: {exc}")
        return -1.0
    ref, got = reference, exported.run(batch)[0]
    num = (ref * got).sum(axis=1)
    den = np.linalg.norm(ref, axis=1) * np.linalg.norm(got, axis=1)
    return float(np.min(np.where(den > 0, num / np.maximum(den, 1e-30), 1.0)))


def export_runtimes(model_path: str | Path | None = None, names=tuple(EXPORTED_SUFFIX)) -> dict:
    """Writes <model>.tflite / <model>.onnx beside the .keras and lists them in its manifest with their
    sha256 and the .keras' sha256; each is checked against Keras on music-like slices before it is
    listed, and the first variant that passes is the one written."""
    import tempfile

    import keras

    model_path = Path(model_path or manifest_mod.bundled_model_path())
    mpath = manifest_mod.manifest_path_for(model_path)
    manifest = manifest_mod.load_manifest(mpath)
    source = manifest_mod.sha256_of(model_path)
    if source != manifest["sha256"]:
        raise SystemExit(f"{model_path} does not match its manifest's sha256: export the run first")
    model = keras.saving.load_model(model_path, compile=False)
    graph = runtime_graph(model, manifest)
    batch = _music_like_slices()
    reference = np.asarray(graph.predict_on_batch(batch)["embedding"])
    variants = {"litert": _litert_variants, "onnxruntime": _onnx_variants}
    entries = dict(manifest.get("runtimes") or {})
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            target = model_path.with_suffix(EXPORTED_SUFFIX[name])
            failed = []
            for variant, content in variants[name](graph, Path(tmp)):
                target.write_bytes(content)
                entries[name] = {"file": target.name, "sha256": manifest_mod.sha256_bytes(content),
                                 "source_sha256": source, "bytes": len(content), "variant": variant}
                cosine = _parity(reference, name, target, {**manifest, "runtimes": entries}, batch)
                if cosine >= PARITY_MIN_COSINE:
                    break
                failed.append(f"{variant}: {cosine:.5f}")
                print(f"{target.name} {variant}: embedding cosine {cosine:.5f} with Keras < "
                      f"{PARITY_MIN_COSINE}; trying the next variant")
            else:  # the manifest still lists the old file's sha256: the runtime refuses this one
                raise SystemExit(f"{target.name}: no variant passes the parity check ({'; '.join(failed)})")
            entries[name]["export_check_min_cosine"] = round(cosine, 6)
    manifest["runtimes"] = entries
    manifest_mod.write_manifest(mpath, manifest)
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fmaplayer.training.export")
    parser.add_argument("--run", help="training run folder (has best.keras, config.json)")
    parser.add_argument("--runtimes", action="store_true",
                        help="only (re-)export the LiteRT and ONNX files of an exported .keras")
    parser.add_argument("--model", help="the .keras for --runtimes (default: the bundled model)")
    parser.add_argument("--models", help="output folder (default: the repository's models/)")
    parser.add_argument("--name", help="model name (default: the architecture)")
    parser.add_argument("--checkpoint", default="best.keras")
    parser.add_argument("--metrics", help="JSON file whose content becomes the manifest's metrics")
    args = parser.parse_args(argv)
    if args.runtimes:
        for name, entry in export_runtimes(args.model).items():
            print(f"{name}: wrote {entry['file']} ({entry['variant']}, {entry['bytes'] / 2**20:.1f} MiB, "
                  f"min cosine with Keras {entry['export_check_min_cosine']})")
        return 0
    if not args.run:
        parser.error("--run is required (or --runtimes)")
    metrics = json.loads(Path(args.metrics).read_text()) if args.metrics else None
    target = export_run(args.run, args.models, args.name, args.checkpoint, metrics)
    print(f"wrote {target} and {manifest_mod.manifest_path_for(target)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
