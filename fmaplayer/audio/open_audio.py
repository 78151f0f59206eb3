"""The one way a user's audio file is opened for libsndfile: playback, the library scan and the analysis.

- Only a regular file is opened (`open_regular`): a FIFO would block the open forever, a device never ends.
- A leading ID3v2 tag is skipped before libsndfile sees the file: libmpg123 stores every text frame with a
  quadratic search, and a 2 MB tag of 100,000 small frames took it 20-40 s. The tag is metadata (the scan
  reads it with mutagen); the audio is what follows it.
- The open does not queue behind soundfile's process-wide open lock, so a track starts while the analysis
  or the scan is inside a slow open.
- `sample_rate_refusal` says why a header's rate is not decoded: a 200 KB WAV that claims 1 Hz is
  "27.8 hours" long, and resampling it would take gigabytes.

Errors are not translated here: each caller says them in its own words (`OPEN_ERRORS`). No Qt.
"""

from __future__ import annotations

import os

import soundfile as sf

from fmaplayer.library.regular_file import open_regular

__all__ = ["AudioFile", "MAX_SAMPLE_RATE", "MIN_SAMPLE_RATE", "OPEN_ERRORS", "open_audio",
           "sample_rate_refusal", "skip_id3v2"]

# Sample rates audio is decoded at: telephone-grade 8 kHz and odd old rates down to 1 kHz, DXD / 8x rates
# up to 768 kHz. Anything else is a damaged or hostile header, not music.
MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 768_000
# What `open_audio` raises: OSError (RefusedFileError for a FIFO or device, no permission, ...), ValueError
# (a NUL in the name), libsndfile's errors (LibsndfileError is a RuntimeError), TypeError from odd headers.
OPEN_ERRORS = (OSError, ValueError, RuntimeError, TypeError)


def sample_rate_refusal(samplerate: int) -> str | None:
    """Why audio at this rate is not decoded (None: a sane rate)."""
    if MIN_SAMPLE_RATE <= samplerate <= MAX_SAMPLE_RATE:
        return None
    return (f"unsupported sample rate {samplerate:,} Hz (only {MIN_SAMPLE_RATE:,} to {MAX_SAMPLE_RATE:,} Hz "
            "is played or analysed; the header may be damaged)")


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


def _native_name(path: str | os.PathLike) -> str | bytes:
    # bytes keep non-UTF-8 file names working on POSIX (Python's open takes them as they are).
    return os.fsencode(path) if os.name == "posix" else os.fspath(path)


def skip_id3v2(fd: int) -> int:
    """Put ``fd`` after the ID3v2 tags at the start of the file (none: at 0) and return that offset.
    libsndfile opens a descriptor as a file embedded from its current offset, so libmpg123 never parses
    the tag."""
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
    return offset


class AudioFile(sf.SoundFile):
    """A SoundFile on the descriptor of a Python file object: libsndfile's own open() refuses paths of
    1024 bytes or more, Python's takes any path the OS allows. libsndfile reads the descriptor itself (no
    Python callback per read): a thread stuck in a slow open holds no Python state, so the interpreter can
    exit past it. A leading ID3v2 tag is skipped (`skip_id3v2`). ``raw`` is closed with the SoundFile
    unless ``close_raw`` is False (the caller opens another SoundFile on it, or reads it itself)."""

    def __init__(self, raw, *, close_raw: bool = True) -> None:
        self._raw = raw
        self._close_raw = close_raw
        skip_id3v2(raw.fileno())
        super().__init__(raw.fileno(), closefd=False)

    def _open(self, file, mode_int, closefd):
        # soundfile serialises every open in the process behind one lock (for the global sf_error(NULL)):
        # a track would not start while the analysis or a stuck decoder is inside a slow open. Opening the
        # descriptor directly keeps out of that queue; at worst a failed open's reason is another
        # thread's, and callers check the file system before they trust that reason.
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
            if self._close_raw:
                self._raw.close()


def open_audio(path: str | os.PathLike) -> AudioFile:
    """An AudioFile on ``path`` if it is a regular file libsndfile decodes; raises one of `OPEN_ERRORS`
    untranslated. The sample rate is not checked here: see `sample_rate_refusal`."""
    raw = open_regular(_native_name(path))  # owned and closed by the AudioFile
    try:
        return AudioFile(raw)
    except BaseException:
        raw.close()
        raise
