"""Restore on restart: the up-next queue, the current track (paused at its position), volume and mute.

The snapshot and its text form are core logic (`fmaplayer.audio.session`); this only reads and writes it
through the settings' state group when the window opens and closes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject

from fmaplayer.audio.session import PlaybackSession, capture, resolve
from fmaplayer.settings import Settings

STATE_NAME = "playback_session"


class SessionKeeper(QObject):
    def __init__(self, settings: Settings, player: Any, library_tracks: Callable[[], Iterable[Any]],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._player = player
        self._library_tracks = library_tracks
        self.missing: list[str] = []  # saved queue entries no longer in the library (last restore)

    def restore(self) -> bool:
        """Put the saved session back; True when a queue came back."""
        session = PlaybackSession.from_json(self._settings.state(STATE_NAME))
        self._player.set_volume(session.volume)
        if hasattr(self._player, "set_muted"):
            self._player.set_muted(session.muted)
        tracks, current, self.missing = resolve(session, self._library_tracks())
        if not tracks:
            return False
        cue = getattr(self._player, "cue", None)
        if current >= 0 and cue is not None:
            cue(tracks, current, session.position)
        else:
            self._player.queue.replace(tracks)
        return True

    def save(self) -> None:
        self._settings.save_state(STATE_NAME, capture(self._player).to_json())
