"""Issue 10, item 11: a database without its schema_version table, and one scan per database."""

from __future__ import annotations

import argparse
import sqlite3

import pytest

from fmaplayer.cli import library_commands as cli_commands
from fmaplayer.errors import LibraryError
from fmaplayer.library import scan_lock
from fmaplayer.library.scan_lock import ScanLock
from fmaplayer.library.store import LibraryStore
from tests.audio_fixtures import write_tone
from tests.recommend.fakes import FakeEmbedder


def test_missing_schema_version_says_damaged_and_how_to_recover(tmp_path):
    db = tmp_path / "library.db"
    LibraryStore(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE schema_version")
    with pytest.raises(LibraryError, match="damaged") as caught:
        LibraryStore(db)
    assert "already exists" not in str(caught.value) and "scan your music folders again" in str(caught.value)
    backup = tmp_path / "library.db.v2-20260101-000000.bak"
    backup.write_bytes(b"")
    with pytest.raises(LibraryError, match="restore the backup .*v2-20260101-000000.bak"):
        LibraryStore(db)


def test_a_second_scan_waits_for_the_first(tmp_path, capsys, monkeypatch):
    music = tmp_path / "music"
    write_tone(music / "a.wav", seconds=0.2)
    db = tmp_path / "lib.db"
    other = ScanLock(db)   # another process's scan (flock locks are per open file, so this stands in)
    other.acquire()
    other.path.write_text("4242\n")
    real_acquire = ScanLock.acquire

    def acquire(self, on_busy=None):
        def busy(pid):
            on_busy(pid)
            other.release()   # the first scan finishes while the second waits
        return real_acquire(self, on_busy=busy)

    monkeypatch.setattr(scan_lock.ScanLock, "acquire", acquire)
    parser = argparse.ArgumentParser()
    cli_commands.add_arguments("scan", parser)
    args = parser.parse_args([str(music), "--db", str(db)])
    code = cli_commands.run("scan", args, lambda d: FakeEmbedder())
    captured = capsys.readouterr()
    assert code == 0 and "another scan is running on this library (pid 4242); waiting" in captured.err
    assert "embedded: 1 of 1" in captured.out


def test_the_lock_is_free_again_after_a_scan(tmp_path):
    lock = ScanLock(tmp_path / "lib.db")
    with lock:
        pass
    busy = []
    ScanLock(tmp_path / "lib.db").acquire(on_busy=busy.append)
    assert busy == []
