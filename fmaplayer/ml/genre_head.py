"""The genre column's classifier: a linear head over what the analysis already has.

The network's own genre softmax was trained on a few hundred labelled clips and is often unsure on
everyday music. A multinomial logistic regression over [the track's style vector | its MFCC statistics
(ml/timbre.py) | the log of the network's genre probabilities], fitted on the training split and its
threshold chosen on the validation split (training/hybrid.py), is right more often at the same
"shown only when likely right" rule. Its weights live in the manifest's `genre_head` section; without
one, the network's probabilities are used as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fmaplayer.errors import ModelLoadError

PROB_FLOOR = 1e-4


@dataclass(frozen=True)
class GenreHead:
    feature_mean: np.ndarray
    feature_scale: np.ndarray
    weights: np.ndarray     # features x genres
    bias: np.ndarray        # genres

    @classmethod
    def from_manifest(cls, manifest: dict | None) -> GenreHead | None:
        section = (manifest or {}).get("genre_head")
        if not section:
            return None
        try:
            head = cls(*(np.asarray(section[k], np.float64)
                         for k in ("feature_mean", "feature_scale", "weights", "bias")))
            genres = len(manifest["genres"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"the model's manifest is damaged: its genre head is unreadable "
                                 f"({type(exc).__name__}: {exc})") from exc
        n = head.feature_mean.shape
        if head.weights.ndim != 2 or head.weights.shape != (n[0], genres) or head.bias.shape != (genres,) \
                or head.feature_scale.shape != n:
            raise ModelLoadError("the model's manifest is damaged: its genre head does not add up")
        return head

    def probabilities(self, style: np.ndarray, timbre_stats: np.ndarray, network_probs: np.ndarray
                      ) -> np.ndarray:
        """Rows of (unit style vector, timbre statistics, network genre probabilities) -> genre probs."""
        x = features(style, timbre_stats, network_probs)
        logits = ((x - self.feature_mean) / np.maximum(self.feature_scale, 1e-6)) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)


def features(style, timbre_stats, network_probs) -> np.ndarray:
    """The head's input rows: style | timbre statistics | log network probabilities."""
    log_probs = np.log(np.atleast_2d(network_probs).astype(np.float64) + PROB_FLOOR)
    return np.hstack([np.atleast_2d(style), np.atleast_2d(timbre_stats), log_probs]).astype(np.float64)
