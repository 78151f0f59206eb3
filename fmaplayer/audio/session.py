"""Where playback stood when the app quit: the queue, the current track and position, the volume. No Qt.

`capture(player)` takes a snapshot, `to_json` / `from_json` turn it into the text kept in the settings
(a damaged or foreign text gives an empty session, never an exception), and `resolve` maps the saved
paths back onto library tracks: paths are what survive a rebuilt database, ids are not.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

FORMAT_VERSION = 1
MAX_SAVED_ITEMS = 20_000  # a queue built from a 100k-row library: keep what a person could get through


@dataclass
class PlaybackSession:
    paths: list[str] = field(default_factory=list)
    current: int = -1
    position: float = 0.0
    volume: float = 1.0
    muted: bool = False

    def to_json(self) -> str:
        return json.dumps({"version": FORMAT_VERSION, "paths": self.paths, "current": self.current,
                           "position": round(self.position, 3), "volume": round(self.volume, 4),
                           "muted": self.muted}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> PlaybackSession:
        try:
            data = json.loads(text) if text else {}
            if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
                return cls()
            paths = [str(p) for p in data.get("paths", []) if isinstance(p, str)]
            current = int(data.get("current", -1))
            position = float(data.get("position", 0.0))
            volume = float(data.get("volume", 1.0))
            muted = bool(data.get("muted", False))
        except (TypeError, ValueError, RecursionError):   # RecursionError: a 50,000-deep JSON
            return cls()
        if not math.isfinite(position) or position < 0:
            position = 0.0
        if not math.isfinite(volume):
            volume = 1.0
        current = current if 0 <= current < len(paths) else -1
        return cls(paths, current, position, min(1.0, max(0.0, volume)), muted)


def capture(player) -> PlaybackSession:
    """Snapshot of a Player (anything with queue, position(), volume(), muted())."""
    items = player.queue.items()
    current = player.queue.current_index
    start = 0
    if len(items) > MAX_SAVED_ITEMS:  # keep a window around the current track
        start = max(0, min(current - 100, len(items) - MAX_SAVED_ITEMS))
        items = items[start:start + MAX_SAVED_ITEMS]
    current = current - start if current >= start else -1
    muted = getattr(player, "muted", None)
    return PlaybackSession(
        paths=[track.path for track in items],
        current=current if 0 <= current < len(items) else -1,
        position=float(player.position()) if current >= 0 else 0.0,
        volume=float(player.volume()),
        muted=bool(muted()) if callable(muted) else False,
    )


def resolve(session: PlaybackSession, library: Iterable) -> tuple[list, int, list[str]]:
    """(tracks found in ``library``, index of the current one or -1, saved paths no longer there)."""
    by_path = {track.path: track for track in library if getattr(track, "error", None) is None}
    tracks, missing, current = [], [], -1
    for position, path in enumerate(session.paths):
        track = by_path.get(path)
        if track is None:
            missing.append(path)
            continue
        if position == session.current:
            current = len(tracks)
        tracks.append(track)
    return tracks, current, missing
