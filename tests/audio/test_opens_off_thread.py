"""Issue 20 item 5: the player never opens a user's file on its own (UI) thread.

A track's decoder is opened by its pipeline's decoder thread: a slow open (a dying share) leaves the window
running, and one that never returns keeps neither the window nor the process; a FIFO is refused before it is
opened; a queue of thousands of unplayable files is skipped without copying the queue per file. An MP3 with
100,000 ID3 frames (libmpg123 spent 20-40 s in its tag) plays at once: the decoder skips the tag, and its
opens do not wait in line behind other threads' opens. Hang cases run in a bounded child process.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QTimer

from fmaplayer.audio import pipeline as pipeline_module
from fmaplayer.audio.null_output import NullOutput
from fmaplayer.audio.play_queue import PlayQueue
from fmaplayer.audio.player import Player
from fmaplayer.library.track import Track
from tests.audio_fixtures import write_tone
from tests.bounded_run import run_bounded


@pytest.fixture
def make_player(qtbot):
    players = []

    def make():
        player = Player(NullOutput(realtime=False), poll_interval_ms=10)
        players.append(player)
        return player

    yield make
    for player in players:
        player.shutdown()


class _GatedDecoder(pipeline_module.StreamDecoder):
    """A decoder whose open of a file named slow* waits for the test (a share that answers late)."""

    gate = threading.Event()
    opened_on: list[threading.Thread] = []

    def __init__(self, path, *args, **kwargs):
        type(self).opened_on.append(threading.current_thread())
        if os.path.basename(os.fsdecode(path)).startswith("slow"):
            type(self).gate.wait(10)   # bounded, so the old code (opening here, on the UI thread) cannot hang
        super().__init__(path, *args, **kwargs)


def test_a_slow_open_leaves_the_window_running_and_plays_when_ready(qtbot, make_player, tmp_path,
                                                                    monkeypatch):
    _GatedDecoder.gate = threading.Event()
    _GatedDecoder.opened_on = []
    monkeypatch.setattr(pipeline_module, "StreamDecoder", _GatedDecoder)
    slow = Track(id=1, path=str(write_tone(tmp_path / "slow.wav", seconds=0.5, sr=44100)))
    player = make_player()
    player.play_tracks([slow])       # returns while the file is still being opened
    assert not _GatedDecoder.gate.is_set()
    assert player.opening() is slow and player.current_track() is None
    assert _GatedDecoder.opened_on and threading.main_thread() not in _GatedDecoder.opened_on
    with qtbot.waitSignal(player.trackChanged, timeout=10_000, check_params_cb=lambda t: t is slow):
        QTimer.singleShot(0, _GatedDecoder.gate.set)   # the event loop runs meanwhile
    assert player.state() == "playing" and player.duration() == pytest.approx(0.5, abs=0.01)


def test_a_slow_open_of_a_bad_file_reports_and_skips_from_the_event_loop(qtbot, make_player, tmp_path,
                                                                        monkeypatch):
    _GatedDecoder.gate = threading.Event()
    _GatedDecoder.opened_on = []
    monkeypatch.setattr(pipeline_module, "StreamDecoder", _GatedDecoder)
    bad = tmp_path / "slow-not-audio.mp3"
    bad.write_text("just text " * 50)
    good = Track(id=2, path=str(write_tone(tmp_path / "good.wav", seconds=0.5, sr=44100)))
    player = make_player()
    errors = []
    player.errorOccurred.connect(errors.append)
    player.play_tracks([Track(id=1, path=str(bad)), good])
    assert errors == [] and player.current_track() is None
    with qtbot.waitSignal(player.trackChanged, timeout=10_000, check_params_cb=lambda t: t is good):
        _GatedDecoder.gate.set()
    assert len(errors) == 1 and "not a recognised audio format" in errors[0]


def test_skipping_thousands_of_unplayable_files_is_linear_and_lets_the_event_loop_run(qtbot, make_player,
                                                                                      tmp_path, monkeypatch):
    copies = []
    real_items = PlayQueue.items

    def counted_items(self):
        copies.append(len(self._items))
        return real_items(self)

    monkeypatch.setattr(PlayQueue, "items", counted_items)
    n = 2000
    good = Track(id=n + 1, path=str(write_tone(tmp_path / "good.wav", seconds=0.5, sr=44100)))
    queue = [Track(id=i + 1, path=str(tmp_path / f"gone{i}.wav")) for i in range(n)] + [good]
    player = make_player()
    errors = []
    player.errorOccurred.connect(errors.append)
    with qtbot.waitSignal(player.trackChanged, timeout=60_000, check_params_cb=lambda t: t is good):
        player.play_tracks(queue)
    assert len(errors) == n and all("file not found" in e for e in errors)
    # The old loop copied the queue twice per skipped file: O(n^2) on the UI thread.
    assert sum(copies) < 20 * len(queue), f"{len(copies)} copies of the queue"


def test_play_while_opening_and_pause_while_opening(qtbot, make_player, tmp_path, monkeypatch):
    _GatedDecoder.gate = threading.Event()
    _GatedDecoder.opened_on = []
    monkeypatch.setattr(pipeline_module, "StreamDecoder", _GatedDecoder)
    slow = Track(id=1, path=str(write_tone(tmp_path / "slow.wav", seconds=0.5, sr=44100)))
    player = make_player()
    player.play_tracks([slow])
    player.pause()                    # the user changed their mind while it opened: it stands paused
    with qtbot.waitSignal(player.stateChanged, timeout=10_000, check_params_cb=lambda s: s == "paused"):
        _GatedDecoder.gate.set()
    assert player.current_track() is slow and player.opening() is None
    _GatedDecoder.gate = threading.Event()
    player.play_tracks([Track(id=2, path=slow.path)])
    player.stop()                     # stop while opening: nothing starts later
    _GatedDecoder.gate.set()
    qtbot.waitUntil(lambda: all(not t.is_alive() for t in _GatedDecoder.opened_on), timeout=10_000)
    QCoreApplication.processEvents()  # the late "opened" report of the dropped track: ignored
    assert player.state() == "stopped" and player.opening() is None


_PLAY_IN_CHILD = r"""
import os, sys, threading, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from fmaplayer.audio.null_output import NullOutput
from fmaplayer.audio.player import Player
from fmaplayer.library.track import Track

if os.environ.get("STUCK_OPENS"):      # a share that never answers: opens of stuck* files never return
    from fmaplayer.audio import pipeline
    real_decoder = pipeline.StreamDecoder

    def never_returning(path, *args, **kwargs):
        if os.path.basename(path).startswith("stuck"):
            threading.Event().wait()
        return real_decoder(path, *args, **kwargs)

    pipeline.StreamDecoder = never_returning

app = QCoreApplication([])
player = Player(NullOutput(realtime=False), poll_interval_ms=10)
errors, played = [], []
player.errorOccurred.connect(errors.append)
player.trackChanged.connect(played.append)
tracks = [Track(id=i + 1, path=p) for i, p in enumerate(sys.argv[1:])]
started = time.monotonic()
player.play_tracks(tracks)
print("play_tracks held the event loop", "briefly" if time.monotonic() - started < 5 else "long")
loop = QEventLoop()
ticks = []
timer = QTimer()
timer.timeout.connect(lambda: (ticks.append(1), len(ticks) >= 5 and loop.quit()))
timer.start(10)
loop.exec()            # the event loop turns while the file is being opened
print("ticks", len(ticks))
print("errors", errors)
print("played", [t.path if t is not None else None for t in played])
player.shutdown()      # a decoder stuck in its open must not keep the process alive
"""


def _tagged_mp3(path, frames: int):
    """A 1-s MP3 tone with `frames` small ID3 text frames: libmpg123 takes 20-40 s to parse 100,000."""
    import numpy as np
    import soundfile as sf
    from mutagen.id3 import ID3, TXXX

    t = np.arange(44100) / 44100
    sf.write(str(path), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 44100, format="MP3")
    tags = ID3()
    for i in range(frames):
        tags.add(TXXX(encoding=3, desc=f"d{i}", text="x"))
    tags.save(str(path), padding=lambda info: 0)
    return path


def test_an_mp3_with_100k_id3_frames_plays_at_once(tmp_path):
    mp3 = _tagged_mp3(tmp_path / "tagged.mp3", 100_000)
    assert 1_500_000 < mp3.stat().st_size < 2_500_000
    out = run_bounded(_PLAY_IN_CHILD, str(mp3), seconds=25, megabytes=2048)
    assert "held the event loop briefly" in out   # it held it 20-40 s while libmpg123 parsed the tag
    assert "errors []" in out and f"played ['{mp3}'" in out   # the tag is skipped: the audio plays


def test_a_decoder_stuck_in_its_open_neither_blocks_the_window_nor_keeps_the_process_alive(tmp_path,
                                                                                             monkeypatch):
    stuck = write_tone(tmp_path / "stuck.wav", seconds=0.5, sr=44100)
    monkeypatch.setenv("STUCK_OPENS", "1")
    out = run_bounded(_PLAY_IN_CHILD, str(stuck), seconds=30)
    assert "held the event loop briefly" in out and "ticks 5" in out and "played []" in out


def test_an_id3v2_tag_is_skipped_without_changing_the_audio(tmp_path):
    import shutil

    from mutagen.id3 import ID3, TIT2

    from fmaplayer.audio.decode import probe, read_excerpt

    plain = tmp_path / "plain.mp3"
    write_tone(plain, seconds=1.0, sr=44100)
    tagged = tmp_path / "tagged.mp3"
    shutil.copy(plain, tagged)
    tags = ID3()
    tags.add(TIT2(encoding=3, text="Tagged"))
    tags.save(str(tagged))
    assert tagged.read_bytes()[:3] == b"ID3" and plain.read_bytes()[:3] != b"ID3"
    assert probe(tagged) == probe(plain)
    np.testing.assert_array_equal(read_excerpt(tagged, 0.2, 0.5), read_excerpt(plain, 0.2, 0.5))


def test_playback_opens_do_not_queue_behind_other_opens_of_soundfile(tmp_path, soundfile_open_lock):

    from fmaplayer.audio.decode import StreamDecoder

    lock = soundfile_open_lock
    path = write_tone(tmp_path / "t.wav", seconds=0.5, sr=44100)
    opened = []
    with lock:   # another thread inside a slow open (the analysis of a pathological file)
        worker = threading.Thread(target=lambda: opened.append(StreamDecoder(path, 44100)), daemon=True)
        worker.start()
        worker.join(10)
        assert opened, "the decoder waited for soundfile's lock"
    opened[0].close()


def test_a_fifo_in_the_queue_is_refused_before_it_is_opened(tmp_path):
    fifo = tmp_path / "pipe.mp3"
    os.mkfifo(fifo)
    good = write_tone(tmp_path / "good.wav", seconds=0.5, sr=44100)
    out = run_bounded(_PLAY_IN_CHILD, str(fifo), str(good), seconds=30)
    assert "not a regular file (a FIFO (named pipe))" in out
    assert f"played ['{good}'" in out
