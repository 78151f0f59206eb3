"""M3U / M3U8 playlists: write the queue as extended M3U8, read M3U and M3U8. No Qt.

Writing: UTF-8, ``#EXTM3U`` and one ``#EXTINF:<seconds>,<artist> - <title>`` line per entry, paths
relative to the playlist's folder where the file lies under it (so a music folder with its playlists can
be moved or mounted elsewhere), absolute otherwise. Every file name comes back exactly: a relative entry
that starts with ``#``, ``~`` or a space is written ``./#1 hit.mp3``; a name that a line cannot hold
verbatim (a line break or other control character, trailing white space, ``://``, a backslash, bytes that
are not UTF-8) is written as a ``file://`` URL with percent-encoding.

Reading: absolute and relative paths (relative to the playlist's folder), ``file://`` URLs (percent-
decoded), Windows separators; a line that starts with ``#`` is a comment. Lines end at CR, LF or CRLF;
nothing else is stripped from an entry unless the entry as written names no file (other programs indent
or leave trailing blanks). ``~`` is a name like any other. `.m3u` files may be in a legacy 8-bit encoding
(Winamp wrote the system code page): UTF-8 is tried first, then Latin-1. Entries that name no playable
file are kept in `missing` with their line number and the reason (not found, not a regular file, an
invalid name), never dropped silently (the first `MAX_MISSING_KEPT`, and how many in all); remote URLs
are reported as unsupported. The playlist itself must be a regular file of at most `MAX_PLAYLIST_BYTES`.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote_to_bytes, urlsplit

from fmaplayer.errors import FmaplayerError
from fmaplayer.library.regular_file import read_regular, refusal
from fmaplayer.library.track import Track

PLAYLIST_SUFFIXES = (".m3u", ".m3u8")
MAX_PLAYLIST_BYTES = 64 << 20   # about a million entries; a FIFO or a device is refused before reading

FILE_NOT_FOUND = "file not found"
REMOTE_URL = "remote URL (not supported)"
MAX_MISSING_KEPT = 1000         # entries listed in `missing`; `missing_count` counts them all
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# What a line cannot carry verbatim: control characters and every line separator some reader splits on.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]|://|\s$")


class PlaylistError(FmaplayerError):
    """The playlist file itself cannot be read or written."""


@dataclass
class MissingEntry:
    line: int
    entry: str     # as written in the playlist
    reason: str    # "file not found", "remote URL (not supported)"


@dataclass
class Playlist:
    path: str
    paths: list[str] = field(default_factory=list)     # existing files, absolute, in playlist order
    missing: list[MissingEntry] = field(default_factory=list)   # the first MAX_MISSING_KEPT of them
    missing_count: int = 0


def is_playlist(path: str | os.PathLike) -> bool:
    return os.fspath(path).lower().endswith(PLAYLIST_SUFFIXES)


def _url_path(entry: str) -> str | None:
    """The local path of a ``file://`` URL (percent-decoded byte for byte), None for anything remote."""
    url = urlsplit(entry)
    if url.scheme.lower() != "file" or url.netloc not in ("", "localhost"):
        return None
    path = os.fsdecode(unquote_to_bytes(url.path))
    if os.name == "nt" and re.match(r"^/[A-Za-z]:", path):
        path = path[1:]   # file:///C:/Music/a.mp3
    return path


def _resolve(entry: str, base: str) -> str:
    path = entry if os.path.isabs(entry) else os.path.join(base, entry)
    return os.path.normpath(path)


def _check(path: str) -> str | None:
    """None when `path` is a regular file; else why it cannot be played."""
    try:
        mode = os.stat(path).st_mode
    except ValueError:        # a NUL character, or a name the file system cannot encode
        return "invalid file name" + (" (it contains a NUL character)" if "\0" in path else "")
    except FileNotFoundError:
        return FILE_NOT_FOUND
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return None
    return refusal(mode)


def _entry_path(entry: str, base: str) -> tuple[str | None, str | None]:
    """(absolute path, None) for an entry naming a playable file; (None, reason) otherwise."""
    if _URL.match(entry):
        local = _url_path(entry)
        if local is None:
            return None, REMOTE_URL
        path = _resolve(local, base)
        return (path, None) if (reason := _check(path)) is None else (None, reason)
    path = _resolve(entry, base)
    reason = _check(path)
    if reason == FILE_NOT_FOUND and os.sep == "/" and "\\" in entry:
        windows = _resolve(entry.replace("\\", "/"), base)   # written on Windows
        if _check(windows) is None:
            return windows, None
    return (path, None) if reason is None else (None, reason)


def _decode(data: bytes, suffix: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if suffix == ".m3u8":
            return data.decode("utf-8", "surrogateescape")  # keep undecodable names byte-exact
        return data.decode("latin-1")


def parse_entries(text: str) -> Iterable[tuple[int, str]]:
    """(line number, entry) for each line that is not blank and not a comment; the entry as written,
    without its line terminator."""
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if line.startswith("#") or not line.strip():
            continue
        yield number, line


def read_playlist(path: str | os.PathLike) -> Playlist:
    path = os.fspath(path)
    try:
        data = read_regular(path, MAX_PLAYLIST_BYTES)
    except OSError as exc:
        raise PlaylistError(f"Cannot read the playlist {path}: {exc.strerror or exc}") from exc
    text = _decode(data, os.path.splitext(path)[1].lower())
    base = os.path.dirname(os.path.abspath(path))
    playlist = Playlist(path)
    for number, entry in parse_entries(text):
        resolved, reason = _entry_path(entry, base)
        trimmed = entry.strip()
        if resolved is None and trimmed != entry:       # indented, or trailing blanks from another program
            if trimmed.startswith("#"):
                continue                                # an indented comment
            resolved, _ = _entry_path(trimmed, base)
        if resolved is not None:
            playlist.paths.append(resolved)
        else:
            playlist.missing_count += 1
            if len(playlist.missing) < MAX_MISSING_KEPT:
                playlist.missing.append(MissingEntry(number, entry, reason))
    return playlist


def _relative_if_inside(path: str, base: str) -> str:
    try:
        relative = os.path.relpath(path, base)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith(os.pardir) else relative


def _file_url(path: str) -> str:
    return "file://" + quote(os.fsencode(path), safe="/")


def playlist_entry(path: str, base: str, relative: bool = True) -> str:
    """How `path` is written in a playlist in folder `base` so that `read_playlist` finds it again."""
    path = os.path.abspath(path)
    entry = _relative_if_inside(path, base) if relative else path
    try:
        entry.encode("utf-8")
    except UnicodeEncodeError:      # bytes that are not UTF-8 (surrogate-escaped): percent-encode them
        return _file_url(path)
    if _UNSAFE.search(entry) or (os.sep == "/" and "\\" in entry):
        return _file_url(path)
    if not os.path.isabs(entry) and (entry[0] in "#~" or entry[0].isspace()):
        entry = os.curdir + os.sep + entry   # ./#1 hit.mp3: not a comment, not a home folder
    return entry


def _extinf(track) -> str:
    duration = getattr(track, "duration", 0.0) or 0.0
    seconds = round(duration) if duration > 0 else -1
    title = getattr(track, "display_title", "") or os.path.basename(track.path)
    artist = getattr(track, "artist", "")
    label = f"{artist} - {title}" if artist else title
    label = label.encode("utf-8", "surrogateescape").decode("utf-8", "replace")   # the file stays UTF-8
    return f"#EXTINF:{seconds},{' '.join(label.split())}"


def write_playlist(path: str | os.PathLike, tracks: Iterable, relative: bool = True) -> int:
    """Write ``tracks`` (anything with .path, optionally .duration/.artist/.display_title) as M3U8.

    Returns the number of entries. Written to a temporary file and renamed, so a failure never leaves
    half a playlist in place of a good one."""
    path = os.path.abspath(os.fspath(path))
    base = os.path.dirname(path)
    lines = ["#EXTM3U"]
    count = 0
    for track in tracks:
        lines.extend([_extinf(track), playlist_entry(track.path, base, relative)])
        count += 1
    temporary = f"{path}.part"
    try:
        with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(temporary, path)
    except OSError as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise PlaylistError(f"Cannot write the playlist {path}: {exc.strerror or exc}") from exc
    return count


def resolve_paths(paths: Iterable[str], library: Iterable) -> tuple[list, list[str], list]:
    """Tracks for ``paths`` in order: the library's own where it has the file, else a bare `Track`
    (id 0, title from the file name) so the file still plays before a scan adds it.

    Returns (tracks, paths not in the library, library tracks left out because they are unreadable)."""
    by_path = {track.path: track for track in library}
    tracks, unknown, unreadable = [], [], []
    for path in paths:
        track = by_path.get(path) or by_path.get(os.path.realpath(path))
        if track is None:
            unknown.append(path)
            tracks.append(Track(id=0, path=path))
        elif getattr(track, "error", None) is not None:
            unreadable.append(track)
        else:
            tracks.append(track)
    return tracks, unknown, unreadable
