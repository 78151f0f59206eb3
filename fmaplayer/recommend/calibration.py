"""Scores a user can read: the library-centred cosine and its match percentage.

(Predicted genres are thresholded where they are made, in ml/embedder.py, so the store, the panel
and the CLI all see "" for a genre that is not likely right.)

Raw cosines of the CNN-LSTM's ReLU embeddings sit near 1 for almost every pair (all vectors share one
large common direction), so "96-100 %" said nothing. Subtracting the library's mean vector before the
cosine removes that shared part: what is left is how a track differs from the library as a whole, and
cosines then spread over the whole range. A small library's mean is noisy, so it is blended with the
model's own centre (the mean track vector of its training audio, from the manifest) weighted as
PRIOR_TRACKS tracks. The percentage is linear in the angle between the centred vectors (match_percent).
The app's panel and `fmaplayer similar` both rank and display with these functions.
"""

from __future__ import annotations

import math

import numpy as np

PRIOR_TRACKS = 50.0


def blended_centre(row_sum: np.ndarray | None, n: int, prior: np.ndarray | None) -> np.ndarray | None:
    """Mean of n unit rows (given as their sum), pulled towards `prior` while the library is small."""
    if prior is None and (row_sum is None or n == 0):
        return None
    if prior is None:
        return (row_sum / n).astype(np.float32)
    prior = np.asarray(prior, np.float32)
    if row_sum is None or n == 0:
        return prior
    return ((row_sum + PRIOR_TRACKS * prior) / (n + PRIOR_TRACKS)).astype(np.float32)


def prepare_centre(rows: np.ndarray, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row terms that change only with the library: (c.c - x.c, 1 / |x - c|) for unit rows x."""
    xc = rows @ centre
    cc = float(centre @ centre)
    offset = (cc - xc).astype(np.float32)
    inv_norm = (1.0 / np.sqrt(np.maximum(1.0 - 2.0 * xc + cc, 1e-12))).astype(np.float32)
    return offset, inv_norm


def centred_cosine(rows: np.ndarray, query: np.ndarray, centre: np.ndarray | None,
                   prepared: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Cosine of (row - centre) and (query - centre) for unit rows, without copying the matrix:
    (x-c).(q-c) = x.q - x.c - q.c + c.c and |x-c|^2 = 1 - 2 x.c + c.c. `prepared` (prepare_centre, which
    changes only with the library) may be passed in, so a query is one matrix-vector product and two
    element-wise passes."""
    return centre_scores(rows @ query, query, centre, prepared if centre is not None else None, rows)


def centre_scores(xq: np.ndarray, query: np.ndarray, centre: np.ndarray | None,
                  prepared: tuple[np.ndarray, np.ndarray] | None,
                  rows: np.ndarray | None = None) -> np.ndarray:
    """Plain dot products x.q of unit rows (xq, modified in place) -> their centred cosines."""
    if centre is None:
        return xq
    offset, inv_norm = prepared if prepared is not None else prepare_centre(rows, centre)
    qc = float(query @ centre)
    cc = float(centre @ centre)
    scale = 1.0 / np.sqrt(max(1.0 - 2.0 * qc + cc, 1e-12))
    xq -= qc
    xq += offset
    xq *= inv_norm
    xq *= np.float32(scale)
    return xq


def match_percent(score: float) -> float:
    """The displayed match: 100 % for the same direction, 0 % at a right angle (unrelated) or beyond,
    linear in the angle between the centred vectors. Cosine itself crowds near neighbours at the top
    (0.99 and 0.91 are 8 and 24 degrees apart: 91 % and 73 % here, but "99 %" and "91 %" as cosines);
    the angle is a true distance, so equal steps in it read as equal steps in the percentage."""
    angle = math.acos(min(max(float(score), -1.0), 1.0))
    return max(0.0, 1.0 - angle / (math.pi / 2)) * 100.0



def model_centre(manifest: dict | None) -> np.ndarray | None:
    """The centre a model's manifest records (mean unit track vector of its training audio), if any: of the
    style block a hybrid model projects (its `similarity` section), else of the embedding."""
    manifest = manifest if isinstance(manifest, dict) else {}
    similarity = manifest.get("similarity") if isinstance(manifest.get("similarity"), dict) else {}
    embedding = manifest.get("embedding") if isinstance(manifest.get("embedding"), dict) else {}
    centre = similarity.get("centre") if similarity.get("projection") else embedding.get("centre")
    try:
        return None if not centre else np.asarray(centre, dtype=np.float32)
    except (TypeError, ValueError):
        return None


def genre_explanation(genres: list[str], probs, threshold: float, top: int = 3) -> str:
    """Tooltip text for a predicted-genre cell: the likeliest genres and whether the first is shown."""
    if probs is None or len(probs) != len(genres):
        return ""
    order = np.argsort(-np.asarray(probs))[:top]
    listed = ", ".join(f"{genres[i]} {probs[i] * 100:.0f} %" for i in order)
    best = float(probs[order[0]])
    if best >= threshold:
        return f"Predicted from the audio: {listed}"
    return (f"No genre shown: the likeliest, {genres[order[0]]} at {best * 100:.0f} %, is below the "
            f"{threshold * 100:.0f} % this model needs to be right 4 times in 5 ({listed})")
