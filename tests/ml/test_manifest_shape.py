"""Issue 20 item 10: a manifest that is valid JSON of the wrong shape says "the model's manifest is damaged"
(ModelLoadError) wherever it is read, instead of a TypeError / IndexError traceback further on."""

import argparse
import json

import pytest

from fmaplayer.errors import ModelLoadError
from fmaplayer.ml import manifest as manifest_mod

BUNDLED = manifest_mod.manifest_path_for(manifest_mod.bundled_model_path())


def _bundled() -> dict:
    return json.loads(BUNDLED.read_text(encoding="utf-8"))


def _changed(**fields) -> str:
    data = _bundled()
    for key, value in fields.items():
        section, _, name = key.partition("__")
        if name:
            data[section][name] = value
        else:
            data[key] = value
    return json.dumps(data)


DAMAGED = {
    "null": ("null", "expected a JSON object, found null"),
    "number": ("123", "expected a JSON object, found int"),
    "list": ("[]", "expected a JSON object, found list"),
    "missing": (json.dumps({"name": "x"}), "it lacks version"),
    "genres empty": (_changed(genres=[]), "genres is empty"),
    "genres text": (_changed(genres="Rock"), "genres is not a list of names"),
    "genres numbers": (_changed(genres=[1, 2]), "genres is not a list of names"),
    "moods null": (_changed(moods=None), "moods is not a list of names"),
    "sha256 number": (_changed(sha256=5), "sha256 is not a text"),
    "name object": (_changed(name={}), "name is not a text"),
    "input text": (_changed(input="22050"), "input is not an object"),
    "slices text": (_changed(input__slices_per_track="8"), "input.slices_per_track is not a positive"),
    "embedding list": (_changed(embedding=[32]), "embedding is not an object"),
    "dim text": (_changed(embedding__dim="32"), "embedding.dim is not a positive whole number"),
    "dim bool": (_changed(embedding__dim=True), "embedding.dim is not a positive whole number"),
    "centre text": (_changed(embedding__centre="0"), "embedding.centre is not a list of numbers"),
    "threshold text": (_changed(genre_threshold="high"), "genre_threshold is not a number"),
    "runtimes list": (_changed(runtimes=[1]), "runtimes is not an object of objects"),
    "runtime sha number": (_changed(runtimes={"litert": {"file": "x", "sha256": 1}}),
                           "runtimes.litert.sha256 is not a text"),
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_wrong_shapes_are_a_damaged_manifest(tmp_path, case):
    text, reason = DAMAGED[case]
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelLoadError) as raised:
        manifest_mod.load_manifest(path)
    assert str(raised.value).startswith(f"the model's manifest {path} is damaged: ")
    assert reason in str(raised.value)


def test_a_manifest_nested_50000_deep_is_unreadable_not_a_recursion_error(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("[" * 50_000 + "]" * 50_000, encoding="utf-8")
    with pytest.raises(ModelLoadError, match="is unreadable"):
        manifest_mod.load_manifest(path)


def test_the_bundled_manifest_has_the_right_shape():
    assert manifest_mod.manifest_problem(_bundled()) is None


@pytest.fixture
def damaged_bundled_model(tmp_path, monkeypatch):
    """A models folder whose manifest says genres: [] (the weights are never reached)."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "cnn_lstm.keras").write_bytes(b"never read")
    (models / "cnn_lstm.json").write_text(_changed(genres=[]), encoding="utf-8")
    monkeypatch.setattr(manifest_mod, "models_dir", lambda: models)
    return models


def test_self_test_says_the_manifest_is_damaged(damaged_bundled_model, capsys):
    from fmaplayer.cli import self_test

    parser = argparse.ArgumentParser()
    self_test.add_arguments("self-test", parser)
    assert self_test.run("self-test", parser.parse_args(["--device", "cpu"])) == 1
    out = capsys.readouterr().out.strip()
    assert out.startswith("self-test FAILED: ModelLoadError: the model's manifest ")
    assert out.endswith("is damaged: genres is empty") and "IndexError" not in out


def test_scan_says_the_manifest_is_damaged(damaged_bundled_model, tmp_path, capsys):
    from fmaplayer.cli import library_commands
    from tests.audio_fixtures import write_tone

    write_tone(tmp_path / "music" / "a.wav", seconds=0.3)
    parser = argparse.ArgumentParser()
    library_commands.add_arguments("scan", parser)
    args = parser.parse_args([str(tmp_path / "music"), "--db", str(tmp_path / "lib.db")])
    code = library_commands.run("scan", args)
    captured = capsys.readouterr()
    assert code != 0 and "Traceback" not in captured.err
    assert "is damaged: genres is empty" in captured.err + captured.out
