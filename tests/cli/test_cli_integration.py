"""The real bundled model through `fmaplayer scan` and `fmaplayer similar --json` (subprocesses)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.audio_fixtures import write_tone

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "cnn_lstm.keras"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not MODEL.is_file(), reason="bundled model models/cnn_lstm.keras not trained yet"),
]


def _fmaplayer(*argv, timeout=300):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run([sys.executable, "-m", "fmaplayer", *argv], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_scan_then_similar_json_with_the_real_model(tmp_path):
    music = tmp_path / "music"
    for i, (freq, fmt) in enumerate([(220, ".wav"), (233, ".flac"), (440, ".ogg"), (880, ".wav"),
                                     (1760, ".flac"), (247, ".mp3")]):
        write_tone(music / f"tone{i}{fmt}", seconds=5.0, freq=freq,
                   tags={"title": f"Tone {i}", "artist": "Generator"})
    (music / "garbage.wav").write_bytes(b"RIFF....WAVEfmt nope")
    db = tmp_path / "lib.db"

    scan = _fmaplayer("scan", str(music), "--db", str(db), "--device", "cpu")
    assert scan.returncode == 0, scan.stderr[-3000:]
    assert "tracks: 7" in scan.stdout
    assert "embedded: 6 of 6 readable" in scan.stdout
    assert "unreadable: 1" in scan.stdout and "garbage.wav" in scan.stdout
    assert "device: CPU" in scan.stdout and "tracks/s:" in scan.stdout

    similar = _fmaplayer("similar", str(music / "tone0.wav"), "--db", str(db), "-n", "3", "--json",
                         "--device", "cpu")
    assert similar.returncode == 0, similar.stderr[-3000:]
    rows = json.loads(similar.stdout)
    assert len(rows) == 3
    assert all(set(r) == {"path", "title", "artist", "score", "match_percent", "genre"} for r in rows)
    assert "tone0.wav" not in {Path(r["path"]).name for r in rows}
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True) and all(-1.0 <= s <= 1.0 for s in scores)
    # a genre is named only when the model is confident enough (manifest threshold), else ""
    genres = set(json.loads((Path(__file__).parents[2] / "models" / "cnn_lstm.json").read_text())["genres"])
    assert all(r["genre"] in genres | {""} for r in rows) and rows[0]["artist"] == "Generator"

