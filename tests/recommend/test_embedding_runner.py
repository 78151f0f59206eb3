import threading

import numpy as np
import pytest

from fmaplayer.recommend.embedding_runner import EmbeddingRunner
from tests.recommend.fakes import FakeEmbedder, add_tracks, make_store


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "lib.db")


def test_embeds_everything_in_batches_and_records_failures(store):
    tracks = add_tracks(store, [f"t{i:02d}" for i in range(10)] + ["bad-one"])
    embedder = FakeEmbedder()
    progress, committed, failed = [], [], []
    runner = EmbeddingRunner(store, embedder, batch_size=4, on_progress=progress.append,
                             on_committed=committed.append, on_failed=lambda i, r: failed.append((i, r)))
    summary = runner.run()
    assert [len(c) for c in embedder.calls] == [4, 4, 3]
    assert summary.embedded == 10 and list(summary.failed) == [tracks[-1].id]
    assert failed and "not an audio file" in failed[0][1]
    ids, matrix = store.load_embeddings(embedder.model_id)
    assert sorted(ids.tolist()) == sorted(t.id for t in tracks[:10])
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, rtol=1e-5)
    assert store.tracks_needing_embedding(embedder.model_id) == []       # the failure is remembered
    assert progress[0].done == 0 and progress[-1].done == progress[-1].total == 11
    assert [p.done for p in progress] == sorted(p.done for p in progress)
    assert sum(len(c.ids) for c in committed) == 10
    assert committed[0].genres[committed[0].ids[0]] == embedder.genre_for(tracks[0].path)
    # a second run has nothing to do
    embedder.calls.clear()
    assert EmbeddingRunner(store, embedder).run().embedded == 0 and embedder.calls == []


def test_priority_jumps_the_queue(store):
    tracks = add_tracks(store, [f"t{i:02d}" for i in range(12)])
    embedder = FakeEmbedder()
    runner = EmbeddingRunner(store, embedder, batch_size=3)

    def before_batch(paths):
        if len(embedder.calls) == 1:
            runner.request_priority([tracks[11].id, tracks[10].id])
    embedder.before_batch = before_batch
    runner.run()
    assert embedder.calls[1] == [tracks[10].path, tracks[11].path]   # queue order, ahead of t03..
    assert sum(len(c) for c in embedder.calls) == 12                 # nothing embedded twice


def test_cancel_commits_the_batch_in_flight_and_stops(store):
    add_tracks(store, [f"t{i:02d}" for i in range(20)])
    embedder = FakeEmbedder()
    runner = EmbeddingRunner(store, embedder, batch_size=5)
    embedder.before_batch = lambda paths: runner.cancel() if len(embedder.calls) == 2 else None
    summary = runner.run()
    assert summary.cancelled and summary.embedded == 10
    assert len(store.load_embeddings(embedder.model_id)[0]) == 10
    assert EmbeddingRunner(store, embedder, batch_size=5).run().embedded == 10   # resumes the rest


def test_pause_blocks_between_batches_until_resume(store):
    add_tracks(store, [f"t{i:02d}" for i in range(6)])
    embedder = FakeEmbedder()
    runner = EmbeddingRunner(store, embedder, batch_size=2)
    paused_at = threading.Event()

    def before_batch(paths):
        if len(embedder.calls) == 1:
            runner.pause()
            paused_at.set()
    embedder.before_batch = before_batch
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("s", runner.run()))
    thread.start()
    assert paused_at.wait(5)
    thread.join(0.2)
    assert thread.is_alive() and len(embedder.calls) == 1      # parked after the first batch
    runner.request_priority([store.all_tracks()[5].id])        # an on-demand request runs while paused
    for _ in range(100):
        if len(embedder.calls) == 2:
            break
        thread.join(0.05)
    assert len(embedder.calls) == 2 and thread.is_alive()
    runner.resume()
    thread.join(5)
    assert not thread.is_alive() and result["s"].embedded == 6


def test_whole_batch_falls_back_to_single_embeds_when_embed_many_raises(store):
    tracks = add_tracks(store, ["a", "b", "c"])
    embedder = FakeEmbedder()

    def explode(paths):
        raise RuntimeError("library blew up")
    embedder.before_batch = explode
    summary = EmbeddingRunner(store, embedder, batch_size=3).run()
    assert summary.embedded == 3 and not summary.failed
    assert sorted(store.load_embeddings(embedder.model_id)[0].tolist()) == sorted(t.id for t in tracks)
