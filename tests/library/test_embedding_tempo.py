"""The tempo column: stored with the embedding, NULL (not re-analysed) for rows from before it existed."""

from __future__ import annotations

import sqlite3

import numpy as np

from fmaplayer.library import migrations
from fmaplayer.library.store import EmbeddingRow, LibraryStore

MODEL = "m@1"


def unit(i: int, dim: int = 4) -> np.ndarray:
    return np.eye(dim, dtype=np.float32)[i % dim]


def test_tempo_round_trips_and_bad_values_are_stored_as_unknown(tmp_path):
    with LibraryStore(tmp_path / "library.db") as store:
        ids = store.upsert_tracks([{"path": f"/m/{i}.ogg"} for i in range(4)])
        store.save_embeddings(MODEL, [
            EmbeddingRow(ids[0], unit(0), "Jazz", np.array([0.7, 0.3], "f4"), "calm",
                         np.array([0.9, 0.1], "f4"), tempo=92.5),
            EmbeddingRow(ids[1], unit(1), "Rock", tempo=None),
            EmbeddingRow(ids[2], unit(2), "Rock", tempo=float("nan")),
        ])
        profiles = store.embedding_profiles(MODEL, [ids[2], ids[0], ids[1], ids[3], 999])
        assert set(profiles) == {ids[0], ids[1], ids[2]}   # no embedding: no profile
        assert profiles[ids[0]].tempo == 92.5
        np.testing.assert_allclose(profiles[ids[0]].genre_probs, [0.7, 0.3])
        np.testing.assert_allclose(profiles[ids[0]].mood_probs, [0.9, 0.1])
        assert profiles[ids[1]].tempo is None and profiles[ids[1]].genre_probs is None
        assert profiles[ids[2]].tempo is None
        store.save_embeddings(MODEL, [EmbeddingRow(ids[0], unit(0), "Jazz", tempo=120.0)])  # re-analysis
        assert store.embedding_profiles(MODEL, [ids[0]])[ids[0]].tempo == 120.0


def test_embeddings_from_before_the_tempo_column_keep_their_vectors_and_need_no_reanalysis(tmp_path):
    db = tmp_path / "library.db"
    conn = sqlite3.connect(str(db), isolation_level=None)
    migrations.migrate(conn, db, target_version=3)
    conn.execute("INSERT INTO tracks(id, path) VALUES (1, ?)", (b"/m/old.ogg",))
    conn.execute("INSERT INTO embeddings(track_id, model_id, dim, vector, genre) VALUES (1, ?, 4, ?, 'Jazz')",
                 (MODEL, unit(3).tobytes()))
    conn.close()
    with LibraryStore(db) as store:
        assert store.schema_version() == 4 and store.backup_path is not None
        ids, matrix = store.load_embeddings(MODEL)
        assert ids.tolist() == [1] and np.array_equal(matrix[0], unit(3))
        assert store.tracks_needing_embedding(MODEL) == []
        assert store.embedding_profiles(MODEL, [1])[1].tempo is None
