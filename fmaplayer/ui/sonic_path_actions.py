"""'Path from here…': pick a target track, then play a queue that moves smoothly from one to the other.

The track menu (library and panel) gets "Path from here…"; it opens `PathTargetDialog`, a search list of
the analysed tracks (type to filter, arrows to move, Enter to choose, Esc to cancel). The path itself
is recommend/sonic_path.py; here it becomes the play queue and is listed in the relevant-songs panel
under "Path: A → B", each row's match being its closeness to the track before it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fmaplayer.recommend.sonic_path import DEFAULT_LENGTH, SonicPathError, SonicPathFinder
from fmaplayer.ui.relevant_panel import RelevantRow
from fmaplayer.ui.relevant_panel import track_title as _title
from fmaplayer.ui.text import display_text
from fmaplayer.ui.track_actions import ActionState, needs_readable

ACTION_TEXT = "Path from here…"
MAX_LISTED = 300        # matches shown at once: typing narrows the list, 100k rows would only slow it
MAX_LENGTH = 50


def _label(track) -> str:
    artist = getattr(track, "artist", "")
    return f"{_title(track)} — {artist}" if artist else _title(track)


def describe_start(text: str, tracks: list) -> ActionState:
    """The menu entry for `tracks`: a path starts from one track, the first (topmost) selected, so on a
    multi-selection the entry names it; a start that could not be read disables it, saying why."""
    tracks = [t for t in tracks if t is not None]
    state = needs_readable(text, tracks[:1])
    if not state.enabled or len(tracks) < 2:
        return state
    title = display_text(_title(tracks[0]))
    name = display_text(title, 40).replace("&", "&&")    # "&" would be a menu mnemonic
    return ActionState(True, f"Path from “{name}”…", f"A path starts from one track: the first selected, "
                       f"“{title}”. Select only the track to start from another one.")


class PathTargetDialog(QDialog):
    """Choose where the path goes: a filter box over the analysed tracks and the path's length."""

    def __init__(self, start, candidates: list, parent: QWidget | None = None,
                 length: int = DEFAULT_LENGTH) -> None:
        super().__init__(parent)
        self.setWindowTitle("Path from here")
        self.setObjectName("pathTargetDialog")
        self._candidates = [(t, _label(t).casefold()) for t in candidates]
        layout = QVBoxLayout(self)
        intro = QLabel(f"From “{_title(start)}” to… (type to search; Enter chooses, Esc cancels)", self)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search title or artist")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setUniformItemSizes(True)
        self.count_label = QLabel(self)
        self.length = QSpinBox(self)
        self.length.setRange(3, MAX_LENGTH)
        self.length.setValue(max(3, min(MAX_LENGTH, length)))
        self.length.setSuffix(" tracks")
        form = QFormLayout()
        form.addRow("Path length:", self.length)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.play_button = self.buttons.addButton("Play path", QDialogButtonBox.ButtonRole.AcceptRole)
        self.play_button.setDefault(True)
        self.buttons.accepted.connect(self._accept_current)
        self.buttons.rejected.connect(self.reject)
        for widget in (intro, self.search, self.list, self.count_label):
            layout.addWidget(widget)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._accept_current)
        self.list.itemActivated.connect(lambda _item: self._accept_current())
        self.list.currentItemChanged.connect(lambda *_: self._update_button())
        self.search.installEventFilter(self)
        self._filter("")
        self.resize(460, 420)
        self.search.setFocus()

    def chosen(self):
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        # Up/Down in the search box move through the list, so the keyboard never leaves the box
        if watched is self.search and event.type() == QEvent.Type.KeyPress and event.key() in (
                Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.list.keyPressEvent(event)
            return True
        return super().eventFilter(watched, event)

    def _filter(self, text: str) -> None:
        words = text.casefold().split()
        matches = [t for t, label in self._candidates if all(w in label for w in words)]
        self.list.clear()
        for track in matches[:MAX_LISTED]:
            item = QListWidgetItem(_label(track))
            item.setData(Qt.ItemDataRole.UserRole, track)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        more = f", the first {MAX_LISTED} shown" if len(matches) > MAX_LISTED else ""
        self.count_label.setText(f"{len(matches):,} analysed track{'s' if len(matches) != 1 else ''}{more}")
        self._update_button()

    def _update_button(self) -> None:
        self.play_button.setEnabled(self.list.currentItem() is not None)

    def _accept_current(self) -> None:
        if self.chosen() is not None:
            self.accept()


class SonicPathController(QObject):
    """The "Path from here…" action: dialog, path, queue, panel."""

    def __init__(self, window, index, panel, genres: dict[int, str], play: Callable[[list, int], None],
                 tracks_by_ids: Callable[[list[int]], list], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.index = index
        self.panel = panel
        self.genres = genres
        self.play = play
        self._tracks_by_ids = tracks_by_ids
        self.dialog: PathTargetDialog | None = None   # the open picker (tests drive it)
        self.last_path: list = []
        window.add_track_context_action(ACTION_TEXT, self.start_from, describe=describe_start)

    def start_from(self, tracks: list) -> None:
        tracks = [t for t in tracks if t is not None]
        if not tracks:
            return
        start = tracks[0]
        if getattr(start, "error", None):   # never analysed: "wait for the analysis" would be wrong
            self._say(start, f"“{_title(start)}” could not be read ({start.error}), so it has no place "
                             "on a path.")
            return
        if int(start.id) not in self.index:
            self._say(start, f"“{_title(start)}” has not been analysed yet, so it has no place on a path. "
                             "Wait for the analysis (status bar) and try again.")
            return
        candidates = [t for t in self._candidates() if int(t.id) != int(start.id) and int(t.id) in self.index]
        if not candidates:
            self._say(start, "A path needs a second analysed track; none is analysed yet.")
            return
        self.dialog = PathTargetDialog(start, candidates, self.window)
        self.dialog.accepted.connect(lambda: self._make_path(start, self.dialog))
        self.dialog.finished.connect(self._forget_dialog)
        self.dialog.open()

    def path_between(self, start, target, length: int = DEFAULT_LENGTH) -> list:
        """Build, queue and show the path; returns its tracks ([] with a message in the panel)."""
        finder = SonicPathFinder(self.index.ids(), self.index.similarity_rows())
        try:
            path = finder.path(int(start.id), int(target.id), length)
        except SonicPathError as exc:
            self._say(start, f"No path: {exc}.")
            return []
        by_id = {int(t.id): t for t in self._tracks_by_ids(path.ids)}
        if any(i not in by_id for i in path.ids):   # removed from the library meanwhile
            self._say(start, "No path: a track on it has just left the library; try again.")
            return []
        tracks = [by_id[i] for i in path.ids]
        request = self.panel.begin_request([start], title=f"Path: {_title(start)} → {_title(target)}")
        closeness = [1.0, *(1.0 - s for s in path.steps)]   # centred cosine to the track before
        rows = [RelevantRow(t, score, self.genres.get(int(t.id), "")) for t, score in zip(tracks, closeness,
                                                                                          strict=True)]
        shorter = "" if len(tracks) == length else f" (the library allowed {len(tracks)}, not {length})"
        note = (f"{len(tracks)} tracks{shorter}, each closer to “{_title(target)}” than the one before; "
                "Match = how close a track is to the one before it. Now playing as the queue.")
        self.last_path = tracks     # before the panel shows it: the sound map draws the path on its reset
        self.panel.show_results(request, rows, note)
        self.panel.show()
        self.panel.raise_()
        self.play(tracks, 0)
        return tracks

    # --- internals ------------------------------------------------------------------------------
    def _make_path(self, start, dialog: PathTargetDialog) -> None:
        target = dialog.chosen()
        if target is not None:
            self.path_between(start, target, dialog.length.value())

    def _forget_dialog(self, *_args) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None

    def _candidates(self) -> list:
        """The library's tracks as the window lists them (sorted as the user left the table)."""
        model = getattr(self.window, "track_table_model", None)
        if model is not None and hasattr(model, "sorted_tracks"):
            return model.sorted_tracks()
        return self._tracks_by_ids([int(i) for i in self.index.ids()])

    def _say(self, start, text: str) -> None:
        request = self.panel.begin_request([start], title=f"Path from “{_title(start)}”")
        self.panel.show_message(request, text)
        self.panel.show()
        self.panel.raise_()
