"""The analysers a user might pick instead of ours, timed on the same files: musly and bliss.

- **musly** (`pymusly`, the `eval` extra): the "timbre" method on the excerpt musly's own command line
  analyses (30 s centred in the track, starting at least 48 s in). pymusly's file decoder needs the ffmpeg
  program, so the excerpt is decoded here the way ours are (soundfile seek + soxr to 22,050 Hz mono) and
  handed over as PCM — the cheapest way musly gets its input, which makes our ratio to it conservative.
- **bliss** (`bliss-audio`, bindings of bliss-rs): `Song(path)`, which decodes and analyses the whole file
  (its own decoder) as bliss's library scan does.

Each peer runs in worker processes (spawned, so TensorFlow in the parent is not forked), with one worker
and with one per core; the faster is its figure. Pool start-up and the first call are outside the timing,
as our model load is. Our passes and the peers' alternate, so a shared machine's drift hits all alike.
A file a peer cannot take (it raises, or its process dies) is found in an untimed first pass, skipped in
the timed ones and counted in the report; the peer's tracks/s is over the files it analysed.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

MUSLY_EXCERPT_S = 30.0
MUSLY_MIN_START_S = 48.0

_JUKEBOX = None


def musly_excerpt_bounds(duration_s: float) -> tuple[float, float]:
    """(start, length) of musly's default excerpt: centred, but not starting before 48 s."""
    start = max(MUSLY_MIN_START_S, duration_s / 2 - MUSLY_EXCERPT_S / 2)
    if start >= duration_s:  # a short file: musly falls back to the whole file
        start = 0.0
    return start, min(MUSLY_EXCERPT_S, duration_s - start)


def musly_track(path: str) -> int:
    """Analyse one file with musly's timbre method; returns the model's size in bytes (a sanity check)."""
    global _JUKEBOX
    import pymusly

    from fmaplayer.audio.decode import probe, read_excerpt

    if _JUKEBOX is None:
        _JUKEBOX = pymusly.MuslyJukebox("timbre")
    start, length = musly_excerpt_bounds(probe(path).duration)
    pcm = read_excerpt(path, start, length, target_sr=22050, mono=True)
    track = _JUKEBOX.track_from_audiodata(pcm.tolist())
    return len(_JUKEBOX.serialize_track(track))


def bliss_track(path: str) -> int:
    """Analyse one file with bliss; returns the number of its features (20-odd)."""
    from bliss_audio import Song

    return len(Song(str(path)).analysis)


PEERS: dict[str, tuple[str, Callable[[str], int]]] = {
    "musly": ("pymusly", musly_track),
    "bliss": ("bliss_audio", bliss_track),
}


def _version(module: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    dist = {"pymusly": "pymusly", "bliss_audio": "bliss-audio"}.get(module, module)
    try:
        return version(dist)
    except (PackageNotFoundError, ValueError):
        return "?"


def _guarded(fn: Callable[[str], int], path: str) -> tuple[int, str | None]:
    """``fn(path)`` in a worker: (size, None), or (0, "Error: message") when the peer cannot take the file."""
    try:
        return int(fn(path)), None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - a file a peer cannot take is a result to count
        # (BaseException: a Rust panic in bliss arrives as pyo3's PanicException, which is not an Exception)
        return 0, f"{type(exc).__name__}: {exc}"[:200]


def _pool(workers: int) -> ProcessPoolExecutor:
    # spawned, so TensorFlow or LiteRT threads in the parent are not forked
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def screen(fn: Callable[[str], int], paths: Sequence[str], workers: int) -> tuple[list[str], dict[str, str]]:
    """One untimed pass of a peer over ``paths`` (it also warms the file cache): the files it analyses,
    and {file: reason} for those it cannot take, whether it raises or its worker process dies on them
    (each file left by a dead pool is then retried alone, in a process of its own)."""
    ok: list[str] = []
    failed: dict[str, str] = {}
    left: list[str] = []
    with _pool(workers) as pool:
        futures = {path: pool.submit(_guarded, fn, path) for path in paths}
        for path, future in futures.items():
            try:
                size, error = future.result()
            except BrokenProcessPool:
                left.append(path)
                continue
            except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be sent back
                size, error = 0, f"{type(exc).__name__}: {exc}"[:200]
            if error or not size:
                failed[path] = error or "an empty analysis"
            else:
                ok.append(path)
    for path in left:
        with _pool(1) as alone:
            try:
                size, error = alone.submit(_guarded, fn, path).result()
            except BrokenProcessPool:
                size, error = 0, "the peer's process died on this file"
            except Exception as exc:  # noqa: BLE001
                size, error = 0, f"{type(exc).__name__}: {exc}"[:200]
        if error or not size:
            failed[path] = error or "an empty analysis"
        else:
            ok.append(path)
    order = {p: i for i, p in enumerate(paths)}
    return sorted(ok, key=order.get), failed


def _pass(pool: ProcessPoolExecutor, fn: Callable[[str], int], paths: Sequence[str]) -> tuple[float, dict]:
    """Seconds for one pass over ``paths``, and {file: reason} for any file that failed this time."""
    t0 = time.perf_counter()
    results = list(pool.map(_guarded, [fn] * len(paths), paths, chunksize=1))
    seconds = time.perf_counter() - t0
    return seconds, {p: error or "an empty analysis"
                     for p, (size, error) in zip(paths, results, strict=True) if error or not size}


def time_side_by_side(paths: Sequence[str], ours: Callable[[], object], names: Sequence[str] = tuple(PEERS),
                      reps: int = 3, log=print, peers: dict | None = None) -> tuple[list[float], list[dict]]:
    """Our pass (``ours()``) and every installed peer's passes over ``paths``, interleaved ``reps`` times so
    that drift in a shared machine's speed hits all alike. A peer first screens the files (one untimed pass):
    a file it cannot take (an exception, or its process dying) is skipped in its timed passes and counted,
    never the end of the peer. Each peer runs with one worker and with one per core (pools started and
    warmed beforehand); its figure is the faster median, in tracks it analysed per second. Returns our pass
    seconds and one row per peer. ``peers`` replaces the PEERS table (tests)."""
    import importlib.util

    table = PEERS if peers is None else peers
    cores = os.cpu_count() or 1
    paths = [str(p) for p in paths]
    pools: dict[tuple[str, int], ProcessPoolExecutor] = {}
    errors: dict[str, str] = {}
    usable: dict[str, list[str]] = {}
    skipped: dict[str, dict[str, str]] = {}
    pass_errors: dict[str, list[str]] = {}
    rows: list[dict] = []
    try:
        for name in names:
            module, fn = table[name]
            if module and importlib.util.find_spec(module) is None:
                errors[name] = f"{module} is not installed"
                continue
            usable[name], skipped[name] = screen(fn, paths, cores)
            pass_errors[name] = []
            if skipped[name]:
                log(f"{name}: skips {len(skipped[name])} of {len(paths)} files it cannot take, e.g. "
                    f"{Path(next(iter(skipped[name]))).name}: {next(iter(skipped[name].values()))}")
            if not usable[name]:
                errors[name] = f"it could take none of the {len(paths)} files"
                continue
            for workers in sorted({1, cores}):
                pool = pools[(name, workers)] = _pool(workers)
                list(pool.map(_guarded, [fn] * workers, usable[name][:workers]))  # warm: imports, first call
        ours_s: list[float] = []
        passes: dict[tuple[str, int], list[float]] = {key: [] for key in pools}
        for rep in range(reps):
            t0 = time.perf_counter()
            ours()
            ours_s.append(time.perf_counter() - t0)
            for key in list(pools):
                name, workers = key
                fn = table[name][1]
                try:
                    seconds, failed = _pass(pools[key], fn, usable[name])
                except Exception as exc:  # noqa: BLE001 - a dead pool loses this pass, not the peer
                    pass_errors[name].append(
                        f"pass {rep + 1}, {workers} worker(s): {type(exc).__name__}: {exc}")
                    pools[key].shutdown(wait=False, cancel_futures=True)
                    pools[key] = _pool(workers)
                    continue
                for path, reason in failed.items():
                    pass_errors[name].append(f"pass {rep + 1}: {Path(path).name}: {reason}")
                passes[key].append(seconds * len(usable[name]) / max(1, len(usable[name]) - len(failed)))
            log(f"pass {rep + 1}/{reps}: ours {len(paths) / ours_s[-1]:.2f} tracks/s, " + ", ".join(
                f"{n} x{w} {len(usable[n]) / t[-1]:.2f}" for (n, w), t in passes.items() if t))
    finally:
        for pool in pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
    for name in names:
        if name in errors:
            rows.append({"peer": name, "error": errors[name], "skipped_files": len(skipped.get(name, {}))})
            continue
        by_workers = {w: round(len(usable[name]) / statistics.median(t), 2)
                      for (n, w), t in passes.items() if n == name and t}
        if not by_workers:
            rows.append({"peer": name,
                         "error": "no timed pass completed: " + "; ".join(pass_errors[name][:3])})
            continue
        best = max(by_workers, key=by_workers.get)
        rows.append({"peer": name, "version": _version(table[name][0]), "tracks": len(paths),
                     "tracks_analysed": len(usable[name]), "skipped_files": len(skipped[name]),
                     "skipped": {Path(p).name: why for p, why in list(skipped[name].items())[:10]},
                     "pass_errors": pass_errors[name][:10],
                     "tracks_per_s": by_workers[best], "workers": best, "reps": reps,
                     "tracks_per_s_by_workers": by_workers})
    return ours_s, rows
