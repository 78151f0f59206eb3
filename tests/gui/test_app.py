"""The composition root: wiring, the recommendations hook, and a real start of the app in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fmaplayer import app
from tests.gui.fakes import FakePlayer, FakeScanner, FakeStore, sample_tracks

REPO = Path(__file__).resolve().parents[2]


def test_build_wires_the_window_from_collaborators(qtbot, make_settings):
    store = FakeStore(sample_tracks())
    player = FakePlayer(output_unavailable_reason="no output device")
    parts = app.build(make_settings(), store, player, FakeScanner(store))
    qtbot.addWidget(parts.window)
    assert parts.window.player is player and parts.window.store is store
    assert parts.window.track_table_model.total_count() == len(sample_tracks())
    assert parts.window.status.notice_label.text() == "No audio output: no output device"
    parts.window.scan_controller.shutdown()


def test_gui_arguments_parse():
    import argparse

    from fmaplayer.cli import gui

    parser = argparse.ArgumentParser()
    gui.add_arguments("gui", parser)
    args = parser.parse_args(["--db", "x.db", "--folder", "/a", "--folder", "/b", "--no-scan"])
    assert args.db == "x.db" and args.folder == ["/a", "/b"] and args.no_scan


def test_the_app_starts_and_shows_the_library_without_tensorflow(tmp_path):
    from fmaplayer.library.store import LibraryStore
    from fmaplayer.library.track import Track

    db = tmp_path / "library.db"
    with LibraryStore(db) as store:
        store.upsert_tracks([Track(id=0, path=f"/music/{i}.flac", title=f"Song {i}", size=1, mtime=1.0)
                             for i in range(50)])
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "fmaplayer.app", "--db", str(db), "--settings", str(tmp_path / "s.ini"),
         "--output", "null", "--startup-benchmark"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["tracks"] == 50
    assert report["tensorflow_loaded"] is False
    assert (tmp_path / "s.ini").read_text().count("geometry") == 1  # the layout was saved on close


def test_a_folder_given_with_an_unwritable_settings_file_is_reported(tmp_path):
    (tmp_path / "not-a-folder").write_text("")   # the settings' folder is a file: unwritable, even for root
    settings_file = tmp_path / "not-a-folder" / "s.ini"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "fmaplayer.app", "--db", str(tmp_path / "library.db"), "--settings",
         str(settings_file), "--folder", str(tmp_path), "--output", "null", "--startup-benchmark"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"Settings could not be saved to {settings_file}" in result.stderr
