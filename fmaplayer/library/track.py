"""The Track record shared by the store, the scanner, the player and the UI."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Track:
    """One audio file of the library.

    `path` is a str; names that are not valid UTF-8 on disk carry surrogate escapes (os.fsdecode), so
    `os.fsencode(path)` gives back the exact bytes. Use `paths.display_path` to show it.
    `error` is None for a readable file, else the human reason it cannot be played.
    """

    id: int
    path: str
    title: str = ""
    artist: str = ""
    album: str = ""
    album_artist: str = ""
    track_no: int | None = None
    year: int | None = None
    genre: str = ""
    duration: float = 0.0
    size: int = 0
    mtime: float = 0.0
    error: str | None = None

    @property
    def display_title(self) -> str:
        """The title tag, or the file name without its extension when there is none."""
        if self.title:
            return self.title
        stem = os.path.splitext(os.path.basename(self.path))[0]
        # Undecodable bytes in the name would show as escapes; replace them for display.
        return stem.encode("utf-8", "surrogateescape").decode("utf-8", "replace")

    @property
    def readable(self) -> bool:
        return self.error is None
