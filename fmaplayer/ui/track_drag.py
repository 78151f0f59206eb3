"""Dragging tracks between views: one MIME form for the library table, the queue and other apps.

A drag carries the files as ``text/uri-list`` (so a file manager or another player understands it) and
the same paths under our own type, which tells the main window that the drag came from inside the app
(a track dragged out of the table and back must not be scanned again as "dropped files").
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from PySide6.QtCore import QMimeData, QUrl

TRACKS_MIME = "application/x-fmaplayer-track-paths"


def tracks_mime(tracks: Iterable) -> QMimeData:
    paths = [track.path for track in tracks]
    mime = QMimeData()
    mime.setData(TRACKS_MIME, json.dumps(paths).encode("utf-8", "surrogateescape"))
    mime.setUrls([QUrl.fromLocalFile(path) for path in paths])
    return mime


def is_internal(mime: QMimeData) -> bool:
    return mime.hasFormat(TRACKS_MIME)


def paths_from_mime(mime: QMimeData) -> list[str]:
    """The dragged files (our own paths first, else local file URLs), directories left out."""
    if mime.hasFormat(TRACKS_MIME):
        try:
            paths = json.loads(bytes(mime.data(TRACKS_MIME)).decode("utf-8", "surrogateescape"))
            return [str(p) for p in paths]
        except (ValueError, TypeError):
            return []
    local = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    return [path for path in local if not os.path.isdir(path)]
