"""Library-centred scores: exact maths, the small-library prior, and a spread a user can read."""

import numpy as np
import pytest

from fmaplayer.recommend import calibration
from fmaplayer.recommend.index import SimilarityIndex, normalise_rows


def _shared_component_library(n=200, dim=32, seed=0):
    """Vectors like the ReLU embeddings: one big common direction, a style (40 of them, 5 tracks each) and a
    small individual part."""
    rng = np.random.default_rng(seed)
    common = np.abs(rng.normal(size=dim)) * 3
    styles = rng.normal(scale=0.6, size=(40, dim))
    return normalise_rows(common + styles[np.arange(n) % 40] + rng.normal(scale=0.25, size=(n, dim)))


def test_centred_cosine_matches_the_explicit_formula():
    rows = _shared_component_library(50)
    q = rows[3]
    centre = rows.mean(axis=0)
    got = calibration.centred_cosine(rows, q, centre)
    a, b = rows - centre, q - centre
    want = (a @ b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b))
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(calibration.centred_cosine(rows, q, None), rows @ q, atol=1e-6)


def test_small_library_leans_on_the_model_prior():
    prior = np.ones(4, np.float32) / 2
    one = np.array([1.0, 0, 0, 0], np.float32)
    tiny = calibration.blended_centre(one, 1, prior)
    assert np.linalg.norm(tiny - prior) < np.linalg.norm(tiny - one)
    big = calibration.blended_centre(one * 10_000, 10_000, prior)
    assert np.linalg.norm(big - one) < 0.01
    assert calibration.blended_centre(None, 0, None) is None
    np.testing.assert_allclose(calibration.blended_centre(None, 0, prior), prior)


def test_centring_spreads_scores_that_raw_cosine_crowds_at_100_percent():
    rows = _shared_component_library()
    ids = np.arange(len(rows))
    raw, centred = SimilarityIndex(), SimilarityIndex(centred=True)
    raw.replace(ids, rows)
    centred.replace(ids, rows)
    gaps_raw, gaps_centred = [], []
    for i in range(0, 200, 20):
        r = raw.top_k(rows[i], 10, exclude_ids=[i])
        c = centred.top_k(rows[i], 10, exclude_ids=[i])
        gaps_raw.append(100 * (r[0][1] - r[-1][1]))         # what the old display showed
        gaps_centred.append(calibration.match_percent(c[0][1]) - calibration.match_percent(c[-1][1]))
        assert r[-1][1] > 0.9                                # raw cosine: everything "90-100 %"
    assert np.median(gaps_raw) < 5 and np.median(gaps_centred) > 15


def test_centred_index_follows_library_changes():
    rows = _shared_component_library(40)
    index = SimilarityIndex(centred=True)
    index.replace(np.arange(30), rows[:30])
    before = index.centre().copy()
    index.upsert(np.arange(30, 40), rows[30:])
    after = index.centre()
    np.testing.assert_allclose(after, rows.mean(axis=0), atol=1e-5)
    assert not np.allclose(before, after)
    index.remove(range(30, 40))
    np.testing.assert_allclose(index.centre(), before, atol=1e-6)
    # a new prior (the vectors of another model loaded) takes effect at once, queries use it
    index.prior_centre = rows[0]
    assert not np.allclose(index.centre(), before, atol=1e-6)
    q = rows[5]
    want = calibration.centred_cosine(normalise_rows(rows[:30]), q, index.centre())
    np.testing.assert_allclose(index.scores(q), want, atol=1e-5)
    # a prior of another dimension (another model's centre) is ignored rather than crashing
    index.prior_centre = np.ones(3, np.float32)
    index.upsert([99], rows[:1])
    assert index.centre().shape == (32,)


def test_match_percent_is_clamped():
    assert calibration.match_percent(-0.3) == 0.0 and calibration.match_percent(0.0) == 0.0
    assert calibration.match_percent(0.5) == pytest.approx(100 / 3)     # 60 degrees of 90
    assert calibration.match_percent(1.0) == 100.0 and calibration.match_percent(1.2) == 100.0
    # monotone, so ranking by score and by percentage agree
    scores = np.linspace(-1, 1, 101)
    assert np.all(np.diff([calibration.match_percent(x) for x in scores]) >= 0)


def test_model_centre_reads_the_manifest():
    assert calibration.model_centre({"embedding": {"dim": 2}}) is None
    np.testing.assert_allclose(calibration.model_centre({"embedding": {"centre": [0.5, 0.5]}}), [0.5, 0.5])


def test_genre_explanation_says_why_a_cell_is_empty():
    genres = ["Jazz", "Rock", "Folk"]
    shown = calibration.genre_explanation(genres, np.array([0.7, 0.2, 0.1]), 0.46)
    assert shown.startswith("Predicted from the audio: Jazz 70 %, Rock 20 %")
    hidden = calibration.genre_explanation(genres, np.array([0.3, 0.4, 0.3]), 0.46)
    assert "No genre shown" in hidden and "Rock at 40 %" in hidden and "46 %" in hidden
    assert calibration.genre_explanation(genres, None, 0.5) == ""
    assert calibration.genre_explanation(genres, np.ones(2) / 2, 0.5) == ""   # another model's labels
