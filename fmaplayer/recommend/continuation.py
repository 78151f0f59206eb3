""""Continue with similar songs": when the play queue runs out, pick more tracks like the last ones.

The player calls `SimilarContinuation(last_track)` (its `continuation` hook) and appends what comes back.
The query is the centroid of the few most recently *listened* tracks (the seeds), so the session drifts
smoothly instead of bouncing around one anchor, and nothing played or offered earlier in the session comes
back (no repeats). A track counts as listened once it played for `LISTENED_SECONDS` or half its length,
whichever comes first (`ListenTracker`): a track skipped after 2 s is not repeated, but it does not steer
either. Only while nothing at all was listened yet does the last track stand in as the seed.

Each track it picks carries its reason (`ContinuationReason`: the seeds it was picked for and its match
percentage as the index shows it); `reason_for(entry)` gives it back for that very queue entry, so the
"Up next" view can say why the track is there, and the same track added by the user later says nothing.

No Qt here: the app feeds `note_started` from the player's trackChanged signal and `ListenTracker` from
trackChanged / positionChanged, whose callback is `note_listened`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fmaplayer.recommend.index import SimilarityIndex
from fmaplayer.recommend.ranking import RankingMode, Variety, relevant

LISTENED_SECONDS = 30.0
LISTENED_FRACTION = 0.5


class ListenTracker:
    """Counts the seconds a track really played (seeks and jumps do not count) and calls
    ``on_listened(track)`` once per play when it reaches the threshold."""

    def __init__(self, on_listened: Callable[[Any], None], min_seconds: float = LISTENED_SECONDS,
                 min_fraction: float = LISTENED_FRACTION, max_step: float = 2.0) -> None:
        self._on_listened = on_listened
        self.min_seconds = min_seconds
        self.min_fraction = min_fraction
        self.max_step = max_step  # a larger jump between position reports is a seek, not listening
        self._track = None
        self._duration = 0.0
        self._last: float | None = None
        self.listened_seconds = 0.0
        self._counted = False

    def threshold(self) -> float:
        duration = self._duration or float(getattr(self._track, "duration", 0.0) or 0.0)
        return min(self.min_seconds, duration * self.min_fraction) if duration > 0 else self.min_seconds

    def track_changed(self, track) -> None:
        self._track = track
        self._duration = 0.0
        self._last = None
        self.listened_seconds = 0.0
        self._counted = False

    def duration_changed(self, seconds: float) -> None:
        self._duration = max(0.0, float(seconds))

    def position_changed(self, seconds: float) -> None:
        seconds = float(seconds)
        if self._last is not None and 0.0 < seconds - self._last <= self.max_step:
            self.listened_seconds += seconds - self._last
        self._last = seconds
        if not self._counted and self._track is not None and self.listened_seconds >= self.threshold():
            self._counted = True
            self._on_listened(self._track)


@dataclass(frozen=True)
class ContinuationReason:
    """Why "Continue with similar songs" picked a track: the seeds it was ranked against, its score and the
    match percentage shown for that score (`SimilarityIndex.percent`, the number the panel shows)."""

    seed_ids: tuple[int, ...]
    seed_titles: tuple[str, ...]
    score: float
    percent: float
    listened: bool = True   # False: nothing was listened to yet, the last tracks played stood in

    def describe(self, title: Callable[[str], str] = str) -> str:
        """One line for a user; ``title`` bounds or cleans each seed title (the UI's display_text)."""
        names = ", ".join(f"\u201c{title(t)}\u201d" for t in self.seed_titles)
        if len(self.seed_titles) > 1:
            to = f"the blend of {names}"
        elif self.seed_titles:
            to = names
        else:
            to = "the tracks played before it"
        text = f"Picked by Continue with similar songs: {self.percent:.0f} % match to {to}"
        if not self.listened:
            text += " (the last played; none was listened to long enough yet to steer)"
        return text


class SimilarContinuation:
    def __init__(
        self,
        index: SimilarityIndex,
        tracks_by_ids: Callable[[list[int]], list],
        predicted_genres: Callable[[], Mapping[int, str]] | None = None,
        mode: Callable[[], RankingMode | str] | None = None,
        batch_size: int = 5,
        history: int = 3,
        variety: Callable[[], Variety] | None = None,
    ) -> None:
        """`variety()`: the caps per artist and album in force (the Settings'), asked at every pick."""
        self.index = index
        self._variety = variety or Variety
        self._tracks_by_ids = tracks_by_ids
        self._genres = predicted_genres or (lambda: {})
        self._mode = mode or (lambda: RankingMode.SIMILARITY)
        self.batch_size = batch_size
        self._recent: deque[int] = deque(maxlen=history)    # seeds: tracks listened to
        self._fallback: deque[int] = deque(maxlen=history)  # last tracks, only while nothing was listened
        self._seen: set[int] = set()     # played or already offered this session
        # track id -> (the entry handed to the player, why it was picked); the entry itself, so a copy of the
        # same track added later by the user is not said to be picked
        self._reasons: dict[int, tuple[object, ContinuationReason]] = {}
        self.on_seeds_changed: Callable[[list[int]], None] | None = None

    def note_started(self, track) -> None:
        """A track began to play: it is not offered again, but it is no seed (yet)."""
        if track is not None:
            self._seen.add(int(track.id))

    def note_listened(self, track) -> None:
        """A track was really listened to: it seeds what comes next."""
        if track is None:
            return
        track_id = int(track.id)
        self._seen.add(track_id)
        if not self._recent or self._recent[-1] != track_id:
            self._recent.append(track_id)
            if self.on_seeds_changed is not None:
                self.on_seeds_changed(self.seeds())

    note_played = note_listened  # played to the end (or as good as): the older name

    def seeds(self) -> list[int]:
        """Ids of the tracks the next batch is chosen by, oldest first."""
        return list(self._recent)

    def reason_for(self, entry) -> ContinuationReason | None:
        """Why this queue entry was appended by the continuation; None for an entry it did not append."""
        if entry is None:
            return None
        picked = self._reasons.get(getattr(entry, "id", None))
        return picked[1] if picked is not None and picked[0] is entry else None

    def reset(self) -> None:
        self._recent.clear()
        self._fallback.clear()
        self._seen.clear()
        self._reasons.clear()

    def __call__(self, last_track) -> list:
        if last_track is not None:
            self.note_started(last_track)
            if not self._fallback or self._fallback[-1] != int(last_track.id):
                self._fallback.append(int(last_track.id))
        anchors = [i for i in self._recent if i in self.index]
        listened = bool(anchors)
        if not anchors:  # nothing listened yet this session: the last tracks are all there is to go by
            anchors = [i for i in self._fallback if i in self.index]
        if not anchors:
            return []
        recommendations = relevant(self.index, anchors, self.batch_size * 2, mode=self._mode(),
                                   predicted_genres=self._genres(), exclude_ids=self._seen,
                                   variety=self._variety())
        # one read for the candidates and the seeds (whose titles go into the reasons)
        by_id = {t.id: t for t in self._tracks_by_ids([r.track_id for r in recommendations] + anchors)}
        seeds = [i for i in anchors if i in by_id]
        titles = tuple(by_id[i].display_title for i in seeds)
        picked = []
        for r in recommendations:
            track = by_id.get(r.track_id)
            if track is None or getattr(track, "error", None) is not None:
                continue
            picked.append(track)
            self._reasons[int(track.id)] = (track, ContinuationReason(tuple(seeds), titles, float(r.score),
                                                                      float(r.percent), listened))
            if len(picked) == self.batch_size:
                break
        self._seen.update(t.id for t in picked)
        return picked
