"""Build a large synthetic library database fast, for benchmarks (scan, UI start-up, filtering).

The tracks point at files that do not exist: they exercise the store and the UI, not decoding.
Usable as a module (`build_synthetic_library(db_path, n)`) or a script:
    python benchmarks/synthetic_library.py /tmp/lib.db --tracks 100000
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fmaplayer.library.paths import path_key  # noqa: E402
from fmaplayer.library.store import LibraryStore  # noqa: E402

GENRES = (
    "Electronic", "Experimental", "Folk", "Hip-Hop", "Instrumental", "International", "Pop", "Rock",
    "Jazz", "Classical", "Blues", "Country", "Soul-RnB", "Spoken", "Old-Time / Historic", "Easy Listening",
)
_WORDS = (
    "night", "river", "blue", "electric", "summer", "ghost", "golden", "paper", "silent", "wild", "city",
    "heart", "fire", "ocean", "dream", "north", "velvet", "broken", "neon", "echo", "glass", "morning",
    "shadow", "sugar", "thunder", "winter", "static", "honey", "iron", "satellite",
)
_INSERT = """
INSERT INTO tracks (path, title, artist, album, album_artist, track_no, year, genre, duration, size,
                    mtime, error, added_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def _phrase(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).title()


def build_synthetic_library(
    db_path: str | Path,
    n: int,
    *,
    seed: int = 0,
    root: str = "/synthetic/music",
    unreadable_fraction: float = 0.01,
    embedding_model_id: str | None = None,
    embedding_dim: int = 128,
) -> Path:
    """Create (or replace) a library database at `db_path` holding `n` realistic-looking tracks:
    ~10 tracks per album, ~5 albums per artist, varied genres/years/durations, a few unreadable files.
    With `embedding_model_id`, every readable track also gets a random unit embedding of that model.
    Returns the database path."""
    db_path = Path(db_path)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    LibraryStore(db_path).close()  # creates the schema through the real migrations

    rng = random.Random(seed)
    n_albums = max(1, n // 10)
    n_artists = max(1, n_albums // 5)
    artists = [f"{_phrase(rng, 2)} {i}" for i in range(n_artists)]
    albums = [(_phrase(rng, rng.randint(1, 3)), rng.randrange(n_artists), rng.randint(1960, 2024),
               rng.choice(GENRES)) for _ in range(n_albums)]
    now = time.time()
    rows = []
    for i in range(n):
        album_index = i // 10 if i // 10 < n_albums else rng.randrange(n_albums)
        album, artist_index, year, genre = albums[album_index]
        artist = artists[artist_index]
        track_no = i % 10 + 1
        title = _phrase(rng, rng.randint(1, 4))
        ext = rng.choice((".mp3", ".mp3", ".mp3", ".flac", ".ogg", ".opus", ".wav"))
        path = f"{root}/{artist}/{album} ({album_index})/{track_no:02d} {title}{ext}"
        error = None
        if rng.random() < unreadable_fraction:
            error = "not a valid MP3 file (the decoder cannot open it)"
        rows.append(
            (
                path_key(path), title, artist, album, artist if rng.random() < 0.3 else "",
                track_no, year, genre, round(rng.uniform(60, 480), 3), rng.randint(1_000_000, 15_000_000),
                now - rng.uniform(0, 3e8), error, now,
            )
        )

    conn = sqlite3.connect(str(db_path), isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")  # a throwaway benchmark database: speed over durability
        conn.execute("BEGIN")
        conn.executemany(_INSERT, rows)
        if embedding_model_id is not None:
            _insert_embeddings(conn, embedding_model_id, embedding_dim, seed)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return db_path


def _insert_embeddings(conn: sqlite3.Connection, model_id: str, dim: int, seed: int) -> None:
    import numpy as np

    ids = [r[0] for r in conn.execute("SELECT id FROM tracks WHERE error IS NULL ORDER BY id")]
    rng = np.random.default_rng(seed)
    genres = list(GENRES)
    now = time.time()
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        vectors = rng.standard_normal((len(chunk), dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        conn.executemany(
            "INSERT INTO embeddings (track_id, model_id, dim, vector, genre, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(tid, model_id, dim, vectors[k].tobytes(), genres[tid % len(genres)], now)
             for k, tid in enumerate(chunk)],
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db_path")
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--embeddings", metavar="MODEL_ID", default=None, help="also add random embeddings")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    build_synthetic_library(args.db_path, args.tracks, embedding_model_id=args.embeddings)
    print(f"{args.tracks} tracks written to {args.db_path} in {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
