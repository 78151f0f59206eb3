import threading

import pytest

from fmaplayer.workers.embedding_worker import EmbeddingWorker, start_in_thread, stop_thread
from tests.recommend.fakes import FakeEmbedder, add_tracks, make_store


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "lib.db")


def _factory(embedder, seen_threads=None):
    def factory(device):
        if seen_threads is not None:
            seen_threads.append((threading.get_ident(), device))
        return embedder
    return factory


def test_worker_embeds_in_its_thread_and_signals(qtbot, store):
    tracks = add_tracks(store, [f"t{i:02d}" for i in range(9)] + ["bad-x"])
    embedder, seen = FakeEmbedder(device="CPU"), []
    worker = EmbeddingWorker(store, _factory(embedder, seen), device="cpu", batch_size=4, stay_alive=False)
    progress, committed, failed, devices, loaded = [], [], [], [], []
    worker.progress.connect(lambda d, t, r: progress.append((d, t, r)))
    worker.batchCommitted.connect(committed.append)
    worker.trackFailed.connect(lambda i, r: failed.append(i))
    worker.deviceReady.connect(devices.append)
    worker.indexLoaded.connect(lambda ids, m, g: loaded.append(len(ids)))
    with qtbot.waitSignal(worker.finished, timeout=10000):
        thread = start_in_thread(worker)
    assert stop_thread(worker, thread)
    assert seen and seen[0][0] != threading.get_ident() and seen[0][1] == "cpu"   # built off the UI thread
    assert devices == ["CPU"] and loaded == [0]
    assert [len(b) for b in committed] == [4, 4, 1]
    assert failed == [tracks[-1].id]
    assert progress[-1][:2] == (10, 10) and progress[-1][2] > 0


def test_pause_resume_and_on_demand_while_paused(qtbot, store):
    tracks = add_tracks(store, [f"t{i:02d}" for i in range(8)])
    gate = threading.Event()
    embedder = FakeEmbedder(before_batch=lambda paths: gate.wait(10))
    worker = EmbeddingWorker(store, _factory(embedder), batch_size=2, stay_alive=True)
    committed = []
    worker.batchCommitted.connect(committed.append)
    thread = start_in_thread(worker)
    try:
        qtbot.waitUntil(lambda: len(embedder.calls) == 1, timeout=5000)
        worker.pause()                       # takes effect after the batch in flight
        gate.set()
        qtbot.waitUntil(lambda: len(committed) == 1, timeout=5000)
        worker.request_priority([tracks[7].id])
        qtbot.waitUntil(lambda: len(committed) == 2, timeout=5000)
        assert committed[1] == [tracks[7].id] and len(embedder.calls) == 2 and worker.is_paused()
        worker.resume()
        qtbot.waitUntil(lambda: sum(map(len, committed)) == 8, timeout=5000)
        # stay_alive: the worker idles, then serves a new on-demand request for an embedded track
        worker.request_priority([tracks[0].id])
        qtbot.waitUntil(lambda: committed[-1] == [tracks[0].id], timeout=5000)
    finally:
        gate.set()
        with qtbot.waitSignal(worker.finished, timeout=5000):
            assert stop_thread(worker, thread)


def test_cancel_keeps_finished_batches(qtbot, store):
    add_tracks(store, [f"t{i:02d}" for i in range(12)])
    release = threading.Event()
    embedder = FakeEmbedder()
    embedder.before_batch = lambda paths: release.wait(10) if len(embedder.calls) == 2 else None
    worker = EmbeddingWorker(store, _factory(embedder), batch_size=3)
    thread = start_in_thread(worker)
    qtbot.waitUntil(lambda: len(embedder.calls) == 2, timeout=5000)
    worker.cancel()
    release.set()
    qtbot.waitUntil(lambda: not thread.isRunning(), timeout=5000)
    assert stop_thread(worker, thread)
    ids, _ = store.load_embeddings(embedder.model_id)
    assert len(ids) == 6 and len(embedder.calls) == 2           # the batch in flight committed whole


def test_model_load_failure_is_reported(qtbot, store):
    def factory(device):
        raise RuntimeError("weights missing")
    worker = EmbeddingWorker(store, factory)
    with qtbot.waitSignal(worker.error, timeout=5000) as blocker:
        thread = start_in_thread(worker)
    assert "weights missing" in blocker.args[0]
    qtbot.waitUntil(lambda: not thread.isRunning(), timeout=5000)


def test_model_id_hint_loads_stored_embeddings_before_the_model(qtbot, store):
    from fmaplayer.recommend.embedding_runner import EmbeddingRunner

    add_tracks(store, ["a", "b"])
    embedder = FakeEmbedder()
    EmbeddingRunner(store, embedder).run()
    model_ready = threading.Event()
    events = []

    def slow_factory(device):
        events.append("factory")
        assert model_ready.wait(10)
        return embedder

    worker = EmbeddingWorker(store, slow_factory, stay_alive=False, model_id_hint=lambda: embedder.model_id)
    worker.indexLoaded.connect(lambda ids, m, g: events.append(("index", len(ids))))
    thread = start_in_thread(worker)
    qtbot.waitUntil(lambda: ("index", 2) in events, timeout=5000)     # while the model is still loading
    model_ready.set()
    qtbot.waitUntil(lambda: not thread.isRunning(), timeout=5000)
    assert events.count(("index", 2)) == 1                              # same id: not loaded twice
