"""The desktop's side of a cluster analysis: one Ray Data pipeline out, results committed as they come back.

`ClusterRunner` is the local `EmbeddingRunner` with its analysis step replaced by the cluster's results:
the to-do list, the classification of failures (stored for good, or transient and retried next run), the
checks of the vectors, the one-transaction-per-batch `save_embeddings`, the waits for another program's
database lock and the summary are the local runner's own code. So a kill at any moment loses at most the
batches in flight, a rerun asks the store again and carries on, and the upsert on (track, model) keeps it
free of duplicates.

The pipeline: the pending tracks' ids and paths (`from_items`, one block per batch) -> with
`--ship-audio`, the files' bytes read on this machine's node -> `map_batches(Analyser)` on a pool of
actors that load the model once each. An actor that dies (killed, out of memory, node lost) is restarted
and its batch retried by Ray (`max_restarts`, `max_task_retries`); a batch that kills its worker again and
again, or a cluster that goes away, stops the run with a ClusterError and the batches committed so far
kept.
"""

from __future__ import annotations

import inspect
import logging
import math
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from fmaplayer.cluster.analysis import Analyser, decode_result, read_files
from fmaplayer.cluster.connect import ClusterError
from fmaplayer.errors import AudioDecodeError
from fmaplayer.recommend.embedding_runner import (
    EmbeddingRunner,
    Progress,
    RunSummary,
    _CancelledWhileWaiting,
)

DEFAULT_BATCH_SIZE = 16        # tracks per actor call and per commit (the Embedder's chunk)
MAX_TASK_RETRIES = 3           # a batch whose worker died this often more stops the run (a poison file?)
READ_TASKS = 2                 # --ship-audio: files read at once on the desktop's node
RAY_CLIENT_REFUSAL = (
    "Ray Data does not run over Ray Client (ray://) in this Ray version: join the cluster from this machine "
    "with `ray start --address=HEAD:6379 --num-cpus=0` and scan with --ray auto")
WATCH_EVERY_S, GONE_AFTER_S = 2.0, 10.0   # the head is asked this often; silent this long = gone
STUCK_GRACE_S = 5.0            # then the main thread has this long to stop by itself


@dataclass(frozen=True)
class WorkerPlan:
    workers: int
    cpus: float
    gpus: float
    device: str

    def describe(self) -> str:
        each = f"{self.gpus:g} GPU" if self.gpus else f"{self.cpus:g} CPU"
        return f"{self.workers} worker{'s' if self.workers != 1 else ''} x {each}"


def plan_workers(ray, device: str = "auto", workers: int | None = None,
                 cpus_per_worker: float | None = None) -> WorkerPlan:
    """One actor per GPU when the cluster has GPUs (and the device is not forced to the CPU); otherwise
    actors of the smallest node's size (the Embedder uses its cores in turns: decoding, then the forward
    pass), as many as the nodes hold."""
    nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
    gpus = sum(r.get("GPU", 0) for r in nodes)
    if device != "cpu" and gpus >= 1 and cpus_per_worker is None:
        return WorkerPlan(workers or int(gpus), 1.0, 1.0, "auto")
    cpus = [r.get("CPU", 0) for r in nodes if r.get("CPU", 0) >= 1]
    if not cpus:
        raise ClusterError("the Ray cluster has no CPU to analyse on (no node joined it with --num-cpus > 0)")
    each = float(cpus_per_worker or max(1, int(min(cpus))))
    count = workers or max(1, sum(int(c // each) for c in cpus))
    return WorkerPlan(int(count), each, 0.0, "cpu")


class _ClusterModel:
    """What the runner asks of its embedder, for a model that runs elsewhere."""

    def __init__(self, model_id: str, device: str) -> None:
        self.model_id = model_id
        self.device = device


class ClusterRunner(EmbeddingRunner):
    def __init__(self, store, model_id: str, *, ship_audio: bool = False, device: str = "auto",
                 batch_size: int = DEFAULT_BATCH_SIZE, workers: int | None = None,
                 cpus_per_worker: float | None = None, analyser: type = Analyser,
                 max_task_retries: int = MAX_TASK_RETRIES,
                 on_progress: Callable[[Progress], None] | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        super().__init__(store, _ClusterModel(model_id, "Ray"), batch_size, on_progress=on_progress,
                         clock=clock)
        self.ship_audio = ship_audio
        self.device_choice = device
        self.workers = workers
        self.cpus_per_worker = cpus_per_worker
        self.analyser = analyser
        self.max_task_retries = max_task_retries
        self.plan: WorkerPlan | None = None
        self.worker_runtime = ""
        self._ready: dict[str, object] = {}
        self._left = 0
        self._run_started = 0.0

    # --- the loop -------------------------------------------------------------------------------
    def run(self, stay_alive: bool = False) -> RunSummary:
        started = self._run_started = self._clock()
        self.summary = RunSummary(device="Ray", model_id=self.model_id)
        try:
            self._load_queue()
            with self._cond:
                pending, self._queue = list(self._queue), type(self._queue)()
            self._left = len(pending)
            self._emit_progress()
            if pending and not self._cancelled:
                self._stream(pending)
        except _CancelledWhileWaiting:
            pass
        finally:
            self.summary.cancelled = self._cancelled
            self.summary.seconds = self._clock() - started
            self.summary.busy_seconds = self.summary.seconds   # the cluster's wall time is the analysis time
        return self.summary

    def _stream(self, pending: list) -> None:
        import ray

        self.plan = plan_workers(ray, self.device_choice, self.workers, self.cpus_per_worker)
        self.summary.device = f"Ray: {self.plan.describe()}"
        dataset = self._pipeline(ray, pending)
        by_id = {t.id: t for t in pending}
        batches = iter(dataset.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=1))
        watchdog = _Watchdog(_gcs_address(ray), self._stopped_message)
        try:
            while not self._cancelled:
                try:
                    batch = next(batches)
                except StopIteration:
                    break
                except (ClusterError, KeyboardInterrupt):
                    raise
                except Exception as exc:   # RayTaskError, ActorDiedError after its retries, ...
                    raise ClusterError(self._stopped_message(exc)) from None
                self._commit(batch, by_id)
        except KeyboardInterrupt:
            if watchdog.gone:   # the watchdog's interruption, wherever it landed
                raise ClusterError(self._stopped_message(watchdog.gone)) from None
            raise
        finally:
            watchdog.stop()
            if not watchdog.gone:   # with the cluster gone, closing would wait on it
                close = getattr(batches, "close", None)
                if close is not None:
                    close()

    def _pipeline(self, ray, pending: list):
        if _is_ray_client(ray):
            raise ClusterError(RAY_CLIENT_REFUSAL)
        import ray.data

        _quiet_ray_data()
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False     # the CLI prints its own progress line
        context.execution_options.preserve_order = False
        rows = [{"id": int(t.id), "path": os.fsencode(t.path)} for t in pending]
        blocks = max(1, math.ceil(len(rows) / self.batch_size))   # one block per batch and commit
        dataset = ray.data.from_items(rows, override_num_blocks=blocks)
        if self.ship_audio:
            here = ray.get_runtime_context().get_node_id()
            dataset = dataset.map_batches(
                read_files, batch_size=None, num_cpus=0, compute=ray.data.TaskPoolStrategy(size=READ_TASKS),
                **_on_node(dataset, here))
        plan = self.plan
        extra = {"num_gpus": plan.gpus} if plan.gpus else {}
        with warnings.catch_warnings():
            # Ray Data's own defaults are endless restarts and retries, which would loop on a file that
            # kills its worker every time; Ray 2.60 calls these arguments deprecated but has no other way
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*deprecated")
            return dataset.map_batches(
                self.analyser, batch_size=self.batch_size, batch_format="numpy",
                fn_constructor_kwargs={"device": plan.device, "threads": int(plan.cpus)},
                compute=ray.data.ActorPoolStrategy(size=plan.workers), num_cpus=plan.cpus,
                max_restarts=-1, max_task_retries=self.max_task_retries, **extra)

    def _commit(self, batch: dict, by_id: dict) -> None:
        ids = [int(i) for i in batch["id"]]
        models = {str(m) for m in batch["model_id"]}
        if models != {self.model_id}:
            raise ClusterError(
                f"the cluster's workers analyse with model {', '.join(sorted(models))}, this machine's "
                f"library uses {self.model_id}: install the same fmaplayer version on every node")
        if len(batch["runtime"]):
            self.worker_runtime = str(batch["runtime"][0])
        tracks, results = [], []
        for track_id, blob in zip(ids, batch["result"], strict=True):
            track = by_id.pop(track_id, None)   # None: already committed (a retried batch's twin)
            if track is not None:
                tracks.append(track)
                results.append(_worker_view(track.path, decode_result(blob)))
        if not tracks:
            return
        self._ready = {t.path: r for t, r in zip(tracks, results, strict=True)}
        self._process((tracks, []))
        self._left -= len(tracks)
        self._emit_progress()

    # --- the local runner's hooks -----------------------------------------------------------------
    def _embed(self, paths: list[str]) -> list:
        return [self._ready.pop(path) for path in paths]

    def _emit_progress(self) -> None:
        if self.on_progress is None:
            return
        elapsed = self._clock() - self._run_started
        processed = self.summary.embedded + len(self.summary.failed)
        with self._cond:
            done = self._done
        self.on_progress(Progress(done=done, total=done + max(0, self._left),
                                  tracks_per_s=processed / elapsed if elapsed > 0 else 0.0))

    def _stopped_message(self, exc: BaseException | str) -> str:
        if isinstance(exc, str):
            return (f"the Ray cluster went away ({exc}); {self.summary.embedded} tracks analysed in this run "
                    f"are stored, {self._left} are left: run the same command again once it is back")
        text = " ".join(str(exc).split())
        cause = text if len(text) <= 400 else text[:400] + "..."
        return (f"the analysis on the Ray cluster stopped ({type(exc).__name__}: {cause}); "
                f"{self.summary.embedded} tracks analysed in this run are stored, {self._left} are left: "
                "run the same command again to carry on")


def _worker_view(path: str, result):
    """A file a worker cannot see but this machine can: still transient ("file not found"), with the hint."""
    if isinstance(result, AudioDecodeError) and str(result).startswith("file not found") \
            and os.path.exists(path):
        return AudioDecodeError(f"{result} on the cluster's worker (mount the library at the same path on "
                                "every node, or scan with --ship-audio)")
    return result


class _Watchdog:
    """Checks every few seconds that the cluster's head still answers. Ray's driver would wait a minute for a
    vanished head, then end the process without a word; this stops the run in words instead: it interrupts
    the main thread, which turns that into a ClusterError. A main thread stuck inside Ray (its calls do not
    always return once the head is gone) gets a few seconds, then the message is said here and the process
    ends: every committed batch is a finished SQLite transaction, the one in progress is rolled back."""

    def __init__(self, gcs_address: str | None, describe: Callable[[str], str],
                 every_s: float = WATCH_EVERY_S, gone_after_s: float = GONE_AFTER_S) -> None:
        self.gone: str = ""
        self._describe = describe
        self._stop = threading.Event()
        if gcs_address:
            threading.Thread(target=self._watch, args=(gcs_address, every_s, gone_after_s),
                             name="ray-watchdog", daemon=True).start()

    def _watch(self, address: str, every_s: float, gone_after_s: float) -> None:
        from fmaplayer.cluster.connect import check_reachable

        first_miss = None
        while not self._stop.wait(every_s):
            try:
                check_reachable(address, timeout_s=every_s)
                first_miss = None
                continue
            except ClusterError:
                first_miss = first_miss or time.monotonic()
            if time.monotonic() - first_miss < gone_after_s:
                continue
            self.gone = f"its head at {address} has not answered for {gone_after_s:g} s"
            os.kill(os.getpid(), signal.SIGINT)   # wakes the main thread's wait for results
            if not self._stop.wait(STUCK_GRACE_S):
                sys.stderr.write(f"\nfmaplayer: {self._describe(self.gone)}\n")
                sys.stderr.flush()
                os._exit(1)
            return

    def stop(self) -> None:
        self._stop.set()


def _gcs_address(ray) -> str | None:
    try:
        return str(ray.get_runtime_context().gcs_address) or None
    except Exception:  # noqa: BLE001 - Ray Client: the server side watches its own head
        return None


def _on_node(dataset, node_id: str) -> dict:
    """map_batches arguments that run a stage on one node: its label (Ray >= 2.49), else node affinity."""
    if "label_selector" in inspect.signature(dataset.map_batches).parameters:
        return {"label_selector": {"ray.io/node-id": node_id}}
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return {"scheduling_strategy": NodeAffinitySchedulingStrategy(node_id=node_id, soft=False)}


class _OnlyWarnings(logging.Filter):
    """Ray Data's console: its warnings and errors, not its INFO lines nor the note that we turned its
    progress bars off (the CLI prints its own progress line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING and "Progress bars disabled" not in record.getMessage()


def _quiet_ray_data() -> None:
    for handler in logging.getLogger("ray.data").handlers:
        if type(handler).__name__ != "SessionFileHandler" and not any(
                isinstance(f, _OnlyWarnings) for f in handler.filters):
            handler.addFilter(_OnlyWarnings())


def _is_ray_client(ray) -> bool:
    try:
        from ray.util.client import ray as client

        return bool(client.is_connected())
    except Exception:  # noqa: BLE001 - no client module: a plain driver
        return False


def progress_text(p: Progress) -> str:
    left = max(0, p.total - p.done)
    text = f"{p.done}/{p.total} tracks, {p.tracks_per_s:.1f} tracks/s, {left} left"
    if left and p.tracks_per_s > 0:
        text += f", about {_duration(left / p.tracks_per_s)} to go"
    return text


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
