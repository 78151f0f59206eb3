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
