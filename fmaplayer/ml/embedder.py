"""`Embedder`: audio files -> unit-norm embedding + genre / mood probabilities with the bundled model.

Constructing one loads the model on the runtime `fmaplayer.ml.runtime` chooses (LiteRT on the CPU when it
is installed, without importing TensorFlow; TensorFlow on a CUDA GPU or as the fallback): do it in a
worker thread or the CLI. One sub-model returns (embedding layer, genre softmax, mood softmax) in a
single forward pass; a track's vector is the mean of its slices' embeddings, L2-normalised. Slices of
several tracks share batches. Batches are padded to fixed sizes so a track's result never depends on what
it was batched with.

`embed_many` alternates two phases that each use every core: decode a chunk of tracks on a thread per
core, then run the chunk's forward pass (the runtime's own threads). Overlapping the phases instead
over-subscribes a small CPU: on 2 cores it was 14-37 % slower (see benchmarks/bench_embedding.py).

A track may also be given as a binary file object (a file's bytes read on another machine: fmaplayer/cluster);
it is decoded from a private copy that bears the file's name, so its numbers and failure reasons are the
ones its path gives.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from fmaplayer.errors import AudioDecodeError, ModelLoadError
from fmaplayer.ml import features
from fmaplayer.ml import manifest as manifest_mod
from fmaplayer.ml import runtime as runtime_mod
from fmaplayer.ml.genre_head import GenreHead
from fmaplayer.ml.similarity_space import SimilarityLayout, track_vectors
from fmaplayer.ml.tempo import tempo_from_slices
from fmaplayer.ml.timbre import timbre_stats

BATCH_SIZES = (8, 16, 32, 64)  # padded batch shapes (few traced graphs, deterministic numerics)
TRACKS_PER_CHUNK = 16


@dataclass(frozen=True)
class Embedding:
    vector: np.ndarray  # float32: the stored vector (ml/similarity_space.py: style, timbre, tempo blocks)
    genre_probs: np.ndarray  # float32 [n_genres]
    mood_probs: np.ndarray | None  # float32 [n_moods] or None when the model has no mood head
    genre: str
    mood: str | None
    tempo: float | None = None  # BPM from the same slices (ml/tempo.py); None without a clear pulse
    timbre: np.ndarray | None = None  # float32 [ml.timbre.DIM]: MFCC mean and std of the same slices


class Embedder:
    def __init__(
        self, model_path: str | Path | None = None, device: str = "auto", n_slices: int | None = None,
        runtime: str = "auto",
    ):
        self.model_path = Path(model_path) if model_path else manifest_mod.bundled_model_path()
        self.manifest = manifest_mod.load_manifest(manifest_mod.manifest_path_for(self.model_path))
        if not self.model_path.is_file():
            raise ModelLoadError(f"model file not found: {self.model_path}")
        digest = manifest_mod.sha256_of(self.model_path)
        if digest != self.manifest["sha256"]:
            raise ModelLoadError(
                f"model file {self.model_path} is damaged or was replaced: sha256 "
                f"{digest[:12]}... does not match the manifest's {self.manifest['sha256'][:12]}..."
            )
        self._runtime = runtime_mod.load_runtime(self.model_path, self.manifest, device, runtime)
        self.device: str = self._runtime.device
        self.runtime: str = self._runtime.name
        self.genres: list[str] = list(self.manifest["genres"])
        self.moods: list[str] = list(self.manifest["moods"])
        self.dim: int = int(self.manifest["embedding"]["dim"])   # the model's embedding layer
        # a hybrid model stores style, timbre and tempo side by side (ml/similarity_space.py)
        self.layout: SimilarityLayout | None = SimilarityLayout.from_manifest(self.manifest)
        self.vector_dim: int = self.layout.dim if self.layout else self.dim
        self.genre_head: GenreHead | None = GenreHead.from_manifest(self.manifest)   # ml/genre_head.py
        # a genre is named only when its probability passes the threshold validated for this model
        self.genre_threshold: float = float(self.manifest.get("genre_threshold") or 0.0)
        self.model_id: str = manifest_mod.model_id(self.manifest)
        self.n_slices = int(
            n_slices or self.manifest["input"].get("slices_per_track", features.DEFAULT_SLICES)
        )
        self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="embed-decode")

    # -- inference -------------------------------------------------------------------------------
    def _forward(self, x: np.ndarray):
        """Slices (n,128,128,1) -> (emb, genre, mood) numpy arrays, in padded fixed-size batches."""
        outs = [[], [], []]
        i = 0
        while i < len(x):
            rest = len(x) - i
            size = next((b for b in BATCH_SIZES if b >= rest), BATCH_SIZES[-1])
            chunk = x[i : i + size]
            n = len(chunk)
            if n < size:
                chunk = np.concatenate([chunk, np.zeros((size - n, *chunk.shape[1:]), np.float32)])
            for k, r in enumerate(self._runtime.run(chunk)):
                if r is not None:
                    outs[k].append(np.asarray(r)[:n])
            i += n
        return [np.concatenate(o) if o else None for o in outs]

    def _decode(self, path) -> np.ndarray | AudioDecodeError:
        if hasattr(path, "read"):
            return _decode_file_object(path, self._decode)
        try:
            return features.track_slices(path, self.n_slices)
        except AudioDecodeError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - anything else from a broken file is a decode error
            return AudioDecodeError(f"cannot decode {path}: {exc}")

    def _embed_decoded(self, decoded: Sequence[np.ndarray | AudioDecodeError]) -> list:
        good = [d for d in decoded if not isinstance(d, AudioDecodeError)]
        if not good:
            return list(decoded)
        emb, gen, mood = self._forward(np.concatenate(good))
        if gen.shape[1] != len(self.genres) or (mood is not None and mood.shape[1] != len(self.moods)):
            raise ModelLoadError(
                f"the model's manifest is damaged: it names {len(self.genres)} genres and {len(self.moods)} "
                f"moods, the model gives {gen.shape[1]} and {0 if mood is None else mood.shape[1]}")
        results, pos = [], 0
        for d in decoded:
            if isinstance(d, AudioDecodeError):
                results.append(d)
                continue
            n = len(d)
            results.append(
                self._summarise(
                    emb[pos : pos + n], gen[pos : pos + n], None if mood is None else mood[pos : pos + n],
                    tempo_from_slices(d), timbre_stats(d),
                )
            )
            pos += n
        return results

    def _summarise(self, emb, gen, mood, tempo: float | None = None,
                   timbre: np.ndarray | None = None) -> Embedding:
        v = emb.astype(np.float64).mean(axis=0)
        norm = np.linalg.norm(v)
        # an all-zero ReLU embedding (silence) still needs a unit vector: use a fixed direction
        style = v / norm if norm > 1e-12 else np.full_like(v, 1 / np.sqrt(len(v)))
        v = style if self.layout is None else track_vectors(style, timbre, tempo, self.layout)[0]
        gp = gen.astype(np.float64).mean(axis=0).astype(np.float32)
        if self.genre_head is not None and timbre is not None:
            gp = self.genre_head.probabilities(style, timbre, gp)[0]
        mp = None if mood is None else mood.astype(np.float64).mean(axis=0).astype(np.float32)
        best = int(np.argmax(gp))
        return Embedding(
            v.astype(np.float32),
            gp,
            mp,
            self.genres[best] if gp[best] >= self.genre_threshold else "",
            None if mp is None else self.moods[int(np.argmax(mp))],
            tempo,
            timbre,
        )

    def embed_slices(self, decoded: Sequence[np.ndarray]) -> list[Embedding]:
        """Each track's slices (features.track_slices) -> its Embedding (evaluation of the app's path)."""
        return self._embed_decoded(list(decoded))

    def slice_embeddings(self, slices: np.ndarray) -> np.ndarray:
        """One track's slices -> the raw embedding of each slice (n x dim), before the mean."""
        return self._forward(np.asarray(slices, np.float32))[0]

    def embed(self, path: str | Path | BinaryIO) -> Embedding:
        result = self._embed_decoded([self._decode(path)])[0]
        if isinstance(result, AudioDecodeError):
            raise result
        return result

    def embed_many(self, paths: Iterable[str | Path | BinaryIO]) -> list[Embedding | AudioDecodeError]:
        """Embeds in chunks: each chunk is decoded on all cores, then run through the model. A file object
        stands for the file named by its `name` attribute."""
        paths = list(paths)
        results: list = []
        for i in range(0, len(paths), TRACKS_PER_CHUNK):
            decoded = list(self._pool.map(self._decode, paths[i : i + TRACKS_PER_CHUNK]))
            results.extend(self._embed_decoded(decoded))
        return results

    def close(self) -> None:
        self._pool.shutdown(wait=False)


def _decode_file_object(source: BinaryIO, decode):
    """`decode` of a copy of `source` named like it (libsndfile wants a name to open); the copy's path in a
    failure reason is replaced by the source's name."""
    name = str(getattr(source, "name", "") or "audio")
    base = os.path.basename(name)
    try:
        ok = 0 < len(base.encode("utf-8")) < 200
    except UnicodeError:
        ok = False
    with tempfile.TemporaryDirectory(prefix="fmaplayer-audio-") as folder:
        copy = os.path.join(folder, base if ok else "audio" + os.path.splitext(base)[1][:16])
        with open(copy, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        result = decode(copy)
    if isinstance(result, AudioDecodeError):
        return AudioDecodeError(str(result).replace(copy, name))
    return result
