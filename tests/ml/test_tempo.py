"""Tempo from the analysis slices: a click track's BPM comes back, noise and silence give none."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from fmaplayer.ml import features
from fmaplayer.ml.tempo import tempo_from_slices

SR = features.SAMPLE_RATE


def click_track(bpm: float, seconds: float = 90.0) -> np.ndarray:
    rng = np.random.default_rng(int(bpm))
    y = 0.01 * rng.standard_normal(int(seconds * SR)).astype(np.float32)
    click = (np.hanning(200) * np.sin(np.arange(200) * 0.5)).astype(np.float32)
    for start in (np.arange(0, seconds - 0.1, 60.0 / bpm) * SR).astype(int):
        y[start:start + 200] += click
    return y


@pytest.mark.parametrize("bpm", [72.0, 96.0, 128.0, 150.0])
def test_click_track_tempo_from_the_excerpts_the_analysis_decodes(tmp_path, bpm):
    path = tmp_path / f"clicks{bpm:.0f}.wav"
    sf.write(path, click_track(bpm), SR)   # long enough to be read as 10 separate excerpts
    estimate = tempo_from_slices(features.track_slices(path, 10))
    assert estimate == pytest.approx(bpm, rel=0.03)


def test_no_pulse_gives_no_tempo():
    noise = np.random.default_rng(3).standard_normal(SR * 30).astype(np.float32) * 0.1
    assert tempo_from_slices(features.slices_from_audio(noise, 10)) is None
    assert tempo_from_slices(features.slices_from_audio(np.zeros(SR * 30, np.float32), 10)) is None


@pytest.mark.integration
def test_the_bundled_embedder_stores_the_tempo_with_the_embedding(tmp_path):
    from fmaplayer.library.store import LibraryStore
    from fmaplayer.ml import manifest
    from fmaplayer.ml.embedder import Embedder
    from fmaplayer.recommend.embedding_runner import EmbeddingRunner

    if not manifest.bundled_model_path().exists():
        pytest.skip("no bundled model in models/")
    path = tmp_path / "clicks.wav"
    sf.write(path, click_track(110.0), SR)
    embedder = Embedder(device="cpu")
    with LibraryStore(tmp_path / "library.db") as store:
        (track_id,) = store.upsert_tracks([{"path": str(path), "size": 1, "mtime": 1.0}])
        EmbeddingRunner(store, embedder).run()
        profile = store.embedding_profiles(embedder.model_id, [track_id])[track_id]
    embedder.close()
    assert profile.tempo == pytest.approx(110.0, rel=0.03)
    assert profile.genre_probs is not None


def test_the_onset_envelope_and_tempo_choice_are_librosa_s():
    """The numpy versions in ml/tempo.py compute what librosa.onset.onset_strength and librosa.feature.tempo
    do (they are re-done only to keep librosa's slow-to-import modules out of the analysis thread)."""
    import librosa

    from fmaplayer.ml import tempo

    slices = features.slices_from_audio(click_track(104.0, 40.0), 10)[..., 0].astype(np.float64)
    for mel in slices[:3]:
        ours = tempo.onset_envelope(mel)
        theirs = librosa.onset.onset_strength(S=mel, sr=SR, hop_length=features.HOP)
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    tg = tempo._slice_autocorrelations(slices)
    rng = np.random.default_rng(0)
    for grams in (tg, rng.random((128, 5))):
        expected = float(librosa.feature.tempo(tg=grams, sr=SR, hop_length=features.HOP, max_tempo=240.0)[0])
        assert tempo.tempo_of_tempogram(grams, 240.0) == pytest.approx(expected)


def test_tempo_does_not_import_librosa(tmp_path):
    import subprocess
    import sys

    code = ("import sys, numpy as np; from fmaplayer.ml.tempo import tempo_from_slices; "
            "tempo_from_slices(np.random.default_rng(0).random((10, 128, 128, 1)) * -50); "
            "print('librosa' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
