"""The model manifest (models/<name>.json beside models/<name>.keras): reading, checking, writing.

Only stdlib here, so the UI can show model facts without importing TensorFlow.
"""

from __future__ import annotations

import hashlib
import json
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
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"model manifest {path} is unreadable: {exc}") from exc
    missing = [f for f in REQUIRED_FIELDS if f not in data]
    if missing:
        raise ModelLoadError(f"model manifest {path} lacks {', '.join(missing)}")
    return data


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
