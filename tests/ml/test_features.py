import numpy as np
import pytest

from fmaplayer.errors import AudioDecodeError
from fmaplayer.ml import features
from tests.audio_generated import noise, tone, write_audio


def test_feature_parameters():
    p = features.feature_params()
    assert (p["sample_rate"], p["n_fft"], p["hop_length"], p["n_mels"], p["slice_frames"]) == (
        22050,
        2048,
        512,
        128,
        128,
    )
    assert features.SLICE_SAMPLES == 127 * 512 + 2048
    assert 2.9 < features.SLICE_SECONDS < 3.1


def test_mel_shape_and_units():
    y = tone(3.0)
    m = features.mel_db(y)
    assert m.shape == (128, 1 + (len(y) - 2048) // 512)
    assert m.dtype == np.float32
    assert m.min() >= -100.0 - 1e-3
    # the 440 Hz band is far louder than the top band
    assert m[:, 10].argmax() < 30


def test_mel_matches_librosa():
    import librosa

    y = noise(1.0)
    power = np.abs(librosa.stft(y, n_fft=2048, hop_length=512, center=False)) ** 2
    mel = librosa.feature.melspectrogram(S=power, sr=22050, n_mels=128)
    ref = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
    assert np.allclose(features.mel_db(y), ref, atol=1e-2)


def test_thirty_second_clip_gives_ten_slices(tmp_path):
    path = write_audio(tmp_path / "clip.wav", noise(30.0))
    s = features.track_slices(path)
    assert s.shape == (10, 128, 128, 1) and s.dtype == np.float32


def test_fifteen_second_clip_gives_five_slices(tmp_path):
    assert features.track_slices(write_audio(tmp_path / "c.wav", noise(15.0))).shape[0] == 5


def test_short_file_gives_one_padded_slice(tmp_path):
    s = features.track_slices(write_audio(tmp_path / "short.wav", tone(1.0)))
    assert s.shape == (1, 128, 128, 1)
    assert s[0, :, -1, 0].max() == pytest.approx(-100.0)


def test_long_file_reads_evenly_spaced_excerpts_equal_to_full_decode(tmp_path):
    y = noise(120.0, seed=3) * np.linspace(0.1, 1.0, 120 * 22050, dtype=np.float32)
    path = write_audio(tmp_path / "song.wav", y)
    s = features.track_slices(path, n_slices=10)
    assert s.shape == (10, 128, 128, 1)
    # excerpt i is centred in the i-th tenth of the song; it equals the slice from the full decode
    frames = len(y)
    start = int((0.5) * frames / 10 - features.SLICE_SAMPLES / 2)
    full = features.slices_from_audio(y[start : start + features.SLICE_SAMPLES], 1)
    assert np.allclose(s[0], full[0], atol=1e-3)
    assert s[-1].mean() > s[0].mean()  # louder at the end: slices really are spread over the song


def test_resamples_other_rates(tmp_path):
    path = write_audio(tmp_path / "44k.wav", tone(30.0, sr=44100), sr=44100)
    assert features.track_slices(path).shape == (10, 128, 128, 1)


def test_stereo_is_downmixed_to_the_mean_of_its_channels(tmp_path):
    left, right = noise(30.0, seed=1), 0.5 * tone(30.0)
    stereo = write_audio(tmp_path / "stereo.wav", np.stack([left, right], axis=1))
    mono = write_audio(tmp_path / "mono.wav", (left + right) / 2)
    assert np.allclose(features.track_slices(stereo), features.track_slices(mono), atol=1e-3)


def test_bad_audio_raises_decode_error(tmp_path):
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"this is not audio" * 100)
    with pytest.raises(AudioDecodeError):
        features.track_slices(bad)
    with pytest.raises(AudioDecodeError, match="not found"):
        features.track_slices(tmp_path / "missing.flac")


def test_non_finite_and_absurd_samples_are_repaired_before_analysis(tmp_path):
    import soundfile as sf

    from fmaplayer.ml import features

    y = (0.3 * np.sin(np.arange(22050 * 4) / 10)).astype(np.float32)
    clean = tmp_path / "clean.wav"
    sf.write(clean, y, 22050, subtype="FLOAT")
    broken = y.copy()
    broken[1000], broken[2000], broken[3000] = np.nan, np.inf, 1e30
    bad = tmp_path / "bad.wav"
    sf.write(bad, broken, 22050, subtype="FLOAT")
    a, b = features.track_slices(clean), features.track_slices(bad)
    assert np.isfinite(b).all()
    # the bad samples became silence: only the frames that hold them differ (by a click), no others
    frames_with_bad = (3000 + features.N_FFT) // features.HOP + 1
    np.testing.assert_allclose(a[0, :, frames_with_bad:], b[0, :, frames_with_bad:], atol=1e-3)


def test_model_id_follows_the_labels_as_well_as_the_weights():
    from fmaplayer.ml import manifest

    base = {"name": "cnn_lstm", "version": "2.0.0", "sha256": "ab" * 32, "genres": ["A", "B"], "moods": []}
    assert manifest.model_id(base).startswith("cnn_lstm@2.0.0+abababab.")
    assert manifest.model_id({**base, "genres": ["A", "B", "C"]}) != manifest.model_id(base)
    assert manifest.model_id({**base, "genre_threshold": 0.5}) != manifest.model_id(base)
    assert manifest.model_id(dict(base)) == manifest.model_id(base)


def _excerpts_from_whole_decode(path, n_slices=10):
    """What track_slices must return: the same native-rate windows cut from a decode of the whole file."""
    import soundfile as sf

    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    frames = len(data)
    need = int(np.ceil(features.SLICE_SAMPLES * sr / features.SAMPLE_RATE)) + (0 if sr == 22050 else 64)
    out = []
    for i in range(n_slices):
        start = int(max(0, min(frames - need, (i + 0.5) * frames / n_slices - need / 2)))
        chunk = features._resample(data[start : start + need].mean(axis=1), sr)
        out.append(features.slices_from_audio(chunk[: features.SLICE_SAMPLES], 1))
    return np.concatenate(out)


@pytest.mark.parametrize("suffix, exact", [(".ogg", True), (".flac", True), (".wav", True), (".mp3", False)])
def test_excerpts_of_a_stereo_44k_song_equal_those_of_the_whole_decode(tmp_path, suffix, exact):
    """Seeking (with a lead-in only where libsndfile's seek is not sample-exact) reads the same audio as
    decoding everything: excerpt positions and contents do not depend on the format."""
    import soundfile as sf

    seconds, sr = 55.0, 44100
    y = np.stack([noise(seconds, sr=sr, seed=5), tone(seconds, sr=sr, freq=330.0)], axis=1)
    y *= np.linspace(0.2, 1.0, len(y), dtype=np.float32)[:, None]  # each excerpt sounds different
    path = tmp_path / f"song{suffix}"
    subtype = {".wav": "PCM_16"}.get(suffix)
    with sf.SoundFile(str(path), "w", sr, 2, subtype=subtype) as fh:
        for i in range(0, len(y), 1 << 16):  # in blocks: libsndfile's Vorbis encoder dislikes one big write
            fh.write(y[i : i + (1 << 16)])
    got, want = features.track_slices(path), _excerpts_from_whole_decode(path)
    assert got.shape == want.shape == (10, 128, 128, 1)
    loud = want > -60  # bins that carry the signal (the codec's noise floor differs below)
    tolerance = 1e-3 if exact else 0.5  # dB; an MP3 decoder may restart cold after a seek
    assert np.abs(got - want)[loud].max() < tolerance


def test_lossy_formats_whose_seek_is_not_exact_keep_the_lead_in(tmp_path):
    import soundfile as sf

    for suffix, want in ((".mp3", features.SEEK_LEAD_IN), (".ogg", 0), (".flac", 0)):
        path = write_audio(tmp_path / f"x{suffix}", noise(2.0))
        with sf.SoundFile(str(path)) as f:
            assert features._seek_lead_in(f) == want, suffix


@pytest.mark.parametrize("sr", [44100, 48000])
def test_resampled_features_match_audio_sampled_at_22050_within_the_stated_tolerance(tmp_path, sr):
    """The resampler's stated tolerance: for content up to 9.5 kHz (soxr HQ's passband ends near 10 kHz) the
    mel bins above -60 dB of a 44.1/48 kHz file are within 0.05 dB of the same signal sampled at 22,050 Hz.
    soxr "LQ" (passband ends lower) is 10 dB off and "QQ" 9 dB at 48 kHz: they fail this."""

    def chord(rate, seconds=10.0):
        t = np.arange(int(seconds * rate)) / rate
        return sum(0.05 * np.sin(2 * np.pi * f * t) for f in (220, 1000, 5000, 8000, 9500)).astype(np.float32)

    native = features.track_slices(write_audio(tmp_path / "native.wav", chord(22050)))
    resampled = features.track_slices(write_audio(tmp_path / f"r{sr}.wav", chord(sr), sr=sr))
    assert resampled.shape == native.shape == (3, 128, 128, 1)
    loud = native > -60
    assert loud.mean() > 0.05  # the chord's bands are really there
    assert np.abs(resampled - native)[loud].max() < 0.05


def test_mel_filters_are_librosas_slaney_filters():
    import librosa

    ref = librosa.filters.mel(sr=22050, n_fft=2048, n_mels=128)
    got = features.mel_filters()
    assert got.shape == ref.shape and got.dtype == np.float32
    assert np.array_equal(got != 0, ref != 0)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-8)


def test_analysing_a_file_does_not_import_librosa(tmp_path):
    """librosa's filters module takes seconds to import: the app's feature path must not need it."""
    import subprocess
    import sys

    path = write_audio(tmp_path / "song.wav", noise(60.0))
    code = ("import sys; from fmaplayer.ml import features; features.track_slices(sys.argv[1]); "
            "print('librosa' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
