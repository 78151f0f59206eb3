"""Where the library lives on disk, and how file paths are encoded for storage and native calls."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

APP_NAME = "fmaplayer"
DB_FILE_NAME = "library.db"


def user_data_dir() -> Path:
    """Per-user data dir (appdirs), e.g. ~/.local/share/fmaplayer; read on every call so tests can
    redirect it with XDG_DATA_HOME."""
    import appdirs

    return Path(appdirs.user_data_dir(APP_NAME, appauthor=False))


def user_cache_dir() -> Path:
    import appdirs

    return Path(appdirs.user_cache_dir(APP_NAME, appauthor=False))


def contain_library_caches() -> None:
    """Keras writes ~/.keras/keras.json and matplotlib builds ~/.cache/matplotlib when first imported:
    point both at the app's own cache folder, before either is imported (a user's own setting wins)."""
    cache = user_cache_dir()
    os.environ.setdefault("KERAS_HOME", str(cache / "keras"))
    os.environ.setdefault("MPLCONFIGDIR", str(cache / "matplotlib"))


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


def storable_text(text: str) -> str:
    """`text` as valid UTF-8 for SQLite or a screen: surrogate escapes of undecodable file-name bytes
    (and any other lone surrogate) become U+FFFD instead of failing the write."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text)


_SURROGATES = re.compile("[\ud800-\udfff]")


# C0/C1 controls and DEL would let a file name clear the screen or retitle the terminal; bidi embedding,
# override and isolate controls would reverse the rest of the line (the plain LRM/RLM marks cannot).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code < 0xA0 or ch in BIDI_CONTROLS


def terminal_text(text: str) -> str:
    """`text` safe to print on a terminal: control and bidi characters as visible escapes (\\x1b, \\u202e)."""
    text = storable_text(str(text))
    if not any(map(_is_control, text)):
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if _is_control(ch) else ch for ch in text)


def strip_bidi(text: str) -> str:
    """`text` without bidi override/isolate controls, so a tag cannot reverse a table cell."""
    if not any(ch in BIDI_CONTROLS for ch in text):
        return text
    return "".join(ch for ch in text if ch not in BIDI_CONTROLS)
