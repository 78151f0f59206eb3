"""`fmaplayer train`: train one architecture on a labelled collection, resumably.

A run folder (--out) holds split.json (artist-stratified, fixed seed), config.json, state.json
(history, best epoch), train.log, last.keras (every epoch, optimizer included) and best.keras (lowest
validation loss). Running the same command again resumes from last.keras. Only stdlib at import time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ARCHS = ("cnn_lstm", "cnn", "cnn_bilstm", "crnn")


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        required=True,
        help="dataset: FMA root, GTZAN tree, labels.csv, or "
        "a folder of collections with labels.csv each (e.g. ../shared/data)",
    )
    parser.add_argument("--arch", choices=ARCHS, default="cnn_lstm")
    parser.add_argument("--epochs", type=int, default=30, help="maximum epochs (total, across resumes)")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="random crops, gain, frequency/time masks (default on)",
    )
    parser.add_argument("--mixup", type=float, default=0.0, help="mixup alpha (0 = off)")
    parser.add_argument("--crops-per-clip", type=int, default=4, help="training slices per clip per epoch")
    parser.add_argument(
        "--mood-head",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="second softmax head for the emotion quadrant (uses clips without a genre)",
    )
    parser.add_argument("--patience", type=int, default=5, help="early stopping patience (epochs)")
    parser.add_argument(
        "--lr-patience",
        type=int,
        default=2,
        help="halve the learning rate after this many epochs without improvement",
    )
    parser.add_argument("--set-lr", type=float, help="on resume, replace the optimizer's learning rate")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--split", help="reuse this split.json instead of computing one")
    parser.add_argument("--cache", help="feature cache folder (outside the repo)")
    parser.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="continue from <out>/last.keras when present (default on)",
    )
    parser.add_argument("--out", required=True, help="run folder (outside the repo)")


class Logger:
    def __init__(self, path: Path):
        self.fh = open(path, "a", buffering=1, encoding="utf-8")

    def __call__(self, msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        self.fh.write(line + "\n")


def prepare_data(data: str, out: Path, seed: int, split_path: str | None, cache: str | None, log):
    """Items, split (written to out/split.json with paths relative to the data root) and cached mels."""
    from fmaplayer.training import datasets, feature_cache

    root = Path(data)
    items = datasets.load_dataset(root)
    base = root if root.is_dir() else root.parent
    rel = {it.path: os.path.relpath(it.path, base) for it in items}
    if split_path:
        by_rel = datasets.read_split(split_path)
        split = {it.path: by_rel[rel[it.path]] for it in items if rel[it.path] in by_rel}
    else:
        split = datasets.artist_split(items, seed=seed)
    datasets.write_split({rel[p]: s for p, s in split.items()}, out / "split.json", seed=seed)
    entries = feature_cache.build_cache([it.path for it in items], cache, log=log)
    items = [it for it in items if it.path in entries and it.path in split]
    mels = feature_cache.load_mels(entries)
    return items, split, mels


def run(name: str, args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = Logger(out / "train.log")
    log(f"fmaplayer train {' '.join(sys.argv[2:]) if len(sys.argv) > 2 else ''}".strip())

    import keras

    from fmaplayer.ml.models import build_model
    from fmaplayer.training import datasets, training

    keras.utils.set_random_seed(args.seed)
    items, split, mels = prepare_data(args.data, out, args.seed, args.split, args.cache, log)
    parts = {p: [it for it in items if split[it.path] == p] for p in ("train", "val", "test")}
    labels = training.LabelSpace.from_items(parts["train"], args.mood_head)
    train_items = parts["train"] if labels.moods else [it for it in parts["train"] if it.genre]
    val_items = parts["val"] if labels.moods else [it for it in parts["val"] if it.genre]
    cw = training.class_weights(train_items, labels)
    info = datasets.summary(items, split)
    config = {k: v for k, v in vars(args).items() if k != "func"}
    config.update(
        genres=labels.genres,
        moods=labels.moods,
        class_weights=[round(float(w), 3) for w in cw],
        data_summary=info,
        keras_version=keras.__version__,
        backend=keras.backend.backend(),
    )
    (out / "config.json").write_text(json.dumps(config, indent=1))
    log(
        f"{len(train_items)} training clips, {len(val_items)} validation clips; genres {labels.genres}; "
        f"moods {labels.moods}; class weights {config['class_weights']}"
    )

    state = training.RunState(out)
    if args.resume and (out / "last.keras").exists() and state.data["epochs_done"] > 0:
        model = keras.saving.load_model(out / "last.keras")
        log(f"resuming after epoch {state.data['epochs_done']}")
        if args.set_lr:
            model.optimizer.learning_rate.assign(args.set_lr)
            log(f"learning rate set to {args.set_lr}")
    else:
        state = training.RunState.__new__(training.RunState)
        state.path = out / "state.json"
        state.data = {
            "epochs_done": 0,
            "best_val_loss": None,
            "best_epoch": None,
            "bad_epochs": 0,
            "history": [],
        }
        model = build_model(args.arch, len(labels.genres), len(labels.moods))
        training.compile_model(model, args.lr, bool(labels.moods))
        log(f"built {args.arch}: {model.count_params():,} parameters")
    if state.data["epochs_done"] >= args.epochs or state.data["bad_epochs"] >= args.patience:
        log("nothing to do: epoch budget used or early stopping already reached")
        return 0
    seq = training.make_train_sequence(
        train_items,
        mels,
        labels,
        cw,
        args.batch_size,
        args.crops_per_clip,
        args.augment,
        args.mixup,
        seed=args.seed + state.data["epochs_done"],
    )
    validation = None
    if val_items:
        xv, yv, wv, _ = training.make_eval_arrays(val_items, mels, labels)
        validation = (xv, yv, wv)
    else:
        log("warning: no validation clips (collection too small): checkpoints follow the training loss")
    log(f"{len(seq)} batches per epoch, {len(validation[0]) if validation else 0} validation slices")
    callbacks = training.make_callbacks(out, state, args.patience, log, args.lr_patience)
    verbose = 1 if sys.stdout.isatty() else 2
    model.fit(
        seq,
        validation_data=validation,
        epochs=args.epochs,
        initial_epoch=state.data["epochs_done"],
        callbacks=callbacks,
        verbose=verbose,
        validation_batch_size=64,
    )
    log(f"done: best epoch {state.data['best_epoch']} val loss {state.data['best_val_loss']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m fmaplayer.cli.train ...` (same options as `fmaplayer train`)."""
    parser = argparse.ArgumentParser(prog="fmaplayer train")
    add_arguments("train", parser)
    return run("train", parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
