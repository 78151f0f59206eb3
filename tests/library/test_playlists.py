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


# ---- Save queue as playlist -> Open playlist gives back every track, whatever its name ----------------
HOSTILE_NAMES = [
    "#1 hit.mp3", "#EXTINF:1,x.mp3", " lead space.mp3", "  two leading.mp3", "trailing space.mp3 ",
    "tab\tinside.mp3", "trailing tab.mp3\t", "new\nline.mp3", "carriage\rreturn.mp3", "crlf\r\n.mp3",
    "line\u2028separator.mp3", "next\x85line.mp3", "vertical\x0btab.mp3", "form\x0cfeed.mp3",
    "back\\slash.mp3", "percent %20 and %.mp3", "semi;colon?query#frag.mp3", "~tilde first.mp3",
    "~/in a tilde folder.mp3", "~root/not a home.mp3", "a:/b.mp3", "http:/x.mp3", "\ufeffbom first.mp3",
    "ünïcødé — 曲.mp3", "quote\"s 'and' <angles>.mp3", "-dash.mp3", ". dot space.mp3", "..double dot.mp3",
    os.fsdecode(b"latin1 caf\xe9.mp3"),   # not UTF-8: only bytes
]


@pytest.fixture
def hostile(tmp_path):
    folder = tmp_path / "music"
    tracks = []
    for number, name in enumerate(HOSTILE_NAMES):
        path = folder / "sub" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        tracks.append(Track(id=number + 1, path=str(path), title=name, artist="A\nB"))
    return tracks


@pytest.mark.parametrize("where, suffix", [("music", ".m3u8"), ("music", ".m3u"), ("elsewhere", ".m3u8"),
                                           ("music/sub", ".m3u")])
def test_hostile_names_round_trip(tmp_path, hostile, where, suffix):
    playlist_path = tmp_path / where / f"queue{suffix}"
    playlist_path.parent.mkdir(parents=True, exist_ok=True)
    assert write_playlist(playlist_path, hostile) == len(hostile)
    data = playlist_path.read_bytes()
    data.decode("utf-8")                                      # always valid UTF-8, even for a Latin-1 name
    lines = data.split(b"\n")
    assert len(lines) == 2 * len(hostile) + 2 and lines[-1] == b""   # one line per entry, nothing broke
    playlist = read_playlist(playlist_path)
    assert playlist.missing == []
    assert playlist.paths == [t.path for t in hostile]


def test_names_that_a_line_cannot_hold_are_written_as_file_urls_and_others_stay_readable(tmp_path, hostile):
    playlist_path = tmp_path / "music" / "queue.m3u8"
    write_playlist(playlist_path, hostile)
    entries = [line for line in playlist_path.read_text(encoding="utf-8").split("\n")[1:-1]
               if not line.startswith("#EXTINF")]
    by_name = dict(zip(HOSTILE_NAMES, entries, strict=True))
    assert by_name["#1 hit.mp3"] == "sub/#1 hit.mp3"                           # not at the line's start
    assert by_name[" lead space.mp3"] == "sub/ lead space.mp3"
    assert by_name["ünïcødé — 曲.mp3"] == "sub/ünïcødé — 曲.mp3"          # readable where it can be
    url = "file://" + str(tmp_path / "music/sub/new%0Aline.mp3").replace(" ", "%20")
    assert by_name["new\nline.mp3"] == url
    assert by_name["percent %20 and %.mp3"].startswith("sub/percent %20")    # a path, not decoded twice


def test_a_relative_entry_starting_with_hash_tilde_or_space_is_written_dot_slash(tmp_path, hostile):
    playlist_path = tmp_path / "music" / "sub" / "queue.m3u8"
    write_playlist(playlist_path, hostile)
    lines = playlist_path.read_text(encoding="utf-8").split("\n")
    for name in ("#1 hit.mp3", " lead space.mp3", "~tilde first.mp3", "~/in a tilde folder.mp3"):
        assert "./" + name in lines


def test_reading_keeps_spaces_and_hashes_that_are_part_of_names(tmp_path):
    folder = tmp_path / "m"
    for name in (" lead.mp3", "trail.mp3 ", "#hash.mp3", "plain.mp3"):
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_bytes(b"x")
    (folder / "~").mkdir()
    (folder / "~" / "t.mp3").write_bytes(b"x")
    playlist_path = folder / "list.m3u"
    playlist_path.write_bytes("\ufeff#EXTM3U\r\n lead.mp3\r\ntrail.mp3 \r\n#hash.mp3\r\n./#hash.mp3\r\n"
                              "   plain.mp3  \r\n  # an indented comment\r\n~/t.mp3\r\n"
                              f"file://{folder}/%23hash.mp3\n".encode())
    playlist = read_playlist(playlist_path)
    assert playlist.paths == [str(folder / n) for n in (" lead.mp3", "trail.mp3 ", "#hash.mp3", "plain.mp3",
                                                         "~/t.mp3", "#hash.mp3")]
    assert playlist.missing == []


def test_an_entry_with_a_nul_or_naming_a_special_file_is_listed_with_its_reason(tmp_path):
    os.mkfifo(tmp_path / "pipe.mp3")
    (tmp_path / "folder.mp3").mkdir()
    playlist_path = tmp_path / "odd.m3u8"
    playlist_path.write_text("~a\0b\nfile:///x%00y.mp3\npipe.mp3\nfolder.mp3\n/dev/zero\nfile://host/x.mp3\n"
                             + "n" * 5000 + ".mp3\n", encoding="utf-8")
    playlist = read_playlist(playlist_path)                                    # no ValueError escapes
    assert playlist.paths == []
    reasons = [(m.line, m.reason) for m in playlist.missing]
    assert reasons[0] == (1, "invalid file name (it contains a NUL character)")
    assert reasons[1] == (2, "invalid file name (it contains a NUL character)")
    assert reasons[2] == (3, "not a regular file (a FIFO (named pipe))")
    assert reasons[3] == (4, "not a regular file (a folder)")
    assert reasons[4] == (5, "not a regular file (a device)")
    assert reasons[5] == (6, "remote URL (not supported)")
    assert reasons[6][0] == 7 and reasons[6][1].startswith("cannot be read:")  # name too long


def test_the_list_of_missing_entries_is_capped_but_counted(tmp_path, monkeypatch):
    import fmaplayer.library.playlists as playlists

    monkeypatch.setattr(playlists, "MAX_MISSING_KEPT", 10)
    path = tmp_path / "gone.m3u8"
    path.write_text("".join(f"gone {i}.mp3\n" for i in range(25)), encoding="utf-8")
    playlist = read_playlist(path)
    assert playlist.missing_count == 25 and [m.line for m in playlist.missing] == list(range(1, 11))
