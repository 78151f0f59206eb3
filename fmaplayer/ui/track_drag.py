"""Dragging tracks between views: one MIME form for the library table, the queue and other apps.

A drag carries the files as ``text/uri-list`` (so a file manager or another player understands it) and
the same paths under our own type, which tells the main window that the drag came from inside the app
(a track dragged out of the table and back must not be scanned again as "dropped files").
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from PySide6.QtCore import QMimeData, QObject, QUrl

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


class SelectionDragStarter(QObject):
    """Lets the selected rows of any item view be dragged as tracks, without touching its model: an
    event filter on the view's viewport starts the drag once the pointer moved far enough from a
    press on a selected row. ``tracks_for_rows(rows)`` turns view rows into tracks."""

    def __init__(self, view, tracks_for_rows) -> None:
        super().__init__(view)
        self._view = view
        self._tracks_for_rows = tracks_for_rows
        self._origin = None
        view.viewport().installEventFilter(self)

    def mime_for_selection(self) -> QMimeData | None:
        rows = sorted({index.row() for index in self._view.selectionModel().selectedRows()})
        tracks = self._tracks_for_rows(rows) if rows else []
        return tracks_mime(tracks) if tracks else None

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        from PySide6.QtCore import QEvent, Qt
        from PySide6.QtGui import QDrag
        from PySide6.QtWidgets import QApplication

        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress:
            index = self._view.indexAt(event.position().toPoint())
            selected = index.isValid() and self._view.selectionModel().isSelected(index)
            left = event.button() == Qt.MouseButton.LeftButton
            self._origin = event.position().toPoint() if left and selected else None
        elif kind == QEvent.Type.MouseButtonRelease:
            self._origin = None
        elif kind == QEvent.Type.MouseMove and self._origin is not None:
            if not event.buttons() & Qt.MouseButton.LeftButton:
                self._origin = None
            elif (event.position().toPoint() - self._origin).manhattanLength() >= \
                    QApplication.startDragDistance():
                self._origin = None
                mime = self.mime_for_selection()
                if mime is not None:
                    drag = QDrag(self._view)
                    drag.setMimeData(mime)
                    drag.exec(Qt.DropAction.CopyAction)
                    return True
        return False
