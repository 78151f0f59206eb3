"""`fmaplayer evaluate --hybrid`: choose the hybrid similarity on validation, then report it once on test.

    fmaplayer evaluate --hybrid --data ../shared/data --extra ~/.cache/fmaplayer-debian-music \
        --cache ~/.cache/fmaplayer-distill --out models/hybrid [--choose-only]

`choose` reads only the training files (to fit) and the validation clips (to decide). `report` scores,
in one run on the same clips: the app's fused ranking, each part alone, the teacher alone, the teacher
fused with the same timbre part (the ceiling of this design), musly and MFCC; genre and quadrant P@5/P@10
with bootstrap intervals on the artist-split test and leave-one-out over every labelled clip; overlap@10
with the teacher on the held-out Debian packages (full-length audio no model trained on); the calibration
of the shown percentage (ECE, reliability table) and the gap between the 1st and 10th result.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from fmaplayer.ml import timbre
from fmaplayer.training import distill_eval, evaluation, hybrid

SEED = 20261122
MAX_SEGMENTS = 3


def _teacher(paths: list[str], cache: Path) -> np.ndarray:
    return distill_eval.teacher_vectors(paths, cache, MAX_SEGMENTS)


def choose(labelled: hybrid.ClipFacts, parts: np.ndarray, genres: list, teacher: np.ndarray,
           extra: hybrid.ClipFacts | None, extra_teacher: np.ndarray | None, genre_ids: list,
           n_genres: int, log=print) -> dict:
    """Ridge strength and training audio, then the weights on top, then the % curve: all by validation."""
    val = np.flatnonzero(parts == "val")
    val_genres = [genres[i] for i in val]
    sources = {"labelled": (labelled, teacher, parts == "train")}
    if extra is not None:
        both = hybrid.ClipFacts(labelled.paths + extra.paths,
                                *(np.concatenate([getattr(labelled, f), getattr(extra, f)])
                                  for f in hybrid._ARRAYS))
        mask = np.concatenate([parts == "train", np.ones(len(extra.paths), bool)])
        sources["labelled+debian"] = (both, np.concatenate([teacher, extra_teacher]), mask)
    grid = []
    for name, (facts, targets, fit_rows) in sources.items():
        for alpha in hybrid.ALPHAS:
            section = hybrid.fit_section(facts, targets, fit_rows, alpha)
            score = _val_score(labelled.take(val), section, val_genres)
            grid.append({"fit_on": name, "alpha": alpha, "val_genre_p10": score})
            log(f"  fit on {name:>16}, alpha {alpha:>5g}: validation genre P@10 {score:.3f}")
    best = max(grid, key=lambda g: (round(g["val_genre_p10"], 4), g["fit_on"] == "labelled+debian"))
    facts, targets, fit_rows = sources[best["fit_on"]]
    weights_grid = []
    for wt in hybrid.TIMBRE_WEIGHTS:
        for wb in hybrid.TEMPO_WEIGHTS:
            weights = {"style": round(1.0 - wt - wb, 4), "timbre": wt, "tempo": wb}
            section = hybrid.fit_section(facts, targets, fit_rows, best["alpha"], weights)
            score = _val_score(labelled.take(val), section, val_genres)
            weights_grid.append({**weights, "val_genre_p10": score})
    chosen = max(weights_grid, key=lambda g: (round(g["val_genre_p10"], 4), -g["timbre"] - g["tempo"]))
    log(f"  weights: style {chosen['style']}, timbre {chosen['timbre']}, tempo {chosen['tempo']} "
        f"(validation genre P@10 {chosen['val_genre_p10']:.3f})")
    section = hybrid.fit_section(facts, targets, fit_rows, best["alpha"],
                                 {k: chosen[k] for k in ("style", "timbre", "tempo")})
    sim = _scores(labelled.take(val), section)
    section["percent"] = hybrid.percent_curve(sim, val_genres)
    section["chosen_on"] = (f"validation split ({len(val)} clips): genre P@10 {chosen['val_genre_p10']:.3f}; "
                            f"fitted on {best['fit_on']} training audio")
    head, head_grid = choose_genre_head(labelled, parts, genre_ids, n_genres, log)
    return {"section": section, "fit_grid": grid, "weights_grid": weights_grid, "genre_head": head,
            "genre_head_grid": head_grid}


def choose_genre_head(labelled: hybrid.ClipFacts, parts: np.ndarray, genre_ids: list, n_genres: int,
                      log=print):
    """C and the shown-genre threshold: the most validation clips shown at >= 80 % right."""
    from fmaplayer.training.distill_eval import choose_threshold

    val = np.flatnonzero(parts == "val")
    val_ids = [genre_ids[i] for i in val]
    keep = [k for k, y in enumerate(val_ids) if y is not None]
    grid = []
    for c in hybrid.GENRE_C:
        head = hybrid.fit_genre_head(labelled, genre_ids, parts == "train", c, n_genres)
        probs = hybrid.genre_head_probs(labelled.take(val), head)
        truth = np.array([val_ids[k] for k in keep])
        threshold = choose_threshold(probs[keep], truth, hybrid.TARGET_ACCURACY)
        grid.append({"C": c, **hybrid.shown_genres(probs, val_ids, threshold)})
        log(f"  genre head C {c:g}: {grid[-1]}")
    best = max(grid, key=lambda g: (round(g["shown_share"], 3), g["accuracy_all"]))
    head = hybrid.fit_genre_head(labelled, genre_ids, parts == "train", best["C"], n_genres)
    head["threshold"] = best["threshold"]
    head["chosen_on"] = (f"validation split: {best['shown_accuracy']:.0%} right when shown, shown for "
                         f"{best['shown_share']:.0%} of {best['n']} clips")
    return head, grid


def _scores(facts: hybrid.ClipFacts, section: dict) -> np.ndarray:
    layout = hybrid.layout_of(section, facts.style.shape[1])
    return hybrid.score_matrix(hybrid.stored_vectors(facts, layout), layout, np.asarray(section["centre"]))


def _val_score(facts: hybrid.ClipFacts, section: dict, genres: list) -> float:
    return hybrid.p_at_10(_scores(facts, section), genres)


def _part_alone(section: dict, part: str) -> dict:
    alone = json.loads(json.dumps(section))
    alone["weights"] = {k: float(k == part) for k in ("style", "timbre", "tempo")}
    return alone


def systems(facts: hybrid.ClipFacts, teacher: np.ndarray, section: dict, prior_student,
            with_peers: bool) -> dict[str, np.ndarray]:
    """Score matrices of every system on one set of files (the rows of `facts`)."""
    out = {"fmaplayer hybrid (the app's ranking)": _scores(facts, section),
           "hybrid style block alone": _scores(facts, _part_alone(section, "style")),
           "timbre part alone": _scores(facts, _part_alone(section, "timbre")),
           "student 2.1.0 alone (centred cosine)": hybrid.score_matrix(facts.style, None, prior_student)}
    t = hybrid.unit(teacher - teacher.mean(0))
    out["musicnn teacher alone"] = t @ t.T
    w = section["weights"]["timbre"] or 0.2
    spec = section["timbre"]
    timbre_unit = timbre.standardise(facts.timbre_stats, spec["mean"], spec["scale"])
    out[f"teacher + timbre part (weight {w:g})"] = (1 - w) * out["musicnn teacher alone"] + \
        w * (timbre_unit @ timbre_unit.T)
    if with_peers:
        mfcc, _ = evaluation.mfcc_vectors(facts.paths)
        out["MFCC mean/std (librosa)"] = evaluation.cosine_matrix(mfcc)
        try:
            out["musly (timbre, mutual proximity)"] = evaluation.musly_similarity(facts.paths)[0]
        except Exception as exc:  # noqa: BLE001 - the peer is optional (pip install -e ".[eval]")
            print(f"  musly skipped: {exc}")
    return out


def precision_table(sims: dict[str, np.ndarray], genres: list, moods: list) -> dict:
    table = {}
    for name, sim in sims.items():
        metrics = evaluation.recommendation_metrics(sim, genres, moods)
        table[name] = {f"{kind} {k}": {"avg": round(metrics[kind][k]["avg"], 4),
                                       "ci95": [round(x, 4) for x in metrics[kind][k]["ci95"]],
                                       "per_anchor": metrics[kind][k]["per_anchor"]}
                       for kind in ("genre", "quadrant") if kind in metrics for k in ("p@5", "p@10")}
    return table


def report(labelled: hybrid.ClipFacts, parts: np.ndarray, genres: list, moods: list, teacher: np.ndarray,
           unseen: hybrid.ClipFacts | None, unseen_teacher: np.ndarray | None, section: dict,
           prior_student) -> dict:
    """Test split once, leave-one-out over every labelled clip, unseen full-length audio, calibration."""
    from fmaplayer.recommend.calibration import match_percent

    test = np.flatnonzero(parts == "test")
    t_genres, t_moods = [genres[i] for i in test], [moods[i] for i in test]
    started = time.time()
    test_sims = systems(labelled.take(test), teacher[test], section, prior_student, with_peers=True)
    out = {"test": precision_table(test_sims, t_genres, t_moods), "n_test": len(test)}
    app = test_sims["fmaplayer hybrid (the app's ranking)"]
    scores, same = hybrid.pair_outcomes(app, t_genres)
    curve = section["percent"]
    shown = np.interp(scores, curve["scores"], curve["percent"])
    out["calibration_test"] = hybrid.expected_calibration_error(shown, same)
    old_scores, old_same = hybrid.pair_outcomes(test_sims["student 2.1.0 alone (centred cosine)"], t_genres)
    out["calibration_test_2.1.0_angle_percent"] = hybrid.expected_calibration_error(
        np.vectorize(match_percent)(old_scores), old_same)
    out["gap_first_tenth_test"] = _gap(app, curve)
    labelled_all = [i for i in range(len(parts)) if genres[i] or moods[i]]
    loo = systems(labelled.take(labelled_all), teacher[labelled_all], section, prior_student,
                  with_peers=False)
    out["leave_one_out_all_labelled"] = precision_table(loo, [genres[i] for i in labelled_all],
                                                        [moods[i] for i in labelled_all])
    if unseen is not None:
        u = systems(unseen, unseen_teacher, section, prior_student, with_peers=False)
        reference = u["musicnn teacher alone"]
        out["unseen_overlap_at_10_with_teacher"] = {
            name: distill_eval.overlap_at_k(sim, reference) for name, sim in u.items()
            if name != "musicnn teacher alone"}
        out["gap_first_tenth_unseen"] = _gap(u["fmaplayer hybrid (the app's ranking)"], curve)
        out["n_unseen"] = len(unseen.paths)
    out["seconds"] = round(time.time() - started, 1)
    return out


def _gap(sim: np.ndarray, curve: dict) -> dict:
    s = sim.astype(np.float64).copy()
    np.fill_diagonal(s, -np.inf)
    top = -np.sort(-s, axis=1)[:, :10]
    pct = np.interp(top, curve["scores"], curve["percent"])
    return {"median_first": float(np.median(pct[:, 0])), "median_tenth": float(np.median(pct[:, -1])),
            "median_gap": float(np.median(pct[:, 0] - pct[:, -1]))}


def run(args) -> int:
    from fmaplayer.ml import manifest as manifest_mod
    from fmaplayer.recommend.calibration import model_centre
    from fmaplayer.training import datasets, debian_music

    cache = Path(args.cache)
    items = datasets.load_dataset(Path(args.data))
    split = datasets.artist_split(items, seed=SEED)
    items = [it for it in items if it.path in split]
    paths = [it.path for it in items]
    parts = np.array([split[p] for p in paths])
    genres, moods = [it.genre for it in items], [it.mood for it in items]
    labelled = hybrid.analyse(paths, cache)
    teacher = _teacher(paths, cache)
    extra = extra_teacher = unseen = unseen_teacher = None
    if args.extra:
        train_files = [str(p) for p in debian_music.tracks(Path(args.extra), held_out=False)]
        unseen_files = [str(p) for p in debian_music.tracks(Path(args.extra), held_out=True)]
        extra, extra_teacher = hybrid.analyse(train_files, cache), _teacher(train_files, cache)
        unseen, unseen_teacher = hybrid.analyse(unseen_files, cache), _teacher(unseen_files, cache)
    manifest = manifest_mod.load_manifest(manifest_mod.manifest_path_for(manifest_mod.bundled_model_path()))
    genre_ids = [manifest["genres"].index(g) if g in manifest["genres"] else None for g in genres]
    chosen = choose(labelled, parts, genres, teacher, extra, extra_teacher, genre_ids,
                    len(manifest["genres"]))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "choice.json").write_text(json.dumps(chosen, indent=1))
    if args.choose_only:
        return 0
    prior = model_centre({"embedding": manifest["embedding"]})
    result = report(labelled, parts, genres, moods, teacher, unseen, unseen_teacher, chosen["section"], prior)
    test = np.flatnonzero(parts == "test")
    test_ids = [genre_ids[i] for i in test]
    head = chosen["genre_head"]
    result["genres_shown_test"] = {
        "genre head (chosen)": hybrid.shown_genres(hybrid.genre_head_probs(labelled.take(test), head),
                                                   test_ids, head["threshold"]),
        "network softmax 2.1.0": hybrid.shown_genres(labelled.genre_probs[test], test_ids,
                                                     float(manifest.get("genre_threshold") or 0))}
    (out / "report.json").write_text(json.dumps(result, indent=1))
    if args.write_manifest:
        write_manifest(manifest_mod.manifest_path_for(manifest_mod.bundled_model_path()), chosen, result,
                       args.write_manifest)
    print(json.dumps({k: v for k, v in result.items() if k != "leave_one_out_all_labelled"}, indent=1)[:4000])
    return 0


def write_manifest(path: Path, chosen: dict, result: dict, version: str) -> None:
    """The bundled manifest with the chosen similarity and genre head, the same weights file, a new
    version (so a library analysed by the previous one is re-analysed in the background)."""
    manifest = json.loads(path.read_text())
    head = dict(chosen["genre_head"])
    manifest["version"] = version
    manifest["similarity"] = chosen["section"]
    manifest["genre_threshold"] = head.pop("threshold")
    manifest["genre_threshold_validation"] = {"chosen_on": head.pop("chosen_on")}
    manifest["genre_head"] = head
    app = "fmaplayer hybrid (the app's ranking)"
    test = result["test"][app]
    manifest.setdefault("metrics", {})["hybrid_test"] = {
        "genre_p@10": test["genre p@10"]["avg"], "genre_p@10_ci95": test["genre p@10"]["ci95"],
        "quadrant_p@10": test["quadrant p@10"]["avg"], "percent_ece": result["calibration_test"]["ece"],
        "genres_shown": result["genres_shown_test"]["genre head (chosen)"],
        "unseen_overlap_at_10": ((result.get("unseen_overlap_at_10_with_teacher") or {}).get(app) or {}
                                 ).get("avg"),
        "source": "fmaplayer evaluate --hybrid (models/hybrid/report.json)"}
    path.write_text(json.dumps(manifest, indent=2) + "\n")
