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
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
from collections.abc import Callable, Sequence

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

    dist = {"pymusly": "pymusly", "bliss_audio": "bliss-audio"}[module]
    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def _pass(pool, fn: Callable[[str], int], paths: Sequence[str]) -> float:
    t0 = time.perf_counter()
    sizes = pool.map(fn, list(paths), chunksize=1)
    seconds = time.perf_counter() - t0
    if not all(sizes):
        raise RuntimeError("a peer returned an empty analysis")
    return seconds


def time_side_by_side(paths: Sequence[str], ours: Callable[[], object], names: Sequence[str] = tuple(PEERS),
                      reps: int = 3, log=print) -> tuple[list[float], list[dict]]:
    """Our pass (``ours()``) and every installed peer's passes over ``paths``, interleaved ``reps`` times so
    that drift in a shared machine's speed hits all alike. Each peer runs with one worker and with one per
    core (pools started and warmed beforehand); its figure is the faster median. Returns our pass seconds
    and one row per peer."""
    import importlib.util

    cores = os.cpu_count() or 1
    ctx = multiprocessing.get_context("spawn")
    pools, rows, errors = {}, [], {}
    try:
        for name in names:
            module, fn = PEERS[name]
            if importlib.util.find_spec(module) is None:
                errors[name] = f"{module} is not installed"
                continue
            for workers in sorted({1, cores}):
                pool = pools[(name, workers)] = ctx.Pool(workers)
                pool.map(fn, list(paths[:workers]), chunksize=1)  # warm: imports, first call
        ours_s: list[float] = []
        passes: dict[tuple[str, int], list[float]] = {key: [] for key in pools}
        for rep in range(reps):
            t0 = time.perf_counter()
            ours()
            ours_s.append(time.perf_counter() - t0)
            for (name, workers), pool in pools.items():
                if name in errors:
                    continue
                try:
                    passes[(name, workers)].append(_pass(pool, PEERS[name][1], paths))
                except Exception as exc:  # noqa: BLE001 - a peer failing is a result to report
                    errors[name] = f"{type(exc).__name__}: {exc}"
            log(f"pass {rep + 1}/{reps}: ours {len(paths) / ours_s[-1]:.2f} tracks/s, " + ", ".join(
                f"{n} x{w} {len(paths) / t[-1]:.2f}" for (n, w), t in passes.items() if t))
    finally:
        for pool in pools.values():
            pool.terminate()
    for name in names:
        if name in errors:
            rows.append({"peer": name, "error": errors[name]})
            continue
        by_workers = {w: round(len(paths) / statistics.median(t), 2)
                      for (n, w), t in passes.items() if n == name}
        best = max(by_workers, key=by_workers.get)
        rows.append({"peer": name, "version": _version(PEERS[name][0]), "tracks": len(paths),
                     "tracks_per_s": by_workers[best], "workers": best, "reps": reps,
                     "tracks_per_s_by_workers": by_workers})
    return ours_s, rows
