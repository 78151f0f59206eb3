from fmaplayer.training import report


def _system(label, hits):
    return {"label": label, "recommendation": {"genre": {"p@10": {"avg": sum(hits) / len(hits),
                                                                    "per_anchor": hits}}}}


def test_report_compares_each_model_with_each_baseline_on_the_same_anchors():
    results = {
        "models": [_system("cnn_lstm", [0.5, 0.4, 0.6, 0.3] * 10)],
        "baselines": {"musly": _system("musly", [0.3, 0.3, 0.4, 0.2] * 10),
                      "broken": {"error": "not installed"}},
    }
    lines = report._paired_lines(results)
    rows = [line for line in lines if line.startswith("| cnn_lstm")]
    assert len(rows) == 1 and "musly" in rows[0]
    assert "+0.150" in rows[0] and "100%" in rows[0]


def test_no_paired_section_without_per_anchor_figures():
    results = {"models": [{"label": "m", "recommendation": {}}], "baselines": {}}
    assert report._paired_lines(results) == []
