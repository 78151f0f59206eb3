"""Composition root of the desktop app (the `gui` subcommand).

Builds Settings, the LibraryStore, the Player over the best available output and the MainWindow, shows
the window, and only then starts the background work (recommendations hook, incremental rescan), so the
library is on screen within a second or two even for 100k tracks. No global app object: everything is
handed to its users through constructors.

Only the standard library is imported at module level; its options are declared in fmaplayer/cli/gui.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class AppParts:
    settings: Any
    store: Any
    player: Any
    scanner: Any
    window: Any
    recommendations: Any = None


def build(settings: Any, store: Any, player: Any, scanner: Any = None, **window_options: Any) -> AppParts:
    """Wire the main window from ready-made collaborators (tests pass fakes here)."""
    from fmaplayer.ui.main_window import MainWindow

    window = MainWindow(settings, store, player, scanner,
                        output_unavailable_reason=getattr(player, "output_unavailable_reason", None),
                        **window_options)
    return AppParts(settings, store, player, scanner, window)


def install_recommendations(window: Any, store: Any, settings: Any) -> Any:
    """Add the embedding worker, the relevant-songs panel and the predicted-genre column."""
    from fmaplayer.ui import recommendations

    return recommendations.install(window, store, settings)


def install_sound_map(window: Any, store: Any, recommendations: Any) -> Any:
    """The "Sound map" dock (View menu), fed by the recommendations' index."""
    from fmaplayer.ui import sound_map_dock

    return sound_map_dock.install(window, store, recommendations)


def install_media_controls(app: Any, window: Any, player: Any) -> Any:
    """MPRIS2 over D-Bus (media keys, desktop media controls); None where there is no session bus."""
    from fmaplayer.mpris import install_mpris

    def raise_window() -> None:
        bring_to_front = getattr(window, "bring_to_front", None)   # keeps a maximised window maximised
        if bring_to_front is not None:
            bring_to_front()
            return
        window.showNormal()
        window.raise_()
        window.activateWindow()

    mpris = install_mpris(player, "fmaplayer", raise_window=raise_window, quit_app=window.close)
    if mpris is not None:
        app.aboutToQuit.connect(mpris.close)
        art_loader = getattr(window, "art_loader", None)
        if art_loader is not None:  # mpris:artUrl, a file URL in the art cache
            mpris.art_url = art_loader.cached_url
            art_loader.artReady.connect(lambda *_: mpris.refresh_metadata())
    return mpris


def _create_application() -> Any:
    from PySide6.QtWidgets import QApplication

    from fmaplayer import __version__, log_routing
    from fmaplayer.settings import APPLICATION, ORGANIZATION

    app = QApplication.instance()
    if app is None:
        if log_routing.log_path() is not None:  # Qt's messages to the log; the serious ones also shown
            from PySide6.QtCore import qInstallMessageHandler

            qInstallMessageHandler(log_routing.qt_message_handler)
        app = QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("fmaplayer")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("fmaplayer")
    return app


def _open_store(db: str | None) -> Any:
    from fmaplayer.library.paths import default_db_path
    from fmaplayer.library.store import LibraryStore

    path = Path(db) if db else default_db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return LibraryStore(path)


def watch_library_integrity(window: Any, store: Any) -> Any:
    """Check the database in the background; a damaged one is reported in a message box."""
    from PySide6.QtWidgets import QMessageBox

    from fmaplayer.ui.integrity_check import IntegrityCheck

    check = IntegrityCheck(store, window)
    check.damaged.connect(lambda text: QMessageBox.warning(window, "fmaplayer", text))
    check.start()
    return check


def run(args: argparse.Namespace) -> int:
    """The `gui` subcommand (fmaplayer/cli/gui.py parses its options)."""
    from fmaplayer.library.paths import contain_library_caches

    contain_library_caches()
    app = _create_application()

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QMessageBox

    from fmaplayer.audio.output import create_output
    from fmaplayer.audio.player import Player
    from fmaplayer.errors import FmaplayerError
    from fmaplayer.library.scanner import Scanner
    from fmaplayer.settings import Settings
    from fmaplayer.ui.main_window import app_icon

    app.setWindowIcon(app_icon())
    from fmaplayer.library.paths import default_db_path
    from fmaplayer.ui.single_instance import SingleInstance, connect_window, server_name

    opened = [os.path.abspath(p) for p in getattr(args, "paths", [])]
    instance = SingleInstance(server_name(args.db or default_db_path()))
    if not args.startup_benchmark:
        if instance.hand_over([os.path.abspath(f) for f in args.folder] + opened):
            print("fmaplayer is already running on this library: its window was raised.", flush=True)
            return 0
        instance.listen()
    qsettings = QSettings(args.settings, QSettings.Format.IniFormat) if args.settings else None
    settings = Settings(qsettings)
    for folder in args.folder:
        settings.add_music_folder(os.path.abspath(folder))
    if settings.save_error:   # also shown in the window's status bar
        print(f"fmaplayer: {settings.save_error}", file=sys.stderr, flush=True)
    try:
        store = _open_store(args.db)
    except (FmaplayerError, OSError) as exc:
        QMessageBox.critical(None, "fmaplayer", f"The music library could not be opened:\n{exc}")
        return 1
    try:
        output = create_output(args.output)
    except FmaplayerError as exc:  # --output sounddevice where it cannot open: say why, play silently
        output = create_output("null")
        output.unavailable_reason = str(exc)
    player = Player(output)
    parts = build(settings, store, player, Scanner(store))
    window = parts.window
    window.show()
    connect_window(instance, window)   # a second launch raises this window and hands it its paths
    install_media_controls(app, window, player)
    from fmaplayer.ui.quit_signals import close_on_quit_signals

    restore_signals = close_on_quit_signals(window, app)   # SIGTERM/SIGINT: close and save, rc 0
    integrity = watch_library_integrity(window, store)

    if args.startup_benchmark:
        def report_first_expose() -> None:
            print(json.dumps({"exposed_at": time.time(), "tracks": window.track_table_model.total_count(),
                              "tensorflow_loaded": "tensorflow" in sys.modules}), flush=True)
            QTimer.singleShot(0, window.close)

        window.watch_first_expose(report_first_expose)
    else:
        def start_background_work() -> None:
            # After the first event-loop turn: the window is painted before any of this runs.
            if not args.no_recommendations:
                parts.recommendations = install_recommendations(window, store, settings)
                install_sound_map(window, store, parts.recommendations)
            if not args.no_scan:
                window.start_scan()
            if opened:
                window.add_paths(opened)

        QTimer.singleShot(0, start_background_work)

    rc = 1
    try:
        rc = app.exec()
        return rc
    finally:
        restore_signals()
        instance.close()
        shutdown = getattr(player, "shutdown", None)
        if shutdown is not None:
            shutdown()
        exit_now(parts, store, settings, rc, integrity.thread)


def exit_now(parts: AppParts, store: Any, settings: Any, rc: int, check_thread: Any = None) -> None:
    """Leave within a second of the window closing. The analysis worker was cancelled on close and is
    not waited for (a TensorFlow import or a batch cannot be interrupted); what it finished is already
    committed, and a batch in flight is redone next time. With TensorFlow loaded the interpreter's own
    teardown takes seconds too, so then the process ends here, after everything is saved."""
    worker = getattr(parts.recommendations, "thread", None)
    worker_running = (worker is not None and worker.isRunning()) or \
        (check_thread is not None and check_thread.is_alive())   # the integrity check reads the store
    if not worker_running:
        store.close()   # else the worker may still hold it: SQLite (WAL) rolls an open batch back
    if not worker_running and "tensorflow" not in sys.modules:
        return
    settings.qsettings.sync()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(rc)


def main(argv: list[str] | None = None) -> int:
    """`python -m fmaplayer.app [options]`: the GUI alone, without the other subcommands' parsers."""
    from fmaplayer.cli.gui import add_arguments

    parser = argparse.ArgumentParser(prog="fmaplayer gui")
    add_arguments("gui", parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
