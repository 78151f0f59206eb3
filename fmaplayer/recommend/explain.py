"""Why this song? A plain sentence from two tracks' stored predictions, never saying more than they show.

A genre is named only when its probability reaches the model's calibrated `genre_threshold` (the
manifest's, chosen on validation clips so that shown genres are right 4 times in 5: the same rule as
the genre column, recommend/calibration.py). The model's emotion quadrants are named the same way with
MOOD_THRESHOLD, chosen by that rule on the same validation clips (README, "Why this song?"), unless a
manifest brings its own `mood_threshold`. Tempo is "similar" only within TEMPO_TOLERANCE, which is
wider than the tempo estimate's own resolution (ml/tempo.py: ~5 % between autocorrelation lags before
refinement); a tempo twice or half the other's is said to be so (beat trackers often land an octave
apart on the same pulse). A track without a tempo (analysed before tempo existed, or no clear pulse)
makes the sentence say nothing about tempo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Lowest probability at which the top quadrant was right >= 4 times in 5 on the 140 validation clips
# of model 2.0.0 (81 % right when shown, 26 % shown; test clips: 81 %, 23 %); benchmarks/mood_threshold.py
MOOD_THRESHOLD = 0.66
TEMPO_TOLERANCE = 0.08
# Russell's circumplex quadrants, the model's mood labels (MER4Q: Q1..Q4)
MOOD_WORDS = {"Q1": "happy/excited", "Q2": "tense/angry", "Q3": "sad/melancholic", "Q4": "calm/relaxed"}


@dataclass(frozen=True)
class Profile:
    """What the analysis stored about one track (store.EmbeddingProfile has the same fields)."""

    genre_probs: np.ndarray | None = None
    mood_probs: np.ndarray | None = None
    tempo: float | None = None


@dataclass(frozen=True)
class Labels:
    genres: list[str]
    moods: list[str]
    genre_threshold: float
    mood_threshold: float = MOOD_THRESHOLD

    @classmethod
    def from_manifest(cls, manifest: dict) -> Labels:
        return cls(list(manifest.get("genres") or []), list(manifest.get("moods") or []),
                   float(manifest.get("genre_threshold") or 0.0),
                   float(manifest.get("mood_threshold") or MOOD_THRESHOLD))


def mood_word(label: str) -> str:
    return MOOD_WORDS.get(label, label)


def confident_label(labels: list[str], probs, threshold: float) -> str | None:
    """The likeliest label when its probability reaches `threshold`, else None."""
    if probs is None or len(probs) != len(labels) or not labels:
        return None
    best = int(np.argmax(probs))
    return labels[best] if float(probs[best]) >= threshold else None


def tempo_relation(a: float | None, b: float | None, tolerance: float = TEMPO_TOLERANCE) -> str | None:
    """'similar', 'double' (b about twice a), 'half', 'different', or None when either is unknown."""
    if not a or not b or a <= 0 or b <= 0:
        return None
    ratio = b / a
    for name, factor in (("similar", 1.0), ("double", 2.0), ("half", 0.5)):
        if abs(ratio / factor - 1.0) <= tolerance:
            return name
    return "different"


def _tempo_phrase(a: float | None, b: float | None) -> str:
    relation = tempo_relation(a, b)
    if relation is None:
        return ""
    bpm = f"{a:.0f} vs {b:.0f} BPM"
    return {"similar": f"similar tempo ({bpm})",
            "double": f"twice the tempo, the same pulse ({bpm})",
            "half": f"half the tempo, the same pulse ({bpm})",
            "different": f"different tempo ({bpm})"}[relation]


def _pair_phrase(a: str | None, b: str | None, words, both_prefix: str) -> tuple[str, str]:
    """(shared phrase, contrast phrase) for one kind of label."""
    if a is not None and a == b:
        return f"{both_prefix}{words(a)}", ""
    if a is not None and b is not None:
        return "", f"{words(a)} vs {words(b)}"
    return "", ""


def _likeliest_for_both(labels: list[str], a_probs, b_probs, words) -> str:
    """'Jazz, 55 % and 52 %' when both tracks' likeliest label is the same one, else ''."""
    if not labels or any(p is None or len(p) != len(labels) for p in (a_probs, b_probs)):
        return ""
    best = int(np.argmax(a_probs))
    if best != int(np.argmax(b_probs)):
        return ""
    return f"{words(labels[best])}, {float(a_probs[best]) * 100:.0f} % and {float(b_probs[best]) * 100:.0f} %"


# A part of the hybrid similarity (recommend/hybrid.py) "matches" from MATCHED, "partly" from PARTLY:
# cosines of the part alone; on validation clips of one genre the median timbre cosine of a top-10 pair
# is about 0.5 and of two random clips about 0.
PART_MATCHED = 0.5
PART_PARTLY = 0.2
PART_WORDS = {"style": "style", "timbre": "timbre (instruments, production)", "tempo": "tempo"}


def parts_phrase(parts: dict[str, float | None] | None) -> str:
    """Which parts of the similarity matched, in plain words: "matched on style and timbre (…); tempo
    differs". Empty for a style-only model (there is only one part to name)."""
    if not parts or all(parts.get(p) is None for p in ("timbre", "tempo")):
        return ""
    groups: dict[str, list[str]] = {"strong": [], "partly": [], "differs": []}
    for part, word in PART_WORDS.items():
        value = parts.get(part)
        if value is None:
            continue
        key = "strong" if value >= PART_MATCHED else "partly" if value >= PART_PARTLY else "differs"
        groups[key].append(word)
    said = []
    if groups["strong"]:
        said.append("matched on " + " and ".join(groups["strong"]))
    if groups["partly"]:
        said.append("partly on " + " and ".join(groups["partly"]))
    if groups["differs"]:
        verb = " differ" if len(groups["differs"]) > 1 else " differs"
        said.append(" and ".join(groups["differs"]) + verb)
    return "; ".join(said)


def explain(anchor: Profile, result: Profile, labels: Labels,
            parts: dict[str, float | None] | None = None) -> str:
    """One sentence: which parts of the similarity matched, what both tracks are (confidently), how
    their tempos compare."""
    genre_a = confident_label(labels.genres, anchor.genre_probs, labels.genre_threshold)
    genre_b = confident_label(labels.genres, result.genre_probs, labels.genre_threshold)
    mood_a = confident_label(labels.moods, anchor.mood_probs, labels.mood_threshold)
    mood_b = confident_label(labels.moods, result.mood_probs, labels.mood_threshold)
    matched = parts_phrase(parts)
    shared_genre, genre_contrast = _pair_phrase(genre_a, genre_b, str, "mostly ")
    shared_mood, mood_contrast = _pair_phrase(mood_a, mood_b, mood_word, "")
    shared = [p for p in (shared_genre, shared_mood) if p]
    parts = []
    if shared:
        parts.append("both " + ", ".join(shared))   # capitalised below when it opens the sentence
    contrasts = [p for p in (genre_contrast, mood_contrast) if p]
    if contrasts:
        parts.append(", ".join(contrasts))
    tempo = _tempo_phrase(anchor.tempo, result.tempo)
    if tempo:
        parts.append(tempo)
    if not shared:
        confident = any((genre_a, genre_b, mood_a, mood_b))
        # no claim of closeness here: the match percentage says how close, and a 44 % result is not close
        lead = "no genre or mood both share with confidence" if confident else "no confident genre or mood"
        # say what the bars show on top, with its numbers, so the sentence does not seem to contradict them
        hints = [_likeliest_for_both(labels.genres, anchor.genre_probs, result.genre_probs, str),
                 _likeliest_for_both(labels.moods, anchor.mood_probs, result.mood_probs, mood_word)]
        hints = [h for h in hints if h]
        if hints:
            lead += f" (likeliest for both: {'; '.join(hints)})"
        parts.insert(0, lead)
    if matched:
        parts.insert(0, matched)
    sentence = "; ".join(parts)
    return sentence[0].upper() + sentence[1:]


def profile_rows(labels: list[str], anchor_probs, result_probs, top: int = 4,
                 words=str) -> list[tuple[str, float, float]]:
    """(label, anchor p, result p) for the labels likeliest in either track, for side-by-side bars."""
    if not labels:
        return []
    size = len(labels)

    def usable(p):
        return None if p is None or len(p) != size else np.asarray(p, np.float64)

    a, b = usable(anchor_probs), usable(result_probs)
    if a is None and b is None:
        return []
    a_vals = a if a is not None else np.zeros(size)
    b_vals = b if b is not None else np.zeros(size)
    order = np.argsort(-np.maximum(a_vals, b_vals), kind="stable")[:top]
    return [(words(labels[i]), float(a_vals[i]), float(b_vals[i])) for i in order]


@dataclass(frozen=True)
class Why:
    """Everything the panel shows for one result: the sentence and the two profiles side by side."""

    sentence: str
    genres: list[tuple[str, float, float]]   # (genre, anchor p, result p), likeliest first
    moods: list[tuple[str, float, float]]    # (mood words, anchor p, result p)
    anchor_tempo: float | None
    result_tempo: float | None
    genre_threshold: float
    mood_threshold: float
    parts: dict[str, float | None] | None = None   # each part's similarity (recommend/hybrid.py)


def why(anchor: Profile, result: Profile, labels: Labels, top: int = 4,
        parts: dict[str, float | None] | None = None) -> Why:
    return Why(explain(anchor, result, labels, parts),
               profile_rows(labels.genres, anchor.genre_probs, result.genre_probs, top),
               profile_rows(labels.moods, anchor.mood_probs, result.mood_probs, top, words=mood_word),
               anchor.tempo, result.tempo, labels.genre_threshold, labels.mood_threshold, parts)


def whys_for(profiles: dict, anchor_id: int, result_ids, labels: Labels,
             parts_of: dict[int, dict] | None = None) -> dict[int, Why]:
    """result id -> Why against the anchor, from stored profiles (store.embedding_profiles); results
    without stored probabilities, or an anchor without them, get none (there would be nothing to show)."""

    def has_probs(profile) -> bool:
        return profile is not None and (profile.genre_probs is not None or profile.mood_probs is not None)

    anchor = profiles.get(anchor_id)
    if not has_probs(anchor):
        return {}
    parts_of = parts_of or {}
    return {rid: why(anchor, profiles[rid], labels, parts=parts_of.get(rid))
            for rid in result_ids if has_probs(profiles.get(rid))}
