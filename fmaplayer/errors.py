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
