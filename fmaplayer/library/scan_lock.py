"""One analysing process per library database: an advisory lock file next to it.

Two `fmaplayer scan` runs on one database used to analyse every track twice (double CPU, both reporting
"added 200"). The lock is flock(2) on `<db>.scan.lock`, so it is released by the kernel when the holder
dies (kill -9 leaves no stale lock); the file holds the holder's pid for the message. Where flock does
not exist (Windows) there is no lock.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


class ScanLock:
    def __init__(self, db_path: str | os.PathLike) -> None:
        self.path = Path(f"{os.fspath(db_path)}.scan.lock")
        self._fd: int | None = None

    def holder_pid(self) -> int | None:
        try:
            return int(self.path.read_text().strip() or 0) or None
        except (OSError, ValueError):
            return None

    def acquire(self, on_busy: Callable[[int | None], None] | None = None) -> None:
        """Take the lock; when another process holds it, call on_busy(pid) once, then wait for it."""
        if fcntl is None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return   # a read-only library folder: the database says why it cannot be written
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_busy is not None:
                    on_busy(self.holder_pid())
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)   # closing drops the flock
            self._fd = None

    def __enter__(self) -> ScanLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
