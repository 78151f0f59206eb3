"""The "Up next" dock: the player's queue, with the playing track marked and played ones dimmed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Slot
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

from fmaplayer.ui.text import display_text, format_duration, plain_tooltip

_ROW_LIMIT = 2000  # a queue built from a 100k-row library: show its head, not 100k list items


class QueueView(QDockWidget):
    def __init__(self, player: Any, parent: QWidget | None = None) -> None:
        super().__init__("Up next", parent)
        self.setObjectName("queueDock")
        self._player = player
        self._queue = player.queue
        # Two columns (track, duration) so long names elide and the durations stay aligned.
        self.list = QTreeWidget()
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
        current_changed = getattr(self._queue, "currentChanged", None)
        if current_changed is not None:
            current_changed.connect(self.refresh)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        items = self._queue.items()
        current = getattr(self._queue, "current_index", -1)
        playing_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        dim = QGuiApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        self.list.setUpdatesEnabled(False)
        self.list.clear()
        rows = []
        for position, track in enumerate(items[:_ROW_LIMIT]):
            artist = f" — {display_text(track.artist, 120)}" if track.artist else ""
            duration = format_duration(track.duration) if track.duration else ""
            item = QTreeWidgetItem([f"{display_text(track.display_title, 200)}{artist}", duration])
            item.setData(0, Qt.ItemDataRole.UserRole, position)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(0, plain_tooltip(track.path))
            if position == current:
                item.setIcon(0, playing_icon)
                font = item.font(0)
                font.setBold(True)
                item.setFont(0, font)
                item.setFont(1, font)
            elif position < current:
                item.setForeground(0, dim)
                item.setForeground(1, dim)
            rows.append(item)
        if len(items) > _ROW_LIMIT:
            more = QTreeWidgetItem([f"… and {len(items) - _ROW_LIMIT:,} more", ""])
            more.setFlags(Qt.ItemFlag.NoItemFlags)
            rows.append(more)
        self.list.addTopLevelItems(rows)
        self.list.setUpdatesEnabled(True)
        upcoming = max(0, len(items) - current - 1)
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

    def _play_item(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        position = item.data(0, Qt.ItemDataRole.UserRole)
        if position is None:
            return
        play_index = getattr(self._player, "play_index", None)
        if play_index is not None:
            play_index(position)
        else:
            self._player.play_tracks(self._queue.items(), start_index=position)
