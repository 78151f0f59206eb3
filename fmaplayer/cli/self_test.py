"""`fmaplayer self-test`: load the bundled model and embed a generated tone; one line out, exit 0 or 1.

Used by `make package` on the built bundle and by users reporting problems ("does the model load here?").
Imports only the stdlib at top level (cli.py imports every subcommand module to build its parser).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

TONE_SECONDS = 5.0
TONE_SAMPLE_RATE = 22050
NORM_TOLERANCE = 1e-3


def add_arguments(name: str, parser) -> None:
    parser.add_argument("--model", default=None, metavar="PATH",
                        help="Model file to test (default: the bundled models/cnn_lstm.keras).")
    parser.add_argument("--device", choices=("auto", "cpu"), default="auto",
                        help="Where TensorFlow runs (default: auto, a GPU when one is usable).")


def write_test_tone(path: Path, seconds: float = TONE_SECONDS, sr: int = TONE_SAMPLE_RATE) -> Path:
    """A chord with a little vibrato and a pulse, so the mel slices are not flat; 16-bit mono WAV."""
    import numpy as np
    import soundfile as sf

    t = np.arange(int(seconds * sr), dtype=np.float64) / sr
    vibrato = 0.6 * np.sin(2 * np.pi * 5.0 * t)  # phase wobble: +-3 Hz at 5 Hz
    chord = ((220.0, 0.5), (277.2, 0.3), (329.6, 0.3))
    y = sum(amp * np.sin(2 * np.pi * f * t + vibrato) for f, amp in chord)
    y *= 0.6 + 0.4 * (np.sin(2 * np.pi * 2.0 * t) > 0)  # a 2 Hz on/off beat
    y = 0.8 * y / np.max(np.abs(y))
    sf.write(str(path), y.astype(np.float32), sr, subtype="PCM_16")
    return path


def check_vector(vector, expected_dim: int | None, layout=None) -> str | None:
    """None when the embedding is a finite unit vector of the model's dimension (for a hybrid model: unit
    style and timbre blocks, ml/similarity_space.py), else what is wrong."""
    import numpy as np

    v = np.asarray(vector)
    if v.ndim != 1 or v.size == 0:
        return f"embedding has shape {v.shape}, expected a 1-D vector"
    if expected_dim and v.size != expected_dim:
        return f"embedding has {v.size} values, the model says {expected_dim}"
    if not np.all(np.isfinite(v)):
        return "embedding contains NaN or infinite values"
    blocks = {"embedding": slice(None)}
    if layout is not None:   # the tempo block is zero for a track without a clear pulse
        blocks = {f"{name} block of the embedding": block
                  for name, block in layout.blocks().items() if name != "tempo"}
    for name, block in blocks.items():
        norm = float(np.linalg.norm(v[block].astype(np.float64)))
        if abs(norm - 1.0) > NORM_TOLERANCE:
            return f"{name} norm is {norm:.6f}, expected 1"
    return None


def run(name: str, args) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the line
    started = time.perf_counter()
    try:
        from fmaplayer.ml.embedder import Embedder

        embedder = Embedder(model_path=args.model, device=args.device)
        with tempfile.TemporaryDirectory(prefix="fmaplayer-selftest-") as tmp:
            tone = write_test_tone(Path(tmp) / "tone.wav")
            loaded = time.perf_counter()
            embedding = embedder.embed(tone)
        embedded = time.perf_counter()
        problem = check_vector(embedding.vector, getattr(embedder, "vector_dim", None),
                               getattr(embedder, "layout", None))
    except Exception as exc:  # any failure is the answer to "does it work here?"
        print(f"self-test FAILED: {type(exc).__name__}: {exc}")
        return 1
    if problem:
        print(f"self-test FAILED: model {embedder.model_id}: {problem}")
        return 1
    print(
        f"self-test OK: model {embedder.model_id} on {embedder.device} embedded a {TONE_SECONDS:.0f} s tone "
        f"to a unit {len(embedding.vector)}-d vector (genre {embedding.genre or 'not named: unsure'}); "
        f"load {loaded - started:.1f} s, embed {embedded - loaded:.1f} s"
    )
    return 0
