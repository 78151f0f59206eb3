"""The library pane: filter box over the track table, or the empty state when there is nothing yet."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fmaplayer.ui.empty_state import EmptyState
from fmaplayer.ui.track_drag import tracks_mime
from fmaplayer.ui.track_table_model import COLUMN_TITLES, DEFAULT_COLUMN_WIDTHS, Column, TrackTableModel

_MAX_RESTORED_SELECTION = 2000
MIN_TITLE_WIDTH = 200  # px the title keeps on a first start (window 1200 px wide, a dock open)
_NUMERIC = (Column.YEAR, Column.TRACK, Column.DURATION, Column.STATUS)   # keep their width as the table grows
_TEXT = (Column.ARTIST, Column.ALBUM, Column.GENRE, Column.PREDICTED_GENRE)   # grow and shrink with it
MAX_GROWTH = 2.0   # a text column grows to at most twice its width at the reference size


class LibraryTableView(QTableView):
    """A QTableView tuned for 100k rows: fixed row height, no word wrap, no per-row resizing."""

    def __init__(self, model: TrackTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("libraryTable")
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setObjectName("libraryHeader")
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(36)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._show_header_menu)
        for column, width in DEFAULT_COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        # The title takes whatever width is left, so the table never needs a horizontal scroll bar
        # just because the window is narrower than the sum of the default widths.
        header.setSectionResizeMode(Column.TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(Column.ARTIST, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        self._drag_origin: QPoint | None = None
        # The text columns keep their share of the room the numbers leave when the table is resized (a
        # maximised window, a dock made wider), instead of the title taking it all and the albums staying
        # cut: widths as the user last left them, and the room they had then.
        self._reference: tuple[int, dict[int, int]] | None = None
        self._following = False
        header.sectionResized.connect(self._on_section_resized)

    # ---- dragging the selection (into the queue, or out to other apps) ----------------------------------
    def drag_mime_data(self):
        """The selected tracks as a drag's data (see `track_drag`); None when nothing is selected."""
        tracks = self.model().tracks_at_rows(sorted(i.row() for i in self.selectionModel().selectedRows()))
        return tracks_mime(tracks) if tracks else None

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().mousePressEvent(event)  # Qt keeps a multi-row selection until release: it can be dragged
        self._drag_origin = None
        index = self.indexAt(event.position().toPoint())
        if (event.button() == Qt.MouseButton.LeftButton and index.isValid()
                and event.modifiers() == Qt.KeyboardModifier.NoModifier
                and self.selectionModel().isRowSelected(index.row(), QModelIndex())):
            self._drag_origin = event.position().toPoint()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._drag_origin is None or not event.buttons() & Qt.MouseButton.LeftButton:
            super().mouseMoveEvent(event)
            return
        moved = (event.position().toPoint() - self._drag_origin).manhattanLength()
        if moved < QApplication.startDragDistance():
            return  # not a drag yet; do not start a rubber-band selection either
        self._drag_origin = None
        mime = self.drag_mime_data()
        if mime is None:
            return
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.DropAction.CopyAction)
        self.setState(QAbstractItemView.State.NoState)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._drag_origin = None
        super().mouseReleaseEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._follow_width()

    def _flexible_room(self) -> int:
        header = self.horizontalHeader()
        return self.viewport().width() - sum(header.sectionSize(c) for c in _NUMERIC
                                             if not header.isSectionHidden(c))

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        if not self._following and column != Column.TITLE:
            # the user set a width (or a saved header was restored): resizes start from what they left
            self._reference = None
            if self.isVisible():
                self._follow_width()    # records the widths and the room they have now

    def _follow_width(self) -> None:
        header = self.horizontalHeader()
        room = self._flexible_room()
        columns = [c for c in _TEXT if not header.isSectionHidden(c)]
        if room <= 0 or not columns or not self.isVisible():
            return
        if self._reference is None:
            self._reference = (room, {c: header.sectionSize(c) for c in columns})
            return
        reference_room, widths = self._reference
        if reference_room <= 0:
            return
        scale = room / reference_room
        self._following = True
        try:
            for column in columns:
                base = widths.get(column, header.sectionSize(column))
                floor = min(base, self.header_width(column))
                header.resizeSection(column, int(max(floor, min(base * scale, base * MAX_GROWTH))))
        finally:
            self._following = False

    def header_width(self, column: int) -> int:
        """The width at which `column`'s header text is not cut off (margins and sort arrow included)."""
        header = self.horizontalHeader()
        style = header.style()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
        arrow = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header)
        title = str(self.model().headerData(column, Qt.Orientation.Horizontal) or "")
        return header.fontMetrics().horizontalAdvance(title) + 4 * margin + arrow + 4

    def fit_columns(self) -> None:
        """Scale the default column widths to the visible width (first start, no saved layout)."""
        header = self.horizontalHeader()
        visible = [c for c in DEFAULT_COLUMN_WIDTHS if not header.isSectionHidden(c)]
        available = self.viewport().width() - 2
        numeric = (Column.YEAR, Column.TRACK, Column.DURATION, Column.STATUS)
        fixed = sum(DEFAULT_COLUMN_WIDTHS[c] for c in visible if c in numeric)
        text_columns = [c for c in visible if c not in numeric]  # the title stretches into the rest
        title_share = DEFAULT_COLUMN_WIDTHS[Column.TITLE] if Column.TITLE in text_columns else 0
        others = [c for c in text_columns if c != Column.TITLE]
        if available <= 200 or not others:
            return
        # Numbers keep their width; other text columns get their default share of what the title leaves
        # (at least MIN_TITLE_WIDTH px for it), within 0.5x..1.5x of the defaults, and never so narrow
        # that their header ("Genre (predicted)") is cut off.
        floors = {c: self.header_width(c) for c in others}
        budget = available - fixed - max(MIN_TITLE_WIDTH, title_share)
        pinned: set[int] = set()
        scale = 1.0
        for _ in others:  # columns held at their header's width leave the rest to share the budget
            free = sum(DEFAULT_COLUMN_WIDTHS[c] for c in others if c not in pinned)
            if not free:
                break
            scale = min(1.5, max(0.5, (budget - sum(floors[c] for c in pinned)) / free))
            newly = {c for c in others if c not in pinned and DEFAULT_COLUMN_WIDTHS[c] * scale < floors[c]}
            if not newly:
                break
            pinned |= newly
        self._following = True
        try:
            for column in others:
                header.resizeSection(column, max(floors[column], int(DEFAULT_COLUMN_WIDTHS[column] * scale)))
        finally:
            self._following = False
        self._reference = None          # these widths are the ones to keep in proportion from now on
        self._follow_width()

    def header_menu(self) -> QMenu:
        """Checkable column list (also the header's context menu)."""
        header = self.horizontalHeader()
        menu = QMenu("Columns", self)
        for column, title in COLUMN_TITLES.items():
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.setEnabled(column != Column.TITLE)
            action.toggled.connect(lambda visible, c=column: header.setSectionHidden(c, not visible))
        return menu

    def _show_header_menu(self, position) -> None:
        self.header_menu().exec(self.horizontalHeader().mapToGlobal(position))


class FilterLineEdit(QLineEdit):
    """The filter box; Escape clears it."""

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        super().keyPressEvent(event)


class NoMatches(QWidget):
    """Shown instead of a blank table when the filter leaves no track: what was looked for, and a way back."""

    clearRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noMatches")
        self.message = QLabel()
        self.message.setObjectName("noMatchesMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.hint = QLabel()
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.clear_button = QPushButton("Clear filter")
        self.clear_button.clicked.connect(self.clearRequested)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addWidget(self.hint)
        layout.addSpacing(8)
        layout.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(2)

    def show_for(self, text: str, only_unreadable: bool, total: int) -> None:
        text = " ".join(text.split())
        if len(text) > 60:
            text = text[:59] + "…"
        if only_unreadable and text:
            self.message.setText(f"No unreadable file matches “{text}”.")
        elif only_unreadable:
            self.message.setText("No unreadable files: every track in the library can be read.")
        else:
            self.message.setText(f"No track matches “{text}”.")
        if text:
            self.hint.setText(f"The filter looks in the titles, artists, albums, genres and predicted genres "
                              f"of {total:,} tracks; every word must match.")
        else:
            self.hint.setText("View → Show unreadable files only is on: turn it off for the whole library.")
        self.clear_button.setVisible(bool(text))


class LibraryView(QWidget):
    """Filter line edit + table; swaps to the empty state while the library has no tracks, and to a
    "no matches" line when the filter leaves none."""

    rowActivated = Signal(int)

    def __init__(self, model: TrackTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.filter_edit = FilterLineEdit()
        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setPlaceholderText("Filter by title, artist, album, genre or predicted genre"
                                            "  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.addAction(self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView),
                                   QLineEdit.ActionPosition.LeadingPosition)
        self.filter_edit.textChanged.connect(model.set_filter_text)
        self.filter_edit.returnPressed.connect(self._focus_first_row)

        self.table = LibraryTableView(model)
        self.table.activated.connect(lambda index: self.rowActivated.emit(index.row()))
        self.empty_state = EmptyState()
        self.no_matches = NoMatches()
        self.no_matches.clearRequested.connect(self._clear_filter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.no_matches)

        top = QHBoxLayout()
        top.setContentsMargins(6, 6, 6, 0)
        top.addWidget(self.filter_edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)

        self._saved_ids: list[int] = []
        self._saved_current: int | None = None
        model.modelAboutToBeReset.connect(self._remember_selection)
        model.modelReset.connect(self._restore_selection)
        model.modelReset.connect(self.update_empty_state)
        self.update_empty_state()

    def is_empty_state_shown(self) -> bool:
        return self.stack.currentWidget() is self.empty_state

    def is_no_matches_shown(self) -> bool:
        return self.stack.currentWidget() is self.no_matches

    def update_empty_state(self) -> None:
        empty = self.model.total_count() == 0
        filtered_out = not empty and self.model.rowCount() == 0
        if empty:
            self.stack.setCurrentWidget(self.empty_state)
        elif filtered_out:
            self.no_matches.show_for(self.model.filter_text(), self.model.only_unreadable(),
                                     self.model.total_count())
            self.stack.setCurrentWidget(self.no_matches)
        else:
            self.stack.setCurrentWidget(self.table)
        self.filter_edit.setEnabled(not empty)

    def _clear_filter(self) -> None:
        self.filter_edit.clear()
        self.filter_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def selected_rows(self) -> list[int]:
        selection = self.table.selectionModel()
        return sorted(index.row() for index in selection.selectedRows()) if selection else []

    def select_rows(self, rows: list[int]) -> None:
        """Select these rows (as contiguous ranges, so thousands of rows stay cheap)."""
        selection = QItemSelection()
        last_column = self.model.columnCount() - 1
        rows = sorted(set(rows))
        start = previous = None
        for row in [*rows, None]:
            if row is not None and previous is not None and row == previous + 1:
                previous = row
                continue
            if start is not None:
                selection.select(self.model.index(start, 0), self.model.index(previous, last_column))
            start = previous = row
        self.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _remember_selection(self) -> None:
        rows = self.selected_rows()[:_MAX_RESTORED_SELECTION]
        self._saved_ids = [track.id for track in self.model.tracks_at_rows(rows)]
        current = self.model.track_at(self.table.currentIndex().row())
        self._saved_current = current.id if current is not None else None

    def _restore_selection(self) -> None:
        rows = [row for row in (self.model.row_of_track(i) for i in self._saved_ids) if row >= 0]
        if rows:
            self.select_rows(rows)
        if self._saved_current is not None:
            row = self.model.row_of_track(self._saved_current)
            if row >= 0:
                self.table.selectionModel().setCurrentIndex(self.model.index(row, 0),
                                                            QItemSelectionModel.SelectionFlag.NoUpdate)

    def _focus_first_row(self) -> None:
        if self.model.rowCount():
            self.table.setFocus()
            if not self.selected_rows():
                self.table.selectRow(0)
