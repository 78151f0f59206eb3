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
