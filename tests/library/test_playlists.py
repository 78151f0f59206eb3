"""M3U / M3U8: round trip with relative paths, absolute paths, a missing entry, legacy encodings. No Qt."""

from __future__ import annotations

import os

import pytest

from fmaplayer.library.playlists import (
    PlaylistError,
    is_playlist,
    read_playlist,
    resolve_paths,
    write_playlist,
)
from fmaplayer.library.track import Track
from tests.audio_fixtures import write_tone
from tests.bounded_run import run_bounded


@pytest.fixture
def music(tmp_path):
    folder = tmp_path / "music" / "Artist — Album"
    folder.mkdir(parents=True)
    paths = [write_tone(folder / f"{i:02d} Søng {i}.wav", seconds=0.2) for i in range(3)]
    return [Track(id=i + 1, path=str(p), title=f"Søng {i}", artist="Ärtist", duration=61.6 + i)
            for i, p in enumerate(paths)]


def test_round_trip_with_relative_paths(tmp_path, music):
    playlist_path = tmp_path / "music" / "mix.m3u8"
    assert write_playlist(playlist_path, music) == 3
    text = playlist_path.read_text(encoding="utf-8")
    assert text.startswith("#EXTM3U\n#EXTINF:62,Ärtist - Søng 0\nArtist — Album/00 Søng 0.wav\n")
    assert str(tmp_path) not in text  # relative: the folder can move
    playlist = read_playlist(playlist_path)
    assert playlist.paths == [t.path for t in music] and playlist.missing == []

    moved = tmp_path / "elsewhere"
    os.rename(tmp_path / "music", moved)
    again = read_playlist(moved / "mix.m3u8")
    assert again.paths == [str(moved / "Artist — Album" / os.path.basename(t.path)) for t in music]


def test_files_outside_the_playlist_folder_are_written_absolute(tmp_path, music):
    playlist_path = tmp_path / "lists" / "queue.m3u8"
    playlist_path.parent.mkdir()
    write_playlist(playlist_path, music[:1])
    assert music[0].path in playlist_path.read_text(encoding="utf-8").splitlines()
    assert read_playlist(playlist_path).paths == [music[0].path]


def test_missing_entries_are_reported_not_dropped(tmp_path, music):
    playlist_path = tmp_path / "music" / "old.m3u"
    playlist_path.write_text("#EXTM3U\n"
                             "#EXTINF:62,Ärtist - Søng 0\n"
                             f"{music[0].path}\n"
                             "Artist — Album/gone.flac\n"
                             "\n"
                             "# a comment\n"
                             f"file://{music[1].path.replace(' ', '%20')}\n"
                             "http://radio.example/stream\n"
                             "Artist — Album/02 Søng 2.wav\n", encoding="utf-8")
    playlist = read_playlist(playlist_path)
    assert playlist.paths == [t.path for t in music]
    assert [(m.line, m.entry, m.reason) for m in playlist.missing] == [
        (4, "Artist — Album/gone.flac", "file not found"),
        (8, "http://radio.example/stream", "remote URL (not supported)"),
    ]


def test_legacy_latin1_m3u_and_windows_separators(tmp_path, music):
    playlist_path = tmp_path / "music" / "winamp.m3u"
    playlist_path.write_bytes("Artist — Album\\01 Søng 1.wav\r\n".replace("—", "-").encode("latin-1"))
    os.rename(os.path.dirname(music[0].path), tmp_path / "music" / "Artist - Album")
    playlist = read_playlist(playlist_path)
    assert playlist.paths == [str(tmp_path / "music" / "Artist - Album" / "01 Søng 1.wav")]


def test_unreadable_playlist_raises_our_error(tmp_path):
    with pytest.raises(PlaylistError):
        read_playlist(tmp_path / "nope.m3u8")
    with pytest.raises(PlaylistError):
        write_playlist(tmp_path / "no" / "such" / "dir.m3u8", [])
    assert not list(tmp_path.iterdir())  # no half-written file left behind


def test_resolve_paths_prefers_library_tracks(music, tmp_path):
    stray = str(write_tone(tmp_path / "stray.wav", seconds=0.1))
    broken = Track(id=9, path="/m/bad.mp3", error="not audio")
    tracks, unknown, unreadable = resolve_paths([music[1].path, stray, broken.path, music[0].path],
                                                [*music, broken])
    assert tracks[0] is music[1] and tracks[2] is music[0]
    assert tracks[1].path == stray and tracks[1].id == 0 and tracks[1].display_title == "stray"
    assert unknown == [stray] and unreadable == [broken]


def test_is_playlist():
    assert is_playlist("/a/b.M3U") and is_playlist("x.m3u8") and not is_playlist("x.flac")


READ_IN_CHILD = """
import sys
from fmaplayer.library.playlists import read_playlist, PlaylistError
try:
    read_playlist(sys.argv[1])
except PlaylistError as exc:
    print("error:", exc)
"""


def test_a_playlist_that_is_a_fifo_or_dev_zero_is_refused_without_blocking_or_filling_memory(tmp_path):
    os.mkfifo(tmp_path / "pipe.m3u8")
    os.symlink("/dev/zero", tmp_path / "zero.m3u")
    for name, kind in (("pipe.m3u8", "FIFO"), ("zero.m3u", "device")):
        out = run_bounded(READ_IN_CHILD, str(tmp_path / name), seconds=60, megabytes=768)
        assert out.startswith("error: Cannot read the playlist"), out
        assert f"not a regular file (a {kind}" in out, out


def test_a_playlist_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    import fmaplayer.library.playlists as playlists

    path = tmp_path / "big.m3u8"
    path.write_text("#EXTM3U\n" + "a.mp3\n" * 100, encoding="utf-8")
    monkeypatch.setattr(playlists, "MAX_PLAYLIST_BYTES", 100)
    with pytest.raises(PlaylistError, match="too large"):
        read_playlist(path)
