"""Timbre statistics of a track from the mel slices the model already sees (no second decode).

The CNN-LSTM's vector carries style; what it misses is largely timbre, which simple spectral statistics
carry well (a 2013 timbre model, musly, still beats the student on pop, rock and country). The statistic
here is the mean and standard deviation over every analysed frame of the first `N_COEFFS` MFCCs, taken as
the DCT-II (orthonormal, as librosa does) of the frame's 128-band dB mel: 2 x N_COEFFS numbers per track.
13 coefficients, the classic MFCC size: 26 numbers, so style (32) + timbre + tempo (3) stay within twice
the 2.1.0 index (training/hybrid.py compared 8-20 coefficients, deltas and mel-band statistics; none ranked
measurably better on held-out clips).

For similarity the statistics are standardised with the training audio's mean and spread (stored in the
manifest) and scaled to unit length, so a plain dot product is their cosine (recommend/hybrid.py).
"""

from __future__ import annotations

import numpy as np

N_COEFFS = 13
DIM = 2 * N_COEFFS
_DCT: dict[tuple[int, int], np.ndarray] = {}


def dct_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Orthonormal DCT-II basis (n_out x n_in), the transform scipy.fft.dct(norm="ortho") applies."""
    key = (n_in, n_out)
    if key not in _DCT:
        k = np.arange(n_out)[:, None]
        n = np.arange(n_in)[None, :]
        basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
        basis[0] /= np.sqrt(2.0)
        _DCT[key] = basis.astype(np.float32)
    return _DCT[key]


def mfcc_frames(slices: np.ndarray, n_coeffs: int = N_COEFFS) -> np.ndarray:
    """Slices (n, mels, frames, 1) of dB mel -> (n * frames, n_coeffs) MFCCs, one row per frame."""
    mel = np.asarray(slices, np.float32)[..., 0]               # n x mels x frames
    frames = mel.transpose(0, 2, 1).reshape(-1, mel.shape[1])  # (n*frames) x mels
    return frames @ dct_matrix(mel.shape[1], n_coeffs).T


def timbre_stats(slices: np.ndarray, n_coeffs: int = N_COEFFS) -> np.ndarray:
    """The track's timbre statistics: MFCC means then standard deviations, float32 [2 * n_coeffs]."""
    coeffs = mfcc_frames(slices, n_coeffs).astype(np.float64)
    return np.concatenate([coeffs.mean(axis=0), coeffs.std(axis=0)]).astype(np.float32)


def standardise(stats: np.ndarray, mean, scale) -> np.ndarray:
    """Rows of raw statistics -> unit rows of standardised ones (their dot product is the cosine)."""
    z = (np.atleast_2d(np.asarray(stats, np.float32)) - np.asarray(mean, np.float32)) / \
        np.maximum(np.asarray(scale, np.float32), 1e-6)
    norms = np.linalg.norm(z, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (z / norms).astype(np.float32)
