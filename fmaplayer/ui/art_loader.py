"""Album art for the playing track, looked up off the UI thread (`fmaplayer.library.art`).

`request(track)` hands the lookup to one worker thread; `artReady(track, path)` comes back on the
loader's (main) thread, path None when the album has no art. Only the newest request is answered, so
skipping through ten tracks does not flash ten covers. `cached_url(track)` answers at once from what is
known (MPRIS asks for `mpris:artUrl` while building metadata, which must not wait for a disk).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QPixmap

from fmaplayer.library.art import ArtCache, album_key


def default_art_cache_dir() -> Path:
    import appdirs

    return Path(appdirs.user_cache_dir("fmaplayer", appauthor=False)) / "art"


class ArtLoader(QObject):
    artReady = Signal(object, object)  # track, Path | None
    _found = Signal(int, object, object)  # serial, track, path: worker thread -> loader thread (queued)

    def __init__(self, cache: ArtCache | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache = cache if cache is not None else ArtCache(default_art_cache_dir())
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fmaplayer-art")
        self._serial = 0
        self._known: dict[str, Path | None] = {}  # album key -> answer, read on this thread only
        self._found.connect(self._on_found)

    @Slot(object)
    def request(self, track: Any) -> None:
        self._serial += 1
        if track is None:
            self.artReady.emit(None, None)
            return
        key = album_key(track)
        if key in self._known:
            self.artReady.emit(track, self._known[key])
            return
        serial = self._serial
        self._executor.submit(self._look_up, serial, track)

    def _look_up(self, serial: int, track: Any) -> None:
        try:
            path = self.cache.lookup(track)
        except Exception:  # noqa: BLE001 - a broken picture must never break playback
            path = None
        self._found.emit(serial, track, path)

    @Slot(int, object, object)
    def _on_found(self, serial: int, track: Any, path: Path | None) -> None:
        self._known[album_key(track)] = path
        if serial == self._serial:
            self.artReady.emit(track, path)

    def cached_url(self, track: Any) -> str | None:
        """A file:// URL of the track's art when it is already known, else None (never blocks)."""
        if track is None:
            return None
        path = self._known.get(album_key(track))
        return QUrl.fromLocalFile(str(path)).toString() if path is not None else None

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


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
