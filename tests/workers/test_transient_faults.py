"""Issue 20 item 8: another program holding the database's write lock only delays the analysis (it waits
with a bounded backoff and carries on when the lock goes); a real fault stops it, and the next library
change starts it again. The lock is a real second sqlite3 connection holding BEGIN IMMEDIATE on the file."""

import sqlite3
import threading

import pytest

from fmaplayer.library.store import LibraryStore
from fmaplayer.recommend.embedding_runner import EmbeddingRunner
from fmaplayer.workers.embedding_worker import EmbeddingWorker, start_in_thread, stop_thread
from tests.recommend.fakes import FakeEmbedder, add_tracks


@pytest.fixture
def db(tmp_path):
    return tmp_path / "lib.db"


@pytest.fixture
def store(db):
    store = LibraryStore(db, busy_timeout=0.02)   # a locked write fails after 20 ms instead of 30 s
    yield store
    store.close()


@pytest.fixture
def other_program(db, store):
    """A second connection; `other_program.execute("BEGIN IMMEDIATE")` takes the write lock until COMMIT."""
    conn = sqlite3.connect(str(db), isolation_level=None, check_same_thread=False)
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


def _in_thread(runner):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("summary", runner.run()), daemon=True)
    thread.start()
    return thread, result


def test_runner_waits_for_the_lock_with_bounded_backoff_and_carries_on(store, other_program):
    tracks = add_tracks(store, ["a", "b", "c", "bad-x"])
    other_program.execute("BEGIN IMMEDIATE")
    embedder = FakeEmbedder()
    waits, waited = [], threading.Event()

    def on_waiting(reason, delay):
        waits.append((reason, delay))
        if len(waits) >= 5:
            waited.set()

    runner = EmbeddingRunner(store, embedder, batch_size=2, on_waiting=on_waiting, retry_delays=(0.01, 0.04))
    thread, result = _in_thread(runner)
    assert waited.wait(10)
    assert thread.is_alive() and store.embedding_counts(embedder.model_id) == (0, 4)
    other_program.execute("COMMIT")                  # the other program lets go
    thread.join(10)
    assert not thread.is_alive()
    summary = result["summary"]
    assert summary.embedded == 3 and set(summary.failed) == {tracks[-1].id} and not summary.cancelled
    assert store.embedding_counts(embedder.model_id) == (4, 4)
    assert store.embedding_failures(embedder.model_id) == {tracks[-1].id: "bad-x.flac: not an audio file"}
    assert "database is locked" in waits[0][0]
    delays = [d for _, d in waits]
    assert delays[:4] == [0.01, 0.02, 0.04, 0.04] and max(delays) == 0.04   # doubles, then stays bounded


def test_cancel_ends_the_wait_for_the_lock_at_once(store, other_program):
    add_tracks(store, ["a", "b"])
    other_program.execute("BEGIN IMMEDIATE")
    waited = threading.Event()
    runner = EmbeddingRunner(store, FakeEmbedder(), on_waiting=lambda reason, delay: waited.set())
    thread, result = _in_thread(runner)               # default backoff: 0.5 s, doubling to 30 s
    assert waited.wait(10)
    runner.cancel()
    thread.join(5)
    assert not thread.is_alive() and result["summary"].cancelled and result["summary"].embedded == 0


def test_worker_keeps_going_through_a_lock_and_never_reports_it_as_stopped(qtbot, store, other_program):
    add_tracks(store, [f"t{i}" for i in range(5)])
    other_program.execute("BEGIN IMMEDIATE")
    embedder = FakeEmbedder()
    worker = EmbeddingWorker(store, lambda device: embedder, batch_size=2, stay_alive=True)
    errors, waiting, committed = [], [], []
    worker.error.connect(errors.append)
    worker.waiting.connect(waiting.append)
    worker.batchCommitted.connect(committed.extend)
    thread = start_in_thread(worker)
    try:
        qtbot.waitUntil(lambda: len(waiting) >= 1, timeout=10000)
        assert "another program" in waiting[0] and committed == []
        other_program.execute("COMMIT")
        qtbot.waitUntil(lambda: len(committed) == 5, timeout=10000)   # the first retry is 0.5 s away
        assert errors == [] and thread.isRunning()
    finally:
        assert stop_thread(worker, thread)


class _BrokenThenMended(FakeEmbedder):
    """The model fails on every file (not the file's fault) until `mended` is set."""

    def __init__(self):
        super().__init__()
        self.mended = threading.Event()

    def embed(self, path):
        if not self.mended.is_set():
            raise RuntimeError("out of memory")
        return super().embed(path)


def test_a_real_fault_stops_the_worker_and_a_library_change_starts_it_again(qtbot, store):
    tracks = add_tracks(store, ["a", "b", "c"])
    embedder = _BrokenThenMended()
    worker = EmbeddingWorker(store, lambda device: embedder, batch_size=2, stay_alive=True)
    committed, restarted = [], []
    worker.batchCommitted.connect(committed.extend)
    worker.restarted.connect(lambda: restarted.append(True))
    with qtbot.waitSignal(worker.error, timeout=10000) as blocker:
        thread = start_in_thread(worker)
    try:
        assert "out of memory" in blocker.args[0] and "no track was marked unreadable" in blocker.args[0]
        assert store.embedding_failures(embedder.model_id) == {} and thread.isRunning()
        embedder.mended.set()
        add_tracks(store, ["d"])                      # a rescan found a new file
        with qtbot.waitSignal(worker.restarted, timeout=5000):
            worker.refresh()
        qtbot.waitUntil(lambda: len(committed) == 4, timeout=10000)
        assert sorted(committed) == sorted([t.id for t in tracks] + [store.track_by_path("/music/d.flac").id])
        assert restarted == [True]
    finally:
        with qtbot.waitSignal(worker.finished, timeout=5000):
            assert stop_thread(worker, thread)
