import numpy as np

from fmaplayer.recommend.index import SimilarityIndex
from fmaplayer.recommend.ranking import RankingMode, Variety, anchor_genre, relevant


def _index(vectors: dict[int, list[float]]) -> SimilarityIndex:
    index = SimilarityIndex()
    index.replace(list(vectors), np.array(list(vectors.values()), dtype=np.float32))
    return index


def test_similarity_mode_is_descending_and_excludes_anchor():
    index = _index({1: [1, 0], 2: [0.9, 0.1], 3: [0.5, 0.5], 4: [0, 1]})
    got = relevant(index, [1], 3)
    assert [r.track_id for r in got] == [2, 3, 4]
    assert [r.score for r in got] == sorted((r.score for r in got), reverse=True)


def test_duplicates_of_the_anchor_file_are_excluded_but_lookalikes_kept():
    index = _index({1: [1, 0], 2: [1, 0], 3: [1, 0], 4: [0.8, 0.2]})
    keys = {1: (100, 3.0), 2: (100, 3.0), 3: (555, 9.0), 4: (1, 1.0)}
    got = relevant(index, [1], 5, file_key=keys.get)
    assert [r.track_id for r in got] == [3, 4]          # 2 is a copy of the same file
    assert [r.track_id for r in relevant(index, [1], 5)] == [4]   # without keys a 1.0 score is a copy


def test_genre_mode_puts_matching_genre_first_each_block_by_score():
    index = _index({1: [1, 0], 2: [0.95, 0.05], 3: [0.9, 0.1], 4: [0.6, 0.4], 5: [0.1, 0.9]})
    genres = {1: "Rock", 2: "Pop", 3: "Pop", 4: "Rock", 5: "Rock"}
    got = relevant(index, [1], 4, mode=RankingMode.SIMILARITY_GENRE, predicted_genres=genres)
    assert [r.track_id for r in got] == [4, 5, 2, 3]
    assert [r.genre for r in got] == ["Rock", "Rock", "Pop", "Pop"]
    plain = relevant(index, [1], 4, mode="similarity", predicted_genres=genres)
    assert [r.track_id for r in plain] == [2, 3, 4, 5]


def test_genre_mode_finds_rare_genre_beyond_the_first_pool():
    rng = np.random.default_rng(1)
    n = 3000
    m = rng.standard_normal((n, 8)).astype(np.float32)
    index = SimilarityIndex()
    index.replace(np.arange(n), m)
    genres = {i: "Pop" for i in range(n)}
    far = np.argsort(m @ m[0] / np.linalg.norm(m, axis=1))[:3]   # the least similar ones
    for i in far:
        genres[int(i)] = "Rock"
    genres[0] = "Rock"
    got = relevant(index, [0], 5, mode="genre", predicted_genres=genres)
    assert {r.track_id for r in got[:3]} == {int(i) for i in far}
    assert all(r.genre == "Pop" for r in got[3:])


def test_multi_track_selection_uses_centroid_and_majority_genre():
    index = _index({1: [1, 0, 0], 2: [0, 1, 0], 3: [0.7, 0.7, 0.1], 4: [0, 0, 1], 5: [1, 0.05, 0]})
    got = relevant(index, [1, 2], 3)
    assert got[0].track_id == 3 and 1 not in {r.track_id for r in got} and 2 not in {r.track_id for r in got}
    assert anchor_genre([1, 2, 3], {1: "Pop", 2: "Rock", 3: "Rock"}) == "Rock"
    assert anchor_genre([1, 2], {1: "Pop", 2: "Rock"}) == "Pop"


def test_unknown_anchor_and_query_vector():
    index = _index({1: [1, 0], 2: [0, 1]})
    assert relevant(index, [42], 3) == []
    got = relevant(index, [], 1, query_vector=np.array([0.1, 1.0]))
    assert got[0].track_id == 2
    assert RankingMode.parse("genre") is RankingMode.SIMILARITY_GENRE


def test_near_identical_but_different_audio_is_not_a_duplicate():
    # this model maps similar tones to cosines of 0.99999+: only (almost) equal vectors are copies
    a = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    b = np.array([1.0, 0.004, 0.0], dtype=np.float32)        # cosine 0.999992
    index = _index({1: a, 2: b, 3: a.copy(), 4: [0.0, 1.0, 0.0]})
    same_size = {1: 10, 2: 10, 3: 10, 4: 10}.get
    got = [r.track_id for r in relevant(index, [1], 3, file_key=same_size)]
    assert got == [2, 4]


def _album_library():
    """Ten tracks of one album (closest to the anchor), then tracks of other artists further away."""
    index = SimilarityIndex()
    angles = {i: 1.0 + i for i in range(1, 11)}                     # album "Maxstack" by "Nebula"
    angles.update({100 + i: 20.0 + 5 * i for i in range(8)})        # other artists, one album each
    index.replace(list(angles), [[np.cos(np.deg2rad(a)), np.sin(np.deg2rad(a))] for a in angles.values()])
    index.upsert([0], np.array([[1.0, 0.0]], np.float32))          # the anchor
    tags = {i: ("Nebula", "Maxstack") for i in range(0, 11)}
    tags.update({100 + i: (f"Artist {i}", f"Album {i}") for i in range(8)})
    tags[107] = ("", "")                                            # untagged: never grouped
    return index, tags


def test_variety_caps_results_per_album_and_artist_in_both_modes():
    index, tags = _album_library()
    lookups = []

    def lookup(ids):
        lookups.append(len(ids))
        return {i: tags[i] for i in ids}

    plain = relevant(index, [0], 9)
    assert [r.track_id for r in plain] == list(range(1, 10))        # one album fills the list
    varied = relevant(index, [0], 9, variety=Variety(per_artist=0, per_album=3, tags=lookup))
    assert [r.track_id for r in varied] == [1, 2, 3, *range(100, 106)]
    assert len(lookups) >= 1
    by_artist = relevant(index, [0], 5, variety=Variety(per_artist=2, per_album=0, tags=lookup))
    assert [r.track_id for r in by_artist] == [1, 2, 100, 101, 102]
    genres = {i: "Rock" for i in tags}
    genre_mode = relevant(index, [0], 6, RankingMode.SIMILARITY_GENRE, genres,
                          variety=Variety(per_album=2, tags=lookup))
    assert [r.track_id for r in genre_mode] == [1, 2, 100, 101, 102, 103]
    assert Variety(per_album=3).apply([(1, 0.9), (2, 0.8)], 1) == [(1, 0.9)]   # no lookup: no cap


def test_variety_never_groups_untagged_tracks():
    cap = Variety(per_artist=1, per_album=1, tags=lambda ids: {i: ("", "") for i in ids})
    assert cap.apply([(1, 0.9), (2, 0.8), (3, 0.7)], 3) == [(1, 0.9), (2, 0.8), (3, 0.7)]


def test_variety_reorders_but_never_shortens_a_list_of_one_artist():
    index, _tags = _album_library()
    one_album = {i: ("Nebula", "Maxstack") for i in range(200)}
    only_nebula = Variety(per_artist=2, per_album=2, tags=lambda ids: {i: one_album[i] for i in ids})
    assert [r.track_id for r in relevant(index, [0], 5, variety=only_nebula)] == [1, 2, 3, 4, 5]
