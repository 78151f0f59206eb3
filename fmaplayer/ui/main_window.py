"""The main window: library table, player bar, up-next queue, status bar, menus and shortcuts.

Collaborators come in through the constructor (composition root in app.py): Settings, a library store
(`all_tracks()`), a Player, and optionally a Scanner. Other features plug in through small hooks rather
than by editing this file:

- `add_track_context_action(text, callback)` — an entry in the track context menu; the callback gets the
  selected tracks;
- `add_dock(dock)` — a dock widget, with its layout persisted like the built-in ones;
- `status_area_add(widget)` — a widget in the status bar's permanent area;
- `track_table_model.set_predicted_genres(...)`, `libraryReloaded` / `scanFinished` signals.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMenu,
    QStyle,
    QToolBar,
    QWidget,
)

from fmaplayer.library.playlists import is_playlist, resolve_paths
from fmaplayer.library.scanner import describe_scan
from fmaplayer.settings import Settings
from fmaplayer.ui.about_dialog import AboutDialog
from fmaplayer.ui.art_loader import ArtLoader
from fmaplayer.ui.folder_opener import FolderOpener
from fmaplayer.ui.library_view import LibraryView
from fmaplayer.ui.player_bar import PlayerBar
from fmaplayer.ui.playlist_actions import PlaylistActions
from fmaplayer.ui.queue_origin import LIBRARY, SUGGESTED, QueueOrigin
from fmaplayer.ui.queue_view import QueueView
from fmaplayer.ui.session_keeper import SessionKeeper
from fmaplayer.ui.settings_dialog import SettingsDialog
from fmaplayer.ui.shortcuts_dialog import ShortcutsDialog
from fmaplayer.ui.status_bar import MainStatusBar
from fmaplayer.ui.text import display_text
from fmaplayer.ui.track_actions import Describe, TrackActions, needs_readable, playable
from fmaplayer.ui.track_drag import is_internal
from fmaplayer.ui.track_table_model import TrackTableModel
from fmaplayer.ui.window_fit import fit_to_screen

AUDIO_FILE_PATTERNS = "*.mp3 *.flac *.ogg *.oga *.opus *.wav *.aif *.aiff *.m4a *.aac *.wma"
_LAYOUT_GEOMETRY = "main_window/geometry"
_LAYOUT_STATE = "main_window/state"
_LAYOUT_HEADER = "main_window/library_header"
_LAYOUT_VERSION = 1
# A side dock restored (or docked) wider than this share of the window gives the library its width back: a
# sound map tabbed beside "Up next" once widened the side to its own size, for good.
MAX_SIDE_SHARE = 0.45


def app_icon() -> QIcon:
    """The app icon from resources/icons (source checkout or bundle), else an empty icon."""
    icons = Path(__file__).resolve().parent.parent.parent / "resources" / "icons"
    icon = QIcon()
    for size in (16, 22, 24, 32, 128, 256):
        path = icons / f"fmaplayer-{size}.png"
        if path.is_file():
            icon.addFile(str(path))
    return icon


class _FirstExposeWatcher(QObject):
    """Calls back once when the window is first exposed on screen (used for start-up timing)."""

    def __init__(self, callback: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._callback: Callable[[], None] | None = callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Expose and self._callback is not None and watched.isExposed():
            callback, self._callback = self._callback, None
            callback()
        return False


class MainWindow(QMainWindow):
    _shown_state = Qt.WindowState.WindowNoState   # maximised / full screen: where un-minimising returns
    libraryReloaded = Signal()  # the table now shows a fresh snapshot of the store
    scanFinished = Signal(object)  # the scanner's summary

    def __init__(self, settings: Settings, store: Any, player: Any, scanner: Any = None, *,
                 output_unavailable_reason: str | None = None, manifest_path: Path | None = None,
                 scan_reload_interval_s: float = 2.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("fmaplayer")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.settings = settings
        self.store = store
        self.player = player
        self._manifest_path = manifest_path
        self._extension_actions: list[QAction] = []
        self.queue_origin = QueueOrigin(player, self)  # the app's queue (replaced) vs. the user's (kept)

        self.track_table_model = TrackTableModel(self)
        self.library_view = LibraryView(self.track_table_model)
        self.library_view.rowActivated.connect(self.play_from_row)
        self.library_view.empty_state.addFolderRequested.connect(self.choose_music_folder)
        self.library_view.table.customContextMenuRequested.connect(self._show_track_context_menu)
        self.setCentralWidget(self.library_view)

        self.player_bar = PlayerBar(player, settings)
        self.playback_controls = self.player_bar.controls  # shuffle, repeat, mute, seek/volume steps
        self.art_loader = ArtLoader(parent=self)  # album art, looked up off the UI thread
        self.art_loader.artReady.connect(self.player_bar.show_art)
        player.trackChanged.connect(self.art_loader.request)
        self.player_toolbar = QToolBar("Player")
        self.player_toolbar.setObjectName("playerToolBar")
        self.player_toolbar.setMovable(False)
        self.player_toolbar.setFloatable(False)
        self.player_toolbar.toggleViewAction().setEnabled(False)
        self.player_toolbar.addWidget(self.player_bar)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.player_toolbar)

        self.queue_view = QueueView(player)
        self.queue_view.resolve_paths = self.tracks_for_paths
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.queue_view)

        self.status = MainStatusBar()
        self.setStatusBar(self.status)
        self.queue_view.report = lambda message: self.status.showMessage(message, 8000)
        self.folder_opener = FolderOpener(lambda message: self.status.showMessage(message, 15000), self)
        self.status.unreadable_button.clicked.connect(lambda: self.unreadable_only_action.toggle())

        self.scan_controller = None
        if scanner is not None:
            from fmaplayer.workers.scan_worker import ScanController

            self.scan_controller = ScanController(scanner, store, self,
                                                  reload_interval_s=scan_reload_interval_s)
            self.scan_controller.started.connect(self._on_scan_started)
            self.scan_controller.progress.connect(self.status.scan_progressed)
            self.scan_controller.tracksLoaded.connect(self._apply_scanned_tracks)
            self.scan_controller.finished.connect(self._on_scan_finished)
            self.scan_controller.failed.connect(lambda message: self.status.showMessage(message, 10000))
            self.scan_controller.cancelled.connect(lambda: self.status.showMessage("Scan stopped.", 5000))
            self.scan_controller.idle.connect(self._on_scan_idle)
            self.status.scan_cancel_button.clicked.connect(self.scan_controller.cancel)

        self.playlists = PlaylistActions(self)
        self.track_actions = TrackActions(self, self.selected_tracks)  # library and panel menus
        self._create_actions()
        self._create_menus()
        self.track_table_model.visibleRowsChanged.connect(self._update_counts)
        self.library_view.table.selectionModel().selectionChanged.connect(self._update_action_state)
        player.trackChanged.connect(self._on_track_changed)
        player.errorOccurred.connect(self._on_player_error)
        if output_unavailable_reason is None:
            output_unavailable_reason = getattr(player, "output_unavailable_reason", None)
        if output_unavailable_reason:
            self.show_output_unavailable(output_unavailable_reason)
        settings.saveFailed.connect(self.status.show_notice_once)   # e.g. a read-only config folder
        if settings.save_error:   # a --folder added before the window existed was not saved
            self.status.show_notice_once(settings.save_error)

        self.resize(1200, 760)
        self.restore_layout()
        fit_to_screen(self, centre=self.settings.layout(_LAYOUT_GEOMETRY) is None)
        self.reload_from_store()
        self._update_action_state()
        self.session_keeper = SessionKeeper(settings, player, self.track_table_model.all_tracks, self)
        self.session_keeper.restore()

    # ---- hooks for other features --------------------------------------------------------------------
    def add_track_context_action(self, text: str, callback: Callable[[list[Any]], None],
                                 icon: QIcon | None = None,
                                 shortcut: QKeySequence | str | None = None,
                                 describe: Describe = needs_readable) -> QAction:
        """Add an entry to the track context menus (library and panel); `callback(tracks)` gets the
        tracks the menu was opened on (the selection). Features work on analysed tracks, so by default
        the entry is disabled, saying why, for files that could not be read (`describe` decides)."""
        action = self.track_actions.declare(text, callback, icon, describe=describe)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            self.addAction(action)
        self._extension_actions.append(action)
        return action

    def add_dock(self, dock: QDockWidget,
                 area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> None:
        """Add a dock (give it an objectName); its saved placement is restored if there is one."""
        if not dock.objectName():
            dock.setObjectName(type(dock).__name__)
        if not self.restoreDockWidget(dock):  # placed where the saved state had it, else in `area`
            self.addDockWidget(area, dock)
            if area == self.dockWidgetArea(self.queue_view):
                # Tabbed with the queue: the side keeps the queue's width, so the library keeps its own.
                self.tabifyDockWidget(self.queue_view, dock)
        self.view_menu.insertAction(self._view_menu_docks_end, dock.toggleViewAction())
        dock.topLevelChanged.connect(lambda floating: None if floating else self._keep_library_wide_soon())
        self._keep_library_wide_soon()

    def _keep_library_wide_soon(self) -> None:
        QTimer.singleShot(0, self.keep_library_wide)   # once the dock layout has placed the docks

    def keep_library_wide(self) -> bool:
        """Narrow a left or right dock side that takes more than MAX_SIDE_SHARE of the window back to the
        queue's first-start width; True when it did."""
        if not self.isVisible() or self.isMinimized():
            return False
        changed = False
        limit = int(self.width() * MAX_SIDE_SHARE)
        for area in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea):
            docks = [d for d in self.findChildren(QDockWidget)
                     if not d.isFloating() and not d.isHidden() and self.dockWidgetArea(d) == area]
            if docks and max(d.width() for d in docks) > limit:
                self.resizeDocks(docks, [self._side_width()] * len(docks), Qt.Orientation.Horizontal)
                changed = True
        return changed

    def _side_width(self) -> int:
        return max(280, self.width() // 5)

    def add_library_action(self, action: QAction) -> None:
        """An entry in the File menu's library group (after Rescan), e.g. "Retry unreadable files"."""
        self.file_menu.insertAction(self._file_menu_library_end, action)
        self.addAction(action)

    def status_area_add(self, widget: QWidget, stretch: int = 0) -> None:
        """Put a widget at the right end of the status bar's permanent area."""
        self.status.addPermanentWidget(widget, stretch)

    def selected_tracks(self) -> list[Any]:
        return self.track_table_model.tracks_at_rows(self.library_view.selected_rows())

    def show_output_unavailable(self, reason: str) -> None:
        self.status.show_notice_once(f"No audio output: {display_text(reason, 200)}")

    # ---- library -------------------------------------------------------------------------------------
    def reload_from_store(self) -> None:
        self._set_tracks(self.store.all_tracks())

    def _set_tracks(self, tracks: list[Any]) -> None:
        self.track_table_model.set_tracks(tracks)
        self.libraryReloaded.emit()

    def _apply_scanned_tracks(self, tracks: list[Any]) -> None:
        scroll = self.library_view.table.verticalScrollBar()
        position = scroll.value()
        before = {t.path for t in self.track_table_model.all_tracks()}
        self._set_tracks(tracks)
        scroll.setValue(position)
        # files the scan removed (deleted from disk) leave the queue too, or playing them fails later; a
        # queued file the library never held (a playlist entry the scan does not list, e.g. "x.wav ") stays
        removed = before - {t.path for t in tracks}
        if removed:
            self.player.queue.remove_where(lambda entry: entry.path in removed)

    def start_scan(self, paths: Iterable[str] | None = None) -> bool:
        """Scan the given folders/files, or every existing music folder. False when there is nothing to do."""
        if self.scan_controller is None:
            return False
        if paths is None:
            # a missing folder with tracks is scanned too, so they show as unavailable (drive unplugged)
            has_tracks = getattr(self.store, "has_tracks_under", lambda folder: False)
            paths = [folder for folder in self.settings.music_folders
                     if os.path.isdir(folder) or has_tracks(folder)]
        paths = list(paths)
        if not paths:
            return False
        self.scan_controller.start(paths)
        return True

    def add_music_folder(self, folder: str) -> None:
        self.settings.add_music_folder(folder)
        self.start_scan([folder])

    def choose_music_folder(self) -> None:
        start = next(iter(self.settings.music_folders), "")
        folder = QFileDialog.getExistingDirectory(self, "Add music folder", start)
        if folder:
            self.add_music_folder(folder)

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add audio files", "",
                                                f"Audio files ({AUDIO_FILE_PATTERNS});;All files (*)")
        if files:
            self.start_scan(files)

    def add_paths(self, paths: Iterable[str]) -> None:
        """Dropped paths: folders become music folders, files are scanned, a playlist is opened."""
        folders, files = [], []
        for path in paths:
            if os.path.isfile(path) and is_playlist(path):
                self.playlists.open_playlist(path)
            elif os.path.isdir(path):
                folders.append(path)
            elif os.path.isfile(path):
                files.append(path)
        for folder in folders:
            self.settings.add_music_folder(folder)
        if folders or files:
            self.start_scan([*folders, *files])

    def tracks_for_paths(self, paths: Iterable[str]) -> list[Any]:
        """Library tracks for files dropped on the queue; files outside the library play and get scanned."""
        tracks, unknown, _unreadable = resolve_paths(paths, self.track_table_model.all_tracks())
        if unknown:
            self.start_scan(unknown)
        return tracks

    def _on_scan_started(self) -> None:
        self.status.scan_started()
        self.library_view.empty_state.set_scanning(True)
        self.rescan_action.setEnabled(False)

    def _on_scan_finished(self, summary: object) -> None:
        self.status.showMessage(f"Scan finished: {describe_scan(summary)}.", 8000)
        self.scanFinished.emit(summary)

    def _on_scan_idle(self) -> None:
        self.status.scan_stopped()
        self.library_view.empty_state.set_scanning(False)
        self.rescan_action.setEnabled(True)

    # ---- playback ------------------------------------------------------------------------------------
    def play_from_row(self, row: int) -> None:
        """Play the track at `row` (double-click, Enter). The queue becomes the visible rows from there on
        (unreadable ones skipped), replacing a queue the app filled (an earlier double-click, a sonic path,
        relevant songs, "Continue with similar songs"). A queue the user built by hand (Play next, Add to
        queue, a drop, a playlist) is kept: the track plays now and their entries follow it, as in
        Strawberry or Quod Libet."""
        track = self.track_table_model.track_at(row)
        if track is None:
            return
        if track.error is not None:
            self.status.showMessage(f"Cannot play {display_text(track.display_title, 80)}: "
                                    f"{display_text(track.error, 200)}", 8000)
            return
        origin = self.queue_origin
        if not origin.is_apps() and self.play_keeping_queue(track):
            return
        replaced_suggestions = origin.kind == SUGGESTED and origin.upcoming() > 0
        tracks = playable(self.track_table_model.visible_tracks(row))
        with origin.filling(LIBRARY):
            self.player.play_tracks(tracks, 0)
        if replaced_suggestions:
            self.status.showMessage("Playing the library from here: it replaced the suggested tracks that "
                                    "were up next.", 6000)

    def play_generated(self, tracks: list, start_index: int = 0) -> None:
        """Play a list the app made (a sonic path, relevant songs) as the queue: a later double-click in
        the library replaces it instead of keeping it as if the user had built it."""
        with self.queue_origin.filling(SUGGESTED):
            self.player.play_tracks(tracks, start_index)

    def play_keeping_queue(self, track: Any) -> bool:
        """Play `track` now, inserted after the current entry, so the upcoming ones stay up next.
        False (nothing done) when nothing is up next: the caller then starts a queue of its own."""
        queue = self.player.queue
        upcoming = len(queue) - max(queue.current_index + 1, 0)
        play_index = getattr(self.player, "play_index", None)
        if upcoming <= 0 or play_index is None:
            return False
        at = max(queue.current_index + 1, 0)
        queue.insert(at, [track])
        play_index(at)
        self.status.showMessage(f"Playing {display_text(track.display_title, 60)} now; your queue is kept: "
                                f"{upcoming:,} up next after it.", 6000)
        return True

    def play_now(self, tracks: list) -> None:
        tracks = playable(tracks)
        if tracks:
            self.player.play_tracks(tracks, 0)

    def play_next(self, tracks: list) -> None:
        tracks = playable(tracks)
        if tracks:
            self.player.queue.insert_next(tracks)

    def add_to_queue(self, tracks: list) -> None:
        tracks = playable(tracks)
        if tracks:
            self.player.queue.append(tracks)

    def show_in_folder(self, tracks: list) -> None:
        """Open the tracks' folders (at most five); one that does not open is said in the status bar."""
        self.folder_opener.open_folders([os.path.dirname(t.path) for t in tracks])

    def _on_player_error(self, message: str) -> None:
        self.status.showMessage(display_text(message, 300), 8000)

    def _on_track_changed(self, track: Any) -> None:
        self.track_table_model.set_current_track_id(track.id if track is not None else None)
        if track is None:
            self.setWindowTitle("fmaplayer")
        else:
            artist = f" — {display_text(track.artist, 80)}" if track.artist else ""
            self.setWindowTitle(f"{display_text(track.display_title, 80)}{artist} · fmaplayer")

    # ---- actions and menus ---------------------------------------------------------------------------
    def _action(self, text: str, slot: Callable, shortcut=None, icon: QStyle.StandardPixmap | None = None,
                tip: str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even with the menu bar hidden
        return action

    def _create_actions(self) -> None:
        pixmap = QStyle.StandardPixmap
        key = Qt.Key
        modifier = Qt.KeyboardModifier
        self.add_folder_action = self._action("Add music &folder…", self.choose_music_folder,
                                              QKeySequence.StandardKey.Open, pixmap.SP_DirOpenIcon)
        self.add_files_action = self._action("Add &files…", self.choose_files, None, pixmap.SP_FileIcon)
        self.rescan_action = self._action("&Rescan library", lambda: self.start_scan(),
                                          QKeySequence.StandardKey.Refresh, pixmap.SP_BrowserReload)
        self.rescan_action.setEnabled(self.scan_controller is not None)
        self.settings_action = self._action("&Settings…", self.open_settings, QKeySequence("Ctrl+,"),
                                            pixmap.SP_FileDialogDetailedView)
        self.quit_action = self._action("&Quit", self.close, QKeySequence("Ctrl+Q"),
                                        pixmap.SP_DialogCloseButton)
        self.focus_filter_action = self._action("&Filter…", self.focus_filter, QKeySequence("Ctrl+F"))
        self.play_pause_action = self._action("&Play/Pause", self.player.toggle, QKeySequence(key.Key_Space),
                                              pixmap.SP_MediaPlay)
        self.next_action = self._action("&Next", self.player.next,
                                        QKeySequence(modifier.ControlModifier | key.Key_Right),
                                        pixmap.SP_MediaSkipForward)
        self.previous_action = self._action("P&revious", self.player.previous,
                                            QKeySequence(modifier.ControlModifier | key.Key_Left),
                                            pixmap.SP_MediaSkipBackward)
        self.stop_action = self._action("&Stop", self.player.stop, None, pixmap.SP_MediaStop)
        self.unreadable_only_action = QAction("Show &unreadable files only", self)
        self.unreadable_only_action.setCheckable(True)
        self.unreadable_only_action.toggled.connect(self.track_table_model.set_only_unreadable)
        self.about_action = self._action("&About fmaplayer", self.open_about, None,
                                         pixmap.SP_MessageBoxInformation)
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.open_shortcuts,
                                             QKeySequence(key.Key_F1), pixmap.SP_DialogHelpButton)

        # Track actions: declared once, in the library's and the relevant panel's context menus.
        def declare(text, callback, icon, needs_playable=True) -> QAction:
            return self.track_actions.declare(text, callback, self.style().standardIcon(icon),
                                              needs_playable=needs_playable, builtin=True)

        self.play_action = declare("Play", self.play_now, pixmap.SP_MediaPlay)
        self.play_action.setShortcut(QKeySequence(key.Key_Return))
        self.play_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the table handles Enter
        self.addAction(self.play_action)
        self.play_next_action = declare("Play next", self.play_next, pixmap.SP_ArrowUp)
        self.add_to_queue_action = declare("Add to queue", self.add_to_queue, pixmap.SP_FileDialogListView)
        self.show_in_folder_action = declare("Show in folder", self.show_in_folder, pixmap.SP_DirOpenIcon,
                                             needs_playable=False)

    def _create_menus(self) -> None:
        menu_bar = self.menuBar()
        file_menu = menu_bar.addMenu("&File")
        file_menu.addActions([self.add_folder_action, self.add_files_action, self.rescan_action])
        self.file_menu = file_menu
        self._file_menu_library_end = file_menu.addSeparator()
        file_menu.addActions(self.playlists.actions())
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        playback_menu = menu_bar.addMenu("&Playback")
        playback_menu.addActions([self.play_pause_action, self.stop_action, self.previous_action,
                                  self.next_action])
        self.playback_controls.populate_menu(playback_menu)

        self.view_menu = menu_bar.addMenu("&View")
        self.view_menu.addAction(self.focus_filter_action)
        self.view_menu.addAction(self.unreadable_only_action)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.queue_view.toggleViewAction())
        self._view_menu_docks_end = self.view_menu.addSeparator()
        self.view_menu.addMenu(self.library_view.table.header_menu())

        help_menu = menu_bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

    def build_track_context_menu(self, tracks: list | None = None) -> QMenu:
        """The track menu for `tracks` (e.g. relevant songs), or for the library's selection."""
        return self.track_actions.menu(self, tracks)

    def _show_track_context_menu(self, position) -> None:
        if not self.selected_tracks():
            return
        table = self.library_view.table
        self.build_track_context_menu().exec(table.viewport().mapToGlobal(position))

    def _update_action_state(self) -> None:
        self.track_actions.update_state()

    def _update_counts(self) -> None:
        model = self.track_table_model
        unavailable = model.unavailable_count()
        self.status.set_counts(model.rowCount(), model.total_count(), model.unreadable_count() - unavailable,
                               unavailable)

    def focus_filter(self) -> None:
        self.library_view.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.library_view.filter_edit.selectAll()

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self)
        dialog.rescanRequested.connect(lambda: self.start_scan())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_shortcuts(self) -> ShortcutsDialog:
        sections = [
            ("Playback", [self.play_pause_action, self.previous_action, self.next_action,
                          *self.playback_controls.shortcut_actions()]),
            ("Library", [self.focus_filter_action, self.add_folder_action, self.rescan_action,
                         *self.playlists.actions(),
                         *[a for a in self._extension_actions if not a.shortcut().isEmpty()]]),
            ("Window", [self.settings_action, self.shortcuts_action, self.quit_action,
                        *[d.toggleViewAction() for d in self.findChildren(QDockWidget)]]),  # Sound map
        ]
        dialog = ShortcutsDialog(sections, [("Queue", "Remove from queue", "Delete")], self)
        dialog.open()
        return dialog

    def open_about(self) -> AboutDialog:
        dialog = AboutDialog(self._manifest_path, self, icon=self.windowIcon())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    # ---- layout persistence --------------------------------------------------------------------------
    def save_layout(self) -> None:
        self.settings.save_layout(_LAYOUT_GEOMETRY, self.saveGeometry())
        self.settings.save_layout(_LAYOUT_STATE, self.saveState(_LAYOUT_VERSION))
        self.settings.save_layout(_LAYOUT_HEADER, self.library_view.table.horizontalHeader().saveState())

    def restore_layout(self) -> None:
        geometry = self.settings.layout(_LAYOUT_GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.layout(_LAYOUT_STATE)
        self._state_restored = state is not None and self.restoreState(state, _LAYOUT_VERSION)
        header_state = self.settings.layout(_LAYOUT_HEADER)
        header = self.library_view.table.horizontalHeader()
        self._header_restored = header_state is not None and header.restoreState(header_state)
        if self._header_restored:
            # Sort the (still empty) model the way the restored header says, so the first load is sorted.
            self.track_table_model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())

    def watch_first_expose(self, callback: Callable[[], None]) -> None:
        """Call `callback` once, when the window is first exposed (call after show())."""
        handle = self.windowHandle()
        if handle is None:
            raise RuntimeError("watch_first_expose needs a shown window")
        handle.installEventFilter(_FirstExposeWatcher(callback, self))

    # ---- raising -------------------------------------------------------------------------------------
    def bring_to_front(self) -> None:
        """Show, raise and activate the window (a second launch, desktop media controls). A minimised window
        comes back as it was before: maximised or full screen stay so, instead of dropping to the normal size
        Qt's showNormal() gives (and, on some window managers, a title bar above the screen)."""
        if self.isMinimized() or self.isHidden():
            self.setWindowState(self._shown_state | Qt.WindowState.WindowActive)
        self.show()
        self.raise_()
        self.activateWindow()

    def showNormal(self) -> None:  # noqa: N802 - Qt name; hand-over and media controls call it to un-minimise
        """From minimised, back to the state before (see bring_to_front); else Qt's showNormal."""
        if self.isMinimized() and self._shown_state != Qt.WindowState.WindowNoState:
            self.setWindowState(self._shown_state | Qt.WindowState.WindowActive)
            self.show()
            return
        super().showNormal()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.WindowStateChange and not self.isMinimized():
            # what a minimised window goes back to (X11 window managers do not all keep "maximised" on it)
            self._shown_state = self.windowState() & (Qt.WindowState.WindowMaximized
                                                      | Qt.WindowState.WindowFullScreen)
        super().changeEvent(event)

    # ---- events --------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._state_restored:  # first start: a queue wide enough to read
            self._state_restored = True
            self.resizeDocks([self.queue_view], [self._side_width()], Qt.Orientation.Horizontal)
        else:
            self._keep_library_wide_soon()
        if not self._header_restored:  # first start: spread the columns over the window's width
            self._header_restored = True
            QTimer.singleShot(0, self.library_view.table.fit_columns)  # once the docks have their size

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.save_layout()
        self.session_keeper.save()
        self.art_loader.shutdown()
        if self.scan_controller is not None:
            self.scan_controller.shutdown()
        super().closeEvent(event)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if is_internal(event.mimeData()):
            event.ignore()  # tracks dragged from the table: only the queue takes them
        elif any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.add_paths(paths)

