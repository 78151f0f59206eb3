"""Scan + embed throughput with the bundled model, and UI event-loop stall while the worker runs.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_scan_embed.py [--tracks 16] [--seconds 240]
        [--device cpu] [--out bench-results/bench_scan_embed.json]

1. Generates `--tracks` full-length synthetic tracks (harmonic tones with a beat and noise; half FLAC,
   half MP3) in a temporary folder.
2. UI stall (first, so TensorFlow is imported by the worker thread as in the app): a QApplication
   whose main thread runs a 10 ms QTimer and records how late each tick is,
   first idle (baseline), then while the real `EmbeddingWorker` analyses the same files in its QThread
   (a second fresh library). Lateness is split into the model-loading phase (TensorFlow import inside
   the worker thread) and the analysis phase. p50/p99/max in ms.
3. Throughput: `Scanner.scan` then `EmbeddingRunner.run` (the code path of `fmaplayer scan`) into a
   fresh library; reports scan seconds, model load seconds, analysis seconds and tracks/s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks._report import machine, write_json  # noqa: E402

SR = 22050


def synth_track(seconds: float, seed: int) -> np.ndarray:
    """Harmonic notes changing every beat, a kick-like envelope and some noise: not silence, not a tone."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n, dtype=np.float32) / SR
    bpm = rng.uniform(70, 160)
    beat = 60.0 / bpm
    notes = 110.0 * 2 ** (rng.integers(0, 24, size=int(seconds / beat) + 2) / 12)
    freq = notes[(t / beat).astype(np.int64)]
    phase = 2 * np.pi * np.cumsum(freq) / SR
    y = sum(np.sin(k * phase) / k for k in range(1, 5)).astype(np.float32)
    envelope = np.exp(-((t % beat) / (beat * rng.uniform(0.2, 0.8)))).astype(np.float32)
    y = 0.3 * y * (0.4 + 0.6 * envelope) + 0.03 * rng.standard_normal(n).astype(np.float32)
    return np.clip(y, -1, 1)


def generate_library(folder: Path, count: int, seconds: float) -> list[Path]:
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        fmt = (".flac", "FLAC", "PCM_16") if i % 2 == 0 else (".mp3", "MP3", "MPEG_LAYER_III")
        path = folder / f"track{i:03d}{fmt[0]}"
        if not path.exists():
            sf.write(path, synth_track(seconds, i), SR, format=fmt[1], subtype=fmt[2])
        paths.append(path)
    return paths


def stats_ms(samples: list[float]) -> dict:
    if not samples:
        return {"n": 0}
    a = np.asarray(samples)
    return {"n": int(a.size), "p50_ms": round(float(np.percentile(a, 50)), 2),
            "p99_ms": round(float(np.percentile(a, 99)), 2), "max_ms": round(float(a.max()), 2)}


def bench_throughput(folder: Path, db: Path, device: str, batch_size: int) -> dict:
    from fmaplayer.library.scanner import Scanner
    from fmaplayer.library.store import LibraryStore
    from fmaplayer.ml.embedder_factory import default_embedder_factory
    from fmaplayer.recommend.embedding_runner import EmbeddingRunner

    store = LibraryStore(db)
    t = time.perf_counter()
    summary = Scanner(store).scan([str(folder)])
    scan_s = time.perf_counter() - t
    t = time.perf_counter()
    embedder = default_embedder_factory(device)
    load_s = time.perf_counter() - t
    run = EmbeddingRunner(store, embedder, batch_size).run()
    return {"tracks": summary.added, "scan_s": round(scan_s, 2), "model_load_s": round(load_s, 2),
            "analysis_s": round(run.seconds, 2), "embedded": run.embedded, "failed": len(run.failed),
            "tracks_per_s": round(run.embedded / run.seconds, 3) if run.seconds else 0.0,
            "device": run.device, "batch_size": batch_size}


def bench_ui_stall(folder: Path, db: Path, device: str, batch_size: int, baseline_s: float) -> dict:
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from fmaplayer.library.scanner import Scanner
    from fmaplayer.library.store import LibraryStore
    from fmaplayer.ml.embedder_factory import default_embedder_factory
    from fmaplayer.workers.embedding_worker import EmbeddingWorker, start_in_thread, stop_thread

    app = QApplication.instance() or QApplication([])
    store = LibraryStore(db)
    Scanner(store).scan([str(folder)])
    interval = 10
    clock = QElapsedTimer()
    phase = {"name": "baseline"}
    lateness: dict[str, list[float]] = {"baseline": [], "model_loading": [], "analysis": []}
    last = {"t": None}

    def tick():
        now = clock.nsecsElapsed() / 1e6
        if last["t"] is not None:
            lateness[phase["name"]].append(max(0.0, now - last["t"] - interval))
        last["t"] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(interval)
    timer.timeout.connect(tick)
    clock.start()
    timer.start()
    end = time.monotonic() + baseline_s
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)   # the benchmark's own loop; the timer measures the event loop's lateness

    worker = EmbeddingWorker(store, default_embedder_factory, device=device, batch_size=batch_size,
                             stay_alive=False)
    done = {"finished": False, "progress": (0, 0, 0.0)}
    ready = {}

    def on_device_ready(device):
        ready["s"] = time.perf_counter() - started
        phase.update(name="analysis")
    worker.deviceReady.connect(on_device_ready)
    worker.progress.connect(lambda d, t, r: done.update(progress=(d, t, r)))
    worker.finished.connect(lambda: done.update(finished=True))
    phase["name"] = "model_loading"
    last["t"] = None
    started = time.perf_counter()
    thread = start_in_thread(worker)
    while not done["finished"]:
        app.processEvents()
        time.sleep(0.001)
    seconds = time.perf_counter() - started
    timer.stop()
    stop_thread(worker, thread)
    return {"timer_interval_ms": interval, "worker_seconds": round(seconds, 2),
            "model_load_s_cold": round(ready.get("s", float("nan")), 2),
            "analysis_tracks_per_s": round(done["progress"][2], 3),
            "progress": list(done["progress"]),
            **{f"lateness_{k}": stats_ms(v) for k, v in lateness.items()}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=240.0, help="length of each generated track")
    parser.add_argument("--device", choices=("auto", "cpu"), default="cpu")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--baseline-s", type=float, default=3.0)
    parser.add_argument("--audio-dir", help="reuse/generate the tracks here instead of a temporary folder")
    parser.add_argument("--skip-ui", action="store_true")
    parser.add_argument("--out", default="bench-results/bench_scan_embed.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    with tempfile.TemporaryDirectory(prefix="fmaplayer-bench-") as tmp:
        folder = Path(args.audio_dir) if args.audio_dir else Path(tmp) / "music"
        t = time.perf_counter()
        generate_library(folder, args.tracks, args.seconds)
        print(f"generated {args.tracks} x {args.seconds:.0f} s tracks in {time.perf_counter() - t:.1f} s",
              file=sys.stderr)
        # UI first: its worker thread is the one that imports TensorFlow, as in the app
        ui = None if args.skip_ui else bench_ui_stall(folder, Path(tmp) / "b.db", args.device,
                                                       args.batch_size, args.baseline_s)
        throughput = bench_throughput(folder, Path(tmp) / "a.db", args.device, args.batch_size)

    print(f"{'tracks':>7} {'len s':>6} {'scan s':>7} {'load s':>7} {'analysis s':>10} {'tracks/s':>9}"
          "  device")
    print(f"{throughput['tracks']:>7} {args.seconds:>6.0f} {throughput['scan_s']:>7.2f} "
          f"{throughput['model_load_s']:>7.2f} {throughput['analysis_s']:>10.2f} "
          f"{throughput['tracks_per_s']:>9.3f}  {throughput['device']}")
    if ui:
        print("\nUI event loop, 10 ms timer lateness while the EmbeddingWorker runs "
              f"({ui['worker_seconds']} s: cold model load {ui['model_load_s_cold']} s, then "
              f"{ui['analysis_tracks_per_s']} tracks/s):")
        print(f"{'phase':>14} {'ticks':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
        for key in ("baseline", "model_loading", "analysis"):
            s = ui[f"lateness_{key}"]
            if s.get("n"):
                print(f"{key:>14} {s['n']:>6} {s['p50_ms']:>7.2f} {s['p99_ms']:>7.2f} {s['max_ms']:>7.2f}")
    result = {"benchmark": "scan_embed", "machine": machine(), "track_seconds": args.seconds,
              "throughput": throughput, "ui_stall": ui}
    out = write_json(result, args.out)
    print(f"machine: {result['machine']}\nwritten: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
