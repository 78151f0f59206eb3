"""Sonic path properties on synthetic embedding sets: ends, length, no repeats, always closer, smooth."""

from __future__ import annotations

import numpy as np
import pytest

from fmaplayer.recommend import sonic_path as sp
from fmaplayer.recommend.sonic_path import SonicPathError, SonicPathFinder, centred_unit_rows, sonic_path


def library(n: int = 3000, dim: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around a few shared directions (like real ReLU embeddings: one big common part)."""
    rng = np.random.default_rng(seed)
    common = np.abs(rng.normal(size=dim)) * 3
    clusters = rng.normal(size=(12, dim))
    x = common + clusters[rng.integers(0, 12, n)] + 0.6 * rng.normal(size=(n, dim))
    x = np.abs(x).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return np.arange(100, 100 + n, dtype=np.int64), x


@pytest.fixture(scope="module")
def finder():
    ids, x = library()
    return SonicPathFinder(ids, x, centre=x.mean(axis=0))


@pytest.mark.parametrize("method", sp.METHODS)
def test_path_runs_from_start_to_target_closer_at_every_step_without_repeats(finder, method):
    rng = np.random.default_rng(1)
    for _ in range(20):
        start, target = (int(i) for i in rng.choice(finder.ids, 2, replace=False))
        path = finder.path(start, target, 10, method=method)
        assert path.ids[0] == start and path.ids[-1] == target
        assert len(set(path.ids)) == len(path.ids)
        # the graph path has exactly the length asked for; snapping may reach the target's
        # nearest neighbour early and end there
        assert len(path.ids) == 10 if method == sp.GRAPH else 2 <= len(path.ids) <= 10
        assert path.approaches_target
        assert path.to_target[-1] == 0.0 and len(path.steps) == len(path.ids) - 1


def test_graph_steps_are_shorter_than_a_random_order_and_than_the_snapped_points(finder):
    rng = np.random.default_rng(2)
    graph, snap, shuffled = [], [], []
    rows = finder.rows
    for _ in range(30):
        start, target = (int(i) for i in rng.choice(finder.ids, 2, replace=False))
        graph.append(np.mean(finder.path(start, target, 10, sp.GRAPH).steps))
        snap.append(np.mean(finder.path(start, target, 10, sp.SNAP).steps))
        middle = rng.choice(len(rows), 8, replace=False)
        order = [finder._row_of[start], *middle, finder._row_of[target]]
        shuffled.append(np.mean(1 - np.sum(rows[order[:-1]] * rows[order[1:]], axis=1)))
    assert np.mean(graph) < 0.5 * np.mean(shuffled)
    assert np.mean(graph) <= np.mean(snap)


def test_the_steps_are_measured_in_the_app_centred_space():
    ids, x = library(400)
    centre = x.mean(axis=0)
    path = sonic_path(ids, x, int(ids[0]), int(ids[1]), 5, centre=centre)
    rows = centred_unit_rows(x, centre)
    a, b = (path.ids[i] - 100 for i in (0, 1))
    assert path.steps[0] == pytest.approx(1 - float(rows[a] @ rows[b]), abs=1e-5)


def test_a_small_library_gives_a_shorter_path_not_an_error():
    ids, x = library(6)
    path = sonic_path(ids, x, int(ids[0]), int(ids[5]), 10, centre=x.mean(axis=0))
    assert 2 <= len(path.ids) <= 6 and path.ids[0] == ids[0] and path.ids[-1] == ids[5]
    assert len(set(path.ids)) == len(path.ids) and path.approaches_target
    two = sonic_path(ids[:2], x[:2], int(ids[0]), int(ids[1]), 10)
    assert two.ids == [int(ids[0]), int(ids[1])]


def test_opposite_tracks_still_get_a_path():
    dim = 8
    x = np.eye(dim, dtype=np.float32)
    x = np.concatenate([x, -x])   # every direction and its opposite
    ids = np.arange(len(x))
    path = sonic_path(ids, x, 0, dim, 4)
    assert path.ids[0] == 0 and path.ids[-1] == dim and path.approaches_target


def test_clear_errors_for_unanalysed_tracks_same_track_and_bad_length(finder):
    first, second = (int(i) for i in finder.ids[:2])
    with pytest.raises(SonicPathError, match="start track has not been analysed"):
        finder.path(1, second)
    with pytest.raises(SonicPathError, match="target track has not been analysed"):
        finder.path(first, 1)
    with pytest.raises(SonicPathError, match="same track"):
        finder.path(first, first)
    with pytest.raises(SonicPathError, match="at least 2"):
        finder.path(first, second, 1)
    with pytest.raises(ValueError, match="unknown path method"):
        finder.path(first, second, method="teleport")


def test_candidates_stay_a_small_pool_in_a_large_library():
    ids, x = library(20_000, seed=5)
    rows = centred_unit_rows(x, x.mean(axis=0))
    pool = sp._candidates(rows, 0, 1, 10)
    assert pool[0] == 0 and pool[-1] == 1
    assert len(pool) <= (sp.POINTS_PER_STEP * 9 + 1) * sp.NEAREST_PER_POINT + 2


@pytest.mark.parametrize("method", sp.METHODS)
@pytest.mark.parametrize("noise", [0.0, 1e-4, 1e-3])   # a copy of the file; other encodings of the song
def test_a_path_never_plays_one_recording_twice(method, noise):
    """Every track is in the library twice (another folder, another encoding): a path takes one of each
    recording at most, and no copy of its start or target."""
    ids, x = library(n=1500)
    rng = np.random.default_rng(7)
    copies = x + noise * rng.normal(size=x.shape).astype(np.float32)
    copies /= np.linalg.norm(copies, axis=1, keepdims=True)
    all_ids, all_x = np.concatenate([ids, ids + 100_000]), np.concatenate([x, copies])
    finder = SonicPathFinder(all_ids, all_x, centre=all_x.mean(axis=0))
    for _ in range(15):
        start, target = (int(i) for i in rng.choice(ids, 2, replace=False))
        path = finder.path(start, target, 10, method=method)
        recordings = [i % 100_000 for i in path.ids]
        assert len(set(recordings)) == len(recordings), path.ids
        assert path.ids[0] == start and path.ids[-1] == target and path.approaches_target
        assert len(path.ids) == 10 if method == sp.GRAPH else len(path.ids) >= 2
        assert min(path.steps) > 1.0 - sp.SAME_RECORDING_COSINE
