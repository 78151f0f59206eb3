"""Decode every training clip once: whole-clip log-mel spectrograms cached as float16 .npy files.

The cache lives outside the repository (default: ~/.cache/fmaplayer-features or --cache). Keys include
the file's size and mtime and the feature parameters, so a changed file or changed features miss.
Epochs then cut slices (random crops when augmenting) from memory instead of re-decoding MP3s.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from fmaplayer.ml import features

# Clips longer than this are cut to evenly spaced excerpts before caching (keeps memory bounded).
MAX_CACHED_SLICES = 20


def default_cache_dir() -> Path:
    if os.environ.get("FMAPLAYER_FEATURE_CACHE"):
        return Path(os.environ["FMAPLAYER_FEATURE_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fmaplayer-features"


def _key(path: str) -> str:
    st = os.stat(path)
    params = json.dumps(features.feature_params(), sort_keys=True)
    raw = f"{os.path.abspath(path)}|{st.st_size}|{int(st.st_mtime)}|{params}".encode()
    return hashlib.sha1(raw).hexdigest()


def _compute(path: str) -> np.ndarray:
    info_frames = None
    try:
        import soundfile as sf

        info = sf.info(path)
        info_frames = info.frames / info.samplerate
    except Exception:
        pass
    if info_frames and info_frames > MAX_CACHED_SLICES * features.SLICE_SECONDS * 1.2:
        sl = features.track_slices(path, MAX_CACHED_SLICES)
        return np.concatenate(list(sl[..., 0]), axis=1)
    return features.mel_db(features.decode_whole(path))


def _work(args: tuple[str, str]) -> tuple[str, str | None]:
    path, target = args
    try:
        mel = _compute(path)
        tmp = target + ".tmp.npy"
        np.save(tmp, mel.astype(np.float16))
        os.replace(tmp, target)
        return path, None
    except Exception as exc:  # noqa: BLE001 - reported per file, the build goes on
        return path, str(exc)


def build_cache(
    paths: list[str], cache_dir: str | Path | None = None, workers: int = 2, log=print
) -> dict[str, Path]:
    """Compute the missing entries; return path -> .npy file for every path that decoded."""
    cache_dir = Path(cache_dir or default_cache_dir())
    cache_dir.mkdir(parents=True, exist_ok=True)
    targets = {p: cache_dir / f"{_key(p)}.npy" for p in paths}
    todo = [(p, str(t)) for p, t in targets.items() if not t.exists()]
    failed = set()
    if todo:
        log(f"feature cache: decoding {len(todo)} of {len(paths)} files into {cache_dir}")
        pool = None
        if workers > 1 and len(todo) >= 40:  # spawn, not fork: the caller may already run TF threads
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
            done = pool.map(_work, todo, chunksize=8)
        else:  # small jobs: no process start-up
            done = map(_work, todo)
        try:
            for i, (path, err) in enumerate(done, 1):
                if err:
                    failed.add(path)
                    log(f"  skipped {path}: {err}")
                if i % 100 == 0 or i == len(todo):
                    log(f"  {i}/{len(todo)} decoded")
        finally:
            if pool is not None:
                pool.shutdown()
    return {p: t for p, t in targets.items() if p not in failed and t.exists()}


def load_mels(entries: dict[str, Path]) -> dict[str, np.ndarray]:
    return {p: np.load(t) for p, t in entries.items()}
