import numpy as np

from fmaplayer.library.track import Track
from fmaplayer.recommend.continuation import SimilarContinuation
from fmaplayer.recommend.index import SimilarityIndex


def _tracks(n):
    return {i: Track(id=i, path=f"/m/{i}.flac", title=f"T{i}") for i in range(n)}


def test_continuation_never_repeats_within_a_session():
    rng = np.random.default_rng(3)
    tracks = _tracks(40)
    index = SimilarityIndex()
    index.replace(list(tracks), rng.standard_normal((40, 8)))
    cont = SimilarContinuation(index, lambda ids: [tracks[i] for i in ids], batch_size=4)
    played = [tracks[0]]
    for _ in range(9):
        more = cont(played[-1])
        assert more
        for track in more:
            cont.note_played(track)
        played.extend(more)
    ids = [t.id for t in played]
    assert len(ids) == len(set(ids)) == 37
    assert cont(played[-1]) == [] or len({t.id for t in cont(played[-1])} & set(ids)) == 0


def test_continuation_prefers_tracks_like_the_last_played_and_skips_unreadable():
    tracks = _tracks(4)
    tracks[1] = Track(id=1, path="/m/1.flac", error="broken")
    index = SimilarityIndex()
    index.replace([0, 1, 2, 3], np.array([[1, 0], [1, 0.01], [0.9, 0.2], [0, 1]], dtype=np.float32))
    cont = SimilarContinuation(index, lambda ids: [tracks[i] for i in ids], batch_size=1)
    assert [t.id for t in cont(tracks[0])] == [2]
    assert cont(Track(id=99, path="/m/unknown.flac")) != []      # falls back to earlier anchors


def test_each_picked_track_carries_its_seeds_and_match_percent():
    from fmaplayer.recommend.ranking import relevant

    tracks = _tracks(8)
    index = SimilarityIndex(centred=True)
    angles = [0, 10, 20, 5, 15, 60, 90, 170]
    index.replace(list(tracks), np.array([[np.cos(np.deg2rad(a)), np.sin(np.deg2rad(a))] for a in angles],
                                         dtype=np.float32))
    cont = SimilarContinuation(index, lambda ids: [tracks[i] for i in ids], batch_size=2)
    for i in (0, 1, 2):          # listened to: the seeds, oldest first
        cont.note_listened(tracks[i])
    picked = cont(tracks[2])
    expected = relevant(index, [0, 1, 2], 4)[:2]
    assert [t.id for t in picked] == [r.track_id for r in expected]
    for track, rec in zip(picked, expected, strict=True):
        reason = cont.reason_for(track)
        assert reason.seed_ids == (0, 1, 2) and reason.seed_titles == ("T0", "T1", "T2")
        assert reason.percent == rec.percent == index.percent(rec.score) and reason.listened
        assert reason.describe() == (f"Picked by Continue with similar songs: {rec.percent:.0f} % match to "
                                     "the blend of \u201cT0\u201d, \u201cT1\u201d, \u201cT2\u201d")
    # only the very entry it appended: the same track added again by the user, and the seeds, say nothing
    assert cont.reason_for(Track(id=picked[0].id, path=picked[0].path, title=picked[0].title)) is None
    assert cont.reason_for(tracks[0]) is None and cont.reason_for(None) is None


def test_reason_says_when_the_last_played_track_stood_in_for_listened_ones():
    tracks = _tracks(3)
    index = SimilarityIndex()
    index.replace([0, 1, 2], np.array([[1, 0], [0.9, 0.3], [0, 1]], dtype=np.float32))
    cont = SimilarContinuation(index, lambda ids: [tracks[i] for i in ids], batch_size=1)
    (picked,) = cont(tracks[0])             # nothing listened yet: the last track played stands in
    reason = cont.reason_for(picked)
    assert picked.id == 1 and reason.seed_titles == ("T0",) and not reason.listened
    assert reason.describe().startswith(f"Picked by Continue with similar songs: {reason.percent:.0f} % "
                                        "match to \u201cT0\u201d (the last played")


def test_continuation_keeps_to_the_variety_caps():
    """Five tracks of the anchor's album lie nearest; with 1 per album the radio reaches past them."""
    from fmaplayer.recommend.ranking import Variety

    tracks = {i: Track(id=i, path=f"/m/{i}.flac", title=f"T{i}", artist="A" if i < 6 else f"B{i}",
                       album="One" if i < 6 else f"Other {i}") for i in range(12)}
    index = SimilarityIndex()
    angles = [0, 1, 2, 3, 4, 5, 20, 25, 30, 35, 40, 45]
    index.replace(list(tracks), [[np.cos(np.deg2rad(a)), np.sin(np.deg2rad(a))] for a in angles])

    def tags(ids):
        return {i: (tracks[i].artist, tracks[i].album) for i in ids}

    plain = SimilarContinuation(index, lambda ids: [tracks[i] for i in ids], batch_size=3)
    assert [t.id for t in plain(tracks[0])] == [1, 2, 3]
    varied = SimilarContinuation(index, lambda ids: [tracks[i] for i in ids], batch_size=3,
                                 variety=lambda: Variety(per_artist=0, per_album=1, tags=tags))
    assert [t.id for t in varied(tracks[0])] == [1, 6, 7]
