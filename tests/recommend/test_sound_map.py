"""The sound map's projection and its cache: shapes, degenerate input, cache hits and misses by model id
and library state, new tracks placed by the fitted map, and the PCA fallback without openTSNE."""

import sys

import numpy as np
import pytest

from fmaplayer.recommend import sound_map
from fmaplayer.recommend.explain import Profile


def clustered(n: int, clusters: int = 4, dim: int = 16, seed: int = 0, spread: float = 0.05):
    """Unit ReLU-like vectors in well separated clusters, and each row's cluster."""
    rng = np.random.default_rng(seed)
    centres = np.abs(rng.normal(0, 1, (clusters, dim))) + 0.2
    labels = np.arange(n) % clusters
    x = np.maximum(centres[labels] + rng.normal(0, spread, (n, dim)), 0).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True), labels


def count_fits(monkeypatch):
    calls = []
    real = sound_map.project

    def counting(rows, method):
        calls.append(len(rows))
        return real(rows, method)

    monkeypatch.setattr(sound_map, "project", counting)
    return calls


def own_cluster_nearest(coords, labels) -> float:
    """Share of points whose nearest other point on the map is in their own cluster."""
    d = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return float(np.mean(labels[d.argmin(axis=1)] == labels))


@pytest.mark.parametrize("method", [sound_map.PCA, sound_map.TSNE])
def test_projection_is_one_finite_point_per_track_and_keeps_clusters_apart(method):
    if method == sound_map.TSNE and not sound_map.tsne_available():
        pytest.skip("openTSNE is not installed (the optional `map` extra)")
    x, labels = clustered(120)
    smap = sound_map.build_sound_map(np.arange(100, 220), x, method=method)
    assert smap.method == method
    assert smap.coords.shape == (120, 2) and smap.coords.dtype == np.float32
    assert np.isfinite(smap.coords).all()
    assert list(smap.ids) == list(range(100, 220))
    assert own_cluster_nearest(smap.coords, labels) > 0.95
    assert np.percentile(np.abs(smap.coords), 99) == pytest.approx(1.0, abs=0.05)   # normalised


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_tiny_libraries_give_a_map_without_crashing(n):
    x, _ = clustered(max(n, 1))
    smap = sound_map.build_sound_map(np.arange(n), x[:n])
    assert smap.coords.shape == (n, 2) and np.isfinite(smap.coords).all()
    if n == 2:   # two different tracks are two different places
        assert not np.allclose(smap.coords[0], smap.coords[1])


def test_identical_and_zero_vectors_are_mapped_not_refused():
    same = np.tile(np.linspace(0.1, 1.0, 16, dtype=np.float32), (30, 1))
    same[5] = 0.0
    for method in (sound_map.PCA, sound_map.best_method()):
        smap = sound_map.build_sound_map(np.arange(30), same, method=method)
        assert smap.coords.shape == (30, 2) and np.isfinite(smap.coords).all()


def test_non_finite_vectors_and_mismatched_ids_are_refused_with_a_clear_message():
    x, _ = clustered(10)
    x[3, 2] = np.nan
    with pytest.raises(ValueError, match="finite vector per track"):
        sound_map.build_sound_map(np.arange(10), x)
    with pytest.raises(ValueError, match="one finite vector per track"):
        sound_map.build_sound_map(np.arange(9), clustered(10)[0])


def test_cache_hit_for_the_same_model_and_library_miss_for_another_model(tmp_path, monkeypatch):
    cache = sound_map.SoundMapCache(tmp_path / "cache")
    x, _ = clustered(60)
    fits = count_fits(monkeypatch)
    first = sound_map.build_sound_map(np.arange(60), x, "model@1", cache=cache, method=sound_map.PCA)
    again = sound_map.build_sound_map(np.arange(60), x, "model@1", cache=cache, method=sound_map.PCA)
    assert fits == [60] and again.from_cache and not first.from_cache
    np.testing.assert_array_equal(again.coords, first.coords)
    other = sound_map.build_sound_map(np.arange(60), x, "model@2", cache=cache, method=sound_map.PCA)
    assert fits == [60, 60] and not other.from_cache
    assert cache.path_for("model@1") != cache.path_for("model@2")
    assert cache.path_for("model@1").parent == tmp_path / "cache"


def test_a_changed_library_state_is_not_a_hit_and_removed_tracks_just_leave(tmp_path, monkeypatch):
    cache = sound_map.SoundMapCache(tmp_path)
    x, _ = clustered(100)
    ids = np.arange(100)
    first = sound_map.build_sound_map(ids, x, "m", cache=cache, method=sound_map.PCA)
    fits = count_fits(monkeypatch)
    fewer = sound_map.build_sound_map(ids[10:], x[10:], "m", cache=cache, method=sound_map.PCA)
    assert fits == [] and not fewer.from_cache
    np.testing.assert_array_equal(fewer.coords, first.coords[10:])       # the rest stay where they were
    changed = x[10:].copy()
    changed[0] = clustered(1, seed=9)[0][0]      # a re-analysed track counts as new: placed, not reused
    moved = sound_map.build_sound_map(ids[10:], changed, "m", cache=cache, method=sound_map.PCA)
    assert fits == [] and moved.placed == 1


def test_few_new_tracks_are_placed_next_to_their_neighbours_many_trigger_a_refit(tmp_path, monkeypatch):
    cache = sound_map.SoundMapCache(tmp_path)
    x, labels = clustered(150)
    ids = np.arange(150)
    fitted = sound_map.build_sound_map(ids[:100], x[:100], "m", cache=cache, method=sound_map.PCA)
    fits = count_fits(monkeypatch)
    # 15 new tracks: 15 % of the fit, under REFIT_FRACTION: placed with the fitted map
    grown = sound_map.build_sound_map(ids[:115], x[:115], "m", cache=cache, method=sound_map.PCA)
    assert fits == [] and grown.placed == 15
    np.testing.assert_array_equal(grown.coords[:100], fitted.coords)
    for row in range(100, 115):   # each lands among its own cluster's fitted points
        d = ((fitted.coords - grown.coords[row]) ** 2).sum(axis=1)
        assert labels[:100][np.argsort(d)[:5]].tolist().count(labels[row]) >= 4
    # 10 more: 25 placed since the fit of 100 > 20 %: a full refit of everything
    refit = sound_map.build_sound_map(ids[:125], x[:125], "m", cache=cache, method=sound_map.PCA)
    assert fits == [125] and refit.placed == 0


def test_place_new_puts_a_copy_of_a_track_on_that_track():
    x, _ = clustered(50)
    coords = sound_map.normalise_coords(sound_map.pca_coords(x))
    copy = x[[7]] + np.float32(1e-4)
    placed = sound_map.place_new(sound_map.prepare_vectors(x), coords, sound_map.prepare_vectors(copy), k=1)
    np.testing.assert_allclose(placed[0], coords[7], atol=1e-5)
    assert sound_map.place_new(x[:0], coords[:0], x[:3]).shape == (3, 2)


def test_a_damaged_cache_file_is_a_miss(tmp_path):
    cache = sound_map.SoundMapCache(tmp_path)
    cache.path_for("m").write_bytes(b"not an npz file")
    x, _ = clustered(30)
    smap = sound_map.build_sound_map(np.arange(30), x, "m", cache=cache, method=sound_map.PCA)
    assert not smap.from_cache and smap.coords.shape == (30, 2)
    assert sound_map.build_sound_map(np.arange(30), x, "m", cache=cache, method=sound_map.PCA).from_cache


def test_without_opentsne_the_map_falls_back_to_pca(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "openTSNE", None)     # import openTSNE now raises ImportError
    assert not sound_map.tsne_available()
    assert sound_map.best_method() == sound_map.PCA
    x, labels = clustered(80)
    smap = sound_map.build_sound_map(np.arange(80), x, "m", cache=sound_map.SoundMapCache(tmp_path))
    assert smap.method == sound_map.PCA
    assert own_cluster_nearest(smap.coords, labels) > 0.9


def test_a_pca_cache_is_refitted_once_opentsne_is_there(monkeypatch, tmp_path):
    if not sound_map.tsne_available():
        pytest.skip("openTSNE is not installed (the optional `map` extra)")
    cache = sound_map.SoundMapCache(tmp_path)
    x, _ = clustered(40)
    sound_map.build_sound_map(np.arange(40), x, "m", cache=cache, method=sound_map.PCA)
    assert sound_map.cached_map(np.arange(40), x, "m", cache=cache, method=sound_map.TSNE) is None


def test_mood_labels_name_only_confident_quadrants():
    moods = ["Q1", "Q2", "Q3", "Q4"]
    profiles = {1: Profile(mood_probs=np.array([0.1, 0.1, 0.1, 0.7], np.float32)),
                2: Profile(mood_probs=np.array([0.4, 0.3, 0.2, 0.1], np.float32)),
                3: Profile(mood_probs=None)}
    assert sound_map.mood_labels(profiles, moods, 0.66) == {1: "calm/relaxed", 2: "", 3: ""}
