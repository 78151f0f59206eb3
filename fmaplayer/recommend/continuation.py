""""Continue with similar songs": when the play queue runs out, pick more tracks like the last ones.

The player calls `SimilarContinuation(last_track)` (its `continuation` hook) and appends what comes back.
The query is the centroid of the few most recently played tracks, so the session drifts smoothly instead
of bouncing around one anchor, and nothing played or offered earlier in the session comes back (no
repeats). No Qt here: the app feeds `note_played` from the player's trackChanged signal.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping

from fmaplayer.recommend.index import SimilarityIndex
from fmaplayer.recommend.ranking import RankingMode, relevant


class SimilarContinuation:
    def __init__(
        self,
        index: SimilarityIndex,
        tracks_by_ids: Callable[[list[int]], list],
        predicted_genres: Callable[[], Mapping[int, str]] | None = None,
        mode: Callable[[], RankingMode | str] | None = None,
        batch_size: int = 5,
        history: int = 3,
    ) -> None:
        self.index = index
        self._tracks_by_ids = tracks_by_ids
        self._genres = predicted_genres or (lambda: {})
        self._mode = mode or (lambda: RankingMode.SIMILARITY)
        self.batch_size = batch_size
        self._recent: deque[int] = deque(maxlen=history)
        self._seen: set[int] = set()     # played or already offered this session

    def note_played(self, track) -> None:
        if track is None:
            return
        track_id = int(track.id)
        self._seen.add(track_id)
        if not self._recent or self._recent[-1] != track_id:
            self._recent.append(track_id)

    def reset(self) -> None:
        self._recent.clear()
        self._seen.clear()

    def __call__(self, last_track) -> list:
        self.note_played(last_track)
        anchors = [i for i in self._recent if i in self.index]
        if not anchors:
            return []
        recommendations = relevant(self.index, anchors, self.batch_size * 2, mode=self._mode(),
                                   predicted_genres=self._genres(), exclude_ids=self._seen)
        by_id = {t.id: t for t in self._tracks_by_ids([r.track_id for r in recommendations])}
        picked = [by_id[r.track_id] for r in recommendations
                  if r.track_id in by_id and getattr(by_id[r.track_id], "error", None) is None]
        picked = picked[: self.batch_size]
        self._seen.update(t.id for t in picked)
        return picked
