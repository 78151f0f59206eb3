"""The library database: tracks, embeddings and embedding failures in SQLite (WAL).

Threads: the UI, the scanner and the embedding worker share one LibraryStore. Each thread gets its
own connection (WAL lets readers run while a writer commits); writes are serialised by one lock and
each public write method is a single transaction, so a killed process leaves a consistent database.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from fmaplayer.errors import LibraryError
from fmaplayer.library import migrations
from fmaplayer.library.paths import path_key, storable_text
from fmaplayer.library.reachability import UNAVAILABLE_PREFIX
from fmaplayer.library.track import Track

_TRACK_COLUMNS = (
    "id, path, title, artist, album, album_artist, track_no, year, genre, duration, size, mtime, error"
)
_UPSERT_TRACK = """
INSERT INTO tracks (path, title, artist, album, album_artist, track_no, year, genre, duration,
                    size, mtime, error, added_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(path) DO UPDATE SET
    title = excluded.title, artist = excluded.artist, album = excluded.album,
    album_artist = excluded.album_artist, track_no = excluded.track_no, year = excluded.year,
    genre = excluded.genre, duration = excluded.duration, size = excluded.size,
    mtime = excluded.mtime, error = excluded.error
RETURNING id
"""
# The WHERE EXISTS skips rows whose track was removed while the worker was analysing it.
_UPSERT_EMBEDDING = """
INSERT INTO embeddings (track_id, model_id, dim, vector, genre, genre_probs, mood, mood_probs, tempo,
                        created_at)
SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM tracks WHERE id = ?)
ON CONFLICT(track_id, model_id) DO UPDATE SET
    dim = excluded.dim, vector = excluded.vector, genre = excluded.genre,
    genre_probs = excluded.genre_probs, mood = excluded.mood, mood_probs = excluded.mood_probs,
    tempo = excluded.tempo, created_at = excluded.created_at
"""
_UPSERT_FAILURE = """
INSERT INTO embedding_failures (track_id, model_id, reason, created_at)
SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM tracks WHERE id = ?)
ON CONFLICT(track_id, model_id) DO UPDATE SET reason = excluded.reason, created_at = excluded.created_at
"""
_MAX_VARS = 500  # stay well under SQLite's bound-parameter limit


@dataclass
class EmbeddingRow:
    track_id: int
    vector: np.ndarray  # float32[D]
    genre: str
    genre_probs: np.ndarray | None = None
    mood: str | None = None
    mood_probs: np.ndarray | None = None
    tempo: float | None = None  # BPM; None when unknown


@dataclass(frozen=True)
class EmbeddingProfile:
    """What a track's analysis says about it besides the vector (for "Why this song?")."""

    genre_probs: np.ndarray | None
    mood_probs: np.ndarray | None
    tempo: float | None


# all_tracks() builds 100,000 Tracks at start-up; a frozen dataclass's __init__ costs ~3 us each, setting
# the slots through their descriptors costs less than half that. The column order matches the fields.
assert tuple(f.name for f in fields(Track)) == tuple(c.strip() for c in _TRACK_COLUMNS.split(","))
_SLOT_SETTERS = tuple(getattr(Track, f.name).__set__ for f in fields(Track))


def _track_from_row(
    row: tuple, _new=object.__new__, _fsdecode=os.fsdecode, _s=_SLOT_SETTERS, _cls=Track
) -> Track:
    t = _new(_cls)
    _s[0](t, row[0])
    _s[1](t, _fsdecode(row[1]))
    _s[2](t, row[2])
    _s[3](t, row[3])
    _s[4](t, row[4])
    _s[5](t, row[5])
    _s[6](t, row[6])
    _s[7](t, row[7])
    _s[8](t, row[8])
    _s[9](t, row[9])
    _s[10](t, row[10])
    _s[11](t, row[11])
    _s[12](t, row[12])
    return t


def _field(record: object, name: str, default=None):
    if isinstance(record, Mapping):
        return record.get(name, default)
    return getattr(record, name, default)


def _blob(array: np.ndarray | None, what: str = "probabilities", track_id: int = 0) -> bytes | None:
    if array is None:
        return None
    values = np.ascontiguousarray(array, dtype=np.float32).ravel()
    _require_finite(values, what, track_id)
    return values.tobytes()


def _require_finite(values: np.ndarray, what: str, track_id: int) -> None:
    # NaN/inf from bad samples would rank as 100 % similar to each other and argmax to genre 0
    if not np.all(np.isfinite(values)):
        raise LibraryError(f"refusing non-finite embedding {what} for track {track_id}")


def _tempo(value) -> float | None:
    """A BPM worth storing, or None (unknown, NaN or not a tempo at all)."""
    if value is None:
        return None
    bpm = float(value)
    return bpm if np.isfinite(bpm) and bpm > 0 else None


def _text(value) -> str:
    return storable_text(str(value or ""))


def _chunks(items: Sequence, size: int = _MAX_VARS) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class LibraryStore:
    """SQLite-backed library; safe to share between threads. Raises LibraryError on database errors."""

    def __init__(self, db_path: str | Path, busy_timeout: float = 30.0):
        self.db_path = Path(db_path)
        # how long one statement waits for another connection's write lock before "database is locked"
        self._busy_timeout = float(busy_timeout)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._closed = False
        self.backup_path: Path | None = None  # set when opening migrated an older schema
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._conn()
            with self._write_lock:
                conn.execute("PRAGMA journal_mode=WAL")
                self.backup_path = migrations.migrate(conn, self.db_path)
        except sqlite3.Error as exc:
            raise LibraryError(f"cannot open the library database {self.db_path}: {exc}") from exc
        except OSError as exc:
            raise LibraryError(f"cannot create the library folder {self.db_path.parent}: {exc}") from exc

    # -- connections -------------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise LibraryError("the library database is closed")
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE in _write).
        conn = sqlite3.connect(str(self.db_path), timeout=self._busy_timeout, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
        conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout * 1000)}")
        self._local.conn = conn
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._conn()
        except sqlite3.Error as exc:
            raise LibraryError(f"library database read failed: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction under the writer lock; rolled back on any exception."""
        with self._write_lock:
            conn = self._conn()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except (sqlite3.Error, UnicodeError, OverflowError) as exc:  # bad values end up here too
                raise LibraryError(f"library database write failed: {exc}") from exc

    def close(self) -> None:
        """Close every thread's connection (call once the worker threads have stopped)."""
        self._closed = True
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    def __enter__(self) -> LibraryStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- tracks --------------------------------------------------------------------------------------

    def all_tracks(self) -> list[Track]:
        with self._read() as conn:
            rows = conn.execute(f"SELECT {_TRACK_COLUMNS} FROM tracks ORDER BY id").fetchall()
        return list(map(_track_from_row, rows))

    def track(self, track_id: int) -> Track | None:
        with self._read() as conn:
            row = conn.execute(f"SELECT {_TRACK_COLUMNS} FROM tracks WHERE id = ?", (track_id,)).fetchone()
        return _track_from_row(row) if row else None

    def track_by_path(self, path: str | os.PathLike[str]) -> Track | None:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_TRACK_COLUMNS} FROM tracks WHERE path = ?", (path_key(path),)
            ).fetchone()
        return _track_from_row(row) if row else None

    def tracks_by_ids(self, ids: Iterable[int]) -> list[Track]:
        """Tracks in the order of `ids`; ids that are not in the library are skipped."""
        ids = [int(i) for i in ids]
        found: dict[int, Track] = {}
        with self._read() as conn:
            for chunk in _chunks(sorted(set(ids))):
                marks = ",".join("?" * len(chunk))
                for row in conn.execute(f"SELECT {_TRACK_COLUMNS} FROM tracks WHERE id IN ({marks})", chunk):
                    found[row[0]] = _track_from_row(row)
        return [found[i] for i in ids if i in found]

    def count(self) -> int:
        with self._read() as conn:
            return conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]

    def unreadable(self) -> list[Track]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_TRACK_COLUMNS} FROM tracks WHERE error IS NOT NULL ORDER BY id"
            ).fetchall()
        return list(map(_track_from_row, rows))

    def file_stats(
        self, under_folders: Iterable[str | os.PathLike[str]] | None = None
    ) -> dict[str, tuple[int, float]]:
        """path -> (size, mtime) of every track, or only of those under the given folders."""
        with self._read() as conn:
            if under_folders is None:
                rows = conn.execute("SELECT path, size, mtime FROM tracks").fetchall()
            else:
                rows = []
                for low, high in _prefix_ranges(under_folders):
                    rows += conn.execute(
                        "SELECT path, size, mtime FROM tracks WHERE path >= ? AND path < ?", (low, high)
                    ).fetchall()
        fsdecode = os.fsdecode
        return {fsdecode(path): (size, mtime) for path, size, mtime in rows}

    def upsert_tracks(self, records: Iterable[object]) -> list[int]:
        """Insert or update tracks by path in one transaction; returns their ids in order.

        Records are Track-like objects (or mappings) with path, title, ..., error; `id` is ignored.
        A record whose size or mtime differs from the stored one drops that track's embeddings and
        embedding failures (a trigger does it), so the file is analysed again.
        """
        now = time.time()
        values = []
        for r in records:
            track_no = _field(r, "track_no")
            year = _field(r, "year")
            values.append(
                (
                    path_key(_field(r, "path")),
                    _text(_field(r, "title")),
                    _text(_field(r, "artist")),
                    _text(_field(r, "album")),
                    _text(_field(r, "album_artist")),
                    None if track_no is None else int(track_no),
                    None if year is None else int(year),
                    _text(_field(r, "genre")),
                    float(_field(r, "duration", 0.0) or 0.0),
                    int(_field(r, "size", 0) or 0),
                    float(_field(r, "mtime", 0.0) or 0.0),
                    None if _field(r, "error") is None else _text(_field(r, "error")),
                    now,
                )
            )
        ids = []
        with self._write() as conn:
            for row in values:
                ids.append(conn.execute(_UPSERT_TRACK, row).fetchone()[0])
        return ids

    def remove_paths(self, paths: Iterable[str | os.PathLike[str]]) -> int:
        """Remove tracks by path (their embeddings and failures go with them); returns how many."""
        keys = [(path_key(p),) for p in paths]
        if not keys:
            return 0
        with self._write() as conn:
            cursor = conn.executemany("DELETE FROM tracks WHERE path = ?", keys)
            return max(cursor.rowcount, 0)

    def mark_unavailable(self, reasons: Mapping[str, str]) -> int:
        """Mask tracks whose folder cannot be seen (path -> reason): only `error` changes, so size, mtime
        and the analysis stay. A track already unreadable for a reason of its own keeps that reason (an
        unmask must never make a damaged file look readable). Returns how many tracks were masked."""
        rows = [(_text(reason), path_key(path), len(UNAVAILABLE_PREFIX), UNAVAILABLE_PREFIX)
                for path, reason in reasons.items()]
        if not rows:
            return 0
        with self._write() as conn:
            cursor = conn.executemany(
                "UPDATE tracks SET error = ? WHERE path = ? AND (error IS NULL OR substr(error, 1, ?) = ?)",
                rows,
            )
            return max(cursor.rowcount, 0)

    def clear_unavailable(self, paths: Iterable[str | os.PathLike[str]]) -> int:
        """Unmask tracks whose file is seen again unchanged; they come back with their analysis."""
        rows = [(path_key(p), len(UNAVAILABLE_PREFIX), UNAVAILABLE_PREFIX) for p in paths]
        if not rows:
            return 0
        with self._write() as conn:
            cursor = conn.executemany(
                "UPDATE tracks SET error = NULL WHERE path = ? AND substr(error, 1, ?) = ?", rows
            )
            return max(cursor.rowcount, 0)

    def has_tracks_under(self, folder: str | os.PathLike[str]) -> bool:
        """Whether any track lies under `folder` (one index probe, cheap enough for the UI thread)."""
        ((low, high),) = _prefix_ranges([folder])
        with self._read() as conn:
            row = conn.execute("SELECT 1 FROM tracks WHERE path >= ? AND path < ? LIMIT 1", (low, high))
            return row.fetchone() is not None

    # -- embeddings ----------------------------------------------------------------------------------

    def save_embeddings(self, model_id: str, rows: Iterable[EmbeddingRow]) -> None:
        """Upsert embeddings for `model_id` in one transaction; clears earlier failures of those tracks.
        Rows for tracks no longer in the library are ignored."""
        now = time.time()
        params = []
        clear = []
        for row in rows:
            vector = np.ascontiguousarray(row.vector, dtype=np.float32).ravel()
            if vector.size == 0:
                raise LibraryError(f"empty embedding vector for track {row.track_id}")
            track_id = int(row.track_id)
            _require_finite(vector, "vector", track_id)
            params.append(
                (
                    track_id, model_id, int(vector.size), vector.tobytes(), _text(row.genre),
                    _blob(row.genre_probs, "genre probabilities", track_id),
                    None if row.mood is None else _text(row.mood),
                    _blob(row.mood_probs, "mood probabilities", track_id), _tempo(row.tempo), now, track_id,
                )
            )
            clear.append((track_id, model_id))
        if not params:
            return
        with self._write() as conn:
            conn.executemany(_UPSERT_EMBEDDING, params)
            conn.executemany("DELETE FROM embedding_failures WHERE track_id = ? AND model_id = ?", clear)

    def record_embedding_failure(self, model_id: str, track_id: int, reason: str) -> None:
        """Remember that `model_id` could not analyse the track, so it is not retried until it changes."""
        track_id = int(track_id)
        reason = storable_text(str(reason))[:1000]  # reasons quote file names, which may not be UTF-8
        with self._write() as conn:
            conn.execute(_UPSERT_FAILURE, (track_id, model_id, reason, time.time(), track_id))

    def clear_embedding_failures(self, model_id: str | None = None) -> int:
        """Forget recorded analysis failures (of one model, or all) so those tracks are tried again."""
        with self._write() as conn:
            if model_id is None:
                cursor = conn.execute("DELETE FROM embedding_failures")
            else:
                cursor = conn.execute("DELETE FROM embedding_failures WHERE model_id = ?", (model_id,))
            return max(cursor.rowcount, 0)

    def errors_by_path(self, under_folders: Iterable[str | os.PathLike[str]] | None = None) -> dict[str, str]:
        """path -> stored reason of every unreadable track (under the given folders)."""
        query = "SELECT path, error FROM tracks WHERE error IS NOT NULL"
        with self._read() as conn:
            if under_folders is None:
                rows = conn.execute(query).fetchall()
            else:
                rows = []
                for low, high in _prefix_ranges(under_folders):
                    rows += conn.execute(f"{query} AND path >= ? AND path < ?", (low, high)).fetchall()
        return {os.fsdecode(path): error for path, error in rows}

    def embedding_failures(self, model_id: str) -> dict[int, str]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT track_id, reason FROM embedding_failures WHERE model_id = ?", (model_id,)
            ).fetchall()
        return dict(rows)

    def load_embeddings(self, model_id: str, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids int64[N], vectors float32[N, D]) sorted by track id; (0,) and (0, 0) when there are none.

        Rows of another size than `dim` (default: the most common size) cannot share one index: they
        are deleted, so the next analysis run embeds those tracks again, and the rest keep working."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT track_id, dim, vector FROM embeddings WHERE model_id = ? ORDER BY track_id",
                (model_id,),
            ).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        sizes = Counter(d for _, d, _ in rows)
        if dim is None:
            dim = max(sizes, key=lambda d: (sizes[d], d))
        bad = [(track_id, model_id) for track_id, d, blob in rows if d != dim or len(blob) != 4 * d]
        if bad:
            with self._write() as conn:
                conn.executemany("DELETE FROM embeddings WHERE track_id = ? AND model_id = ?", bad)
            dropped = {b[0] for b in bad}
            rows = [r for r in rows if r[0] not in dropped]
            if not rows:
                return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32).reshape(len(rows), dim)
        return ids, matrix.copy()

    def predicted_genres(self, model_id: str) -> dict[int, str]:
        with self._read() as conn:
            rows = conn.execute("SELECT track_id, genre FROM embeddings WHERE model_id = ?", (model_id,))
            return dict(rows.fetchall())

    def embedding_model_counts(self) -> dict[str, int]:
        """model id -> number of stored embeddings (an earlier model's stay until the new one is in)."""
        with self._read() as conn:
            rows = conn.execute("SELECT model_id, COUNT(*) FROM embeddings GROUP BY model_id").fetchall()
        return dict(rows)

    def embedding_probabilities(
        self, model_id: str, track_id: int
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(genre_probs, mood_probs) stored for a track, each None when absent."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT genre_probs, mood_probs FROM embeddings WHERE model_id = ? AND track_id = ?",
                (model_id, int(track_id)),
            ).fetchone()
        if row is None:
            return None, None
        return tuple(None if b is None else np.frombuffer(b, dtype=np.float32).copy() for b in row)

    def embedding_profiles(self, model_id: str, track_ids: Iterable[int]) -> dict[int, EmbeddingProfile]:
        """track id -> its stored probabilities and tempo, for the ids that have an embedding."""
        ids = sorted({int(i) for i in track_ids})
        found: dict[int, EmbeddingProfile] = {}
        with self._read() as conn:
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                for track_id, genre_blob, mood_blob, tempo in conn.execute(
                    f"SELECT track_id, genre_probs, mood_probs, tempo FROM embeddings "
                    f"WHERE model_id = ? AND track_id IN ({marks})", (model_id, *chunk)
                ):
                    found[track_id] = EmbeddingProfile(
                        *(None if b is None else np.frombuffer(b, dtype=np.float32).copy()
                          for b in (genre_blob, mood_blob)), tempo)
        return found

    def tracks_needing_embedding(self, model_id: str) -> list[Track]:
        """Readable tracks with neither an embedding nor a recorded failure for `model_id`."""
        with self._read() as conn:
            rows = conn.execute(
                f"""
                SELECT {_TRACK_COLUMNS} FROM tracks t
                WHERE t.error IS NULL
                  AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.track_id = t.id AND e.model_id = ?)
                  AND NOT EXISTS (SELECT 1 FROM embedding_failures f
                                  WHERE f.track_id = t.id AND f.model_id = ?)
                ORDER BY t.id
                """,
                (model_id, model_id),
            ).fetchall()
        return list(map(_track_from_row, rows))

    def drop_superseded_embeddings(self, model_id: str) -> int:
        """Once `model_id` covers the library (every readable track has its embedding or a recorded failure),
        delete the other models' embeddings and failures: after an upgrade the old vectors are never served
        again. Returns how many embeddings went; 0, and nothing deleted, while tracks are still to analyse."""
        with self._write() as conn:
            pending = conn.execute(
                """
                SELECT 1 FROM tracks t
                WHERE t.error IS NULL
                  AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.track_id = t.id AND e.model_id = ?)
                  AND NOT EXISTS (SELECT 1 FROM embedding_failures f
                                  WHERE f.track_id = t.id AND f.model_id = ?)
                LIMIT 1
                """,
                (model_id, model_id),
            ).fetchone()
            if pending is not None:
                return 0
            dropped = conn.execute("DELETE FROM embeddings WHERE model_id != ?", (model_id,)).rowcount
            conn.execute("DELETE FROM embedding_failures WHERE model_id != ?", (model_id,))
            return max(dropped, 0)

    def embedding_counts(self, model_id: str) -> tuple[int, int]:
        """(done, total) over readable tracks: done = analysed by `model_id`, i.e. with an embedding or
        a recorded failure, so progress reaches total when analysis has finished."""
        with self._read() as conn:
            row = conn.execute(
                """
                SELECT
                  (SELECT COUNT(*) FROM tracks t WHERE t.error IS NULL AND (
                     EXISTS (SELECT 1 FROM embeddings e WHERE e.track_id = t.id AND e.model_id = ?)
                     OR EXISTS (SELECT 1 FROM embedding_failures f
                                WHERE f.track_id = t.id AND f.model_id = ?))),
                  (SELECT COUNT(*) FROM tracks WHERE error IS NULL)
                """,
                (model_id, model_id),
            ).fetchone()
        return int(row[0]), int(row[1])

    # -- maintenance ---------------------------------------------------------------------------------

    def integrity_check(self) -> str:
        """SQLite's integrity_check result ('ok' when the database is sound) plus foreign-key check."""
        with self._read() as conn:
            result = "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
            if result == "ok" and conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                result = "foreign key violations"
        return result

    def quick_check(self) -> str:
        """SQLite's quick_check ('ok' when every page reads back sound); cheaper than integrity_check."""
        with self._read() as conn:
            return "; ".join(r[0] for r in conn.execute("PRAGMA quick_check"))

    def schema_version(self) -> int:
        with self._read() as conn:
            return migrations.current_version(conn)


def _prefix_ranges(folders: Iterable[str | os.PathLike[str]]) -> list[tuple[bytes, bytes]]:
    """[low, high) byte ranges of the path keys under each folder, so the unique index on path is used."""
    sep = os.fsencode(os.sep)
    ranges = []
    for folder in folders:
        prefix = path_key(os.path.abspath(folder))
        if not prefix.endswith(sep):
            prefix += sep
        high = prefix[:-1] + bytes([prefix[-1] + 1])
        ranges.append((prefix, high))
    return ranges
