"""The relevant-songs panel across restarts and into playlists.

- Restore on restart: the anchor of the open panel is kept (track ids in the settings' state group) when
  the window closes, and asked for again once the similarity index has loaded on the next start.
- File → Save relevant songs as playlist…: the panel's results as M3U8 (through `PlaylistActions`).
- The results can be dragged into the queue (`SelectionDragStarter`, the same drag as the library's).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QEvent, QObject

from fmaplayer.ui.track_drag import SelectionDragStarter

STATE_NAME = "relevant_anchor"


def saved_anchor_ids(settings) -> list[int]:
    try:
        ids = json.loads(settings.state(STATE_NAME) or "[]")
        return [int(i) for i in ids] if isinstance(ids, list) else []
    except (TypeError, ValueError, RecursionError):   # RecursionError: a hand-edited, absurdly deep list
        return []


class RelevantPanelState(QObject):
    def __init__(self, integration: Any, window: Any, settings: Any) -> None:
        super().__init__(integration)
        self._integration = integration
        self._window = window
        self._settings = settings
        self._restore_pending = bool(saved_anchor_ids(settings))
        window.installEventFilter(self)
        integration.worker.indexLoaded.connect(self._on_index_loaded)  # after the index took the vectors
        panel = integration.panel
        self.drag = SelectionDragStarter(panel.table, lambda rows: [panel.model.rows()[r].track for r in rows
                                                                    if r < len(panel.model.rows())])
        playlists = getattr(window, "playlists", None)
        if playlists is not None and hasattr(playlists, "set_relevant_source"):
            playlists.set_relevant_source(self.result_tracks)

    def result_tracks(self) -> list:
        panel = self._integration.panel
        return [row.track for row in panel.model.rows()] if panel.isVisible() else []

    def save(self) -> None:
        panel = self._integration.panel
        ids = [int(t.id) for t in panel.anchors()] if panel.isVisible() else []
        self._settings.save_state(STATE_NAME, json.dumps(ids))

    def restore(self) -> bool:
        """Open the panel again for the saved anchor; False when there was none (or it left the library)."""
        self._restore_pending = False
        ids = saved_anchor_ids(self._settings)
        tracks = self._integration.store.tracks_by_ids(ids) if ids else []
        if not tracks:
            return False
        self._integration.controller.show_for(tracks)
        return True

    def _on_index_loaded(self, *args) -> None:
        if self._restore_pending:
            self.restore()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self._window and event.type() == QEvent.Type.Close:
            self.save()
        return False
