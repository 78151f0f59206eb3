"""The sound map: every analysed track placed in 2-D by a projection of its embedding.

The vectors are projected as the app ranks them: library-centred (recommend.calibration), so what
spreads the map is how tracks differ from the library, not the direction all of them share. The full
projection is t-SNE (openTSNE, the optional `map` extra: at 10k tracks it kept 2.8x more of each
track's 10 nearest neighbours than umap-learn, in about half the time and memory; see
benchmarks/bench_sound_map.py); PCA (a numpy SVD) is the instant fallback, shown first while t-SNE runs
and used alone when openTSNE is not installed or the library is too small for a neighbour graph.

A projection is cached on disk per model id, with the library state it was fitted on (track ids and a
digest of each vector). A later library that differs only by a few tracks reuses it: removed tracks
are dropped, new ones are placed at the similarity-weighted mean of their nearest fitted neighbours
(`place_new`, the start openTSNE's own transform optimises from, without keeping the fitted model), and a full
refit runs only once the placed tracks exceed REFIT_FRACTION of the fit. Pure numpy, no Qt.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PCA, TSNE = "pca", "tsne"
REFIT_FRACTION = 0.2      # refit once tracks placed since the last fit exceed 20 % of that fit
MIN_NEIGHBOUR_POINTS = 20  # fewer points: PCA (a neighbour graph of a dozen tracks says little)
PLACE_NEIGHBOURS = 10
_CACHE_VERSION = 1
_CHUNK_BYTES = 64 << 20    # similarity block size while placing new points


@dataclass(frozen=True)
class SoundMap:
    """Track ids and their 2-D positions (float32, about -1..1), and how they were made."""

    ids: np.ndarray
    coords: np.ndarray
    method: str
    placed: int = 0          # points placed by `place_new` since the last full fit
    from_cache: bool = False

    def __len__(self) -> int:
        return int(self.ids.shape[0])


def empty_map(method: str = PCA) -> SoundMap:
    return SoundMap(np.zeros(0, np.int64), np.zeros((0, 2), np.float32), method)


# --- projection --------------------------------------------------------------------------------------
def prepare_vectors(matrix: np.ndarray, centre: np.ndarray | None = None) -> np.ndarray:
    """Unit rows of (x - centre): Euclidean distance between them is monotone in the centred cosine."""
    rows = np.asarray(matrix, dtype=np.float32)
    if rows.ndim != 2:
        rows = rows.reshape(len(rows), -1)
    if centre is not None and centre.shape == (rows.shape[1],):
        rows = rows - centre.astype(np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (rows / norms).astype(np.float32)


def pca_coords(rows: np.ndarray) -> np.ndarray:
    """The first two principal components (zeros for missing ones: one point, or all equal)."""
    n = rows.shape[0]
    coords = np.zeros((n, 2), np.float32)
    if n < 2:
        return coords
    centred = rows.astype(np.float64) - rows.mean(axis=0, dtype=np.float64)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    usable = min(2, int(np.sum(singular > 1e-9 * max(singular[0], 1e-30))))
    if usable:
        coords[:, :usable] = (centred @ vt[:usable].T).astype(np.float32)
    return coords


def tsne_available() -> bool:
    try:
        import openTSNE  # noqa: F401
    except Exception:  # noqa: BLE001 - not installed or broken: PCA instead
        return False
    return True


def best_method() -> str:
    return TSNE if tsne_available() else PCA


def tsne_coords(rows: np.ndarray, seed: int = 0) -> np.ndarray:
    """openTSNE (FFT-accelerated, all cores), started from PCA so a refit keeps the map's orientation."""
    from openTSNE import TSNE as TsneEstimator

    n = rows.shape[0]
    estimator = TsneEstimator(perplexity=min(30.0, (n - 1) / 3.0), metric="euclidean", initialization="pca",
                              n_jobs=-1, random_state=seed, verbose=False)
    return np.asarray(estimator.fit(_distinct(rows)), np.float32)


def _distinct(rows: np.ndarray) -> np.ndarray:
    """Identical rows (copies of a file) give zero distances that a neighbour graph handles badly: nudge
    each by a tiny fixed amount, far below any distance between different tracks."""
    rng = np.random.default_rng(12345)
    return rows + rng.normal(0, 1e-6, rows.shape).astype(np.float32)


def normalise_coords(coords: np.ndarray) -> np.ndarray:
    """Centre on the median and scale so 99 % of the points lie within -1..1 (outliers may not)."""
    coords = np.asarray(coords, np.float32)
    if coords.shape[0] == 0:
        return coords.reshape(0, 2)
    coords = coords - np.median(coords, axis=0)
    spread = float(np.percentile(np.abs(coords), 99)) if coords.shape[0] > 1 else 0.0
    if spread > 1e-12:
        coords = coords / spread
    return coords.astype(np.float32)


def project(rows: np.ndarray, method: str) -> tuple[np.ndarray, str]:
    """(coords, method used): PCA when asked, when openTSNE is missing, or when there are too few points."""
    if method == TSNE and rows.shape[0] >= MIN_NEIGHBOUR_POINTS and tsne_available():
        try:
            return normalise_coords(tsne_coords(rows)), TSNE
        except Exception as exc:  # noqa: BLE001 - a failed fit must not leave the map empty
            log.warning("t-SNE failed, the sound map uses PCA: %s", exc)
    return normalise_coords(pca_coords(rows)), PCA


def place_new(known_rows: np.ndarray, known_coords: np.ndarray, new_rows: np.ndarray,
              k: int = PLACE_NEIGHBOURS) -> np.ndarray:
    """Positions for new (prepared) rows: the similarity-weighted mean of their k nearest known points."""
    out = np.zeros((new_rows.shape[0], 2), np.float32)
    n = known_rows.shape[0]
    if n == 0 or new_rows.shape[0] == 0:
        return out
    k = min(k, n)
    chunk = max(1, _CHUNK_BYTES // (4 * n))
    for start in range(0, new_rows.shape[0], chunk):
        sims = new_rows[start:start + chunk] @ known_rows.T
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        near_sims = np.take_along_axis(sims, nearest, axis=1)
        weights = 1.0 / (1.0 - np.clip(near_sims, -1.0, 1.0) + 1e-3)
        weights /= weights.sum(axis=1, keepdims=True)
        out[start:start + chunk] = np.einsum("ij,ijk->ik", weights, known_coords[nearest])
    return out


# --- library state and cache -------------------------------------------------------------------------
def row_digests(matrix: np.ndarray) -> np.ndarray:
    """One uint64 per row that changes when any component of the vector changes."""
    bits = np.ascontiguousarray(matrix, dtype=np.float32).view(np.uint32).astype(np.uint64)
    if bits.shape[0] == 0:
        return np.zeros(0, np.uint64)
    weights = (np.arange(bits.shape[1], dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) | np.uint64(1)
    return (bits * weights).sum(axis=1, dtype=np.uint64)


def state_key(ids: np.ndarray, digests: np.ndarray) -> str:
    """The library state a projection was made for: which tracks, with which vectors."""
    order = np.argsort(ids, kind="stable")
    h = hashlib.sha1(np.asarray(ids, np.int64)[order].tobytes())
    h.update(np.asarray(digests, np.uint64)[order].tobytes())
    return h.hexdigest()


class SoundMapCache:
    """One .npz per model id in `folder` (the app: the per-user cache dir); unreadable files are misses."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def path_for(self, model_id: str) -> Path:
        name = hashlib.sha1(model_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        return self.folder / f"sound_map-{name}.npz"

    def load(self, model_id: str) -> dict | None:
        path = self.path_for(model_id)
        try:
            with np.load(path, allow_pickle=False) as data:
                entry = {key: data[key] for key in data.files}
            if int(entry["version"]) != _CACHE_VERSION or str(entry["model_id"]) != model_id:
                return None
            if entry["coords"].shape != (entry["ids"].shape[0], 2):
                return None
            return entry
        except FileNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001 - a damaged cache is only a slower start
            log.info("sound map cache %s unreadable (%s): refitting", path, exc)
            return None

    def save(self, model_id: str, smap: SoundMap, digests: np.ndarray, fitted: int) -> None:
        path = self.path_for(model_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".npz.part")
            with os.fdopen(handle, "wb") as out:
                np.savez(out, version=_CACHE_VERSION, model_id=model_id, ids=smap.ids, coords=smap.coords,
                         digests=digests, method=smap.method, placed=smap.placed, fitted=fitted,
                         state=state_key(smap.ids, digests))
            os.replace(temp, path)
        except OSError as exc:   # a read-only or full disk: the map still shows, it is just not kept
            log.warning("could not save the sound map cache %s: %s", path, exc)


# --- entry points ------------------------------------------------------------------------------------
def build_sound_map(ids, matrix, model_id: str = "", centre: np.ndarray | None = None,
                    cache: SoundMapCache | None = None, method: str | None = None) -> SoundMap:
    """The sound map of these tracks: from the cache when the library state matches, the cache plus
    placed new tracks while they are few, else a full fit (t-SNE if installed, else PCA)."""
    return (cached_map(ids, matrix, model_id, centre, cache, method)
            or fit_map(ids, matrix, model_id, centre, cache, method))


def cached_map(ids, matrix, model_id: str = "", centre: np.ndarray | None = None,
               cache: SoundMapCache | None = None, method: str | None = None) -> SoundMap | None:
    """The map from the cache (new tracks placed, removed ones dropped), or None when a fit is due."""
    ids, matrix = _checked(ids, matrix)
    if ids.shape[0] == 0:
        return empty_map(method or best_method())
    entry = cache.load(model_id) if cache is not None else None
    if entry is None or str(entry["method"]) != fit_method(method or best_method(), len(ids)):
        return None
    digests = row_digests(matrix)
    reused = _reuse(entry, ids, matrix, digests, centre)
    if reused is not None and not reused.from_cache:
        cache.save(model_id, reused, digests, int(entry["fitted"]))
    return reused


def fit_map(ids, matrix, model_id: str = "", centre: np.ndarray | None = None,
            cache: SoundMapCache | None = None, method: str | None = None) -> SoundMap:
    """A full projection of every track, saved to the cache."""
    ids, matrix = _checked(ids, matrix)
    if ids.shape[0] == 0:
        return empty_map(method or best_method())
    coords, used = project(prepare_vectors(matrix, centre), method or best_method())
    smap = SoundMap(ids, coords, used)
    if cache is not None:
        cache.save(model_id, smap, row_digests(matrix), len(ids))
    return smap


def _checked(ids, matrix) -> tuple[np.ndarray, np.ndarray]:
    ids = np.asarray(ids, np.int64).reshape(-1)
    matrix = np.asarray(matrix, np.float32)
    if ids.shape[0] == 0:
        return ids, matrix
    if matrix.ndim != 2 or matrix.shape[0] != ids.shape[0] or not np.isfinite(matrix).all():
        raise ValueError("the sound map needs one finite vector per track")
    return ids, matrix


def quick_map(ids, matrix, centre: np.ndarray | None = None) -> SoundMap:
    """PCA at once (milliseconds at 100k), shown while the full projection runs."""
    ids = np.asarray(ids, np.int64).reshape(-1)
    if ids.shape[0] == 0:
        return empty_map()
    return SoundMap(ids, normalise_coords(pca_coords(prepare_vectors(matrix, centre))), PCA)


def fit_method(method: str, n: int) -> str:
    """The method a fit of n points would use now (a PCA map of a small library is upgraded later)."""
    return TSNE if method == TSNE and n >= MIN_NEIGHBOUR_POINTS and tsne_available() else PCA


def _reuse(entry: dict, ids: np.ndarray, matrix: np.ndarray, digests: np.ndarray,
           centre: np.ndarray | None) -> SoundMap | None:
    """The cached map restricted to the current tracks, new ones placed; None when a refit is due."""
    cached_ids, cached_digests = entry["ids"].astype(np.int64), entry["digests"].astype(np.uint64)
    position = {int(i): p for p, i in enumerate(cached_ids)}
    rows = np.fromiter((position.get(int(i), -1) for i in ids), np.int64, len(ids))
    known = rows >= 0
    known[known] = cached_digests[rows[known]] == digests[known]   # a re-analysed track counts as new
    fresh = int((~known).sum())
    placed = int(entry["placed"]) + fresh
    if not known.any() or placed > REFIT_FRACTION * max(int(entry["fitted"]), 1):
        return None
    coords = np.empty((len(ids), 2), np.float32)
    coords[known] = entry["coords"][rows[known]]
    method = str(entry["method"])
    if fresh:
        prepared = prepare_vectors(matrix, centre)
        coords[~known] = place_new(prepared[known], coords[known], prepared[~known])
        return SoundMap(ids, coords, method, placed)
    unchanged = len(ids) == len(cached_ids)
    return SoundMap(ids, coords, method, int(entry["placed"]), from_cache=unchanged)


def mood_labels(profiles: dict, moods: list[str], threshold: float) -> dict[int, str]:
    """Track id -> its mood in words ("calm/relaxed") where the likeliest quadrant reaches `threshold`
    (recommend.explain's calibrated rule, as "Why this song?" names moods), else "" (drawn grey)."""
    from fmaplayer.recommend.explain import confident_label, mood_word

    labels = {}
    for track_id, profile in profiles.items():
        label = confident_label(moods, getattr(profile, "mood_probs", None), threshold)
        labels[int(track_id)] = mood_word(label) if label else ""
    return labels
