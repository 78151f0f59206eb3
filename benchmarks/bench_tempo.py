"""Tempo from the analysis slices: its cost next to the model's forward pass, and its agreement with
librosa's beat tracker run on the whole decoded file.

    .venv/bin/python benchmarks/bench_tempo.py FOLDER [FOLDER ...] [--files 24] [--out FILE]

For an even sample of the audio files under the folders: the app's excerpts are decoded once
(features.track_slices), then timed separately are the tempo estimate (ml/tempo.py) and one track's
analysis (Embedder._embed_decoded: forward pass + summary, the tempo included, on the runtime the app
picks). The reference is librosa.beat.beat_track on the first 4 minutes of the fully decoded file: a
second decode the app avoids. Agreement: within 8 % (the "similar tempo" tolerance), or an octave apart.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import machine, write_json  # noqa: E402

AUDIO = {".ogg", ".mp3", ".flac", ".wav", ".opus"}


def main(argv: list[str] | None = None) -> int:
    import librosa

    from fmaplayer.ml import features
    from fmaplayer.ml.embedder import Embedder
    from fmaplayer.ml.tempo import tempo_from_slices
    from fmaplayer.recommend.explain import tempo_relation

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--out", default="bench-results/tempo.json")
    args = parser.parse_args(argv)

    files = sorted(p for f in args.folders for p in Path(f).rglob("*") if p.suffix.lower() in AUDIO)
    if not files:
        raise SystemExit("no audio files found")
    picks = np.linspace(0, len(files) - 1, min(args.files, len(files))).round().astype(int)
    files = [files[i] for i in picks]
    embedder = Embedder(device="cpu")
    embedder._embed_decoded([features.track_slices(files[0])])   # warm-up (graph tracing, thread pools)
    tempo_ms, analysis_ms, rows = [], [], []
    for path in files:
        slices = features.track_slices(path)
        t = time.perf_counter()
        estimate = tempo_from_slices(slices)
        tempo_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        embedder._embed_decoded([slices])
        analysis_ms.append((time.perf_counter() - t) * 1000)
        y, _ = librosa.load(str(path), sr=features.SAMPLE_RATE, mono=True, duration=240)
        reference = float(np.atleast_1d(librosa.beat.beat_track(y=y, sr=features.SAMPLE_RATE)[0])[0])
        relation = tempo_relation(reference, estimate)
        rows.append({"file": path.name, "slices_bpm": estimate, "beat_track_bpm": reference,
                     "relation": relation})
        print(f"{path.name[:44]:44s} slices {'-' if estimate is None else f'{estimate:6.1f}'} "
              f"beat_track {reference:6.1f}  {relation or 'no tempo'}")
    given = [r for r in rows if r["slices_bpm"] is not None]
    same = sum(r["relation"] == "similar" for r in given)
    octave = sum(r["relation"] in ("double", "half") for r in given)
    summary = {"files": len(rows), "with_tempo": len(given), "similar": same, "octave": octave,
               "tempo_ms_median": float(np.median(tempo_ms)),
               "analysis_ms_median": float(np.median(analysis_ms)),
               "runtime": getattr(embedder, "runtime", getattr(embedder, "device", ""))}
    print(f"tempo {summary['tempo_ms_median']:.1f} ms/track (median) vs analysis of the decoded slices "
          f"{summary['analysis_ms_median']:.0f} ms/track; tempo given for {len(given)}/{len(rows)}, "
          f"within 8 % of beat_track for {same}, an octave apart for {octave}")
    out = write_json({"machine": machine(), "summary": summary, "files": rows}, args.out)
    print(f"wrote {out}")
    embedder.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
