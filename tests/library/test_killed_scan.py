"""A scan killed with SIGKILL leaves a consistent database, and the next scan finishes the job."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from fmaplayer.library.scanner import Scanner
from fmaplayer.library.store import LibraryStore
from tests.audio_fixtures import write_tone

REPO_ROOT = Path(__file__).resolve().parents[2]
N_FILES = 300
BATCH = 20

# The child scans with small batches; after most files it blocks (bounded) so that the parent's
# kill always lands mid-scan however fast or slow this machine is.
CHILD = textwrap.dedent(
    """
    import sys, threading
    from fmaplayer.library import scanner
    from fmaplayer.library.store import LibraryStore

    db, folder, batch, block_after = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    real_read_tags = scanner.read_tags
    reads = 0

    def read_tags(path):
        global reads
        reads += 1
        if reads > block_after:
            threading.Event().wait(120)
        return real_read_tags(path)

    scanner.read_tags = read_tags
    scanner.Scanner(LibraryStore(db), batch_size=batch).scan([folder])
    """
)


def committed_rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0  # schema not created yet, or the file is mid-creation


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_scan_killed_mid_way_leaves_a_consistent_db_and_rescan_completes(tmp_path):
    music = tmp_path / "music"
    for i in range(N_FILES):
        write_tone(music / f"album{i // 50}" / f"{i:03d}.wav", seconds=0.02, freq=200 + i, sr=8000)
    db = tmp_path / "library.db"

    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(music), str(BATCH), str(N_FILES - 50)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        pause = threading.Event()
        while committed_rows(db) < 2 * BATCH:
            assert child.poll() is None, child.stderr.read().decode(errors="replace")
            assert time.monotonic() < deadline, "the child scan made no progress"
            pause.wait(0.01)
        assert child.poll() is None, "the scan finished before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
        child.stderr.close()

    with LibraryStore(db) as store:
        assert store.integrity_check() == "ok"
        partial = store.count()
        assert 2 * BATCH <= partial < N_FILES
        assert partial % BATCH == 0  # only whole batches were committed
        conn = sqlite3.connect(db)
        duplicates = conn.execute("SELECT path FROM tracks GROUP BY path HAVING COUNT(*) > 1").fetchall()
        conn.close()
        assert duplicates == []

        summary = Scanner(store).scan([music])
        assert (summary.unchanged, summary.added, summary.removed) == (partial, N_FILES - partial, 0)
        assert store.count() == N_FILES and store.unreadable() == []
        assert store.integrity_check() == "ok"
        assert Scanner(store).scan([music]).unchanged == N_FILES
