"""Where the analysis spends its time before the model, on real full-length files, and what it may change.

    python benchmarks/bench_decode.py (--files DIR | --debian PKG,PKG [--debian-cache DIR]) [--limit 24]
        [--reps 3] [--no-embed] [--excerpts 10,8,6 [--excerpts-only]] [--out bench-results/decode.json]

1. Stages per track, one thread, as `features.track_slices` runs them: open + seeks, decode of the ten
   excerpts (libsndfile), downmix, resampling to 22,050 Hz (soxr), mel + slicing; and the decode with the
   4,096-sample lead-in before each seek that Vorbis no longer pays.
2. soxr qualities: milliseconds per excerpt and how far each moves the features from "HQ" (max and 99th
   percentile of |dB| over the mel bins, and over bins above -60 dB), and the cosine of the final track
   embedding with the bundled model (min and mean over the files).
3. With the model (unless --no-embed): `Embedder.embed_many` as the app runs it (decode a chunk on all
   cores, then its forward pass) against overlapping the next chunk's decode with the current forward
   pass, with one decode thread and with one per core; tracks/s, median of --reps passes.
4. With --excerpts: what fewer excerpts per track save. Per count, interleaved over --reps passes:
   decode + mel seconds per track (`features.track_slices`, one thread) and, with the model, the whole
   analysis (`embed_many` with that many slices per track; tracks/s); and how far each track's stored
   vector moves from the 10-excerpt one (cosine: a proxy only, not the genre/teacher quality check).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks import real_tracks  # noqa: E402
from benchmarks._report import machine, write_json  # noqa: E402

QUALITIES = ("HQ", "VHQ", "MQ", "LQ", "QQ")


def _excerpt_windows(f, n_slices: int, lead_in: int):
    """(seek target, frames to read, frames to drop) per excerpt, as features.track_slices places them."""
    from fmaplayer.ml import features

    sr, frames = f.samplerate, f.frames
    need = int(np.ceil(features.SLICE_SAMPLES * sr / features.SAMPLE_RATE)) + (0 if sr == 22050 else 64)
    for i in range(n_slices):
        start = int(max(0, min(frames - need, (i + 0.5) * frames / n_slices - need / 2)))
        lead = min(start, lead_in)
        yield start - lead, need + lead, lead


def stage_profile(paths: list[Path], n_slices: int = 10) -> dict:
    """Milliseconds per track for each stage of the excerpt path (single thread)."""
    import soundfile as sf

    from fmaplayer.ml import features

    features.slices_from_audio(np.zeros(features.SLICE_SAMPLES, np.float32), 1)  # mel filters built
    totals = dict.fromkeys(("open_seek", "decode", "decode_with_lead_in", "downmix", "resample", "mel"), 0.0)
    for path in paths:
        t0 = time.perf_counter()
        with sf.SoundFile(str(path)) as f:
            sr = f.samplerate
            totals["open_seek"] += time.perf_counter() - t0
            for lead_in, key in ((features.SEEK_LEAD_IN, "decode_with_lead_in"),
                                 (features._seek_lead_in(f), "decode")):
                chunks = []
                for target, count, drop in _excerpt_windows(f, n_slices, lead_in):
                    t0 = time.perf_counter()
                    f.seek(target)
                    chunks.append(f.read(count, dtype="float32", always_2d=True)[drop:])
                    totals[key] += time.perf_counter() - t0
            for raw in chunks:
                t0 = time.perf_counter()
                mono = features._to_mono(raw)
                t1 = time.perf_counter()
                y = features._resample(mono, sr)
                t2 = time.perf_counter()
                features.slices_from_audio(y[: features.SLICE_SAMPLES], 1)
                t3 = time.perf_counter()
                totals["downmix"] += t1 - t0
                totals["resample"] += t2 - t1
                totals["mel"] += t3 - t2
    ms = {k: round(1000 * v / len(paths), 1) for k, v in totals.items()}
    ms["total"] = round(sum(v for k, v in ms.items() if k != "decode_with_lead_in"), 1)
    return ms


def _slices_with_quality(paths: list[Path], quality: str) -> list[np.ndarray]:
    import soxr

    from fmaplayer.ml import features

    original = features._resample

    def resample(y, sr):
        if sr == features.SAMPLE_RATE:
            return y
        return soxr.resample(y, sr, features.SAMPLE_RATE, quality=quality).astype(np.float32)

    features._resample = resample
    try:
        return [features.track_slices(p) for p in paths]
    finally:
        features._resample = original


def quality_table(paths: list[Path], embedder=None) -> list[dict]:
    """Each soxr quality against "HQ" (what features.py uses): speed, feature difference, embedding cosine."""
    import soxr

    x = np.random.default_rng(0).standard_normal(70_000).astype(np.float32)  # one 48 kHz excerpt
    base = _slices_with_quality(paths, "HQ")
    base_vec = None if embedder is None else _vectors(embedder, base)
    rows = []
    for q in QUALITIES:
        rounds = []
        for _ in range(5):  # the best of 5 rounds: the machine is shared
            t0 = time.perf_counter()
            for _ in range(20):
                soxr.resample(x, 48000, 22050, quality=q)
            rounds.append((time.perf_counter() - t0) / 20)
        row = {"quality": q, "ms_per_excerpt": round(min(rounds) * 1000, 3)}
        got = base if q == "HQ" else _slices_with_quality(paths, q)
        diff = np.concatenate([np.abs(a - b).ravel() for a, b in zip(base, got, strict=True)])
        loud = np.concatenate([(a > -60).ravel() for a in base])
        row.update(max_db=round(float(diff.max()), 3), p99_db=round(float(np.percentile(diff, 99)), 3),
                   max_db_above_minus60=round(float(diff[loud].max()), 3))
        if embedder is not None:
            cos = (base_vec * _vectors(embedder, got)).sum(axis=1)
            row.update(cosine_min=round(float(cos.min()), 6), cosine_mean=round(float(cos.mean()), 6))
        rows.append(row)
    return rows


def _vectors(embedder, slices: list[np.ndarray]) -> np.ndarray:
    return np.stack([r.vector for r in embedder._embed_decoded(slices)])


def _overlapped(embedder, paths, chunk: int, threads: int) -> None:
    """Decode chunk k+1 on `threads` threads while chunk k runs through the model."""
    with ThreadPoolExecutor(threads) as pool:
        chunks = [paths[i : i + chunk] for i in range(0, len(paths), chunk)]
        pending = [pool.submit(embedder._decode, p) for p in chunks[0]]
        for k in range(len(chunks)):
            decoded = [f.result() for f in pending]
            pending = [pool.submit(embedder._decode, p) for p in chunks[k + 1]] if k + 1 < len(chunks) else []
            embedder._embed_decoded(decoded)


def pipeline_table(embedder, paths: list[Path], reps: int) -> list[dict]:
    from fmaplayer.ml.embedder import TRACKS_PER_CHUNK

    cores = os.cpu_count() or 1
    ways = {
        "alternate (embed_many: decode on all cores, then the model)": lambda: embedder.embed_many(paths),
        "overlap, 1 decode thread": lambda: _overlapped(embedder, paths, TRACKS_PER_CHUNK, 1),
        f"overlap, {cores} decode threads": lambda: _overlapped(embedder, paths, TRACKS_PER_CHUNK, cores),
    }
    embedder.embed_many(paths[:2])  # warm
    times = {label: [] for label in ways}
    for _ in range(reps):  # interleaved, so drift in the machine's speed hits every way alike
        for label, run in ways.items():
            t0 = time.perf_counter()
            run()
            times[label].append(time.perf_counter() - t0)
    return [{"way": label, "tracks_per_s": round(len(paths) / statistics.median(t), 2),
             "passes_tracks_per_s": [round(len(paths) / s, 2) for s in t]} for label, t in times.items()]


def excerpt_table(paths: list[Path], counts: list[int], reps: int, embedder=None) -> list[dict]:
    """Per excerpt count: decode + mel s/track (one thread), embed_many tracks/s and the stored vector's
    cosine with the count-10 one; counts interleaved in every pass."""
    from fmaplayer.ml import features

    features.track_slices(paths[0], counts[0])  # warm: mel filters, file cache
    if embedder is not None:
        embedder.embed_many(paths)  # warm: the runtime's first batches, every file read once
    decode: dict[int, list[float]] = {n: [] for n in counts}
    whole: dict[int, list[float]] = {n: [] for n in counts}
    vectors: dict[int, np.ndarray] = {}
    default_n = embedder.n_slices if embedder is not None else None
    try:
        for _ in range(reps):
            for n in counts:
                t0 = time.perf_counter()
                for p in paths:
                    features.track_slices(p, n)
                decode[n].append((time.perf_counter() - t0) / len(paths))
                if embedder is not None:
                    embedder.n_slices = n
                    t0 = time.perf_counter()
                    results = embedder.embed_many(paths)
                    whole[n].append(time.perf_counter() - t0)
                    vectors[n] = np.stack([r.vector for r in results])
    finally:
        if embedder is not None:
            embedder.n_slices = default_n
    rows = []
    ref = vectors.get(10)
    for n in counts:
        row = {"excerpts": n, "decode_mel_s_per_track": round(statistics.median(decode[n]), 4),
               "decode_mel_passes_s_per_track": [round(v, 4) for v in decode[n]]}
        if whole[n]:
            row["tracks_per_s"] = round(len(paths) / statistics.median(whole[n]), 2)
            row["passes_tracks_per_s"] = [round(len(paths) / v, 2) for v in whole[n]]
        if ref is not None and n in vectors:
            a, b = vectors[n], ref
            cos = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
            row.update(vector_cosine_vs_10_min=round(float(cos.min()), 4),
                       vector_cosine_vs_10_median=round(float(np.median(cos)), 4))
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    real_tracks.add_arguments(parser, limit=24)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--no-embed", action="store_true", help="skip what needs the model")
    parser.add_argument("--excerpts", help="excerpt counts to compare, e.g. 10,8,6")
    parser.add_argument("--excerpts-only", action="store_true", help="only the --excerpts comparison")
    parser.add_argument("--out", default="bench-results/decode.json")
    args = parser.parse_args(argv)
    import soundfile as sf

    paths = real_tracks.tracks(args)
    infos = [sf.info(str(p)) for p in paths]
    print(f"{len(paths)} files, mean {np.mean([i.duration for i in infos]) / 60:.1f} min, "
          f"{sorted({i.samplerate for i in infos})} Hz, {sorted({i.channels for i in infos})} channels")
    only = args.excerpts_only and args.excerpts
    stages = {} if only else stage_profile(paths)
    if stages:
        print("ms/track, one thread: " + ", ".join(f"{k} {v}" for k, v in stages.items()))
    embedder = None
    if not args.no_embed:
        from fmaplayer.ml.embedder import Embedder

        embedder = Embedder(device="cpu")
    excerpts = []
    if args.excerpts:
        counts = [int(v) for v in args.excerpts.split(",")]
        excerpts = excerpt_table(paths, counts, args.reps, embedder)
        print("excerpts | decode+mel s/track (1 thread) | tracks/s (embed_many) | "
              "vector cosine vs 10: min / median")
        for r in excerpts:
            print(f"{r['excerpts']} | {r['decode_mel_s_per_track']} | {r.get('tracks_per_s', '-')} | "
                  f"{r.get('vector_cosine_vs_10_min', '-')} / {r.get('vector_cosine_vs_10_median', '-')}")
    if only:
        result = {**machine(), "runtime": getattr(embedder, "runtime", None), "files": len(paths),
                  "mean_minutes": round(float(np.mean([i.duration for i in infos])) / 60, 2),
                  "excerpts": excerpts}
        print(f"wrote {write_json(result, args.out)}")
        return 0
    qualities = quality_table(paths, embedder)
    print("soxr quality | ms/excerpt | max dB | p99 dB | max dB above -60 | cosine min | cosine mean")
    for r in qualities:
        print(" | ".join(str(r.get(k, "-")) for k in ("quality", "ms_per_excerpt", "max_db", "p99_db",
                                                       "max_db_above_minus60", "cosine_min", "cosine_mean")))
    pipeline = [] if embedder is None else pipeline_table(embedder, paths, args.reps)
    for r in pipeline:
        print(f"{r['way']}: {r['tracks_per_s']} tracks/s (passes {r['passes_tracks_per_s']})")
    result = {**machine(), "runtime": getattr(embedder, "runtime", None), "files": len(paths),
              "stages_ms_per_track": stages, "soxr_qualities": qualities, "pipeline": pipeline,
              "excerpts": excerpts}
    print(f"wrote {write_json(result, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
