"""The hybrid similarity: stored blocks, the fused score every consumer ranks by, and its explanation."""

from __future__ import annotations

import numpy as np
import pytest

from fmaplayer.errors import ModelLoadError
from fmaplayer.ml import timbre
from fmaplayer.ml.similarity_space import SimilarityLayout, tempo_block, track_vectors
from fmaplayer.recommend import explain, hybrid
from fmaplayer.recommend.index import SimilarityIndex
from fmaplayer.recommend.ranking import relevant

WEIGHTS = {"style": 0.5, "timbre": 0.4, "tempo": 0.1}


def manifest(weights=WEIGHTS, coeffs=4, style_dim=8):
    return {"embedding": {"dim": style_dim},
            "similarity": {"timbre": {"coefficients": coeffs, "mean": [0.5] * (2 * coeffs),
                                      "scale": [2.0] * (2 * coeffs)},
                           "weights": dict(weights)}}


def library(n=30, seed=0, weights=WEIGHTS):
    rng = np.random.default_rng(seed)
    layout = SimilarityLayout.from_manifest(manifest(weights))
    style = rng.normal(size=(n, 8)).astype(np.float32) + 1.0   # a shared direction, as ReLU vectors have
    stats = rng.normal(size=(n, 8)).astype(np.float32)
    tempo = rng.uniform(60, 180, n)
    tempo[3] = np.nan                                           # a track without a clear pulse
    return layout, track_vectors(style, stats, tempo, layout)


def brute_force(rows, layout, centre):
    b = layout.blocks()
    s = rows[:, b["style"]] - centre
    s /= np.linalg.norm(s, axis=1, keepdims=True)
    t, m = rows[:, b["timbre"]], rows[:, b["tempo"]]
    w = layout.weights
    return w["style"] * s @ s.T + w["timbre"] * t @ t.T + w["tempo"] * m @ m.T


def test_stored_vectors_are_unit_blocks_and_tempo_is_octave_invariant():
    layout, rows = library()
    assert rows.shape == (30, layout.dim) == (30, 8 + 8 + 3)
    for block in layout.blocks().values():
        np.testing.assert_allclose(np.linalg.norm(rows[:, block], axis=1), np.ones(30), atol=1e-6)
    a, b, c, none, also_none = tempo_block([90.0, 180.0, 127.3, np.nan, None])
    assert a @ b == pytest.approx(1.0, abs=1e-6)       # the same pulse counted twice as fast
    assert a @ c == pytest.approx(-1.0, abs=1e-3)      # half an octave away: opposite
    assert none @ a == 0.0 and none @ also_none == 1.0   # no pulse: unrelated to a tempo, like another


def test_the_index_ranks_by_the_fused_score():
    layout, rows = library()
    index = SimilarityIndex(centred=True, layout=layout)
    index.replace(np.arange(30), rows)
    expected = brute_force(rows, layout, index.centre())
    got = np.stack([index.scores(r) for r in rows])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    top = index.top_k(rows[0], 5, exclude_ids=[0])
    assert [i for i, _ in top] == list(np.argsort(-np.where(np.arange(30) == 0, -9, expected[0]))[:5])


def test_the_timbre_weight_changes_the_ranking():
    _, rows = library()
    style_only = {"style": 1.0, "timbre": 0.0, "tempo": 0.0}
    timbre_only = {"style": 0.0, "timbre": 1.0, "tempo": 0.0}
    tops = []
    for weights in (style_only, timbre_only):
        index = SimilarityIndex(centred=True, layout=SimilarityLayout.from_manifest(manifest(weights)))
        index.replace(np.arange(30), rows)
        tops.append([i for i, _ in index.top_k(rows[0], 5, exclude_ids=[0])])
    assert tops[0] != tops[1]


def test_style_only_rows_of_the_previous_model_rank_as_before_during_an_upgrade():
    layout, rows = library()
    style = rows[:, layout.blocks()["style"]]
    plain, hybrid_index = SimilarityIndex(centred=True), SimilarityIndex(centred=True, layout=layout)
    plain.replace(np.arange(30), style)
    hybrid_index.replace(np.arange(30), style)
    assert hybrid_index.active_layout() is None
    np.testing.assert_allclose(hybrid_index.scores(style[2]), plain.scores(style[2]), atol=1e-6)


def test_map_and_path_rows_give_the_panel_scores():
    layout, rows = library()
    index = SimilarityIndex(centred=True, layout=layout)
    index.replace(np.arange(30), rows)
    space = index.similarity_rows()
    np.testing.assert_allclose(space @ space[5], index.scores(rows[5]), atol=1e-5)


def test_relevant_and_duplicates_work_on_hybrid_vectors():
    layout, rows = library()
    index = SimilarityIndex(centred=True, layout=layout)
    index.replace(np.arange(30), rows)
    index.upsert([99], rows[7:8])                        # a copy of track 7
    found = relevant(index, [7], 5)
    assert 99 not in [r.track_id for r in found] and len(found) == 5
    assert found[0].score == pytest.approx(index.top_k(rows[7], 1, exclude_ids=[7, 99])[0][1], abs=1e-6)


def test_part_scores_say_which_part_matched():
    layout, rows = library()
    index = SimilarityIndex(centred=True, layout=layout)
    index.replace(np.arange(30), rows)
    parts = index.part_scores(rows[0], 1)
    b = layout.blocks()
    assert parts["timbre"] == pytest.approx(float(rows[0, b["timbre"]] @ rows[1, b["timbre"]]), abs=1e-6)
    assert index.part_scores(rows[0], 3)["tempo"] == 0.0       # no pulse in track 3, a pulse in 0
    assert index.part_scores(rows[3], 3)["tempo"] is None      # neither has one: nothing to say
    fused = sum(layout.weights[p] * parts[p] for p in hybrid.PARTS)
    assert fused == pytest.approx(index.scores(rows[0])[1], abs=1e-5)


def test_the_why_sentence_names_the_parts_in_plain_words():
    said = explain.parts_phrase({"style": 0.8, "timbre": 0.3, "tempo": -0.5})
    assert said == "matched on style; partly on timbre (instruments, production); tempo differs"
    assert explain.parts_phrase({"style": 0.8, "timbre": None, "tempo": None}) == ""
    labels = explain.Labels(["Rock", "Jazz"], ["Q1", "Q2"], 0.6, 0.6)
    sentence = explain.explain(explain.Profile(), explain.Profile(), labels,
                               {"style": 0.7, "timbre": 0.6, "tempo": None})
    assert sentence.startswith("Matched on style and timbre")
    both_jazz = explain.Profile(np.array([0.0, 0.9]), None, None)
    shared = explain.explain(both_jazz, both_jazz, labels, {"style": 0.7, "timbre": 0.6, "tempo": None})
    assert shared == "Matched on style and timbre (instruments, production); both mostly Jazz"


@pytest.mark.parametrize("section", [
    None, 5, {"timbre": {"coefficients": 4, "mean": [0] * 8, "scale": [1] * 8}},
    {"timbre": {"coefficients": 4, "mean": [0] * 7, "scale": [1] * 8}, "weights": WEIGHTS},
    {"timbre": {"coefficients": 4, "mean": [0] * 8, "scale": [1] * 8},
     "weights": {"style": 0.9, "timbre": 0.4, "tempo": 0.0}},
])
def test_a_damaged_similarity_section_is_reported(section):
    man = manifest()
    man["similarity"] = section
    if section is None:
        assert SimilarityLayout.from_manifest(man) is None
        return
    with pytest.raises(ModelLoadError, match="manifest is damaged"):
        SimilarityLayout.from_manifest(man)
    assert hybrid.layout_of(man) is None


def test_mfccs_are_the_orthonormal_dct_of_the_db_mel():
    import scipy.fft

    slices = np.random.default_rng(1).normal(-40, 10, size=(3, 128, 128, 1)).astype(np.float32)
    dct = scipy.fft.dct(slices[..., 0], axis=1, norm="ortho")
    expected = dct[:, :16, :].transpose(0, 2, 1).reshape(-1, 16)
    np.testing.assert_allclose(timbre.mfcc_frames(slices, 16), expected, atol=1e-3)
    stats = timbre.timbre_stats(slices)
    assert stats.shape == (timbre.DIM,) and stats.dtype == np.float32
    np.testing.assert_allclose(timbre.timbre_stats(slices, 16)[16:], expected.std(axis=0), rtol=1e-4)
