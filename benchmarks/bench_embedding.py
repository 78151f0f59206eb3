"""Embedding throughput of the bundled model: tracks/s for 30-s clips and 4-minute songs, slices/s,
where the time goes (decode + mel vs. the forward pass), peak memory and device.

    python benchmarks/bench_embedding.py [--clips 16] [--songs 16] [--format mp3] [--device auto]
                                         [--out bench-results/embedding.json]

Audio is generated (noise bursts over tones, written with soundfile) into a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks._report import write_json  # noqa: E402


def _write_music_like(path: Path, seconds: float, seed: int) -> Path:
    import soundfile as sf

    sr = 22050
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = 0.2 * np.sin(2 * np.pi * rng.uniform(100, 800) * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
    beat = (np.sin(2 * np.pi * 2 * t) > 0.95).astype(np.float64)
    y += 0.1 * beat * rng.standard_normal(len(t))
    # written in blocks: libsndfile 1.2's Vorbis encoder crashes on one multi-minute write
    with sf.SoundFile(str(path), "w", sr, 1) as fh:
        for i in range(0, len(y), 1 << 16):
            fh.write(y[i : i + (1 << 16)].astype(np.float32))
    return path


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(embedder, paths, label):
    from fmaplayer.ml import features

    t0 = time.perf_counter()
    results = embedder.embed_many(paths)
    first = time.perf_counter() - t0
    assert not any(isinstance(r, Exception) for r in results), results
    # steady state (what a library scan sees): graphs traced, allocator and file cache warm
    t0 = time.perf_counter()
    embedder.embed_many(paths)
    total = time.perf_counter() - t0
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
        clips = [_write_music_like(Path(tmp) / f"clip{i}.{ext}", 30, i) for i in range(args.clips)]
        songs = [_write_music_like(Path(tmp) / f"song{i}.{ext}", 240, 100 + i) for i in range(args.songs)]
        embedder.embed(clips[0])  # warm-up: graph tracing, first-call allocations
        rows.append(_measure(embedder, clips, f"30-s clips ({args.format})"))
        rows.append(_measure(embedder, songs, f"4-min songs ({args.format})"))
    result = {
        "model_id": embedder.model_id,
        "device": embedder.device,
        "slices_per_track": embedder.n_slices,
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_model_s": round(load_s, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "cases": rows,
        "target": "8 full-length tracks/s on the 2-core CPU (steady state)",
    }
    print(
        f"model {result['model_id']} on {result['device']} ({result['cpu_count']} CPUs), "
        f"load {result['load_model_s']} s, peak RSS {result['peak_rss_mb']} MB"
    )
    header = (
        "case",
        "tracks/s",
        "first pass",
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
                    r["first_pass_tracks_per_s"],
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
