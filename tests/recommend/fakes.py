"""Fakes shared by the recommend, workers and GUI tests: a deterministic embedder, and helpers that fill
a real `LibraryStore` with track rows (no audio files needed while the embedder is fake)."""

from __future__ import annotations

import os
import threading
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from fmaplayer.errors import AudioDecodeError
from fmaplayer.library.track import Track

FAKE_GENRES = [
    "Electronic", "Experimental", "Folk", "Hip-Hop", "Instrumental", "International", "Pop", "Rock",
]


@dataclass
class FakeEmbedding:
    vector: np.ndarray
    genre_probs: np.ndarray
    mood_probs: np.ndarray | None
    genre: str
    mood: str | None = None


def unit(vector) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32)
    return v / np.linalg.norm(v)


class FakeEmbedder:
    """Vectors chosen per file name (or derived from a hash of it); names containing "bad" fail.

    `before_batch(paths)` runs at the start of every embed_many call: tests use it to block a batch
    (threading.Event) or to pause/cancel at a precise point.
    """

    def __init__(self, vectors=None, genres=None, dim: int = 8, model_id: str = "fake@1.0.0+00000000",
                 device: str = "CPU", before_batch=None):
        self.vectors = {k: unit(v) for k, v in (vectors or {}).items()}
        self.genre_of = dict(genres or {})
        self.dim = dim
        self.model_id = model_id
        self.device = device
        self.genres = list(FAKE_GENRES)
        self.moods: list[str] = []
        self.before_batch = before_batch
        self.calls: list[list[str]] = []
        self._lock = threading.Lock()

    def _key(self, path: str) -> str:
        return Path(path).stem

    def vector_for(self, path: str) -> np.ndarray:
        key = self._key(path)
        if key in self.vectors:
            return self.vectors[key]
        rng = np.random.default_rng(zlib.crc32(key.encode()))
        return unit(rng.standard_normal(self.dim))

    def genre_for(self, path: str) -> str:
        key = self._key(path)
        return self.genre_of.get(key, FAKE_GENRES[zlib.crc32(key.encode()) % len(FAKE_GENRES)])

    def embed(self, path: str) -> FakeEmbedding:
        if "bad" in os.path.basename(str(path)):
            raise AudioDecodeError(f"{os.path.basename(str(path))}: not an audio file")
        genre = self.genre_for(path)
        probs = np.full(len(FAKE_GENRES), 0.01, dtype=np.float32)
        probs[FAKE_GENRES.index(genre) if genre in FAKE_GENRES else 0] = 0.93
        return FakeEmbedding(vector=self.vector_for(path), genre_probs=probs, mood_probs=None, genre=genre)

    def embed_many(self, paths):
        paths = [str(p) for p in paths]
        with self._lock:
            self.calls.append(paths)
        if self.before_batch is not None:
            self.before_batch(paths)
        results = []
        for path in paths:
            try:
                results.append(self.embed(path))
            except AudioDecodeError as exc:
                results.append(exc)
        return results


def track_record(path: str | Path, title: str = "", artist: str = "", genre: str = "", error=None,
                 size: int = 1000, duration: float = 180.0) -> Track:
    return Track(id=0, path=str(path), title=title or Path(path).stem, artist=artist, genre=genre,
                 duration=duration, size=size, mtime=1.0, error=error)


def make_store(db_path: str | Path):
    from fmaplayer.library.store import LibraryStore

    return LibraryStore(db_path)


def add_tracks(store, names, folder: str = "/music", suffix: str = ".flac", **kwargs) -> list[Track]:
    """Insert one track per name (no file needed with the fake embedder); returns them with ids."""
    records = [track_record(f"{folder}/{name}{suffix}", **kwargs) for name in names]
    ids = store.upsert_tracks(records)
    return [replace(r, id=i) for r, i in zip(records, ids, strict=True)]
