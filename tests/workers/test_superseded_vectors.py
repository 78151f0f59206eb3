"""Issue 20 item 12: after a model upgrade the old model's vectors leave the database once the new model
covers the library (every readable track has its new vector or a recorded failure), and not before."""

import numpy as np

from fmaplayer.errors import AudioDecodeError
from fmaplayer.library.store import EmbeddingRow
from fmaplayer.recommend.embedding_runner import EmbeddingRunner
from tests.recommend.fakes import FakeEmbedder, add_tracks, make_store
from tests.workers.test_model_upgrade import NEW, OLD, run_new_model_to_end


def _old_vectors(store, tracks):
    store.save_embeddings(OLD, [EmbeddingRow(t.id, np.eye(8, dtype=np.float32)[0], "Rock") for t in tracks])


def test_the_store_drops_other_models_only_once_the_model_covers_the_library(tmp_path):
    store = make_store(tmp_path / "lib.db")
    tracks = add_tracks(store, ["a", "b", "c"])
    _old_vectors(store, tracks)
    store.record_embedding_failure(OLD, tracks[2].id, "old failure")
    vec = np.eye(8, dtype=np.float32)[1]
    store.save_embeddings(NEW, [EmbeddingRow(tracks[0].id, vec, "Pop")])
    assert store.drop_superseded_embeddings(NEW) == 0                     # b and c not analysed yet
    assert store.embedding_model_counts() == {OLD: 3, NEW: 1}
    store.save_embeddings(NEW, [EmbeddingRow(tracks[1].id, vec, "Pop")])
    store.record_embedding_failure(NEW, tracks[2].id, "not a valid MP3 file")   # a failure covers it too
    assert store.drop_superseded_embeddings(NEW) == 3
    assert store.embedding_model_counts() == {NEW: 2}
    assert store.embedding_failures(OLD) == {}
    assert store.embedding_failures(NEW) == {tracks[2].id: "not a valid MP3 file"}


def test_after_the_upgrade_reanalysis_only_the_new_vectors_remain(qtbot, tmp_path):
    store = make_store(tmp_path / "lib.db")
    tracks = add_tracks(store, ["a", "b", "c", "bad-x"])          # bad-x cannot be read by the new model
    _old_vectors(store, tracks)
    embedder = FakeEmbedder(model_id=NEW)
    models = run_new_model_to_end(qtbot, store, embedder)
    assert models == [OLD, NEW]                                      # the old served until the switch
    assert store.embedding_model_counts() == {NEW: 3}
    assert set(store.embedding_failures(NEW)) == {tracks[-1].id}


class _LockedFile(FakeEmbedder):
    def embed(self, path):
        if "locked" in str(path):
            raise AudioDecodeError("locked.flac: permission denied")   # transient: tried again later
        return super().embed(path)


def test_a_file_that_failed_only_for_now_keeps_the_old_vectors(tmp_path):
    store = make_store(tmp_path / "lib.db")
    tracks = add_tracks(store, ["a", "locked"])
    _old_vectors(store, tracks)
    summary = EmbeddingRunner(store, _LockedFile(model_id=NEW)).run()
    assert summary.embedded == 1 and summary.superseded_dropped == 0
    assert store.embedding_model_counts() == {OLD: 2, NEW: 1}
    summary = EmbeddingRunner(store, FakeEmbedder(model_id=NEW)).run()     # readable again: covered
    assert summary.embedded == 1 and summary.superseded_dropped == 2
    assert store.embedding_model_counts() == {NEW: 2}


def test_a_library_already_covered_drops_the_old_vectors_at_the_start(tmp_path):
    store = make_store(tmp_path / "lib.db")
    tracks = add_tracks(store, ["a", "b"])
    _old_vectors(store, tracks)
    EmbeddingRunner(store, FakeEmbedder(model_id=NEW)).embed_ids([t.id for t in tracks])   # no purge here
    assert store.embedding_model_counts() == {OLD: 2, NEW: 2}
    summary = EmbeddingRunner(store, FakeEmbedder(model_id=NEW)).run()
    assert summary.embedded == 0 and summary.superseded_dropped == 2
    assert store.embedding_model_counts() == {NEW: 2}
