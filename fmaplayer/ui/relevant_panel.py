"""The "Relevant songs" dock and the analysis status widget (widgets only, no recommendation logic).

The panel is told what to show by `RelevantSongsController` (fmaplayer/ui/recommendations.py):
`begin_request(anchors)` hands out a request id; `show_results` / `show_message` / `set_busy` carry it
back and are ignored unless it is the newest id, so a slow on-demand analysis can never overwrite a
newer panel ("newest request wins").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, QPoint, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fmaplayer.recommend.calibration import match_percent
from fmaplayer.ui.art_loader import show_art_in
from fmaplayer.ui.why_view import WhyDetail, tooltip_html

ANCHOR_ART_SIZE = 48
# Narrower than this (the dock shares the side with the queue), the Artist column gives its width to the
# titles, which then name the artist after them: two columns of ~80 px cut both ("Generate…", "Synth Ar…").
ARTIST_COLUMN_MIN_PX = 380


@dataclass(frozen=True)
class RelevantRow:
    track: Any          # fmaplayer.library.track.Track
    score: float        # the index's similarity (recommend/hybrid.py)
    genre: str          # predicted genre
    why: Any = None     # recommend.explain.Why, when the anchor and the result have stored profiles
    percent: float | None = None   # the match shown (SimilarityIndex.percent); None: from the score's angle
    meaning: str = ""   # what that percentage means (SimilarityIndex.percent_meaning)

    @property
    def shown_percent(self) -> float:
        return match_percent(self.score) if self.percent is None else self.percent


def track_title(track) -> str:
    return getattr(track, "display_title", None) or getattr(track, "title", "") or str(track.path)


class RelevantResultsModel(QAbstractTableModel):
    COLUMNS = ("Match", "Title", "Artist", "Genre")   # short: the dock shares its side with the queue
    ScoreRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[RelevantRow] = []
        self.anchor_title = ""   # names the anchor's bars in a result's "why" tooltip
        self.artist_in_title = False   # the Artist column is hidden for lack of room: "Title — Artist"

    def set_rows(self, rows: list[RelevantRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[RelevantRow]:
        return list(self._rows)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802 - Qt signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802 - Qt signature
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return ("How well the track matches (hover a row for what the percentage means)", None, None,
                    "Genre predicted from the audio by the bundled model")[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{row.shown_percent:.0f} %"
            if column == 1 and self.artist_in_title and getattr(row.track, "artist", ""):
                return f"{track_title(row.track)} — {row.track.artist}"
            return (None, track_title(row.track), row.track.artist, row.genre)[column]
        if role == self.ScoreRole:
            return row.score
        if role == Qt.ItemDataRole.ToolTipRole:
            meaning = row.meaning or "how close the sound is (angle between library-centred vectors)"
            plain = (f"{row.track.path}\nMatch {row.shown_percent:.0f} %: {meaning}; "
                     f"similarity {row.score:.3f}")
            if row.why is not None:
                return tooltip_html(row.why, self.anchor_title, track_title(row.track), footnote=plain)
            return plain
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class RelevantPanel(QDockWidget):
    """Dock listing the tracks most similar to an anchor track (or a selection's centroid)."""

    playRequested = Signal(list, int)     # tracks, index to start at
    enqueueRequested = Signal(list)       # tracks to append to the play queue
    anchorsChanged = Signal(list)         # a new request: its anchor tracks (for the album art lookup)
    varietyToggled = Signal(bool)         # the "Variety" box: caps per artist and album on or off

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Relevant songs", parent)
        self.setObjectName("relevantSongsDock")   # saveState/restoreState key
        self._request_id = 0
        self._anchors: list = []
        # Builds the context menu for result tracks (the window's track menu, see TrackActions).
        self.menu_for_tracks: Callable[[list], QMenu] | None = None
        self.context_menu: QMenu | None = None    # the menu shown last (tests read it)

        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        self.header = QLabel("Right-click a track and choose “Get relevant songs”.", body)
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        self.anchor_art = QLabel(body)          # the anchor's album art, when it has one
        self.anchor_art.setObjectName("anchorArt")
        self.anchor_art.setFixedSize(ANCHOR_ART_SIZE, ANCHOR_ART_SIZE)
        self.anchor_art.hide()
        self.subheader = QLabel("", body)
        self.subheader.setWordWrap(True)
        self.subheader.hide()

        busy_row = QHBoxLayout()
        self.busy_bar = QProgressBar(body)
        self.busy_bar.setRange(0, 0)           # indeterminate: the anchor is being analysed
        self.busy_bar.setMaximumHeight(10)
        self.busy_bar.setTextVisible(False)
        self.busy_label = QLabel("", body)
        busy_row.addWidget(self.busy_label)
        busy_row.addWidget(self.busy_bar, 1)
        self.busy_widget = QWidget(body)
        self.busy_widget.setLayout(busy_row)
        busy_row.setContentsMargins(0, 0, 0, 0)
        self.busy_widget.hide()

        self.model = RelevantResultsModel(self)
        self.table = QTableView(body)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        # one line per row, elided: wrapped titles made a narrow dock unreadable
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setMinimumWidth(220)   # narrow enough to share a 1200 px window with the library
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(self._on_double_clicked)
        self.table.selectionModel().currentRowChanged.connect(self._show_why)
        self.why_detail = WhyDetail(body)

        buttons = QHBoxLayout()
        self.play_all_button = QPushButton("Play all", body)
        self.enqueue_button = QPushButton("Add all to queue", body)
        self.play_all_button.clicked.connect(lambda: self._emit_all(play=True))
        self.enqueue_button.clicked.connect(lambda: self._emit_all(play=False))
        buttons.addWidget(self.play_all_button)
        buttons.addWidget(self.enqueue_button)
        buttons.addStretch(1)
        self.variety_box = QCheckBox("Variety", body)
        self.variety_box.toggled.connect(self.varietyToggled)
        buttons.addWidget(self.variety_box)

        header_row = QHBoxLayout()
        header_row.addWidget(self.anchor_art, 0, Qt.AlignmentFlag.AlignTop)
        header_row.addWidget(self.header, 1)
        layout.addLayout(header_row)
        layout.addWidget(self.subheader)
        layout.addWidget(self.busy_widget)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.why_detail)
        layout.addLayout(buttons)
        self.setWidget(body)
        self._update_buttons()

    def show_variety(self, enabled: bool, per_artist: int, per_album: int) -> None:
        """Reflect the setting in the box without echoing it back."""
        self.variety_box.blockSignals(True)
        self.variety_box.setChecked(enabled)
        self.variety_box.blockSignals(False)
        caps = [f"{n} per {what}" for n, what in ((per_artist, "artist"), (per_album, "album")) if n]
        self.variety_box.setToolTip(
            f"Variety: at most {' and '.join(caps)} in the list (Settings to change the numbers)" if caps
            else "Variety: no limits set in Settings")

    # --- requests -------------------------------------------------------------------------------
    @property
    def current_request_id(self) -> int:
        return self._request_id

    def anchors(self) -> list:
        return list(self._anchors)

    def begin_request(self, anchors: list, busy_text: str = "", title: str = "") -> int:
        """Start showing results for `anchors` (under `title`, else "Like …"); earlier requests go stale."""
        self._request_id += 1
        self._anchors = list(anchors)
        self.model.anchor_title = track_title(anchors[0]) if len(anchors) == 1 else ""
        if title:
            self.header.setText(title)
        elif len(anchors) == 1:
            track = anchors[0]
            artist = f" — {track.artist}" if getattr(track, "artist", "") else ""
            self.header.setText(f"Like “{track_title(track)}”{artist}")
        else:
            self.header.setText(f"Like the {len(anchors)} selected tracks")
        self._set_note("")
        self.model.set_rows([])
        self._show_why()
        self._set_busy(busy_text)
        self._update_buttons()
        self.show_anchor_art(None, None)
        self.anchorsChanged.emit(list(anchors))
        return self._request_id

    @Slot(object, object)
    def show_anchor_art(self, track, path) -> None:
        """The anchor's album art (an image file) or nothing; a late answer for an old anchor is ignored."""
        if track is not None and (len(self._anchors) != 1 or track is not self._anchors[0]):
            return
        show_art_in(self.anchor_art, path, ANCHOR_ART_SIZE)

    def set_busy(self, request_id: int, text: str) -> bool:
        if request_id != self._request_id:
            return False
        self._set_busy(text)
        return True

    def show_results(self, request_id: int, rows: list[RelevantRow], note: str = "",
                     keep_view: bool = False) -> bool:
        """Show `rows` for `request_id`; `keep_view`: the same request ranked again (more of the library
        analysed), so the selected and current tracks and the scroll position stay as the user left them."""
        if request_id != self._request_id:
            return False          # stale: a newer request owns the panel
        self._set_busy("")
        view = self._view_state() if keep_view else None
        self.model.set_rows(rows)
        if view is not None:
            self._restore_view(*view)
        self._show_why()
        self._fit_columns()
        self._set_note(note)
        self._update_buttons()
        return True

    def show_message(self, request_id: int, text: str) -> bool:
        if request_id != self._request_id:
            return False
        self._set_busy("")
        self.model.set_rows([])
        self._show_why()
        self._set_note(text)
        self._update_buttons()
        return True

    def is_busy(self) -> bool:
        return not self.busy_widget.isHidden()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """The Artist column only when there are artist tags and room for it beside readable titles."""
        rows = self.model.rows()
        artists = any(getattr(r.track, "artist", "") for r in rows)
        narrow = self.table.width() < ARTIST_COLUMN_MIN_PX
        self.table.setColumnHidden(2, bool(rows) and (not artists or narrow))
        if self.model.artist_in_title != (artists and narrow):
            self.model.artist_in_title = artists and narrow
            if rows:
                self.model.dataChanged.emit(self.model.index(0, 1), self.model.index(len(rows) - 1, 1))

    # --- internals ------------------------------------------------------------------------------
    def _view_state(self) -> tuple[list[int], int | None, int]:
        rows = self.model.rows()
        selected = [rows[i.row()].track.id for i in self.table.selectionModel().selectedRows()
                    if i.row() < len(rows)]
        current = self.table.currentIndex()
        current_id = rows[current.row()].track.id if current.isValid() and current.row() < len(rows) else None
        return selected, current_id, self.table.verticalScrollBar().value()

    def _restore_view(self, selected: list[int], current_id: int | None, scroll: int) -> None:
        row_of = {row.track.id: i for i, row in enumerate(self.model.rows())}
        selection = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag
        if current_id in row_of:
            selection.setCurrentIndex(self.model.index(row_of[current_id], 0), flags.NoUpdate)
        for track_id in selected:
            if track_id in row_of:
                selection.select(self.model.index(row_of[track_id], 0), flags.Select | flags.Rows)
        self.table.verticalScrollBar().setValue(scroll)

    def _show_why(self, *_args) -> None:
        """The detail under the list explains the current result (the first until one is picked)."""
        rows = self.model.rows()
        current = self.table.currentIndex()
        row = rows[current.row()] if current.isValid() and current.row() < len(rows) else (rows or [None])[0]
        if row is None or row.why is None:
            self.why_detail.show_why(None)
            return
        self.why_detail.show_why(row.why, self.model.anchor_title, track_title(row.track))

    def _set_note(self, text: str) -> None:
        self.subheader.setText(text)
        self.subheader.setVisible(bool(text))

    def _set_busy(self, text: str) -> None:
        self.busy_label.setText(text)
        self.busy_widget.setVisible(bool(text))

    def _tracks(self) -> list:
        return [row.track for row in self.model.rows()]

    def _update_buttons(self) -> None:
        has_rows = self.model.rowCount() > 0
        self.play_all_button.setEnabled(has_rows)
        self.enqueue_button.setEnabled(has_rows)

    def _on_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.playRequested.emit(self._tracks(), index.row())

    def selected_tracks(self) -> list:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        results = self.model.rows()
        return [results[row].track for row in rows if row < len(results)]

    def _show_context_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if not index.isValid() or self.menu_for_tracks is None:
            return
        if not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            self.table.selectRow(index.row())   # right-click on an unselected row: that row
        tracks = self.selected_tracks()
        if not tracks:
            return
        self.context_menu = self.menu_for_tracks(tracks)
        self.context_menu.popup(self.table.viewport().mapToGlobal(position))

    def _emit_all(self, play: bool) -> None:
        tracks = self._tracks()
        if not tracks:
            return
        if play:
            self.playRequested.emit(tracks, 0)
        else:
            self.enqueueRequested.emit(tracks)


class AnalysisStatusWidget(QWidget):
    """Status-bar piece: one sentence that matches the state ("No tracks to analyse", "Analysing 12 of 50
    on CPU", "Analysed 50 tracks on CPU"), a progress bar while working, tracks/s, pause/resume."""

    pauseToggled = Signal(bool)     # True = pause requested

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("analysisStatus")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.device_label = QLabel("Analysis starting…", self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setMaximumWidth(160)
        self.progress_bar.setMaximumHeight(14)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.hide()
        self.rate_label = QLabel("", self)
        self.pause_button = QToolButton(self)
        self.pause_button.setCheckable(True)
        self.pause_button.setText("Pause")
        self.pause_button.setToolTip("Pause or resume the background analysis")
        self.pause_button.toggled.connect(self._on_toggled)
        for widget in (self.device_label, self.progress_bar, self.rate_label, self.pause_button):
            layout.addWidget(widget)
        self._device = ""
        self._done = 0
        self._total: int | None = None   # None until the worker reports its first progress
        self._paused = False
        self._failed = False

    def text(self) -> str:
        return self.device_label.text()

    def set_device(self, device: str) -> None:
        self._device = device
        self.device_label.setToolTip(f"Analysis runs on {device}" if device else "")
        self._render()

    def set_progress(self, done: int, total: int, tracks_per_s: float) -> None:
        self._done, self._total = max(0, done), max(0, total)
        working = 0 < self._total and self._done < self._total
        self.progress_bar.setRange(0, max(self._total, 1))
        self.progress_bar.setValue(min(self._done, self._total))
        self.progress_bar.setVisible(working)
        self.rate_label.setText(f"{tracks_per_s:.1f} tracks/s" if working and tracks_per_s > 0 else "")
        self.pause_button.setVisible(working)
        self._render()

    def set_paused(self, paused: bool) -> None:
        """Reflect the worker's state without echoing it back as a request."""
        self._paused = paused
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.blockSignals(False)
        self._render()

    def set_error(self, text: str) -> None:
        self._failed = True
        self.device_label.setText("Analysis unavailable")
        self.device_label.setToolTip(text)
        self.progress_bar.hide()
        self.rate_label.setText("")
        self.pause_button.hide()

    def clear_error(self) -> None:
        """The analysis runs again (a library change restarted it after a fault)."""
        self._failed = False
        self.device_label.setToolTip(f"Analysis runs on {self._device}" if self._device else "")
        self._render()

    def _render(self) -> None:
        if self._failed:
            return
        kind = ("GPU" if self._device.upper().startswith("GPU") else "CPU") if self._device else ""
        on = f" on {kind}" if kind else ""
        done, total = self._done, self._total
        if total is None:
            text = f"Analysing{on}" if kind else "Analysis starting…"
        elif total == 0:
            text = "No tracks to analyse"
        elif done >= total:
            text = f"Analysed {total:,} track{'s' if total != 1 else ''}{on}"
        elif self._paused:
            text = f"Analysis paused at {done:,} of {total:,}"
        else:
            text = f"Analysing {done:,} of {total:,}{on}"
        self.device_label.setText(text)

    def _on_toggled(self, checked: bool) -> None:
        self.pause_button.setText("Resume" if checked else "Pause")
        self._paused = checked
        self._render()
        self.pauseToggled.emit(checked)
