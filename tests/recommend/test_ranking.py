import numpy as np

from fmaplayer.recommend.index import SimilarityIndex
from fmaplayer.recommend.ranking import RankingMode, anchor_genre, relevant


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
