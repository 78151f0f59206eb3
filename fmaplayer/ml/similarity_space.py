"""The stored track vector of a hybrid model: style, timbre and tempo side by side, each a unit block.

A manifest with a `similarity` section asks for vectors laid out as
    [ style | timbre (ml/timbre.py, standardised) | tempo ]
each block scaled to unit length on its own, so a block's dot product is that part's cosine. The style
block is the CNN-LSTM's mean penultimate vector, or, when the section has a `projection`, a learned
linear map of that vector and the timbre statistics onto the main directions of the musicnn teacher's
space (fitted by ridge regression on training audio, training/hybrid.py): the fusion of network and
timbre that ranks closest to the teacher, at 16 numbers a track. The weights that fuse the blocks are
applied at query time (recommend/hybrid.py), so they can change without a re-analysis. A model without
the section stores the style block alone, as before.

Tempo is placed on a circle by log2(BPM): 90 and 180 BPM (the same pulse counted twice as fast) share a
point, a tempo half an octave away is opposite. A track without a clear pulse sits on a third axis: it
matches another pulse-less track and is unrelated (0) to any tempo, and a copy of a track still scores 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fmaplayer.errors import ModelLoadError
from fmaplayer.ml import timbre

TEMPO_DIM = 3


@dataclass(frozen=True)
class SimilarityLayout:
    style_dim: int
    timbre_dim: int
    tempo_dim: int
    weights: dict[str, float]     # "style", "timbre", "tempo": non-negative, summing to 1
    timbre_mean: np.ndarray
    timbre_scale: np.ndarray
    timbre_coeffs: int
    projection: np.ndarray | None = None      # (features + 1) x style_dim, last row the bias
    feature_mean: np.ndarray | None = None    # the projection's input standardisation
    feature_scale: np.ndarray | None = None
    percent_curve: tuple[np.ndarray, np.ndarray] | None = None   # fused score -> shown %, recommend/hybrid

    @property
    def dim(self) -> int:
        return self.style_dim + self.timbre_dim + self.tempo_dim

    def blocks(self) -> dict[str, slice]:
        """Column range of each part in a stored vector."""
        s, t = self.style_dim, self.style_dim + self.timbre_dim
        return {"style": slice(0, s), "timbre": slice(s, t), "tempo": slice(t, self.dim)}

    @classmethod
    def from_manifest(cls, manifest: dict | None) -> SimilarityLayout | None:
        section = (manifest or {}).get("similarity")
        if not section:
            return None
        try:
            embedding_dim = int(manifest["embedding"]["dim"])
            coeffs = int(section["timbre"]["coefficients"])
            mean = np.asarray(section["timbre"]["mean"], np.float32)
            scale = np.asarray(section["timbre"]["scale"], np.float32)
            weights = {k: float(section["weights"][k]) for k in ("style", "timbre", "tempo")}
            projected = section.get("projection")
            matrix = None if projected is None else np.asarray(projected["matrix"], np.float32)
            f_mean = None if projected is None else np.asarray(projected["feature_mean"], np.float32)
            f_scale = None if projected is None else np.asarray(projected["feature_scale"], np.float32)
            curve = section.get("percent")
            curve = None if curve is None else (np.asarray(curve["scores"], np.float64),
                                                np.asarray(curve["percent"], np.float64))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelLoadError(f"the model's manifest is damaged: its similarity section is unreadable "
                                 f"({type(exc).__name__}: {exc})") from exc
        features = embedding_dim + 2 * coeffs
        if mean.shape != (2 * coeffs,) or scale.shape != mean.shape or min(weights.values()) < 0 \
                or not np.isclose(sum(weights.values()), 1.0, atol=1e-3) \
                or (matrix is not None and (matrix.ndim != 2 or matrix.shape[0] != features + 1
                                            or f_mean.shape != (features,) or f_scale.shape != (features,))) \
                or (curve is not None and (curve[0].shape != curve[1].shape or curve[0].ndim != 1
                                           or len(curve[0]) < 2 or np.any(np.diff(curve[0]) < 0))):
            raise ModelLoadError("the model's manifest is damaged: its similarity section does not add up")
        style_dim = embedding_dim if matrix is None else matrix.shape[1]
        return cls(style_dim, 2 * coeffs, TEMPO_DIM, weights, mean, scale, coeffs, matrix, f_mean, f_scale,
                   curve)


def tempo_block(bpm) -> np.ndarray:
    """Rows of BPM (nan or None: no pulse) -> n x 3 unit points: the octave circle, or the no-pulse axis."""
    bpm = np.atleast_1d(np.asarray([np.nan if b is None else b for b in np.atleast_1d(bpm)], np.float64))
    out = np.zeros((len(bpm), TEMPO_DIM), np.float32)
    ok = np.isfinite(bpm) & (bpm > 0)
    angle = 2 * np.pi * np.log2(bpm[ok])
    out[ok, 0], out[ok, 1] = np.cos(angle), np.sin(angle)
    out[~ok, 2] = 1.0
    return out


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (rows / norms).astype(np.float32)


def track_vectors(style: np.ndarray, timbre_stats: np.ndarray | None, tempo, layout: SimilarityLayout | None
                  ) -> np.ndarray:
    """The stored vectors (n x layout.dim) from each track's style vector, timbre statistics and BPM."""
    style = _unit(np.atleast_2d(np.asarray(style, np.float32)))
    if layout is None:
        return style
    stats = np.atleast_2d(np.asarray(timbre_stats, np.float32))
    if layout.projection is not None:
        features = (np.hstack([style, stats]) - layout.feature_mean) / np.maximum(layout.feature_scale, 1e-6)
        style = _unit(features @ layout.projection[:-1] + layout.projection[-1])
    unit_timbre = timbre.standardise(stats, layout.timbre_mean, layout.timbre_scale)
    return np.hstack([style, unit_timbre, tempo_block(tempo)]).astype(np.float32)
