"""Computes sound maps off the UI thread (`fmaplayer.recommend.sound_map`), newest request wins.

`request(ids, matrix, model_id, centre)` hands a copy of the vectors to one worker thread and returns
a serial. When the cache answers, `mapReady(serial, map, True)` comes back at once; otherwise a PCA map
comes first (`final` False, milliseconds) and the t-SNE one follows (seconds to minutes). Results of an
older request than the newest are dropped here, and a queued request that has been overtaken before
it starts is skipped, so a scan that changes the library ten times fits the map once at the end.
A fit already running cannot be interrupted (openTSNE has no cancel); its result is simply dropped.
The thread is a daemon holding one slot for the next job (not a ThreadPoolExecutor, whose threads
the interpreter joins at exit: closing the app must not wait for a fit of 100k tracks).
"""

from __future__ import annotations

import logging
import threading

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from fmaplayer.recommend import sound_map
from fmaplayer.workers.embedding_worker import _lower_thread_priority  # openTSNE's threads inherit it

log = logging.getLogger(__name__)


class SoundMapWorker(QObject):
    mapReady = Signal(int, object, bool)   # serial, SoundMap, final (False: the PCA preview)
    failed = Signal(int, str)              # serial, reason
    moodsReady = Signal(object)            # {track id: mood words or ""} for the newest mood request
    _computed = Signal(int, object, bool)  # worker thread -> this object's thread (queued)
    _error = Signal(int, str)
    _moods_read = Signal(int, object)

    def __init__(self, cache: sound_map.SoundMapCache | None = None, method: str | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache = cache
        self.method = method
        self._serial = 0
        self._latest = 0           # read by the worker thread to skip overtaken requests
        self._lock = threading.Condition()
        self._job: tuple | None = None
        self._thread: threading.Thread | None = None
        self._mood_serial = 0
        self._computed.connect(self._on_computed)
        self._error.connect(self._on_error)
        self._moods_read.connect(self._on_moods_read)

    @property
    def latest_serial(self) -> int:
        return self._serial

    def request(self, ids, matrix, model_id: str, centre: np.ndarray | None = None) -> int:
        self._serial += 1
        serial = self._serial
        ids = np.array(ids, dtype=np.int64, copy=True)      # the index keeps changing on the UI thread
        matrix = np.array(matrix, dtype=np.float32, copy=True)
        centre = None if centre is None else np.array(centre, dtype=np.float32, copy=True)
        with self._lock:
            if self._latest < 0:
                return serial                                 # shut down
            self._latest = serial
            self._job = (serial, ids, matrix, model_id, centre)   # replaces a job not yet started
            self._lock.notify()
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="fmaplayer-sound-map", daemon=True)
                self._thread.start()
        return serial

    def request_moods(self, store, model_id: str, ids, moods: list[str], threshold: float) -> int:
        """Read the tracks' stored mood probabilities (100k rows: ~0.5 s of SQLite and Python) in a
        short-lived daemon thread; `moodsReady` answers the newest request only."""
        self._mood_serial += 1
        serial = self._mood_serial
        ids = [int(i) for i in ids]
        threading.Thread(target=self._read_moods, args=(serial, store, model_id, ids, list(moods), threshold),
                         name="fmaplayer-sound-map-moods", daemon=True).start()
        return serial

    def shutdown(self) -> None:
        with self._lock:
            self._latest = -1
            self._job = None
            self._lock.notify()

    # --- worker thread ----------------------------------------------------------------------------
    def _overtaken(self, serial: int) -> bool:
        with self._lock:
            return serial != self._latest

    def _loop(self) -> None:
        _lower_thread_priority()
        while True:
            with self._lock:
                while self._job is None and self._latest >= 0:
                    self._lock.wait()
                if self._latest < 0:
                    return
                job, self._job = self._job, None
            self._compute(*job)

    def _compute(self, serial: int, ids, matrix, model_id: str, centre) -> None:
        try:
            cached = sound_map.cached_map(ids, matrix, model_id, centre, self.cache, self.method)
            if cached is not None:
                self._computed.emit(serial, cached, True)
                return
            full_method = sound_map.fit_method(self.method or sound_map.best_method(), len(ids))
            if full_method == sound_map.PCA:   # PCA is all there is: the preview is the map
                self._computed.emit(serial, sound_map.fit_map(ids, matrix, model_id, centre, self.cache,
                                                              sound_map.PCA), True)
                return
            self._computed.emit(serial, sound_map.quick_map(ids, matrix, centre), False)
            if self._overtaken(serial):
                return
            self._computed.emit(serial, sound_map.fit_map(ids, matrix, model_id, centre, self.cache,
                                                          self.method), True)
        except Exception as exc:  # noqa: BLE001 - bad vectors or a library failure: say so, keep the app
            log.warning("sound map failed: %s", exc)
            self._error.emit(serial, f"The sound map could not be computed: {exc}")

    def _read_moods(self, serial: int, store, model_id: str, ids, moods, threshold: float) -> None:
        try:
            labels = sound_map.mood_labels(store.embedding_profiles(model_id, ids), moods, threshold)
        except Exception as exc:  # noqa: BLE001 - a failed read colours the map grey, nothing more
            log.warning("sound map: mood labels could not be read: %s", exc)
            labels = {}
        self._moods_read.emit(serial, labels)

    # --- UI thread --------------------------------------------------------------------------------
    @Slot(int, object)
    def _on_moods_read(self, serial: int, labels) -> None:
        if serial == self._mood_serial:
            self.moodsReady.emit(labels)

    @Slot(int, object, bool)
    def _on_computed(self, serial: int, smap, final: bool) -> None:
        if serial == self._serial:
            self.mapReady.emit(serial, smap, final)

    @Slot(int, str)
    def _on_error(self, serial: int, text: str) -> None:
        if serial == self._serial:
            self.failed.emit(serial, text)
