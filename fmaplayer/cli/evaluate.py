"""`fmaplayer evaluate`: evaluate trained models and baselines on the test split; write the report.

    fmaplayer evaluate --data ../shared/data --runs /work/runs/cnn_lstm /work/runs/cnn ... \
        --split /work/runs/cnn_lstm/split.json --out models

Writes <out>/REPORT.md, <out>/report.json and <out>/plots/*.png. Only stdlib at import time.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="the labelled collection the split refers to")
    parser.add_argument("--runs", nargs="*", default=[], help="training run folders (best.keras, state.json)")
    parser.add_argument("--model", nargs="*", default=[], help="bundled .keras files (with manifest .json)")
    parser.add_argument("--split", help="split.json (default: the first run's)")
    parser.add_argument("--part", default="test", choices=("test", "val"),
                        help="which part of the split to score: `val` to choose between candidates, "
                             "`test` only for what is reported")
    parser.add_argument("--cache", help="feature cache folder")
    parser.add_argument("--baselines", default="mfcc,musly", help="comma list of mfcc, musly; '' for none")
    parser.add_argument("--timing-tracks", type=int, default=40, help="tracks timed end to end per system")
    parser.add_argument("--out", default="models", help="folder for REPORT.md, report.json, plots/")
    parser.add_argument("--teacher-cache", help="distillation cache: adds the teacher, overlap@10 with it, "
                        "score spreads and the genre threshold check (`fmaplayer distill targets`)")
    parser.add_argument("--extra", help="Debian music folder; its held-out packages are the unseen audio")
    parser.add_argument("--max-segments", type=int, default=10, help="as given to `fmaplayer distill`")
    parser.add_argument("--hybrid", action="store_true",
                        help="choose the hybrid similarity on validation and report it once on test "
                             "(--cache: the distillation cache with teacher targets; --out: a folder)")
    parser.add_argument("--choose-only", action="store_true", help="with --hybrid: stop after choosing")
    parser.add_argument("--keep-ranking", action="store_true",
                        help="with --hybrid: keep the previous model's ranking (style weight 1); fit only "
                             "the percentage curve and the genre head")
    parser.add_argument("--write-manifest", metavar="VERSION",
                        help="with --hybrid: write the choice into the bundled manifest as this version")
    parser.add_argument(
        "--update-manifest",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="copy the bundled model's metrics into its manifest (sha256 unchanged)",
    )


def _test_items(data: str, split_path: Path, part: str = "test"):
    import os

    from fmaplayer.training import datasets

    root = Path(data)
    base = root if root.is_dir() else root.parent
    split = datasets.read_split(split_path)
    items = datasets.load_dataset(root)
    return [it for it in items if split.get(os.path.relpath(it.path, base)) == part]


def _load(source: str):
    """(label, keras model, genres, moods, history or None, run config or manifest)."""
    import keras

    p = Path(source)
    if p.is_dir():
        cfg = json.loads((p / "config.json").read_text())
        state = json.loads((p / "state.json").read_text())
        model = keras.saving.load_model(p / "best.keras", compile=False)
        label = cfg["arch"] if cfg["moods"] else f"{cfg['arch']}_genre_only"  # the mood-head ablation
        return label, model, cfg["genres"], cfg["moods"], state, cfg
    from fmaplayer.ml.manifest import bundled_model_path, load_manifest

    man = load_manifest(p)
    model = keras.saving.load_model(p, compile=False)
    # "(bundled)" marks the model the app ships (its manifest receives the metrics); others by version
    shipped = p.resolve() == bundled_model_path().resolve()
    label = f"{man['name']} {man['version']}" + (" (bundled)" if shipped else "")
    return label, model, man["genres"], man["moods"], None, man


def _predict(model, x, has_mood):
    import keras

    outs = [model.get_layer("embedding").output, model.get_layer("genre").output]
    if has_mood:
        outs.append(model.get_layer("mood").output)
    sub = keras.Model(model.inputs, outs)
    res = sub.predict(x, batch_size=64, verbose=0)
    return res if has_mood else [*res, None]


def evaluate_model(source, items, mels, timing_paths):
    import numpy as np

    from fmaplayer.ml import features
    from fmaplayer.training import evaluation, training

    label, model, genres, moods, state, meta = _load(source)
    xs, owner = [], []
    for i, it in enumerate(items):
        s = training.eval_slices(mels[it.path])
        xs.append(s)
        owner += [i] * len(s)
    x, owner = np.concatenate(xs), np.array(owner)
    emb, gp, mp = _predict(model, x, bool(moods))
    res = {
        "label": label,
        "source": str(source),
        "parameters": int(model.count_params()),
        "embedding_dim": int(emb.shape[1]),
        "genres": genres,
        "moods": moods,
    }
    # genre classification on clips whose genre is in the label space
    g_idx = np.array([genres.index(it.genre) if it.genre in genres else -1 for it in items])
    sl = g_idx[owner] >= 0
    res["genre_slice"] = evaluation.classification_metrics(g_idx[owner][sl], gp[sl], genres)
    tracks = [i for i in range(len(items)) if g_idx[i] >= 0]
    track_probs = np.array([gp[owner == i].mean(axis=0) for i in tracks])
    res["genre_track"] = evaluation.classification_metrics(g_idx[tracks], track_probs, genres)
    if moods:
        m_idx = np.array([moods.index(it.mood) if it.mood in moods else -1 for it in items])
        ms = m_idx[owner] >= 0
        res["mood_slice"] = evaluation.classification_metrics(m_idx[owner][ms], mp[ms], moods)
        mt = [i for i in range(len(items)) if m_idx[i] >= 0]
        res["mood_track"] = evaluation.classification_metrics(
            m_idx[mt], np.array([mp[owner == i].mean(axis=0) for i in mt]), moods
        )
    vec = np.array([emb[owner == i].mean(axis=0) for i in range(len(items))])
    res["recommendation"] = evaluation.recommendation_metrics(
        evaluation.cosine_matrix(vec), [it.genre for it in items], [it.mood for it in items]
    )
    if state:
        res["history"] = state["history"]
        res["best_epoch"], res["epochs_run"] = state.get("best_epoch"), state.get("epochs_done")
        res["hyperparameters"] = {
            k: meta.get(k)
            for k in (
                "epochs",
                "lr",
                "batch_size",
                "augment",
                "mixup",
                "crops_per_clip",
                "mood_head",
                "patience",
            )
        }
    # end-to-end seconds per track: decode excerpts + mel + forward pass
    t0 = time.perf_counter()
    batch = np.concatenate([features.track_slices(p) for p in timing_paths])
    model.predict(batch, batch_size=64, verbose=0)
    res["seconds_per_track"] = (time.perf_counter() - t0) / max(1, len(timing_paths))
    return res


def run(name: str, args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.hybrid:
        from fmaplayer.training import hybrid_report

        return hybrid_report.run(args)
    from fmaplayer.training import evaluation, feature_cache
    from fmaplayer.training import report as report_mod

    out = Path(args.out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    split_path = Path(args.split) if args.split else Path(args.runs[0]) / "split.json"
    items = _test_items(args.data, split_path, args.part)
    entries = feature_cache.build_cache([it.path for it in items], args.cache)
    items = [it for it in items if it.path in entries]
    mels = feature_cache.load_mels(entries)
    print(f"{len(items)} {args.part} clips ({sum(1 for it in items if it.genre)} with a genre)", flush=True)
    timing_paths = [it.path for it in items[: args.timing_tracks]]
    results = {"split": str(split_path), "part": args.part, "test_clips": len(items), "models": [],
               "baselines": {}}
    for source in [*args.runs, *args.model]:
        print(f"evaluating {source}", flush=True)
        results["models"].append(evaluate_model(source, items, mels, timing_paths))
    genres = [it.genre for it in items]
    moods = [it.mood for it in items]
    paths = [it.path for it in items]
    wanted = [b.strip() for b in args.baselines.split(",") if b.strip()]
    if "mfcc" in wanted:
        print("baseline: MFCC mean+std", flush=True)
        vec, sec = evaluation.mfcc_vectors(paths)
        results["baselines"]["mfcc"] = {
            "label": "MFCC mean+std (20 coeff.), standardised, cosine",
            "seconds_per_track": sec,
            "recommendation": evaluation.recommendation_metrics(evaluation.cosine_matrix(vec), genres, moods),
        }
    if "musly" in wanted:
        print("baseline: musly", flush=True)
        try:
            sim, sec, version = evaluation.musly_similarity(paths)
            results["baselines"]["musly"] = {
                "label": f"musly {version} timbre (pymusly jukebox)",
                "seconds_per_track": sec,
                "recommendation": evaluation.recommendation_metrics(sim, genres, moods),
            }
        except Exception as exc:  # noqa: BLE001 - reported precisely instead
            results["baselines"]["musly"] = {"error": f"{type(exc).__name__}: {exc}"}
    if args.teacher_cache:
        from fmaplayer.training import generalisation

        print("generalisation: teacher, unseen audio, score spread, genre threshold", flush=True)
        generalisation.run(args, items, mels, results)
    (out / "report.json").write_text(json.dumps(results, indent=1))
    report_mod.write_report(results, out)
    if args.update_manifest and args.part == "test":  # a validation run never becomes the model card
        report_mod.update_bundled_manifest(results, out)
    print(f"wrote {out / 'REPORT.md'}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fmaplayer evaluate")
    add_arguments("evaluate", parser)
    return run("evaluate", parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
