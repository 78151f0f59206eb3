"""Issue 10 item 4: float files with NaN, infinities or huge samples decode to finite full-scale audio,
for analysis excerpts and for playback (a NaN reaching the output would be a burst of noise)."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from fmaplayer.audio.decode import StreamDecoder, read_excerpt


def _hostile_float_wav(path, subtype="FLOAT"):
    y = (0.3 * np.sin(np.linspace(0, 200, 22050))).astype(np.float32)
    y[100], y[200], y[300], y[400] = np.nan, np.inf, -np.inf, 1e30
    sf.write(str(path), y, 22050, subtype=subtype)
    return y


def test_excerpts_of_a_float_wav_with_nan_and_inf_are_finite(tmp_path):
    for subtype in ("FLOAT", "DOUBLE"):
        path = tmp_path / f"nan-{subtype}.wav"
        original = _hostile_float_wav(path, subtype)
        out = read_excerpt(path, 0.0, 1.0)
        assert np.all(np.isfinite(out)) and np.abs(out).max() <= 1.0
        assert out[100] == out[200] == out[300] == 0.0 and out[400] == 1.0
        np.testing.assert_allclose(out[500:600], original[500:600], atol=1e-6)   # the rest untouched


def test_playback_blocks_of_a_float_wav_with_nan_are_finite(tmp_path):
    path = tmp_path / "nan.wav"
    _hostile_float_wav(path)
    with StreamDecoder(path, 22050, out_channels=2) as decoder:
        blocks = []
        while (block := decoder.read_block()) is not None:
            blocks.append(block)
    audio = np.concatenate(blocks)
    assert np.all(np.isfinite(audio)) and np.abs(audio).max() <= 1.0
