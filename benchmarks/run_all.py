"""Runs every benchmark script with its defaults; each prints a table and writes JSON to bench-results/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# the ones that run on generated data; those that need real tracks (bench_decode, bench_tempo,
# bench_latency, bench_sonic_path, bench_embedding --debian/--peers) take their sources as options
SCRIPTS = ["bench_scan.py", "bench_ui.py", "bench_index.py", "bench_embedding.py", "bench_scan_embed.py",
           "bench_playback.py", "bench_runtimes.py", "bench_sound_map.py"]


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    for script in SCRIPTS:
        print(f"\n=== {script} ===", flush=True)
        if subprocess.call([sys.executable, str(here / script)], cwd=here.parent) != 0:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
