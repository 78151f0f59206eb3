"""Training data pipeline and the resumable fit loop (Keras 3, backend-agnostic).

Training slices are random 128-frame crops of the cached whole-clip spectrograms (with augmentation:
gain, one frequency mask, one time mask, optional mixup of genre-labelled pairs); validation and test
slices are the fixed consecutive slices that inference uses. Genre-less clips still train the mood head:
their genre sample weight is 0. Genre classes are balanced with class weights.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fmaplayer.ml import features
from fmaplayer.training.datasets import Item

MOODS = ("Q1", "Q2", "Q3", "Q4")
SILENCE_DB = 10 * math.log10(features.AMIN)


@dataclass
class LabelSpace:
    genres: list[str]
    moods: list[str] = field(default_factory=list)

    @classmethod
    def from_items(cls, items: list[Item], use_moods: bool) -> LabelSpace:
        genres = sorted({it.genre for it in items if it.genre})
        moods = sorted({it.mood for it in items if it.mood}) if use_moods else []
        return cls(genres, moods)


def class_weights(items: list[Item], labels: LabelSpace, cap: float = 8.0) -> np.ndarray:
    """Balanced weights n / (k * n_c), capped so a class of a handful of clips does not dominate."""
    counts = np.array([sum(1 for it in items if it.genre == g) for g in labels.genres], float)
    w = counts.sum() / (len(counts) * np.maximum(counts, 1))
    return np.minimum(w, cap).astype(np.float32)


def eval_slices(mel: np.ndarray, n_slices: int = features.DEFAULT_SLICES) -> np.ndarray:
    return features.slices_from_mel(mel.astype(np.float32), n_slices)


def _targets(item: Item, labels: LabelSpace, cw: np.ndarray):
    yg = np.zeros(len(labels.genres), np.float32)
    wg = 0.0
    if item.genre in labels.genres:
        gi = labels.genres.index(item.genre)
        yg[gi], wg = 1.0, float(cw[gi])
    ym = np.zeros(max(1, len(labels.moods)), np.float32)
    wm = 0.0
    if labels.moods and item.mood in labels.moods:
        ym[labels.moods.index(item.mood)], wm = 1.0, 1.0
    return yg, wg, ym, wm


def make_train_sequence(
    items, mels, labels, cw, batch_size=32, crops_per_clip=4, augment=True, mixup=0.0, seed=0
):
    import keras

    class TrainSlices(keras.utils.PyDataset):
        """Each epoch: `crops_per_clip` random crops per clip, shuffled."""

        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            self.rng = np.random.default_rng(seed)
            self.targets = [_targets(it, labels, cw) for it in items]
            self.on_epoch_end()

        def on_epoch_end(self):
            order = np.repeat(np.arange(len(items)), crops_per_clip)
            self.rng.shuffle(order)
            self.order = order

        def __len__(self):
            return math.ceil(len(self.order) / batch_size)

        def _crop(self, i):
            mel = mels[items[i].path]
            t = mel.shape[1]
            if t <= features.SLICE_FRAMES:
                return eval_slices(mel, 1)[0, ..., 0]
            start = self.rng.integers(0, t - features.SLICE_FRAMES + 1) if augment else 0
            x = mel[:, start : start + features.SLICE_FRAMES].astype(np.float32)
            if augment:
                x = x + self.rng.uniform(-6, 6)  # gain in dB
                f0 = self.rng.integers(0, 128 - 12)
                x[f0 : f0 + self.rng.integers(0, 12)] = SILENCE_DB
                t0 = self.rng.integers(0, 128 - 12)
                x[:, t0 : t0 + self.rng.integers(0, 12)] = SILENCE_DB
            return x

        def __getitem__(self, b):
            idx = self.order[b * batch_size : (b + 1) * batch_size]
            x = np.stack([self._crop(i) for i in idx])[..., np.newaxis]
            rows = zip(*(self.targets[i] for i in idx), strict=True)
            yg, wg, ym, wm = (np.array(v, np.float32) for v in rows)
            if mixup > 0:  # mix genre-labelled slices with a shuffled partner; weights average
                lam = self.rng.beta(mixup, mixup, size=len(idx)).astype(np.float32)
                perm = self.rng.permutation(len(idx))
                # dB domain mix is a crude but cheap stand-in for mixing audio
                x = lam[:, None, None, None] * x + (1 - lam[:, None, None, None]) * x[perm]
                yg = lam[:, None] * yg + (1 - lam[:, None]) * yg[perm]
                ym = lam[:, None] * ym + (1 - lam[:, None]) * ym[perm]
                wg = np.where((wg > 0) & (wg[perm] > 0), lam * wg + (1 - lam) * wg[perm], 0)
                wm = np.where((wm > 0) & (wm[perm] > 0), 1.0, 0.0).astype(np.float32)
            y = {"genre": yg}
            w = {"genre": wg}
            if labels.moods:
                y["mood"], w["mood"] = ym, wm
            return x, y, w

    return TrainSlices()


def make_eval_arrays(items, mels, labels, cw=None):
    """Fixed slices for validation: (x, y dict, w dict, clip index per slice)."""
    cw = cw if cw is not None else np.ones(len(labels.genres), np.float32)
    xs, owners = [], []
    for i, it in enumerate(items):
        s = eval_slices(mels[it.path])
        xs.append(s)
        owners.extend([i] * len(s))
    x = np.concatenate(xs)
    owners = np.array(owners)
    per_clip = [_targets(it, labels, np.ones_like(cw)) for it in items]
    yg, wg, ym, wm = (np.array(v, np.float32)[owners] for v in zip(*per_clip, strict=True))
    y, w = {"genre": yg}, {"genre": wg}
    if labels.moods:
        y["mood"], w["mood"] = ym, wm
    return x, y, w, owners


def compile_model(model, lr: float, has_mood: bool, mood_weight: float = 0.5):
    import keras

    losses = {"genre": "categorical_crossentropy"}
    weights = {"genre": 1.0}
    metrics = {"genre": ["accuracy"]}
    if has_mood:
        losses["mood"] = "categorical_crossentropy"
        weights["mood"] = mood_weight
        metrics["mood"] = ["accuracy"]
    # weighted: genre-less clips (weight 0) must not count as genre errors
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss=losses,
        loss_weights=weights,
        weighted_metrics=metrics,
    )


class RunState:
    """state.json in the run folder: epochs done, best val loss, history; survives interruptions."""

    def __init__(self, run_dir: Path):
        self.path = run_dir / "state.json"
        self.data = (
            json.loads(self.path.read_text())
            if self.path.exists()
            else {"epochs_done": 0, "best_val_loss": None, "best_epoch": None, "bad_epochs": 0, "history": []}
        )

    def save(self):
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1))
        tmp.replace(self.path)


def make_callbacks(run_dir: Path, state: RunState, patience: int, log, lr_patience: int = 2,
                   monitor: str = "val_loss"):
    import keras

    class Checkpointer(keras.callbacks.Callback):
        """Saves last.keras every epoch (optimizer included) and best.keras on a new best `monitor`
        (validation loss by default); stops after `patience` epochs without improvement."""

        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.time()

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items()}
            logs["epoch"], logs["seconds"] = epoch + 1, round(time.time() - self.t0, 1)
            d = state.data
            d["history"].append(logs)
            d["epochs_done"] = epoch + 1
            vl = logs.get(monitor, logs.get("val_loss", logs.get("loss")))
            improved = vl is not None and (d["best_val_loss"] is None or vl < d["best_val_loss"] - 1e-4)
            self.model.save(run_dir / "last.tmp.keras")
            (run_dir / "last.tmp.keras").replace(run_dir / "last.keras")
            if improved:
                d["best_val_loss"], d["best_epoch"], d["bad_epochs"] = vl, epoch + 1, 0
                self.model.save(run_dir / "best.tmp.keras")
                (run_dir / "best.tmp.keras").replace(run_dir / "best.keras")
            else:
                d["bad_epochs"] += 1
                if lr_patience and d["bad_epochs"] % lr_patience == 0:  # plateau: halve the step size
                    lr = self.model.optimizer.learning_rate
                    new_lr = max(float(keras.ops.convert_to_numpy(lr)) / 2, 1e-5)
                    lr.assign(new_lr)
                    log(f"no improvement for {d['bad_epochs']} epochs: learning rate -> {new_lr:.2e}")
            logs["lr"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            state.save()
            shown = ", ".join(f"{k}={v:.4f}" for k, v in logs.items() if "loss" in k or "acc" in k)
            log(f"epoch {epoch + 1}: {shown} ({logs['seconds']} s){' *best*' if improved else ''}")
            if d["bad_epochs"] >= patience:
                log(f"early stopping: no val loss improvement for {patience} epochs")
                self.model.stop_training = True

    return [Checkpointer()]
