"""The one code path that turns library tracks into stored embeddings (no Qt).

`EmbeddingRunner` pulls `store.tracks_needing_embedding(model_id)`, embeds them in small batches with
the injected embedder and commits every batch in one `save_embeddings` transaction, so a kill at any
moment leaves whole batches or nothing: the next run asks the store again and carries on, with no
duplicate rows (the store upserts on (track_id, model_id)) and nothing lost but the batch in flight.

The Qt `EmbeddingWorker` (fmaplayer/workers) drives it in a QThread with `stay_alive=True`; the CLI
runs it inline. Control methods (pause/resume/cancel/request_priority/refresh) are thread-safe and
take effect at the next batch boundary; a priority request also runs while paused, because the user
is waiting for it.

Another program holding the database's write lock (a second fmaplayer, a backup tool, sqlite3) is not a
fault: the store call is retried after a bounded backoff (0.5 s doubling to 30 s, woken early by cancel),
the batch's vectors kept in hand, so the analysis carries on when the lock goes. Anything else stops it.

When the to-do list is empty and the model covers the library (every readable track has its vector or a
recorded failure), the vectors of earlier models are deleted (`LibraryStore.drop_superseded_embeddings`):
after an upgrade's re-analysis nothing serves them any more. A file that failed only for now (transient)
keeps the old vectors until it is analysed.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from fmaplayer.errors import AnalysisError, AudioDecodeError, is_database_busy, is_transient_reason
from fmaplayer.library.paths import display_path
from fmaplayer.library.store import EmbeddingRow

DEFAULT_BATCH_SIZE = 8
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 30.0   # backoff while another program holds the database lock


class _CancelledWhileWaiting(Exception):
    """cancel() arrived while a store call waited for the database lock: the batch is redone next run."""


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    tracks_per_s: float


@dataclass(frozen=True)
class CommittedBatch:
    """What one transaction stored: enough for the in-memory index and the genre column."""

    ids: list[int]
    vectors: np.ndarray          # len(ids) x D, unit rows
    genres: dict[int, str]


@dataclass
class RunSummary:
    embedded: int = 0
    failed: dict[int, tuple[str, str]] = field(default_factory=dict)   # id -> (path, reason)
    transient: set[int] = field(default_factory=set)   # failed ids not stored: retried next run
    seconds: float = 0.0
    busy_seconds: float = 0.0
    device: str = ""
    model_id: str = ""
    cancelled: bool = False
    superseded_dropped: int = 0   # earlier models' embeddings deleted once this model covered the library

    @property
    def tracks_per_s(self) -> float:
        processed = self.embedded + len(self.failed)
        return processed / self.busy_seconds if self.busy_seconds > 0 else 0.0


class EmbeddingRunner:
    def __init__(
        self,
        store,
        embedder,
        batch_size: int = DEFAULT_BATCH_SIZE,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        on_committed: Callable[[CommittedBatch], None] | None = None,
        on_failed: Callable[[int, str], None] | None = None,
        on_waiting: Callable[[str, float], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        retry_delays: tuple[float, float] = (RETRY_FIRST_S, RETRY_MAX_S),
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.store = store
        self.embedder = embedder
        self.batch_size = batch_size
        self.on_progress = on_progress
        self.on_committed = on_committed
        self.on_failed = on_failed
        self.on_waiting = on_waiting   # (reason, seconds until the next try) while the database is locked
        self._clock = clock
        self._retry_first, self._retry_max = (float(d) for d in retry_delays)
        self._cond = threading.Condition()
        self._queue: deque = deque()
        self._priority: list[int] = []
        self._paused = False
        self._cancelled = False
        self._refresh_requested = False
        self._done = 0
        self._stalled_s = 0.0   # time spent waiting for another program's database lock
        self._only_model_left = False   # no other model's embeddings remain (none are written by this run)
        self.summary = RunSummary()

    # --- control (any thread) -------------------------------------------------------------------
    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    def pause(self) -> None:
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    def cancel(self) -> None:
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def request_priority(self, track_ids: Iterable[int]) -> None:
        """Embed these next, ahead of the background queue (on-demand "Get relevant songs")."""
        with self._cond:
            for track_id in track_ids:
                if int(track_id) not in self._priority:
                    self._priority.append(int(track_id))
            self._cond.notify_all()

    def refresh(self) -> None:
        """Re-read the store's to-do list at the next batch boundary (after a rescan)."""
        with self._cond:
            self._refresh_requested = True
            self._cond.notify_all()

    # --- the loop -------------------------------------------------------------------------------
    def run(self, stay_alive: bool = False) -> RunSummary:
        """Embed everything pending. With stay_alive, then wait for priority/refresh until cancelled."""
        started = self._clock()
        self.summary = RunSummary(device=str(getattr(self.embedder, "device", "")), model_id=self.model_id)
        try:
            self._load_queue()
            self._emit_progress()
            self._drop_superseded()
            while True:
                step = self._next_step(stay_alive)
                if step is None:
                    break
                kind, payload = step
                if kind == "refresh":
                    self._load_queue()
                else:
                    self._process(payload)
                self._emit_progress()
                self._drop_superseded()
        except _CancelledWhileWaiting:
            pass
        self.summary.cancelled = self._cancelled
        self.summary.seconds = self._clock() - started
        return self.summary

    def embed_ids(self, track_ids: Iterable[int]) -> RunSummary:
        """Embed and commit exactly these tracks now (the CLI's `similar` on a not-yet-analysed file)."""
        self.summary = RunSummary(device=str(getattr(self.embedder, "device", "")), model_id=self.model_id)
        started = self._clock()
        try:
            self._process(([], [int(i) for i in track_ids]))
        except _CancelledWhileWaiting:
            self.summary.cancelled = True
        self.summary.seconds = self._clock() - started
        return self.summary

    def _load_queue(self) -> None:
        pending = list(self._patiently(self.store.tracks_needing_embedding, self.model_id))
        done = self._patiently(self.store.embedding_counts, self.model_id)[0]
        with self._cond:
            self._queue = deque(pending)
            self._done = done

    def _next_step(self, stay_alive: bool):
        with self._cond:
            while True:
                if self._cancelled:
                    return None
                if self._priority:
                    wanted = set(self._priority)
                    self._priority = []
                    queued = [t for t in self._queue if t.id in wanted]
                    if queued:
                        self._queue = deque(t for t in self._queue if t.id not in wanted)
                    known = {t.id for t in queued}
                    extra = [i for i in wanted if i not in known]
                    return "batch", (queued, extra)
                if self._refresh_requested:
                    self._refresh_requested = False
                    return "refresh", None
                if not self._paused and self._queue:
                    batch = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
                    return "batch", (batch, [])
                if not self._queue and not self._paused and not stay_alive:
                    return None
                self._cond.wait()

    def _process(self, payload) -> None:
        queued, extra_ids = payload
        tracks = list(queued)
        counted = {t.id for t in queued}   # tracks from the to-do list move the progress bar
        if extra_ids:   # priority ids not in the queue: already embedded, failed before, or new
            tracks += self._patiently(self.store.tracks_by_ids, extra_ids)
        readable = []
        failures: dict[int, tuple[str, str]] = {}
        for track in tracks:
            if getattr(track, "error", None):
                failures[track.id] = (track.path, track.error)
            else:
                readable.append(track)
        began, stalled = self._clock(), self._stalled_s
        rows: list[EmbeddingRow] = []
        for track, result in zip(readable, self._embed([t.path for t in readable]), strict=True):
            if isinstance(result, AudioDecodeError):
                failures[track.id] = (track.path, _reason(result))
            elif isinstance(result, BaseException):
                # not about the file: recording it would mark good tracks unreadable for ever
                raise AnalysisError(
                    "analysis stopped, no track was marked unreadable: the model failed on "
                    f"{display_path(track.path)}: "
                    f"{type(result).__name__}: {_reason(result)}") from result
            elif not _finite(result):
                failures[track.id] = (track.path, "invalid audio samples (NaN or infinite values)")
            else:
                rows.append(EmbeddingRow(
                    track_id=track.id, vector=np.asarray(result.vector, dtype=np.float32),
                    genre=result.genre or "", genre_probs=getattr(result, "genre_probs", None),
                    mood=getattr(result, "mood", None), mood_probs=getattr(result, "mood_probs", None),
                    tempo=getattr(result, "tempo", None)))
        # one transaction for the batch's embeddings; failures are idempotent and retried if lost
        if rows:
            self._patiently(self.store.save_embeddings, self.model_id, rows)
        for track_id, (_path, reason) in failures.items():
            if is_transient_reason(reason):   # cheap to retry, and likely fixed by then (chmod, remount)
                self.summary.transient.add(track_id)
            else:
                self._patiently(self.store.record_embedding_failure, self.model_id, track_id, reason)
        self.summary.busy_seconds += max(0.0, self._clock() - began - (self._stalled_s - stalled))
        self.summary.embedded += len(rows)
        self.summary.failed.update(failures)
        with self._cond:
            self._done += len(counted)
        if rows and self.on_committed:
            self.on_committed(CommittedBatch(
                ids=[r.track_id for r in rows],
                vectors=np.stack([r.vector for r in rows]).astype(np.float32),
                genres={r.track_id: r.genre for r in rows}))
        if self.on_failed:
            for track_id, (_path, reason) in failures.items():
                self.on_failed(track_id, reason)

    def _drop_superseded(self) -> None:
        """With the to-do list empty, delete earlier models' embeddings if this model covers the library."""
        drop = getattr(self.store, "drop_superseded_embeddings", None)
        with self._cond:
            idle = not self._queue
        if drop is None or self._only_model_left or not idle or self.summary.transient:
            return
        others = set(self._patiently(self.store.embedding_model_counts)) - {self.model_id}
        if others:
            self.summary.superseded_dropped += self._patiently(drop, self.model_id)
            others = set(self._patiently(self.store.embedding_model_counts)) - {self.model_id}
        self._only_model_left = not others

    def _patiently(self, call, *args):
        """`call(*args)`, tried again with a growing pause while another connection holds the database
        lock; any other error goes up. cancel() ends the wait (the batch in hand is redone next run)."""
        delay = self._retry_first
        while True:
            tried = self._clock()
            try:
                return call(*args)
            except Exception as exc:
                if not is_database_busy(exc):
                    raise
                reason = str(exc)
            if self.on_waiting is not None:
                self.on_waiting(reason, delay)
            with self._cond:
                cancelled = self._cond.wait_for(lambda: self._cancelled, timeout=delay)
            self._stalled_s += self._clock() - tried
            if cancelled:
                raise _CancelledWhileWaiting
            delay = min(delay * 2, self._retry_max)

    def _embed(self, paths: list[str]) -> list:
        if not paths:
            return []
        with openable_names(paths) as names:
            try:
                results = list(self.embedder.embed_many(names))
            except Exception:
                # one bad apple (or a library error the embedder did not wrap) must not sink the batch:
                # retry one by one so only the culprit is recorded as a failure
                results = []
                for name in names:
                    try:
                        results.append(self.embedder.embed(name))
                    except Exception as exc:  # noqa: BLE001 - classified by _process
                        results.append(exc)
        for i, (path, name) in enumerate(zip(paths, names, strict=True)):
            if name != path and isinstance(results[i], AudioDecodeError):
                results[i] = AudioDecodeError(str(results[i]).replace(name, display_path(path)))
        return results

    def _emit_progress(self) -> None:
        if self.on_progress is None:
            return
        with self._cond:
            done, remaining = self._done, len(self._queue)
        self.on_progress(Progress(done=done, total=done + remaining, tracks_per_s=self.summary.tracks_per_s))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _finite(result) -> bool:
    arrays = (result.vector, getattr(result, "genre_probs", None), getattr(result, "mood_probs", None))
    return all(a is None or bool(np.all(np.isfinite(np.asarray(a, dtype=np.float64)))) for a in arrays)


# libsndfile takes a path of at most 1023 bytes and encodes str paths as strict UTF-8; names that
# break either rule are handed to the embedder as /proc/self/fd/N of a file we opened (Linux).
_NATIVE_PATH_LIMIT = 1000
_FD_DIR = "/proc/self/fd"


def _needs_proxy(path: str) -> bool:
    raw = os.fsencode(path)
    if len(raw) >= _NATIVE_PATH_LIMIT:
        return True
    try:
        raw.decode("utf-8")
        path.encode("utf-8")
    except UnicodeError:
        return True
    return False


@contextlib.contextmanager
def openable_names(paths: list[str]):
    names, fds = [], []
    try:
        for path in paths:
            if _needs_proxy(path) and os.path.isdir(_FD_DIR):
                try:
                    fd = os.open(os.fsencode(path), os.O_RDONLY)
                except OSError:
                    names.append(path)   # the embedder reports why it cannot be opened
                    continue
                fds.append(fd)
                names.append(f"{_FD_DIR}/{fd}")
            else:
                names.append(path)
        yield names
    finally:
        for fd in fds:
            os.close(fd)
