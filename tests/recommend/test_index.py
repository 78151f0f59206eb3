import numpy as np
import pytest

from fmaplayer.recommend.index import SimilarityIndex


def _random(n, d=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(np.float32)


def test_top_k_matches_brute_force_and_excludes():
    m = _random(500)
    index = SimilarityIndex()
    index.replace(np.arange(100, 600), m)
    q = _random(1, seed=7)[0]
    unit = m / np.linalg.norm(m, axis=1, keepdims=True)
    expected = np.argsort(-(unit @ (q / np.linalg.norm(q))))
    got = index.top_k(q, 10, exclude_ids=[100 + int(expected[0])])
    assert [i for i, _ in got] == [100 + int(r) for r in expected[1:11]]
    scores = [s for _, s in got]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= s <= 1.0 + 1e-6 for s in scores)


def test_upsert_grows_amortised_and_overwrites():
    index = SimilarityIndex()
    capacities = set()
    for start in range(0, 5000, 7):
        ids = list(range(start, min(start + 7, 5000)))
        index.upsert(ids, _random(len(ids), seed=start))
        capacities.add(index._matrix.shape[0])
    assert len(index) == 5000
    assert len(capacities) <= 4          # 1024, 2048, 4096, 8192: doubling, not a copy per batch
    index.upsert([3], np.ones((1, 8)))
    assert len(index) == 5000
    np.testing.assert_allclose(index.vector(3), np.ones(8) / np.sqrt(8), rtol=1e-6)


def test_remove_keeps_other_rows_reachable():
    index = SimilarityIndex()
    index.replace([1, 2, 3, 4], np.eye(4, dtype=np.float32))
    assert index.remove([2, 99]) == 1
    assert len(index) == 3 and 2 not in index
    for i in (1, 3, 4):
        assert index.top_k(np.eye(4)[i - 1], 1)[0][0] == i
    assert index.vector(2) is None


def test_k_larger_than_index_and_empty():
    index = SimilarityIndex()
    assert index.top_k(np.ones(4), 5) == []
    index.upsert([1, 2], np.eye(2))
    assert [i for i, _ in index.top_k(np.array([1.0, 0.0]), 10, exclude_ids=[1])] == [2]


def test_dimension_mismatch_is_an_error():
    index = SimilarityIndex()
    index.upsert([1], np.ones((1, 4)))
    with pytest.raises(ValueError):
        index.upsert([2], np.ones((1, 5)))


def test_large_index_prefilter_is_exact(monkeypatch):
    from fmaplayer.recommend import index as index_mod

    monkeypatch.setattr(index_mod, "_PREFILTER_ROWS", 1000)
    m = _random(20_000, seed=3)
    index = SimilarityIndex()
    index.replace(np.arange(20_000), m)
    unit = m / np.linalg.norm(m, axis=1, keepdims=True)
    for seed in range(5):
        q = _random(1, seed=100 + seed)[0]
        expected = np.argsort(-(unit @ (q / np.linalg.norm(q))), kind="stable")[:25]
        assert [i for i, _ in index.top_k(q, 25)] == expected.tolist()
    # an all-equal score vector: the threshold passes everyone, the fallback still returns k rows
    flat = SimilarityIndex()
    flat.replace(np.arange(5000), np.ones((5000, 4)))
    monkeypatch.setattr(index_mod, "_PREFILTER_ROWS", 100)
    got = flat.top_k(np.ones(4), 3)
    assert len({i for i, _ in got}) == 3 and all(abs(score - 1.0) < 1e-6 for _, score in got)
