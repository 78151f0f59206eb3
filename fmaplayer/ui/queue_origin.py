"""Who filled the play queue: the app (a library run, a sonic path, relevant songs, "Continue with similar
songs") or the user (Play, Play next, Add to queue, a drop into "Up next", an opened playlist). A
double-click in the library replaces a queue the app filled, and keeps one the user built.

The queue stays the app's while its entries are the ones the app put there, in that order: the user may
remove some (Delete) without making it theirs. Any other change (adding, moving, replacing) makes it theirs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject, QTimer

LIBRARY = "library"          # the visible rows from a double-clicked one on
SUGGESTED = "suggested"      # a sonic path, relevant songs, the tracks "Continue with similar songs" added


def _is_subsequence(ids: list[int], of: list[int]) -> bool:
    remaining = iter(of)
    return all(any(i == j for j in remaining) for i in ids)


class QueueOrigin(QObject):
    def __init__(self, player: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._player = player
        self._ids: list[int] = []          # the app's entries, while the queue is the app's
        self.kind = ""                     # LIBRARY or SUGGESTED while the queue is the app's, else ""
        self._filling = False
        self._continuing = False
        player.queue.changed.connect(self._on_queue_changed)
        exhausted = getattr(player, "queueExhausted", None)
        if exhausted is not None:          # the player asks the continuation for more, then appends them
            exhausted.connect(self._on_exhausted)

    @contextmanager
    def filling(self, kind: str) -> Iterator[None]:
        """The app replaces the queue inside this block (player.play_tracks): it is the app's after it."""
        self._filling = True
        try:
            yield
        finally:
            self._filling = False
            self._take(kind)

    def is_apps(self) -> bool:
        return bool(self.kind)

    def upcoming(self) -> int:
        queue = self._player.queue
        return max(0, len(queue) - max(queue.current_index + 1, 0))

    def _take(self, kind: str) -> None:
        self.kind = kind
        self._ids = [int(t.id) for t in self._player.queue.items()] if kind else []

    def _on_exhausted(self) -> None:
        # The queue ran out: nothing of the user's is left up next, and what the continuation appends now is
        # the app's. The player appends synchronously; the flag ends with this event-loop turn regardless.
        self._continuing = True
        QTimer.singleShot(0, self._end_continuation)

    def _end_continuation(self) -> None:
        self._continuing = False

    def _on_queue_changed(self) -> None:
        if self._filling:        # play_tracks inside filling(): its kind is taken at the end
            return
        if self._continuing:     # the tracks "Continue with similar songs" appended
            self._continuing = False
            self._take(SUGGESTED)
            return
        ids = [int(t.id) for t in self._player.queue.items()]
        if self.kind and _is_subsequence(ids, self._ids):
            self._ids = ids                # entries removed: still the app's queue
        else:
            self._take("")
