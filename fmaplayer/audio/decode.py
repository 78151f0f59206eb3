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

from fmaplayer.errors import AudioDecodeError
from fmaplayer.library.regular_file import RefusedFileError, open_regular, refusal

__all__ = ["AudioInfo", "AudioDecodeError", "MAX_SAMPLE_RATE", "MIN_SAMPLE_RATE", "StreamDecoder", "probe",
           "read_excerpt", "resample", "sample_rate_refusal"]

# Sample rates audio is decoded at: telephone-grade 8 kHz and odd old rates down to 1 kHz, DXD / 8x rates
# up to 768 kHz. Anything else is a damaged or hostile header, not music.
MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 768_000
# At most this many samples (frames x channels) are decoded at once for playback, whatever the file's rate
# and channel count (4 MB of float32).
_MAX_BLOCK_SAMPLES = 1 << 20


def _keep_libsndfile_loaded():
    """cffi unloads libsndfile (dlclose) when the interpreter tears `soundfile` down at exit. A decoder
    thread still inside it (a daemon stuck reading a dead network share) would then run into
    unmapped code and crash the exit. A second handle from ctypes, which never unloads, keeps it mapped."""
    import ctypes

    name = getattr(sf, "_full_path", None) or getattr(sf, "_libname", None)
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


_LIBSNDFILE = _keep_libsndfile_loaded()


def sample_rate_refusal(samplerate: int) -> str | None:
    """Why audio at this rate is not decoded (None: a sane rate)."""
    if MIN_SAMPLE_RATE <= samplerate <= MAX_SAMPLE_RATE:
        return None
    return (f"unsupported sample rate {samplerate:,} Hz (only {MIN_SAMPLE_RATE:,} to {MAX_SAMPLE_RATE:,} Hz "
            "is played or analysed; the header may be damaged)")


@dataclass(frozen=True, slots=True)
class AudioInfo:
    samplerate: int
    channels: int
    frames: int
    duration: float  # seconds
    format: str  # libsndfile major format, e.g. "WAV", "FLAC", "OGG", "MP3"


def _sf_name(path: str | os.PathLike) -> str | bytes:
    # bytes keep non-UTF-8 file names working on POSIX (Python's open takes them as they are).
    return os.fsencode(path) if os.name == "posix" else os.fspath(path)


def _skip_id3v2(fd: int) -> None:
    """Put ``fd`` after the ID3v2 tags at the start of the file (none: at 0). libsndfile opens a descriptor
    as a file embedded from its current offset, so libmpg123 never parses the tag: it stores every text
    frame with a quadratic search, and a 2 MB tag of 100,000 small frames took it 30-40 s. The tag is
    metadata (the scan reads it with mutagen); the audio is what follows it."""
    size = os.fstat(fd).st_size
    offset = 0
    while True:
        head = os.pread(fd, 10, offset)
        if len(head) < 10 or head[:3] != b"ID3" or head[3] == 0xFF or any(b >= 0x80 for b in head[6:10]):
            break
        length = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        end = offset + 10 + length + (10 if head[5] & 0x10 else 0)   # 0x10: a footer follows
        if end >= size:
            break   # a tag that claims the whole file: let the decoder make what it can of it
        offset = end
    os.lseek(fd, offset, os.SEEK_SET)


class _FileBackedSoundFile(sf.SoundFile):
    """A SoundFile on the descriptor of a Python file object it owns: libsndfile's own open() refuses paths
    of 1024 bytes or more, Python's takes any path the OS allows. libsndfile reads the descriptor itself
    (no Python callback per read): a decoder thread stuck in a slow open holds no Python state, so the
    interpreter can exit past it. A leading ID3v2 tag is skipped (`_skip_id3v2`)."""

    def __init__(self, raw) -> None:
        self._raw = raw
        _skip_id3v2(raw.fileno())
        super().__init__(raw.fileno(), closefd=False)

    def _open(self, file, mode_int, closefd):
        # soundfile serialises every open in the process behind one lock (for the global sf_error(NULL)):
        # a track would not start while the analysis or a stuck decoder is inside a slow open. Opening the
        # descriptor directly keeps playback out of that queue; at worst a failed open's reason is another
        # thread's, and the reason shown is checked against the file system first anyway (`_open_error`).
        snd, ffi = getattr(sf, "_snd", None), getattr(sf, "_ffi", None)
        if snd is None or ffi is None or not isinstance(file, int):
            return super()._open(file, mode_int, closefd)
        pointer = snd.sf_open_fd(file, mode_int, self._info, closefd)
        if pointer == ffi.NULL:
            raise sf.LibsndfileError(snd.sf_error(pointer), prefix=f"Error opening {self.name!r}: ")
        return pointer

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


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
        raw = open_regular(_sf_name(path))  # owned and closed by the SoundFile
    except (OSError, ValueError) as exc:    # ValueError: a NUL in the name
        raise _open_error(path, exc) from exc
    try:
        return _FileBackedSoundFile(raw)
    except (sf.LibsndfileError, RuntimeError, OSError, TypeError) as exc:
        raw.close()
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
