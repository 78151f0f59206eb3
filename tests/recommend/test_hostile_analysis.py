"""Issue 10: hostile file names, model faults, transient read errors and NaN audio on the analysis path
(EmbeddingRunner and `fmaplayer scan` / `similar`), with generated files and fake or feature-level models."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pytest

from fmaplayer.cli import library_commands as cli_commands
from fmaplayer.errors import AnalysisError, AudioDecodeError
from fmaplayer.recommend.embedding_runner import EmbeddingRunner
from tests.audio_fixtures import write_tone
from tests.recommend.fakes import FakeEmbedder, add_tracks, make_store


def _args(name, argv):
    parser = argparse.ArgumentParser()
    cli_commands.add_arguments(name, parser)
    return parser.parse_args(argv)


class FeatureEmbedder(FakeEmbedder):
    """Decodes each file with the model's own feature code (ml.features), as the real Embedder does,
    then returns the fake vector: the path handling is the real one, without loading TensorFlow."""

    def embed(self, path):
        from fmaplayer.ml import features

        features.track_slices(path, 1)
        return super().embed(path)


def _scan(music, db, embedder, *extra):
    return cli_commands.run("scan", _args("scan", [str(music), "--db", str(db), *extra]), lambda d: embedder)


# --- 1 and 5: non-UTF-8 names and paths past libsndfile's 1023-byte limit -----------------------------
def _long_path_file(root: Path) -> Path:
    folder = root
    while len(os.fsencode(folder)) < 1040:
        folder = folder / ("d" * 200)
    folder.mkdir(parents=True)
    short = write_tone(root.parent / "short.wav", seconds=0.3, freq=300)   # libsndfile cannot write there
    return Path(os.replace(short, folder / "long.wav") or folder / "long.wav")


def test_non_utf8_and_very_long_paths_are_analysed_like_any_other(tmp_path, capsys):
    music = tmp_path / "music"
    write_tone(music / "good.wav", seconds=0.3)
    odd = Path(os.fsdecode(os.fsencode(music) + b"/odd\xffname.wav"))
    write_tone(odd, seconds=0.3, freq=500)
    long = _long_path_file(music)
    assert len(os.fsencode(long)) >= 1024
    db = tmp_path / "lib.db"
    code = _scan(music, db, FeatureEmbedder(dim=4))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "embedded: 3 of 3 readable (3 this run" in out and "unreadable: 0" in out
    store = make_store(db)
    assert store.track_by_path(str(odd)).error is None and store.track_by_path(str(long)).error is None


def test_similar_compares_an_outside_file_with_a_non_utf8_name(tmp_path, capsys):
    music = tmp_path / "music"
    write_tone(music / "good.wav", seconds=0.3)
    db = tmp_path / "lib.db"
    assert _scan(music, db, FeatureEmbedder(dim=4)) == 0
    outside = Path(os.fsdecode(os.fsencode(tmp_path) + b"/else\xffwhere.wav"))
    write_tone(outside, seconds=0.3, freq=600)
    capsys.readouterr()
    argv = [str(outside), "--db", str(db), "--json"]
    assert cli_commands.run("similar", _args("similar", argv), lambda d: FeatureEmbedder(dim=4)) == 0
    assert "good.wav" in capsys.readouterr().out


def test_a_failure_that_quotes_a_non_utf8_name_is_stored(tmp_path):
    """The reason text (not only the path) used to abort the whole run with a database write error."""
    store = make_store(tmp_path / "lib.db")
    tracks = add_tracks(store, [os.fsdecode(b"bad\xffname"), "t1", "t2"])
    summary = EmbeddingRunner(store, FakeEmbedder(), batch_size=8).run()
    assert summary.embedded == 2 and list(summary.failed) == [tracks[0].id]
    assert "bad\ufffdname" in store.embedding_failures("fake@1.0.0+00000000")[tracks[0].id]


# --- 2: errors of the model or the program are not marks on the files -------------------------------
class BrokenModel(FakeEmbedder):
    """What a manifest with too few genre labels did: IndexError for most tracks."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.broken = True

    def embed(self, path):
        if self.broken and not Path(path).stem.startswith("a0"):
            raise IndexError("list index out of range")
        return super().embed(path)


def test_a_model_error_stops_the_run_and_marks_nothing(tmp_path):
    store = make_store(tmp_path / "lib.db")
    add_tracks(store, ["a0", "b1", "c2", "d3"])
    embedder = BrokenModel()
    with pytest.raises(AnalysisError, match="IndexError: list index out of range"):
        EmbeddingRunner(store, embedder, batch_size=8).run()
    assert store.embedding_failures(embedder.model_id) == {}
    assert len(store.tracks_needing_embedding(embedder.model_id)) == 4
    embedder.broken = False   # the manifest is restored: everything is analysed
    assert EmbeddingRunner(store, embedder).run().embedded == 4


def test_scan_with_a_broken_model_exits_non_zero_then_recovers(tmp_path, capsys):
    music = tmp_path / "music"
    for i, name in enumerate(["a0", "b1", "c2", "d3", "e4"]):
        write_tone(music / f"{name}.wav", seconds=0.2, freq=200 + 40 * i)
    db = tmp_path / "lib.db"
    embedder = BrokenModel()
    assert _scan(music, db, embedder) == 1
    err = capsys.readouterr().err
    assert "analysis stopped" in err and "list index out of range" in err and "Traceback" not in err
    embedder.broken = False
    assert _scan(music, db, embedder) == 0
    assert "embedded: 5 of 5 readable (5 this run" in capsys.readouterr().out


def test_retry_failed_analyses_recorded_failures_again(tmp_path, capsys):
    music = tmp_path / "music"
    write_tone(music / "a0.wav", seconds=0.2)
    write_tone(music / "bad-one.wav", seconds=0.2, freq=600)
    db = tmp_path / "lib.db"
    embedder = FakeEmbedder()
    assert _scan(music, db, embedder) == 0
    assert "embedded: 1 of 2" in capsys.readouterr().out
    embedder.embed = FakeEmbedder.embed.__get__(embedder)   # unchanged: still fails without the flag
    assert _scan(music, db, embedder) == 0 and "(0 this run" in capsys.readouterr().out

    class Fixed(FakeEmbedder):
        def embed(self, path):
            return super().embed(str(path).replace("bad", "good"))

    assert _scan(music, db, Fixed(), "--retry-failed") == 0
    out = capsys.readouterr().out
    assert "embedded: 2 of 2 readable (1 this run" in out and "unreadable: 0" in out


# --- 3: transient read failures are retried ---------------------------------------------------------
def test_transient_analysis_failures_are_reported_but_not_stored(tmp_path):
    store = make_store(tmp_path / "lib.db")
    tracks = add_tracks(store, ["flaky", "fine"])

    class Flaky(FakeEmbedder):
        failing = True

        def embed(self, path):
            if self.failing and "flaky" in str(path):
                raise AudioDecodeError("flaky.flac: decoding failed near 0.0 s: System error")
            return super().embed(path)

    embedder = Flaky()
    summary = EmbeddingRunner(store, embedder).run()
    assert list(summary.failed) == [tracks[0].id] and summary.transient == {tracks[0].id}
    assert store.embedding_failures(embedder.model_id) == {}
    embedder.failing = False
    assert EmbeddingRunner(store, embedder).run().embedded == 1


# --- 4: NaN / inf results are a mark on the file, never stored ---------------------------------------
def test_non_finite_results_mark_the_file(tmp_path):
    store = make_store(tmp_path / "lib.db")
    tracks = add_tracks(store, ["nan-audio", "fine"])

    class NanModel(FakeEmbedder):
        def embed(self, path):
            result = super().embed(path)
            if "nan" in str(path):
                result.genre_probs = np.full_like(result.genre_probs, np.nan)
            return result

    embedder = NanModel()
    summary = EmbeddingRunner(store, embedder).run()
    assert summary.embedded == 1
    assert "NaN" in store.embedding_failures(embedder.model_id)[tracks[0].id]
    assert store.load_embeddings(embedder.model_id)[0].tolist() == [tracks[1].id]


# --- 8: an unusable --db parent -------------------------------------------------------------------
@pytest.mark.parametrize("command", ["scan", "similar"])
def test_unusable_db_folder_is_one_clear_line(tmp_path, capsys, command):
    music = tmp_path / "music"
    song = write_tone(music / "a0.wav", seconds=0.2)
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    target = [str(music)] if command == "scan" else [str(song)]
    code = cli_commands.run(command, _args(command, [*target, "--db", str(afile / "x.db"), "--no-embed"]
                                           if command == "scan" else [*target, "--db", str(afile / "x.db")]),
                            lambda d: FakeEmbedder())
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert err.count("\n") == 1 and "cannot use" in err and "afile" in err


# --- 9: a stored vector of another size -------------------------------------------------------------
def test_similar_works_with_a_stored_vector_of_another_size(tmp_path, capsys):
    from fmaplayer.library.store import EmbeddingRow

    music = tmp_path / "music"
    for i, name in enumerate(["a0", "b1", "c2"]):
        write_tone(music / f"{name}.wav", seconds=0.2, freq=200 + 40 * i)
    db = tmp_path / "lib.db"
    embedder = FakeEmbedder(dim=8)
    assert _scan(music, db, embedder) == 0
    store = make_store(db)
    odd = store.track_by_path(str(music / "c2.wav"))
    store.save_embeddings(embedder.model_id, [EmbeddingRow(odd.id, np.ones(16, np.float32) / 4, "Rock")])
    capsys.readouterr()
    argv = [str(music / "a0.wav"), "--db", str(db), "--json"]
    assert cli_commands.run("similar", _args("similar", argv), lambda d: embedder) == 0
    assert "mixed dimensions" not in capsys.readouterr().err
    assert _scan(music, db, embedder) == 0   # the dropped row is analysed again
    assert "(1 this run" in capsys.readouterr().out
    assert store.load_embeddings(embedder.model_id)[1].shape == (3, 8)


# --- 6 and 11: terminal escapes and FIFOs ------------------------------------------------------------
def test_printed_paths_and_tags_cannot_drive_the_terminal(tmp_path, capsys):
    music = tmp_path / "e"
    write_tone(music / "evil\033[2J\033]0;pwned\007.wav", seconds=0.2,
               tags={"title": "t\033[31mred", "artist": "x\u202eevil"})
    (music / "broken\033[2J.flac").write_bytes(b"junk")
    db = tmp_path / "lib.db"
    assert _scan(music, db, FakeEmbedder(), "--no-embed") == 0
    captured = capsys.readouterr()
    assert "\033" not in captured.out + captured.err and "\007" not in captured.out
    assert "broken\\x1b[2J.flac: not a valid FLAC file" in captured.out


def test_similar_on_a_fifo_says_not_a_regular_file(tmp_path, capsys):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    code = cli_commands.run("similar", _args("similar", [str(fifo), "--db", str(tmp_path / "lib.db")]),
                            lambda d: FakeEmbedder())
    assert code == 2 and "not a regular file" in capsys.readouterr().err


# --- all of them at once --------------------------------------------------------------------------------
def _hostile_folder(root: Path) -> tuple[Path, set[str], set[str]]:
    """Good files plus every hostile case of issue 10; returns (folder, good names, bad names)."""
    import struct

    import soundfile as sf

    music = root / "music"
    for i in range(3):
        write_tone(music / f"good{i}.wav", seconds=0.3, freq=250 + 60 * i)
    write_tone(Path(os.fsdecode(os.fsencode(music) + b"/odd\xffname.wav")), seconds=0.3, freq=700)
    long = _long_path_file(music)
    liar = write_tone(music / "liar.wav", seconds=0.3, freq=800)
    data = bytearray(liar.read_bytes())
    at = data.index(b"data")
    data[at + 4 : at + 8] = struct.pack("<I", 0x7FFF0000)
    liar.write_bytes(bytes(data))
    write_tone(music / "evil\033[2J\033]0;pwned\007.wav", seconds=0.3, freq=900, tags={"title": "x\u202ey"})
    y = np.full(6615, 0.1, np.float32)
    y[10] = np.nan
    sf.write(str(music / "nan.wav"), y, 22050, subtype="FLOAT")
    for suffix in (".ogg", ".flac"):
        full = write_tone(root / f"full{suffix}", seconds=20.0).read_bytes()
        (music / f"cut{suffix}").write_bytes(full[: len(full) // 3])
    os.symlink(root / "nowhere.mp3", music / "dangling.mp3")
    (music / "junk.mp3").write_bytes(b"\0" * 5000)
    good = {"good0.wav", "good1.wav", "good2.wav", os.fsdecode(b"odd\xffname.wav"), long.name, "liar.wav",
            "evil\033[2J\033]0;pwned\007.wav", "nan.wav"}
    bad = {"cut.ogg", "cut.flac", "dangling.mp3", "junk.mp3"}
    return music, good, bad


def test_a_folder_of_every_hostile_file_scans_and_recommends(tmp_path, capsys):
    music, good, bad = _hostile_folder(tmp_path)
    db = tmp_path / "lib.db"
    assert _scan(music, db, FeatureEmbedder(dim=4)) == 0
    out = capsys.readouterr().out
    store = make_store(db)
    tracks = {os.path.basename(t.path): t for t in store.all_tracks()}
    assert set(tracks) == good | bad
    assert all(tracks[name].error is None for name in good), {n: tracks[n].error for n in good}
    assert all(tracks[name].error for name in bad)
    assert tracks["liar.wav"].duration == pytest.approx(0.3, abs=0.01)
    assert tracks["cut.flac"].error.startswith("truncated: stops at 0:06 of 0:20")
    assert f"embedded: {len(good)} of {len(good)} readable" in out and f"unreadable: {len(bad)}" in out
    assert "\033" not in out
    argv = [str(music / "good0.wav"), "--db", str(db), "--json"]
    assert cli_commands.run("similar", _args("similar", argv), lambda d: FeatureEmbedder(dim=4)) == 0
    import json

    assert len(json.loads(capsys.readouterr().out)) == len(good) - 1
