"""The one similarity every consumer ranks by: style, timbre and tempo fused in one pass over the matrix.

A hybrid model stores [style | timbre | tempo] unit blocks (ml/similarity_space.py). The score of a row
x against a query q is
    w_style * centred_cosine(x_style, q_style) + w_timbre * x_timbre . q_timbre + w_tempo * x_tempo . q_tempo
with the weights chosen on the validation split and stored in the manifest. The style part is centred on
the library as before (recommend/calibration.py); the timbre part is standardised with the training
audio's statistics when it is made, so it needs no library statistics. Both dot products come from one
product of the matrix with a (dim x 2) query matrix: the matrix is read once per query, as before.
"""

from __future__ import annotations

import numpy as np

from fmaplayer.ml.similarity_space import SimilarityLayout
from fmaplayer.recommend import calibration

PARTS = ("style", "timbre", "tempo")


def layout_of(manifest: dict | None) -> SimilarityLayout | None:
    """The manifest's hybrid layout; None for a style-only model or a damaged section (the worker, which
    loads the model, says what is wrong; ranking by style alone keeps the panel working meanwhile)."""
    from fmaplayer.errors import ModelLoadError

    try:
        return SimilarityLayout.from_manifest(manifest)
    except ModelLoadError:
        return None


def shown_percent(score: float, layout: SimilarityLayout | None) -> float:
    """The one match percentage the panel, its tooltip and `similar` (text and JSON) show. A hybrid model's
    manifest calibrates it on validation clips: results shown at about X % share the anchor's genre about
    X % of the time. Without that curve: linear in the angle (calibration.match_percent)."""
    if layout is not None and layout.percent_curve is not None:
        scores, percent = layout.percent_curve
        return float(np.interp(float(score), scores, percent))
    return calibration.match_percent(score)


def percent_meaning(layout: SimilarityLayout | None) -> str:
    """What the percentage means, in the words every place that shows it uses."""
    if layout is not None and layout.percent_curve is not None:
        return ("how often a result this close has the same genre as the track you asked about "
                "(measured on validation clips)")
    return "how close the sound is: 100 % the same, 0 % unrelated (angle between library-centred vectors)"


def unit_blocks(vectors: np.ndarray, layout: SimilarityLayout) -> np.ndarray:
    """Rows with each block scaled to unit length on its own (a zero block, e.g. no tempo, stays zero)."""
    rows = np.array(np.atleast_2d(vectors), dtype=np.float32)
    for block in layout.blocks().values():
        norms = np.linalg.norm(rows[:, block], axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        rows[:, block] /= norms
    return rows


def fused_scores(style_rows: np.ndarray, extra_rows: np.ndarray, query: np.ndarray, layout: SimilarityLayout,
                 centre: np.ndarray | None, prepared: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """Fused score of `query` against every row. The index keeps each row's unit blocks as its style
    block (`style_rows`) and the timbre and tempo blocks side by side, zero-padded (`extra_rows`); the
    second product runs only when those parts have a weight."""
    q = unit_blocks(query, layout)[0]
    blocks = layout.blocks()
    q_style = q[blocks["style"]]
    scores = calibration.centred_cosine(style_rows, q_style, centre, prepared)
    weight = layout.weights
    if weight["timbre"] == 0 and weight["tempo"] == 0:
        return scores if weight["style"] == 1 else scores * np.float32(weight["style"])
    scores *= np.float32(weight["style"])
    q_extra = np.zeros(extra_rows.shape[1], np.float32)
    timbre, tempo = q[blocks["timbre"]] * weight["timbre"], q[blocks["tempo"]] * weight["tempo"]
    q_extra[: len(timbre)], q_extra[len(timbre): len(timbre) + len(tempo)] = timbre, tempo
    scores += extra_rows @ q_extra
    return scores


def part_scores(row: np.ndarray, query: np.ndarray, layout: SimilarityLayout | None,
                centre: np.ndarray | None) -> dict[str, float | None]:
    """Each part's own similarity of one result to the query ("Why this song?"); None where a part is
    missing (no timbre in this model) or says nothing (neither track has a clear pulse)."""
    if layout is None:
        x, q = row[None, :].astype(np.float32), query.astype(np.float32)
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        return {"style": float(calibration.centred_cosine(x / max(np.linalg.norm(x), 1e-12), q, centre)[0]),
                "timbre": None, "tempo": None}
    x, q = unit_blocks(row, layout)[0], unit_blocks(query, layout)[0]
    blocks = layout.blocks()
    out: dict[str, float | None] = {
        "style": float(calibration.centred_cosine(x[None, blocks["style"]], q[blocks["style"]], centre)[0])}
    for part in ("timbre", "tempo"):
        a, b = x[blocks[part]], q[blocks[part]]
        out[part] = float(a @ b) if np.any(a) and np.any(b) else None
    if out["tempo"] is not None and x[blocks["tempo"]][-1] == 1.0 and q[blocks["tempo"]][-1] == 1.0:
        out["tempo"] = None   # two tracks without a pulse: nothing to say about tempo
    return out


def similarity_rows(rows: np.ndarray, layout: SimilarityLayout | None,
                    centre: np.ndarray | None) -> np.ndarray:
    """Rows whose plain dot products are the fused scores (up to the query-side centring term): the
    space the sound map projects and the sonic path walks. Each block is centred (style) and scaled by
    the square root of its weight, so |row|^2 = the weights of the parts it has."""
    if layout is None:
        unit = rows - (0 if centre is None else centre)
        norms = np.linalg.norm(unit, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return (unit / norms).astype(np.float32)
    blocks = layout.blocks()
    out = np.array(rows, dtype=np.float32)
    style = out[:, blocks["style"]] - (0 if centre is None else centre)
    norms = np.linalg.norm(style, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out[:, blocks["style"]] = style / norms
    for part in PARTS:
        out[:, blocks[part]] *= np.float32(np.sqrt(layout.weights[part]))
    return out
