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


@dataclass
class _Declared:
    text: str
    callback: TrackCallback
    icon: QIcon | None
    needs_playable: bool     # disabled unless one of the tracks can be played
    builtin: bool            # the player's own actions come first, features' after a separator
    action: QAction          # the library's instance (acts on the selection)


def playable(tracks: list) -> list:
    return [t for t in tracks if getattr(t, "error", None) is None]


class TrackActions:
    def __init__(self, owner: QWidget, selected: Callable[[], list]) -> None:
        self._owner = owner
        self._selected = selected
        self._declared: list[_Declared] = []

    def declare(self, text: str, callback: TrackCallback, icon: QIcon | None = None, *,
                needs_playable: bool = False, builtin: bool = False) -> QAction:
        """Declare an action; returns the library's QAction (add a shortcut to it as needed)."""
        action = QAction(text, self._owner)
        if icon is not None:
            action.setIcon(icon)
        action.triggered.connect(lambda: callback(self._selected()))
        self._declared.append(_Declared(text, callback, icon, needs_playable, builtin, action))
        self.update_state()
        return action

    def library_actions(self, builtin: bool) -> list[QAction]:
        return [d.action for d in self._declared if d.builtin == builtin]

    def menu(self, parent: QWidget, tracks: list | None = None) -> QMenu:
        """The context menu for `tracks`, or for the library's selection when None."""
        menu = QMenu(parent)
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
            declared.action.setEnabled(self._enabled(declared, tracks))

    @staticmethod
    def _enabled(declared: _Declared, tracks: list) -> bool:
        return bool(playable(tracks)) if declared.needs_playable else bool(tracks)

    def _bound(self, declared: _Declared, tracks: list, menu: QMenu) -> QAction:
        action = QAction(declared.text, menu)
        if declared.icon is not None:
            action.setIcon(declared.icon)
        action.setEnabled(self._enabled(declared, tracks))
        action.triggered.connect(lambda: declared.callback(tracks))
        return action
