"""Issue 20 item 11: the scan says what a file is. A FIFO, a device or a link to one exists: it is not
"file not found" nor a "broken link"; libsndfile's "System error." and "(possibly a pipe?)" are said in our
words; a file the user may not read is listed as "permission denied" (greyed out) even when it did not
change, keeps its analysis, and comes back as it was once it is readable again."""

from __future__ import annotations

import os

import numpy as np
import pytest

from fmaplayer.library import scanner as scanner_module
from fmaplayer.library.regular_file import decoder_reason, file_problem
from fmaplayer.library.scanner import Scanner
from fmaplayer.library.store import EmbeddingRow
from tests.audio_fixtures import write_tone

REAL_READABLE = scanner_module._readable


def by_name(store) -> dict:
    return {os.path.basename(t.path): t for t in store.all_tracks()}


def test_special_files_are_listed_with_what_they_are(store, tmp_path):
    music = tmp_path / "music"
    write_tone(music / "good.wav", seconds=0.2)
    os.mkfifo(music / "pipe.mp3")
    os.symlink("/dev/null", music / "device.flac")
    os.symlink(tmp_path / "gone.flac", music / "dangling.flac")
    (music / "notes.mp3").write_text("a text file, not audio\n")
    summary = Scanner(store).scan([music])
    tracks = by_name(store)
    assert summary.unreadable == 4 and tracks["good.wav"].error is None
    assert tracks["pipe.mp3"].error == "not a regular file (a FIFO (named pipe))"
    assert tracks["device.flac"].error == "not a regular file (a device)"
    assert tracks["dangling.flac"].error.startswith("broken link: the file it points to is missing")
    assert tracks["notes.mp3"].error == "not a valid MP3 file (not audio, or damaged)"
    assert Scanner(store).scan([music]).unchanged == 5     # none of them is read again while unchanged


def test_a_fifo_dropped_on_the_window_is_listed_not_ignored(store, tmp_path):
    os.mkfifo(tmp_path / "pipe.ogg")
    summary = Scanner(store).scan_files([tmp_path / "pipe.ogg"])
    assert summary.unreadable == 1
    assert by_name(store)["pipe.ogg"].error == "not a regular file (a FIFO (named pipe))"


@pytest.mark.parametrize("message, reason", [
    ("System error.", "could not be read (input/output error)"),
    ("Error opening '/m/a.mp3': File does not exist or is not a regular file (possibly a pipe?).",
     "not a valid MP3 file (not audio, or damaged)"),
    ("Error opening '/m/a.mp3': Format not recognised.", "not a valid MP3 file (not audio, or damaged)"),
    ("Error opening '/m/a.flac': Unsupported encoding 0x55.",
     "unsupported audio encoding (Unsupported encoding 0x55)"),
])
def test_libsndfile_messages_in_our_words(message, reason):
    name = "FLAC" if ".flac" in message else "MP3"
    assert decoder_reason(RuntimeError(message), name) == reason


def test_file_problem_names_what_exists(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    os.symlink("/dev/zero", tmp_path / "zero")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_bytes(b"x")
    assert file_problem(tmp_path / "pipe") == "not a regular file (a FIFO (named pipe))"
    assert file_problem(tmp_path / "zero") == "not a regular file (a device)"
    assert file_problem(tmp_path / "dangling") == "broken link: the file it points to is missing"
    assert file_problem(tmp_path / "folder") == "is a folder, not a file"
    assert file_problem(tmp_path / "missing") == "file not found"
    assert file_problem(tmp_path / "file") is None


def _scan_with_locked(store, music, locked: set[str], monkeypatch):
    """Scan as a user who may not read the files named in `locked` (root reads every file, so the check the
    scanner makes is what is replaced; the test below does it for real when not run as root)."""
    def readable(path, st, groups):
        return os.path.basename(path) not in locked and REAL_READABLE(path, st, groups)

    monkeypatch.setattr(scanner_module, "_readable", readable)
    return Scanner(store).scan([music])


def test_a_file_made_unreadable_is_greyed_out_and_keeps_its_analysis(store, tmp_path, monkeypatch):
    music = tmp_path / "music"
    write_tone(music / "a.wav", seconds=0.3)
    write_tone(music / "b.wav", seconds=0.3, freq=500)
    Scanner(store).scan([music])
    ids = {os.path.basename(t.path): t.id for t in store.all_tracks()}
    store.save_embeddings("m@1", [EmbeddingRow(i, np.eye(4, dtype=np.float32)[k], "Rock")
                                  for k, i in enumerate(ids.values())])
    summary = _scan_with_locked(store, music, {"a.wav"}, monkeypatch)   # chmod 000 a.wav: mtime unchanged
    assert summary.unreadable == 1 and by_name(store)["a.wav"].error == "permission denied"
    assert store.tracks_needing_embedding("m@2") == [store.track(ids["b.wav"])]   # not analysed in vain
    summary = _scan_with_locked(store, music, set(), monkeypatch)        # chmod 644 again
    assert summary.unreadable == 0 and by_name(store)["a.wav"].error is None
    assert sorted(store.load_embeddings("m@1")[0].tolist()) == sorted(ids.values())   # analysis kept


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may read a chmod-000 file")
def test_a_chmod_000_file_says_permission_denied_for_real(store, tmp_path):
    music = tmp_path / "music"
    locked = write_tone(music / "a.wav", seconds=0.3)
    Scanner(store).scan([music])
    os.chmod(locked, 0)
    try:
        assert Scanner(store).scan([music]).unreadable == 1
        assert by_name(store)["a.wav"].error == "permission denied"
        assert file_problem(locked) == "permission denied"
    finally:
        os.chmod(locked, 0o644)
    assert Scanner(store).scan([music]).unreadable == 0 and by_name(store)["a.wav"].error is None


@pytest.mark.parametrize("make, reason", [
    (lambda p: os.mkfifo(p), "not a regular file (a FIFO (named pipe))"),
    (lambda p: os.symlink("/dev/zero", p), "not a regular file (a device)"),
    (lambda p: p.mkdir(), "is a folder, not a file"),
    (lambda p: None, "file not found"),
])
def test_similar_says_what_the_file_is(tmp_path, capsys, make, reason):
    import argparse

    from fmaplayer.cli import library_commands

    target = tmp_path / "x.mp3"
    make(target)
    parser = argparse.ArgumentParser()
    library_commands.add_arguments("similar", parser)
    args = parser.parse_args([str(target), "--db", str(tmp_path / "lib.db")])
    assert library_commands.run("similar", args, lambda device: pytest.fail("nothing to analyse")) == 2
    assert capsys.readouterr().err.strip() == f"fmaplayer similar: {target}: {reason}"


def test_the_analysis_says_what_a_file_is(tmp_path, monkeypatch):
    """The words the embedder's decoder gives (they are stored as the track's analysis failure)."""
    from fmaplayer.errors import AudioDecodeError, is_transient_reason
    from fmaplayer.library import regular_file
    from fmaplayer.ml import features

    os.mkfifo(tmp_path / "pipe.mp3")
    os.symlink("/dev/zero", tmp_path / "zero.mp3")
    os.symlink(tmp_path / "unplugged.mp3", tmp_path / "dangling.mp3")
    (tmp_path / "folder.mp3").mkdir()
    (tmp_path / "notes.mp3").write_text("a text file, not audio\n")
    locked = write_tone(tmp_path / "locked.wav", seconds=0.3)
    real_access = os.access
    monkeypatch.setattr(regular_file.os, "access",   # chmod 000, as a user (root reads everything)
                        lambda p, mode: os.fspath(p) != str(locked) and real_access(p, mode))
    expected = {
        "pipe.mp3": "not a regular file (a FIFO (named pipe))",
        "zero.mp3": "not a regular file (a device)",
        "folder.mp3": "is a folder, not a file",
        "notes.mp3": "not a valid MP3 file (not audio, or damaged)",
        "locked.wav": "permission denied",
        "dangling.mp3": "file not found (broken link: the file it points to is missing)",
        "gone.mp3": "file not found",
    }
    for name, reason in expected.items():
        with pytest.raises(AudioDecodeError) as raised:
            features.track_slices(tmp_path / name, 1)
        assert str(raised.value) == reason
    # what the analysis tries again (the file may come back or be chmod-ed) and what it records
    retried = [n for n, r in expected.items() if is_transient_reason(r)]
    assert retried == ["locked.wav", "dangling.mp3", "gone.mp3"]
