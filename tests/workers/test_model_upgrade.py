"""A library analysed by an older model: the panel keeps the old vectors until the new model has caught up,
and the two models' vectors are never mixed in one index."""

import threading

import numpy as np

from fmaplayer.library.store import EmbeddingRow
from fmaplayer.workers.embedding_worker import EmbeddingWorker, start_in_thread, stop_thread
from tests.recommend.fakes import FakeEmbedder, add_tracks, make_store

OLD, NEW = "cnn_lstm@1.0.0+aaaaaaaa", "cnn_lstm@2.0.0+bbbbbbbb"


def run_new_model_to_end(qtbot, store, embedder, committed: list | None = None) -> list[str]:
    """Run a one-shot worker for the NEW model until it finishes; the model ids it served, in order."""
    worker = EmbeddingWorker(store, lambda device: embedder, batch_size=2, stay_alive=False,
                             model_id_hint=lambda: NEW)
    models: list[str] = []
    worker.indexModel.connect(models.append)
    if committed is not None:
        worker.committed.connect(committed.append)
    with qtbot.waitSignal(worker.finished, timeout=10000):
        thread = start_in_thread(worker)
    assert stop_thread(worker, thread)
    return models


def test_old_vectors_serve_until_the_new_model_has_reanalysed_everything(qtbot, tmp_path):
    store = make_store(tmp_path / "lib.db")
    tracks = add_tracks(store, [f"t{i}" for i in range(6)])
    old_vec = np.eye(8, dtype=np.float32)[0]
    store.save_embeddings(OLD, [EmbeddingRow(t.id, old_vec, "Rock") for t in tracks])
    gate = threading.Event()
    embedder = FakeEmbedder(model_id=NEW, before_batch=lambda paths: gate.wait(10))
    worker = EmbeddingWorker(store, lambda device: embedder, batch_size=2, stay_alive=True,
                             model_id_hint=lambda: NEW)
    models, loaded, committed = [], [], []
    worker.indexModel.connect(models.append)
    worker.indexLoaded.connect(lambda ids, matrix, genres: loaded.append((len(ids), matrix.copy())))
    worker.committed.connect(committed.append)
    thread = start_in_thread(worker)
    try:
        qtbot.waitUntil(lambda: len(embedder.calls) == 1, timeout=5000)
        # analysis of the first batch is under way: the panel has the old model's full index
        assert models == [OLD] and loaded[0][0] == 6
        np.testing.assert_allclose(loaded[0][1][0], old_vec)
        gate.set()
        qtbot.waitUntil(lambda: models[-1] == NEW, timeout=10000)
        assert committed == []                      # no new-model vector went into the old index
        assert loaded[-1][0] == 6                   # switched once the new model covered the library
        assert not np.allclose(loaded[-1][1][0], old_vec)
        assert store.embedding_counts(NEW) == (6, 6)
    finally:
        gate.set()
        assert stop_thread(worker, thread)


def test_a_fresh_library_uses_the_new_model_at_once(qtbot, tmp_path):
    store = make_store(tmp_path / "lib.db")
    add_tracks(store, ["a", "b", "c"])
    embedder = FakeEmbedder(model_id=NEW)
    committed = []
    models = run_new_model_to_end(qtbot, store, embedder, committed)
    assert models == [NEW] and sum(len(b.ids) for b in committed) == 3


def test_the_switch_happens_when_reanalysis_ends_even_if_a_file_now_fails(qtbot, tmp_path):
    store = make_store(tmp_path / "lib.db")
    tracks = add_tracks(store, ["a", "b", "c", "bad-x"])        # "bad-x" fails under the new model
    store.save_embeddings(OLD, [EmbeddingRow(t.id, np.eye(8, dtype=np.float32)[0], "Rock") for t in tracks])
    embedder = FakeEmbedder(model_id=NEW)
    models = run_new_model_to_end(qtbot, store, embedder)
    assert models == [OLD, NEW] and store.embedding_counts(NEW) == (4, 4)
