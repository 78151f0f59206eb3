"""Library benchmark: store start-up queries on a 100,000-track database and folder rescans.

Reports
  - building the synthetic database (bulk insert),
  - all_tracks() on all rows (what the UI loads at start), count(), file_stats() whole and per folder,
  - first scan of a folder of real small audio files (tags + decoder check per file), in files/s,
  - full rescan of the same, unchanged files (walk + stat + compare only), in files/s.
The real files are scanned into the same large database, so the rescan pays for a realistic store.

    .venv/bin/python benchmarks/bench_scan.py [--tracks 100000] [--files 3000] [--out bench-results/scan.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic_library import build_synthetic_library  # noqa: E402
from fmaplayer.library.scanner import Scanner  # noqa: E402
from fmaplayer.library.store import LibraryStore  # noqa: E402


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median wall time of `repeat` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def write_small_files(folder: Path, n: int) -> None:
    """n tiny WAVs (0.1 s, 8 kHz mono) in album folders of 12, a tenth of them tagged."""
    import numpy as np
    import soundfile as sf

    from tests.audio_fixtures import tag_file

    t = np.arange(800, dtype=np.float32) / 8000
    for i in range(n):
        path = folder / f"Artist {i // 120:03d}" / f"Album {i // 12:04d}" / f"{i % 12 + 1:02d} Track {i}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), 0.3 * np.sin(2 * np.pi * (200 + i % 500) * t), 8000, subtype="PCM_16")
        if i % 10 == 0:
            tags = {"title": f"Track {i}", "artist": f"Artist {i // 120}", "tracknumber": str(i % 12 + 1)}
            tag_file(path, tags)


def run(tracks: int, files: int, repeat: int, workdir: Path) -> dict:
    results: dict[str, dict] = {}
    db = workdir / "library.db"

    started = time.perf_counter()
    build_synthetic_library(db, tracks)
    results["build_synthetic_db"] = {"seconds": time.perf_counter() - started, "rows": tracks}

    with LibraryStore(db) as store:
        seconds, all_rows = timed(store.all_tracks, repeat)
        results["all_tracks"] = {"seconds": seconds, "rows": len(all_rows)}
        del all_rows
        seconds, count = timed(store.count, repeat)
        results["count"] = {"seconds": seconds, "rows": count}
        seconds, stats = timed(store.file_stats, repeat)
        results["file_stats_all"] = {"seconds": seconds, "rows": len(stats)}

        music = workdir / "music"
        started = time.perf_counter()
        write_small_files(music, files)
        results["write_real_files"] = {"seconds": time.perf_counter() - started, "files": files}

        summary = Scanner(store).scan([music])
        assert summary.added == files and summary.unreadable == 0, summary
        results["first_scan"] = {
            "seconds": summary.seconds, "files": files, "files_per_s": files / summary.seconds
        }

        seconds, summary = timed(lambda: Scanner(store).scan([music]), repeat)
        assert summary.unchanged == files, summary
        assert summary.added == summary.updated == summary.removed == 0, summary
        results["rescan_unchanged"] = {"seconds": seconds, "files": files, "files_per_s": files / seconds}

        seconds, stats = timed(lambda: store.file_stats([music]), repeat)
        results["file_stats_folder"] = {"seconds": seconds, "rows": len(stats)}
        results["db_rows_total"] = {"rows": store.count()}
        assert store.integrity_check() == "ok"
    return results


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
        "loadavg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def print_table(results: dict) -> None:
    print(f"{'measure':<22} {'seconds':>9} {'rows/files':>11} {'files/s':>10}")
    for name, r in results.items():
        seconds = f"{r['seconds']:.3f}" if "seconds" in r else ""
        count = r.get("rows", r.get("files", ""))
        rate = f"{r['files_per_s']:,.0f}" if "files_per_s" in r else ""
        print(f"{name:<22} {seconds:>9} {count:>11} {rate:>10}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fmaplayer library benchmark")
    parser.add_argument("--tracks", type=int, default=100_000, help="rows in the synthetic database")
    parser.add_argument("--files", type=int, default=3000, help="real small audio files to scan")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of each query (median reported)")
    parser.add_argument("--out", default="bench-results/scan.json", help="where to write the JSON results")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="fmaplayer-bench-scan-") as tmp:
        results = run(args.tracks, args.files, args.repeat, Path(tmp))
    print_table(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": "scan", "args": vars(args), "machine": machine(), "results": results}
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
