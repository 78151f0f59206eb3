"""Tempo (BPM) of a track from the log-mel slices the analysis already made: no second decode.

The excerpts are ~3 s slices from across the track, so they are not one continuous signal: an onset
envelope is computed per slice (librosa's spectral flux on the dB mel, as `librosa.onset.onset_strength`
does on a decoded signal), each slice's windowed autocorrelation becomes one column of a tempogram, and
`librosa.feature.tempo` picks the tempo from the columns' mean with its usual prior (log-normal around
120 BPM), the same choice `librosa.beat.beat_track` makes. Autocorrelation lags are whole frames
(hop 512: ~5 % apart at 120 BPM), so the peak is refined by a parabola through its neighbours.

A track without a clear pulse (drones, rubato, silence) gets None rather than a number: the peak of
the mean autocorrelation at the chosen lag must reach PULSE_MIN of the zero-lag energy.
"""

from __future__ import annotations

import numpy as np

from fmaplayer.ml.features import HOP, SAMPLE_RATE

TOP_DB = 80.0        # as librosa.power_to_db(top_db=80) before onset_strength
PULSE_MIN = 0.2      # mean normalised autocorrelation at the tempo lag, below which no tempo is given
MIN_BPM, MAX_BPM = 40.0, 240.0


def _slice_autocorrelations(mels: np.ndarray) -> np.ndarray:
    """(n, n_mels, frames) dB mel -> (lags, k) normalised autocorrelations of the slices with onsets."""
    import librosa

    columns = []
    for mel in mels:
        s = np.maximum(mel, mel.max() - TOP_DB)
        envelope = librosa.onset.onset_strength(S=s, sr=SAMPLE_RATE, hop_length=HOP)
        envelope = envelope - envelope.mean()
        if not np.any(np.abs(envelope) > 1e-6):
            continue
        ac = librosa.autocorrelate(envelope * np.hanning(len(envelope)))
        if ac[0] <= 0:
            continue
        columns.append(np.maximum(ac / ac[0], 0.0))  # librosa.feature.tempo takes log1p of it
    if not columns:
        return np.zeros((0, 0), np.float32)
    return np.stack(columns, axis=1)


def tempo_from_slices(slices: np.ndarray) -> float | None:
    """(n, 128, 128, 1) log-mel slices -> tempo in BPM, or None when the excerpts show no clear pulse."""
    import librosa

    mels = np.asarray(slices, np.float32)
    if mels.ndim == 4:
        mels = mels[..., 0]
    tg = _slice_autocorrelations(mels)
    if tg.size == 0:
        return None
    bpm = float(librosa.feature.tempo(tg=tg, sr=SAMPLE_RATE, hop_length=HOP, max_tempo=MAX_BPM)[0])
    mean_ac = tg.mean(axis=1)
    frames_per_minute = 60.0 * SAMPLE_RATE / HOP
    lag = int(round(frames_per_minute / bpm))
    if not 1 <= lag < len(mean_ac) - 1 or mean_ac[lag] < PULSE_MIN:
        return None
    left, centre, right = mean_ac[lag - 1], mean_ac[lag], mean_ac[lag + 1]
    curvature = left - 2 * centre + right
    shift = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
    bpm = frames_per_minute / (lag + float(np.clip(shift, -0.5, 0.5)))
    return bpm if MIN_BPM <= bpm <= MAX_BPM else None
