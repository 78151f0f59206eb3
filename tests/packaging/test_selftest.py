"""`fmaplayer self-test`: a fake embedder for the verdicts, the real bundled model as an integration test."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from fmaplayer.cli import self_test as selftest

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_MODEL = ROOT / "models" / "cnn_lstm.keras"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    selftest.add_arguments("self-test", parser)
    return parser.parse_args(list(argv))


def install_fake_embedder(monkeypatch, vector, error: Exception | None = None):
    class FakeEmbedder:
        model_id = "fake@1"
        device = "CPU"

        def __init__(self, model_path=None, device="auto"):
            if error is not None:
                raise error
            self.dim = len(vector)
            self.args = (model_path, device)

        def embed(self, path):
            assert Path(path).stat().st_size > 5 * 22050  # the generated tone was written
            return types.SimpleNamespace(vector=np.asarray(vector, dtype=np.float32), genre="Rock")

    module = types.ModuleType("fmaplayer.ml.embedder")
    module.Embedder = FakeEmbedder
    monkeypatch.setitem(sys.modules, "fmaplayer.ml.embedder", module)


def test_ok_for_a_unit_vector(monkeypatch, capsys):
    install_fake_embedder(monkeypatch, [0.6, 0.8, 0.0])
    assert selftest.run("self-test", parse("--device", "cpu")) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("self-test OK: model fake@1 on CPU") and "\n" not in out


@pytest.mark.parametrize("vector", [[1.0, 1.0], [np.nan, 1.0], [0.0, 0.0]])
def test_fails_for_a_bad_vector(monkeypatch, capsys, vector):
    install_fake_embedder(monkeypatch, vector)
    assert selftest.run("self-test", parse()) == 1
    assert capsys.readouterr().out.startswith("self-test FAILED: model fake@1")


def test_fails_with_the_reason_when_the_model_does_not_load(monkeypatch, capsys):
    from fmaplayer.errors import ModelLoadError

    install_fake_embedder(monkeypatch, [1.0], error=ModelLoadError("sha256 mismatch"))
    assert selftest.run("self-test", parse("--model", "/nowhere.keras")) == 1
    assert capsys.readouterr().out.strip() == "self-test FAILED: ModelLoadError: sha256 mismatch"


def test_tone_is_five_seconds_and_not_silent(tmp_path):
    import soundfile as sf

    y, sr = sf.read(str(selftest.write_test_tone(tmp_path / "t.wav")))
    assert sr == 22050 and len(y) == 5 * 22050
    assert 0.5 < np.max(np.abs(y)) <= 1.0


@pytest.mark.integration
@pytest.mark.skipif(not BUNDLED_MODEL.is_file(), reason="models/cnn_lstm.keras is not there yet")
def test_self_test_subcommand_with_the_bundled_model():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, "-m", "fmaplayer", "self-test", "--device", "cpu"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert result.stdout.startswith("self-test OK: model cnn_lstm@"), result.stdout


BUNDLE = ROOT / "dist" / "fmaplayer" / ("fmaplayer.exe" if sys.platform == "win32" else "fmaplayer")


@pytest.mark.integration
@pytest.mark.skipif(not BUNDLE.is_file(), reason="no built bundle in dist/fmaplayer (run `make package`)")
def test_built_bundle_reports_its_version_headless():
    from fmaplayer import __version__

    result = subprocess.run([str(BUNDLE), "--version"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == f"fmaplayer {__version__}"
