"""The "Up next" dock: the player's queue, with the playing track marked and played ones dimmed.

Tracks dragged from the library (or files from a file manager) drop in where the pointer is; entries are
reordered by dragging; Delete removes the selection. Every edit goes through the PlayQueue (`insert`,
`move`, `remove`), and the list redraws from it, so the player and the list never disagree.

A dropped playlist is read in a helper thread (it may be a FIFO, sit on a slow share or hold a million
entries), never on the UI thread; its tracks go in when it is read, and `dropHandled` says so.

An entry the app can explain (`note_for`: the tracks "Continue with similar songs" appended say which songs
they were picked for and how close they are) is set in italics with the continue button's icon, and its
tooltip says why it is there.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QMimeData, Qt, Signal, Slot
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fmaplayer.library.playlists import PlaylistError, is_playlist, read_playlist
from fmaplayer.library.track import Track
from fmaplayer.ui.text import display_text, format_duration, plain_tooltip
from fmaplayer.ui.track_drag import TRACKS_MIME, paths_from_mime, tracks_mime

QUEUE_ROWS_MIME = "application/x-fmaplayer-queue-rows"
_PATH_ROLE = Qt.ItemDataRole.UserRole + 1

_ROW_LIMIT = 2000  # a queue built from a 100k-row library: show its head, not 100k list items


class QueueList(QTreeWidget):
    """The list widget: drops are turned into signals instead of Qt moving items itself."""

    rowsMoved = Signal(list, int)       # queue positions, drop position (before that entry)
    pathsDropped = Signal(list, int)    # dropped files, drop position

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt override: what the default drag-move accepts
        return [QUEUE_ROWS_MIME, TRACKS_MIME, "text/uri-list"]

    def mimeData(self, items) -> QMimeData:  # noqa: N802 - Qt override: what a drag of entries carries
        rows = [item.data(0, Qt.ItemDataRole.UserRole) for item in items]
        rows = sorted(row for row in rows if row is not None)
        by_row = {item.data(0, Qt.ItemDataRole.UserRole): item for item in items}
        mime = tracks_mime([Track(id=0, path=by_row[row].data(0, _PATH_ROLE)) for row in rows])
        mime.setData(QUEUE_ROWS_MIME, json.dumps(rows).encode("ascii"))
        return mime

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802 - Qt override
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def drop_position(self, point) -> int:
        """The queue position a drop at ``point`` (viewport coordinates) inserts before."""
        item = self.itemAt(point)
        if item is None:
            last = self.topLevelItem(self.topLevelItemCount() - 1)
            position = last.data(0, Qt.ItemDataRole.UserRole) if last is not None else None
            return (position + 1) if position is not None else 1 << 30  # below the rows: the end
        position = item.data(0, Qt.ItemDataRole.UserRole)
        if position is None:  # the "… and N more" row
            return 1 << 30
        rect = self.visualItemRect(item)
        return position + (1 if point.y() > rect.center().y() else 0)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        position = self.drop_position(event.position().toPoint())
        mime = event.mimeData()
        if mime.hasFormat(QUEUE_ROWS_MIME):  # entries dragged within the queue
            try:
                rows = [int(row) for row in json.loads(bytes(mime.data(QUEUE_ROWS_MIME)).decode("ascii"))]
            except (ValueError, TypeError):
                rows = []
            # Copy, not Move: Qt must not delete the dragged items afterwards, the list redraws itself.
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            if rows:
                self.rowsMoved.emit(rows, position)
            return
        paths = paths_from_mime(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.pathsDropped.emit(paths, position)


def _bare_tracks(paths: list[str]) -> list:
    return [Track(id=0, path=path) for path in paths]


class QueueView(QDockWidget):
    dropHandled = Signal(list)               # the tracks a drop inserted (empty: nothing playable)
    _expanded = Signal(object, int, object)  # reading thread -> UI thread: (paths, position, problems)

    def __init__(self, player: Any, parent: QWidget | None = None) -> None:
        super().__init__("Up next", parent)
        self.setObjectName("queueDock")
        self._player = player
        self._queue = player.queue
        # Dropped files -> tracks; the window sets one that uses the library's own tracks.
        self.resolve_paths: Callable[[list[str]], list] = _bare_tracks
        # Where a playlist that cannot be read is reported (the window's status bar).
        self.report: Callable[[str], None] = lambda message: None
        # Why an entry is in the queue, when the app put it there (recommendations.py sets it): None for none.
        self.note_for: Callable[[Any], str | None] = lambda entry: None
        self.reader: threading.Thread | None = None  # the latest playlist-reading thread, for tests
        self._expanded.connect(self._on_expanded, Qt.ConnectionType.QueuedConnection)
        # Two columns (track, duration) so long names elide and the durations stay aligned.
        self.list = QueueList()
        self.list.setObjectName("queueList")
        self.list.setColumnCount(2)
        self.list.setHeaderHidden(True)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setWordWrap(False)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.list.itemActivated.connect(self._play_item)
        self.list.rowsMoved.connect(self.move_rows)
        self.list.pathsDropped.connect(self.insert_paths)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        self.remove_action = QAction("Remove from queue", self.list)
        self.remove_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.remove_action.triggered.connect(self.remove_selected)
        self.clear_action = QAction("Clear queue", self.list)
        self.clear_action.triggered.connect(self._queue.clear)
        self.list.addActions([self.remove_action, self.clear_action])

        container = QWidget()
        layout = QVBoxLayout(container)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        self.setWidget(container)

        self._queue.changed.connect(self.refresh)
        shuffle_changed = getattr(player, "shuffleChanged", None)
        if shuffle_changed is not None:  # the title says the list is not the order of play
            shuffle_changed.connect(self.refresh)
        current_changed = getattr(self._queue, "currentChanged", None)
        if current_changed is not None:
            current_changed.connect(self.refresh)
        # Played to the end: the queue stays, nothing is current, every entry was played ("all played").
        self._ended: tuple[Any, Any] | None = None   # when it ran out: (the queue's list, its last played)
        exhausted = getattr(player, "queueExhausted", None)
        if exhausted is not None:
            exhausted.connect(self._on_exhausted)
        self.refresh()

    @Slot()
    def _on_exhausted(self) -> None:
        view = getattr(self._queue, "view", None)
        self._ended = (view() if view is not None else None, self._queue.current())

    def _ended_at(self, items: list, current: int) -> int | None:
        """Where the queue ran out (the position of its last entry played) while it stands there, else None
        (playing again, or another queue put in place)."""
        if self._ended is None:
            return None
        entries, last = self._ended
        view = getattr(self._queue, "view", None)
        if current >= 0 or last is None or (view is not None and view() is not entries):
            self._ended = None
            return None
        return next((position for position, item in enumerate(items) if item is last), None)

    @Slot()
    def refresh(self) -> None:
        items = self._queue.items()
        current = getattr(self._queue, "current_index", -1)
        playing_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        picked_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload)  # as on Continue
        dim = QGuiApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        order = getattr(self._player, "order", None)  # what was played: in order, or the shuffle's history
        played = order.played(items, current) if order is not None else set(range(max(0, current)))
        ended_at = self._ended_at(items, current)
        if ended_at is not None:
            played |= set(range(ended_at + 1))
        self.list.setUpdatesEnabled(False)
        self.list.clear()
        rows = []
        for position, track in enumerate(items[:_ROW_LIMIT]):
            artist = f" — {display_text(track.artist, 120)}" if track.artist else ""
            duration = format_duration(track.duration) if track.duration else ""
            item = QTreeWidgetItem([f"{display_text(track.display_title, 200)}{artist}", duration])
            item.setData(0, Qt.ItemDataRole.UserRole, position)
            item.setData(0, _PATH_ROLE, track.path)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            note = self.note_for(track)
            tip = plain_tooltip(f"{note}\n{track.path}" if note else track.path)
            item.setToolTip(0, tip)
            if note:
                item.setToolTip(1, tip)
            if note or position == current:
                font = item.font(0)
                font.setItalic(bool(note))
                font.setBold(position == current)
                item.setFont(0, font)
                item.setFont(1, font)
            if position == current:
                item.setIcon(0, playing_icon)
            else:
                if note:
                    item.setIcon(0, picked_icon)
                if position in played:
                    item.setForeground(0, dim)
                    item.setForeground(1, dim)
            rows.append(item)
        if len(items) > _ROW_LIMIT:
            more = QTreeWidgetItem([f"… and {len(items) - _ROW_LIMIT:,} more", ""])
            more.setFlags(Qt.ItemFlag.NoItemFlags)
            rows.append(more)
        self.list.addTopLevelItems(rows)
        self.list.setUpdatesEnabled(True)
        shuffle = getattr(self._player, "shuffle", None)
        if ended_at is not None and len(played) >= len(items):   # not "Up next (6)" beside "Nothing playing"
            self.setWindowTitle("Up next (all played)")
            return
        if callable(shuffle) and shuffle():
            left = len(items) - len(played) - (1 if 0 <= current < len(items) else 0)
            self.setWindowTitle(f"Up next (shuffled, {left:,} left)" if items else "Up next (shuffled)")
            return
        upcoming = max(0, len(items) - (current if ended_at is None else ended_at) - 1)
        self.setWindowTitle(f"Up next ({upcoming:,})" if upcoming else "Up next")

    def count(self) -> int:
        return self.list.topLevelItemCount()

    def item_text(self, row: int) -> str:
        return self.list.topLevelItem(row).text(0)

    def remove_selected(self) -> None:
        positions = sorted(
            (item.data(0, Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()
             if item.data(0, Qt.ItemDataRole.UserRole) is not None),
            reverse=True,
        )
        for position in positions:  # from the back so earlier positions stay valid
            self._queue.remove(position)

    def move_rows(self, positions: list[int], to: int) -> None:
        new_positions = self._queue.move(positions, to) if hasattr(self._queue, "move") else []
        self._select_positions(new_positions)

    def insert_paths(self, paths: list[str], at: int) -> None:
        """Dropped files go in before queue position ``at``; a playlist among them is expanded, read in
        a helper thread (then the tracks go in when it is read; `dropHandled` says when)."""
        paths = list(paths)
        if not any(is_playlist(path) for path in paths):
            self._insert_expanded(paths, at, [])
            return
        self.reader = threading.Thread(target=self._expand_in_background, args=(paths, at),
                                       name="fmaplayer-queue-drop", daemon=True)
        self.reader.start()

    def _expand_in_background(self, paths: list[str], at: int) -> None:
        expanded: list[str] = []
        problems: list[str] = []
        for path in paths:
            if not is_playlist(path):
                expanded.append(path)
                continue
            try:
                expanded.extend(read_playlist(path).paths)   # regular files only, size capped
            except PlaylistError as exc:
                problems.append(str(exc))
            except Exception as exc:  # noqa: BLE001 - whatever a hostile file does, the user gets a message
                problems.append(f"Cannot read the playlist {path}: {exc}")
        try:
            self._expanded.emit(expanded, at, problems)
        except RuntimeError:      # the window closed meanwhile
            pass

    @Slot(object, int, object)
    def _on_expanded(self, expanded: list[str], at: int, problems: list[str]) -> None:
        self._insert_expanded(expanded, at, problems)

    def _insert_expanded(self, expanded: list[str], at: int, problems: list[str]) -> None:
        if problems:
            self.report(display_text(problems[0], 300))
        tracks = self.resolve_paths(expanded) if expanded else []
        if tracks:
            at = min(at, len(self._queue))
            self._queue.insert(at, tracks)
            self._select_positions(list(range(at, at + len(tracks))))
        self.dropHandled.emit(tracks)

    def _select_positions(self, positions: list[int]) -> None:
        wanted = set(positions)
        self.list.clearSelection()
        for row in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(row)
            if item.data(0, Qt.ItemDataRole.UserRole) in wanted:
                item.setSelected(True)

    def _play_item(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        position = item.data(0, Qt.ItemDataRole.UserRole)
        if position is None:
            return
        play_index = getattr(self._player, "play_index", None)
        if play_index is not None:
            play_index(position)
        else:
            self._player.play_tracks(self._queue.items(), start_index=position)
