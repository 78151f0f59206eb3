"""Album art for the playing track, looked up off the UI thread (`fmaplayer.library.art`).

`request(track)` hands the lookup to one worker thread; `artReady(track, path)` comes back on the
loader's (main) thread, path None when the album has no art. Only the newest request is answered, so
skipping through ten tracks does not flash ten covers. `cached_url(track)` answers at once from what is
known (MPRIS asks for `mpris:artUrl` while building metadata, which must not wait for a disk).

A lookup reads the user's files (a tag, a cover.jpg) and may get stuck on a dying share: the worker is a
daemon thread, so it never keeps the process alive after the window closes, and a worker busy on one
lookup for longer than `stuck_after` seconds is left to it: the next album is looked up by a fresh worker,
and the stuck album is answered "no art" instead of being asked again.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QPixmap

from fmaplayer.library.art import ArtCache, album_key


def default_art_cache_dir() -> Path:
    import appdirs

    return Path(appdirs.user_cache_dir("fmaplayer", appauthor=False)) / "art"


class _Worker:
    """One daemon thread taking lookups from its own queue; `busy_since` says how long the current one
    has run (None when idle)."""

    def __init__(self, look_up) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.busy_since: float | None = None
        self._look_up = look_up
        threading.Thread(target=self._run, name="fmaplayer-art", daemon=True).start()

    def stuck(self, after: float) -> bool:
        since = self.busy_since
        return since is not None and time.monotonic() - since >= after

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            self.busy_since = time.monotonic()
            try:
                self._look_up(*job)
            finally:
                self.busy_since = None


class ArtLoader(QObject):
    artReady = Signal(object, object)  # track, Path | None
    _found = Signal(int, object, object)  # serial, track, path: worker thread -> loader thread (queued)

    def __init__(self, cache: ArtCache | None = None, parent: QObject | None = None,
                 stuck_after: float = 5.0) -> None:
        super().__init__(parent)
        self.cache = cache if cache is not None else ArtCache(default_art_cache_dir())
        self._stuck_after = stuck_after
        self._worker: _Worker | None = None
        self._serial = 0
        self._latest: tuple[int, Any, str] | None = None  # the unanswered newest request: serial, track, key
        self._known: dict[str, Path | None] = {}  # album key -> answer, read on this thread only
        self._asked: dict[str, float] = {}  # album key -> when its lookup was handed to a worker
        self._found.connect(self._on_found, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def request(self, track: Any) -> None:
        self._serial += 1
        self._latest = None
        if track is None:
            self.artReady.emit(None, None)
            return
        key = album_key(track)
        if key in self._known:
            self.artReady.emit(track, self._known[key])
            return
        asked = self._asked.get(key)
        if asked is not None and time.monotonic() - asked >= self._stuck_after:
            self.artReady.emit(track, None)  # its lookup is stuck (a dead share): no art, and no new thread
            return
        self._latest = (self._serial, track, key)
        if asked is not None:
            return  # on its way: _on_found answers it
        self._asked[key] = time.monotonic()
        if self._worker is None or self._worker.stuck(self._stuck_after):
            self._worker = _Worker(self._look_up)  # the stuck one is a daemon, left to finish or not
        self._worker.jobs.put((self._serial, track))

    def _look_up(self, serial: int, track: Any) -> None:
        try:
            path = self.cache.lookup(track)
        except Exception:  # noqa: BLE001 - a broken picture must never break playback
            path = None
        try:
            self._found.emit(serial, track, path)
        except RuntimeError:  # the loader is gone (the window closed meanwhile)
            pass

    @Slot(int, object, object)
    def _on_found(self, serial: int, track: Any, path: Path | None) -> None:
        key = album_key(track)
        self._known[key] = path
        self._asked.pop(key, None)
        latest = self._latest
        if latest is not None and latest[2] == key:
            self._latest = None
            self.artReady.emit(latest[1], path)

    def cached_url(self, track: Any) -> str | None:
        """A file:// URL of the track's art when it is already known, else None (never blocks)."""
        if track is None:
            return None
        path = self._known.get(album_key(track))
        return QUrl.fromLocalFile(str(path)).toString() if path is not None else None

    def shutdown(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            while True:  # drop what is queued; the lookup under way (if any) is not waited for
                try:
                    worker.jobs.get_nowait()
                except queue.Empty:
                    break
            worker.jobs.put(None)


def show_art_in(label, path: Any, side: int) -> bool:
    """Show the image at `path` in `label`, scaled to `side` logical pixels (sharp on HiDPI); hide the
    label when there is no usable image. Returns whether a picture is shown."""
    pixmap = QPixmap(str(path)) if path is not None else QPixmap()
    if pixmap.isNull():
        label.clear()
        label.hide()
        return False
    ratio = label.devicePixelRatioF()
    pixels = round(side * ratio)
    scaled = pixmap.scaled(QSize(pixels, pixels), Qt.AspectRatioMode.KeepAspectRatio,
                           Qt.TransformationMode.SmoothTransformation)
    scaled.setDevicePixelRatio(ratio)
    label.setPixmap(scaled)
    label.show()
    return True
