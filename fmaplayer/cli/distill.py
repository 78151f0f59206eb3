"""`fmaplayer distill`: teacher targets and student training (training-time only; never run by the app).

    python -m fmaplayer.training.debian_music --out ~/.cache/fmaplayer-debian-music      # unlabelled audio
    fmaplayer distill targets --data ../shared/data --extra ~/.cache/fmaplayer-debian-music
    fmaplayer distill train   --data ../shared/data --extra ... --init models/cnn_lstm.keras --out RUN

`targets` runs the musicnn teacher (needs `pip install --no-deps musicnn tf_keras`) in a child process
with TF_USE_LEGACY_KERAS=1; `train` fine-tunes the CNN-LSTM on the cached targets, resumably (RUN holds
state.json, last.keras, best.keras, train.log as `fmaplayer train` does). The labelled collections are
split by artist with the same seed as the bundled model, so the test split never trains anything;
checkpoints are chosen on the validation split. Only stdlib at import time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

SEED = 20261122
MODEL_VERSION = "2.1.0"
LOSS_WEIGHTS = {"teacher": 1.0, "tags": 0.5, "genre": 0.2, "mood": 0.1}


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("step", choices=("targets", "train", "export"))
    parser.add_argument("--data", required=True, help="labelled collections (e.g. ../shared/data)")
    parser.add_argument("--extra", help="unlabelled audio from `python -m fmaplayer.training.debian_music`")
    parser.add_argument("--cache", help="distillation cache folder (outside the repo)")
    parser.add_argument("--max-segments", type=int, default=10, help="30-s segments per long track")
    parser.add_argument("--init", help="start from this .keras model (e.g. the bundled one)")
    parser.add_argument("--out", help="run folder for `train` (outside the repo)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--crops", type=int, default=3, help="random crops per segment per epoch")
    parser.add_argument("--weights", default=json.dumps(LOSS_WEIGHTS), help="loss weights as JSON")
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--lr-patience", type=int, default=2, help="halve the lr after N bad epochs")
    parser.add_argument("--monitor", default="val_teacher_loss",
                        help="validation figure that picks the checkpoint (the teacher term generalises; "
                             "the genre term over-fits the few labelled clips)")
    parser.add_argument("--models", help="`export`: output folder (default: the repository's models/)")
    parser.add_argument("--checkpoint", default="best.keras", help="`export`: which checkpoint of --out")
    parser.add_argument("--model-version", default=MODEL_VERSION, help="`export`: the manifest's version")
    parser.add_argument("--runtimes", action=argparse.BooleanOptionalAction, default=True,
                        help="`export`: also write the LiteRT/ONNX files the app runs on the CPU")


def sources(data: str, extra: str | None):
    """Labelled clips (artist split) + unlabelled tracks (Debian training packages) + unseen packages."""
    from fmaplayer.training import datasets, debian_music
    from fmaplayer.training.distill import Source

    items = datasets.load_dataset(Path(data))
    split = datasets.artist_split(items, seed=SEED)
    out = [Source(it.path, split[it.path], it.genre, it.mood, it.artist) for it in items if it.path in split]
    if extra:
        for held_out, part in ((False, "unlabelled"), (True, "unseen")):
            for f in debian_music.tracks(Path(extra), held_out=held_out):
                out.append(Source(str(f), part, group=f.parent.name))
    return out


def _targets(args) -> int:
    from fmaplayer.training import distill

    cache = Path(args.cache) if args.cache else distill.default_cache_dir()
    srcs = sources(args.data, args.extra)
    entries = distill.build_cache(srcs, args.max_segments, cache)
    print(f"{len(entries)} of {len(srcs)} files have teacher targets in {cache}", flush=True)
    return 0


def _train(args) -> int:
    from fmaplayer.cli.train import Logger

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = Logger(out / "train.log")
    import keras
    import numpy as np

    from fmaplayer.training import distill, training

    keras.utils.set_random_seed(SEED)
    cache = Path(args.cache) if args.cache else distill.default_cache_dir()
    srcs = sources(args.data, args.extra)
    entries = {s.path: cache / f"{distill.cache_key(s.path, args.max_segments)}.npz" for s in srcs}
    entries = {p: t for p, t in entries.items() if t.exists()}
    segs = distill.load_segments(srcs, entries)
    train = [s for s in segs if s.source.part in ("train", "unlabelled")]
    val = [s for s in segs if s.source.part == "val"]
    centre = distill.teacher_centre(train)
    np.save(out / "teacher_centre.npy", centre)
    init = keras.saving.load_model(args.init, compile=False) if args.init else None
    genres = sorted({s.source.genre for s in train if s.source.genre})
    moods = sorted({s.source.mood for s in train if s.source.mood})
    labelled = [s for s in train if s.source.genre]
    cw = training.class_weights([s.source for s in labelled], training.LabelSpace(genres, moods))
    hours = sum(s.mel.shape[1] for s in train) * 512 / 22050 / 3600
    summary = {
        "train_segments": len(train),
        "train_hours": round(hours, 2),
        "labelled_train_clips": len({s.source.path for s in labelled}),
        "unlabelled_tracks": len({s.source.path for s in train if s.source.part == "unlabelled"}),
        "val_clips": len(val),
        "crops_per_epoch": len(train) * args.crops,
        "genres": genres,
        "moods": moods,
        "loss_weights": json.loads(args.weights),
    }
    (out / "config.json").write_text(json.dumps({**vars(args), **summary}, indent=1, default=str))
    log(f"distillation data: {json.dumps(summary)}")
    state = training.RunState(out)
    if (out / "last.keras").exists() and state.data["epochs_done"] > 0:
        model = keras.saving.load_model(out / "last.keras", compile=False)
        log(f"resuming after epoch {state.data['epochs_done']}")
    else:
        from fmaplayer.ml.models import build_model

        base = init or build_model("cnn_lstm", len(genres), len(moods))
        has_heads = "teacher" in [layer.name for layer in base.layers]  # continuing an earlier distillation
        model = base if has_heads else distill.add_distillation_heads(base)
    distill.compile_student(model, args.lr, json.loads(args.weights))
    if (out / "optimizer_lr.json").exists():
        model.optimizer.learning_rate.assign(json.loads((out / "optimizer_lr.json").read_text())["lr"])
    if state.data["epochs_done"] >= args.epochs or state.data["bad_epochs"] >= args.patience:
        log("nothing to do: epoch budget used or early stopping reached")
        return 0
    seq = distill.make_sequence(train, centre, genres, moods, cw, args.batch_size, args.crops,
                                seed=SEED + state.data["epochs_done"])
    xv, yv, wv = distill.eval_arrays(val, centre, genres, moods)
    log(f"{len(seq)} batches per epoch, {len(xv)} validation slices")

    class SaveLr(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            (out / "optimizer_lr.json").write_text(json.dumps({"lr": lr}))

    callbacks = [*training.make_callbacks(out, state, args.patience, log, lr_patience=args.lr_patience,
                                          monitor=args.monitor), SaveLr()]
    model.fit(seq, validation_data=(xv, yv, wv), epochs=args.epochs, initial_epoch=state.data["epochs_done"],
              callbacks=callbacks, verbose=2, validation_batch_size=64)
    log(f"done: best epoch {state.data['best_epoch']} val loss {state.data['best_val_loss']}")
    return 0


def _export(args) -> int:
    import time

    import keras
    import numpy as np

    from fmaplayer.ml import features
    from fmaplayer.ml import manifest as manifest_mod
    from fmaplayer.training import datasets, debian_music, distill, distill_eval, teacher

    run_dir = Path(args.out)
    config = json.loads((run_dir / "config.json").read_text())
    state = json.loads((run_dir / "state.json").read_text())
    trained = keras.saving.load_model(run_dir / args.checkpoint, compile=False)
    model = distill.inference_model(trained)
    models_dir = Path(args.models or manifest_mod.models_dir())
    target = models_dir / f"{manifest_mod.BUNDLED_NAME}.keras"
    tmp = models_dir / f".{target.stem}.tmp.keras"
    model.save(tmp)
    tmp.replace(target)
    model = keras.saving.load_model(target, compile=False)  # what the app will load

    cache = Path(args.cache) if args.cache else distill.default_cache_dir()
    srcs = sources(args.data, args.extra)
    entries = {s.path: cache / f"{distill.cache_key(s.path, args.max_segments)}.npz" for s in srcs}
    segs = distill.load_segments(srcs, {p: t for p, t in entries.items() if t.exists()})

    def per_source(parts, n_slices):
        groups: dict[str, list] = {}
        for seg in segs:
            if seg.source.part in parts:
                groups.setdefault(seg.source.path, []).append(seg)
        slices = [np.concatenate([features.slices_from_mel(g.mel.astype(np.float32), n_slices) for g in gs])
                  for gs in groups.values()]
        return [gs[0].source for gs in groups.values()], slices

    # the model's own centre: the mean unit track vector of its training audio (calibration prior)
    _, train_slices = per_source(("train", "unlabelled"), 3)
    vec, _ = distill_eval.model_outputs(model, train_slices)
    centre = distill.unit(vec).mean(axis=0)
    # the genre threshold, chosen on the validation clips only
    val_src, val_slices = per_source(("val",), features.DEFAULT_SLICES)
    keep = [i for i, s in enumerate(val_src) if s.genre in config["genres"]]
    _, probs = distill_eval.model_outputs(model, [val_slices[i] for i in keep])
    y = np.array([config["genres"].index(val_src[i].genre) for i in keep])
    threshold = distill_eval.choose_threshold(probs, y)
    shown = distill_eval.shown_accuracy(probs, y, threshold)

    items = datasets.load_dataset(Path(args.data))
    split = datasets.artist_split(items, seed=SEED)
    base = Path(args.data)
    datasets.write_split({os.path.relpath(p, base): v for p, v in split.items()}, run_dir / "split.json",
                         seed=SEED)
    old = json.loads(manifest_mod.manifest_path_for(target).read_text())
    best = next((h for h in state["history"] if h["epoch"] == state.get("best_epoch")), {})
    init_label = f"{old['name']} {old['version']}" if config.get("init") else "random initialisation"
    manifest = {
        **old,
        "version": args.model_version,
        "parameters": model.count_params(),
        "sha256": manifest_mod.sha256_of(target),
        "keras_version": keras.__version__,
        "trained_with_backend": keras.backend.backend(),
        "genre_threshold": threshold,
        "genre_threshold_validation": shown,
        "embedding": {**old["embedding"], "centre": [round(float(c), 6) for c in centre]},
        "training": {
            "method": "distillation of musicnn MSD_musicnn (teacher) into the CNN-LSTM (student), "
                      f"fine-tuned from {init_label}: cosine loss of a linear 32->200 projection against "
                      "the teacher's centred penultimate layer + BCE on its 50 tag probabilities + genre and "
                      "quadrant cross-entropy on the labelled training clips",
            "teacher": {"name": teacher.MODEL, "package": "musicnn 0.1.0 (PyPI)", "licence": "ISC",
                        "copyright": teacher.COPYRIGHT},
            "data": {k: config.get(k) for k in ("train_segments", "train_hours", "labelled_train_clips",
                                                "unlabelled_tracks", "val_clips", "crops_per_epoch")},
            "unlabelled_audio": "Debian game-music packages (fmaplayer.training.debian_music), held out: "
                                + ", ".join(debian_music.HELD_OUT),
            "split": old["training"].get("split"),
            "summary": old["training"].get("summary"),
            "epochs_run": state["epochs_done"],
            "best_epoch": state.get("best_epoch"),
            "best_val_loss": state.get("best_val_loss"),
            "best_epoch_metrics": {k: round(v, 4) for k, v in best.items() if isinstance(v, float)},
            "hyperparameters": {
                k: config.get(k) for k in ("lr", "batch_size", "crops", "weights", "max_segments")
            },
        },
        "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    manifest_mod.write_manifest(manifest_mod.manifest_path_for(target), manifest)
    print(f"wrote {target}; genre threshold {threshold} (validation: {shown})")
    if args.runtimes:  # the .tflite/.onnx must come from these weights, or the app falls back to TensorFlow
        from fmaplayer.training import export

        for name, entry in export.export_runtimes(target).items():
            print(f"{name}: wrote {entry['file']} (min cosine with Keras {entry['export_check_min_cosine']})")
    return 0


def run(name: str, args: argparse.Namespace) -> int:
    if args.step == "targets" and os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
        argv = sys.argv[sys.argv.index("targets"):]  # from `fmaplayer distill` or `-m ...distill_cli`
        return subprocess.call([sys.executable, "-m", "fmaplayer.cli.distill", *argv], env=env)
    return {"targets": _targets, "train": _train, "export": _export}[args.step](args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fmaplayer distill")
    add_arguments("distill", parser)
    return run("distill", parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
