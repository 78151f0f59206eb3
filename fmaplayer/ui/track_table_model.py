"""The library table: a flat QAbstractTableModel over a list of Tracks, with its own filter and sort.

Filtering and sorting work on index arrays instead of a QSortFilterProxyModel, because a proxy calls back
into Python once per row and per keystroke, which does not stay interactive at 100,000 rows. Instead:
- each track gets one precomputed lowercase "haystack" string (title, artist, album, genre, predicted
  genre) and a filter is a list comprehension of `token in haystack` — a few milliseconds for 100k rows,
  and typing that extends the previous query only searches the previous matches;
- sorting is a numpy lexsort of per-column keys, built lazily, with ties broken by the library's natural
  order (artist, album, track number, title);
- the visible rows are `order[mask[order]]`, one vectorised step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from fmaplayer.library.reachability import is_unavailable_reason
from fmaplayer.ui.text import display_text, format_duration, plain_tooltip

TRACK_ROLE = Qt.ItemDataRole.UserRole + 1
_SORT_KEY_CHARS = 48  # enough to order by; keeps numpy string arrays small even with huge tags
_HAYSTACK_FIELD_CHARS = 512
_MATCH_CACHE_SIZE = 32
NOT_ANALYSED_TIP = ("No genre shown: this track is not analysed yet. The predicted genre appears once the "
                    "background analysis reaches it (progress in the status bar).")
NOT_CONFIDENT_TIP = "No genre shown: the model is not confident enough about this track's genre."
PREDICTED_HEADER_TIP = ("Genre predicted from the audio by the bundled model. Empty when the model is not "
                        "confident enough, or before the track is analysed: hover a cell to see which. "
                        "The filter searches these genres too.")


class Column(IntEnum):
    TITLE = 0
    ARTIST = 1
    ALBUM = 2
    GENRE = 3
    PREDICTED_GENRE = 4
    YEAR = 5
    TRACK = 6
    DURATION = 7
    STATUS = 8


COLUMN_TITLES = {
    Column.TITLE: "Title",
    Column.ARTIST: "Artist",
    Column.ALBUM: "Album",
    Column.GENRE: "Genre",
    Column.PREDICTED_GENRE: "Genre (predicted)",
    Column.YEAR: "Year",
    Column.TRACK: "Track",
    Column.DURATION: "Duration",
    Column.STATUS: "Status",
}
DEFAULT_COLUMN_WIDTHS = {
    Column.TITLE: 250,
    Column.ARTIST: 200,
    Column.ALBUM: 170,
    Column.GENRE: 100,
    Column.PREDICTED_GENRE: 135,
    Column.YEAR: 54,
    Column.TRACK: 52,
    Column.DURATION: 72,
    Column.STATUS: 100,   # empty but for unreadable files; the whole reason is in its tooltip
}
_NUMERIC_COLUMNS = (Column.YEAR, Column.TRACK, Column.DURATION)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ITEM_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_NUMERIC_COLUMN_INTS = frozenset(int(c) for c in _NUMERIC_COLUMNS)
_TITLE_COLUMN = int(Column.TITLE)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_HANDLED_ROLES = frozenset((_DISPLAY, _TOOLTIP, _ALIGNMENT, _FOREGROUND, _FONT, _DECORATION, int(TRACK_ROLE)))


_EMPTY_SORTS_LAST = "\U0010ffff"
_MISSING_NUMBER = 2**62


_DIGITS = re.compile(r"\d+")


def _number_key(match: re.Match) -> str:
    digits = match.group().lstrip("0") or "0"
    return chr(0x30 + min(len(digits), 40)) + digits     # the length first: 9 < 10 as numbers, not as text


def natural_text(value: str) -> str:
    """The sort text of a name as file managers order names: numbers by their value (track1, track2,
    track10), case ignored. A run of digits becomes its length (one character between '1' and 'X', so
    still before letters, as digits were) and the digits without leading zeros."""
    value = value.casefold()
    return _DIGITS.sub(_number_key, value) if _DIGITS.search(value) else value


def _text_key(values: Iterable[str]) -> np.ndarray:
    # Empty values sort after everything else (a track with no artist is not "first"). The fixed-width
    # dtype truncates long values itself: no per-item slicing in Python.
    return np.array([natural_text(value) or _EMPTY_SORTS_LAST for value in values],
                    dtype=f"U{_SORT_KEY_CHARS}")


def _haystacks(tracks: Sequence[Any], predicted: dict[int, str]) -> list[str]:
    """One lowercase search string per track (title or file name, artist, album, genre, predicted genre)."""
    hay = [f"{t.title or t.display_title}\n{t.artist}\n{t.album}\n{t.genre}\n{predicted.get(t.id, '')}"
           .casefold() for t in tracks]
    limit = 5 * _HAYSTACK_FIELD_CHARS
    for i, text in enumerate(hay):
        if len(text) > limit:  # a huge tag: keep a bounded prefix of each field
            t = tracks[i]
            fields = (t.title or t.display_title, t.artist, t.album, t.genre, predicted.get(t.id, ""))
            hay[i] = "\n".join((f or "")[:_HAYSTACK_FIELD_CHARS] for f in fields).casefold()
    return hay


class TrackTableModel(QAbstractTableModel):
    """Rows are the visible (filtered, sorted) tracks; `track_at(row)` maps back to a Track."""

    visibleRowsChanged = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._tracks: list[Any] = []
        self._haystacks: list[str] = []
        self._unreadable = np.zeros(0, dtype=bool)
        self._unavailable = 0
        self._keys: dict[Column, np.ndarray] = {}
        self._natural_rank: np.ndarray | None = None
        self._natural_sorted: np.ndarray | None = None
        self._sort_column: int = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._order = np.zeros(0, dtype=np.int64)
        self._filter_text = ""
        self._filter_matches: np.ndarray | None = None  # indices into _tracks, None = no text filter
        self._match_cache: dict[str, np.ndarray] = {}
        self._only_unreadable = False
        self._rows = np.zeros(0, dtype=np.int64)
        self._row_of_index: np.ndarray | None = None
        self._index_of_id: dict[int, int] = {}
        self._predicted: dict[int, str] = {}
        # track id -> tooltip text for the predicted-genre cell (set by the recommendations glue)
        self.genre_tooltip: Callable[[int], str | None] | None = None
        self._current_id: int | None = None
        self._icons: dict[str, QIcon] = {}
        self._cached: dict[str, Any] = {}

    # ---- content -------------------------------------------------------------------------------
    def set_tracks(self, tracks: Sequence[Any]) -> None:
        """Replace the whole library; the current filter and sort are kept."""
        self.beginResetModel()
        self._tracks = list(tracks)
        self._haystacks = _haystacks(self._tracks, self._predicted)
        self._match_cache.clear()
        self._unreadable = np.fromiter((t.error is not None for t in self._tracks), bool, len(self._tracks))
        # counted once per load: the status bar asks on every filter keystroke
        self._unavailable = sum(1 for t in self._tracks if t.error and is_unavailable_reason(t.error))
        self._index_of_id = {track.id: i for i, track in enumerate(self._tracks)}
        self._keys.clear()
        self._natural_rank = None
        self._natural_sorted = None
        self._order = self._sorted_order()
        self._filter_matches = self._match(self._filter_text, None) if self._filter_text.strip() else None
        self._update_rows()
        self.endResetModel()
        self.visibleRowsChanged.emit()

    def all_tracks(self) -> list[Any]:
        return list(self._tracks)

    def sorted_tracks(self) -> list[Any]:
        """Every track in the table's sort order, the filter ignored."""
        return [self._tracks[i] for i in self._order]

    def total_count(self) -> int:
        return len(self._tracks)

    def unreadable_count(self) -> int:
        """Tracks with a problem: unreadable files and unavailable ones (folder not reachable)."""
        return int(self._unreadable.sum())

    def unavailable_count(self) -> int:
        """Of those, tracks kept while their folder cannot be seen (an unplugged drive): not broken."""
        return self._unavailable

    def track_at(self, row: int) -> Any | None:
        if 0 <= row < len(self._rows):
            return self._tracks[self._rows[row]]
        return None

    def tracks_at_rows(self, rows: Iterable[int]) -> list[Any]:
        return [track for track in (self.track_at(row) for row in rows) if track is not None]

    def visible_tracks(self, start_row: int = 0) -> list[Any]:
        return [self._tracks[i] for i in self._rows[max(0, start_row):]]

    def row_of_track(self, track_id: int) -> int:
        """The visible row showing `track_id`, or -1 when it is filtered out or unknown."""
        index = self._index_of_id.get(track_id)
        if index is None:
            return -1
        if self._row_of_index is None:
            self._row_of_index = np.full(len(self._tracks), -1, dtype=np.int64)
            self._row_of_index[self._rows] = np.arange(len(self._rows))
        return int(self._row_of_index[index])

    # ---- predicted genres / now playing --------------------------------------------------------
    def set_predicted_genres(self, genres: dict[int, str]) -> None:
        """Replace all predicted genres (track id -> genre)."""
        self._predicted = dict(genres)
        self._haystacks = _haystacks(self._tracks, self._predicted)
        self._refresh_predicted()

    def update_predicted_genres(self, genres: dict[int, str]) -> None:
        """Merge a batch of predicted genres into the ones already shown."""
        self._predicted.update(genres)
        indices = [i for i in (self._index_of_id.get(track_id) for track_id in genres) if i is not None]
        for i, text in zip(indices, _haystacks([self._tracks[i] for i in indices], self._predicted),
                           strict=True):
            self._haystacks[i] = text
        self._refresh_predicted()

    def predicted_genre(self, track_id: int) -> str:
        return self._predicted.get(track_id, "")

    def _refresh_predicted(self) -> None:
        self._keys.pop(Column.PREDICTED_GENRE, None)
        self._match_cache.clear()   # a filter may now match a predicted genre (or no longer)
        if self._filter_text.strip():
            matches = self._match(self._filter_text, None)
            if not np.array_equal(matches, self._filter_matches):
                self._filter_matches = matches
                self._reset_rows()
                return
        if self._rows.size:
            column = int(Column.PREDICTED_GENRE)
            self.dataChanged.emit(self.index(0, column), self.index(len(self._rows) - 1, column))

    def set_current_track_id(self, track_id: int | None) -> None:
        previous, self._current_id = self._current_id, track_id
        for changed in (previous, track_id):
            if changed is None:
                continue
            row = self.row_of_track(changed)
            if row >= 0:
                self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    # ---- filter ------------------------------------------------------------------------------------
    def filter_text(self) -> str:
        return self._filter_text

    def set_filter_text(self, text: str) -> None:
        if text == self._filter_text:
            return
        previous_text, previous_matches = self._filter_text, self._filter_matches
        self._filter_text = text
        if not text.strip():
            self._filter_matches = None
        else:
            key = " ".join(text.casefold().split())
            cached = self._match_cache.pop(key, None)
            if cached is None:
                # Typing more characters can only narrow the matches: search within the previous ones.
                narrowing = (previous_matches is not None
                             and text.casefold().startswith(previous_text.casefold()))
                cached = self._match(text, previous_matches if narrowing else None)
            self._match_cache[key] = cached  # most recent last; deleting characters finds them again
            while len(self._match_cache) > _MATCH_CACHE_SIZE:
                del self._match_cache[next(iter(self._match_cache))]
            self._filter_matches = cached
        self._reset_rows()

    def set_only_unreadable(self, only: bool) -> None:
        if only != self._only_unreadable:
            self._only_unreadable = only
            self._reset_rows()

    def only_unreadable(self) -> bool:
        return self._only_unreadable

    def _match(self, text: str, candidates: np.ndarray | None) -> np.ndarray:
        tokens = text.casefold().split()
        hay = self._haystacks
        if len(tokens) == 1:
            token = tokens[0]
            if candidates is None:
                hits = [i for i, h in enumerate(hay) if token in h]
            else:
                hits = [i for i in candidates.tolist() if token in hay[i]]
        else:
            pool = range(len(hay)) if candidates is None else candidates.tolist()
            hits = [i for i in pool if all(token in hay[i] for token in tokens)]
        return np.fromiter(hits, dtype=np.int64, count=len(hits))

    # ---- sort --------------------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column, self._sort_order = column, order
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        tracked = [(index, self.track_at(index.row())) for index in persistent]
        self._order = self._sorted_order()
        self._update_rows()
        # Keep the view's current item and selection anchors on the same tracks.
        old = [QModelIndex(index) for index, _ in tracked]
        new = [
            self.index(self.row_of_track(track.id), index.column()) if track is not None else QModelIndex()
            for index, track in tracked
        ]
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def sort_column(self) -> int:
        return self._sort_column

    def _sorted_order(self) -> np.ndarray:
        n = len(self._tracks)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        column = self._sort_column
        if column < 0 or column >= len(Column):
            return np.arange(n, dtype=np.int64)
        key = self._key(Column(column))
        if column == Column.ARTIST:
            order = self._natural_order()  # artist is the first key of the natural order
        else:
            order = np.lexsort((self._natural(), key))
        if self._sort_order == Qt.SortOrder.DescendingOrder:
            order = order[::-1]
            if column != Column.STATUS:  # missing values (empty text, no year...) stay at the end
                empty = key[order] == (_EMPTY_SORTS_LAST if key.dtype.kind == "U" else _MISSING_NUMBER)
                if empty.any():
                    order = np.concatenate((order[~empty], order[empty]))
        return order.astype(np.int64, copy=False)

    def _natural_order(self) -> np.ndarray:
        """Track indices in the library's natural order: artist, album, track number, title."""
        if self._natural_sorted is None:
            keys = (Column.TITLE, Column.TRACK, Column.ALBUM, Column.ARTIST)  # last key sorts first
            self._natural_sorted = np.lexsort(tuple(self._key(column) for column in keys))
        return self._natural_sorted

    def _natural(self) -> np.ndarray:
        """Rank of each track in the natural order (the tie-breaker of every column sort)."""
        if self._natural_rank is None:
            order = self._natural_order()
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            self._natural_rank = rank
        return self._natural_rank

    def _key(self, column: Column) -> np.ndarray:
        key = self._keys.get(column)
        if key is not None:
            return key
        tracks = self._tracks
        if column == Column.TITLE:
            key = _text_key(t.title or t.display_title for t in tracks)
        elif column == Column.ARTIST:
            key = _text_key(t.artist or "" for t in tracks)
        elif column == Column.ALBUM:
            key = _text_key(t.album or "" for t in tracks)
        elif column == Column.GENRE:
            key = _text_key(t.genre or "" for t in tracks)
        elif column == Column.PREDICTED_GENRE:
            key = _text_key(self._predicted.get(t.id, "") for t in tracks)
        elif column == Column.YEAR:  # missing numbers sort last, like empty text
            key = np.fromiter((t.year or _MISSING_NUMBER for t in tracks), np.int64, len(tracks))
        elif column == Column.TRACK:
            key = np.fromiter((t.track_no or _MISSING_NUMBER for t in tracks), np.int64, len(tracks))
        elif column == Column.DURATION:
            key = np.fromiter((t.duration or _MISSING_NUMBER for t in tracks), np.float64, len(tracks))
        else:
            key = self._unreadable.astype(np.int64)
        self._keys[column] = key
        return key

    # ---- rows --------------------------------------------------------------------------------------
    def _update_rows(self) -> None:
        order = self._order
        if self._filter_matches is not None or self._only_unreadable:
            mask = np.ones(len(self._tracks), dtype=bool)
            if self._filter_matches is not None:
                mask[:] = False
                mask[self._filter_matches] = True
            if self._only_unreadable:
                mask &= self._unreadable
            order = order[mask[order]]
        self._rows = order
        self._row_of_index = None

    def _reset_rows(self) -> None:
        self.beginResetModel()
        self._update_rows()
        self.endResetModel()
        self.visibleRowsChanged.emit()

    # ---- Qt model API ----------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMN_TITLES[Column(section)]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in _NUMERIC_COLUMNS:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and section == Column.PREDICTED_GENRE:
            return PREDICTED_HEADER_TIP
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _ITEM_FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        # Called ~10 times per visible cell per repaint: reject unused roles first, compare plain ints.
        role = int(role)
        if role not in _HANDLED_ROLES:
            return None
        row = index.row()
        if row < 0 or row >= len(self._rows):
            return None
        track = self._tracks[self._rows[row]]
        column = index.column()
        if role == _DISPLAY:
            return _DISPLAY_FUNCS[column](self, track) if 0 <= column < len(_DISPLAY_FUNCS) else None
        if role == _ALIGNMENT:
            return _RIGHT if column in _NUMERIC_COLUMN_INTS else None
        if role == _FOREGROUND:
            return self._disabled_brush() if track.error is not None else None
        if role == _FONT:
            return self._bold_font() if track.id == self._current_id else None
        if role == _DECORATION:
            if column != _TITLE_COLUMN:
                return None
            if track.id == self._current_id:
                return self._icon("playing", QStyle.StandardPixmap.SP_MediaPlay)
            if track.error is not None:
                return self._icon("unreadable", QStyle.StandardPixmap.SP_MessageBoxWarning)
            return None
        if role == _TOOLTIP:
            return self._tooltip(track, column)
        if role == TRACK_ROLE:
            return track
        return None

    def _display(self, track: Any, column: int) -> str:
        return _DISPLAY_FUNCS[column](self, track)

    def _disabled_brush(self):
        brush = self._cached.get("disabled")
        if brush is None:
            brush = QGuiApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            self._cached["disabled"] = brush
        return brush

    def _bold_font(self) -> QFont:
        font = self._cached.get("bold")
        if font is None:
            font = QFont()
            font.setBold(True)
            self._cached["bold"] = font
        return font

    def _tooltip(self, track: Any, column: int) -> str | None:
        if track.error is not None:
            # a masked track (its drive unplugged) is not damaged: say "Unavailable", as the reason does
            state = "Unavailable" if is_unavailable_reason(track.error) else "Unreadable"
            return plain_tooltip(f"{state}: {track.error}\n{track.path}")
        if column == Column.TITLE:
            return plain_tooltip(track.path)
        if column == Column.PREDICTED_GENRE:
            explained = self.genre_tooltip(track.id) if self.genre_tooltip is not None else None
            if explained:                              # the probabilities behind a shown or empty cell
                return plain_tooltip(explained)
            if track.id not in self._predicted:
                return NOT_ANALYSED_TIP
            if not self._predicted[track.id]:
                return NOT_CONFIDENT_TIP
        text = self._display(track, column)
        # Long values are elided in the cell; the tooltip shows them whole (still as plain text).
        return plain_tooltip(text) if len(text) > 24 else None

    def _icon(self, name: str, pixmap: QStyle.StandardPixmap) -> QIcon:
        icon = self._icons.get(name)
        if icon is None:
            icon = QApplication.style().standardIcon(pixmap)
            self._icons[name] = icon
        return icon


_DISPLAY_FUNCS = (
    lambda model, t: display_text(t.title or t.display_title),
    lambda model, t: display_text(t.artist),
    lambda model, t: display_text(t.album),
    lambda model, t: display_text(t.genre),
    lambda model, t: display_text(model._predicted.get(t.id, "")),
    lambda model, t: str(t.year) if t.year else "",
    lambda model, t: str(t.track_no) if t.track_no else "",
    lambda model, t: format_duration(t.duration) if t.duration else "",
    # the reason itself ("empty file (0 bytes)"), not a bare "Unreadable" with the reason in a tooltip
    lambda model, t: display_text(t.error, 200) if t.error is not None else "",
)
