"""Decoding: probing, excerpts (seek, downmix, resample), the playback block decoder, and error reasons."""

import os

import numpy as np
import pytest
import soundfile as sf

from fmaplayer.audio.decode import StreamDecoder, probe, read_excerpt
from fmaplayer.errors import AudioDecodeError
from tests.audio_fixtures import write_tone

FORMATS = [".wav", ".flac", ".ogg", ".mp3", ".aiff", ".opus"]


def _ramp_wav(path, seconds=2.0, sr=8000, channels=1):
    """A file whose sample value tells the time: value = t / 10 (so seeking can be checked exactly)."""
    t = np.arange(int(seconds * sr), dtype=np.float32) / sr
    data = (t / 10).astype(np.float32)
    if channels == 2:
        data = np.stack([data, -data], axis=1)
    sf.write(path, data, sr, subtype="FLOAT")
    return path


@pytest.mark.parametrize("suffix", FORMATS)
def test_probe_every_supported_format(tmp_path, suffix):
    sr = 48000 if suffix == ".opus" else 22050
    path = write_tone(tmp_path / f"tone{suffix}", seconds=1.0, sr=sr)
    info = probe(path)
    assert info.samplerate == sr and info.channels == 1
    assert info.duration == pytest.approx(1.0, abs=0.1)
    assert info.format


def test_read_excerpt_seeks_and_reads_only_the_excerpt(tmp_path):
    path = _ramp_wav(tmp_path / "ramp.wav", seconds=3.0)
    y = read_excerpt(path, start_s=1.5, duration_s=0.5)
    assert y.dtype == np.float32 and y.shape == (4000,)
    assert y[0] == pytest.approx(0.15, abs=1e-6)
    assert y[-1] == pytest.approx((2.0 - 1 / 8000) / 10, abs=1e-6)


def test_read_excerpt_downmixes_and_resamples(tmp_path):
    path = _ramp_wav(tmp_path / "stereo.wav", seconds=1.0, channels=2)
    mono = read_excerpt(path, 0.0, 1.0)
    assert mono.ndim == 1 and np.allclose(mono, 0.0, atol=1e-7)  # (x + -x) / 2
    both = read_excerpt(path, 0.0, 1.0, mono=False)
    assert both.shape == (8000, 2)
    up = read_excerpt(path, 0.0, 1.0, target_sr=22050)
    assert up.shape == (22050,) and up.dtype == np.float32


def test_read_excerpt_near_and_past_the_end(tmp_path):
    path = _ramp_wav(tmp_path / "short.wav", seconds=1.0)
    assert len(read_excerpt(path, 0.75, 10.0)) == 2000
    assert len(read_excerpt(path, 5.0, 1.0)) == 0


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda p: p, "file not found"),
        (lambda p: (p.write_bytes(b""), p)[1], "empty file"),
        (lambda p: (p.write_text("not audio, just text " * 20), p)[1], "not a recognised audio format"),
        (lambda p: (p.mkdir(), p)[1], "is a folder"),
    ],
    ids=["missing", "zero-bytes", "text-named-mp3", "folder"],
)
def test_errors_have_clear_reasons(tmp_path, make, reason):
    path = make(tmp_path / "bad.mp3")
    for call in (lambda: probe(path), lambda: read_excerpt(path, 0, 1), lambda: StreamDecoder(path, 44100)):
        with pytest.raises(AudioDecodeError, match=reason):
            call()


def test_truncated_flac_fails_mid_stream_with_a_reason(tmp_path):
    path = write_tone(tmp_path / "cut.flac", seconds=4.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    decoder = StreamDecoder(path, 44100)  # the header is intact: opening works
    with pytest.raises(AudioDecodeError, match="truncated or corrupt"):
        while decoder.read_block() is not None:
            pass
    decoder.close()


@pytest.mark.parametrize("file_sr, out_sr", [(44100, 44100), (22050, 48000), (48000, 44100)])
def test_stream_decoder_converts_rate_and_channels(tmp_path, file_sr, out_sr):
    path = write_tone(tmp_path / "t.wav", seconds=1.0, sr=file_sr)
    with StreamDecoder(path, out_sr, 2, block_frames=1000) as dec:
        blocks = []
        while (block := dec.read_block()) is not None:
            blocks.append(block)
    audio = np.concatenate(blocks)
    assert audio.dtype == np.float32 and audio.shape[1] == 2
    assert abs(len(audio) - out_sr) <= 2  # resampling keeps the duration
    assert np.array_equal(audio[:, 0], audio[:, 1])  # mono is duplicated, not panned


def test_stream_decoder_seek(tmp_path):
    path = _ramp_wav(tmp_path / "ramp.wav", seconds=2.0, channels=2)
    with StreamDecoder(path, 8000, 2) as dec:
        dec.seek(1.25)
        first = dec.read_block()
    assert first[0, 0] == pytest.approx(0.125, abs=1e-6)
    assert first[0, 1] == pytest.approx(-0.125, abs=1e-6)


@pytest.mark.skipif(os.name != "posix", reason="byte file names are a POSIX thing")
def test_non_utf8_file_name(tmp_path):
    raw = os.path.join(os.fsencode(tmp_path), b"caf\xe9.wav")  # Latin-1 bytes, invalid UTF-8
    write_tone(tmp_path / "plain.wav", seconds=0.5)
    os.rename(os.path.join(os.fsencode(tmp_path), b"plain.wav"), raw)
    name = os.fsdecode(raw)  # str with a surrogate escape, as the library stores it
    assert probe(name).duration == pytest.approx(0.5, abs=0.01)
    assert len(read_excerpt(name, 0.0, 0.25)) > 0
