"""The part of `fmaplayer evaluate --teacher-cache` that asks whether recommendations generalise.

In the same run and on the same clips as the main report: the teacher as a system on the test split;
every system's agreement with the teacher (overlap@10) on the test clips and on unseen audio (whole
Debian packages kept out of training); the spread of the percentages the app shows; and what the
validated genre threshold gives on the test split. Models are scored the way the app scores them
(library-centred cosine, recommend.calibration); the teacher and the baselines as they were measured.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fmaplayer.training import debian_music, distill_eval, evaluation, training

K = 10


def _model_systems(sources: list[str]):
    import keras

    from fmaplayer.ml.manifest import load_manifest

    for src in sources:
        p = Path(src)
        man = load_manifest(p) if p.suffix == ".keras" else json.loads((p / "config.json").read_text())
        model = keras.saving.load_model(p if p.suffix == ".keras" else p / "best.keras", compile=False)
        label = f"{man.get('name', p.name)} {man.get('version', '')}".strip()
        yield label, model, man


def run(args, items, mels, results: dict) -> None:
    cache = Path(args.teacher_cache)
    paths = [it.path for it in items]
    genres = [it.genre for it in items]
    moods = [it.mood for it in items]
    teacher_test = distill_eval.teacher_vectors(paths, cache, args.max_segments)
    teacher_sim = evaluation.cosine_matrix(teacher_test)
    results["baselines"]["teacher"] = {
        "label": "teacher: musicnn MSD_musicnn, 200-d penultimate, cosine",
        "seconds_per_track": None,
        "recommendation": evaluation.recommendation_metrics(teacher_sim, genres, moods),
    }
    unseen = [str(p) for p in debian_music.tracks(Path(args.extra), held_out=True)] if args.extra else []
    teacher_unseen = (evaluation.cosine_matrix(distill_eval.teacher_vectors(unseen, cache, args.max_segments))
                      if unseen else None)
    gen: dict = {"k": K, "test_clips": len(items), "unseen_tracks": len(unseen),
                 "unseen_packages": list(debian_music.HELD_OUT), "systems": {}}
    unseen_slices = distill_eval.track_slices_all(unseen) if unseen else []
    test_slices = [training.eval_slices(mels[p]) for p in paths]
    for label, model, man in _model_systems([*args.model, *args.runs]):
        prior = np.asarray(man["embedding"]["centre"], np.float32) if man.get("embedding", {}).get(
            "centre") else None
        vec, probs = distill_eval.model_outputs(model, test_slices)
        sim = distill_eval.centred_similarity(vec, prior)
        entry = {
            "scoring": "library-centred cosine (as the app ranks and displays)",
            "recommendation_centred": evaluation.recommendation_metrics(sim, genres, moods),
            "overlap_test": distill_eval.overlap_at_k(sim, teacher_sim, K),
            "spread_test": distill_eval.score_spread(sim, genres, K),
            "spread_test_raw_cosine": distill_eval.score_spread(evaluation.cosine_matrix(vec), genres, K),
        }
        labelled = [i for i, g in enumerate(genres) if g in man["genres"]]
        y = np.array([man["genres"].index(genres[i]) for i in labelled])
        threshold = float(man.get("genre_threshold") or 0.0)
        entry["genre_shown"] = distill_eval.shown_accuracy(probs[labelled], y, threshold)
        if unseen:
            uvec, _ = distill_eval.model_outputs(model, unseen_slices)
            usim = distill_eval.centred_similarity(uvec, prior)
            entry["overlap_unseen"] = distill_eval.overlap_at_k(usim, teacher_unseen, K)
            entry["spread_unseen"] = distill_eval.score_spread(usim, None, K)
        gen["systems"][label] = entry
    for name, sim_of in (("mfcc", _mfcc_sim), ("musly", _musly_sim)):
        try:
            entry = {"overlap_test": distill_eval.overlap_at_k(sim_of(paths), teacher_sim, K)}
            if unseen:
                entry["overlap_unseen"] = distill_eval.overlap_at_k(sim_of(unseen), teacher_unseen, K)
            gen["systems"][name] = entry
        except Exception as exc:  # noqa: BLE001 - a missing baseline is reported, not fatal
            gen["systems"][name] = {"error": f"{type(exc).__name__}: {exc}"}
    results["generalisation"] = gen


def _mfcc_sim(paths):
    return evaluation.cosine_matrix(evaluation.mfcc_vectors(paths)[0])


def _musly_sim(paths):
    return evaluation.musly_similarity(paths)[0]


def _ov(entry: dict, key: str) -> str:
    o = entry.get(key)
    if not o:
        return "–"
    return f"{o['avg']:.3f} [{o['ci95'][0]:.2f}, {o['ci95'][1]:.2f}]"


def section_lines(gen: dict) -> list[str]:
    """Markdown for REPORT.md."""
    lines = [
        "",
        "## Generalisation: agreement with the teacher, readable scores, shown genres",
        "",
        f"overlap@{gen['k']}: share of a system's {gen['k']} nearest neighbours that are also among the "
        f"teacher's, per anchor, mean [95 % bootstrap CI]. Test split: {gen['test_clips']} clips; unseen "
        f"audio: {gen['unseen_tracks']} full-length tracks of Debian packages never used in training "
        f"({', '.join(gen['unseen_packages'])}). Chance is {gen['k']}/(n-1).",
        "",
        "| system | overlap@10, test split | overlap@10, unseen audio |",
        "|---|---|---|",
    ]
    for name, e in gen["systems"].items():
        if "error" in e:
            lines.append(f"| {name} | not run: {e['error']} | |")
            continue
        lines.append(f"| {name} | {_ov(e, 'overlap_test')} | {_ov(e, 'overlap_unseen')} |")
    lines += [
        "",
        "Displayed match percentages (library-centred cosine; raw cosine in brackets) of the 1st and "
        "10th result, medians over anchors, and the mean shown score of same-genre vs other-genre results "
        "among the top 10 (test split):",
        "",
        "| model | 1st | 10th | median gap | same genre | other genre | unseen: 1st / 10th / gap |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, e in gen["systems"].items():
        s, r, u = e.get("spread_test"), e.get("spread_test_raw_cosine"), e.get("spread_unseen")
        if not s:
            continue
        unseen = (f"{u['median_first']:.0f} / {u['median_kth']:.0f} / {u['median_gap_first_kth']:.0f}"
                  if u else "–")
        lines.append(
            f"| {name} | {s['median_first']:.0f} ({r['median_first']:.0f}) | {s['median_kth']:.0f} "
            f"({r['median_kth']:.0f}) | {s['median_gap_first_kth']:.1f} ({r['median_gap_first_kth']:.1f}) | "
            f"{s['mean_same_genre_in_top']:.1f} | {s['mean_other_genre_in_top']:.1f} | {unseen} |")
    lines += [
        "",
        "Predicted genre shown only at or above the model's threshold (chosen on the validation split for "
        f"{distill_eval.TARGET_ACCURACY:.0%} accuracy; 0 = always shown), on the test tracks:",
        "",
        "| model | threshold | shown | accuracy of shown | accuracy of all |",
        "|---|---|---|---|---|",
    ]
    for name, e in gen["systems"].items():
        g = e.get("genre_shown")
        if g:
            acc = "–" if g["shown_accuracy"] is None else f"{g['shown_accuracy']:.3f}"
            lines.append(f"| {name} | {g['threshold']:.2f} | {g['shown_share']:.0%} of {g['n']} | {acc} | "
                         f"{g['all_accuracy']:.3f} |")
    lines += ["", "Centred-cosine genre / quadrant P@10 of the models (the app's ranking):", ""]
    for name, e in gen["systems"].items():
        rc = e.get("recommendation_centred")
        if rc:
            gp, qp = rc["genre"]["p@10"], rc["quadrant"]["p@10"]
            lines.append(f"- {name}: genre P@10 {gp['avg']:.3f} [{gp['ci95'][0]:.2f}, {gp['ci95'][1]:.2f}], "
                         f"quadrant P@10 {qp['avg']:.3f} [{qp['ci95'][0]:.2f}, {qp['ci95'][1]:.2f}]")
    return lines

