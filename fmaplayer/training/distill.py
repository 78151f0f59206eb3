"""Distillation of the musicnn teacher into the CNN-LSTM: segment cache, data pipeline, losses.

Audio is cut into segments of up to SEGMENT_SECONDS (a 30-s clip is one segment; a full-length track
gives up to `max_segments` evenly spread ones). For each segment the cache holds the student's log-mel
(the app's features, float16) and the teacher's mean penultimate vector and tag probabilities over three
3-s patches. A training crop is any 128-frame slice of a segment, and its target is the segment's teacher
output: the student learns what the teacher says about the half minute around it, which is what a
track-level embedding needs. Labelled clips also train the genre and quadrant heads.

Cache files live outside the repository (~/.cache/fmaplayer-distill or --cache), one .npz per audio
file, keyed by path, size, mtime, feature parameters and teacher; building it is resumable.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fmaplayer.ml import features
from fmaplayer.training import teacher

SEGMENT_SECONDS = 30.0
TEACHER_DIM = 200
N_TAGS = 50
CACHE_VERSION = 1


def default_cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("FMAPLAYER_DISTILL_CACHE") or base / "fmaplayer-distill")


@dataclass(frozen=True)
class Source:
    """One audio file to distil from; genre/mood only for labelled clips of the training split."""

    path: str
    part: str  # "train", "val", "test" (labelled collections) or "unlabelled", "unseen" (Debian)
    genre: str | None = None
    mood: str | None = None
    group: str | None = None  # artist or package: what must not straddle parts


def cache_key(path: str, max_segments: int) -> str:
    st = os.stat(path)
    params = json.dumps(
        [features.feature_params(), teacher.MODEL, teacher.PATCHES_PER_SEGMENT, SEGMENT_SECONDS,
         max_segments],
        sort_keys=True,
    )
    raw = f"{CACHE_VERSION}|{os.path.abspath(path)}|{st.st_size}|{int(st.st_mtime)}|{params}".encode()
    return hashlib.sha1(raw).hexdigest()


def decode_segments(path: str, max_segments: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """File -> [(audio at 22,050 Hz, audio at 16 kHz)] for up to max_segments evenly spread segments."""
    import soundfile as sf
    import soxr

    data, sr = sf.read(path, dtype="float32", always_2d=True)
    mono = features._to_mono(data)
    if mono.shape[0] == 0 or not np.isfinite(mono).all():
        raise ValueError(f"{path}: no usable audio")
    seg = int(SEGMENT_SECONDS * sr)
    n = max(1, min(max_segments, mono.shape[0] // seg))
    out = []
    for i in range(n):
        if mono.shape[0] <= seg:
            chunk = mono
        else:
            centre = (i + 0.5) * mono.shape[0] / n
            start = int(max(0, min(mono.shape[0] - seg, centre - seg / 2)))
            chunk = mono[start : start + seg]
        y22 = chunk if sr == features.SAMPLE_RATE else soxr.resample(chunk, sr, features.SAMPLE_RATE)
        y16 = soxr.resample(chunk, sr, teacher.SAMPLE_RATE)
        out.append((np.asarray(y22, np.float32), np.asarray(y16, np.float32)))
    return out


def build_cache(sources: list[Source], max_segments: int, cache_dir: Path, log=print,
                net=None) -> dict[str, Path]:
    """Compute the missing cache files; return path -> .npz for every success. `net` maps (k, 187, 96)
    patches to (penultimate, tags); by default the musicnn teacher, which needs a process started with
    TF_USE_LEGACY_KERAS=1."""
    from concurrent.futures import ThreadPoolExecutor

    cache_dir.mkdir(parents=True, exist_ok=True)
    targets = {s.path: cache_dir / f"{cache_key(s.path, max_segments)}.npz" for s in sources}
    todo = [p for p, t in targets.items() if not t.exists()]
    failed: set[str] = set()
    if todo:
        log(f"distillation cache: {len(todo)} of {len(targets)} files to compute in {cache_dir}")
        net = net or teacher.MusicnnTeacher(threads=os.cpu_count())

        def decode(path):
            try:
                return decode_segments(path, max_segments)
            except Exception as exc:  # noqa: BLE001 - reported per file, the build goes on
                return exc

        with ThreadPoolExecutor(max_workers=1) as pool:  # decode the next file while the teacher runs
            for i, (path, segs) in enumerate(zip(todo, pool.map(decode, todo), strict=True), 1):
                if isinstance(segs, Exception):
                    failed.add(path)
                    log(f"  skipped {path}: {segs}")
                    continue
                mels = [features.mel_db(y22).astype(np.float16) for y22, _ in segs]
                pats = [teacher.patches(teacher.log_mel(y16)) for _, y16 in segs]
                pen, tag = net(np.concatenate(pats))
                owner = np.repeat(np.arange(len(pats)), [len(p) for p in pats])
                seg_pen = np.stack([pen[owner == k].mean(0) for k in range(len(pats))])
                seg_tag = np.stack([tag[owner == k].mean(0) for k in range(len(pats))])
                frames = np.array([m.shape[1] for m in mels])
                tmp = targets[path].with_suffix(".tmp.npz")
                np.savez(tmp, mel=np.concatenate(mels, axis=1), frames=frames, pen=seg_pen, tags=seg_tag)
                os.replace(tmp, targets[path])
                if i % 50 == 0 or i == len(todo):
                    log(f"  {i}/{len(todo)} files")
    return {p: t for p, t in targets.items() if p not in failed and t.exists()}


@dataclass
class Segment:
    source: Source
    mel: np.ndarray  # (128, T) float16
    pen: np.ndarray  # (200,) teacher penultimate, mean over patches
    tags: np.ndarray  # (50,) teacher tag probabilities


def load_segments(sources: list[Source], entries: dict[str, Path]) -> list[Segment]:
    out = []
    for s in sources:
        if s.path not in entries:
            continue
        with np.load(entries[s.path]) as z:
            bounds = np.concatenate([[0], np.cumsum(z["frames"])])
            mel = z["mel"]
            for k in range(len(z["frames"])):
                out.append(Segment(s, mel[:, bounds[k] : bounds[k + 1]], z["pen"][k], z["tags"][k]))
    return out


def teacher_centre(segments: list[Segment]) -> np.ndarray:
    """Mean teacher vector over the training segments: the targets are centred on it (cosine on centred
    vectors is what separates tracks; the raw teacher vectors share a large common component)."""
    return np.mean([s.pen for s in segments], axis=0).astype(np.float32)


def unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return (v / np.maximum(n, 1e-9)).astype(np.float32)


def add_distillation_heads(base, n_teacher: int = TEACHER_DIM, n_tags: int = N_TAGS):
    """Training-time model: the CNN-LSTM's outputs plus a linear projection of the 32-d embedding onto
    the teacher's 200-d space and a 50-tag sigmoid head. The shipped model drops both heads."""
    import keras
    from keras import layers

    emb = base.get_layer("embedding").output
    outputs = dict(base.output)  # the CNN-LSTM's outputs are a dict: {"genre", "mood"}
    outputs["teacher"] = layers.Dense(n_teacher, name="teacher")(emb)
    outputs["tags"] = layers.Dense(n_tags, activation="sigmoid", name="tags")(emb)
    return keras.Model(base.input, outputs, name=base.name)


def inference_model(trained):
    """The shipped model: same layers, only the genre and mood heads (and the embedding inside)."""
    import keras

    outs = {"genre": trained.get_layer("genre").output}
    if "mood" in [layer.name for layer in trained.layers]:
        outs["mood"] = trained.get_layer("mood").output
    return keras.Model(trained.input, outs, name=trained.name)


def compile_student(model, lr: float, weights: dict[str, float]):
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss={
            "genre": "categorical_crossentropy",
            "mood": "categorical_crossentropy",
            "teacher": keras.losses.CosineSimilarity(),
            "tags": "binary_crossentropy",
        },
        loss_weights=weights,
    )


def _label_targets(source: Source, genres, moods, cw, parts=("train",)):
    """One-hot genre and quadrant targets with their weights; 0 weight outside `parts` or without a label."""
    yg = np.zeros(len(genres), np.float32)
    ym = np.zeros(len(moods), np.float32)
    wg = wm = 0.0
    if source.part in parts and source.genre in genres:
        gi = genres.index(source.genre)
        yg[gi], wg = 1.0, float(cw[gi])
    if source.part in parts and source.mood in moods:
        ym[moods.index(source.mood)], wm = 1.0, 1.0
    return yg, wg, ym, wm


def make_sequence(segments, centre, genres, moods, cw, batch_size=32, crops=4, seed=0, augment=True):
    """Keras PyDataset: each epoch `crops` random 128-frame crops per segment (gain, masks), shuffled."""
    import keras

    silence = 10 * math.log10(features.AMIN)
    labels = [_label_targets(s.source, genres, moods, cw) for s in segments]
    pens = unit(np.stack([s.pen for s in segments]) - centre)
    tags = np.stack([s.tags for s in segments]).astype(np.float32)

    class DistillSlices(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            self.rng = np.random.default_rng(seed)
            self.on_epoch_end()

        def on_epoch_end(self):
            self.order = np.repeat(np.arange(len(segments)), crops)
            self.rng.shuffle(self.order)

        def __len__(self):
            return math.ceil(len(self.order) / batch_size)

        def _crop(self, i):
            mel = segments[i].mel
            if mel.shape[1] <= features.SLICE_FRAMES:
                return features.slices_from_mel(mel.astype(np.float32), 1)[0, ..., 0]
            start = self.rng.integers(0, mel.shape[1] - features.SLICE_FRAMES + 1)
            x = mel[:, start : start + features.SLICE_FRAMES].astype(np.float32)
            if augment:
                x += self.rng.uniform(-6, 6)
                f0 = self.rng.integers(0, 116)
                x[f0 : f0 + self.rng.integers(0, 12)] = silence
                t0 = self.rng.integers(0, 116)
                x[:, t0 : t0 + self.rng.integers(0, 12)] = silence
            return x

        def __getitem__(self, b):
            idx = self.order[b * batch_size : (b + 1) * batch_size]
            x = np.stack([self._crop(i) for i in idx])[..., np.newaxis]
            yg, wg, ym, wm = (np.array(v, np.float32) for v in zip(*(labels[i] for i in idx), strict=True))
            y = {"genre": yg, "mood": ym, "teacher": pens[idx], "tags": tags[idx]}
            w = {"genre": wg, "mood": wm, "teacher": np.ones(len(idx), np.float32),
                 "tags": np.ones(len(idx), np.float32)}
            return x, y, w

    return DistillSlices()


def eval_arrays(segments, centre, genres, moods):
    """Fixed consecutive slices (as inference cuts them) for validation, unweighted labels on every slice."""
    xs, y = [], {"genre": [], "mood": [], "teacher": [], "tags": []}
    w = {k: [] for k in y}
    for s in segments:
        sl = features.slices_from_mel(s.mel.astype(np.float32), features.DEFAULT_SLICES)
        yg, wg, ym, wm = _label_targets(s.source, genres, moods, np.ones(len(genres)), parts=(s.source.part,))
        n = len(sl)
        xs.append(sl)
        for key, val, wt in (("genre", yg, wg), ("mood", ym, wm),
                             ("teacher", unit(s.pen - centre), 1.0), ("tags", s.tags, 1.0)):
            y[key].append(np.repeat(val[None], n, 0))
            w[key].append(np.full(n, wt, np.float32))
    return (np.concatenate(xs), {k: np.concatenate(v).astype(np.float32) for k, v in y.items()},
            {k: np.concatenate(v) for k, v in w.items()})
