"""UI benchmark: cold start to a shown window and filter latency per keystroke, at 100,000 tracks.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_ui.py [--tracks 100000] [--runs 5]
        [--db PATH (reused when it already holds that many tracks)] [--out bench-results/ui.json]

Cold start: each run is a fresh `python -m fmaplayer.app --startup-benchmark` process (null audio output,
no rescan, no recommendations: the shell alone); the time is from just before the process is spawned to
the window's first expose event, as reported by the child. Filter latency: in this process, the real
MainWindow over the same library; each keystroke is `setText` on the filter box (filter + model reset)
followed by a synchronous repaint of the table, typing a set of queries and deleting them again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

QUERIES = ["rock", "jazz", "love", "the", "night blue", "electronic 19", "moon river", "zzzq", "a",
           "symphony"]
_WORDS = ("love night blue river moon fire dream heart city rain light shadow summer winter gold silver road "
          "home ghost storm ocean star time wild sweet broken electric velvet paper glass stone echo").split()
_GENRES = ("Rock Pop Jazz Electronic Hip-Hop Folk Classical Blues Experimental Instrumental International "
           "Country Soul-RnB Spoken Old-Time Easy Listening").split()


def _synthetic_tracks(n: int, seed: int = 7):
    from fmaplayer.library.track import Track

    rng = random.Random(seed)
    artists = [" ".join(rng.sample(_WORDS, 2)).title() + rng.choice(["", " Band", " Trio", " & The Echoes"])
               for _ in range(max(1, n // 20))]
    tracks = []
    for i in range(n):
        artist = artists[i % len(artists)]
        album_no = (i // 12) % 7
        album = f"{' '.join(rng.sample(_WORDS, 2)).title()} {album_no}"
        title = " ".join(rng.sample(_WORDS, rng.randint(1, 4))).capitalize()
        track_no = i % 12 + 1
        tracks.append(Track(id=0, path=f"/music/{artist}/{album}/{track_no:02d} {title} {i}.mp3", title=title,
                            artist=artist, album=album, album_artist=artist, track_no=track_no,
                            year=rng.randint(1950, 2024), genre=_GENRES[i % len(_GENRES)],
                            duration=rng.uniform(90, 420), size=4_000_000 + i, mtime=1_700_000_000.0))
    return tracks


def build_library(db_path: Path, n: int) -> float:
    """Make sure `db_path` holds n tracks; returns seconds spent building (0 when reused)."""
    from fmaplayer.library.store import LibraryStore

    db_path.parent.mkdir(parents=True, exist_ok=True)
    if db_path.exists():
        with LibraryStore(db_path) as store:
            if store.count() == n:
                return 0.0
        db_path.unlink()
    started = time.perf_counter()
    try:  # the library helper's generator, when it is there
        from benchmarks.synthetic_library import build_synthetic_library
    except ImportError:
        build_synthetic_library = None
    if build_synthetic_library is not None:
        build_synthetic_library(db_path, n)
    else:
        tracks = _synthetic_tracks(n)
        with LibraryStore(db_path) as store:
            for start in range(0, n, 5000):
                store.upsert_tracks(tracks[start:start + 5000])
    return time.perf_counter() - started


def cold_start(db_path: Path, runs: int) -> list[float]:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            settings = Path(tmp) / f"settings-{run}.ini"
            started = time.time()
            result = subprocess.run(
                [sys.executable, "-m", "fmaplayer.app", "--db", str(db_path), "--settings", str(settings),
                 "--output", "null", "--no-scan", "--no-recommendations", "--startup-benchmark"],
                cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
            )
            if result.returncode != 0:
                raise SystemExit(f"start-up run failed:\n{result.stderr}")
            report = json.loads(result.stdout.strip().splitlines()[-1])
            times.append(report["exposed_at"] - started)
    return times


def filter_latency(db_path: Path) -> dict:
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtWidgets import QApplication

    from fmaplayer.audio.null_output import NullOutput
    from fmaplayer.audio.player import Player
    from fmaplayer.library.store import LibraryStore
    from fmaplayer.settings import Settings
    from fmaplayer.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp, LibraryStore(db_path) as store:
        settings = Settings(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
        started = time.perf_counter()
        tracks = store.all_tracks()
        load_s = time.perf_counter() - started
        player = Player(NullOutput(realtime=False))
        started = time.perf_counter()
        window = MainWindow(settings, store, player)
        window_s = time.perf_counter() - started
        window.resize(1200, 760)
        window.show()
        app.processEvents()
        edit = window.library_view.filter_edit
        viewport = window.library_view.table.viewport()
        typing, deleting, rows = [], [], {}
        for query in QUERIES:
            for end in [*range(1, len(query) + 1), *range(len(query) - 1, -1, -1)]:
                grows = end > len(edit.text())
                t0 = time.perf_counter()
                edit.setText(query[:end])
                viewport.repaint()
                elapsed = time.perf_counter() - t0
                (typing if grows else deleting).append(elapsed)
            edit.setText(query)
            rows[query] = window.track_table_model.rowCount()
            edit.setText("")
        sorts = {}
        table, model = window.library_view.table, window.track_table_model
        for column in range(model.columnCount()):
            t0 = time.perf_counter()
            table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
            viewport.repaint()
            sorts[model.headerData(column, Qt.Orientation.Horizontal)] = time.perf_counter() - t0
        window.close()
        player.shutdown()
    keystrokes = typing + deleting
    return {"tracks": len(tracks), "store_all_tracks_s": load_s, "main_window_construct_s": window_s,
            "keystrokes": len(keystrokes), "median_s": statistics.median(keystrokes),
            "p99_s": _percentile(keystrokes, 99), "max_s": max(keystrokes),
            "typing_median_s": statistics.median(typing), "typing_p99_s": _percentile(typing, 99),
            "deleting_median_s": statistics.median(deleting), "deleting_p99_s": _percentile(deleting, 99),
            "rows_per_query": rows, "sort_s": sorts}


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path, default=None, help="library db to build or reuse")
    parser.add_argument("--out", type=Path, default=REPO / "bench-results" / "ui.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    tmp = tempfile.TemporaryDirectory()
    db_path = args.db or Path(tmp.name) / "library.db"
    build_s = build_library(db_path, args.tracks)
    starts = cold_start(db_path, args.runs)
    filtering = filter_latency(db_path)
    tmp.cleanup()

    ms = 1000.0
    print(f"UI benchmark, {args.tracks:,} tracks ({platform.machine()}, {os.cpu_count()} CPUs, "
          f"Qt platform {os.environ['QT_QPA_PLATFORM']})")
    rows = [
        (f"cold start to shown window, median of {len(starts)}", statistics.median(starts) * ms),
        ("cold start, min", min(starts) * ms),
        ("cold start, max", max(starts) * ms),
        ("store.all_tracks()", filtering["store_all_tracks_s"] * ms),
        ("MainWindow(...) incl. loading the table", filtering["main_window_construct_s"] * ms),
        (f"filter keystroke + repaint, median ({filtering['keystrokes']} keys)", filtering["median_s"] * ms),
        ("filter keystroke + repaint, p99", filtering["p99_s"] * ms),
    ]
    for name, value in rows:
        print(f"  {name:<48} {value:9.1f} ms")
    print(f"  {'filter typing, median / p99':<48} {filtering['typing_median_s'] * ms:9.1f} / "
          f"{filtering['typing_p99_s'] * ms:.1f} ms")
    print(f"  {'filter deleting, median / p99':<48} {filtering['deleting_median_s'] * ms:9.1f} / "
          f"{filtering['deleting_p99_s'] * ms:.1f} ms")
    for column, seconds in filtering["sort_s"].items():
        print(f"  {'sort by ' + column:<48} {seconds * ms:9.1f} ms")

    result = {
        "benchmark": "ui", "tracks": args.tracks, "library_build_s": build_s,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "qt_platform": os.environ["QT_QPA_PLATFORM"]},
        "cold_start_s": {"runs": starts, "median": statistics.median(starts), "min": min(starts),
                         "max": max(starts)},
        "filter": filtering,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
