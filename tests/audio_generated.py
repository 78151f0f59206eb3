"""Generated test audio (tones, noise) written with soundfile: no recorded audio in the repository."""

from __future__ import annotations

import numpy as np
import soundfile as sf


def write_audio(path, y, sr=22050):
    subtype = "FLOAT" if str(path).endswith(".wav") else None  # exact samples for equality checks
    sf.write(str(path), np.asarray(y, np.float32), sr, subtype=subtype)
    return path


def tone(seconds, freq=440.0, sr=22050, amp=0.3):
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def noise(seconds, sr=22050, seed=0, amp=0.3):
    return (amp * np.random.default_rng(seed).standard_normal(int(seconds * sr))).astype(np.float32)
