"""The track actions (Play, Play next, Add to queue, Show in folder, and what features add, such as
"Get relevant songs"), declared once and offered wherever tracks are listed: the library table and the
relevant-songs panel build their context menus from the same `TrackActions`.

The library's menu uses persistent QActions that act on the table's selection (they also carry
shortcuts, e.g. Enter = Play); a menu for other tracks (a panel's results) gets fresh QActions from the
same declarations, bound to those tracks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QWidget

TrackCallback = Callable[[list], None]


@dataclass(frozen=True)
class ActionState:
    """How an action shows for some tracks: enabled or not, its text (None: as declared) and a tooltip
    (the reason, when it is disabled)."""
    enabled: bool
    text: str | None = None
    tip: str = ""


Describe = Callable[[str, list], ActionState]   # (declared text, tracks) -> state


@dataclass
class _Declared:
    text: str
    callback: TrackCallback
    icon: QIcon | None
    needs_playable: bool     # disabled unless one of the tracks can be played
    builtin: bool            # the player's own actions come first, features' after a separator
    action: QAction          # the library's instance (acts on the selection)
    describe: Describe | None = None   # instead of needs_playable: the state for these tracks


def playable(tracks: list) -> list:
    return [t for t in tracks if getattr(t, "error", None) is None]


def _title(track) -> str:
    title = getattr(track, "display_title", None) or getattr(track, "title", "")
    return title or str(getattr(track, "path", ""))


def needs_readable(text: str, tracks: list) -> ActionState:
    """Disabled, saying why, when every track is a file that could not be read (it was never analysed)."""
    if not tracks:
        return ActionState(False)
    if playable(tracks):
        return ActionState(True)
    if len(tracks) == 1:
        track = tracks[0]
        return ActionState(False, f"{text} (the file could not be read)",
                           f"“{_title(track)}” could not be read ({track.error}), so it was not analysed.")
    return ActionState(False, f"{text} (the files could not be read)",
                       "None of the selected files could be read, so none was analysed.")


class TrackActions:
    def __init__(self, owner: QWidget, selected: Callable[[], list]) -> None:
        self._owner = owner
        self._selected = selected
        self._declared: list[_Declared] = []

    def declare(self, text: str, callback: TrackCallback, icon: QIcon | None = None, *,
                needs_playable: bool = False, builtin: bool = False,
                describe: Describe | None = None) -> QAction:
        """Declare an action; returns the library's QAction (add a shortcut to it as needed).
        `describe(text, tracks)` decides its state, text and tooltip for the tracks (e.g. needs_readable)."""
        action = QAction(text, self._owner)
        if icon is not None:
            action.setIcon(icon)
        action.triggered.connect(lambda: callback(self._selected()))
        self._declared.append(_Declared(text, callback, icon, needs_playable, builtin, action, describe))
        self.update_state()
        return action

    def library_actions(self, builtin: bool) -> list[QAction]:
        return [d.action for d in self._declared if d.builtin == builtin]

    def menu(self, parent: QWidget, tracks: list | None = None) -> QMenu:
        """The context menu for `tracks`, or for the library's selection when None."""
        menu = QMenu(parent)
        menu.setToolTipsVisible(True)     # a disabled entry's tooltip says why
        for builtin in (True, False):
            group = [d for d in self._declared if d.builtin == builtin]
            if not group:
                continue
            if not menu.isEmpty():
                menu.addSeparator()
            for declared in group:
                bound = declared.action if tracks is None else self._bound(declared, list(tracks), menu)
                menu.addAction(bound)
        return menu

    def update_state(self, tracks: list | None = None) -> None:
        tracks = self._selected() if tracks is None else tracks
        for declared in self._declared:
            self._apply(declared, declared.action, tracks)

    @staticmethod
    def _state(declared: _Declared, tracks: list) -> ActionState:
        if declared.describe is not None:
            return declared.describe(declared.text, tracks)
        return ActionState(bool(playable(tracks)) if declared.needs_playable else bool(tracks))

    def _apply(self, declared: _Declared, action: QAction, tracks: list) -> None:
        state = self._state(declared, tracks)
        action.setEnabled(state.enabled)
        action.setText(state.text or declared.text)
        action.setToolTip(state.tip)        # empty: Qt shows the text
        action.setStatusTip(state.tip)

    def _bound(self, declared: _Declared, tracks: list, menu: QMenu) -> QAction:
        action = QAction(declared.text, menu)
        if declared.icon is not None:
            action.setIcon(declared.icon)
        self._apply(declared, action, tracks)
        action.triggered.connect(lambda: declared.callback(tracks))
        return action
