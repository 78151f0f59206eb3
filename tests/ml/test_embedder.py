"""The bundled model and the Embedder (integration: loads the real weights in models/)."""

import json
import shutil

import numpy as np
import pytest

from fmaplayer.errors import AudioDecodeError, ModelLoadError
from fmaplayer.ml import manifest
from tests.audio_generated import noise, tone, write_audio

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def embedder():
    from fmaplayer.ml.embedder import Embedder

    if not manifest.bundled_model_path().exists():
        pytest.skip("no bundled model in models/")
    return Embedder(device="cpu")


def test_manifest_describes_the_bundled_model():
    m = manifest.load_manifest(manifest.bundled_model_path())
    assert m["architecture"] == "cnn_lstm"
    assert m["sha256"] == manifest.sha256_of(manifest.bundled_model_path())
    assert m["input"]["sample_rate"] == 22050 and m["input"]["n_mels"] == 128
    assert m["embedding"] == {**m["embedding"], "layer": "embedding", "dim": 32}
    assert manifest.bundled_model_path().stat().st_size < 20 * 2**20


def test_embeds_a_tone_into_a_deterministic_unit_vector(embedder, tmp_path):
    path = write_audio(tmp_path / "tone.wav", tone(5.0))
    a, b = embedder.embed(path), embedder.embed(path)
    assert a.vector.dtype == np.float32 and a.vector.shape == (embedder.vector_dim,)
    # the bundled model is a hybrid one: its style, timbre and tempo blocks are each unit vectors
    for block in embedder.layout.blocks().values():
        assert np.linalg.norm(a.vector[block]) == pytest.approx(1.0, abs=1e-5)
    assert a.timbre is not None and a.timbre.shape == (embedder.layout.timbre_dim,)
    assert np.array_equal(a.vector, b.vector)
    assert a.genre_probs.shape == (len(embedder.genres),)
    assert a.genre_probs.sum() == pytest.approx(1.0, abs=1e-4)
    assert a.genre in [*embedder.genres, ""] and a.mood in embedder.moods
    assert embedder.model_id.startswith("cnn_lstm@") and embedder.device == "CPU"


def test_embed_many_batches_tracks_and_reports_bad_files_in_place(embedder, tmp_path):
    good = [write_audio(tmp_path / f"t{i}.wav", noise(4.0, seed=i)) for i in range(3)]
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"\0garbage" * 200)
    results = embedder.embed_many([good[0], bad, good[1], good[2]])
    assert isinstance(results[1], AudioDecodeError)
    single = embedder.embed(good[1])
    assert np.allclose(results[2].vector, single.vector, atol=1e-5)
    with pytest.raises(AudioDecodeError):
        embedder.embed(bad)


def test_embed_many_keeps_order_across_chunks(embedder, tmp_path, monkeypatch):
    from fmaplayer.ml import embedder as embedder_mod

    monkeypatch.setattr(embedder_mod, "TRACKS_PER_CHUNK", 2)  # 5 tracks -> chunks of 2, 2, 1
    sounds = [noise(4.0, seed=1), tone(4.0, 220.0), noise(4.0, seed=2), tone(4.0, 1760.0), tone(4.0, 440.0)]
    paths = [write_audio(tmp_path / f"c{i}.wav", y) for i, y in enumerate(sounds)]
    many = embedder.embed_many(paths)
    for path, result in zip(paths, many, strict=True):
        assert np.allclose(result.vector, embedder.embed(path).vector, atol=1e-5)
    assert not np.allclose(many[0].vector, many[1].vector, atol=1e-3)


def _copy_model(tmp_path):
    src = manifest.bundled_model_path()
    dst = tmp_path / "m.keras"
    shutil.copy(src, dst)
    shutil.copy(manifest.manifest_path_for(src), tmp_path / "m.json")
    return dst


def test_damaged_model_file_is_a_clear_error(embedder, tmp_path):
    from fmaplayer.ml.embedder import Embedder

    dst = _copy_model(tmp_path)
    data = bytearray(dst.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dst.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="damaged"):
        Embedder(dst)


def test_missing_model_and_wrong_keras_version(embedder, tmp_path):
    from fmaplayer.ml.embedder import Embedder

    with pytest.raises(ModelLoadError, match="not found"):
        Embedder(tmp_path / "none.keras")
    dst = _copy_model(tmp_path)
    m = json.loads((tmp_path / "m.json").read_text())
    m["keras_version"] = "2.15.0"
    (tmp_path / "m.json").write_text(json.dumps(m))
    with pytest.raises(ModelLoadError, match="Keras 2.15.0"):
        Embedder(dst)


def test_genre_is_named_only_above_the_manifest_threshold(embedder, tmp_path):
    from fmaplayer.ml.embedder import Embedder

    path = write_audio(tmp_path / "n.wav", noise(4.0, seed=5))
    dst = _copy_model(tmp_path)
    m = json.loads((tmp_path / "m.json").read_text())
    named = Embedder(dst).embed(path)
    m["genre_threshold"] = 1.01       # no probability reaches it: the genre is left unnamed
    (tmp_path / "m.json").write_text(json.dumps(m))
    unnamed = Embedder(dst).embed(path)
    assert unnamed.genre == "" and np.allclose(unnamed.genre_probs, named.genre_probs)
    m["genre_threshold"] = 0.0
    (tmp_path / "m.json").write_text(json.dumps(m))
    assert Embedder(dst).embed(path).genre == embedder.genres[int(np.argmax(named.genre_probs))]


def test_bundled_manifest_carries_the_calibration_of_the_distilled_model():
    m = manifest.load_manifest(manifest.bundled_model_path())
    centre = np.asarray(m["embedding"]["centre"], np.float32)
    assert centre.shape == (m["embedding"]["dim"],) and 0.3 < np.linalg.norm(centre) <= 1.0
    assert 0.0 <= m["genre_threshold"] < 1.0
    assert m["version"].split(".")[0] == "2" and m["training"]["teacher"]["licence"] == "ISC"


@pytest.mark.integration
def test_a_manifest_naming_fewer_genres_than_the_model_gives_is_reported(tmp_path):
    from fmaplayer.ml.embedder import Embedder
    from tests.audio_fixtures import write_tone

    bundled = manifest.bundled_model_path()
    for f in bundled.parent.glob("cnn_lstm.*"):
        shutil.copy(f, tmp_path / f.name)
    path = manifest.manifest_path_for(tmp_path / bundled.name)
    data = json.loads(path.read_text())
    data["genres"] = data["genres"][:2]
    data.pop("genre_head", None)
    path.write_text(json.dumps(data))
    embedder = Embedder(tmp_path / bundled.name, device="cpu")
    with pytest.raises(ModelLoadError, match="names 2 genres"):
        embedder.embed(write_tone(tmp_path / "t.wav", seconds=3.0))
