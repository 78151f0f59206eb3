"""LibraryStore: track round trips, odd paths, embeddings and failures, cascades, threads."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import threading

import numpy as np
import pytest

from fmaplayer.errors import LibraryError
from fmaplayer.library.paths import default_db_path, display_path
from fmaplayer.library.store import EmbeddingRow, LibraryStore, _track_from_row
from fmaplayer.library.track import Track

MODEL = "cnn_lstm@1.0.0+abcdef12"


def make_track(path: str, **overrides) -> Track:
    values = dict(
        id=0, path=path, title="T", artist="A", album="Al", album_artist="AA", track_no=1, year=2000,
        genre="Rock", duration=1.5, size=100, mtime=1.7e9, error=None,
    )
    values.update(overrides)
    return Track(**values)


def vec(seed: int, dim: int = 8) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def test_track_round_trip_preserves_every_field(store):
    original = make_track(
        "/music/a.flac", title="<b>x</b>", track_no=None, year=None, duration=123.25, mtime=1712345678.123456
    )
    (track_id,) = store.upsert_tracks([original])
    loaded = store.track(track_id)
    assert loaded == dataclasses.replace(original, id=track_id)
    assert store.track_by_path("/music/a.flac") == loaded
    assert store.all_tracks() == [loaded]
    assert store.count() == 1
    assert store.track(9999) is None and store.track_by_path("/nope") is None


def test_fast_row_builder_matches_the_dataclass():
    row = (7, b"/m/x.mp3", "t", "a", "al", "aa", 2, 1999, "g", 1.0, 10, 2.5, "why")
    built = _track_from_row(row)
    assert built == Track(7, "/m/x.mp3", "t", "a", "al", "aa", 2, 1999, "g", 1.0, 10, 2.5, "why")
    assert hash(built) == hash(Track(7, "/m/x.mp3", "t", "a", "al", "aa", 2, 1999, "g", 1.0, 10, 2.5, "why"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.title = "changed"


def test_upsert_by_path_updates_in_place_and_returns_ids_in_order(store):
    ids = store.upsert_tracks([make_track("/m/1.mp3"), make_track("/m/2.mp3")])
    again = store.upsert_tracks([make_track("/m/2.mp3", title="new"), make_track("/m/3.mp3")])
    assert again[0] == ids[1] and again[1] not in ids
    assert store.track(ids[1]).title == "new"
    assert store.count() == 3


def test_upsert_accepts_mappings(store):
    (track_id,) = store.upsert_tracks([{"path": "/m/d.ogg", "title": "from dict", "size": 3}])
    track = store.track(track_id)
    assert (track.title, track.size, track.artist, track.error) == ("from dict", 3, "", None)


def test_non_utf8_path_round_trips_exactly(store):
    raw = b"/music/caf\xe9 \xff\xfe/na\xefve.mp3"
    path = os.fsdecode(raw)  # surrogate-escaped str, as os.walk/scandir give it
    (track_id,) = store.upsert_tracks([make_track(path)])
    loaded = store.track(track_id)
    assert loaded.path == path and os.fsencode(loaded.path) == raw
    assert store.track_by_path(path).id == track_id
    assert path in store.file_stats()
    assert path in store.file_stats([os.fsdecode(b"/music/caf\xe9 \xff\xfe")])
    assert "\ufffd" in display_path(loaded.path)
    assert loaded.display_title == "T"
    assert dataclasses.replace(loaded, title="").display_title == "na\ufffdve"
    assert store.remove_paths([path]) == 1


def test_file_stats_filters_by_folder_prefix_without_sibling_leaks(store):
    store.upsert_tracks(
        [
            make_track("/music/rock/a.mp3", size=1, mtime=1.0),
            make_track("/music/rock/sub/b.mp3", size=2, mtime=2.0),
            make_track("/music/rock2/c.mp3", size=3, mtime=3.0),
            make_track("/music/rock.mp3", size=4, mtime=4.0),
            make_track("/other/d.mp3", size=5, mtime=5.0),
        ]
    )
    assert store.file_stats(["/music/rock"]) == {
        "/music/rock/a.mp3": (1, 1.0), "/music/rock/sub/b.mp3": (2, 2.0)
    }
    assert set(store.file_stats(["/music/rock/", "/other"])) == {
        "/music/rock/a.mp3", "/music/rock/sub/b.mp3", "/other/d.mp3"
    }
    assert len(store.file_stats()) == 5
    assert len(store.file_stats(["/"])) == 5
    assert store.file_stats([]) == {}


def test_unreadable_lists_only_tracks_with_an_error(store):
    store.upsert_tracks([make_track("/m/ok.mp3"), make_track("/m/bad.m4a", error="no decoder for AAC/M4A")])
    assert [t.path for t in store.unreadable()] == ["/m/bad.m4a"]
    assert store.unreadable()[0].error == "no decoder for AAC/M4A"


def test_tracks_by_ids_keeps_requested_order_and_skips_missing(store):
    ids = store.upsert_tracks([make_track(f"/m/{i}.mp3") for i in range(3)])
    got = store.tracks_by_ids([ids[2], 999, ids[0], ids[2]])
    assert [t.id for t in got] == [ids[2], ids[0], ids[2]]
    assert store.tracks_by_ids([]) == []
    many = store.upsert_tracks([make_track(f"/many/{i}.mp3") for i in range(1200)])
    assert [t.id for t in store.tracks_by_ids(many)] == many


def test_embeddings_round_trip(store):
    ids = store.upsert_tracks([make_track(f"/m/{i}.mp3") for i in range(3)])
    store.save_embeddings(
        MODEL,
        [
            EmbeddingRow(ids[1], vec(1), "Rock", np.array([0.9, 0.1], "f4"), "happy", np.array([1, 0], "f4")),
            EmbeddingRow(ids[0], vec(0).astype(np.float64), "Jazz"),
        ],
    )
    got_ids, matrix = store.load_embeddings(MODEL)
    assert got_ids.dtype == np.int64 and matrix.dtype == np.float32
    assert got_ids.tolist() == [ids[0], ids[1]]
    np.testing.assert_allclose(matrix, np.stack([vec(0), vec(1)]), rtol=1e-6)
    assert matrix.flags.writeable
    assert store.predicted_genres(MODEL) == {ids[0]: "Jazz", ids[1]: "Rock"}
    genre_probs, mood_probs = store.embedding_probabilities(MODEL, ids[1])
    np.testing.assert_allclose(genre_probs, [0.9, 0.1])
    np.testing.assert_allclose(mood_probs, [1.0, 0.0])
    assert store.embedding_probabilities(MODEL, ids[0]) == (None, None)
    assert [t.id for t in store.tracks_needing_embedding(MODEL)] == [ids[2]]
    assert store.embedding_counts(MODEL) == (2, 3)
    # another model version knows nothing yet
    assert len(store.tracks_needing_embedding("cnn_lstm@2.0.0")) == 3
    empty_ids, empty = store.load_embeddings("cnn_lstm@2.0.0")
    assert empty_ids.shape == (0,) and empty.shape == (0, 0)
    # saving again replaces
    store.save_embeddings(MODEL, [EmbeddingRow(ids[0], vec(5), "Pop")])
    assert store.predicted_genres(MODEL)[ids[0]] == "Pop"


def test_failures_exclude_tracks_until_the_file_changes(store):
    ids = store.upsert_tracks(
        [make_track("/m/a.mp3"), make_track("/m/b.mp3"), make_track("/m/bad.mp3", error="x")]
    )
    store.record_embedding_failure(MODEL, ids[0], "decoder gave up")
    store.save_embeddings(MODEL, [EmbeddingRow(ids[1], vec(1), "Rock")])
    assert store.tracks_needing_embedding(MODEL) == []  # unreadable tracks are never analysed
    assert store.embedding_failures(MODEL) == {ids[0]: "decoder gave up"}
    assert store.embedding_counts(MODEL) == (2, 2)

    # Same size and mtime (a tag-only rescan result): analysis is kept.
    store.upsert_tracks([make_track("/m/a.mp3", title="renamed"), make_track("/m/b.mp3", title="renamed")])
    assert store.tracks_needing_embedding(MODEL) == []

    # New mtime on a, new size on b: both are analysed again.
    store.upsert_tracks([make_track("/m/a.mp3", mtime=2e9), make_track("/m/b.mp3", size=101)])
    assert [t.id for t in store.tracks_needing_embedding(MODEL)] == ids[:2]
    assert store.embedding_failures(MODEL) == {}
    assert store.load_embeddings(MODEL)[0].size == 0
    assert store.embedding_counts(MODEL) == (0, 2)


def test_saving_an_embedding_clears_an_earlier_failure(store):
    (track_id,) = store.upsert_tracks([make_track("/m/a.mp3")])
    store.record_embedding_failure(MODEL, track_id, "first try failed")
    store.save_embeddings(MODEL, [EmbeddingRow(track_id, vec(1), "Rock")])
    assert store.embedding_failures(MODEL) == {}
    assert store.embedding_counts(MODEL) == (1, 1)


def test_removing_a_track_cascades_to_its_analysis(store):
    ids = store.upsert_tracks([make_track("/m/a.mp3"), make_track("/m/b.mp3")])
    store.save_embeddings(MODEL, [EmbeddingRow(ids[0], vec(0), "Rock")])
    store.record_embedding_failure(MODEL, ids[1], "bad")
    assert store.remove_paths(["/m/a.mp3", "/m/b.mp3", "/m/never-there.mp3"]) == 2
    assert store.remove_paths([]) == 0
    conn = sqlite3.connect(store.db_path)
    assert conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM embedding_failures").fetchone()[0] == 0
    conn.close()
    assert store.integrity_check() == "ok"


def test_analysis_results_for_a_removed_track_are_ignored(store):
    (track_id,) = store.upsert_tracks([make_track("/m/a.mp3")])
    store.remove_paths(["/m/a.mp3"])
    store.save_embeddings(MODEL, [EmbeddingRow(track_id, vec(0), "Rock")])
    store.record_embedding_failure(MODEL, track_id, "late")
    assert store.load_embeddings(MODEL)[0].size == 0
    assert store.embedding_failures(MODEL) == {}


def test_invalid_embeddings_raise_library_error(store):
    ids = store.upsert_tracks([make_track("/m/a.mp3"), make_track("/m/b.mp3")])
    with pytest.raises(LibraryError):
        store.save_embeddings(MODEL, [EmbeddingRow(ids[0], np.zeros(0, np.float32), "Rock")])
    for bad in (np.nan, np.inf, -np.inf):   # NaN samples once stored NaN probabilities and vectors
        vector = vec(0).copy()
        vector[3] = bad
        with pytest.raises(LibraryError, match="non-finite"):
            store.save_embeddings(MODEL, [EmbeddingRow(ids[0], vector, "Rock")])
        probs = np.array([0.5, bad], np.float32)
        with pytest.raises(LibraryError, match="non-finite"):
            store.save_embeddings(MODEL, [EmbeddingRow(ids[0], vec(0), "Rock", genre_probs=probs)])
        with pytest.raises(LibraryError, match="non-finite"):
            store.save_embeddings(MODEL, [EmbeddingRow(ids[0], vec(0), "Rock", mood="x", mood_probs=probs)])
    assert store.load_embeddings(MODEL)[0].size == 0


def test_embeddings_of_another_size_are_dropped_for_reanalysis(store):
    """One stored vector of another size used to break `similar` for the whole library."""
    ids = store.upsert_tracks([make_track(f"/m/{n}.mp3") for n in "abc"])
    store.save_embeddings(MODEL, [EmbeddingRow(ids[0], vec(0, dim=8), "Rock"),
                                  EmbeddingRow(ids[2], vec(2, dim=8), "Rock")])
    store.save_embeddings(MODEL, [EmbeddingRow(ids[1], vec(1, dim=4), "Rock")])
    loaded, matrix = store.load_embeddings(MODEL)
    assert loaded.tolist() == [ids[0], ids[2]] and matrix.shape == (2, 8)
    assert [t.id for t in store.tracks_needing_embedding(MODEL)] == [ids[1]]   # analysed again
    # with the model's own size given, that size wins even when it is the minority
    store.save_embeddings(MODEL, [EmbeddingRow(ids[1], vec(1, dim=4), "Rock")])
    loaded, matrix = store.load_embeddings(MODEL, dim=4)
    assert loaded.tolist() == [ids[1]] and matrix.shape == (1, 4)


def test_failed_write_rolls_back_the_whole_batch(store):
    store.upsert_tracks([make_track("/m/a.mp3")])
    with pytest.raises(LibraryError):
        store.upsert_tracks([make_track("/m/b.mp3"), make_track("/m/c.mp3", track_no=2**70)])
    assert store.count() == 1


def test_text_from_non_utf8_names_is_stored_with_replacement(store):
    """A non-UTF-8 file name in a title, a reason or an error used to abort the write (and the analysis
    of the whole library): surrogates become U+FFFD, the path itself keeps its exact bytes."""
    path = os.fsdecode(b"/m/bad\xffname.mp3")
    (track_id,) = store.upsert_tracks([make_track(path, title="bad\udcffname", error=None)])
    assert store.track(track_id).title == "bad\ufffdname"
    assert store.track(track_id).path == path
    store.record_embedding_failure(MODEL, track_id, f"cannot decode {path}: odd\ud800")
    assert store.embedding_failures(MODEL) == {track_id: "cannot decode /m/bad\ufffdname.mp3: odd\ufffd"}
    store.upsert_tracks([make_track(path, error=f"{path}: not a valid MP3 file")])
    assert store.track(track_id).error == "/m/bad\ufffdname.mp3: not a valid MP3 file"


def test_failures_can_be_cleared_for_a_retry(store):
    ids = store.upsert_tracks([make_track("/m/a.mp3"), make_track("/m/b.mp3")])
    store.record_embedding_failure(MODEL, ids[0], "no audio")
    store.record_embedding_failure("other@1", ids[1], "no audio")
    assert store.clear_embedding_failures(MODEL) == 1
    assert store.embedding_failures(MODEL) == {}
    assert store.embedding_failures("other@1") == {ids[1]: "no audio"}
    assert store.clear_embedding_failures() == 1


def test_wal_mode_and_reopen(tmp_path):
    db = tmp_path / "lib.db"
    with LibraryStore(db) as first:
        first.upsert_tracks([make_track("/m/a.mp3")])
        assert first._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with LibraryStore(db) as second:
        assert second.count() == 1
        assert second.backup_path is None  # nothing to migrate: no backup
    with pytest.raises(LibraryError, match="closed"):
        second.count()


def test_default_db_path_is_in_the_isolated_user_data_dir(tmp_path):
    path = default_db_path()
    assert path.name == "library.db" and path.parent.name == "fmaplayer"
    assert str(path).startswith(os.environ["XDG_DATA_HOME"])


def test_unopenable_database_raises_library_error(tmp_path):
    bad = tmp_path / "garbage.db"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LibraryError):
        LibraryStore(bad)


def test_concurrent_writers_and_readers_from_several_threads(store):
    """Scanner-like, worker-like and UI-like threads at once: no errors, nothing lost."""
    base = store.upsert_tracks([make_track(f"/base/{i}.mp3") for i in range(50)])
    errors: list[BaseException] = []
    start = threading.Event()

    def scanner():
        for batch in range(20):
            store.upsert_tracks([make_track(f"/scan/{batch}/{i}.mp3") for i in range(20)])

    def worker():
        for i, track_id in enumerate(base):
            store.save_embeddings(MODEL, [EmbeddingRow(track_id, vec(i), "Rock")])

    def ui():
        for _ in range(30):
            assert len(store.all_tracks()) >= 50
            store.file_stats()
            store.embedding_counts(MODEL)

    def run(fn):
        start.wait(5)
        try:
            fn()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(fn,)) for fn in (scanner, worker, ui, ui)]
    for t in threads:
        t.start()
    start.set()
    for t in threads:
        t.join(60)
    assert not errors
    assert store.count() == 50 + 400
    assert store.embedding_counts(MODEL) == (50, 450)
    assert store.integrity_check() == "ok"
