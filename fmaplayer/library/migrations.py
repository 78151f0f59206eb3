"""Schema version table and the named migrations that build the library database, applied in order.

A migration is never edited once released; a schema change is a new entry at the end of MIGRATIONS.
Before migrating a database that already holds data, a backup copy is written next to it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fmaplayer.errors import LibraryError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


def _create_tracks(conn: sqlite3.Connection) -> None:
    # path is the file name's exact bytes (see paths.path_key): non-UTF-8 names round-trip.
    conn.execute(
        """
        CREATE TABLE tracks (
            id           INTEGER PRIMARY KEY,
            path         BLOB NOT NULL UNIQUE,
            title        TEXT NOT NULL DEFAULT '',
            artist       TEXT NOT NULL DEFAULT '',
            album        TEXT NOT NULL DEFAULT '',
            album_artist TEXT NOT NULL DEFAULT '',
            track_no     INTEGER,
            year         INTEGER,
            genre        TEXT NOT NULL DEFAULT '',
            duration     REAL NOT NULL DEFAULT 0,
            size         INTEGER NOT NULL DEFAULT 0,
            mtime        REAL NOT NULL DEFAULT 0,
            error        TEXT,
            added_at     REAL NOT NULL DEFAULT 0
        )
        """
    )
    conn.execute("CREATE INDEX tracks_error ON tracks(error) WHERE error IS NOT NULL")


def _create_embeddings(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE embeddings (
            track_id    INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
            model_id    TEXT NOT NULL,
            dim         INTEGER NOT NULL,
            vector      BLOB NOT NULL,
            genre       TEXT NOT NULL DEFAULT '',
            genre_probs BLOB,
            mood        TEXT,
            mood_probs  BLOB,
            created_at  REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (track_id, model_id)
        ) WITHOUT ROWID
        """
    )
    conn.execute("CREATE INDEX embeddings_model ON embeddings(model_id, track_id)")
    conn.execute(
        """
        CREATE TABLE embedding_failures (
            track_id   INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
            model_id   TEXT NOT NULL,
            reason     TEXT NOT NULL,
            created_at REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (track_id, model_id)
        ) WITHOUT ROWID
        """
    )
    conn.execute("CREATE INDEX embedding_failures_model ON embedding_failures(model_id, track_id)")


def _drop_stale_analysis_on_change(conn: sqlite3.Connection) -> None:
    # A file whose size or mtime changed is a different recording as far as we know: its embeddings
    # and recorded failures no longer apply, so it is analysed again.
    conn.execute(
        """
        CREATE TRIGGER tracks_file_changed
        AFTER UPDATE OF size, mtime ON tracks
        WHEN old.size IS NOT new.size OR old.mtime IS NOT new.mtime
        BEGIN
            DELETE FROM embeddings WHERE track_id = old.id;
            DELETE FROM embedding_failures WHERE track_id = old.id;
        END
        """
    )


def _add_embedding_tempo(conn: sqlite3.Connection) -> None:
    # BPM estimated from the analysis excerpts ("Why this song?"); NULL for tracks analysed before it
    # existed or without a clear pulse: no re-analysis is forced, the explanation leaves tempo out.
    conn.execute("ALTER TABLE embeddings ADD COLUMN tempo REAL")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create_tracks", _create_tracks),
    Migration(2, "create_embeddings", _create_embeddings),
    Migration(3, "drop_stale_analysis_on_change", _drop_stale_analysis_on_change),
    Migration(4, "add_embedding_tempo", _add_embedding_tempo),
)
LATEST_VERSION = MIGRATIONS[-1].version


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def applied_migrations(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    current_version(conn)
    return [tuple(r) for r in conn.execute("SELECT version, name FROM schema_version ORDER BY version")]


def backup_database(conn: sqlite3.Connection, db_path: Path, from_version: int) -> Path:
    """Copy the database (consistently, through SQLite's backup API, WAL included) next to itself."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = db_path.with_name(f"{db_path.name}.v{from_version}-{stamp}.bak")
    n = 1
    while target.exists():
        n += 1
        target = db_path.with_name(f"{db_path.name}.v{from_version}-{stamp}-{n}.bak")
    dest = sqlite3.connect(str(target))
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


def _has_library_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tracks'").fetchone()
    return row is not None


def damaged_schema_message(db_path: Path | None) -> str:
    """Tables without their schema_version rows: migrating would fail on "table already exists"."""
    backups = sorted(db_path.parent.glob(f"{db_path.name}.v*.bak")) if db_path is not None else []
    way_out = (f"restore the backup {backups[-1]} (copy it over the database)" if backups
               else "move it aside and scan your music folders again to rebuild the library")
    return (f"the library database {db_path} is damaged (its schema version record is missing); "
            f"to recover, {way_out}")


def migrate(conn: sqlite3.Connection, db_path: Path | None, target_version: int | None = None) -> Path | None:
    """Bring the schema to `target_version` (default: the latest); returns the backup path, if any.

    Each migration runs in its own transaction together with its schema_version row, so a crash
    leaves the database at the last completed version. `conn` must be in autocommit mode.
    """
    if target_version is None:
        target_version = LATEST_VERSION
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise LibraryError(
            f"the library database is from a newer fmaplayer (schema {version}, this version knows "
            f"{LATEST_VERSION}); update fmaplayer or move {db_path} aside"
        )
    if version == 0 and _has_library_tables(conn):
        raise LibraryError(damaged_schema_message(db_path))
    pending = [m for m in MIGRATIONS if version < m.version <= target_version]
    if not pending:
        return None
    backup = None
    if version > 0 and db_path is not None:
        backup = backup_database(conn, db_path, version)
    for migration in pending:
        try:
            conn.execute("BEGIN IMMEDIATE")
            if current_version(conn) >= migration.version:
                conn.execute("COMMIT")  # another process applied it while we waited for the lock
                continue
            migration.apply(conn)
            conn.execute(
                "INSERT INTO schema_version(version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, time.time()),
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise LibraryError(f"migration {migration.version} ({migration.name}) failed: {exc}") from exc
    return backup
