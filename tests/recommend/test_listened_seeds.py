""""Continue with similar songs" seeds only from tracks listened to (30 s or half the track). No Qt."""

import numpy as np

from fmaplayer.library.track import Track
from fmaplayer.recommend.continuation import ListenTracker, SimilarContinuation
from fmaplayer.recommend.index import SimilarityIndex


def _play(tracker, seconds, step=0.1, start=0.0):
    tracker.position_changed(start)
    position = start
    while position < start + seconds - 1e-9:
        position = round(position + step, 6)
        tracker.position_changed(position)


def test_a_track_counts_after_30_seconds_or_half_its_length():
    listened = []
    tracker = ListenTracker(listened.append)
    long_track = Track(id=1, path="/m/long.flac", duration=300.0)
    tracker.track_changed(long_track)
    _play(tracker, 29.5)
    assert listened == []
    _play(tracker, 1.0, start=29.5)
    assert listened == [long_track]
    _play(tracker, 60.0, start=30.5)
    assert listened == [long_track]  # once per play

    short_track = Track(id=2, path="/m/short.flac", duration=20.0)
    tracker.track_changed(short_track)
    _play(tracker, 9.0)
    assert listened == [long_track]
    _play(tracker, 1.2, start=9.0)
    assert listened == [long_track, short_track]  # half of 20 s


def test_skips_and_seeks_do_not_count():
    listened = []
    tracker = ListenTracker(listened.append)
    tracker.track_changed(Track(id=1, path="/m/a.flac", duration=240.0))
    _play(tracker, 2.0)
    tracker.position_changed(200.0)  # seek near the end
    _play(tracker, 10.0, start=200.0)
    tracker.position_changed(0.0)  # back to the start
    assert listened == [] and 11.9 < tracker.listened_seconds < 12.1
    tracker.track_changed(Track(id=2, path="/m/b.flac"))  # skipped after 12 s: starts from zero
    assert tracker.listened_seconds == 0.0


def test_the_duration_signal_sets_the_threshold_when_the_tags_had_none():
    listened = []
    tracker = ListenTracker(listened.append)
    tracker.track_changed(Track(id=1, path="/m/untagged.wav"))
    assert tracker.threshold() == 30.0
    tracker.duration_changed(8.0)
    _play(tracker, 4.1)
    assert [t.id for t in listened] == [1]


def _index():
    # 0 and 1 point one way, 2 and 3 the other; 4 sits between
    tracks = {i: Track(id=i, path=f"/m/{i}.flac", title=f"T{i}", duration=200.0) for i in range(6)}
    index = SimilarityIndex()
    vectors = np.array([[1, 0], [0.98, 0.2], [0, 1], [0.2, 0.98], [0.7, 0.7], [0.97, 0.25]], dtype=np.float32)
    index.replace(list(tracks), vectors)
    return tracks, index


def test_a_skipped_track_no_longer_steers_the_continuation():
    tracks, index = _index()
    cont = SimilarContinuation(index, lambda ids: [tracks[i] for i in ids], batch_size=1)
    seeds = []
    cont.on_seeds_changed = seeds.append
    cont.note_started(tracks[0])
    cont.note_listened(tracks[0])  # listened: seeds "this way"
    cont.note_started(tracks[2])   # started and skipped after 2 s: points "the other way"
    picked = cont(tracks[2])
    assert [t.id for t in picked] == [1] or [t.id for t in picked] == [5]  # like 0, not like 2
    assert cont.seeds() == [0] and seeds == [[0]]
    assert 2 not in {t.id for t in cont(tracks[2])}  # the skipped one is not offered again either


def test_with_nothing_listened_the_last_track_stands_in():
    tracks, index = _index()
    cont = SimilarContinuation(index, lambda ids: [tracks[i] for i in ids], batch_size=1)
    assert [t.id for t in cont(tracks[2])] == [3]
    assert cont.seeds() == []
