"""Schema versions: named migrations in order, a backup before migrating existing data, clear errors."""

from __future__ import annotations

import sqlite3

import pytest

from fmaplayer.errors import LibraryError
from fmaplayer.library import migrations
from fmaplayer.library.migrations import LATEST_VERSION, MIGRATIONS, Migration
from fmaplayer.library.store import LibraryStore


def raw_connection(path) -> sqlite3.Connection:
    return sqlite3.connect(str(path), isolation_level=None)


def test_migrations_are_numbered_in_order_with_unique_names():
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert len({m.name for m in MIGRATIONS}) == len(MIGRATIONS)
    assert LATEST_VERSION == MIGRATIONS[-1].version


def test_fresh_database_gets_every_migration_and_no_backup(tmp_path):
    db = tmp_path / "library.db"
    with LibraryStore(db) as store:
        assert store.schema_version() == LATEST_VERSION
        assert store.backup_path is None
    conn = raw_connection(db)
    assert migrations.applied_migrations(conn) == [(m.version, m.name) for m in MIGRATIONS]
    conn.close()
    assert list(tmp_path.glob("*.bak")) == []


def test_old_database_is_backed_up_then_migrated_keeping_its_data(tmp_path):
    db = tmp_path / "library.db"
    conn = raw_connection(db)
    conn.execute("PRAGMA journal_mode=WAL")
    migrations.migrate(conn, db, target_version=1)
    conn.execute("INSERT INTO tracks(path, title, size, mtime) VALUES (?, 'kept', 5, 1.0)", (b"/m/a.mp3",))
    conn.close()

    with LibraryStore(db) as store:
        assert store.schema_version() == LATEST_VERSION
        backup = store.backup_path
        assert backup is not None and backup.exists() and backup.name.startswith("library.db.v1-")
        track = store.track_by_path("/m/a.mp3")
        assert track.title == "kept" and track.size == 5
        assert store.tracks_needing_embedding("m") == [track]

    old = raw_connection(backup)
    assert migrations.current_version(old) == 1
    assert old.execute("SELECT title FROM tracks").fetchall() == [("kept",)]
    assert old.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    old.close()


def test_database_from_a_newer_version_is_refused_clearly(tmp_path):
    db = tmp_path / "library.db"
    LibraryStore(db).close()
    conn = raw_connection(db)
    conn.execute("INSERT INTO schema_version VALUES (?, 'from_the_future', 0)", (LATEST_VERSION + 1,))
    conn.close()
    with pytest.raises(LibraryError, match="newer fmaplayer"):
        LibraryStore(db)


def test_a_failing_migration_leaves_the_last_good_version(tmp_path, monkeypatch):
    def broken(conn):
        conn.execute("CREATE TABLE half_done (x)")
        conn.execute("THIS IS NOT SQL")

    monkeypatch.setattr(
        migrations, "MIGRATIONS", MIGRATIONS + (Migration(LATEST_VERSION + 1, "broken", broken),)
    )
    monkeypatch.setattr(migrations, "LATEST_VERSION", LATEST_VERSION + 1)
    db = tmp_path / "library.db"
    with pytest.raises(LibraryError, match="broken"):
        LibraryStore(db)
    conn = raw_connection(db)
    assert migrations.current_version(conn) == LATEST_VERSION
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchone() is None
    conn.close()


def test_backups_never_overwrite_each_other(tmp_path):
    db = tmp_path / "library.db"
    conn = raw_connection(db)
    migrations.migrate(conn, db, target_version=1)
    first = migrations.backup_database(conn, db, 1)
    second = migrations.backup_database(conn, db, 1)
    conn.close()
    assert first != second and first.exists() and second.exists()
