"""What a user waits for, on a fresh library of real tracks: `fmaplayer similar` on a track of the library,
and the app's first analysis batch committed after its window shows.

    DISPLAY=:95 python benchmarks/bench_latency.py (--files DIR | --debian PKG,PKG [--debian-cache DIR])
        [--limit 24] [--similar-runs 10] [--starts 3] [--out bench-results/latency.json]

1. `similar`: the files are scanned and analysed into a fresh database (`fmaplayer scan`); then
   `python -m fmaplayer similar --db DB TRACK` runs --similar-runs times, each a new process, for tracks
   of the library in turn; wall time per run, p50 and max. Goal: p50 < 1 s.
2. First batch: --starts times, the real app (`python -m fmaplayer gui --folder DIR --output null`) starts
   on a fresh database and settings file on the X display in DISPLAY (e.g. Xvfb). This process polls
   `xdotool search --onlyvisible` for the mapped window and the database (read-only) for the first
   embedding row, every 20 ms; the figure is the time between the two (the scan, the worker's model load
   and the first batch of 8 tracks). Then the app is sent SIGTERM (it closes and saves). Goal: < 5 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import real_tracks  # noqa: E402
from benchmarks._report import machine, write_json  # noqa: E402

POLL_S = 0.02


def _library_folder(paths: list[Path], tmp: Path) -> Path:
    """A folder holding (symlinks to) exactly these files: what the user's music folder would be."""
    folder = tmp / "music"
    folder.mkdir()
    for i, p in enumerate(paths):
        (folder / f"{i:03d}_{p.name}").symlink_to(p.resolve())
    return folder


def _env(home: Path) -> dict:
    return dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / "data"),
                XDG_CACHE_HOME=str(home / "cache"), XDG_CONFIG_HOME=str(home / "config"),
                PYTHONPATH=str(REPO))


def similar_latency(folder: Path, tmp: Path, runs: int) -> dict:
    db = tmp / "similar.db"
    env = _env(tmp / "home-similar")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fmaplayer", "scan", "--db", str(db), str(folder)], env=env,
                   check=True, capture_output=True, text=True, timeout=1800)
    scan_s = time.perf_counter() - t0
    tracks = sorted(folder.iterdir())
    times = []
    for i in range(runs):
        anchor = tracks[i % len(tracks)]
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "fmaplayer", "similar", "--db", str(db), str(anchor)],
                              env=env, capture_output=True, text=True, timeout=600)
        times.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"similar failed:\n{done.stdout}\n{done.stderr}")
    return {"tracks": len(tracks), "scan_and_analyse_s": round(scan_s, 2), "runs": runs,
            "p50_s": round(statistics.median(times), 3), "max_s": round(max(times), 3),
            "all_s": [round(t, 3) for t in times]}


def _window_visible(pid: int) -> bool:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(pid), "--name", "."],
                           capture_output=True, text=True)
    return bool(found.stdout.strip())


def _embedded_rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
    except sqlite3.Error:  # not created yet, or locked for a moment
        return 0


def first_batch_once(folder: Path, tmp: Path, run: int, timeout_s: float = 180.0) -> dict:
    home = tmp / f"home-{run}"
    db, settings = tmp / f"app-{run}.db", tmp / f"settings-{run}.ini"
    spawned = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "fmaplayer", "gui", "--db", str(db), "--settings",
                             str(settings), "--folder", str(folder), "--output", "null"],
                            env=_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    shown = committed = None
    try:
        while time.perf_counter() - spawned < timeout_s and proc.poll() is None:
            now = time.perf_counter()
            if shown is None and _window_visible(proc.pid):
                shown = now
            if shown is not None and _embedded_rows(db) > 0:
                committed = time.perf_counter()
                break
            time.sleep(POLL_S)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    if shown is None or committed is None:
        raise SystemExit(f"start {run}: window shown {shown is not None}, batch committed "
                         f"{committed is not None} (rc {proc.returncode}):\n{err[-2000:]}")
    return {"window_shown_s": round(shown - spawned, 2),
            "first_batch_after_window_s": round(committed - shown, 2), "rows_then": _embedded_rows(db)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    real_tracks.add_arguments(parser, limit=24)
    parser.add_argument("--similar-runs", type=int, default=10)
    parser.add_argument("--starts", type=int, default=3, help="app starts (0: skip)")
    parser.add_argument("--out", default="bench-results/latency.json")
    args = parser.parse_args(argv)
    if args.starts and not os.environ.get("DISPLAY"):
        raise SystemExit("the first-batch figure needs an X display (DISPLAY), e.g. Xvfb :95")
    paths = real_tracks.tracks(args)
    result = {**machine(), "files": len(paths)}
    with tempfile.TemporaryDirectory(prefix="fmaplayer-latency-") as tmp_name:
        tmp = Path(tmp_name)
        folder = _library_folder(paths, tmp)
        if args.similar_runs:
            result["similar"] = similar_latency(folder, tmp, args.similar_runs)
            s = result["similar"]
            print(f"similar on a library track ({s['tracks']} tracks): p50 {s['p50_s']} s, "
                  f"max {s['max_s']} s over {s['runs']} runs (goal p50 < 1 s)")
        starts = [first_batch_once(folder, tmp, run) for run in range(args.starts)]
        for i, s in enumerate(starts):
            print(f"start {i}: window after {s['window_shown_s']} s, first batch "
                  f"{s['first_batch_after_window_s']} s after the window ({s['rows_then']} tracks)")
        if starts:
            result["first_batch"] = {
                "starts": starts,
                "median_after_window_s": statistics.median(s["first_batch_after_window_s"] for s in starts),
                "median_window_shown_s": statistics.median(s["window_shown_s"] for s in starts),
            }
            median = result["first_batch"]["median_after_window_s"]
            print(f"first batch committed, median {median} s after the window shows (goal < 5 s)")
    print(f"wrote {write_json(result, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
