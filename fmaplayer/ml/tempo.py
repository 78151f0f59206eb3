"""Tempo (BPM) of a track from the log-mel slices the analysis already made: no second decode.

The excerpts are ~3 s slices from across the track, so they are not one continuous signal: an onset
envelope is computed per slice (`librosa.onset.onset_strength` on the dB mel), each slice's windowed
autocorrelation becomes one column of a tempogram, and `librosa.feature.tempo` picks the tempo from the
columns' mean with its usual prior (log-normal around 120 BPM), the same choice `librosa.beat.beat_track`
makes. Autocorrelation lags are whole frames (hop 512: ~5 % apart at 120 BPM), so the peak is refined by a
parabola through its neighbours. Those two librosa functions are re-done here in a few lines of numpy (a
test checks both against librosa on the same input): importing librosa's onset and feature modules costs
about 2.5 s (numba) in the analysis thread's first batch, which the app otherwise no longer imports.

A track without a clear pulse (drones, rubato, silence) gets None rather than a number: the peak of
the mean autocorrelation at the chosen lag must reach PULSE_MIN of the zero-lag energy.
"""

from __future__ import annotations

import numpy as np

from fmaplayer.ml.features import HOP, N_FFT, SAMPLE_RATE

TOP_DB = 80.0        # as librosa.power_to_db(top_db=80) before onset_strength
PULSE_MIN = 0.2      # mean normalised autocorrelation at the tempo lag, below which no tempo is given
MIN_BPM, MAX_BPM = 40.0, 240.0
START_BPM, STD_OCTAVES = 120.0, 1.0    # librosa.feature.tempo's default prior
_CENTRE_PAD = 1 + N_FFT // (2 * HOP)   # onset_strength's leading zeros: lag + n_fft // (2 hop) (center=True)


def onset_envelope(mel_db: np.ndarray) -> np.ndarray:
    """librosa.onset.onset_strength(S=mel_db) with its defaults: the mean over bands of the positive
    frame-to-frame rise, shifted by the same leading zeros and trimmed to the input's length."""
    flux = np.maximum(0.0, mel_db[:, 1:] - mel_db[:, :-1]).mean(axis=0)
    return np.concatenate([np.zeros(_CENTRE_PAD, flux.dtype), flux])[: mel_db.shape[1]]


def tempo_of_tempogram(tg: np.ndarray, max_tempo: float) -> float:
    """librosa.feature.tempo(tg=tg, aggregate=np.mean): the lag whose mean autocorrelation, weighted by
    a log-normal prior around START_BPM, is largest."""
    lags = np.arange(tg.shape[0], dtype=np.float64)
    with np.errstate(divide="ignore"):
        bpms = 60.0 * SAMPLE_RATE / (HOP * lags)          # lag 0: inf, as librosa's tempo_frequencies
        logprior = -0.5 * ((np.log2(bpms) - np.log2(START_BPM)) / STD_OCTAVES) ** 2
    logprior[: int(np.argmax(bpms < max_tempo))] = -np.inf
    return float(bpms[int(np.argmax(np.log1p(1e6 * tg.mean(axis=1)) + logprior))])


def _slice_autocorrelations(mels: np.ndarray) -> np.ndarray:
    """(n, n_mels, frames) dB mel -> (lags, k) normalised autocorrelations of the slices with onsets."""
    columns = []
    for mel in mels:
        s = np.maximum(mel, mel.max() - TOP_DB).astype(np.float64)
        envelope = onset_envelope(s)
        envelope = envelope - envelope.mean()
        if not np.any(np.abs(envelope) > 1e-6):
            continue
        windowed = envelope * np.hanning(len(envelope))
        ac = np.correlate(windowed, windowed, mode="full")[len(windowed) - 1:]   # librosa.autocorrelate
        if ac[0] <= 0:
            continue
        columns.append(np.maximum(ac / ac[0], 0.0))   # tempo takes log1p of it
    if not columns:
        return np.zeros((0, 0), np.float64)
    return np.stack(columns, axis=1)


def tempo_from_slices(slices: np.ndarray) -> float | None:
    """(n, 128, 128, 1) log-mel slices -> tempo in BPM, or None when the excerpts show no clear pulse."""
    mels = np.asarray(slices, np.float32)
    if mels.ndim == 4:
        mels = mels[..., 0]
    tg = _slice_autocorrelations(mels)
    if tg.size == 0:
        return None
    bpm = tempo_of_tempogram(tg, MAX_BPM)
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
