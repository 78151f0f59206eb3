"""Runs the library Scanner in a background QThread and reports back through queued signals.

The worker never touches widgets. It throttles progress signals (a 100k-file scan must not post 100k
events to the UI thread) and, while scanning, periodically reads the whole track list from the store in
its own thread so the table fills as files are found without the UI thread ever waiting on SQLite.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot


class ScanWorker(QObject):
    """Lives in the scan thread. `scan(paths)` is invoked through a queued signal."""

    progress = Signal(int, int, str)  # done, total, current path
    tracksLoaded = Signal(object)  # list[Track], a fresh snapshot of the whole library
    finished = Signal(object)  # the scanner's ScanSummary
    failed = Signal(str)  # a readable reason; the library keeps what was committed
    cancelled = Signal()

    def __init__(self, scanner: Any, store: Any, cancel_event: threading.Event,
                 reload_interval_s: float = 2.0, progress_interval_s: float = 0.05) -> None:
        super().__init__()
        self._scanner = scanner
        self._store = store
        self._cancel = cancel_event
        self._reload_interval = reload_interval_s
        self._progress_interval = progress_interval_s

    @Slot(object)
    def scan(self, paths: list[str]) -> None:
        last_progress = 0.0
        next_reload = time.monotonic() + self._reload_interval
        reload_interval = self._reload_interval

        def on_progress(done: int, total: int, path: str) -> None:
            nonlocal last_progress, next_reload, reload_interval
            now = time.monotonic()
            if done >= total or now - last_progress >= self._progress_interval:
                last_progress = now
                self.progress.emit(done, total, str(path))
            if done and now >= next_reload:
                started = time.monotonic()
                self._emit_tracks()
                # Reading 100k rows takes a while: reload less often the bigger the library is.
                reload_interval = max(self._reload_interval, 4 * (time.monotonic() - started))
                next_reload = time.monotonic() + reload_interval

        try:
            summary = self._scan_paths(paths, on_progress)
        except Exception as exc:  # noqa: BLE001 - any failure is reported, the app goes on
            if self._cancel.is_set():
                self._emit_tracks_quietly()
                self.cancelled.emit()
            else:
                self._emit_tracks_quietly()
                self.failed.emit(f"Scan failed: {exc}")
            return
        self._emit_tracks_quietly()
        if self._cancel.is_set():
            self.cancelled.emit()
        else:
            self.finished.emit(summary)

    def _scan_paths(self, paths: list[str], on_progress) -> Any:
        """Folders go to `Scanner.scan`; single files to `Scanner.scan_files` when the scanner has it,
        else their folders are scanned (which also picks up the files next to them)."""
        folders = [path for path in paths if not os.path.isfile(path)]
        files = [path for path in paths if os.path.isfile(path)]
        scan_files = getattr(self._scanner, "scan_files", None)
        if files and scan_files is None:
            folders.extend(dict.fromkeys(os.path.dirname(path) for path in files if path))
            files = []
        summary = None
        if files:
            summary = scan_files(files, progress=on_progress, cancel=self._cancel)
        if folders and not self._cancel.is_set():
            summary = self._scanner.scan(folders, progress=on_progress, cancel=self._cancel)
        return summary

    def _emit_tracks(self) -> None:
        self.tracksLoaded.emit(self._store.all_tracks())

    def _emit_tracks_quietly(self) -> None:
        try:
            self._emit_tracks()
        except Exception as exc:  # noqa: BLE001
            self.failed.emit(f"Could not read the library: {exc}")


class ScanController(QObject):
    """Owned by the UI thread: starts scans (queuing requests made during a scan), cancels, shuts down."""

    started = Signal()
    progress = Signal(int, int, str)
    tracksLoaded = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    idle = Signal()  # emitted when no scan is running or queued any more

    _requested = Signal(object)

    def __init__(self, scanner: Any, store: Any, parent: QObject | None = None,
                 reload_interval_s: float = 2.0, progress_interval_s: float = 0.05) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()
        self._thread = QThread()
        self._thread.setObjectName("scan-thread")
        self._worker = ScanWorker(scanner, store, self._cancel, reload_interval_s, progress_interval_s)
        self._worker.moveToThread(self._thread)
        self._requested.connect(self._worker.scan)
        self._worker.progress.connect(self.progress)
        self._worker.tracksLoaded.connect(self.tracksLoaded)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        self._running = False
        self._pending: list[str] = []
        self._shut_down = False
        app = QCoreApplication.instance()
        if app is not None:  # never leave a running QThread behind at exit
            app.aboutToQuit.connect(self.shutdown)

    def is_running(self) -> bool:
        return self._running

    def start(self, paths: Iterable[str]) -> None:
        """Scan these folders and/or files; while a scan runs, they are queued for the next one."""
        paths = [str(path) for path in paths]
        if not paths or self._shut_down:
            return
        if self._running:
            self._pending.extend(path for path in paths if path not in self._pending)
            return
        if not self._thread.isRunning():
            self._thread.start(QThread.Priority.LowPriority)
        self._cancel.clear()
        self._running = True
        self.started.emit()
        self._requested.emit(paths)

    def cancel(self) -> None:
        self._pending.clear()
        if self._running:
            self._cancel.set()

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel and stop the thread (the scanner commits in batches, so stopping early is safe)."""
        self._shut_down = True
        self.cancel()
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait(timeout_ms)

    def _on_finished(self, summary: object) -> None:
        self.finished.emit(summary)
        self._next()

    def _on_failed(self, message: str) -> None:
        if self._running and not self._cancel.is_set():
            self.failed.emit(message)
        if message.startswith("Scan failed"):
            self._next()

    def _on_cancelled(self) -> None:
        self.cancelled.emit()
        self._next()

    def _next(self) -> None:
        self._running = False
        if self._pending and not self._shut_down:
            pending, self._pending = self._pending, []
            self.start(pending)
        else:
            self.idle.emit()
