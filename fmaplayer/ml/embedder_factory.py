"""How the app gets its embedder: the bundled model, loaded where the caller runs it.

Lives in `ml/` (not `workers/`) so the CLI analyses files without importing Qt; the Qt worker and the
`scan` / `similar` commands both take the factory from here, and tests inject one returning a fake.
"""

from __future__ import annotations

from collections.abc import Callable

EmbedderFactory = Callable[[str], object]   # device setting ("auto" | "cpu") -> Embedder


def bundled_model_id() -> str | None:
    """The bundled model's id from its manifest (stdlib only, no TensorFlow); None if unreadable."""
    try:
        from fmaplayer.ml import manifest

        path = manifest.manifest_path_for(manifest.bundled_model_path())
        return manifest.model_id(manifest.load_manifest(path))
    except Exception:  # noqa: BLE001 - the worker reports a broken model when it loads it
        return None


def default_embedder_factory(device: str):
    """The bundled model; imports its runtime (seconds for TensorFlow), so only call it in the worker thread
    or the CLI."""
    from fmaplayer.ml.embedder import Embedder

    return Embedder(device=device)
