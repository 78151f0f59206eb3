"""Embedding throughput of the bundled model: tracks/s for 30-s clips and 4-minute songs, slices/s,
where the time goes (decode + mel vs. the forward pass), peak memory and device.

    python benchmarks/bench_embedding.py [--clips 16] [--songs 16] [--format mp3] [--reps 5]
                                         [--files DIR] [--device auto] [--out bench-results/embedding.json]

Audio is generated (noise bursts over tones, written with soundfile) into a temporary folder: 30-s clips
as the training data is stored (22,050 Hz mono) and 4-minute songs both that way and as a library usually
holds them (44,100 Hz stereo). --files adds a case for the audio files under DIR (e.g. real full-length
tracks). Throughput is the median of --reps steady-state passes over each case.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks._report import machine, write_json  # noqa: E402


def _write_music_like(path: Path, seconds: float, seed: int, sr: int = 22050, channels: int = 1) -> Path:
    import soundfile as sf

    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = 0.2 * np.sin(2 * np.pi * rng.uniform(100, 800) * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
    beat = (np.sin(2 * np.pi * 2 * t) > 0.95).astype(np.float64)
    y += 0.1 * beat * rng.standard_normal(len(t))
    if channels == 2:  # a slightly different right channel, so a stereo encoder has work to do
        y = np.stack([y, np.roll(y, 37)], axis=1)
    # written in blocks: libsndfile 1.2's Vorbis encoder crashes on one multi-minute write
    with sf.SoundFile(str(path), "w", sr, channels) as fh:
        for i in range(0, len(y), 1 << 16):
            fh.write(y[i : i + (1 << 16)].astype(np.float32))
    return path


def _cpu_seconds() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(embedder, paths, label, reps):
    from fmaplayer.ml import features

    t0 = time.perf_counter()
    results = embedder.embed_many(paths)
    first = time.perf_counter() - t0
    assert not any(isinstance(r, Exception) for r in results), results
    # steady state (what a library scan sees): graphs traced, allocator and file cache warm
    passes = []
    cpu0 = _cpu_seconds()
    for _ in range(reps):
        t0 = time.perf_counter()
        embedder.embed_many(paths)
        passes.append(time.perf_counter() - t0)
    cpu_percent = 100 * (_cpu_seconds() - cpu0) / sum(passes)
    total = float(np.median(passes))
    # breakdown, run sequentially: decode + mel, then the forward pass alone
    t0 = time.perf_counter()
    slices = [features.track_slices(p, embedder.n_slices) for p in paths]
    decode = time.perf_counter() - t0
    x = np.concatenate(slices)
    t0 = time.perf_counter()
    embedder._forward(x)
    infer = time.perf_counter() - t0
    n = len(paths)
    return {
        "case": label,
        "tracks": n,
        "slices": int(len(x)),
        "seconds": round(total, 3),
        "first_pass_tracks_per_s": round(n / first, 2),
        "tracks_per_s": round(n / total, 2),
        "tracks_per_s_min_max": [round(n / max(passes), 2), round(n / min(passes), 2)],
        "reps": reps,
        "cpu_percent": round(cpu_percent),  # process CPU time / wall time (200 = both of 2 cores busy)
        "slices_per_s": round(len(x) / total, 1),
        "decode_mel_s_per_track": round(decode / n, 4),
        "inference_s_per_track": round(infer / n, 4),
        "inference_slices_per_s": round(len(x) / infer, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=16, help="30-s clips")
    parser.add_argument("--songs", type=int, default=16, help="4-minute songs")
    parser.add_argument("--format", default="mp3", choices=("mp3", "wav", "flac", "ogg"))
    parser.add_argument("--reps", type=int, default=5, help="steady-state passes per case (median)")
    parser.add_argument("--files", help="also time the audio files under this folder")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu"))
    parser.add_argument("--model", help="model .keras (default: the bundled one)")
    parser.add_argument("--slices", type=int, help="slices per full-length track (default: the manifest's)")
    parser.add_argument("--out", default="bench-results/embedding.json")
    args = parser.parse_args(argv)

    from fmaplayer.ml.embedder import Embedder

    t0 = time.perf_counter()
    embedder = Embedder(args.model, device=args.device, n_slices=args.slices)
    load_s = time.perf_counter() - t0
    rows = []
    with tempfile.TemporaryDirectory(prefix="fmaplayer-bench-") as tmp:
        ext = args.format
        cases = [  # (label, count, seconds, sample rate, channels)
            (f"30-s clips, 22 kHz mono {ext}", args.clips, 30, 22050, 1),
            (f"4-min songs, 22 kHz mono {ext}", args.songs, 240, 22050, 1),
            (f"4-min songs, 44.1 kHz stereo {ext}", args.songs, 240, 44100, 2),
        ]
        for k, (label, count, seconds, sr, ch) in enumerate(cases):
            paths = [
                _write_music_like(Path(tmp) / f"case{k}-{i}.{ext}", seconds, 100 * k + i, sr, ch)
                for i in range(count)
            ]
            if k == 0:
                embedder.embed(paths[0])  # warm-up: graph tracing, first-call allocations
            rows.append(_measure(embedder, paths, label, args.reps))
        if args.files:
            from fmaplayer.library.scanner import SUPPORTED_EXTENSIONS

            real = sorted(p for p in Path(args.files).rglob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS)
            rows.append(_measure(embedder, real, f"{len(real)} files under {args.files}", args.reps))
    result = {
        "model_id": embedder.model_id,
        "device": embedder.device,
        "slices_per_track": embedder.n_slices,
        **machine(),
        "load_model_s": round(load_s, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "cases": rows,
        "target": "8 full-length tracks/s on the 2-core CPU (steady state)",
    }
    print(
        f"model {result['model_id']} on {result['device']} ({result['cpu']}, {result['cores']} cores), "
        f"load {result['load_model_s']} s, peak RSS {result['peak_rss_mb']} MB"
    )
    header = (
        "case",
        "tracks/s (median)",
        "min-max",
        "first pass",
        "CPU %",
        "slices/s",
        "decode+mel s/track",
        "infer s/track",
        "infer slices/s",
    )
    print(" | ".join(header))
    for r in rows:
        print(
            " | ".join(
                str(v)
                for v in (
                    r["case"],
                    r["tracks_per_s"],
                    "-".join(map(str, r["tracks_per_s_min_max"])),
                    r["first_pass_tracks_per_s"],
                    r["cpu_percent"],
                    r["slices_per_s"],
                    r["decode_mel_s_per_track"],
                    r["inference_s_per_track"],
                    r["inference_slices_per_s"],
                )
            )
        )
    out = write_json(result, args.out, indent=1)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
