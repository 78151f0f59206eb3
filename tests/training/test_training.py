"""A tiny training run on generated audio: the loss goes down, checkpoints and the split are written."""

import csv
import json

import numpy as np

from fmaplayer.ml import features
from fmaplayer.ml.models import build_model
from fmaplayer.training import datasets, training
from tests.audio_generated import noise, tone, write_audio


def test_tiny_training_run_lowers_the_loss(tmp_path, keras_seeded):
    # two trivially separable classes: low tones vs. loud noise
    items, mels = [], {}
    for i in range(4):
        for genre, y in (("tone", tone(3.2, 200 + 50 * i)), ("noise", noise(3.2, seed=i))):
            path = str(tmp_path / f"{genre}{i}.wav")
            items.append(datasets.Item(path, genre, None, f"artist{i}"))
            mels[path] = features.mel_db(y)
    labels = training.LabelSpace.from_items(items, use_moods=False)
    cw = training.class_weights(items, labels)
    seq = training.make_train_sequence(
        items, mels, labels, cw, batch_size=8, crops_per_clip=1, augment=False, seed=0
    )
    model = build_model("crnn", len(labels.genres))
    training.compile_model(model, lr=3e-3, has_mood=False)
    history = model.fit(seq, epochs=4, verbose=0).history["loss"]
    assert history[-1] < history[0]


def test_train_command_writes_split_checkpoints_and_resumes(tmp_path, keras_seeded):
    from fmaplayer.cli import train as train_cli

    data = tmp_path / "data"
    data.mkdir()
    with open(data / "labels.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "label", "artist"])
        for i in range(8):
            for genre, y in (("tone", tone(3.2, 300 + 20 * i)), ("noise", noise(3.2, seed=i))):
                write_audio(data / f"{genre}{i}.wav", y)
                w.writerow([f"{genre}{i}.wav", genre, f"{genre}-artist{i // 2}"])
    out = tmp_path / "run"
    argv = [
        "--data",
        str(data),
        "--arch",
        "crnn",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--crops-per-clip",
        "1",
        "--no-mood-head",
        "--cache",
        str(tmp_path / "cache"),
        "--out",
        str(out),
    ]
    assert train_cli.main(argv) == 0
    for name in ("split.json", "config.json", "state.json", "last.keras", "best.keras", "train.log"):
        assert (out / name).exists(), name
    split = datasets.read_split(out / "split.json")
    assert set(split) == {f"{g}{i}.wav" for g in ("tone", "noise") for i in range(8)}
    assert json.loads((out / "state.json").read_text())["epochs_done"] == 1
    # resuming with the same budget does no work; the state is kept
    assert train_cli.main(argv) == 0
    assert "nothing to do" in (out / "train.log").read_text()
    assert np.isfinite(json.loads((out / "state.json").read_text())["history"][0]["loss"])
