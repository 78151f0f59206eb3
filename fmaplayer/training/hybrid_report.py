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
import os
import time
import zlib
from pathlib import Path

import numpy as np

from fmaplayer.ml import timbre
from fmaplayer.training import distill_eval, evaluation, hybrid

SEED = 20261122
MAX_SEGMENTS = 3
MARGIN = 0.005


def _teacher(paths: list[str], cache: Path) -> np.ndarray:
    return distill_eval.teacher_vectors(paths, cache, MAX_SEGMENTS)


FOLDS = 5


def dev_folds(artists: list[str], parts: np.ndarray) -> np.ndarray:
    """Fold of every non-test clip (-1 for test): artists hashed into FOLDS groups, so an artist's clips
    are never on both sides of a fit. Choosing by 5 folds over train + validation (about 830 clips) is far
    less noisy than the 151 validation clips alone, and still never reads the test split."""
    folds = np.array([zlib.crc32(a.encode()) % FOLDS for a in artists])
    return np.where(parts == "test", -1, folds)


def _cv(folds: np.ndarray, per_fold) -> list:
    return [per_fold(np.flatnonzero(folds == k), (folds >= 0) & (folds != k)) for k in range(FOLDS)]


def choose(labelled: hybrid.ClipFacts, folds: np.ndarray, genres: list, teacher: np.ndarray,
           extra: hybrid.ClipFacts | None, extra_teacher: np.ndarray | None, genre_ids: list,
           n_genres: int, moods: list, keep_ranking: bool = False, log=print) -> dict:
    """Training audio, ridge strength and the weights on top by cross-validated genre P@10 over the
    non-test clips; then the % curve and the genre head from the folds' held-out predictions."""
    sources = {"labelled": (labelled, teacher, np.zeros(0, bool))}
    if extra is not None:
        both = hybrid.ClipFacts(labelled.paths + extra.paths,
                                *(np.concatenate([getattr(labelled, f), getattr(extra, f)])
                                  for f in hybrid._ARRAYS))
        sources["labelled+debian"] = (both, np.concatenate([teacher, extra_teacher]),
                                      np.ones(len(extra.paths), bool))

    def fit(name: str, alpha: float | None, weights: dict, fit_rows: np.ndarray) -> dict:
        """alpha None: no projection (the network's vector as the style block)."""
        facts, targets, extra_rows = sources[name]
        rows = np.concatenate([fit_rows, extra_rows])
        return hybrid.plain_section(facts, rows, weights) if alpha is None else \
            hybrid.fit_section(facts, targets, rows, alpha, weights)

    def cv_score(name: str, alpha: float | None, weights: dict) -> dict:
        def one(held, fit_rows):
            sim = _scores(labelled.take(held), fit(name, alpha, weights, fit_rows))
            return [hybrid.p_at_10(sim, [genres[i] for i in held]),
                    hybrid.p_at_10(sim, [moods[i] for i in held])]
        genre, quadrant = np.mean(_cv(folds, one), axis=0)
        return {"cv_genre_p10": float(genre), "cv_quadrant_p10": float(quadrant),
                "cv_score": float((genre + quadrant) / 2)}

    def simplest_within_margin(rows: list[dict], cost) -> dict:
        """Something learned or added must beat the plainest option by MARGIN on the mean of genre and
        quadrant P@10 (both are goals; a margin, because 5 folds of ~170 clips are still noisy)."""
        top = max(g["cv_score"] for g in rows)
        return min((g for g in rows if g["cv_score"] >= top - MARGIN),
                   key=lambda g: (cost(g), -g["cv_score"]))

    style_only = {"style": 1.0, "timbre": 0.0, "tempo": 0.0}
    grid, weights_grid = [], []
    for name in ([] if keep_ranking else sources):
        for alpha in (*hybrid.ALPHAS, None):
            grid.append({"fit_on": name, "alpha": alpha, **cv_score(name, alpha, style_only)})
            log(f"  fit on {name:>16}, alpha {alpha}: cross-validated {grid[-1]}")
    if keep_ranking:   # the previous model's ranking: only the percentage and the genre head are fitted
        best = {"fit_on": "labelled", "alpha": None}
        chosen = {**style_only, **cv_score("labelled", None, style_only)}
    else:
        best = simplest_within_margin(grid, lambda g: (g["alpha"] is not None, g["fit_on"] != "labelled"))
        for wt in hybrid.TIMBRE_WEIGHTS:
            for wb in hybrid.TEMPO_WEIGHTS:
                weights = {"style": round(1.0 - wt - wb, 4), "timbre": wt, "tempo": wb}
                weights_grid.append({**weights, **cv_score(best["fit_on"], best["alpha"], weights)})
        chosen = simplest_within_margin(weights_grid, lambda g: g["timbre"] + g["tempo"])
    weights = {k: chosen[k] for k in ("style", "timbre", "tempo")}
    log(f"  weights: {weights} (cross-validated {chosen})")
    dev = folds >= 0
    section = fit(best["fit_on"], best["alpha"], weights, dev)

    def held_out_pairs(held, fit_rows):
        fold_section = fit(best["fit_on"], best["alpha"], weights, fit_rows)
        return hybrid.pair_outcomes(_scores(labelled.take(held), fold_section), [genres[i] for i in held])
    pairs = _cv(folds, held_out_pairs)
    section["percent"] = hybrid.percent_from_pairs(np.concatenate([p[0] for p in pairs]),
                                                   np.concatenate([p[1] for p in pairs]))
    how = "no projection" if best["alpha"] is None else f"ridge alpha {best['alpha']:g}"
    if keep_ranking:
        how += ", the previous model's ranking kept (--keep-ranking)"
    section["chosen_on"] = (f"{FOLDS}-fold cross-validation by artist over the {int(dev.sum())} non-test "
                            f"clips, mean of genre and quadrant P@10 (an added part must gain {MARGIN}): "
                            f"genre {chosen['cv_genre_p10']:.3f}, quadrant {chosen['cv_quadrant_p10']:.3f}; "
                            f"{how}, fitted on {best['fit_on']} audio")
    head, head_grid = choose_genre_head(labelled, folds, genre_ids, n_genres, log)
    return {"section": section, "fit_grid": grid, "weights_grid": weights_grid, "genre_head": head,
            "genre_head_grid": head_grid}


def choose_genre_head(labelled: hybrid.ClipFacts, folds: np.ndarray, genre_ids: list, n_genres: int,
                      log=print):
    """C and the shown-genre threshold from the folds' held-out probabilities: the most clips shown at
    >= 80 % right."""
    from fmaplayer.training.distill_eval import choose_threshold

    dev_rows = np.flatnonzero(folds >= 0)
    grid = []
    for c in hybrid.GENRE_C:
        probs = np.zeros((len(genre_ids), n_genres), np.float32)
        for k in range(FOLDS):
            held = np.flatnonzero(folds == k)
            head = hybrid.fit_genre_head(labelled, genre_ids, (folds >= 0) & (folds != k), c, n_genres)
            probs[held] = hybrid.genre_head_probs(labelled.take(held), head)
        labelled_rows = [i for i in dev_rows if genre_ids[i] is not None]
        threshold = choose_threshold(probs[labelled_rows], np.array([genre_ids[i] for i in labelled_rows]),
                                     hybrid.TARGET_ACCURACY)
        grid.append({"C": c, **hybrid.shown_genres(probs[dev_rows], [genre_ids[i] for i in dev_rows],
                                                   threshold)})
        log(f"  genre head C {c:g}: {grid[-1]}")
    best = max(grid, key=lambda g: (round(g["shown_share"], 3), g["accuracy_all"]))
    head = hybrid.fit_genre_head(labelled, genre_ids, folds >= 0, best["C"], n_genres)
    head["threshold"] = best["threshold"]
    head["chosen_on"] = (f"{FOLDS}-fold cross-validation over the non-test clips: "
                         f"{best['shown_accuracy']:.0%} right when shown, shown for "
                         f"{best['shown_share']:.0%} of {best['n']} clips")
    return head, grid


EMBEDDING_CENTRE: list = []   # the bundled manifest's embedding centre: the prior of a plain style block


def _scores(facts: hybrid.ClipFacts, section: dict) -> np.ndarray:
    layout = hybrid.layout_of(section, facts.style.shape[1])
    prior = section.get("centre") or EMBEDDING_CENTRE or None
    return hybrid.score_matrix(hybrid.stored_vectors(facts, layout), layout,
                               None if prior is None else np.asarray(prior, np.float32))


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
    EMBEDDING_CENTRE[:] = manifest["embedding"].get("centre") or []
    folds = dev_folds([it.artist or it.path for it in items], parts)
    chosen = choose(labelled, folds, genres, teacher, extra, extra_teacher, genre_ids,
                    len(manifest["genres"]), moods, args.keep_ranking)
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
    write_markdown(result, chosen, out, _machine())
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


def write_markdown(result: dict, chosen: dict, out: Path, machine: str) -> Path:
    """models/hybrid/REPORT.md (tables with intervals) and the reliability plot of the shown percentage."""
    lines = ["# Hybrid similarity: choice and test report", "",
             f"Written by `fmaplayer evaluate --hybrid` on {machine}. Chosen on the non-test clips only: "
             f"{chosen['section']['chosen_on']}. The test split ({result['n_test']} clips) is scored once.",
             ""]

    def table(title: str, rows: dict) -> None:
        lines.extend([f"## {title}", "", "| system | genre P@5 | genre P@10 | quadrant P@5 | quadrant P@10 |",
                      "|---|---|---|---|---|"])
        for name, m in rows.items():
            cells = [f"{m[k]['avg']:.3f} [{m[k]['ci95'][0]:.2f}, {m[k]['ci95'][1]:.2f}]" if k in m else ""
                     for k in ("genre p@5", "genre p@10", "quadrant p@5", "quadrant p@10")]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")

    table("Artist-split test (95 % bootstrap intervals)", result["test"])
    table("Leave-one-out over every labelled clip (the fits saw the non-test ones: in-domain, flattering)",
          result["leave_one_out_all_labelled"])
    if "unseen_overlap_at_10_with_teacher" in result:
        lines.extend([f"## Overlap@10 with the teacher on unseen full-length audio ({result['n_unseen']} "
                      "tracks of held-out Debian packages)", "", "| system | overlap@10 |", "|---|---|"])
        for name, o in result["unseen_overlap_at_10_with_teacher"].items():
            lines.append(f"| {name} | {o['avg']:.3f} [{o['ci95'][0]:.2f}, {o['ci95'][1]:.2f}] |")
        lines.append("")
    calibration = result["calibration_test"]
    lines.extend(["## The shown percentage on test", "",
                  f"Expected calibration error {calibration['ece']:.3f} (2.1.0's angle percentage: "
                  f"{result['calibration_test_2.1.0_angle_percent']['ece']:.3f}); median 1st / 10th result "
                  f"{result['gap_first_tenth_test']['median_first']:.0f} % / "
                  f"{result['gap_first_tenth_test']['median_tenth']:.0f} %.", "",
                  "| shown | pairs | mean shown | same genre |", "|---|---|---|---|"])
    lines.extend(f"| {b['bin']} | {b['n']} | {b['mean_shown']} % | {b['same_genre']} % |"
                 for b in calibration["table"])
    lines.extend(["", "![reliability](plots/reliability.png)", "", "## Genres shown on test", "",
                  "| head | threshold | shown | right when shown | right overall |", "|---|---|---|---|---|"])
    for name, g in result["genres_shown_test"].items():
        lines.append(f"| {name} | {g['threshold']} | {g['shown_share']:.0%} | {g['shown_accuracy']:.0%} | "
                     f"{g['accuracy_all']:.0%} |")
    out.mkdir(parents=True, exist_ok=True)
    target = out / "REPORT.md"
    target.write_text("\n".join(lines) + "\n")
    _reliability_plot(calibration["table"], out / "plots" / "reliability.png")
    return target


def _reliability_plot(table: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=100)
    ax.plot([0, 100], [0, 100], color="grey", linestyle="--", label="perfect")
    ax.plot([b["mean_shown"] for b in table], [b["same_genre"] for b in table], marker="o",
            label="test pairs")
    ax.set_xlabel("shown match %")
    ax.set_ylabel("results sharing the anchor's genre %")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _machine() -> str:
    import platform

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() \
        else platform.processor()
    return f"{model}, {os.cpu_count()} cores"
