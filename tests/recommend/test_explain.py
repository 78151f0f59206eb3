"""'Why this song?' sentences from given probabilities: nothing named below its threshold."""

from __future__ import annotations

import numpy as np
import pytest

from fmaplayer.recommend.explain import (
    Labels,
    Profile,
    confident_label,
    explain,
    profile_rows,
    tempo_relation,
    why,
    whys_for,
)

GENRES = ["Blues", "Classical", "Jazz", "Pop/Rock"]
MOODS = ["Q1", "Q2", "Q3", "Q4"]
LABELS = Labels(GENRES, MOODS, genre_threshold=0.57, mood_threshold=0.6)


def probs(best: int, p: float, size: int = 4) -> np.ndarray:
    rest = (1.0 - p) / (size - 1)
    out = np.full(size, rest, np.float32)
    out[best] = p
    return out


def test_shared_confident_genre_mood_and_similar_tempo():
    anchor = Profile(probs(2, 0.80), probs(3, 0.70), 92.0)
    result = Profile(probs(2, 0.65), probs(3, 0.61), 95.0)
    assert explain(anchor, result, LABELS) == "Both mostly Jazz, calm/relaxed; similar tempo (92 vs 95 BPM)"


def test_a_genre_under_the_threshold_is_never_named():
    anchor = Profile(probs(2, 0.80), None, None)
    result = Profile(probs(2, 0.56), None, None)   # likeliest Jazz, but below 0.57
    sentence = explain(anchor, result, LABELS)
    assert "Both" not in sentence and "mostly" not in sentence   # Jazz is not claimed for both
    # but what the bars show on top is said, with its numbers, so the two do not seem to disagree
    assert sentence == ("No genre or mood both share with confidence "
                        "(likeliest for both: Jazz, 80 % and 56 %)")


def test_with_no_confident_label_the_sentence_names_what_the_bars_show_on_top():
    anchor = Profile(probs(0, 0.55), probs(3, 0.44), None)
    result = Profile(probs(0, 0.52), probs(3, 0.41), None)
    assert explain(anchor, result, LABELS) == (
        "No confident genre or mood "
        "(likeliest for both: Blues, 55 % and 52 %; calm/relaxed, 44 % and 41 %)")
    different = Profile(probs(1, 0.52), probs(2, 0.41), None)     # other likeliest labels: no hint
    assert explain(anchor, different, LABELS) == "No confident genre or mood"   # closeness is the % column's


def test_a_mood_under_its_threshold_is_never_named():
    sentence = explain(Profile(None, probs(0, 0.9), None), Profile(None, probs(0, 0.59), None), LABELS)
    assert "Both" not in sentence and "Q1" not in sentence
    assert sentence.endswith("(likeliest for both: happy/excited, 90 % and 59 %)")


def test_confident_but_different_labels_are_contrasted_not_shared():
    anchor = Profile(probs(1, 0.9), probs(3, 0.9), None)
    result = Profile(probs(3, 0.9), probs(1, 0.9), None)
    sentence = explain(anchor, result, LABELS)
    assert "Both" not in sentence
    assert "Classical vs Pop/Rock" in sentence and "calm/relaxed vs tense/angry" in sentence


def test_tempo_said_only_when_both_are_known_and_octaves_are_named():
    jazz = probs(2, 0.9)
    assert "tempo" not in explain(Profile(jazz, None, 120.0), Profile(jazz, None, None), LABELS)
    assert "tempo" not in explain(Profile(jazz, None, None), Profile(jazz, None, None), LABELS)
    assert "twice the tempo" in explain(Profile(jazz, None, 70.0), Profile(jazz, None, 141.0), LABELS)
    assert "different tempo (90 vs 120 BPM)" in explain(Profile(jazz, None, 90.0), Profile(jazz, None, 120.0),
                                                         LABELS)


@pytest.mark.parametrize(("a", "b", "relation"), [
    (100.0, 107.0, "similar"), (100.0, 92.5, "similar"), (100.0, 110.0, "different"),
    (80.0, 160.0, "double"), (150.0, 76.0, "half"), (100.0, 150.0, "different"),
    (None, 100.0, None), (0.0, 100.0, None),
])
def test_tempo_tolerance(a, b, relation):
    assert tempo_relation(a, b) == relation


def test_confident_label_ignores_mismatched_or_missing_probabilities():
    assert confident_label(GENRES, None, 0.5) is None
    assert confident_label(GENRES, probs(1, 0.9, size=3), 0.5) is None
    assert confident_label(GENRES, probs(1, 0.9), 0.5) == "Classical"
    assert confident_label(GENRES, probs(1, 0.9), 0.95) is None


def test_labels_from_the_manifest_use_its_calibrated_genre_threshold():
    labels = Labels.from_manifest({"genres": GENRES, "moods": MOODS, "genre_threshold": 0.57})
    assert labels.genre_threshold == 0.57 and labels.moods == MOODS
    own = Labels.from_manifest({"genres": GENRES, "moods": MOODS, "mood_threshold": 0.9})
    assert own.mood_threshold == 0.9


def test_profile_rows_pick_the_labels_likeliest_in_either_track():
    rows = profile_rows(GENRES, probs(0, 0.7), probs(3, 0.6), top=2)
    assert [r[0] for r in rows] == ["Blues", "Pop/Rock"]
    assert rows[0][1] == pytest.approx(0.7) and rows[0][2] == pytest.approx(0.4 / 3)
    assert profile_rows(GENRES, None, None) == []
    assert [r[1] for r in profile_rows(GENRES, None, probs(2, 0.9), top=1)] == [0.0]


def test_why_bundles_the_sentence_with_both_profiles():
    anchor = Profile(probs(2, 0.80), probs(3, 0.70), 92.0)
    result = Profile(probs(2, 0.65), probs(3, 0.61), None)
    w = why(anchor, result, LABELS, top=2)
    assert w.sentence == "Both mostly Jazz, calm/relaxed"
    assert [g[0] for g in w.genres][0] == "Jazz" and w.moods[0][0] == "calm/relaxed"
    assert w.anchor_tempo == 92.0 and w.result_tempo is None and w.genre_threshold == 0.57


def test_whys_for_skips_tracks_without_stored_probabilities():
    full, empty = Profile(probs(2, 0.9), None, 100.0), Profile(None, None, 100.0)
    got = whys_for({1: full, 2: full, 3: empty}, 1, [2, 3, 4], LABELS)
    assert set(got) == {2} and got[2].sentence.startswith("Both mostly Jazz")
    assert whys_for({1: empty, 2: full}, 1, [2], LABELS) == {}
