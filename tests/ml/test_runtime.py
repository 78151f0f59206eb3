"""Forward-pass runtimes: one parity suite runs over every runtime that loads (like the output backends'
shared contract suite), then how the Embedder chooses one and falls back.

The reference is the Keras model itself (the `tensorflow` runtime). Slices come from audio the tests
generate (tones, noise, a rhythm) through the real feature pipeline; one test also reads real clips from
../shared/data when it is there (skipped with the reason when absent; only read, never copied).
"""

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fmaplayer.errors import ModelLoadError
from fmaplayer.ml import features, manifest, runtime
from tests.audio_fixtures import tone
from tests.audio_generated import noise, write_audio

pytestmark = pytest.mark.integration

RUNTIMES = ("tensorflow", "litert", "onnxruntime")
SHARED_AUDIO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mer4q" / "audio"
MIN_COSINE = 0.999
PROB_ATOL = 2e-3
# The int8 dynamic-range LiteRT export: its largest genre-probability difference on 995 real slices was
# 0.015 (README "Runtimes"); the embedding's cosine rule is the same as for the float exports.
QUANTISED_PROB_ATOL = 0.03


def _rhythm(seconds: float, bpm: float, seed: int) -> np.ndarray:
    """Noise bursts on the beat over a low tone: something with onsets, like music."""
    sr = 22050
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(seed)
    beat = (np.mod(t, 60.0 / bpm) < 0.05).astype(np.float32)
    return (0.25 * np.sin(2 * np.pi * 110 * t) + 0.5 * beat * rng.standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def model():
    path = manifest.bundled_model_path()
    if not path.exists():
        pytest.skip("no bundled model in models/")
    return path, manifest.load_manifest(path)


@pytest.fixture(scope="module")
def slices(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runtime-audio")
    sounds = [tone(30.0, 220.0), tone(30.0, 1760.0), noise(30.0, seed=3), _rhythm(30.0, 120, 1),
              _rhythm(30.0, 90, 2), tone(30.0, 440.0) + noise(30.0, seed=4, amp=0.05)]
    paths = [write_audio(folder / f"s{i}.wav", y) for i, y in enumerate(sounds)]
    return [features.track_slices(p, 10) for p in paths]   # per track: (n, 128, 128, 1) dB


@pytest.fixture(scope="module")
def keras_runtime(model):
    return _load_or_skip("tensorflow", model)


def _load_or_skip(name, model):
    try:
        return runtime.load_one(name, *model, device="cpu")
    except runtime.RuntimeUnavailable as exc:
        pytest.skip(f"{name} does not load here: {exc}")


@pytest.fixture(scope="module", params=RUNTIMES)
def any_runtime(request, model):
    return _load_or_skip(request.param, model)


def _cosines(a, b):
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-30)


def _track_vector(emb):
    v = emb.astype(np.float64).mean(axis=0)
    return v / np.linalg.norm(v)


def _padded(x, size):
    return np.concatenate([x, np.zeros((size - len(x), *x.shape[1:]), np.float32)])


def _assert_parity(rt, reference, tracks):
    atol = QUANTISED_PROB_ATOL if "int8" in rt.name else PROB_ATOL
    for track in tracks:
        x = _padded(track, 16)
        emb, genre, mood = rt.run(x)
        ref_emb, ref_genre, ref_mood = reference.run(x)
        n = len(track)
        live = np.linalg.norm(ref_emb[:n], axis=1) > 1e-6   # an all-zero ReLU row has no direction
        assert _cosines(emb[:n][live], ref_emb[:n][live]).min() >= MIN_COSINE
        assert float(_track_vector(emb[:n]) @ _track_vector(ref_emb[:n])) >= MIN_COSINE
        np.testing.assert_allclose(genre[:n], ref_genre[:n], atol=atol)
        np.testing.assert_allclose(mood[:n], ref_mood[:n], atol=atol)
        assert genre[:n].mean(axis=0).argmax() == ref_genre[:n].mean(axis=0).argmax()  # the track's genre


# -- the contract every runtime meets ------------------------------------------------------------------
def test_outputs_have_the_manifest_shapes_and_are_probabilities(any_runtime, model, slices):
    _, m = model
    emb, genre, mood = any_runtime.run(_padded(slices[0], 16))
    assert emb.shape == (16, m["embedding"]["dim"]) and emb.dtype == np.float32
    assert genre.shape == (16, len(m["genres"])) and mood.shape == (16, len(m["moods"]))
    np.testing.assert_allclose(genre.sum(axis=1), 1.0, atol=1e-4)
    np.testing.assert_allclose(mood.sum(axis=1), 1.0, atol=1e-4)
    assert any_runtime.device == "CPU" and any_runtime.name


def test_embeddings_and_probabilities_match_the_keras_model(any_runtime, keras_runtime, slices):
    _assert_parity(any_runtime, keras_runtime, slices)


def test_a_slice_gives_the_same_outputs_in_any_batch_size(any_runtime, slices):
    x = np.concatenate(slices)[:64]
    big = any_runtime.run(x)
    small = any_runtime.run(x[:8])
    for a, b in zip(big, small, strict=True):
        np.testing.assert_allclose(a[:8], b, atol=1e-5)
    assert not np.allclose(big[0][0], big[0][-1], atol=1e-3)   # different audio, different vectors


@pytest.mark.shared_data
@pytest.mark.skipif(not SHARED_AUDIO.is_dir(),
                    reason=f"{SHARED_AUDIO} is absent (research data, not in the repository)")
def test_parity_on_real_clips(any_runtime, keras_runtime):
    clips = sorted(SHARED_AUDIO.glob("*/*.mp3"))[::75][:12]   # 12 clips spread over the four quadrants
    assert len(clips) >= 8
    _assert_parity(any_runtime, keras_runtime, [features.track_slices(p, 10) for p in clips])


# -- choosing and falling back -------------------------------------------------------------------------
def _copy_model(tmp_path, model):
    src, _ = model
    for suffix in (".keras", ".json", ".tflite", ".onnx"):
        if src.with_suffix(suffix).exists():
            shutil.copy(src.with_suffix(suffix), tmp_path / f"m{suffix}")
    m = json.loads((tmp_path / "m.json").read_text())
    for entry in (m.get("runtimes") or {}).values():
        entry["file"] = "m" + Path(entry["file"]).suffix
    (tmp_path / "m.json").write_text(json.dumps(m))
    return tmp_path / "m.keras"


def _need(*names):
    for name in names:
        module = {"litert": "ai_edge_litert", "onnxruntime": "onnxruntime", "tensorflow": "tensorflow"}[name]
        pytest.importorskip(module, reason=f"{name} is not installed")


def test_cpu_choice_is_litert_without_measuring(model, monkeypatch):
    _need("litert", "onnxruntime")
    monkeypatch.setattr(runtime, "_chosen_here", {})

    def no_measuring(*args, **kwargs):
        raise AssertionError("measured without being asked to")

    monkeypatch.setattr(runtime, "calibrate", no_measuring)
    rt = runtime.load_runtime(*model, device="cpu")
    assert runtime.CPU_ORDER[0] == "litert" and rt.name.startswith("LiteRT") and rt.choice
    assert not runtime.cache_path().exists()


def test_calibration_measures_once_then_caches_per_cpu_model_and_versions(model, monkeypatch):
    _need("litert", "onnxruntime")
    monkeypatch.setattr(runtime, "_chosen_here", {})
    monkeypatch.setenv(runtime.CALIBRATE_ENV, "on")
    rt = runtime.load_runtime(*model, device="cpu")
    assert rt.choice.startswith("measured fastest on this CPU:")
    data = json.loads(runtime.cache_path().read_text())
    (entry,) = data["choices"].values()
    assert entry["chosen"] in runtime.LIGHT and rt.name.startswith(_LABEL[entry["chosen"]])
    assert set(entry["slices_per_s"]) == set(runtime.LIGHT) and not entry["rejected"]
    assert all(c >= runtime.MIN_COSINE for c in entry["min_cosine"].values())
    assert entry["key"]["cpu"]["flags"] and entry["key"]["model"] == manifest.model_id(model[1])
    assert set(entry["key"]["versions"]) == set(runtime.LIGHT)

    def no_measuring(*args, **kwargs):
        raise AssertionError("calibrated again")

    monkeypatch.setattr(runtime, "calibrate", no_measuring)
    monkeypatch.setattr(runtime, "_chosen_here", {})   # a new process: only the cache file remembers
    again = runtime.load_runtime(*model, device="cpu")
    assert again.name == rt.name and again.choice.startswith("measured fastest on this CPU earlier")


_LABEL = {"litert": "LiteRT", "onnxruntime": "ONNX Runtime"}


def test_every_choosable_variant_passes_the_parity_check_it_is_chosen_by(model, keras_runtime):
    _need("litert", "onnxruntime")
    loaded = {name: runtime.load_one(name, *model) for name in runtime.LIGHT}
    x = runtime.calibration_slices()
    result = runtime.calibrate(loaded, model[1], x, budget_s=0.0)
    assert not result["rejected"] and result["chosen"] in runtime.LIGHT
    assert min(result["min_cosine"].values()) >= runtime.MIN_COSINE
    reference = keras_runtime.run(x)[0]   # and the calibration slices against Keras itself
    for rt in loaded.values():
        assert _cosines(rt.run(x)[0], reference).min() >= MIN_COSINE


class _FakeRuntime:
    """Outputs fixed embeddings; each run advances the fake clock by its cost."""

    def __init__(self, clock, cost, emb):
        self.clock, self.cost, self.emb, self.choice = clock, cost, emb, ""

    def run(self, batch):
        self.clock[0] += self.cost
        return self.emb[: len(batch)], None, None


@pytest.fixture
def fake_clock():
    return [0.0]


_MANIFEST = {"runtimes": {"litert": {"variant": "int8 dynamic-range", "export_check_min_cosine": 0.99998},
                          "onnxruntime": {"variant": "float32", "export_check_min_cosine": 1.0}}}


def test_calibration_chooses_the_faster_and_keeps_the_first_on_a_tie(fake_clock):
    rng = np.random.default_rng(0)
    emb = np.abs(rng.standard_normal((16, 32))).astype(np.float32)
    x = np.zeros((16, 128, 128, 1), np.float32)
    near = emb + 1e-4 * rng.standard_normal(emb.shape).astype(np.float32)

    def pick(litert_cost, onnx_cost):
        fakes = {"litert": _FakeRuntime(fake_clock, litert_cost, near),
                 "onnxruntime": _FakeRuntime(fake_clock, onnx_cost, emb)}
        return runtime.calibrate(fakes, _MANIFEST, x, clock=lambda: fake_clock[0])

    slower = pick(0.30, 0.20)
    assert slower["chosen"] == "onnxruntime" and slower["slices_per_s"]["onnxruntime"] == 80.0
    assert pick(0.20, 0.30)["chosen"] == "litert"
    assert pick(0.200, 0.185)["chosen"] == "litert"   # within TIE_MARGIN: the first in LIGHT stays
    result = pick(0.2, 0.3)
    assert result["min_cosine"]["litert"] >= runtime.MIN_COSINE and result["min_cosine"]["onnxruntime"] == 1.0


def test_a_variant_that_fails_the_parity_check_is_never_chosen_however_fast(fake_clock):
    rng = np.random.default_rng(1)
    emb = np.abs(rng.standard_normal((16, 32))).astype(np.float32)
    wrong = np.abs(rng.standard_normal((16, 32))).astype(np.float32)
    x = np.zeros((16, 128, 128, 1), np.float32)
    fakes = {"litert": _FakeRuntime(fake_clock, 0.01, wrong),
             "onnxruntime": _FakeRuntime(fake_clock, 0.5, emb)}
    result = runtime.calibrate(fakes, _MANIFEST, x, clock=lambda: fake_clock[0])
    assert result["chosen"] == "onnxruntime" and "slice cosine" in result["rejected"]["litert"]
    failed_export = {"runtimes": {**_MANIFEST["runtimes"],
                                  "litert": {"variant": "int8", "export_check_min_cosine": 0.995}}}
    fakes["litert"].emb = emb
    assert runtime.calibrate(fakes, failed_export, x, clock=lambda: fake_clock[0])["chosen"] == "onnxruntime"


def test_the_cache_key_follows_the_cpu_the_model_and_the_runtime_versions(model, monkeypatch):
    _, m = model
    key, what = runtime.calibration_key(m, 2)
    assert what["cpu"]["cores"] and what["model"] == manifest.model_id(m)
    assert runtime.calibration_key(m, 2)[0] == key
    assert runtime.calibration_key(m, 1)[0] != key
    other = {**m, "runtimes": {**m["runtimes"], "litert": {**m["runtimes"]["litert"], "sha256": "f" * 64}}}
    assert runtime.calibration_key(other, 2)[0] != key
    sig = runtime.cpu_signature()
    avx2_only = [f for f in sig["flags"] if not f.startswith("AVX512")] + ["X"]
    monkeypatch.setattr(runtime, "cpu_signature", lambda: {**sig, "flags": avx2_only})
    assert runtime.calibration_key(m, 2)[0] != key
    monkeypatch.setattr(runtime, "_dist_version", lambda name: "0.0.1")
    assert runtime.calibration_key(m, 2)[0] != key


def test_a_damaged_cache_is_measured_again(model, monkeypatch):
    _need("litert", "onnxruntime")
    monkeypatch.setattr(runtime, "_chosen_here", {})
    monkeypatch.setenv(runtime.CALIBRATE_ENV, "on")
    path = runtime.cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    rt = runtime.load_runtime(*model, device="cpu")
    assert rt.choice.startswith("measured fastest on this CPU:")
    assert json.loads(path.read_text())["choices"]


def test_the_light_cpu_path_never_imports_tensorflow(model, tmp_path):
    _need("litert")
    path = write_audio(tmp_path / "t.wav", tone(8.0))
    code = ("import sys; from fmaplayer.ml.embedder import Embedder; e = Embedder(device='auto'); "
            f"r = e.embed({str(path)!r}); "
            "print(e.runtime, r.vector.shape[0], 'tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-3:] == ["61", "False", "False"]   # style 32 | timbre 26 | tempo 3
    assert out.stdout.startswith("LiteRT")


def test_a_damaged_exported_file_falls_back_to_the_next_runtime_with_a_log_line(model, tmp_path, caplog,
                                                                               monkeypatch):
    _need("litert", "onnxruntime")
    monkeypatch.setattr(runtime, "_chosen_here", {})   # not what an earlier test measured in this process
    dst = _copy_model(tmp_path, model)
    data = bytearray((tmp_path / "m.tflite").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "m.tflite").write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="fmaplayer.ml.runtime"):
        rt = runtime.load_runtime(dst, manifest.load_manifest(dst), device="cpu")
    assert rt.name.startswith("ONNX Runtime")
    assert any("litert" in r.message and "damaged" in r.message for r in caplog.records)


def test_missing_and_stale_exports_fall_back_to_tensorflow(model, tmp_path, caplog, monkeypatch):
    _need("tensorflow")
    monkeypatch.setattr(runtime, "_chosen_here", {})
    dst = _copy_model(tmp_path, model)
    (tmp_path / "m.onnx").unlink(missing_ok=True)
    m = json.loads((tmp_path / "m.json").read_text())
    if "litert" in m.get("runtimes", {}):
        m["runtimes"]["litert"]["source_sha256"] = "0" * 64   # exported from earlier weights
    (tmp_path / "m.json").write_text(json.dumps(m))
    with caplog.at_level(logging.WARNING, logger="fmaplayer.ml.runtime"):
        rt = runtime.load_runtime(dst, manifest.load_manifest(dst), device="cpu")
    assert rt.name.startswith("TensorFlow")
    messages = " ".join(r.message for r in caplog.records)
    assert "onnxruntime" in messages and "litert" in messages


def test_a_named_runtime_is_used_or_is_a_clear_error(model, monkeypatch):
    with pytest.raises(ModelLoadError, match="unknown runtime 'tpu'"):
        runtime.load_runtime(*model, runtime="tpu")
    _need("onnxruntime")
    monkeypatch.setenv(runtime.RUNTIME_ENV, "onnxruntime")
    assert runtime.load_runtime(*model, device="cpu").name.startswith("ONNX Runtime")


def test_with_a_cuda_driver_tensorflow_is_tried_first(model, monkeypatch):
    tried = []

    def fake_load(name, *args, **kwargs):
        tried.append(name)
        raise runtime.RuntimeUnavailable("not here")

    monkeypatch.setattr(runtime, "cuda_gpu_present", lambda: True)
    monkeypatch.setattr(runtime, "load_one", fake_load)
    monkeypatch.setattr(runtime, "_chosen_here", {})
    with pytest.raises(ModelLoadError, match="no runtime can run the model"):
        runtime.load_runtime(*model, device="auto")
    assert tried == ["tensorflow-gpu", *runtime.CPU_ORDER]
    tried.clear()
    with pytest.raises(ModelLoadError):
        runtime.load_runtime(*model, device="cpu")   # "CPU only" in Settings: no GPU attempt
    assert tried == list(runtime.CPU_ORDER)


def test_the_shipped_exports_belong_to_the_shipped_weights(model):
    """Re-training without `python -m fmaplayer.training.export --runtimes` would fall back to TensorFlow."""
    path, m = model
    assert set(m["runtimes"]) == {"litert", "onnxruntime"}
    for name, entry in m["runtimes"].items():
        assert entry["source_sha256"] == m["sha256"], f"{name}: re-export after changing the weights"
        assert manifest.sha256_of(path.parent / entry["file"]) == entry["sha256"]
        assert (path.parent / entry["file"]).stat().st_size < 16 * 2**20
