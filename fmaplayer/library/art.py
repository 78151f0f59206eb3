"""Album art lookup: the picture embedded in the file, else a cover image beside it. No Qt.

Embedded pictures (mutagen): ID3 APIC frames (MP3, and WAV/AIFF with ID3), FLAC picture blocks, Vorbis /
Opus ``METADATA_BLOCK_PICTURE`` comments, MP4 ``covr`` atoms. The front cover is preferred when a file
holds several. Folder images: cover / folder / front / album with .jpg, .jpeg or .png, any letter case.

Only regular files are read (a FIFO or a device named cover.jpg, or given as the track, is skipped before
it is opened) and a folder image is read up to `MAX_ART_BYTES`, whatever its size claims.

`ArtCache` keeps one image file per album (album artist or artist + album; the folder when untagged) in
a cache folder, so the player bar, the relevant panel and MPRIS (`mpris:artUrl` wants a file URL) share
one decoded copy and an album of 20 tracks is looked up once. It is safe to call from any thread.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from fmaplayer.library.regular_file import open_regular, read_regular

FOLDER_NAMES = ("cover", "folder", "front", "album")
FOLDER_SUFFIXES = (".jpg", ".jpeg", ".png")
_FRONT_COVER = 3  # the picture type "Cover (front)" of ID3 and FLAC
MAX_ART_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Art:
    data: bytes
    mime: str      # image/jpeg or image/png (sniffed from the bytes when the tag does not say)
    source: str    # "embedded" or the folder image's path

    @property
    def suffix(self) -> str:
        return ".png" if self.mime == "image/png" else ".jpg"


def sniff_mime(data: bytes, declared: str = "") -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return declared or "image/jpeg"


def _best(pictures: list[tuple[int, bytes, str]]) -> tuple[bytes, str] | None:
    """(type, data, mime) -> the front cover if there is one, else the first picture."""
    pictures = [p for p in pictures if p[1]]
    if not pictures:
        return None
    front = [p for p in pictures if p[0] == _FRONT_COVER]
    _, data, mime = (front or pictures)[0]
    return data, mime


def embedded_art(path: str) -> Art | None:
    """The embedded picture, or None (no picture, or a file mutagen cannot read)."""
    try:
        import mutagen
        from mutagen.flac import Picture

        with open_regular(path) as handle:    # a FIFO or device is refused before mutagen reads it
            audio = mutagen.File(handle)
    except Exception:  # noqa: BLE001 - any tag-reading failure just means "no embedded art"
        return None
    if audio is None:
        return None
    pictures: list[tuple[int, bytes, str]] = []
    for picture in getattr(audio, "pictures", None) or []:  # FLAC
        pictures.append((picture.type, picture.data, picture.mime))
    tags = getattr(audio, "tags", None)
    if tags is not None:
        if hasattr(tags, "getall"):  # ID3
            for frame in tags.getall("APIC"):
                pictures.append((int(frame.type), frame.data, frame.mime))
        try:
            covers = tags.get("covr") if hasattr(tags, "get") else None  # MP4
        except (KeyError, ValueError, TypeError):
            covers = None
        for cover in covers or []:
            fmt = getattr(cover, "imageformat", None)
            pictures.append((_FRONT_COVER, bytes(cover), "image/png" if fmt == 14 else "image/jpeg"))
        try:
            blocks = tags.get("metadata_block_picture", []) if hasattr(tags, "get") else []
        except (KeyError, ValueError, TypeError):
            blocks = []
        for block in blocks or []:  # Vorbis comments: base64 of a FLAC picture block
            try:
                picture = Picture(base64.b64decode(block))
            except Exception:  # noqa: BLE001 - a damaged block is skipped, not fatal
                continue
            pictures.append((picture.type, picture.data, picture.mime))
    best = _best(pictures)
    if best is None:
        return None
    data, mime = best
    return Art(bytes(data), sniff_mime(bytes(data), mime), "embedded")


def folder_art(path: str) -> Art | None:
    """cover/folder/front/album .jpg/.jpeg/.png in the track's folder, in that order of preference."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        names = {name.lower(): name for name in os.listdir(folder)}
    except OSError:
        return None
    for stem in FOLDER_NAMES:
        for suffix in FOLDER_SUFFIXES:
            name = names.get(stem + suffix)
            if name is None:
                continue
            candidate = os.path.join(folder, name)
            try:
                data = read_regular(candidate, MAX_ART_BYTES)
            except OSError:   # unreadable, not a regular file, or too large: try the next name
                continue
            if data:
                return Art(data, sniff_mime(data), candidate)
    return None


def find_art(path: str) -> Art | None:
    return embedded_art(path) or folder_art(path)


def album_key(track) -> str:
    """Tracks of one album share a key; untagged files share their folder's."""
    album = (getattr(track, "album", "") or "").strip().lower()
    if not album:
        return "folder:" + os.path.dirname(os.path.abspath(track.path))
    artist = (getattr(track, "album_artist", "") or getattr(track, "artist", "") or "").strip().lower()
    return f"album:{artist}\0{album}"


class ArtCache:
    """album key -> cached image file (or None when the album has no art), on disk and in memory."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self._known: dict[str, Path | None] = {}
        self._lock = threading.Lock()

    def lookup(self, track) -> Path | None:
        """The cached image file for the track's album, looking the art up the first time."""
        key = album_key(track)
        with self._lock:
            if key in self._known:
                return self._known[key]
        stem = hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()
        existing = next((self.folder / (stem + s) for s in (".jpg", ".png")
                         if (self.folder / (stem + s)).is_file()), None)
        result = existing
        if result is None:
            art = find_art(track.path)
            if art is not None:
                result = self._write(self.folder / (stem + art.suffix), art.data)
        with self._lock:
            self._known[key] = result
        return result

    def forget(self) -> None:
        """Drop the in-memory answers (after a rescan; cached files stay valid per album)."""
        with self._lock:
            self._known.clear()

    def _write(self, target: Path, data: bytes) -> Path | None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f"{target.name}.{threading.get_ident()}.part")
            temporary.write_bytes(data)
            os.replace(temporary, target)
        except OSError:
            return None
        return target
