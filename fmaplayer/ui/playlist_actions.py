"""File → Open playlist… / Save queue as playlist…, and playlists dropped on the window.

Reading, writing and resolving entries is core logic (`fmaplayer.library.playlists`); this module asks
for file names, hands the tracks to the player and tells the user what could not be found. A playlist is
read and its entries checked in a helper thread (a million entries, a slow share), never on the UI thread;
the newest playlist asked for wins, and the list of entries that cannot be played is capped.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QStyle

from fmaplayer.library.playlists import PlaylistError, read_playlist, resolve_paths, write_playlist
from fmaplayer.ui.text import display_text

PLAYLIST_FILTER = "Playlists (*.m3u8 *.m3u);;All files (*)"
_MISSING_SHOWN = 30        # in the message box
_MISSING_DETAILED = 1000   # under "Show Details…"


class PlaylistActions(QObject):
    playlistOpened = Signal(list)   # the tracks of a playlist now playing (empty: nothing playable)
    _read = Signal(int, object)     # from the reading thread: (request, result or PlaylistError)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self._window = window
        self._request = 0
        self.reader: threading.Thread | None = None   # the latest reading thread, for tests
        self._read.connect(self._on_read)
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
    def open_playlist(self, path: str) -> None:
        """Read the playlist in the background, then play its tracks (replacing the queue) and report
        the entries that cannot be played; `playlistOpened` says when."""
        self._request += 1
        library = self._window.track_table_model.all_tracks()   # a snapshot for the reading thread
        name = display_text(os.path.basename(path), 80)
        self._window.status.showMessage(f"Opening the playlist {name}…")
        self.reader = threading.Thread(target=self._read_in_background, args=(self._request, path, library),
                                       name="fmaplayer-playlist", daemon=True)
        self.reader.start()

    def _read_in_background(self, request: int, path: str, library: list) -> None:
        try:
            playlist = read_playlist(path)
            result: object = (path, playlist, *resolve_paths(playlist.paths, library))
        except PlaylistError as exc:
            result = exc
        except Exception as exc:  # noqa: BLE001 - whatever a hostile file does, the user gets a message
            result = PlaylistError(f"Cannot read the playlist {path}: {exc}")
        try:
            self._read.emit(request, result)
        except RuntimeError:      # the window closed meanwhile
            pass

    def _on_read(self, request: int, result: object) -> None:
        if request != self._request:
            return                # a newer playlist was asked for
        window = self._window
        if isinstance(result, PlaylistError):
            window.status.clearMessage()
            self.last_report = self._box("Open playlist", str(result))
            self.playlistOpened.emit([])
            return
        path, playlist, tracks, unknown, unreadable = result
        self._folder = os.path.dirname(os.path.abspath(path))
        if tracks:
            window.player.play_tracks(tracks, 0)
        if unknown:
            window.start_scan(unknown)  # files outside the library: they play now and join it
        name = display_text(os.path.basename(path), 80)
        count = playlist.missing_count + len(unreadable)
        message = f"Playlist {name}: {len(tracks):,} tracks"
        if count:
            problems = [f"line {m.line}: {display_text(m.entry, 200)} — {m.reason}"
                        for m in playlist.missing[:_MISSING_DETAILED]]
            problems += [f"{display_text(t.path, 200)} — {display_text(t.error, 100)}"
                         for t in unreadable[:max(0, _MISSING_DETAILED - len(problems))]]
            message += f", {count:,} not playable"
            self._report(name, problems, count)
        window.status.showMessage(message + ".", 8000)
        self.playlistOpened.emit(tracks)

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

    def _box(self, title: str, text: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self._window)
        box.open()
        return box

    def _report(self, name: str, problems: list[str], count: int) -> None:
        """`problems`: the first of `count` entries that cannot be played, in words."""
        shown = problems[:_MISSING_SHOWN]
        more = f"\n… and {count - len(shown):,} more" if count > len(shown) else ""
        box = QMessageBox(QMessageBox.Icon.Warning, "Open playlist",
                          f"{count:,} entries of {name} cannot be played.",
                          QMessageBox.StandardButton.Ok, self._window)
        box.setInformativeText("\n".join(shown) + more)
        detailed = f"\n… and {count - len(problems):,} more" if count > len(problems) else ""
        box.setDetailedText("\n".join(problems) + detailed)
        self.last_report = box
        box.open()
