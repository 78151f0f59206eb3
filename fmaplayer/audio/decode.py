"""Decoding with soundfile/libsndfile: probing, excerpts for analysis, and a block decoder for playback.

Every libsndfile/OS error is turned into :class:`AudioDecodeError` with a reason a user can act on
("file not found", "not a recognised audio format", "truncated or corrupt", ...). Only regular files are
opened (a FIFO would block the open forever, a device never ends), and a sample rate outside
`MIN_SAMPLE_RATE`..`MAX_SAMPLE_RATE` is refused: a 200 KB WAV that claims 1 Hz is "27.8 hours" long and
resampling it to the output's rate would take gigabytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from fmaplayer.audio.open_audio import (
    MAX_SAMPLE_RATE,
    MIN_SAMPLE_RATE,
    OPEN_ERRORS,
    open_audio,
    sample_rate_refusal,
)
from fmaplayer.errors import AudioDecodeError
from fmaplayer.library.regular_file import RefusedFileError, refusal

__all__ = ["AudioInfo", "AudioDecodeError", "MAX_SAMPLE_RATE", "MIN_SAMPLE_RATE", "StreamDecoder", "probe",
           "read_excerpt", "resample", "sample_rate_refusal"]

# At most this many samples (frames x channels) are decoded at once for playback, whatever the file's rate
# and channel count (4 MB of float32).
_MAX_BLOCK_SAMPLES = 1 << 20


@dataclass(frozen=True, slots=True)
class AudioInfo:
    samplerate: int
    channels: int
    frames: int
    duration: float  # seconds
    format: str  # libsndfile major format, e.g. "WAV", "FLAC", "OGG", "MP3"


# Float WAV/AIFF can hold NaN, infinities or values far outside [-1, 1]; integer and lossy formats
# cannot produce them, so only these subtypes pay for the check.
_FLOAT_SUBTYPES = frozenset({"FLOAT", "DOUBLE"})


def _sanitise(data: np.ndarray, subtype: str) -> np.ndarray:
    """Non-finite samples become silence and the rest is clipped to full scale (in place)."""
    if subtype in _FLOAT_SUBTYPES and len(data):
        np.nan_to_num(data, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        np.clip(data, -1.0, 1.0, out=data)
    return data


def _open_error(path: str | os.PathLike, exc: BaseException) -> AudioDecodeError:
    """Explain why ``path`` cannot be opened, checking the file system first (clearer than libsndfile)."""
    p = Path(os.fsdecode(os.fspath(path)))
    if isinstance(exc, RefusedFileError) and not p.is_dir():   # a FIFO, device or socket: never opened
        try:
            reason = refusal(os.stat(path).st_mode) or str(exc)
        except OSError:
            reason = str(exc)
        return AudioDecodeError(f"{p.name}: {reason}")
    if not p.exists():
        reason = "file not found"
    elif p.is_dir():
        reason = "is a folder, not a file"
    elif not os.access(p, os.R_OK):
        reason = "permission denied"
    elif p.stat().st_size == 0:
        reason = "empty file (0 bytes)"
    else:
        # libsndfile prefixes "Error opening <path>: "; keep only its reason.
        msg = str(exc).split("': ", 1)[-1].strip().rstrip(".")
        if "unsupported" in msg.lower() and "encoding" in msg.lower():
            reason = f"unsupported audio encoding ({msg})"
        elif not msg or "not a regular file" in msg or "not recognised" in msg or "unknown format" in msg:
            reason = "not a recognised audio format"
        else:
            reason = f"not a playable audio file ({msg})"
    return AudioDecodeError(f"{p.name}: {reason}")


def _open(path: str | os.PathLike) -> sf.SoundFile:
    try:
        return open_audio(path)
    except OPEN_ERRORS as exc:
        raise _open_error(path, exc) from exc


def _info_of(f: sf.SoundFile, path: str | os.PathLike) -> AudioInfo:
    name = Path(os.fsdecode(os.fspath(path))).name
    if f.samplerate <= 0 or f.channels <= 0:
        raise AudioDecodeError(f"{name}: invalid audio header")
    reason = sample_rate_refusal(f.samplerate)
    if reason is not None:
        raise AudioDecodeError(f"{name}: {reason}")
    frames = max(0, int(f.frames))
    return AudioInfo(f.samplerate, f.channels, frames, frames / f.samplerate, str(f.format))


def probe(path: str | os.PathLike) -> AudioInfo:
    """Format, rate, channels and length of an audio file; raises AudioDecodeError if it has no audio."""
    with _open(path) as f:
        info = _info_of(f, path)
    if info.frames == 0:
        name = Path(os.fsdecode(os.fspath(path))).name
        raise AudioDecodeError(f"{name}: no audio frames (empty or truncated)")
    return info


def resample(x: np.ndarray, from_sr: int, to_sr: int) -> np.ndarray:
    """Band-limited resampling (soxr "HQ"); float32 in, float32 out, 1-D or (frames, channels)."""
    if from_sr == to_sr or len(x) == 0:
        return np.asarray(x, dtype=np.float32)
    import soxr

    return np.asarray(soxr.resample(np.ascontiguousarray(x, dtype=np.float32), from_sr, to_sr), np.float32)


def read_excerpt(
    path: str | os.PathLike,
    start_s: float = 0.0,
    duration_s: float | None = None,
    target_sr: int | None = None,
    mono: bool = True,
) -> np.ndarray:
    """Decode only ``duration_s`` seconds from ``start_s`` (seeking, not decoding the start of the file).

    Returns float32, shape (n,) when ``mono`` (channel average) else (n, channels). Shorter than asked
    near the end of the file; empty when ``start_s`` is past the end.
    """
    name = Path(os.fsdecode(os.fspath(path))).name
    with _open(path) as f:
        info = _info_of(f, path)
        sr = info.samplerate
        start = max(0, int(round(start_s * sr)))
        if info.frames and start >= info.frames:
            data = np.zeros((0, info.channels), np.float32)
        else:
            n = -1 if duration_s is None else max(0, int(round(duration_s * sr)))
            try:
                if start:
                    f.seek(start)
                data = _sanitise(f.read(n, dtype="float32", always_2d=True), f.subtype)
            except (sf.LibsndfileError, RuntimeError, OSError) as exc:
                raise AudioDecodeError(
                    f"{name}: decoding failed near {start_s:.1f} s (truncated or corrupt): {exc}") from exc
    if start == 0 and len(data) == 0 and duration_s != 0:
        raise AudioDecodeError(f"{name}: no audio frames (empty or truncated)")
    out = data.mean(axis=1, dtype=np.float32) if mono else data
    if target_sr and target_sr != sr:
        out = resample(out, sr, int(target_sr))
    return np.ascontiguousarray(out, dtype=np.float32)


class StreamDecoder:
    """Decodes a file block by block for playback, converted to ``out_samplerate`` and ``out_channels``.

    Used by one thread at a time (the decoder thread). Resampling uses soxr's streaming resampler so block
    boundaries are seamless; ``seek`` restarts it. A block is about ``block_frames`` *output* frames: the
    file frames read per block are scaled by the rate ratio (and capped), so an 8 kHz file played at
    192 kHz does not turn one read into 24 times as much audio.
    """

    def __init__(self, path: str | os.PathLike, out_samplerate: int, out_channels: int = 2,
                 block_frames: int = 8192) -> None:
        self.path = os.fspath(path)
        self.name = Path(os.fsdecode(self.path)).name
        self._file = _open(path)
        try:
            self.info = _info_of(self._file, path)
        except AudioDecodeError:
            self._file.close()
            raise
        self.out_samplerate = int(out_samplerate)
        self.out_channels = int(out_channels)
        if self.out_samplerate <= 0:
            self._file.close()
            raise ValueError(f"invalid output sample rate {out_samplerate}")
        # File frames per block: about block_frames once resampled to the output's rate.
        wanted = -(-int(block_frames) * self.info.samplerate // self.out_samplerate)
        frames = max(1, min(wanted, _MAX_BLOCK_SAMPLES // self.info.channels))
        self._block = np.empty((frames, self.info.channels), dtype=np.float32)
        self._resampler = None
        self._flushed = False
        self._frames_read = 0  # file frames decoded since the last seek target (for error messages)
        self._reset_resampler()

    @property
    def duration(self) -> float:
        return self.info.duration

    def _reset_resampler(self) -> None:
        self._flushed = False
        if self.info.samplerate == self.out_samplerate:
            self._resampler = None
            return
        import soxr

        self._resampler = soxr.ResampleStream(self.info.samplerate, self.out_samplerate,
                                              min(self.info.channels, self.out_channels), dtype="float32")

    def seek(self, seconds: float) -> None:
        frame = int(round(max(0.0, seconds) * self.info.samplerate))
        if self.info.frames:
            frame = min(frame, self.info.frames)
        try:
            self._file.seek(frame)
            self._frames_read = frame
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            raise AudioDecodeError(f"{self.name}: cannot seek to {seconds:.1f} s: {exc}") from exc
        self._reset_resampler()

    def read_block(self) -> np.ndarray | None:
        """The next block as float32 (frames, out_channels); may be empty while the resampler fills;
        ``None`` at the end of the file. Raises AudioDecodeError when the file fails mid-stream."""
        if self._flushed:
            return None
        try:
            data = self._file.read(len(self._block), dtype="float32", always_2d=True, out=self._block)
        except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
            pos = self._frames_read / self.info.samplerate
            raise AudioDecodeError(
                f"{self.name}: decoding failed at {pos:.1f} s (truncated or corrupt file): {exc}") from exc
        _sanitise(data, self._file.subtype)
        self._frames_read += len(data)
        last = len(data) < len(self._block)
        if self.info.channels > self.out_channels:
            data = data[:, : self.out_channels]  # front left/right of multichannel layouts
        if self._resampler is not None:
            data = self._resampler.resample_chunk(np.ascontiguousarray(data), last=last)
        else:
            data = data.copy()  # the read buffer is reused for the next block
        if last:
            self._flushed = True
        if data.ndim == 1:
            data = data[:, None]
        if data.shape[1] < self.out_channels:
            data = np.repeat(data[:, :1], self.out_channels, axis=1)
        if last and len(data) == 0:
            return None
        return data

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> StreamDecoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
