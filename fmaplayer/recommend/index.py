"""In-memory similarity index over L2-normalised track embeddings (cosine = dot product).

Rows live in one preallocated float32 matrix that grows by doubling, so the embedding worker can add a
batch at a time without copying the whole library on every commit (np.vstack per batch would be
O(n) per call). Removal swaps the last row into the hole, keeping the live rows contiguous so a query
is a single matrix-vector product over `matrix[:n]` followed by `np.argpartition`.

A hybrid model's rows (recommend/hybrid.py) are kept as two contiguous arrays: the style block, and the
timbre + tempo blocks padded to a multiple of 8 columns. A query reads the style array (as before) and the
second one only when the manifest gives timbre or tempo a weight: at 1M rows two 32-wide products take
~20 ms, one 61-wide strided product ~27 ms and a 61 x 2 one ~33 ms (one BLAS thread, AVX-512 Xeon).

Not thread-safe by itself: the app mutates and queries it on the UI thread only (the worker sends
committed vectors through a queued signal), the CLI is single-threaded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import numpy as np

from fmaplayer.ml.similarity_space import SimilarityLayout
from fmaplayer.recommend import calibration, hybrid

_MIN_CAPACITY = 1024
# Above this many rows the product runs with one BLAS thread: on a 2-core machine where the embedding
# worker keeps both cores busy, OpenBLAS's threads wait on each other and a 100k query went from ~1 ms
# to ~8 ms p50 (benchmarks/bench_index.py); one thread is faster under load and about as fast idle.
_SINGLE_THREAD_ROWS = 20_000
_blas = None


def _one_blas_thread():
    """Context limiting OpenBLAS/MKL to one thread (threadpoolctl, optional; ~20 us per use)."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController

            _blas = ThreadpoolController().select(user_api="blas")
        except Exception:  # noqa: BLE001 - not installed, or no BLAS found: plain numpy is fine
            _blas = False
    return _blas.limit(limits=1) if _blas else contextlib.nullcontext()


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Return float32 rows scaled to unit length (zero rows stay zero)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32, copy=False)


class SimilarityIndex:
    """Track id -> unit vector, with exact top-k cosine queries."""

    def __init__(self, dim: int | None = None, centred: bool = False,
                 prior_centre: np.ndarray | None = None, layout: SimilarityLayout | None = None) -> None:
        """centred: scores are library-centred cosines (recommend.calibration), the app's and CLI's
        choice; prior_centre: the model's training centre, blended in while the library is small;
        layout: a hybrid model's blocks and fusion weights (recommend/hybrid.py), applied to rows of
        its size (during an upgrade the index may still hold the previous model's style-only rows)."""
        self.centred = centred
        self.layout = layout
        self._centre: np.ndarray | None = None  # cached with its per-row terms; None after every mutation
        self._prepared: tuple[np.ndarray, np.ndarray] | None = None
        self.prior_centre = prior_centre
        self._dim = dim
        self._matrix = np.zeros((0, dim or 0), dtype=np.float32)   # style block (or the whole vector)
        self._extra = np.zeros((0, 0), dtype=np.float32)           # timbre + tempo blocks, zero-padded
        self._ids = np.zeros(0, dtype=np.int64)
        self._row_of: dict[int, int] = {}
        self._size = 0

    # --- mutation -------------------------------------------------------------------------------
    def replace(self, ids: Iterable[int], matrix: np.ndarray) -> None:
        """Drop everything and load `matrix` (N x D) for `ids` (the start-up load from SQLite)."""
        ids_arr = np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64)
        matrix = np.asarray(matrix, dtype=np.float32)
        if len(ids_arr) == 0:
            self._reset(self._dim)
            return
        self._reset(matrix.shape[1])
        self.upsert(ids_arr, matrix)

    def _reset(self, dim: int | None) -> None:
        self._dim = dim
        style, extra = self._widths(dim)
        self._matrix = np.zeros((0, style), dtype=np.float32)
        self._extra = np.zeros((0, extra), dtype=np.float32)
        self._ids = np.zeros(0, dtype=np.int64)
        self._row_of = {}
        self._size = 0
        self._centre = None

    def _widths(self, dim: int | None) -> tuple[int, int]:
        """(style columns, stored extra columns) for rows of `dim` values."""
        layout = self.layout
        if layout is None or dim != layout.dim:
            return dim or 0, 0
        return layout.style_dim, -(-(dim - layout.style_dim) // 8) * 8

    def _store(self, row: int | slice, rows: np.ndarray) -> None:
        width = self._matrix.shape[1]
        self._matrix[row] = rows[..., :width]
        if self._extra.shape[1]:
            self._extra[row, : rows.shape[-1] - width] = rows[..., width:]

    def upsert(self, ids: Iterable[int], vectors: np.ndarray) -> None:
        """Insert or overwrite rows; vectors are normalised here so callers may pass raw ones."""
        ids_list = [int(i) for i in ids]
        if not ids_list:
            return
        self._centre = None
        rows = np.asarray(vectors, dtype=np.float32)
        rows = rows[None, :] if rows.ndim == 1 else rows
        layout = self.layout if self.layout is not None and rows.shape[1] == self.layout.dim else None
        rows = normalise_rows(rows) if layout is None else hybrid.unit_blocks(rows, layout)
        if rows.shape[0] != len(ids_list):
            raise ValueError(f"{len(ids_list)} ids but {rows.shape[0]} vectors")
        if self._dim is None or (self._size == 0 and self._dim != rows.shape[1]):
            self._reset(rows.shape[1])
        if rows.shape[1] != self._dim:
            raise ValueError(f"vector dimension {rows.shape[1]} != index dimension {self._dim}")
        new_positions = []
        for position, track_id in enumerate(ids_list):
            row = self._row_of.get(track_id)
            if row is None:
                new_positions.append(position)
            else:
                self._store(row, rows[position])
        if not new_positions:
            return
        # a duplicate id inside one batch: keep the last vector for it
        unique: dict[int, int] = {}
        for position in new_positions:
            unique[ids_list[position]] = position
        positions = list(unique.values())
        self._reserve(self._size + len(positions))
        start, stop = self._size, self._size + len(positions)
        self._store(slice(start, stop), rows[positions])
        self._ids[start:stop] = [ids_list[p] for p in positions]
        for offset, position in enumerate(positions):
            self._row_of[ids_list[position]] = start + offset
        self._size = stop

    def remove(self, ids: Iterable[int]) -> int:
        removed = 0
        self._centre = None
        for track_id in ids:
            row = self._row_of.pop(int(track_id), None)
            if row is None:
                continue
            last = self._size - 1
            if row != last:
                moved_id = int(self._ids[last])
                self._matrix[row] = self._matrix[last]
                self._extra[row] = self._extra[last]
                self._ids[row] = moved_id
                self._row_of[moved_id] = row
            self._size = last
            removed += 1
        return removed

    def _reserve(self, needed: int) -> None:
        capacity = self._matrix.shape[0]
        if needed <= capacity:
            return
        new_capacity = max(_MIN_CAPACITY, capacity)
        while new_capacity < needed:
            new_capacity *= 2
        matrix = np.zeros((new_capacity, self._matrix.shape[1]), dtype=np.float32)
        extra = np.zeros((new_capacity, self._extra.shape[1]), dtype=np.float32)
        ids = np.zeros(new_capacity, dtype=np.int64)
        matrix[: self._size] = self._matrix[: self._size]
        extra[: self._size] = self._extra[: self._size]
        ids[: self._size] = self._ids[: self._size]
        self._matrix, self._extra, self._ids = matrix, extra, ids

    # --- queries --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._size

    def __contains__(self, track_id: object) -> bool:
        return track_id in self._row_of

    @property
    def dim(self) -> int | None:
        return self._dim

    @property
    def nbytes(self) -> int:
        """Memory held by the matrix and id arrays (capacity, not just live rows)."""
        return int(self._matrix.nbytes + self._extra.nbytes + self._ids.nbytes)

    def ids(self) -> np.ndarray:
        return self._ids[: self._size].copy()

    def matrix(self) -> np.ndarray:
        """The live rows in `ids()` order, as they were given (a copy for hybrid rows)."""
        if not self._extra.shape[1]:
            view = self._matrix[: self._size].view()
            view.flags.writeable = False
            return view
        extra = self._extra[: self._size, : self._dim - self._matrix.shape[1]]
        return np.hstack([self._matrix[: self._size], extra])

    def vector(self, track_id: int) -> np.ndarray | None:
        row = self._row_of.get(int(track_id))
        if row is None:
            return None
        if not self._extra.shape[1]:
            return self._matrix[row].copy()
        return np.concatenate([self._matrix[row], self._extra[row, : self._dim - self._matrix.shape[1]]])

    def active_layout(self) -> SimilarityLayout | None:
        """The hybrid layout when the rows are of its size, else None (style-only rows)."""
        if self.layout is not None and self._dim == self.layout.dim:
            return self.layout
        return None

    def unit(self, vector: np.ndarray) -> np.ndarray:
        """A vector scaled as the rows are (each block of a hybrid row on its own)."""
        layout = self.active_layout()
        if layout is not None and np.shape(vector)[-1] == layout.dim:
            return hybrid.unit_blocks(vector, layout)[0]
        return normalise_rows(vector)[0]

    def percent(self, score: float) -> float:
        """The match a user is shown for `score` (recommend/hybrid.py shown_percent)."""
        return hybrid.shown_percent(score, self.active_layout())

    def percent_meaning(self) -> str:
        return hybrid.percent_meaning(self.active_layout())

    def similarity_rows(self) -> np.ndarray:
        """Rows whose dot products are the scores the panel ranks by (the sound map, the sonic path)."""
        return hybrid.similarity_rows(self.matrix(), self.active_layout(), self.centre())

    def part_scores(self, query_vec: np.ndarray, track_id: int) -> dict[str, float | None] | None:
        """How much each part (style, timbre, tempo) of a track matches `query_vec`; None if not here."""
        row = self.vector(track_id)
        if row is None:
            return None
        return hybrid.part_scores(row, np.asarray(query_vec, np.float32), self.active_layout(), self.centre())

    @property
    def prior_centre(self) -> np.ndarray | None:
        return self._prior_centre

    @prior_centre.setter
    def prior_centre(self, value: np.ndarray | None) -> None:
        self._prior_centre = None if value is None else np.asarray(value, np.float32)
        self._centre = None

    def centre(self) -> np.ndarray | None:
        """The vector subtracted before the cosine (None when the index is not centred)."""
        if not self.centred:
            return None
        if self._centre is None:
            prior = self._prior_centre
            live = self._matrix[: self._size]
            if prior is not None and self._dim is not None and prior.shape != (live.shape[1],):
                prior = None  # a centre of another model's space: the library mean alone
            row_sum = live.sum(axis=0, dtype=np.float64) if self._size else None
            self._centre = calibration.blended_centre(row_sum, self._size, prior)
            self._prepared = None if self._centre is None else calibration.prepare_centre(live, self._centre)
        return self._centre

    def scores(self, query_vec: np.ndarray) -> np.ndarray:
        """Cosine (library-centred when `centred`) of `query_vec` against every live row (order = `ids()`)."""
        rows = self._matrix[: self._size]
        layout = self.active_layout()
        with _one_blas_thread() if self._size >= _SINGLE_THREAD_ROWS else contextlib.nullcontext():
            centre = self.centre()
            if layout is not None and np.shape(query_vec)[-1] == layout.dim:
                return hybrid.fused_scores(rows, self._extra[: self._size], np.asarray(query_vec, np.float32),
                                           layout, centre, self._prepared)
            return calibration.centred_cosine(rows, normalise_rows(query_vec)[0], centre, self._prepared)

    def top_k(self, query_vec: np.ndarray, k: int,
              exclude_ids: Iterable[int] = ()) -> list[tuple[int, float]]:
        """The k rows with the highest cosine to `query_vec`, best first, skipping `exclude_ids`."""
        if k <= 0 or self._size == 0:
            return []
        scores = self.scores(query_vec)
        excluded_rows = [self._row_of[i] for i in (int(x) for x in exclude_ids) if i in self._row_of]
        if excluded_rows:
            scores[excluded_rows] = -np.inf
        available = self._size - len(excluded_rows)
        k = min(k, available)
        if k <= 0:
            return []
        candidates = _top_rows(scores, k)
        # stable tie-break on id so results are deterministic for equal scores
        order = np.lexsort((self._ids[candidates], -scores[candidates]))
        best = candidates[order]
        return [(int(self._ids[row]), float(scores[row])) for row in best]


# Above this many rows, argpartition runs on a pre-filtered candidate set (see _top_rows).
_PREFILTER_ROWS = 200_000


def _top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Row numbers of the k largest scores (unordered), exact.

    For large indexes a strided sample gives a threshold that about max(8k, 512) scores exceed; if at
    least k rows pass it, the true top k are all among them (the k-th largest is >= the threshold), so
    argpartition runs on a few hundred candidates instead of a million: 1M rows went from ~4 ms to
    ~1 ms for this step. With fewer than k above the threshold it falls back to the full argpartition.
    """
    n = scores.shape[0]
    if k >= n:
        return np.arange(n)
    if n >= _PREFILTER_ROWS:
        stride = max(1, n // 8192)
        sample = scores[::stride]
        wanted = max(8 * k, 512)
        rank = min(sample.shape[0] - 1, int(np.ceil(wanted * sample.shape[0] / n)))
        threshold = np.partition(sample, sample.shape[0] - 1 - rank)[sample.shape[0] - 1 - rank]
        candidates = np.flatnonzero(scores >= threshold)
        if k <= candidates.shape[0] <= 64 * wanted:
            best = np.argpartition(scores[candidates], candidates.shape[0] - k)[candidates.shape[0] - k:]
            return candidates[best]
    return np.argpartition(scores, n - k)[n - k:]
