"""Album art lookup on generated files: embedded (ID3 APIC, FLAC picture, Vorbis block) and folder covers."""

from __future__ import annotations

import base64
import os
import struct
import zlib

import pytest
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3
from mutagen.oggvorbis import OggVorbis

from fmaplayer.library.art import ArtCache, album_key, embedded_art, find_art, folder_art, sniff_mime
from fmaplayer.library.track import Track
from tests.audio_fixtures import write_tone
from tests.bounded_run import run_bounded


def png_bytes(width: int = 2, height: int = 2, rgb=(200, 30, 30)) -> bytes:
    """A valid PNG (solid colour), written by hand so the tests need no imaging library."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + payload))
        return struct.pack(">I", len(payload)) + kind + payload + crc

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32  # enough to be recognised; never decoded here


def _flac_picture(data: bytes, kind: int = 3, mime: str = "image/png") -> Picture:
    picture = Picture()
    picture.type, picture.mime, picture.data = kind, mime, data
    return picture


def test_id3_apic_prefers_the_front_cover(tmp_path):
    path = write_tone(tmp_path / "a.mp3", seconds=0.3)
    tags = ID3()
    tags.add(APIC(encoding=3, mime="image/jpeg", type=4, desc="back", data=JPEG + b"back"))
    tags.add(APIC(encoding=3, mime="image/png", type=3, desc="front", data=png_bytes()))
    tags.save(str(path))
    art = embedded_art(str(path))
    assert art is not None and art.data == png_bytes() and art.mime == "image/png"
    assert art.source == "embedded"


def test_flac_picture_block(tmp_path):
    path = write_tone(tmp_path / "b.flac", seconds=0.3)
    audio = FLAC(str(path))
    audio.add_picture(_flac_picture(JPEG, mime=""))
    audio.save()
    art = embedded_art(str(path))
    assert art.data == JPEG and art.mime == "image/jpeg"  # sniffed: the tag did not say


def test_vorbis_metadata_block_picture(tmp_path):
    path = write_tone(tmp_path / "c.ogg", seconds=0.3)
    audio = OggVorbis(str(path))
    audio["metadata_block_picture"] = [base64.b64encode(_flac_picture(png_bytes()).write()).decode("ascii")]
    audio.save()
    assert embedded_art(str(path)).data == png_bytes()


@pytest.mark.parametrize("name", ["cover.jpg", "Folder.JPG", "front.png", "album.jpeg"])
def test_folder_cover(tmp_path, name):
    path = write_tone(tmp_path / "album" / "01.wav", seconds=0.2)
    data = png_bytes() if name.endswith("png") else JPEG
    (tmp_path / "album" / name).write_bytes(data)
    art = folder_art(str(path))
    assert art is not None and art.data == data and art.source.endswith(name)
    assert art.mime == sniff_mime(data)


def test_embedded_wins_over_the_folder_and_none_when_there_is_nothing(tmp_path):
    bare = write_tone(tmp_path / "x" / "bare.flac", seconds=0.2)
    assert find_art(str(bare)) is None
    (tmp_path / "x" / "cover.png").write_bytes(png_bytes(rgb=(0, 0, 255)))
    audio = FLAC(str(bare))
    audio.add_picture(_flac_picture(png_bytes()))
    audio.save()
    assert find_art(str(bare)).source == "embedded"
    assert find_art(str(tmp_path / "x" / "missing.flac")).source.endswith("cover.png")  # folder still found
    assert embedded_art(str(tmp_path / "not-audio.txt")) is None


def test_cache_keeps_one_file_per_album(tmp_path, monkeypatch):
    folder = tmp_path / "music"
    tracks = []
    for i in range(3):
        path = write_tone(folder / f"{i}.wav", seconds=0.2)
        tracks.append(Track(id=i, path=str(path), artist="Band", album="Record"))
    (folder / "cover.png").write_bytes(png_bytes())
    cache = ArtCache(tmp_path / "cache")
    lookups = []
    import fmaplayer.library.art as art_module

    real_find = art_module.find_art
    monkeypatch.setattr(art_module, "find_art", lambda path: lookups.append(path) or real_find(path))
    first = cache.lookup(tracks[0])
    assert first is not None and first.read_bytes() == png_bytes() and first.suffix == ".png"
    assert cache.lookup(tracks[1]) == first and cache.lookup(tracks[2]) == first
    assert len(lookups) == 1  # the album was looked up once
    assert ArtCache(tmp_path / "cache").lookup(tracks[1]) == first  # a new session reuses the file
    assert len(lookups) == 1
    other = Track(id=9, path=str(write_tone(tmp_path / "other" / "x.wav", seconds=0.2)), album="Other")
    assert cache.lookup(other) is None and cache.lookup(other) is None and len(lookups) == 2


def test_album_key():
    a = Track(id=1, path="/m/a/1.flac", artist="X", album="Y")
    b = Track(id=2, path="/m/b/2.flac", artist="x", album="y ")
    assert album_key(a) == album_key(b)
    assert album_key(Track(id=3, path="/m/a/3.flac")) == album_key(Track(id=4, path="/m/a/4.flac"))
    assert album_key(Track(id=3, path="/m/a/3.flac")) != album_key(a)


# ---- special files named like covers (or given as the track): refused before they are opened --------
ART_IN_CHILD = """
import sys
from fmaplayer.library.art import find_art, folder_art, embedded_art
print(find_art(sys.argv[1]), folder_art(sys.argv[1]), embedded_art(sys.argv[1]))
"""


def test_a_cover_that_is_dev_zero_or_a_fifo_is_skipped_without_blocking_or_filling_memory(tmp_path):
    for name, make in (("zero", lambda p: os.symlink("/dev/zero", p)), ("fifo", os.mkfifo)):
        folder = tmp_path / name
        folder.mkdir()
        make(str(folder / "cover.jpg"))                   # a device (size 0, never ends) / a FIFO, no writer
        (folder / "folder.png").write_bytes(png_bytes())  # the next name is still found
        track = folder / "01.mp3"
        track.write_bytes(b"not audio")
        out = run_bounded(ART_IN_CHILD, str(track), seconds=60, megabytes=768)
        assert out.count("folder.png") == 2 and out.endswith("None\n"), out
        (folder / "folder.png").unlink()
        assert run_bounded(ART_IN_CHILD, str(track), seconds=60, megabytes=768) == "None None None\n"


def test_a_track_that_is_a_fifo_or_a_device_gives_no_art_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.mp3")
    os.symlink("/dev/zero", tmp_path / "zero.flac")
    for track in ("pipe.mp3", "zero.flac"):
        assert run_bounded(ART_IN_CHILD, str(tmp_path / track), megabytes=768) == "None None None\n"


def test_a_cover_larger_than_the_limit_is_skipped(tmp_path, monkeypatch):
    import fmaplayer.library.art as art_module

    track = write_tone(tmp_path / "a" / "01.wav", seconds=0.2)
    (tmp_path / "a" / "cover.jpg").write_bytes(JPEG + b"\0" * 100)
    monkeypatch.setattr(art_module, "MAX_ART_BYTES", 64)
    assert folder_art(str(track)) is None
    monkeypatch.setattr(art_module, "MAX_ART_BYTES", 1000)
    assert folder_art(str(track)).data == JPEG + b"\0" * 100
