"""Turn a training run into a bundled model: <models>/<name>.keras (no optimizer state) + manifest.

    python -m fmaplayer.ml.export --run /work/runs/cnn_lstm [--models models] [--metrics report.json]

Re-run it whenever the weights change: it recomputes the sha256 that the Embedder checks.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from fmaplayer.ml import features
from fmaplayer.ml import manifest as manifest_mod

MODEL_VERSION = "1.0.0"


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
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fmaplayer.ml.export")
    parser.add_argument("--run", required=True, help="training run folder (has best.keras, config.json)")
    parser.add_argument("--models", help="output folder (default: the repository's models/)")
    parser.add_argument("--name", help="model name (default: the architecture)")
    parser.add_argument("--checkpoint", default="best.keras")
    parser.add_argument("--metrics", help="JSON file whose content becomes the manifest's metrics")
    args = parser.parse_args(argv)
    metrics = json.loads(Path(args.metrics).read_text()) if args.metrics else None
    target = export_run(args.run, args.models, args.name, args.checkpoint, metrics)
    print(f"wrote {target} and {manifest_mod.manifest_path_for(target)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
