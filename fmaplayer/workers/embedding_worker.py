"""Background embedding in its own QThread: the Qt face of `EmbeddingRunner`.

The embedder factory is called inside the worker thread, so the inference runtime (ml/runtime.py:
LiteRT on the CPU, TensorFlow on a CUDA GPU) is imported and the model loaded there, after the
window is up; tests inject a factory returning a fake embedder. All batching and committing is done
by `fmaplayer.recommend.embedding_runner.EmbeddingRunner`, the same class the CLI uses. Control calls
(pause/resume/cancel/request_priority/refresh) are made directly from the UI thread: the worker thread
sits in the runner's loop rather than in an event loop, and the runner's methods are thread-safe.
Results come back to the UI thread as queued signals.

Another program holding the database lock only makes the runner wait and retry (`waiting` says so); a real
fault (the model failing, a damaged database) stops the analysis with `error`, and the thread then waits
for the next library change (`refresh()`, called after every scan) to try again (`restarted`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from fmaplayer.errors import AnalysisError
from fmaplayer.ml.embedder_factory import EmbedderFactory, default_embedder_factory
from fmaplayer.recommend.embedding_runner import DEFAULT_BATCH_SIZE, CommittedBatch, EmbeddingRunner, Progress


class EmbeddingWorker(QObject):
    progress = Signal(int, int, float)        # done, total, tracks per second
    batchCommitted = Signal(list)             # track ids stored by one transaction
    committed = Signal(object)                # CommittedBatch: ids, unit vectors, predicted genres
    trackFailed = Signal(int, str)            # track id, reason (also stored in the library)
    deviceReady = Signal(str)                 # "CPU", "GPU:0 (NVIDIA ...)"
    modelReady = Signal(str)                  # model id the stored embeddings are keyed by
    indexLoaded = Signal(object, object, object)   # ids (int64), matrix (N x D float32), {id: genre}
    indexModel = Signal(str)                  # model id of the vectors the next indexLoaded carries
    error = Signal(str)
    pausedChanged = Signal(bool)
    waiting = Signal(str)                     # the database is locked by another program: retrying soon
    restarted = Signal()                      # a library change started the analysis again after `error`
    finished = Signal()

    def __init__(self, store, embedder_factory: EmbedderFactory = default_embedder_factory,
                 device: str = "auto", batch_size: int = DEFAULT_BATCH_SIZE, stay_alive: bool = True,
                 load_index: bool = True, model_id_hint: Callable[[], str | None] | None = None) -> None:
        super().__init__()
        self._store = store
        self._factory = embedder_factory
        self._device = device
        self._batch_size = batch_size
        self._stay_alive = stay_alive
        self._load_index = load_index
        # with a hint (the manifest's id), stored embeddings load before the model does, so "Get
        # relevant songs" works seconds earlier for tracks analysed in an earlier session
        self._model_id_hint = model_id_hint
        self._lock = threading.Lock()
        self._runner: EmbeddingRunner | None = None
        # control calls that arrive before the model is loaded are replayed onto the runner
        self._paused = False
        self._cancelled = False
        self._pending_priority: list[int] = []
        self._library_changed = threading.Event()   # wakes a worker that a fault stopped
        self._embedder = None
        self.device = ""
        self.model_id = ""
        # while a new model re-analyses the library, the panel keeps the previous model's vectors
        # (another space: they are never mixed); the index switches when the new model has caught up
        self.serving_model_id = ""

    # --- control, from any thread ---------------------------------------------------------------
    def pause(self) -> None:
        with self._lock:
            self._paused = True
            if self._runner:
                self._runner.pause()
        self.pausedChanged.emit(True)

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self._runner:
                self._runner.resume()
        self.pausedChanged.emit(False)

    def is_paused(self) -> bool:
        return self._paused

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._runner:
                self._runner.cancel()
        self._library_changed.set()

    def request_priority(self, track_ids) -> None:
        ids = [int(i) for i in track_ids]
        with self._lock:
            if self._runner:
                self._runner.request_priority(ids)
            else:
                self._pending_priority.extend(ids)

    def refresh(self) -> None:
        with self._lock:
            if self._runner:
                self._runner.refresh()
        self._library_changed.set()

    # --- the thread body ------------------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        try:
            _lower_thread_priority()
            first = True
            while not self._cancelled:
                self._library_changed.clear()
                if self._run_once(first) or not self._stay_alive:
                    break
                first = False
                self._library_changed.wait()   # a fault stopped it: the next library change tries again
                if self._cancelled:
                    break
                self.restarted.emit()
        finally:
            self.finished.emit()

    def _run_once(self, first: bool) -> bool:
        """False when a fault stopped the analysis (a library change tries again), else True."""
        try:
            return self._run(first)
        except AnalysisError as exc:   # says what stopped and that nothing was marked
            text = str(exc)
            self.error.emit(text[:1].upper() + text[1:])
        except Exception as exc:  # noqa: BLE001 - anything escaping would kill the thread silently
            self.error.emit(f"Analysis stopped: {exc}")
        return False

    def _run(self, first: bool = True) -> bool:
        if self._cancelled:
            return True
        early_id = self._model_id_hint() if (first and self._model_id_hint and self._load_index) else None
        if early_id:
            self._emit_index(early_id)
        if not first and self._embedder is not None:
            return self._run_runner(self._embedder)
        try:
            embedder = self._embedder = self._factory(self._device)
        except Exception as exc:  # noqa: BLE001 - ModelLoadError, or TensorFlow failing to import
            self.error.emit(f"Could not load the analysis model: {exc}")
            return True   # a rescan does not mend the model: this worker is done
        self.device = str(getattr(embedder, "device", ""))
        self.model_id = embedder.model_id
        self.deviceReady.emit(self.device)
        self.modelReady.emit(self.model_id)
        if self._load_index and self.model_id != early_id:
            self._emit_index(self.model_id)
        return self._run_runner(embedder)

    def _run_runner(self, embedder) -> bool:
        runner = EmbeddingRunner(self._store, embedder, self._batch_size, on_progress=self._on_progress,
                                 on_committed=self._on_committed, on_failed=self.trackFailed.emit,
                                 on_waiting=self._on_waiting)
        with self._lock:
            self._runner = runner
            if self._paused:
                runner.pause()
            if self._cancelled:
                runner.cancel()
            if self._pending_priority:
                runner.request_priority(self._pending_priority)
                self._pending_priority = []
        runner.run(stay_alive=self._stay_alive)
        return True

    def _on_waiting(self, _reason: str, seconds: float) -> None:
        self.waiting.emit("Analysis waits: another program is writing to the library database; "
                          f"trying again in {max(1, round(seconds))} s")

    def _emit_index(self, model_id: str, force: bool = False) -> None:
        serve = model_id if force else self._model_to_serve(model_id)
        ids, matrix = self._store.load_embeddings(serve)
        self.serving_model_id = serve
        self.indexModel.emit(serve)
        self.indexLoaded.emit(ids, matrix, self._store.predicted_genres(serve))

    def _model_to_serve(self, model_id: str) -> str:
        """`model_id`, unless an earlier model has more tracks analysed than it so far."""
        counts = self._store.embedding_model_counts()
        mine = counts.get(model_id, 0)
        best = max(counts, key=lambda m: (counts[m], m == model_id), default=model_id)
        return best if counts.get(best, 0) > mine else model_id

    def _on_progress(self, progress: Progress) -> None:
        self.progress.emit(progress.done, progress.total, progress.tracks_per_s)
        if self.serving_model_id != self.model_id and self.model_id and progress.done >= progress.total:
            # re-analysis finished: switch even if the old model had more rows (files the new one
            # cannot read), else the index would be reloaded on every idle progress report
            self._emit_index(self.model_id, force=True)

    def _on_committed(self, batch: CommittedBatch) -> None:
        if self.serving_model_id in ("", self.model_id):
            self.committed.emit(batch)
        elif self._model_to_serve(self.model_id) == self.model_id:
            self._emit_index(self.model_id)  # the new model now covers more tracks than the old one
        self.batchCommitted.emit(list(batch.ids))


def _lower_thread_priority() -> None:
    """Nice this thread (Linux: per thread) before the runtime starts its thread pools, which inherit it, so
    analysis yields the CPU to the UI and audio threads on small machines. Best effort."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


def start_in_thread(worker: EmbeddingWorker) -> QThread:
    """Move the worker to a new QThread and start it; keep the returned thread referenced."""
    thread = QThread()
    thread.setObjectName("embedding-worker")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    thread.start(QThread.Priority.LowPriority)
    return thread


def stop_thread(worker: EmbeddingWorker, thread: QThread, timeout_ms: int = 15000) -> bool:
    """Cancel and wait. The batch in flight finishes and commits (or, if killed, is simply redone)."""
    worker.cancel()
    if not thread.isRunning():
        return True
    thread.quit()
    return bool(thread.wait(timeout_ms))
