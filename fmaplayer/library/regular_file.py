"""Open and read a user's file only when it is a regular file, and never more of it than asked. No Qt.

A cover.jpg or a playlist may be a FIFO (opening it for reading waits for a writer forever), a device
(/dev/zero never ends; its size says 0), a socket or a folder. Such files are refused before anything
reads them: the path is stat'ed, then opened with O_NONBLOCK (so a FIFO swapped in meanwhile does not
block the open) and checked again on the open descriptor. Reads stop at a limit with a clear error.

`file_problem` and `decoder_reason` put why a file cannot be read in the user's words: a FIFO, a device or a
folder that exists is not "file not found", and libsndfile's "System error." or "File does not exist or is not
a regular file (possibly a pipe?)" about a readable regular file are said as what they mean.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from fmaplayer.errors import FmaplayerError

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CHUNK = 1 << 20


class RefusedFileError(FmaplayerError, OSError):
    """A file that is not read: not a regular file, or larger than the reader's limit."""

    def __init__(self, message: str) -> None:
        FmaplayerError.__init__(self, message)

    def __str__(self) -> str:
        return str(self.args[0])


def kind_of(mode: int) -> str:
    """What a non-regular file is, in the user's words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def file_problem(path: str | os.PathLike) -> str | None:
    """Why `path` cannot be read as a file, from the file system alone (nothing is opened), or None for
    a regular file this process may read: not found, a broken link, a folder, a FIFO, a device, no
    permission."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            return "broken link: the file it points to is missing"
        return "file not found"
    except PermissionError:
        return "permission denied"
    except (OSError, ValueError) as exc:   # ValueError: a NUL in the name
        return f"cannot read file information: {getattr(exc, 'strerror', None) or exc}"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    reason = refusal(mode)
    if reason is not None:
        return reason
    if not os.access(path, os.R_OK):
        return "permission denied"
    return None


def decoder_reason(exc: BaseException, format_name: str = "audio") -> str:
    """What libsndfile's error about an existing, readable regular file means, in the user's words."""
    text = str(exc).strip()
    if "': " in text:   # "Error opening '<path>': <reason>"
        text = text.rsplit("': ", 1)[-1]
    text = text.strip().rstrip(".")
    low = text.lower()
    if "system error" in low:   # a read() failed underneath: a disk or network error
        return "could not be read (input/output error)"
    if (not text or "does not exist" in low or "not a regular file" in low or "not recognised" in low
            or "unknown format" in low or "garbled error message" in low):   # a file object's own words
        return f"not a valid {format_name} file (not audio, or damaged)"
    if "unsupported" in low and "encoding" in low:
        return f"unsupported audio encoding ({text})"
    return f"not a valid {format_name} file ({text[:200]})"


def refusal(mode: int) -> str | None:
    """Why a file of this mode is not read (None: a regular file, fine)."""
    if stat.S_ISREG(mode):
        return None
    return f"not a regular file ({kind_of(mode)})"


def _check(mode: int, path: str) -> None:
    reason = refusal(mode)
    if reason is not None:
        raise RefusedFileError(f"{path} is {reason}")


def _opener(path: str, flags: int) -> int:
    _check(os.stat(path).st_mode, path)     # follows symlinks: a link to /dev/zero is a device
    fd = os.open(path, flags | _NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        _check(os.fstat(fd).st_mode, path)  # the file opened is the file checked
        if _NONBLOCK:
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """`open(path, "rb")` for a regular file; RefusedFileError (an OSError) for anything else."""
    return open(os.fspath(path), "rb", opener=_opener)  # noqa: SIM115 - the caller closes it


def read_regular(path: str | os.PathLike, limit: int) -> bytes:
    """The whole content of a regular file of at most `limit` bytes; RefusedFileError otherwise."""
    path = os.fspath(path)
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise RefusedFileError(f"{path} is too large ({_megabytes(size)}; "
                                   f"the limit is {_megabytes(limit)})")
        chunks, total = [], 0
        while True:           # the size may lie (a file still growing): the limit holds regardless
            chunk = handle.read(min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise RefusedFileError(f"{path} is too large (over {_megabytes(limit)})")
    return b"".join(chunks)


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MB" if size >= (1 << 20) else f"{size:,} bytes"
