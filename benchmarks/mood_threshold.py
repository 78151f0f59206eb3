"""The mood threshold of "Why this song?": chosen on the validation clips by the genre threshold's rule.

    .venv/bin/python benchmarks/mood_threshold.py --db LIBRARY.db --data ../shared/data

The library must hold the labelled research clips, analysed by `fmaplayer scan` (so the probabilities
are the app's own: the same excerpts, the same model). The clips are split by artist exactly as the
model's training split them (datasets.artist_split, the manifest's seed); the threshold is the lowest
top-quadrant probability at which the shown quadrants of the validation clips are right 4 times in 5
(distill_eval.choose_threshold, the rule that gave `genre_threshold`), and its accuracy on the test
clips is reported beside it. Nothing here is used as a test fixture.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import machine, write_json  # noqa: E402

SPLIT_SEED = 20261122   # the model's training split (models/cnn_lstm.json, training.split)


def main(argv: list[str] | None = None) -> int:
    from fmaplayer.library.store import LibraryStore
    from fmaplayer.training import datasets, distill_eval

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--out", default="bench-results/mood_threshold.json")
    args = parser.parse_args(argv)

    items = datasets.load_dataset(Path(args.data))
    split = datasets.artist_split(items, seed=SPLIT_SEED)
    label_of = {os.path.realpath(it.path): it for it in items if it.mood}
    moods = ("Q1", "Q2", "Q3", "Q4")
    parts: dict[str, tuple[list, list]] = {"val": ([], []), "test": ([], [])}
    with LibraryStore(args.db) as store:
        counts = store.embedding_model_counts()
        model_id = max(counts, key=counts.get)
        tracks = store.all_tracks()
        profiles = store.embedding_profiles(model_id, [t.id for t in tracks])
    for track in tracks:
        item = label_of.get(os.path.realpath(track.path))
        profile = profiles.get(track.id)
        if item is None or profile is None or profile.mood_probs is None:
            continue
        part = split.get(item.path)
        if part in parts:
            parts[part][0].append(profile.mood_probs)
            parts[part][1].append(moods.index(item.mood))
    if not parts["val"][0]:
        raise SystemExit("no analysed validation clips with mood labels in this library")
    val_p, val_y = np.stack(parts["val"][0]), np.array(parts["val"][1])
    threshold = distill_eval.choose_threshold(val_p, val_y)
    report = {"machine": machine(), "model_id": model_id, "threshold": threshold,
              "val": distill_eval.shown_accuracy(val_p, val_y, threshold)}
    if parts["test"][0]:
        report["test"] = distill_eval.shown_accuracy(np.stack(parts["test"][0]), np.array(parts["test"][1]),
                                                     threshold)
    print(f"mood threshold {threshold:.2f} ({model_id})")
    for part in ("val", "test"):
        if part in report:
            r = report[part]
            right = "-" if r["shown_accuracy"] is None else f"{r['shown_accuracy']:.0%}"
            print(f"{part:5s} n={r['n']:4d} shown {r['shown_share']:.0%}, right when shown {right}, "
                  f"right overall {r['all_accuracy']:.0%}")
    print(f"wrote {write_json(report, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
