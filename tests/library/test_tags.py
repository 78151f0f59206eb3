"""Tag reading: every supported container, odd and hostile tag values, unreadable files."""

from __future__ import annotations

import pytest

from fmaplayer.errors import TagReadError
from fmaplayer.library.tags import (
    MAX_TAG_CHARS,
    parse_track_number,
    parse_year,
    read_tags,
    sanitize_text,
)
from tests.audio_fixtures import tag_file, write_tone
from tests.library.conftest import TAGS


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff", ".aif"])
def test_reads_all_fields_in_every_format(tmp_path, suffix):
    path = write_tone(tmp_path / f"a{suffix}", seconds=0.5, tags=TAGS)
    info = read_tags(str(path))
    assert (info.title, info.artist, info.album) == ("Song", "Artist", "Album")
    assert info.album_artist == "Album Artist"
    assert info.track_no == 3
    assert info.year == 2001
    assert info.genre == "Rock"
    assert info.duration == pytest.approx(0.5, abs=0.05)


def test_untagged_file_gives_empty_fields_and_duration(tmp_path):
    info = read_tags(str(write_tone(tmp_path / "plain.flac", seconds=0.5)))
    assert info.title == info.artist == info.album == info.genre == ""
    assert info.track_no is None and info.year is None
    assert info.duration == pytest.approx(0.5, abs=0.05)


def test_hostile_tag_values_come_back_as_bounded_plain_text(tmp_path):
    path = write_tone(tmp_path / "evil.flac", seconds=0.3)
    huge = "x" * 100_000
    tag_file(
        path,
        {
            "title": "<script>alert(1)</script><b>bold</b>",
            "artist": "line1\nline2\ttab\x00nul\x1b[31mred\x7f",
            "album": huge,
            "tracknumber": "not a number",
            "date": "sometime in 19xx",
            "genre": "  Jazz  ",
        },
    )
    info = read_tags(str(path))
    assert info.title == "<script>alert(1)</script><b>bold</b>"  # kept verbatim: the UI shows plain text
    assert info.artist == "line1 line2 tab nul [31mred"
    assert len(info.album) == MAX_TAG_CHARS and info.album.endswith("\u2026")
    assert info.track_no is None and info.year is None
    assert info.genre == "Jazz"


def test_multiple_values_are_joined(tmp_path):
    import mutagen

    path = write_tone(tmp_path / "multi.ogg", seconds=0.3)
    audio = mutagen.File(str(path))
    audio["artist"] = ["One", "Two", "One"]
    audio.save()
    assert read_tags(str(path)).artist == "One; Two"


def test_id3v1_style_numeric_genre_is_resolved(tmp_path):
    import mutagen
    from mutagen.id3 import TCON

    path = write_tone(tmp_path / "g.mp3", seconds=0.3, tags={"title": "t"})
    audio = mutagen.File(str(path))
    audio.tags.add(TCON(encoding=3, text=["(17)"]))
    audio.save()
    assert read_tags(str(path)).genre == "Rock"


def test_text_file_named_mp3_raises_tag_read_error(tmp_path):
    path = tmp_path / "fake.mp3"
    path.write_text("this is not audio\n" * 20)
    with pytest.raises(TagReadError):
        read_tags(str(path))


def test_unknown_format_and_missing_file_raise_tag_read_error(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_bytes(b"\x00" * 10)
    with pytest.raises(TagReadError):
        read_tags(str(path))
    with pytest.raises(TagReadError, match="not found"):
        read_tags(str(tmp_path / "missing.flac"))


def test_sanitize_text_edge_cases():
    assert sanitize_text(None) == ""
    assert sanitize_text(b"caf\xc3\xa9 \xff") == "caf\u00e9 \ufffd"
    assert sanitize_text("a\ud800b") == "ab"  # lone surrogate: SQLite TEXT could not store it
    assert sanitize_text("  many   spaces \r\n") == "many spaces"
    assert sanitize_text("\u200fRTL mark and emoji \U0001f3b5") == "\u200fRTL mark and emoji \U0001f3b5"
    assert len(sanitize_text("y" * 10_000_000)) == MAX_TAG_CHARS


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", 3), ("03", 3), ("3/12", 3), (" 7 of 10", 7), ("", None), ("A1", None), ("0", None), ("-2", None)],
)
def test_parse_track_number(text, expected):
    assert parse_track_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2001", 2001), ("2001-05-02", 2001), ("02/05/1999", 1999), ("1999-2000", 1999), ("", None),
     ("12345", None), ("0999", None), ("year 3000", None)],
)
def test_parse_year(text, expected):
    assert parse_year(text) == expected
