"""File → Open playlist… / Save queue as playlist…, and playlists dropped on the window.

Reading, writing and resolving entries is core logic (`fmaplayer.library.playlists`); this module asks
for file names, hands the tracks to the player and tells the user what could not be found.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QStyle

from fmaplayer.library.playlists import PlaylistError, read_playlist, resolve_paths, write_playlist
from fmaplayer.ui.text import display_text

PLAYLIST_FILTER = "Playlists (*.m3u8 *.m3u);;All files (*)"
_MISSING_SHOWN = 30


class PlaylistActions(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self._window = window
        style = window.style()
        self.open_action = QAction(style.standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton),
                                   "Open &playlist…", window)
        self.open_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.open_action.triggered.connect(self.choose_playlist)
        self.save_action = QAction(style.standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton),
                                   "&Save queue as playlist…", window)
        self.save_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.save_action.triggered.connect(self.choose_save_path)
        self.save_relevant_action = QAction("Save &relevant songs as playlist…", window)
        self.save_relevant_action.setVisible(False)  # until the recommendations are installed
        self.save_relevant_action.triggered.connect(self.choose_save_relevant_path)
        self._relevant_source = None
        window.addAction(self.open_action)
        window.addAction(self.save_action)
        self.last_report: QMessageBox | None = None  # the "entries not found" box, kept for tests
        self._folder = ""

    def actions(self) -> list[QAction]:
        return [self.open_action, self.save_action, self.save_relevant_action]

    def set_relevant_source(self, tracks_fn) -> None:
        """The relevant-songs panel's results (a callable), for "Save relevant songs as playlist…"."""
        self._relevant_source = tracks_fn
        self.save_relevant_action.setVisible(True)

    # ---- dialogs --------------------------------------------------------------------------------------
    def choose_playlist(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._window, "Open playlist", self._start_folder(),
                                              PLAYLIST_FILTER)
        if path:
            self.open_playlist(path)

    def choose_save_path(self) -> None:
        if len(self._window.player.queue) == 0:
            self._window.status.showMessage("The queue is empty: nothing to save.", 5000)
            return
        path, _ = QFileDialog.getSaveFileName(self._window, "Save queue as playlist",
                                              os.path.join(self._start_folder(), "queue.m3u8"),
                                              "M3U8 playlist (*.m3u8)")
        if path:
            if not path.lower().endswith((".m3u8", ".m3u")):
                path += ".m3u8"
            self.save_queue(path)

    def choose_save_relevant_path(self) -> None:
        tracks = self._relevant_source() if self._relevant_source is not None else []
        if not tracks:
            self._window.status.showMessage("Open “Get relevant songs” on a track first.", 5000)
            return
        path, _ = QFileDialog.getSaveFileName(self._window, "Save relevant songs as playlist",
                                              os.path.join(self._start_folder(), "relevant.m3u8"),
                                              "M3U8 playlist (*.m3u8)")
        if path:
            if not path.lower().endswith((".m3u8", ".m3u")):
                path += ".m3u8"
            self.save_tracks(path, tracks)

    def _start_folder(self) -> str:
        return self._folder or next(iter(self._window.settings.music_folders), "")

    # ---- commands -------------------------------------------------------------------------------------
    def open_playlist(self, path: str) -> list:
        """Play the playlist's tracks (replacing the queue), report entries not found; returns the tracks."""
        window = self._window
        try:
            playlist = read_playlist(path)
        except PlaylistError as exc:
            QMessageBox.warning(window, "Open playlist", str(exc))
            return []
        self._folder = os.path.dirname(os.path.abspath(path))
        tracks, unknown, unreadable = resolve_paths(playlist.paths, window.track_table_model.all_tracks())
        if tracks:
            window.player.play_tracks(tracks, 0)
        if unknown:
            window.start_scan(unknown)  # files outside the library: they play now and join it
        name = display_text(os.path.basename(path), 80)
        problems = [f"line {m.line}: {display_text(m.entry, 200)} — {m.reason}" for m in playlist.missing]
        problems += [f"{display_text(t.path, 200)} — {display_text(t.error, 100)}" for t in unreadable]
        message = f"Playlist {name}: {len(tracks):,} tracks"
        if problems:
            message += f", {len(problems):,} not playable"
            self._report(name, problems)
        window.status.showMessage(message + ".", 8000)
        return tracks

    def save_queue(self, path: str) -> bool:
        return self.save_tracks(path, self._window.player.queue.items())

    def save_relevant(self, path: str) -> bool:
        tracks = self._relevant_source() if self._relevant_source is not None else []
        return bool(tracks) and self.save_tracks(path, tracks)

    def save_tracks(self, path: str, tracks: list) -> bool:
        window = self._window
        try:
            count = write_playlist(path, tracks)
        except PlaylistError as exc:
            QMessageBox.warning(window, "Save playlist", str(exc))
            return False
        self._folder = os.path.dirname(os.path.abspath(path))
        window.status.showMessage(f"Saved {count:,} tracks to {display_text(path, 200)}.", 8000)
        return True

    def _report(self, name: str, problems: list[str]) -> None:
        shown = problems[:_MISSING_SHOWN]
        more = f"\n… and {len(problems) - len(shown):,} more" if len(problems) > len(shown) else ""
        box = QMessageBox(QMessageBox.Icon.Warning, "Open playlist",
                          f"{len(problems):,} entries of {name} cannot be played.",
                          QMessageBox.StandardButton.Ok, self._window)
        box.setInformativeText("\n".join(shown) + more)
        box.setDetailedText("\n".join(problems))
        self.last_report = box
        box.open()
