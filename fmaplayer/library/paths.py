"""Where the library lives on disk, and how file paths are encoded for storage and native calls."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "fmaplayer"
DB_FILE_NAME = "library.db"


def user_data_dir() -> Path:
    """Per-user data dir (appdirs), e.g. ~/.local/share/fmaplayer; read on every call so tests can
    redirect it with XDG_DATA_HOME."""
    import appdirs

    return Path(appdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return user_data_dir() / DB_FILE_NAME


def path_key(path: str | os.PathLike[str] | bytes) -> bytes:
    """The exact bytes of a file name, used as the store's key.

    File names on POSIX are bytes; a non-UTF-8 name decodes (os.fsdecode) to a str with lone
    surrogates that SQLite's TEXT cannot hold, so the store keys on these bytes instead.
    """
    return os.fsencode(path)


def path_from_key(key: bytes) -> str:
    return os.fsdecode(key)


def native_path(path: str | os.PathLike[str]) -> str | bytes:
    """A path for C libraries (libsndfile) that encode str paths strictly: bytes on POSIX so names with
    surrogate escapes still open; Windows takes wide strings as they are."""
    if sys.platform == "win32":
        return os.fspath(path)
    return os.fsencode(path)


def display_path(path: str | os.PathLike[str]) -> str:
    """A printable form of a path: undecodable bytes become U+FFFD instead of lone surrogates."""
    return os.fspath(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
