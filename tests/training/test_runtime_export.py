"""Exporting a .keras to the light runtimes' files (fmaplayer/training/export.py), on small untrained
models."""

import json

import numpy as np
import pytest

from fmaplayer.ml import manifest as manifest_mod
from fmaplayer.ml import runtime

pytestmark = pytest.mark.integration


def _manifest_for(path, model, n_moods):
    m = {"name": "m", "version": "0.0.1", "architecture": model.name, "input": {"shape": [128, 128, 1]},
         "genres": ["a", "b", "c"], "moods": ["q1", "q2"][:n_moods],
         "embedding": {"layer": "embedding", "dim": int(model.get_layer("embedding").output.shape[-1])},
         "sha256": manifest_mod.sha256_of(path), "weights_file": path.name,
         "keras_version": __import__("keras").__version__}
    manifest_mod.write_manifest(manifest_mod.manifest_path_for(path), m)
    return m


@pytest.mark.parametrize("arch", ["cnn_lstm", "cnn_bilstm", "crnn"])
def test_the_export_graph_unrolls_every_recurrent_layer_and_keeps_the_outputs(keras_seeded, arch):
    from fmaplayer.ml.models import build_model
    from fmaplayer.training.export import runtime_graph

    model = build_model(arch, 3, 2)
    graph = runtime_graph(model, {"embedding": {"layer": "embedding"}, "moods": ["q1", "q2"]})
    kinds = ("LSTM", "GRU", "Bidirectional")
    recurrent = [layer for layer in graph.layers if layer.__class__.__name__ in kinds]
    assert recurrent
    for layer in recurrent:
        cells = [layer.forward_layer, layer.backward_layer] if hasattr(layer, "forward_layer") else [layer]
        assert all(cell.unroll for cell in cells)
    x = np.random.default_rng(1).uniform(-80, 20, (2, 128, 128, 1)).astype(np.float32)
    got = graph.predict_on_batch(x)
    ref = model.predict_on_batch(x)
    np.testing.assert_allclose(got["genre"], ref["genre"], atol=1e-5)
    np.testing.assert_allclose(got["mood"], ref["mood"], atol=1e-5)


def test_export_writes_a_checked_tflite_that_the_runtime_loads(keras_seeded, tmp_path):
    pytest.importorskip("ai_edge_litert", reason="ai-edge-litert is not installed")
    from fmaplayer.ml.models import build_model
    from fmaplayer.training.export import export_runtimes

    model = build_model("crnn", 3, 0)   # the smallest architecture, no mood head
    path = tmp_path / "m.keras"
    model.save(path)
    _manifest_for(path, model, 0)
    entries = export_runtimes(path, names=("litert",))
    written = json.loads((tmp_path / "m.json").read_text())["runtimes"]["litert"]
    assert entries["litert"] == written and written["file"] == "m.tflite"
    assert written["source_sha256"] == manifest_mod.sha256_of(path)
    assert written["export_check_min_cosine"] >= 0.999
    rt = runtime.load_one("litert", path, manifest_mod.load_manifest(path))
    x = np.random.default_rng(2).uniform(-80, 20, (8, 128, 128, 1)).astype(np.float32)
    emb, genre, mood = rt.run(x)
    assert mood is None and genre.shape == (8, 3)
    ref_emb, ref_genre, _ = runtime.load_one("tensorflow", path, manifest_mod.load_manifest(path)).run(x)
    cosine = (emb * ref_emb).sum(1) / np.linalg.norm(emb, axis=1) / np.linalg.norm(ref_emb, axis=1)
    assert cosine.min() >= 0.999
    int8 = written["variant"].startswith("int8")
    np.testing.assert_allclose(genre, ref_genre, atol=0.03 if int8 else 1e-4)


def test_a_variant_that_fails_the_parity_check_gives_way_to_float32(keras_seeded, tmp_path, monkeypatch):
    pytest.importorskip("ai_edge_litert", reason="ai-edge-litert is not installed")
    from fmaplayer.ml.models import build_model
    from fmaplayer.training import export

    monkeypatch.setattr(export, "_float_convs", lambda quantised, plain, n: b"not a flatbuffer")
    model = build_model("crnn", 3, 0)
    path = tmp_path / "m.keras"
    model.save(path)
    _manifest_for(path, model, 0)
    entry = export.export_runtimes(path, names=("litert",))["litert"]
    assert entry["variant"] == "float32" and entry["export_check_min_cosine"] >= 0.999
    assert manifest_mod.sha256_of(tmp_path / "m.tflite") == entry["sha256"]
    emb = runtime.load_one("litert", path, manifest_mod.load_manifest(path)).run(
        np.zeros((2, 128, 128, 1), np.float32) - 50)[0]
    assert emb.shape[0] == 2
