"""The model manifest (models/<name>.json beside models/<name>.keras): reading, checking, writing.

Only stdlib here, so the UI can show model facts without importing TensorFlow.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from fmaplayer.errors import ModelLoadError

BUNDLED_NAME = "cnn_lstm"
REQUIRED_FIELDS = (
    "name",
    "version",
    "architecture",
    "input",
    "genres",
    "moods",
    "embedding",
    "sha256",
    "weights_file",
    "keras_version",
)


def models_dir() -> Path:
    """The repository's / installed package's models folder (frozen apps put it beside the package)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "models", here / "models"):
        if candidate.is_dir():
            return candidate
    return here.parent / "models"


def bundled_model_path() -> Path:
    return models_dir() / f"{BUNDLED_NAME}.keras"


def manifest_path_for(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".json")


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_manifest(path: str | Path) -> dict:
    """Read and validate a manifest; raises ModelLoadError with the reason."""
    path = Path(path)
    if path.suffix == ".keras":
        path = manifest_path_for(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelLoadError(f"model manifest not found: {path}") from exc
    except (OSError, ValueError, RecursionError) as exc:   # RecursionError: JSON nested thousands deep
        raise ModelLoadError(f"model manifest {path} is unreadable: {exc}") from exc
    problem = manifest_problem(data)
    if problem:
        raise ModelLoadError(f"the model's manifest {path} is damaged: {problem}")
    return data


_TEXT_FIELDS = ("name", "version", "architecture", "sha256", "weights_file", "keras_version")
_INPUT_COUNTS = ("sample_rate", "n_fft", "hop_length", "n_mels", "slice_frames", "slice_samples",
                 "slices_per_track")


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _labels_problem(data: dict, key: str, allow_empty: bool) -> str | None:
    labels = data[key]
    if not isinstance(labels, list) or not all(isinstance(x, str) and x.strip() for x in labels):
        return f"{key} is not a list of names"
    if not labels and not allow_empty:
        return f"{key} is empty"
    if len(set(labels)) != len(labels):
        return f"{key} names a label twice"
    return None


def manifest_problem(data) -> str | None:
    """What is wrong with the shape of a parsed manifest (required keys and their types), or None.
    The app indexes these fields without further checks, so a wrong type must stop here."""
    if not isinstance(data, dict):
        return f"expected a JSON object, found {type(data).__name__ if data is not None else 'null'}"
    missing = [f for f in REQUIRED_FIELDS if f not in data]
    if missing:
        return f"it lacks {', '.join(missing)}"
    for key in _TEXT_FIELDS:
        if not isinstance(data[key], str) or not data[key].strip():
            return f"{key} is not a text"
    problem = _labels_problem(data, "genres", allow_empty=False) or _labels_problem(data, "moods", True)
    if problem:
        return problem
    spec = data["input"]
    if not isinstance(spec, dict):
        return "input is not an object"
    for key in _INPUT_COUNTS:
        if key in spec and not _is_count(spec[key]):
            return f"input.{key} is not a positive whole number"
    embedding = data["embedding"]
    if not isinstance(embedding, dict):
        return "embedding is not an object"
    if not _is_count(embedding.get("dim")):
        return "embedding.dim is not a positive whole number"
    if not isinstance(embedding.get("layer"), str):
        return "embedding.layer is not a text"
    centre = embedding.get("centre")
    if centre is not None and not (isinstance(centre, list) and all(_is_number(x) for x in centre)):
        return "embedding.centre is not a list of numbers"
    for key in ("genre_threshold", "mood_threshold"):
        value = data.get(key)
        if value is not None and not (_is_number(value) and math.isfinite(value)):
            return f"{key} is not a number"
    runtimes = data.get("runtimes")
    if runtimes is not None:
        if not isinstance(runtimes, dict) or not all(isinstance(r, dict) for r in runtimes.values()):
            return "runtimes is not an object of objects"
        for name, entry in runtimes.items():
            for key in ("file", "sha256", "source_sha256"):
                if key in entry and not isinstance(entry[key], str):
                    return f"runtimes.{name}.{key} is not a text"
    return None


def model_id(manifest: dict) -> str:
    """Keys stored embeddings: the weights (sha256) and what the manifest says about their outputs
    (labels, genre threshold), so a relabelled manifest re-analyses instead of showing stale genres."""
    labels = json.dumps([manifest.get("genres"), manifest.get("moods"), manifest.get("genre_threshold")])
    return (f"{manifest['name']}@{manifest['version']}+{manifest['sha256'][:8]}"
            f".{hashlib.sha1(labels.encode()).hexdigest()[:6]}")


def check_keras_version(manifest: dict, installed: str) -> None:
    """Keras 3 .keras files load across minor versions; a different major version does not."""
    saved = str(manifest.get("keras_version", ""))
    if saved.split(".")[0] != installed.split(".")[0]:
        raise ModelLoadError(
            f"model was saved with Keras {saved} but Keras {installed} is installed; "
            f"install Keras {saved.split('.')[0]}.x"
        )


def write_manifest(path: str | Path, manifest: dict) -> None:
    path = Path(path)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
