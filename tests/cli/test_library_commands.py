"""`fmaplayer scan` / `fmaplayer similar` with a fake embedder, called in-process (the real-model run is in
test_cli_integration.py)."""

import argparse
import json

import numpy as np
import pytest

from fmaplayer.cli import library_commands as cli_commands
from fmaplayer.recommend.calibration import match_percent
from tests.audio_fixtures import write_tone
from tests.recommend.fakes import FakeEmbedder


def _args(name, argv):
    parser = argparse.ArgumentParser()
    cli_commands.add_arguments(name, parser)
    return parser.parse_args(argv)


@pytest.fixture
def library(tmp_path):
    music = tmp_path / "music"
    angles = {"a0": 0, "a10": 10, "a20": 20, "a45": 45, "a90": 90}
    for i, name in enumerate(angles):
        write_tone(music / f"{name}.wav", seconds=0.3, freq=200 + 50 * i,
                   tags={"title": name.upper(), "artist": "Gen"})
    write_tone(music / "bad-analysis.wav", seconds=0.3)                 # decodes, but the model fails on it
    (music / "broken.flac").write_bytes(b"not audio at all")            # the scanner rejects it
    vectors = {k: [np.cos(np.deg2rad(a)), np.sin(np.deg2rad(a))] for k, a in angles.items()}
    genres = {"a0": "Rock", "a10": "Pop", "a20": "Pop", "a45": "Rock", "a90": "Folk"}
    embedder = FakeEmbedder(vectors=vectors, genres=genres, dim=2)
    return music, tmp_path / "lib.db", embedder


def test_scan_reports_summary_on_stdout(library, capsys):
    music, db, embedder = library
    code = cli_commands.run("scan", _args("scan", [str(music), "--db", str(db)]), lambda device: embedder)
    out = capsys.readouterr().out
    assert code == 0
    assert "tracks: 7 (added 7" in out
    assert "embedded: 5 of 6 readable (5 this run" in out
    assert "unreadable: 2" in out and "broken.flac" in out and "bad-analysis.wav: bad-analysis.wav" in out
    assert "tracks/s:" in out and "device: CPU" in out
    # a second scan changes nothing and analyses nothing
    assert cli_commands.run("scan", _args("scan", [str(music), "--db", str(db)]), lambda d: embedder) == 0
    assert "(0 this run" in capsys.readouterr().out


def test_scan_no_embed_and_missing_folder(library, capsys):
    music, db, embedder = library
    assert cli_commands.run("scan", _args("scan", [str(music), "--db", str(db), "--no-embed"]),
                            lambda d: pytest.fail("no model wanted")) == 0
    assert "embedded: skipped" in capsys.readouterr().out
    assert cli_commands.run("scan", _args("scan", [str(music / "nope"), "--db", str(db)])) == 2


def test_similar_json_and_modes(library, capsys):
    music, db, embedder = library
    cli_commands.run("scan", _args("scan", [str(music), "--db", str(db), "--no-embed"]), None)
    capsys.readouterr()
    # nothing analysed yet: the anchor is embedded on demand, the rest are not comparable yet
    code = cli_commands.run("similar", _args("similar", [str(music / "a0.wav"), "--db", str(db), "--json"]),
                            lambda d: embedder)
    captured = capsys.readouterr()
    assert code == 0 and json.loads(captured.out) == [] and "0 of" not in captured.err
    cli_commands.run("scan", _args("scan", [str(music), "--db", str(db)]), lambda d: embedder)
    capsys.readouterr()
    argv = [str(music / "a0.wav"), "--db", str(db), "-n", "3", "--json"]
    assert cli_commands.run("similar", _args("similar", argv), lambda d: embedder) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["title"] for r in rows] == ["A10", "A20", "A45"]
    assert set(rows[0]) == {"path", "title", "artist", "score", "match_percent", "genre"}
    # the score is the library-centred cosine; match_percent is what the app's panel shows for it
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert rows[0]["match_percent"] == round(match_percent(rows[0]["score"]), 1) and rows[0]["genre"] == "Pop"
    assert cli_commands.run("similar", _args("similar", [*argv, "--mode", "genre"]), lambda d: embedder) == 0
    assert [r["title"] for r in json.loads(capsys.readouterr().out)] == ["A45", "A10", "A20"]
    assert cli_commands.run("similar", _args("similar", argv[:-1]), lambda d: embedder) == 0
    assert "A10" in capsys.readouterr().out.splitlines()[0]
    # variety: every track is by "Gen", so the caps cannot be met and the list keeps its order and length
    varied = [*argv, "--max-per-artist", "1", "--max-per-album", "1"]
    assert cli_commands.run("similar", _args("similar", varied), lambda d: embedder) == 0
    assert [r["title"] for r in json.loads(capsys.readouterr().out)] == ["A10", "A20", "A45"]


def test_similar_for_a_file_outside_the_library(library, tmp_path, capsys):
    music, db, embedder = library
    cli_commands.run("scan", _args("scan", [str(music), "--db", str(db)]), lambda d: embedder)
    outside = write_tone(tmp_path / "elsewhere" / "a20.wav", seconds=0.4)    # same name -> same fake vector
    capsys.readouterr()
    argv = [str(outside), "--db", str(db), "-n", "2", "--json"]
    assert cli_commands.run("similar", _args("similar", argv), lambda d: embedder) == 0
    captured = capsys.readouterr()
    assert "not in the library" in captured.err
    assert [r["title"] for r in json.loads(captured.out)] == ["A20", "A10"]    # different size: not a copy


def test_similar_on_an_analysed_track_answers_without_loading_the_model(tmp_path):
    """The bundled model's id comes from its manifest; TensorFlow is imported only to analyse."""
    import subprocess
    import sys

    from fmaplayer.library.store import EmbeddingRow
    from fmaplayer.ml import manifest
    from tests.recommend.fakes import add_tracks, make_store

    store = make_store(tmp_path / "lib.db")
    music = tmp_path / "music"
    music.mkdir()
    paths = [write_tone(music / f"t{i}.wav", seconds=1.0, freq=220.0 * (i + 1)) for i in range(4)]
    tracks = add_tracks(store, [p.stem for p in paths], folder=str(music), suffix=".wav")
    model_id = manifest.model_id(manifest.load_manifest(manifest.bundled_model_path()))
    rng = np.random.default_rng(0)
    store.save_embeddings(model_id, [EmbeddingRow(t.id, rng.normal(size=32).astype(np.float32), "Jazz")
                                     for t in tracks])
    code = ("import sys; from fmaplayer import cli; "
            "rc = cli.main(['similar', sys.argv[1], '--db', sys.argv[2], '--json', '-n', '2']); "
            "print('TF' if 'tensorflow' in sys.modules else 'noTF'); sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code, str(music / "t0.wav"), str(tmp_path / "lib.db")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout.strip().splitlines()
    assert out[-1] == "noTF" and len(json.loads("\n".join(out[:-1]))) == 2


def test_scan_keeps_the_tracks_of_an_unplugged_drive_and_says_so(tmp_path, capsys):
    """A library folder that is a link to another drive: the drive goes away, the scan keeps its tracks
    and their analysis, says how many in one line instead of listing each as unreadable."""
    drive, music = tmp_path / "drive", tmp_path / "music"
    (music / "local").mkdir(parents=True)
    write_tone(music / "local" / "here.wav", seconds=0.3)
    for name in ("x", "y"):
        write_tone(drive / f"{name}.wav", seconds=0.3, freq=300)
    (music / "on-drive").symlink_to(drive, target_is_directory=True)
    db, embedder = tmp_path / "lib.db", FakeEmbedder(dim=4)
    assert cli_commands.run("scan", _args("scan", [str(music), "--db", str(db)]), lambda d: embedder) == 0
    capsys.readouterr()
    drive.rename(tmp_path / "unplugged")
    assert cli_commands.run("scan", _args("scan", [str(music), "--db", str(db)]), lambda d: embedder) == 0
    out = capsys.readouterr().out
    assert "tracks: 3 (added 0, updated 0, removed 0" in out
    assert "unavailable: 2 kept with their analysis" in out
    assert "unreadable: 0" in out and "x.wav" not in out
    assert "embedded: 3 of 3 readable (0 this run" in out
    (tmp_path / "unplugged").rename(drive)
    assert cli_commands.run("scan", _args("scan", [str(music), "--db", str(db)]), lambda d: embedder) == 0
    out = capsys.readouterr().out
    assert "available again: 2" in out and "(0 this run" in out     # back without a re-analysis
    assert "unavailable" not in out                                  # nothing is, now

