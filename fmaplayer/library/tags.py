"""Tag reading with mutagen, turned into plain, bounded, printable text.

Tags come from untrusted files: they may hold control characters, lone surrogates, megabytes of text
or markup. Everything returned here is safe to store in SQLite and to show as plain text. A leading ID3v2
tag of pathological shape (100,000 small frames) is read only as far as mutagen reads it in bounded time.
"""

from __future__ import annotations

import io
import math
import os
import re
import unicodedata
from dataclasses import dataclass
from types import SimpleNamespace

from fmaplayer.errors import TagReadError
from fmaplayer.library.paths import BIDI_CONTROLS
from fmaplayer.library.regular_file import open_regular

MAX_TAG_CHARS = 1000
ELLIPSIS = "\u2026"

# Normalised field -> tag keys (lower-cased) used by the containers mutagen reads: Vorbis comments,
# EasyID3/EasyMP4 keys, APEv2 and ASF names.
_KEY_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "wm/title"),
    "artist": ("artist", "author", "performer"),
    "album": ("album", "wm/albumtitle"),
    "album_artist": ("albumartist", "album artist", "album_artist", "wm/albumartist", "band"),
    "track_no": ("tracknumber", "track", "wm/tracknumber", "trackno"),
    "year": ("date", "year", "wm/year", "originaldate", "originalyear"),
    "genre": ("genre", "wm/genre"),
}
# The same fields as ID3 frames (MP3 read without "easy", and WAV/AIFF which have no easy wrapper).
_ID3_FRAMES: dict[str, tuple[str, ...]] = {
    "title": ("TIT2",),
    "artist": ("TPE1",),
    "album": ("TALB",),
    "album_artist": ("TPE2",),
    "track_no": ("TRCK",),
    "year": ("TDRC", "TYER", "TDOR", "TORY"),
    "genre": ("TCON",),
}

_YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_LEADING_INT_RE = re.compile(r"\s*(\d{1,6})")
_WHITESPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class TagInfo:
    title: str = ""
    artist: str = ""
    album: str = ""
    album_artist: str = ""
    track_no: int | None = None
    year: int | None = None
    genre: str = ""
    duration: float | None = None  # seconds, from the container header; None when unknown


def sanitize_text(value: object, limit: int = MAX_TAG_CHARS) -> str:
    """Printable single-line text: control chars and lone surrogates dropped, whitespace collapsed,
    capped at `limit` characters (with an ellipsis)."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    else:
        text = str(value)
    # Bound the work on pathological tags before the per-character pass.
    if len(text) > limit * 4:
        text = text[: limit * 4]
    cleaned = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cc":
            cleaned.append(" ")  # newlines, tabs, NUL, ESC ...: keep words apart, drop the control
        elif cat == "Cs" or ch in BIDI_CONTROLS:
            continue  # a lone surrogate cannot be stored as UTF-8; U+202E would reverse the cell
        else:
            cleaned.append(ch)
    text = _WHITESPACE_RE.sub(" ", "".join(cleaned)).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    return text


def parse_track_number(text: str) -> int | None:
    """'3', '03', '3/12', ' 7 of 10' -> the leading number; None when there is none or it is absurd."""
    match = _LEADING_INT_RE.match(text or "")
    if not match:
        return None
    number = int(match.group(1))
    return number if 0 < number < 100000 else None


def parse_year(text: str) -> int | None:
    """The first plausible four-digit year in a date string ('2001-05-02', '2001', '02/05/2001')."""
    for match in _YEAR_RE.finditer(text or ""):
        year = int(match.group(1))
        if 1000 <= year <= 2999:
            return year
    return None


def read_tags(path: str) -> TagInfo:
    """Read tags and duration from `path`.

    Odd or broken individual tags never raise; they come back empty or cleaned. Raises TagReadError
    when mutagen cannot read the file at all (not an audio container it knows, I/O error, corrupt header).
    """
    import mutagen

    try:
        bounded = _bounded_id3v2(path)
        audio = mutagen.File(path, easy=True) if bounded is None else _id3_only(bounded)
    except Exception as exc:  # mutagen raises many types (MutagenError, struct.error, ValueError ...)
        os_error = _os_error_cause(exc)
        if isinstance(os_error, PermissionError):
            raise TagReadError("permission denied") from exc
        if isinstance(os_error, FileNotFoundError):
            raise TagReadError("file not found") from exc
        raise TagReadError(f"unreadable tags: {_describe(exc)}") from exc
    if audio is None:
        raise TagReadError("not an audio format mutagen recognises")

    fields = _fields_from_tags(getattr(audio, "tags", None))
    return TagInfo(
        title=fields.get("title", ""),
        artist=fields.get("artist", ""),
        album=fields.get("album", ""),
        album_artist=fields.get("album_artist", ""),
        track_no=parse_track_number(fields.get("track_no", "")),
        year=parse_year(fields.get("year", "")),
        genre=fields.get("genre", ""),
        duration=_duration(audio),
    )


# mutagen keeps the rest of an ID3v2 tag as a new bytes object after each frame it reads, so its time grows
# with frames x tag size: 100,000 small frames in 2 MB took it 10-20 s. A tag up to _ID3_WALK_FROM_BYTES is
# read as it is; a larger one is walked first, and only the frames read within both bounds are given to it.
_ID3_WALK_FROM_BYTES = 64 << 10
_ID3_MAX_FRAMES = 5_000          # real tags hold tens of frames, a podcast's chapters a few hundred
_ID3_MAX_COPIED_BYTES = 2 << 30  # a few text frames before 50 MB of cover art cost a few hundred MB
_ID3_FRAME_ID = re.compile(rb"[A-Z0-9]{3,4}")


def _syncsafe(data: bytes) -> int:
    value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
    return value


def _bounded_id3v2(path: str) -> bytes | None:
    """The leading ID3v2 tag of `path` cut to the frames mutagen reads in bounded time, as a tag of its own;
    None when there is no such tag or mutagen reads the file as it is in bounded time (or cannot: it then
    says why)."""
    try:
        with open_regular(path) as f:
            head = f.read(10)
            if (len(head) < 10 or head[:3] != b"ID3" or head[3] not in (2, 3, 4)
                    or any(b >= 0x80 for b in head[6:10])):
                return None
            version, flags, size = head[3], head[5], _syncsafe(head[6:10])
            if size <= _ID3_WALK_FROM_BYTES:
                return None
            if flags & 0x80 and version < 4:   # unsynchronised as a whole: frame sizes count decoded bytes
                data = f.read(size).replace(b"\xff\x00", b"\xff")
                size, flags = len(data), flags & ~0x80

                def read(at: int, n: int) -> bytes:
                    return data[at:at + n]
            else:
                fd = f.fileno()

                def read(at: int, n: int) -> bytes:
                    return os.pread(fd, n, 10 + at)
            start = _id3_frames_start(read, version, flags)
            cut = _id3_cut(read, start, size, version)
            if cut is None:
                return None
            frames = read(start, cut - start)
    except (OSError, ValueError):
        return None
    # the frames read, without the extended header and footer the original may have had
    return b"ID3" + bytes((version, 0, flags & ~0x50)) + bytes(
        (len(frames) >> shift) & 0x7F for shift in (21, 14, 7, 0)) + frames


def _id3_frames_start(read, version: int, flags: int) -> int:
    """Where the frames begin after the header: past the extended header, as mutagen finds it."""
    if not flags & 0x40:
        return 0
    ext = read(0, 4)
    if _ID3_FRAME_ID.fullmatch(ext):   # the flag set but no extended header written: frames follow
        return 0
    return _syncsafe(ext) if version >= 4 else 4 + int.from_bytes(ext, "big")


def _id3_cut(read, at: int, size: int, version: int) -> int | None:
    """The offset of the first frame past the bounds (None: all frames within them, or a walk that got
    lost in frames it does not recognise, which mutagen reads as it always did)."""
    head_len = 6 if version == 2 else 10
    frames = copied = 0
    while at + head_len <= size:
        head = read(at, head_len)
        ident = head[:3] if version == 2 else head[:4]
        if len(head) < head_len or not _ID3_FRAME_ID.fullmatch(ident):
            return None   # padding (the end of the frames), or lost
        if version == 2:
            length = int.from_bytes(head[3:6], "big")
        elif version == 3 or any(b >= 0x80 for b in head[4:8]):   # iTunes wrote plain ints in 2.4 too
            length = int.from_bytes(head[4:8], "big")
        else:
            length = _syncsafe(head[4:8])
        end = at + head_len + length
        frames += 1
        copied += max(0, size - end)
        if frames > _ID3_MAX_FRAMES or copied > _ID3_MAX_COPIED_BYTES:
            return at
        at = end
    return None


def _id3_only(tag: bytes):
    """What read_tags takes from mutagen.File, from a tag alone: its text frames, no duration."""
    from mutagen.easyid3 import EasyID3

    return SimpleNamespace(tags=EasyID3(io.BytesIO(tag)), info=None)


def _duration(audio) -> float | None:
    try:
        length = float(audio.info.length)
    except Exception:
        return None
    return length if math.isfinite(length) and length > 0 else None


def _fields_from_tags(tags) -> dict[str, str]:
    if tags is None:
        return {}
    try:
        from mutagen.id3 import ID3

        if isinstance(tags, ID3):
            return _fields_from_id3(tags)
        return _fields_from_mapping(tags)
    except Exception:
        return {}  # a tag block mutagen parsed but we cannot walk is treated as no tags


def _fields_from_id3(tags) -> dict[str, str]:
    fields: dict[str, str] = {}
    for field, frame_ids in _ID3_FRAMES.items():
        for frame_id in frame_ids:
            frames = tags.getall(frame_id)
            if not frames:
                continue
            frame = frames[0]
            # TCON resolves numeric ID3v1 genre references like "(17)" through .genres.
            values = frame.genres if frame_id == "TCON" else getattr(frame, "text", [])
            text = _join_values(values)
            if text:
                fields[field] = text
                break
    return fields


def _fields_from_mapping(tags) -> dict[str, str]:
    by_lower: dict[str, object] = {}
    for key in list(tags.keys()):
        if isinstance(key, str):
            by_lower.setdefault(key.lower(), key)
    fields: dict[str, str] = {}
    for field, aliases in _KEY_ALIASES.items():
        for alias in aliases:
            key = by_lower.get(alias)
            if key is None:
                continue
            try:
                value = tags[key]
            except Exception:
                continue
            text = _join_values(value)
            if text:
                fields[field] = text
                break
    return fields


def _join_values(values) -> str:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        values = [values]
    parts = []
    for value in list(values)[:50]:
        value = getattr(value, "value", value)  # ASF attributes wrap their value
        if isinstance(value, tuple):  # MP4 'trkn' pairs (3, 12)
            value = "/".join(str(v) for v in value if v)
        text = sanitize_text(value)
        if text and text not in parts:
            parts.append(text)
    return sanitize_text("; ".join(parts))


def _os_error_cause(exc: BaseException | None) -> OSError | None:
    """mutagen wraps I/O errors in MutagenError; find the OSError underneath, if any."""
    for _ in range(5):
        if exc is None or isinstance(exc, OSError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _describe(exc: BaseException) -> str:
    text = sanitize_text(str(exc), limit=200)
    return text or type(exc).__name__
