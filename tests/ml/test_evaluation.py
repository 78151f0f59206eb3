import numpy as np
import pytest

from fmaplayer.ml import evaluation


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
