"""Sonic path: N tracks that move smoothly from a start track to a target track (no Qt).

Distances are angles between library-centred unit vectors (x - c) / |x - c|, the space the panel's
match percentages come from (recommend/calibration.py), so "close" here means what it means there.

Method ("graph", the default), chosen by measurement (benchmarks/bench_sonic_path.py, README):
1. Candidates: the tracks nearest to evenly spaced points on the great circle from start to target
   (one matrix-vector product per point over the library: O(n) time and memory, no n x n anything).
2. Those candidates form a directed graph whose edges only go to a track strictly closer to the
   target, so every path through it approaches the target at every step and never repeats a track.
3. A dynamic programme finds the path of exactly N tracks that minimises the sum of squared step
   angles. For a fixed number of steps the sum of squares is smallest when the steps are short and
   even, which is what "smooth" means; a plain shortest path (sum of distances) does not care whether
   it takes one long hop or many short ones, and a k-NN graph would have to be resampled to N after.
Two files of one recording (a copy in another folder, another encoding of the same song) have near-identical
vectors; a path takes at most one track of each such group and none of the start's or the target's, so it
never plays the same recording twice (float rounding alone let a copy look a hair closer to the target).
The simpler "snap" method (each interpolation point snapped to the nearest unused track that is
closer to the target than the previous one) is kept as the measured alternative and the fallback
when the graph has no N-track path; it took longer, less even steps on a real library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fmaplayer.errors import FmaplayerError

DEFAULT_LENGTH = 10
GRAPH, SNAP = "graph", "snap"
METHODS = (GRAPH, SNAP)
# candidates: this many tracks nearest each of (POINTS_PER_STEP x steps) points on the great circle
NEAREST_PER_POINT = 48
POINTS_PER_STEP = 3
# centred cosine at or above which two tracks count as the same recording (within about 2.6 degrees; a
# 10-track path through a real library of 1,313 tracks steps about 17 degrees on average)
SAME_RECORDING_COSINE = 0.999


class SonicPathError(FmaplayerError):
    """A path cannot be made (a track is not analysed, start is the target, bad length)."""


@dataclass(frozen=True)
class SonicPath:
    ids: list[int]
    steps: list[float]        # cosine distance (1 - centred cosine) of each consecutive pair
    to_target: list[float]    # cosine distance of each track to the target (last is 0)
    method: str

    @property
    def approaches_target(self) -> bool:
        """Every step ends closer to the target than the one before."""
        return all(b < a for a, b in zip(self.to_target, self.to_target[1:], strict=False))


def centred_unit_rows(matrix: np.ndarray, centre: np.ndarray | None) -> np.ndarray:
    """(x - centre) / |x - centre| for each row: the space the app's similarity scores live in."""
    rows = np.asarray(matrix, dtype=np.float32)
    if centre is not None and np.shape(centre) == (rows.shape[1],):
        rows = rows - np.asarray(centre, np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return rows / norms


def _slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points at fractions t of the great circle from unit a to unit b (rows, unit length)."""
    omega = float(np.arccos(np.clip(a @ b, -1.0, 1.0)))
    if omega < 1e-6:
        return np.repeat(a[None, :], len(t), axis=0)
    if np.pi - omega < 1e-4:   # opposite: any great circle; go through a direction orthogonal to a
        helper = np.eye(len(a), dtype=np.float32)[int(np.argmin(np.abs(a)))]
        b = helper - (helper @ a) * a
        b /= np.linalg.norm(b)
        omega, t = np.pi / 2, t * 2.0   # reach the orthogonal point at t=0.5 ... then continue
    t = t[:, None]
    points = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


class SonicPathFinder:
    """Prepared once per library state (the centred rows), then asked for any number of paths."""

    def __init__(self, ids: Sequence[int] | np.ndarray, matrix: np.ndarray, centre: np.ndarray | None = None):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.rows = centred_unit_rows(matrix, centre) if len(self.ids) else np.zeros((0, 0), np.float32)
        if self.rows.shape[0] != len(self.ids):
            raise ValueError(f"{len(self.ids)} ids but {self.rows.shape[0]} vectors")
        self._row_of = {int(i): r for r, i in enumerate(self.ids)}

    def __contains__(self, track_id: object) -> bool:
        return track_id in self._row_of

    def path(self, start_id: int, target_id: int, length: int = DEFAULT_LENGTH,
             method: str = GRAPH) -> SonicPath:
        """Track ids from start to target, both included: `length` of them when the library allows."""
        if method not in METHODS:
            raise ValueError(f"unknown path method {method!r}; choose one of {', '.join(METHODS)}")
        if length < 2:
            raise SonicPathError("a path needs at least 2 tracks (the start and the target)")
        missing = [t for t in (start_id, target_id) if int(t) not in self._row_of]
        if missing:
            raise SonicPathError("the start track has not been analysed yet" if missing[0] == start_id
                                 else "the target track has not been analysed yet")
        if int(start_id) == int(target_id):
            raise SonicPathError("the start and the target are the same track")
        start, target = self._row_of[int(start_id)], self._row_of[int(target_id)]
        length = min(length, len(self.ids))
        rows = _graph_path(self.rows, start, target, length) if method == GRAPH else None
        used = method
        if rows is None or len(rows) < length:
            snapped = _snap_path(self.rows, start, target, length)
            if rows is None or len(snapped) > len(rows):
                rows, used = snapped, SNAP
        return self._describe(rows, used)

    def _describe(self, rows: list[int], method: str) -> SonicPath:
        vectors = self.rows[rows]
        steps = 1.0 - np.sum(vectors[:-1] * vectors[1:], axis=1)
        to_target = 1.0 - vectors @ vectors[-1]
        to_target[-1] = 0.0
        return SonicPath([int(self.ids[r]) for r in rows], [float(s) for s in steps],
                         [float(d) for d in to_target], method)


def sonic_path(ids, matrix: np.ndarray, start_id: int, target_id: int, length: int = DEFAULT_LENGTH,
               centre: np.ndarray | None = None, method: str = GRAPH) -> SonicPath:
    """One path (prepares the centred rows each time; keep a SonicPathFinder for many)."""
    return SonicPathFinder(ids, matrix, centre).path(start_id, target_id, length, method)


def _candidates(rows: np.ndarray, start: int, target: int, length: int) -> np.ndarray:
    """Row numbers near the great circle from start to target, start first and target last."""
    n_points = max(2, POINTS_PER_STEP * (length - 1) + 1)
    points = _slerp(rows[start], rows[target], np.linspace(0.0, 1.0, n_points, dtype=np.float32))
    keep = min(NEAREST_PER_POINT, rows.shape[0])
    chosen = set()
    for point in points:   # one product at a time: memory stays O(n), not O(n x points)
        scores = rows @ point
        chosen.update(np.argpartition(-scores, keep - 1)[:keep].tolist())
    chosen.discard(start)
    chosen.discard(target)
    kept = _one_per_recording(rows, np.array([start, target, *sorted(chosen)], dtype=np.int64))
    return np.array([start, *kept[2:], target], dtype=np.int64)


def _one_per_recording(rows: np.ndarray, order: np.ndarray) -> np.ndarray:
    """`order` (row numbers) without the rows that are the same recording as an earlier one."""
    similar = rows[order] @ rows[order].T >= SAME_RECORDING_COSINE
    keep = np.ones(len(order), dtype=bool)
    for i in range(len(order)):
        if keep[i]:
            similar[i, : i + 1] = False
            keep &= ~similar[i]
    return order[keep]


def _graph_path(rows: np.ndarray, start: int, target: int, length: int) -> list[int] | None:
    """Exactly `length` rows, each strictly closer to the target than the one before, minimising the
    sum of squared step angles (None when the candidates hold no such path)."""
    pool = _candidates(rows, start, target, length)
    vectors = rows[pool]
    angle = np.arccos(np.clip(vectors @ vectors.T, -1.0, 1.0)).astype(np.float64)
    to_target = angle[:, -1]
    cost = np.where(to_target[None, :] < to_target[:, None], angle**2, np.inf)   # u -> v only if closer
    np.fill_diagonal(cost, np.inf)
    best = np.full(len(pool), np.inf)
    best[0] = 0.0
    back = np.zeros((length, len(pool)), dtype=np.int64)
    for hop in range(1, length):
        totals = best[:, None] + cost         # from each u (rows) to each v (columns)
        back[hop] = np.argmin(totals, axis=0)
        best = totals[back[hop], np.arange(len(pool))]
        if hop < length - 1:
            best[-1] = np.inf                 # the target only ends the path
    if not np.isfinite(best[-1]):
        return None
    node, path = len(pool) - 1, []
    for hop in range(length - 1, 0, -1):
        path.append(node)
        node = int(back[hop][node])
    path.append(node)
    return [int(pool[p]) for p in reversed(path)]


def _snap_path(rows: np.ndarray, start: int, target: int, length: int) -> list[int]:
    """Interpolation points snapped to the nearest unused track closer to the target than the last one
    and, where possible, not past the next point (so the path does not reach the target early)."""
    points = _slerp(rows[start], rows[target], np.linspace(0.0, 1.0, length, dtype=np.float32))
    to_target = rows @ rows[target]          # cosine to the target: higher = closer
    point_to_target = points @ rows[target]
    path = [start]
    played = (rows @ rows[start] >= SAME_RECORDING_COSINE) | (rows @ rows[target] >= SAME_RECORDING_COSINE)
    for i in range(1, length - 1):
        allowed = (to_target > to_target[path[-1]]) & ~played
        allowed[path] = False
        allowed[target] = False
        not_past = allowed & (to_target < point_to_target[i + 1])
        allowed = not_past if not_past.any() else allowed
        if not allowed.any():
            break
        scores = np.where(allowed, rows @ points[i], -np.inf)
        path.append(int(np.argmax(scores)))
        played |= rows @ rows[path[-1]] >= SAME_RECORDING_COSINE
    return [*path, target]
