"""Fixtures for the library tests: a fresh store and a small generated music folder."""

from __future__ import annotations

import pytest

from fmaplayer.library import scanner as scanner_module
from fmaplayer.library.store import LibraryStore
from tests.audio_fixtures import write_tone

TAGS = {
    "title": "Song",
    "artist": "Artist",
    "album": "Album",
    "albumartist": "Album Artist",
    "tracknumber": "3/12",
    "date": "2001-05-02",
    "genre": "Rock",
}
FORMAT_SUFFIXES = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff")


@pytest.fixture
def store(tmp_path):
    s = LibraryStore(tmp_path / "db" / "library.db")
    yield s
    s.close()


@pytest.fixture
def music_dir(tmp_path):
    """One short tagged tone per supported format, in nested folders."""
    root = tmp_path / "music"
    for i, suffix in enumerate(FORMAT_SUFFIXES):
        tags = dict(TAGS, title=f"Song {suffix[1:]}", tracknumber=f"{i + 1}/12")
        write_tone(root / f"disc{i % 2}" / f"track{i}{suffix}", seconds=0.5, freq=300 + 50 * i, tags=tags)
    return root


@pytest.fixture
def counted_reads(monkeypatch):
    """The paths whose tags the scanner reads (a file is re-read only when it changed)."""
    calls: list[str] = []
    real = scanner_module.read_tags
    monkeypatch.setattr(scanner_module, "read_tags", lambda path: calls.append(path) or real(path))
    return calls
