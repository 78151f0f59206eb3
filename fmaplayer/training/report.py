"""REPORT.md and plots from the evaluation results (report.json)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fmaplayer.ml import manifest as manifest_mod


def _f(x, nd=3):
    return "–" if x is None else f"{x:.{nd}f}"


def _rec(r: dict, task: str, k: int):
    try:
        return r["recommendation"][task][f"p@{k}"]["avg"]
    except KeyError:
        return None


def _ci(r: dict, task: str, k: int) -> str:
    try:
        lo, hi = r["recommendation"][task][f"p@{k}"]["ci95"]
    except KeyError:
        return ""
    return f" [{lo:.2f}, {hi:.2f}]"


def _plots(results: dict, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    made = []
    runs = [m for m in results["models"] if m.get("history")]
    if runs:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for m in runs:
            ep = [h["epoch"] for h in m["history"]]
            hist, name = m["history"], m["label"]
            (line,) = axes[0].plot(ep, [h.get("val_loss") for h in hist], label=f"{name} val")
            colour = line.get_color()  # one colour per model: solid validation, dashed training
            axes[0].plot(ep, [h.get("loss") for h in hist], "--", color=colour, label=f"{name} train")
            # a single-head (genre-only) run logs plain "val_accuracy"
            val_acc = [h.get("val_genre_accuracy", h.get("val_accuracy")) for h in hist]
            axes[1].plot(ep, val_acc, color=colour, label=name)
        axes[0].set(title="loss: genre + 0.5 mood, or genre only (train: augmented)", xlabel="epoch")
        axes[1].set(title="validation genre accuracy (slices)", xlabel="epoch")
        axes[0].legend(fontsize=7)
        axes[1].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "plots" / "training_curves.png", dpi=90)
        plt.close(fig)
        made.append("plots/training_curves.png")
    for m in results["models"]:
        cm = np.array(m["genre_track"]["confusion"])
        fig, ax = plt.subplots(figsize=(6.5, 5.5))
        ax.imshow(cm, cmap="Blues")
        ax.set_xticks(range(len(m["genres"])), m["genres"], rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(len(m["genres"])), m["genres"], fontsize=7)
        for (i, j), v in np.ndenumerate(cm):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=7)
        ax.set(title=f"{m['label']}: test tracks, genre confusion", xlabel="predicted", ylabel="true")
        fig.tight_layout()
        name = f"plots/confusion_{m['label'].split()[0]}{'_bundled' if 'bundled' in m['label'] else ''}.png"
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        made.append(name)
    systems = [(m["label"], m) for m in results["models"]]
    systems += [(b.get("label", k), b) for k, b in results["baselines"].items() if "recommendation" in b]
    if systems:
        fig, ax = plt.subplots(figsize=(9, 4))
        w = 0.2
        xs = np.arange(len(systems))
        for j, (task, k) in enumerate((("genre", 5), ("genre", 10), ("quadrant", 5), ("quadrant", 10))):
            ax.bar(xs + (j - 1.5) * w, [_rec(s, task, k) or 0 for _, s in systems], w, label=f"{task} P@{k}")
        ax.set_xticks(xs, [lab[:28] for lab, _ in systems], rotation=20, ha="right", fontsize=7)
        ax.set(title="recommendation precision among test tracks", ylim=(0, 1))
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "plots" / "precision_at_k.png", dpi=90)
        plt.close(fig)
        made.append("plots/precision_at_k.png")
    return made


def _paired_lines(results: dict) -> list[str]:
    """Each model minus each baseline, genre P@10 per anchor (same test tracks), paired bootstrap CI."""
    from fmaplayer.training.evaluation import paired_difference

    def anchors(r):
        return r.get("recommendation", {}).get("genre", {}).get("p@10", {}).get("per_anchor")

    baselines = {k: b for k, b in results["baselines"].items() if anchors(b)}
    rows = []
    for m in results["models"]:
        for key, b in baselines.items():
            if anchors(m) and len(anchors(m)) == len(anchors(b)):
                d = paired_difference(anchors(m), anchors(b))
                lo, hi = d["ci95"]
                rows.append(
                    f"| {m['label']} − {key} | {d['mean']:+.3f} | [{lo:+.3f}, {hi:+.3f}] | "
                    f"{d['better_share']:.0%} |"
                )
    if not rows:
        return []
    return [
        "",
        "### Paired comparison: genre P@10, model minus baseline on the same anchors",
        "",
        "Per-anchor differences, resampled by anchor (2,000 bootstrap draws): a margin is clear when the "
        "whole interval is above zero.",
        "",
        "| comparison | mean difference | 95 % CI | anchors where the model is better |",
        "|---|---|---|---|",
        *rows,
    ]


def write_report(results: dict, out: Path, notes: str | None = None) -> None:
    out = Path(out)
    plots = _plots(results, out)
    notes_path = out / "REPORT_NOTES.md"
    if notes is None and notes_path.exists():
        notes = notes_path.read_text()
    lines = [
        "# Model evaluation report",
        "",
        f"Generated by `fmaplayer evaluate` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"split `{Path(results['split']).name}`, {results['test_clips']} {results.get('part', 'test')} "
        "clips. "
        "Raw numbers: `report.json`.",
        "",
    ]
    lines += [
        "## Classification (test split)",
        "",
        "| model | params | epochs (best) | genre slice acc | genre track acc | track log loss | "
        "track macro P / R / F1 | slice macro F1 | quadrant track acc |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in results["models"]:
        gs, gt = m["genre_slice"], m["genre_track"]
        mood = m.get("mood_track", {}).get("accuracy")
        lines.append(
            f"| {m['label']} | {m['parameters']:,} | "
            f"{m.get('epochs_run', '–')} ({m.get('best_epoch', '–')}) | "
            f"{_f(gs['accuracy'])} | {_f(gt['accuracy'])} | {_f(gt['log_loss'])} | "
            f"{_f(gt['macro_precision'])} / {_f(gt['macro_recall'])} / {_f(gt['macro_f1'])} | "
            f"{_f(gs['macro_f1'])} | {_f(mood)} |"
        )
    lines += [
        "",
        f"Slice level: {results['models'][0]['genre_slice']['n'] if results['models'] else 0} slices; "
        "track level: mean of the track's slice probabilities.",
        "",
    ]
    lines += [
        "## Recommendation (cosine neighbours among the test tracks)",
        "",
        "| system | genre P@5 | genre P@10 [95 % CI] | quadrant P@5 | quadrant P@10 | s/track |",
        "|---|---|---|---|---|---|",
    ]
    for m in results["models"]:
        lines.append(
            f"| {m['label']} ({m.get('embedding_dim', 32)}-d embedding) | {_f(_rec(m, 'genre', 5))} | "
            f"{_f(_rec(m, 'genre', 10))}{_ci(m, 'genre', 10)} | "
            f"{_f(_rec(m, 'quadrant', 5))} | {_f(_rec(m, 'quadrant', 10))} | {_f(m['seconds_per_track'])} |"
        )
    for key, b in results["baselines"].items():
        if "error" in b:
            lines.append(f"| {key} | not run: {b['error']} | | | | |")
            continue
        lines.append(
            f"| {b['label']} | {_f(_rec(b, 'genre', 5))} | {_f(_rec(b, 'genre', 10))}{_ci(b, 'genre', 10)} | "
            f"{_f(_rec(b, 'quadrant', 5))} | {_f(_rec(b, 'quadrant', 10))} | {_f(b['seconds_per_track'])} |"
        )
    first = results["models"][0] if results["models"] else None
    if first and "genre" in first["recommendation"]:
        g = first["recommendation"]["genre"]
        lines += [
            "",
            f"Genre P@k is over the {g['n']} test tracks with a single genre; quadrant P@k over the "
            f"{first['recommendation'].get('quadrant', {}).get('n', 0)} mer4q test tracks. Chance is "
            "about the share of the anchor's own label.",
            "",
            f"### Per genre ({first['label']} vs baselines, P@10)",
            "",
            "| genre | n | " + " | ".join([first["label"]] + list(results["baselines"])) + " |",
            "|---|---|" + "---|" * (1 + len(results["baselines"])),
        ]
        counts = {}
        for i, lab in enumerate(first["genres"]):
            counts[lab] = sum(first["genre_track"]["confusion"][i])
        for lab, v in g["p@10"]["per_label"].items():
            row = [_f(v)]
            for b in results["baselines"].values():
                row.append(
                    _f(
                        b.get("recommendation", {})
                        .get("genre", {})
                        .get("p@10", {})
                        .get("per_label", {})
                        .get(lab)
                    )
                )
            lines.append(f"| {lab} | {counts.get(lab, '')} | " + " | ".join(row) + " |")
    lines += _paired_lines(results)
    if "generalisation" in results:
        from fmaplayer.training.generalisation import section_lines

        lines += section_lines(results["generalisation"])
    if plots:
        lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    if notes:
        lines += ["", notes.strip()]
    (out / "REPORT.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def update_bundled_manifest(results: dict, out: Path) -> None:
    """Copy the bundled model's headline metrics into its manifest (the weights, hence sha256, unchanged)."""
    bundled = [m for m in results["models"] if "bundled" in m["label"]]
    mpath = manifest_mod.manifest_path_for(Path(bundled[0]["source"])) if bundled else None
    if not bundled:  # the run the bundled model was exported from (export.py names it after its arch)
        mpath = Path(out) / f"{manifest_mod.BUNDLED_NAME}.json"
        bundled = [m for m in results["models"] if m["label"] == manifest_mod.BUNDLED_NAME]
    if not bundled or not mpath.exists():
        return
    m = bundled[0]
    data = json.loads(mpath.read_text())
    data["metrics_source"] = f"fmaplayer evaluate on {m['source']} (the exported checkpoint)"
    data["metrics"] = {
        "test_clips": results["test_clips"],
        "genre_track_accuracy": m["genre_track"]["accuracy"],
        "genre_slice_accuracy": m["genre_slice"]["accuracy"],
        "genre_track_macro_f1": m["genre_track"]["macro_f1"],
        "genre_track_log_loss": m["genre_track"]["log_loss"],
        "quadrant_track_accuracy": m.get("mood_track", {}).get("accuracy"),
        "genre_p@5": _rec(m, "genre", 5),
        "genre_p@10": _rec(m, "genre", 10),
        "quadrant_p@5": _rec(m, "quadrant", 5),
        "quadrant_p@10": _rec(m, "quadrant", 10),
        "baselines_p@10": {
            k: _rec(b, "genre", 10) for k, b in results["baselines"].items() if "recommendation" in b
        },
    }
    systems = results.get("generalisation", {}).get("systems", {})
    mine = systems.get(f"{data['name']} {data['version']}")
    if mine:  # agreement with the teacher, score spread and shown-genre accuracy (no per-anchor lists)
        keep = ("overlap_test", "overlap_unseen", "spread_test", "spread_unseen", "genre_shown")
        data["metrics"]["generalisation"] = {k: mine[k] for k in keep if k in mine}
        centred = mine.get("recommendation_centred", {})
        for task in ("genre", "quadrant"):
            if task in centred:
                data["metrics"][f"{task}_p@10_centred"] = centred[task]["p@10"]["avg"]
    manifest_mod.write_manifest(mpath, data)
