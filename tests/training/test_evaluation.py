import numpy as np
import pytest

from fmaplayer.training import evaluation


def test_precision_at_k_counts_same_label_neighbours():
    vecs = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [0.8, 0.2], [0.2, 0.8]], float)
    labels = ["a", "a", "b", "b", "a", "b"]
    res = evaluation.precision_at_k(evaluation.cosine_matrix(vecs), labels, ks=(1, 2))
    assert res["p@1"]["avg"] == pytest.approx(1.0)
    assert res["p@2"]["avg"] == pytest.approx(1.0)
    res = evaluation.precision_at_k(evaluation.cosine_matrix(vecs), ["a", "b", "a", "b", "a", "b"], ks=(1,))
    assert res["p@1"]["avg"] < 1.0
    assert set(res["p@1"]["per_label"]) == {"a", "b"}


def test_classification_metrics():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    m = evaluation.classification_metrics(np.array([0, 1, 1]), probs, ["x", "y"])
    assert m["accuracy"] == pytest.approx(2 / 3)
    assert m["confusion"] == [[1, 0], [1, 1]]
    assert m["log_loss"] > 0


def test_paired_difference_sees_a_consistent_margin_that_separate_intervals_blur():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.0, 0.8, 90)  # anchors differ a lot in difficulty...
    better = base + 0.05  # ...but the model is better on every one of them
    d = evaluation.paired_difference(better, base)
    assert d["mean"] == pytest.approx(0.05)
    assert d["ci95"][0] > 0 and d["better_share"] == 1.0
    # the two systems' own intervals overlap even so
    assert evaluation.bootstrap_ci(better)[0] < evaluation.bootstrap_ci(base)[1]
    assert evaluation.paired_difference(base, base)["ci95"] == [0.0, 0.0]


def test_precision_at_k_keeps_per_anchor_hits_for_paired_tests():
    vecs = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], float)
    res = evaluation.precision_at_k(evaluation.cosine_matrix(vecs), ["a", "a", "b", "a"], ks=(1,))
    assert res["p@1"]["per_anchor"] == [1.0, 1.0, 0.0, 0.0]
