"""What runs on the cluster: the Ray Data stages of the analysis. Imported by Ray's workers; no Ray import
here.

`Analyser` is the callable class of `map_batches`: each actor loads the bundled model once and analyses
batches of tracks with the code a local scan runs (`EmbeddingRunner._embed`: the Embedder, its one-by-one
retry after a library error, names libsndfile cannot take opened through /proc/self/fd), so a track gets
the same vector and the same failure reason wherever it was analysed. Each result travels back pickled:
the Embedding, or the AudioDecodeError / exception the local runner would classify, untouched.

`read_files` is the `--ship-audio` stage: it runs on the desktop's own node and puts each file's bytes in
Ray's object store; the Embedder reads them as a file object named like the file.
"""

from __future__ import annotations

import io
import os
import pickle
import stat

import numpy as np

from fmaplayer.errors import AudioDecodeError
from fmaplayer.library.paths import display_path
from fmaplayer.recommend.embedding_runner import EmbeddingRunner

SHIP_LIMIT_BYTES = 1 << 30   # a larger "audio file" is not shipped: the worker tries its path


class _WorkerSide(EmbeddingRunner):
    """The local runner's analysis step, without its store (the desktop commits)."""

    def __init__(self, embedder) -> None:
        super().__init__(None, embedder)

    def analyse(self, paths: list[str]) -> list:
        return self._embed(paths)


class Analyser:
    """One per Ray actor: the bundled model, loaded once; called with batches of {id, path[, audio, shipped]}.
    """

    def __init__(self, device: str = "cpu", threads: int | None = None) -> None:
        if threads:
            from fmaplayer.ml.runtime import THREADS_ENV

            os.environ[THREADS_ENV] = str(int(threads))   # the actor's share of the node, not every core
        from fmaplayer.ml.embedder import Embedder

        self.embedder = Embedder(device=device)
        self._local = _WorkerSide(self.embedder)

    def __call__(self, batch: dict) -> dict:
        paths = [os.fsdecode(bytes(p)) for p in batch["path"]]
        if "audio" in batch:
            results = self._analyse_shipped(paths, batch["audio"], batch["shipped"])
        else:
            results = self._local.analyse(paths)
        n = len(paths)
        return {
            "id": np.asarray(batch["id"], dtype=np.int64),
            "result": np.array([encode_result(r) for r in results], dtype=object),
            "model_id": np.array([self.embedder.model_id] * n, dtype=object),
            "runtime": np.array([self.embedder.runtime] * n, dtype=object),
        }

    def _analyse_shipped(self, paths: list[str], blobs, shipped) -> list:
        results: list = [None] * len(paths)
        sent = [i for i in range(len(paths)) if bool(shipped[i])]
        rest = [i for i in range(len(paths)) if not bool(shipped[i])]
        if rest:   # the desktop could not read these: the worker tries the path, as a local scan would
            for i, result in zip(rest, self._local.analyse([paths[i] for i in rest]), strict=True):
                results[i] = result
        if sent:
            sources = [_named_bytes(blobs[i], paths[i]) for i in sent]
            try:
                done = list(self.embedder.embed_many(sources))
            except Exception:   # as the local runner does: one by one, so only the culprit fails
                done = []
                for source in sources:
                    source.seek(0)
                    try:
                        done.append(self.embedder.embed(source))
                    except Exception as exc:  # noqa: BLE001 - classified by the desktop's runner
                        done.append(exc)
            for i, result in zip(sent, done, strict=True):
                shown = display_path(paths[i])
                if isinstance(result, AudioDecodeError) and shown != paths[i]:
                    result = AudioDecodeError(str(result).replace(paths[i], shown))
                results[i] = result
        return results


def _named_bytes(blob, path: str) -> io.BytesIO:
    source = io.BytesIO(bytes(blob))
    source.name = path
    return source


def read_files(batch: dict) -> dict:
    """`--ship-audio`: each file's bytes, read on the desktop's node. A file that cannot be read here (gone,
    no permission, not a regular file, huge) is not shipped: the worker tries its path and says why."""
    blobs, shipped = [], []
    for raw in batch["path"]:
        data = _read_regular(bytes(raw))
        shipped.append(data is not None)
        blobs.append(data or b"")
    return {"id": batch["id"], "path": batch["path"],
            "audio": np.array(blobs, dtype=object), "shipped": np.array(shipped, dtype=bool)}


def _read_regular(path: bytes) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))   # a FIFO must not block the read
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > SHIP_LIMIT_BYTES:
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            return fh.read()
    except OSError:
        return None
    finally:
        os.close(fd)


def encode_result(result) -> bytes:
    """A result as it travels back: pickled, or (an exception that cannot be pickled) its words."""
    try:
        return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an exception type the desktop cannot rebuild
        return pickle.dumps(RuntimeError(f"{type(result).__name__}: {result}"))


def decode_result(blob: bytes):
    return pickle.loads(bytes(blob))
