"""Distillation data: segments, the resumable target cache (with a stand-in teacher), crops and weights,
and the evaluation helpers (overlap with the teacher, the validated genre threshold)."""

import numpy as np
import pytest

from fmaplayer.ml import features
from fmaplayer.training import distill, distill_eval, teacher
from tests.audio_generated import noise, tone, write_audio


class StandInTeacher:
    """Deterministic (penultimate, tags) from the patches' loudness, and a call log."""

    def __init__(self):
        self.calls = 0

    def __call__(self, patches):
        self.calls += 1
        level = patches.mean(axis=(1, 2))
        pen = np.outer(level, np.linspace(1, 2, distill.TEACHER_DIM)).astype(np.float32)
        tags = np.clip(np.outer(level, np.ones(distill.N_TAGS)) / 5, 0, 1).astype(np.float32)
        return pen, tags


def test_long_files_give_evenly_spread_segments_at_both_rates(tmp_path):
    path = str(write_audio(tmp_path / "long.wav", noise(95, sr=44100), sr=44100))
    segs = distill.decode_segments(path, max_segments=10)
    assert len(segs) == 3                                   # 95 s holds three 30-s segments
    y22, y16 = segs[0]
    assert len(y22) == pytest.approx(30 * features.SAMPLE_RATE, abs=2)
    assert len(y16) == pytest.approx(30 * teacher.SAMPLE_RATE, abs=2)
    short = distill.decode_segments(str(write_audio(tmp_path / "s.wav", tone(12))), 10)
    assert len(short) == 1 and len(short[0][0]) == 12 * 22050


def test_teacher_features_are_musicnn_shaped():
    mel = teacher.log_mel(tone(10, sr=teacher.SAMPLE_RATE))
    assert mel.shape[1] == teacher.N_MELS and np.isfinite(mel).all() and mel.min() >= 0
    p = teacher.patches(mel)
    assert p.shape == (3, teacher.PATCH_FRAMES, teacher.N_MELS)
    assert teacher.patches(mel[:50]).shape == (1, teacher.PATCH_FRAMES, teacher.N_MELS)   # padded


def test_cache_is_built_once_and_skips_broken_files(tmp_path):
    good = str(write_audio(tmp_path / "a.wav", tone(31)))
    broken = tmp_path / "b.wav"
    broken.write_bytes(b"RIFF not audio")
    sources = [distill.Source(good, "train", "Jazz", "Q1"), distill.Source(str(broken), "unlabelled")]
    net = StandInTeacher()
    entries = distill.build_cache(sources, 4, tmp_path / "cache", log=lambda m: None, net=net)
    assert list(entries) == [good] and net.calls == 1
    again = distill.build_cache(sources[:1], 4, tmp_path / "cache", log=lambda m: None, net=net)
    assert again == entries and net.calls == 1              # resumable: nothing recomputed
    segs = distill.load_segments(sources, entries)
    assert len(segs) == 1 and segs[0].mel.shape[0] == features.N_MELS
    assert segs[0].pen.shape == (distill.TEACHER_DIM,) and segs[0].tags.shape == (distill.N_TAGS,)


def _segment(part, genre=None, mood=None, frames=600, seed=0):
    rng = np.random.default_rng(seed)
    return distill.Segment(distill.Source(f"/x/{part}{seed}.mp3", part, genre, mood),
                           rng.normal(-20, 10, (128, frames)).astype(np.float16),
                           rng.normal(size=distill.TEACHER_DIM).astype(np.float32),
                           rng.uniform(size=distill.N_TAGS).astype(np.float32))


def test_only_training_labels_carry_weight():
    segs = [_segment("train", "Jazz", "Q2", seed=1), _segment("unlabelled", seed=2),
            _segment("test", "Rock", "Q1", seed=3)]
    genres, moods = ["Jazz", "Rock"], ["Q1", "Q2"]
    centre = distill.teacher_centre(segs)
    seq = distill.make_sequence(segs, centre, genres, moods, np.ones(2), batch_size=3, crops=1, seed=0)
    x, y, w = seq[0]
    assert x.shape == (3, 128, 128, 1)
    order = list(seq.order[:3])
    by_part = {segs[i].source.part: k for k, i in enumerate(order)}
    assert w["genre"][by_part["train"]] == 1 and w["mood"][by_part["train"]] == 1
    assert w["genre"][by_part["unlabelled"]] == 0 and w["genre"][by_part["test"]] == 0
    assert np.allclose(np.linalg.norm(y["teacher"], axis=1), 1, atol=1e-5)
    assert (w["teacher"] == 1).all()


def test_overlap_with_itself_is_one_and_random_is_near_chance():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(60, 8))
    sim = v @ v.T
    assert distill_eval.overlap_at_k(sim, sim)["avg"] == 1.0
    other = rng.normal(size=(60, 8))
    res = distill_eval.overlap_at_k(other @ other.T, sim)
    assert res["avg"] < 0.45 and res["chance"] == pytest.approx(10 / 59)


def test_genre_threshold_reaches_the_target_on_the_data_it_was_chosen_on():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 400)
    conf = rng.uniform(0.25, 1, 400)
    right = rng.uniform(size=400) < conf                    # confident predictions are more often right
    pred = np.where(right, y, (y + 1) % 4)
    probs = np.full((400, 4), 0.0)
    probs[np.arange(400), pred] = conf
    t = distill_eval.choose_threshold(probs, y, target=0.8)
    shown = distill_eval.shown_accuracy(probs, y, t)
    assert 0 < t < 1 and shown["shown_accuracy"] >= 0.8 and shown["shown_share"] < 1
    assert shown["all_accuracy"] < 0.8


def test_generalisation_section_renders_every_system():
    from fmaplayer.training.generalisation import section_lines

    ov = {"avg": 0.5, "ci95": [0.4, 0.6], "chance": 0.1, "n": 40}
    spread = {"median_first": 90.0, "median_kth": 60.0, "median_gap_first_kth": 30.0,
              "mean_same_genre_in_top": 80.0, "mean_other_genre_in_top": 65.0}
    p10 = {"p@10": {"avg": 0.4, "ci95": [0.3, 0.5]}}
    gen = {"k": 10, "test_clips": 149, "unseen_tracks": 40, "unseen_packages": ["a", "b"], "systems": {
        "cnn_lstm 2.0.0": {"overlap_test": ov, "overlap_unseen": ov, "spread_test": spread,
                           "spread_test_raw_cosine": spread, "spread_unseen": spread,
                           "genre_shown": {"threshold": 0.4, "shown_share": 0.5, "shown_accuracy": 0.8,
                                           "all_accuracy": 0.5, "n": 92},
                           "recommendation_centred": {"genre": p10, "quadrant": p10}},
        "mfcc": {"overlap_test": ov},
        "musly": {"error": "ImportError: no pymusly"}}}
    text = "\n".join(section_lines(gen))
    assert "| cnn_lstm 2.0.0 | 0.500 [0.40, 0.60] | 0.500 [0.40, 0.60] |" in text
    assert "| mfcc | 0.500 [0.40, 0.60] | – |" in text and "not run: ImportError" in text
    assert "| cnn_lstm 2.0.0 | 0.40 | 50% of 92 | 0.800 | 0.500 |" in text


def test_validation_slices_carry_their_own_labels():
    seg = _segment("val", "Rock", "Q1", frames=1290, seed=4)
    x, y, w = distill.eval_arrays([seg], np.zeros(distill.TEACHER_DIM, np.float32), ["Jazz", "Rock"], ["Q1"])
    assert x.shape == (10, 128, 128, 1) and (w["genre"] == 1).all() and (y["genre"][:, 1] == 1).all()
    assert (w["mood"] == 1).all() and np.allclose(np.linalg.norm(y["teacher"], axis=1), 1, atol=1e-5)


def test_distill_train_runs_an_epoch_and_resumes(tmp_path):
    """`fmaplayer distill train` end to end on a tiny generated collection (stand-in teacher targets)."""
    import argparse
    import json

    from fmaplayer.cli import distill as distill_cli

    data = tmp_path / "data" / "tiny"
    data.mkdir(parents=True)
    rows = ["file,artist,genre,quadrant"]
    for i in range(24):
        genre, mood = ("Jazz", "Q1") if i % 2 else ("Rock", "Q2")
        y = tone(8, freq=200 + 40 * i) if i % 2 else noise(8, seed=i)
        write_audio(data / f"c{i}.wav", y)
        rows.append(f"c{i}.wav,artist{i},{genre},{mood}")
    (data / "labels.csv").write_text("\n".join(rows) + "\n")
    cache = tmp_path / "cache"
    srcs = distill_cli.sources(str(tmp_path / "data"), None)
    assert {s.part for s in srcs} >= {"train", "val"}
    distill.build_cache(srcs, 2, cache, log=lambda m: None, net=StandInTeacher())
    parser = argparse.ArgumentParser()
    distill_cli.add_arguments("distill", parser)
    argv = ["train", "--data", str(tmp_path / "data"), "--cache", str(cache), "--max-segments", "2",
            "--out", str(tmp_path / "run"), "--epochs", "1", "--crops", "1", "--batch-size", "8"]
    assert distill_cli.run("distill", parser.parse_args(argv)) == 0
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["epochs_done"] == 1 and (tmp_path / "run" / "best.keras").exists()
    assert "val_teacher_loss" in state["history"][0]
    # the budget is used: a second call resumes, sees it and does nothing
    assert distill_cli.run("distill", parser.parse_args(argv)) == 0
    assert json.loads((tmp_path / "run" / "state.json").read_text())["epochs_done"] == 1
