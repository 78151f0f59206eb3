"""The play queue: an ordered list of tracks and the index of the one playing (QtCore only)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal


class PlayQueue(QObject):
    """``changed`` fires after every edit, ``currentChanged(int)`` when the current index moves.

    ``current_index`` is -1 when nothing is selected. Removing the current item keeps playback going:
    the index steps back so that ``next`` plays the item that followed it.
    """

    changed = Signal()
    currentChanged = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list = []
        self._current = -1

    def items(self) -> list:
        return list(self._items)

    def view(self) -> Sequence:
        """The entries themselves, not a copy (O(1)): read them, never change them, and not past the next
        edit. For the player's per-track decisions on a queue of 100,000 entries."""
        return self._items

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int):
        return self._items[index]

    @property
    def current_index(self) -> int:
        return self._current

    def current(self):
        return self._items[self._current] if 0 <= self._current < len(self._items) else None

    def set_current(self, index: int) -> None:
        index = index if 0 <= index < len(self._items) else -1
        if index != self._current:
            self._current = index
            self.currentChanged.emit(index)

    def has_next(self) -> bool:
        return self._current + 1 < len(self._items)

    def append(self, tracks: Iterable) -> None:
        tracks = list(tracks)
        if tracks:
            self._items.extend(tracks)
            self.changed.emit()

    def insert_next(self, tracks: Iterable) -> None:
        """Insert right after the current track (at the front when nothing plays)."""
        tracks = list(tracks)
        if tracks:
            at = self._current + 1
            self._items[at:at] = tracks
            self.changed.emit()

    def insert(self, at: int, tracks: Iterable) -> None:
        """Insert before position ``at`` (clamped; ``len`` appends); the playing item stays current."""
        tracks = list(tracks)
        if not tracks:
            return
        at = max(0, min(int(at), len(self._items)))
        self._items[at:at] = tracks
        moved = 0 <= self._current and at <= self._current
        if moved:
            self._current += len(tracks)
        self.changed.emit()
        if moved:
            self.currentChanged.emit(self._current)

    def move(self, positions: Iterable[int], to: int) -> list[int]:
        """Move the items at ``positions`` (kept in their order) to just before the item now at ``to``
        (``len`` moves them to the end). The playing item stays current. Returns their new positions."""
        picked = sorted({p for p in positions if 0 <= p < len(self._items)})
        if not picked:
            return []
        to = max(0, min(int(to), len(self._items)))
        current_item = self.current()
        had_current = self._current
        chosen = set(picked)
        moving = [self._items[p] for p in picked]
        rest = [item for p, item in enumerate(self._items) if p not in chosen]
        at = to - sum(1 for p in picked if p < to)
        self._items = rest[:at] + moving + rest[at:]
        if had_current >= 0:
            # Find the playing entry by identity: equal tracks may appear twice in a queue.
            self._current = next(i for i, item in enumerate(self._items) if item is current_item)
        self.changed.emit()
        if self._current != had_current:
            self.currentChanged.emit(self._current)
        return list(range(at, at + len(moving)))

    def replace(self, tracks: Iterable, current: int = -1) -> None:
        self._items = list(tracks)
        self._current = -1
        self.changed.emit()
        self.set_current(current)

    def remove(self, index: int) -> None:
        if not 0 <= index < len(self._items):
            raise IndexError(index)
        del self._items[index]
        moved = index <= self._current
        if moved:
            self._current -= 1
        self.changed.emit()
        if moved:
            self.currentChanged.emit(self._current)

    def remove_where(self, gone: Callable[[Any], bool]) -> int:
        """Remove every entry for which ``gone(entry)`` is true, as one edit; returns how many went.
        The current index moves as ``remove`` moves it: onto the entry before a removed current one."""
        kept = [i for i, item in enumerate(self._items) if not gone(item)]
        removed = len(self._items) - len(kept)
        if not removed:
            return 0
        had_current = self._current
        if had_current >= 0:
            self._current = sum(1 for i in kept if i <= had_current) - 1
        self._items = [self._items[i] for i in kept]
        self.changed.emit()
        if self._current != had_current:
            self.currentChanged.emit(self._current)
        return removed

    def clear(self) -> None:
        had = bool(self._items) or self._current != -1
        self._items.clear()
        if self._current != -1:
            self._current = -1
            self.currentChanged.emit(-1)
        if had:
            self.changed.emit()
