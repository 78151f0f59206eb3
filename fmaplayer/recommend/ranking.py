"""Ranking modes for "Get relevant songs".

SIMILARITY: cosine similarity of the CNN-LSTM embeddings, best first (the first method of both papers).

SIMILARITY_GENRE: the CRNN paper's second method, implemented as a hard "matching predicted genre
first" rule, not a weighted blend. Tracks whose predicted genre equals the anchor's come first, each
group ordered by cosine; the rest of the list is filled from the other genres, also by cosine.
Why not a blend `a * cosine + (1 - a) * genre_match`:
  * the embedding is the penultimate layer of a genre classifier, so cosine already carries most of the
    genre signal; a blend mostly double-counts it and only matters near the boundary, where a weight
    would have to be tuned against listening data that a personal library does not have;
  * the rule is what the paper describes and is easy to explain in the UI: with the predicted-genre
    column shown next to the score, the user sees why a lower-scored track sits above a higher one;
  * it has no free parameter, so the same anchor gives the same list in the app and in the CLI.
The known weakness (an anchor whose genre is mispredicted pulls in the wrong block) is why plain
similarity stays the default.

Several anchors (a multi-track selection) are queried with the centroid of their unit vectors; the
anchor genre is then the most common predicted genre among them (ties: the first anchor's).

Variety (both modes, the panel, `similar`, the radio): at most N results per artist and per album, the
rest of the list filled from further down the ranking, so one album does not fill a soundtrack's list.
The caps reorder, they never shorten the list: when the nearest VARIETY_POOL tracks cannot fill it within
the caps (a library of one artist), the capped tracks fill the end in their order. Tracks without an
artist or album tag are never grouped (an empty tag says nothing about the recording).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from fmaplayer.recommend.index import SimilarityIndex

# Copies of the anchor's file are not "relevant songs". The embedder is deterministic, so a copy has the
# same vector up to float rounding; a cosine of ~1.0 alone is not enough, because this model maps very
# similar audio (e.g. two pure tones) to cosines of 0.9999+. A duplicate needs all three: cosine above
# DUPLICATE_COSINE (cheap pre-filter), every component within DUPLICATE_TOLERANCE, and, when file keys
# are given, the same key (byte size).
DUPLICATE_COSINE = 1.0 - 1e-4
DUPLICATE_TOLERANCE = 1e-5
VARIETY_POOL = 1000   # the nearest tracks variety may reach into for other artists and albums


class RankingMode(enum.Enum):
    SIMILARITY = "similarity"
    SIMILARITY_GENRE = "similarity_genre"

    @classmethod
    def parse(cls, value: str | RankingMode) -> RankingMode:
        """Accept the enum, its value, or the CLI spelling ("genre")."""
        if isinstance(value, RankingMode):
            return value
        aliases = {"genre": cls.SIMILARITY_GENRE, "similarity+genre": cls.SIMILARITY_GENRE}
        if value in aliases:
            return aliases[value]
        return cls(value)


@dataclass(frozen=True, slots=True)
class Recommendation:
    track_id: int
    score: float          # the index's similarity to the anchor (or centroid), -1..1
    genre: str            # predicted genre ("" when unknown)
    percent: float = 0.0  # the match shown to the user (SimilarityIndex.percent: one number everywhere)


@dataclass(frozen=True)
class Variety:
    """At most `per_artist` results by one artist and `per_album` from one album (0: no limit);
    `tags(ids)` gives {track id: (artist, album)} for the candidates (a store lookup)."""

    per_artist: int = 0
    per_album: int = 0
    tags: Callable[[list[int]], Mapping[int, tuple[str, str]]] | None = None

    @classmethod
    def from_store(cls, store, per_artist: int, per_album: int) -> Variety:
        """Caps whose tags come from the library store (one query per ranking)."""
        def tags(ids: list[int]) -> dict[int, tuple[str, str]]:
            return {t.id: (t.artist or "", t.album or "") for t in store.tracks_by_ids(ids)}
        return cls(max(0, int(per_artist)), max(0, int(per_album)), tags)

    @property
    def active(self) -> bool:
        return self.tags is not None and (self.per_artist > 0 or self.per_album > 0)

    def pick(self, ranked: list[tuple[int, float]], k: int) -> tuple[list, list]:
        """(up to k of `ranked` that keep within the caps, the ones skipped for them), best first."""
        if not self.active:
            return ranked[:k], []
        tags = self.tags([i for i, _ in ranked])
        artists: Counter = Counter()
        albums: Counter = Counter()
        kept, skipped = [], []
        for track_id, score in ranked:
            artist, album = (t.strip().casefold() for t in tags.get(track_id, ("", "")))
            album_key = (artist, album) if album else None
            if (self.per_artist and artist and artists[artist] >= self.per_artist) or \
                    (self.per_album and album_key and albums[album_key] >= self.per_album):
                skipped.append((track_id, score))
                continue
            kept.append((track_id, score))
            artists[artist] += bool(artist)
            if album_key:
                albums[album_key] += 1
            if len(kept) == k:
                break
        return kept, skipped

    def apply(self, ranked: list[tuple[int, float]], k: int) -> list[tuple[int, float]]:
        """k of `ranked`: those within the caps first, then (only if they are too few) the capped ones."""
        kept, skipped = self.pick(ranked, k)
        return kept + skipped[: k - len(kept)]


def anchor_vector(index: SimilarityIndex, anchor_ids: Iterable[int]) -> np.ndarray | None:
    """Unit centroid of the anchors present in the index (None when none is embedded yet)."""
    vectors = [v for v in (index.vector(i) for i in anchor_ids) if v is not None]
    if not vectors:
        return None
    centroid = np.mean(np.stack(vectors), axis=0)
    if not np.any(centroid):  # opposite anchors cancel out: fall back to the first
        centroid = vectors[0]
    return index.unit(centroid)


def anchor_genre(anchor_ids: Iterable[int], predicted_genres: Mapping[int, str]) -> str:
    genres = [predicted_genres.get(i, "") for i in anchor_ids]
    genres = [g for g in genres if g]
    if not genres:
        return ""
    counts = Counter(genres)
    best = max(counts.values())
    return next(g for g in genres if counts[g] == best)


def relevant(
    index: SimilarityIndex,
    anchor_ids: Iterable[int],
    k: int,
    mode: RankingMode | str = RankingMode.SIMILARITY,
    predicted_genres: Mapping[int, str] | None = None,
    file_key: Callable[[int], Hashable | None] | None = None,
    query_vector: np.ndarray | None = None,
    exclude_ids: Iterable[int] = (),
    query_genre: str | None = None,
    query_key: Hashable | None = None,
    variety: Variety | None = None,
) -> list[Recommendation]:
    """The k tracks most relevant to the anchors, excluding the anchors and copies of their files.

    `query_vector` replaces the anchors' centroid (the CLI's "file not in the library" case), with
    `query_genre` / `query_key` standing in for the anchors' predicted genre and file key.
    `file_key(track_id)` identifies the file (e.g. (size, duration)); a candidate scoring ~1.0 with the
    same key as an anchor is a duplicate. Without it, a ~1.0 score alone marks a duplicate.
    `variety` caps results per artist and per album (see Variety).
    """
    variety = variety or Variety()
    mode = RankingMode.parse(mode)
    anchors = [int(i) for i in anchor_ids]
    genres = predicted_genres or {}
    query = query_vector if query_vector is not None else anchor_vector(index, anchors)
    if query is None or k <= 0:
        return []
    excluded = set(anchors) | {int(i) for i in exclude_ids}
    anchor_keys = {file_key(a) for a in anchors} if file_key else set()
    if query_key is not None:
        anchor_keys.add(query_key)
    anchor_keys.discard(None)

    references = [v for v in (index.vector(a) for a in anchors) if v is not None]
    if query_vector is not None:
        references.append(index.unit(query_vector))

    def is_duplicate(track_id: int, score: float) -> bool:
        if score < DUPLICATE_COSINE:
            return False
        vector = index.vector(track_id)
        if vector is None or not any(np.max(np.abs(vector - r)) <= DUPLICATE_TOLERANCE for r in references):
            return False
        if file_key is None or not anchor_keys:
            return True
        return file_key(track_id) in anchor_keys

    if mode is RankingMode.SIMILARITY:
        pool_size = k
        while True:   # with variety, widen the pool (up to VARIETY_POOL) until k keep within the caps
            pool = _top_without_duplicates(index, query, pool_size, excluded, is_duplicate)
            within, _ = variety.pick(pool, k)
            if len(within) >= k or len(pool) < pool_size or pool_size >= VARIETY_POOL or not variety.active:
                break
            pool_size = min(pool_size * 4, VARIETY_POOL)
        kept = variety.apply(pool, k)
        return [Recommendation(i, s, genres.get(i, ""), index.percent(s)) for i, s in kept]

    target = query_genre if query_genre is not None else anchor_genre(anchors, genres)
    # Rank the whole library: the matching block is "the k nearest tracks of that genre", which a
    # small cosine pool could miss when the genre is rare. At 1M rows this is one extra sort (~0.1 s),
    # so the pool is capped and only widened when the matching block is still short.
    pool_size = max(k * 20, 500)
    while True:
        pool = _top_without_duplicates(index, query, pool_size, excluded, is_duplicate)
        matching = [(i, s) for i, s in pool if target and genres.get(i) == target]
        if len(matching) >= k or len(pool) < pool_size or pool_size >= len(index):
            break
        pool_size *= 4
    others = [(i, s) for i, s in pool if not (target and genres.get(i) == target)]
    ranked = variety.apply(matching + others, k)
    return [Recommendation(i, s, genres.get(i, ""), index.percent(s)) for i, s in ranked]


def _top_without_duplicates(index, query, k, excluded, is_duplicate) -> list[tuple[int, float]]:
    slack = 8
    while True:
        raw = index.top_k(query, k + slack, exclude_ids=excluded)
        kept = [(i, s) for i, s in raw if not is_duplicate(i, s)]
        if len(kept) >= k or len(raw) < k + slack:
            return kept[:k]
        slack *= 4  # many copies of the anchor: widen and retry
