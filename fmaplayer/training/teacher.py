"""The distillation teacher: musicnn's MSD tagger (Pons & Serra, ISC licence), training and evaluation only.

The app never imports this module. The weights ship inside the `musicnn` wheel (install it with
`pip install --no-deps musicnn tf_keras`: its metadata pins numpy<1.17). Its graph is TF1 code
(`tf.compat.v1.layers`), so it runs under TensorFlow 2 with legacy Keras: TF_USE_LEGACY_KERAS=1 must be
set before TensorFlow is imported, which is why the target builder runs the teacher in its own process.

Two pitfalls of the package are avoided here: its `batch_data()` casts the mel to float16 before
`log10(10000 x + 1)` (overflow: NaN for every real clip), so the log-mel is computed in float32 here;
and its restore sits in a bare `except:` that would run random weights, so the restore here is checked
against the checkpoint's own tensors.

Outputs per 3-s patch: the 200-d penultimate layer (batch-normalised dense) and 50 tag probabilities.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
PATCH_FRAMES = 187  # musicnn's n_frames for 3 s: librosa.time_to_frames(3, 16000, 256, 512) + 1
PATCH_SECONDS = 3.0
PATCHES_PER_SEGMENT = 3  # three 3-s patches per 30 s score as well as ten (measured on mer4q)
MODEL = "MSD_musicnn"
COPYRIGHT = "musicnn (c) 2019 Jordi Pons and Xavier Serra, ISC licence"

_MEL_BASIS = None


def checkpoint_dir(model: str = MODEL) -> Path:
    import importlib.util

    spec = importlib.util.find_spec("musicnn")
    if spec is None or not spec.origin:
        raise RuntimeError("the teacher needs the musicnn package: pip install --no-deps musicnn tf_keras")
    return Path(spec.origin).parent / model


def log_mel(y16k: np.ndarray) -> np.ndarray:
    """Mono float audio at 16 kHz -> (T, 96) float32 log-compressed mel, as musicnn was trained on."""
    global _MEL_BASIS
    import librosa

    if _MEL_BASIS is None:
        _MEL_BASIS = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS).astype(np.float32)
    spec = np.abs(librosa.stft(np.asarray(y16k, np.float32), n_fft=N_FFT, hop_length=HOP)) ** 2
    mel = (_MEL_BASIS @ spec).T.astype(np.float32)
    return np.log10(10000.0 * mel + 1.0).astype(np.float32)


def patches(mel: np.ndarray, n: int = PATCHES_PER_SEGMENT) -> np.ndarray:
    """(T, 96) -> (k, 187, 96): up to n non-overlapping patches, evenly spread; short input is padded."""
    if mel.shape[0] < PATCH_FRAMES:
        mel = np.pad(mel, ((0, PATCH_FRAMES - mel.shape[0]), (0, 0)))
    total = mel.shape[0] // PATCH_FRAMES
    idx = np.arange(total) if total <= n else np.floor((np.arange(n) + 0.5) * total / n).astype(int)
    return np.stack([mel[i * PATCH_FRAMES : (i + 1) * PATCH_FRAMES] for i in idx])


class MusicnnTeacher:
    """Loads the TF1 graph once; `__call__(patches)` -> (penultimate [k, 200], tag probs [k, 50])."""

    def __init__(self, model: str = MODEL, threads: int | None = None):
        if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
            raise RuntimeError("set TF_USE_LEGACY_KERAS=1 before importing TensorFlow (musicnn is TF1 code)")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf
        from musicnn import configuration, models

        ckpt = checkpoint_dir(model)
        self.labels = list(configuration.MSD_LABELS if model.startswith("MSD") else configuration.MTT_LABELS)
        self.graph = tf.Graph()
        with self.graph.as_default():
            with tf.name_scope("model"):
                self.x = tf.compat.v1.placeholder(tf.float32, [None, PATCH_FRAMES, N_MELS])
                self.is_training = tf.compat.v1.placeholder(tf.bool)
                out = models.define_model(self.x, self.is_training, model, len(self.labels))
                self.tags = tf.nn.sigmoid(out[0])
                self.penultimate = out[-1]
            config = tf.compat.v1.ConfigProto(
                intra_op_parallelism_threads=threads or 0, inter_op_parallelism_threads=1
            )
            self.sess = tf.compat.v1.Session(graph=self.graph, config=config)
            saver = tf.compat.v1.train.Saver()
            saver.restore(self.sess, str(ckpt) + "/")
            self._check_restore(tf, ckpt)

    def _check_restore(self, tf, ckpt: Path) -> None:
        reader = tf.compat.v1.train.NewCheckpointReader(str(ckpt) + "/")
        var = next(v for v in self.graph.get_collection("variables") if "kernel" in v.name)
        stored = reader.get_tensor(var.name.split(":")[0])
        if not np.allclose(self.sess.run(var), stored):
            raise RuntimeError(f"teacher weights did not restore from {ckpt}")

    def __call__(self, x: np.ndarray, batch: int = 32) -> tuple[np.ndarray, np.ndarray]:
        pens, tags = [], []
        for i in range(0, len(x), batch):
            p, t = self.sess.run(
                [self.penultimate, self.tags], {self.x: x[i : i + batch], self.is_training: False}
            )
            pens.append(p)
            tags.append(t)
        pen, tag = np.concatenate(pens).astype(np.float32), np.concatenate(tags).astype(np.float32)
        if not (np.isfinite(pen).all() and np.isfinite(tag).all()):
            raise RuntimeError("teacher produced non-finite outputs")
        return pen, tag
