"""Generated audio fixtures shared by every test package: tones written with soundfile, tagged with mutagen.

No recorded audio lives in the repository; tests build what they need in tmp dirs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

# suffix -> (soundfile format, subtype)
FORMATS: dict[str, tuple[str, str | None]] = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".opus": ("OGG", "OPUS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".aiff": ("AIFF", "PCM_16"),
    ".aif": ("AIFF", "PCM_16"),
}

# Opus only encodes at these rates; other rates are resampled by the caller's choice of sr.
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)

# Easy tag key -> ID3 frame class name, for containers (WAV, AIFF) without an "easy" mutagen wrapper.
_ID3_FRAMES = {
    "title": "TIT2",
    "artist": "TPE1",
    "album": "TALB",
    "albumartist": "TPE2",
    "tracknumber": "TRCK",
    "date": "TDRC",
    "genre": "TCON",
}


def tone(seconds: float = 2.0, freq: float = 440.0, sr: int = 22050, channels: int = 1) -> np.ndarray:
    """A sine tone with a little noise (so lossy encoders have something to do), float32 in [-0.5, 0.5]."""
    n = max(1, int(round(seconds * sr)))
    t = np.arange(n, dtype=np.float64) / sr
    rng = np.random.default_rng(int(freq * 1000) % (2**32))
    y = 0.4 * np.sin(2 * np.pi * freq * t) + 0.02 * rng.standard_normal(n)
    y = y.astype(np.float32)
    if channels > 1:
        y = np.repeat(y[:, None], channels, axis=1)
    return y


def write_tone(
    path: str | Path,
    seconds: float = 2.0,
    freq: float = 440.0,
    sr: int = 22050,
    fmt: str | None = None,
    tags: dict[str, str] | None = None,
) -> Path:
    """Write a tone to `path` in the format its suffix names (or `fmt`, a suffix like ".flac"), then tag it.

    tags keys: title, artist, album, albumartist, tracknumber, date, genre (values are strings).
    """
    path = Path(path)
    suffix = (fmt if fmt else path.suffix).lower()
    if not suffix.startswith("."):
        suffix = "." + suffix
    if suffix not in FORMATS:
        raise ValueError(f"write_tone: unsupported format {suffix!r}")
    sf_format, subtype = FORMATS[suffix]
    if suffix == ".opus" and sr not in _OPUS_RATES:
        sr = 48000
    path.parent.mkdir(parents=True, exist_ok=True)
    # libsndfile takes bytes so names that are not valid UTF-8 (surrogate-escaped str) still work.
    target = str(path) if sys.platform == "win32" else os.fsencode(path)
    sf.write(target, tone(seconds, freq, sr), sr, format=sf_format, subtype=subtype)
    if tags:
        tag_file(path, tags, suffix)
    return path


def tag_file(path: str | Path, tags: dict[str, str], suffix: str | None = None) -> None:
    """Set tags on an existing audio file with mutagen (Vorbis comments, or ID3 for MP3/WAV/AIFF)."""
    import mutagen

    path = Path(path)
    suffix = (suffix or path.suffix).lower()
    if suffix in (".wav", ".aiff", ".aif"):
        _tag_id3_container(path, tags)
        return
    audio = mutagen.File(str(path), easy=True)
    if audio is None:
        raise ValueError(f"tag_file: mutagen does not recognise {path}")
    if audio.tags is None:
        audio.add_tags()
    for key, value in tags.items():
        audio[key] = [value]
    audio.save()


def _tag_id3_container(path: Path, tags: dict[str, str]) -> None:
    import mutagen
    from mutagen import id3

    audio = mutagen.File(str(path))
    if audio is None:
        raise ValueError(f"tag_file: mutagen does not recognise {path}")
    if audio.tags is None:
        audio.add_tags()
    for key, value in tags.items():
        frame_name = _ID3_FRAMES.get(key)
        if frame_name is None:
            raise ValueError(f"tag_file: unsupported tag key {key!r}")
        frame_cls = getattr(id3, frame_name)
        audio.tags.add(frame_cls(encoding=3, text=[value]))
    audio.save()
