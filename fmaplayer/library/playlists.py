"""M3U / M3U8 playlists: write the queue as extended M3U8, read M3U and M3U8. No Qt.

Writing: UTF-8, ``#EXTM3U`` and one ``#EXTINF:<seconds>,<artist> - <title>`` line per entry, paths
relative to the playlist's folder where the file lies under it (so a music folder with its playlists can
be moved or mounted elsewhere), absolute otherwise.

Reading: absolute and relative paths (relative to the playlist's folder), ``file://`` URLs, Windows
separators; ``#`` lines are comments. `.m3u` files may be in a legacy 8-bit encoding (Winamp wrote the
system code page): UTF-8 is tried first, then Latin-1. Entries whose file is not there are kept in
`missing` with their line number, never dropped silently; remote URLs are reported as unsupported.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from fmaplayer.errors import FmaplayerError
from fmaplayer.library.regular_file import read_regular
from fmaplayer.library.track import Track

PLAYLIST_SUFFIXES = (".m3u", ".m3u8")
MAX_PLAYLIST_BYTES = 64 << 20   # about a million entries; a FIFO or a device is refused before reading


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
    missing: list[MissingEntry] = field(default_factory=list)


def is_playlist(path: str | os.PathLike) -> bool:
    return os.fspath(path).lower().endswith(PLAYLIST_SUFFIXES)


def _entry_path(entry: str, base: Path) -> str | None:
    """The absolute local path an entry names, or None for a remote URL."""
    if "://" in entry:
        url = urlparse(entry)
        if url.scheme != "file":
            return None
        entry = unquote(url.path)
    if os.sep == "/" and "\\" in entry and not os.path.exists(entry):
        entry = entry.replace("\\", "/")  # written on Windows
    path = Path(os.path.expanduser(entry))
    if not path.is_absolute():
        path = base / path
    return os.path.normpath(str(path))


def _decode(data: bytes, suffix: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if suffix == ".m3u8":
            return data.decode("utf-8", "surrogateescape")  # keep undecodable names byte-exact
        return data.decode("latin-1")


def read_playlist(path: str | os.PathLike) -> Playlist:
    path = os.fspath(path)
    try:
        data = read_regular(path, MAX_PLAYLIST_BYTES)
    except OSError as exc:
        raise PlaylistError(f"Cannot read the playlist {path}: {exc.strerror or exc}") from exc
    text = _decode(data, os.path.splitext(path)[1].lower())
    base = Path(os.path.dirname(os.path.abspath(path)))
    playlist = Playlist(path)
    for number, raw in enumerate(text.splitlines(), start=1):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        resolved = _entry_path(entry, base)
        if resolved is None:
            playlist.missing.append(MissingEntry(number, entry, "remote URL (not supported)"))
        elif os.path.isfile(resolved):
            playlist.paths.append(resolved)
        else:
            playlist.missing.append(MissingEntry(number, entry, "file not found"))
    return playlist


def _relative_if_inside(path: str, base: str) -> str:
    try:
        relative = os.path.relpath(path, base)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith(os.pardir) else relative


def _extinf(track) -> str:
    duration = getattr(track, "duration", 0.0) or 0.0
    seconds = round(duration) if duration > 0 else -1
    title = getattr(track, "display_title", "") or os.path.basename(track.path)
    artist = getattr(track, "artist", "")
    label = f"{artist} - {title}" if artist else title
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
        entry = os.path.abspath(track.path)
        if relative:
            entry = _relative_if_inside(entry, base)
        lines.extend([_extinf(track), entry])
        count += 1
    temporary = f"{path}.part"
    try:
        with open(temporary, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as handle:
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
