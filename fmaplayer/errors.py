"""The project's own error types: library exceptions are translated into these at the boundary."""


class FmaplayerError(Exception):
    """Base class for errors that the UI or CLI shows to the user as a message."""


class AudioDecodeError(FmaplayerError):
    """A file could not be opened or decoded as audio."""


class TagReadError(FmaplayerError):
    """A file's tags could not be read."""


class ModelLoadError(FmaplayerError):
    """The bundled or chosen model is missing, damaged or incompatible."""


class OutputUnavailableError(FmaplayerError):
    """No audio output could be opened (no PortAudio, no device)."""


class LibraryError(FmaplayerError):
    """The library database could not be read or written."""


class AnalysisError(FmaplayerError):
    """The analysis itself failed (model, manifest or program error), not the file: stop, mark nothing."""


# Reasons that say a file could not be read just now (permissions, a flaky disk or network mount), not
# that its content is bad; libsndfile says "System error" for a failed read(). Cheap to retry, so the
# scan and the analysis try such files again every time instead of remembering them.
_TRANSIENT_MARKS = ("permission denied", "system error", "input/output error", "i/o error",
                    "file not found", "no such file", "resource temporarily unavailable", "stale file handle",
                    "cannot open:", "cannot read file information")


def is_transient_reason(reason: str) -> bool:
    text = reason.lower()
    return any(mark in text for mark in _TRANSIENT_MARKS)


# SQLite's "another connection holds the lock" codes (SQLITE_BUSY, SQLITE_LOCKED): the write goes through once
# the other program lets go, so the analysis waits and tries again instead of stopping.
_SQLITE_BUSY_CODES = (5, 6)
_BUSY_MARKS = ("database is locked", "database is busy", "database table is locked")


def is_database_busy(exc: BaseException) -> bool:
    """Whether a LibraryError (or sqlite3 error) only says that another connection holds the lock."""
    seen = 0
    while exc is not None and seen < 5:
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and (code & 0xFF) in _SQLITE_BUSY_CODES:
            return True
        if any(mark in str(exc).lower() for mark in _BUSY_MARKS):
            return True
        exc, seen = exc.__cause__, seen + 1
    return False
