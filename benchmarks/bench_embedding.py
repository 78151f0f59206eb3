"""Embedding throughput of the bundled model: tracks/s for 30-s clips and 4-minute songs, slices/s,
where the time goes (decode + mel vs. the forward pass), peak memory and device; with --peers, musly's
and bliss's tracks/s on the same files in the same run, and our ratio to each.

    python benchmarks/bench_embedding.py [--clips 16] [--songs 16] [--format mp3] [--reps 5]
        [--files DIR] [--debian PKG,PKG [--debian-cache DIR] [--limit N]] [--no-generated] [--peers]
        [--device auto] [--out bench-results/embedding.json]

Audio is generated (noise bursts over tones, written with soundfile) into a temporary folder: 30-s clips
as the training data is stored (22,050 Hz mono) and 4-minute songs both that way and as a library usually
holds them (44,100 Hz stereo). --files adds a case for the audio files under DIR (e.g. real full-length
tracks); --debian fetches freely licensed full-length soundtracks (Ogg Vorbis, 44.1/48 kHz stereo) from
Debian packages into a cache outside the repository (`fmaplayer.training.debian_music`) and adds
them as a case.
Throughput is the median of --reps steady-state passes over each case; ours is `Embedder.embed_many`, the
app's whole analysis (decode + features + forward pass). --peers times the peers (benchmarks/peers.py) on
the real files (else on the 44.1 kHz songs), their passes alternating with --peer-reps more of ours.
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

from benchmarks import real_tracks  # noqa: E402
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


def _describe(paths: list[Path]) -> dict:
    """Mean length, sample rates and channel counts of real files, for the report."""
    import soundfile as sf

    infos = [sf.info(str(p)) for p in paths]
    return {"mean_minutes": round(float(np.mean([i.duration for i in infos])) / 60, 2),
            "sample_rates": sorted({i.samplerate for i in infos}),
            "channels": sorted({i.channels for i in infos})}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=16, help="30-s clips")
    parser.add_argument("--songs", type=int, default=16, help="4-minute songs")
    parser.add_argument("--format", default="mp3", choices=("mp3", "wav", "flac", "ogg"))
    parser.add_argument("--reps", type=int, default=5, help="steady-state passes per case (median)")
    real_tracks.add_arguments(parser)  # --files, --debian: real tracks as further cases
    parser.add_argument("--no-generated", action="store_true", help="skip the generated-audio cases")
    parser.add_argument("--peers", action="store_true", help="also time musly and bliss on the same files")
    parser.add_argument("--peer-reps", type=int, default=3, help="passes per peer and worker count (median)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu"))
    parser.add_argument("--model", help="model .keras (default: the bundled one)")
    parser.add_argument("--slices", type=int, help="slices per full-length track (default: the manifest's)")
    parser.add_argument("--out", default="bench-results/embedding.json")
    args = parser.parse_args(argv)

    from fmaplayer.ml.embedder import Embedder

    t0 = time.perf_counter()
    embedder = Embedder(args.model, device=args.device, n_slices=args.slices)
    load_s = time.perf_counter() - t0
    rows, peer_rows = [], []
    real_cases = real_tracks.cases(args)
    with tempfile.TemporaryDirectory(prefix="fmaplayer-bench-") as tmp:
        ext = args.format
        cases = [  # (label, count, seconds, sample rate, channels)
            (f"30-s clips, 22 kHz mono {ext}", args.clips, 30, 22050, 1),
            (f"4-min songs, 22 kHz mono {ext}", args.songs, 240, 22050, 1),
            (f"4-min songs, 44.1 kHz stereo {ext}", args.songs, 240, 44100, 2),
        ]
        peer_paths: list[Path] = []
        for k, (label, count, seconds, sr, ch) in enumerate([] if args.no_generated else cases):
            paths = [
                _write_music_like(Path(tmp) / f"case{k}-{i}.{ext}", seconds, 100 * k + i, sr, ch)
                for i in range(count)
            ]
            if k == 0:
                embedder.embed(paths[0])  # warm-up: graph tracing, first-call allocations
            rows.append(_measure(embedder, paths, label, args.reps))
            peer_paths = paths
        for label, real in real_cases:
            if not rows:
                embedder.embed(real[0])  # warm-up, as above
            rows.append({**_measure(embedder, real, label, args.reps), **_describe(real)})
            peer_paths = real
        if args.peers and peer_paths:
            from benchmarks.peers import time_side_by_side

            ours_s, peers = time_side_by_side([str(p) for p in peer_paths],
                                              lambda: embedder.embed_many(peer_paths), reps=args.peer_reps)
            ours = round(len(peer_paths) / float(np.median(ours_s)), 2)
            ours_passes = [round(len(peer_paths) / t, 2) for t in ours_s]
            for peer in peers:
                if "tracks_per_s" in peer:
                    peer["our_ratio"] = round(ours / peer["tracks_per_s"], 2)
                peer_rows.append({**peer, "case": rows[-1]["case"], "ours_tracks_per_s": ours,
                                  "ours_passes_tracks_per_s": ours_passes})
    result = {
        "model_id": embedder.model_id,
        "device": embedder.device,
        "runtime": getattr(embedder, "runtime", "tensorflow"),
        "runtime_choice": getattr(getattr(embedder, "_runtime", None), "choice", ""),  # why (calibration)
        "slices_per_track": embedder.n_slices,
        **machine(),
        "load_model_s": round(load_s, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "cases": rows,
        "peers": peer_rows,
        "target": "8 full-length tracks/s on a 2-core CPU (steady state); "
                  ">= 1.2 x musly's tracks/s in the same run",
    }
    print(
        f"model {result['model_id']} on {result['device']}, {result['runtime']} "
        f"({result['cpu']}, {result['cores']} cores, "
        f"{' '.join(result['cpu_flags'])}), {result['runtime_choice'] or 'named'}, "
        f"load {result['load_model_s']} s, "
        f"peak RSS {result['peak_rss_mb']} MB"
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
    if peer_rows:
        print(f"side by side on {peer_rows[0]['case']}; CPU {result['cpu']}, flags "
              f"{' '.join(result['cpu_flags']) or '-'}; ours on {result['runtime']}")
        print(" | ".join(("peer", "tracks/s (median)", "workers", "analysed / skipped",
                          "ours tracks/s, same passes", "ours / peer")))
        for p in peer_rows:
            if "error" in p:
                print(f"{p['peer']} | unavailable: {p['error']}")
                continue
            print(" | ".join(str(v) for v in (
                f"{p['peer']} {p['version']}", p["tracks_per_s"], p["workers"],
                f"{p['tracks_analysed']} / {p['skipped_files']}", p["ours_tracks_per_s"],
                f"{p['our_ratio']} x")))
            for name, why in p["skipped"].items():
                print(f"  {p['peer']} skipped {name}: {why}")
            for line in p["pass_errors"]:
                print(f"  {p['peer']} failed in a timed pass: {line}")
    out = write_json(result, args.out, indent=1)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
