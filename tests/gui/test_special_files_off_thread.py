"""Issue 20 item 5 in the window: a playlist dropped on "Up next" is read in a helper thread, FIFOs dropped
there neither hang nor play, and album-art lookups run on daemon workers: a stuck one (a dead share) keeps
neither the other albums' covers nor the process hostage. Hang cases run in a bounded child process."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from fmaplayer.audio.null_output import NullOutput
from fmaplayer.audio.player import Player
from fmaplayer.library.track import Track
from fmaplayer.ui import queue_view as queue_view_module
from fmaplayer.ui.art_loader import ArtLoader
from fmaplayer.ui.queue_view import QueueView
from tests.bounded_run import run_bounded


def test_a_dropped_playlist_is_read_off_the_ui_thread(qtbot, tmp_path, monkeypatch):
    gate, readers = threading.Event(), []
    real_read = queue_view_module.read_playlist

    def slow_read(path):             # a playlist on a share that answers late
        readers.append(threading.current_thread())
        gate.wait(10)                # bounded, so the old code (reading here, on the UI thread) cannot hang
        return real_read(path)

    monkeypatch.setattr(queue_view_module, "read_playlist", slow_read)
    for name in ("a.flac", "b.flac"):
        (tmp_path / name).write_bytes(b"fake")
    playlist = tmp_path / "list.m3u8"
    playlist.write_text("a.flac\nb.flac\n", encoding="utf-8")
    player = Player(NullOutput(realtime=False))
    view = QueueView(player)
    qtbot.addWidget(view)
    view.insert_paths([str(playlist)], 0)   # returns while the playlist is still being read
    assert len(player.queue) == 0 and readers and threading.main_thread() not in readers
    with qtbot.waitSignal(view.dropHandled, timeout=10_000) as dropped:
        gate.set()
    assert [t.path for t in dropped.args[0]] == [str(tmp_path / "a.flac"), str(tmp_path / "b.flac")]
    assert [t.path for t in player.queue.items()] == [str(tmp_path / "a.flac"), str(tmp_path / "b.flac")]
    player.shutdown()


_DROP_FIFOS = r"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
from fmaplayer.audio.null_output import NullOutput
from fmaplayer.audio.player import Player
from fmaplayer.ui.queue_view import QueueView

app = QApplication([])
player = Player(NullOutput(realtime=False), poll_interval_ms=10)
view = QueueView(player)
reports, errors = [], []
view.report = reports.append
player.errorOccurred.connect(errors.append)
loop = QEventLoop()
view.dropHandled.connect(lambda tracks: loop.quit())
view.insert_paths(sys.argv[1:], 0)
loop.exec()
print("queue", [t.path for t in player.queue.items()])
print("reports", reports)
loop = QEventLoop()
player.stateChanged.connect(lambda state: state == "stopped" and loop.quit())
player.play_tracks(player.queue.items())
if player.state() != "stopped":
    loop.exec()
print("errors", errors)
player.shutdown()
view.close()
"""


def test_fifos_dropped_on_up_next_neither_hang_nor_play(tmp_path):
    fifo_playlist, fifo_song = tmp_path / "pipe.m3u8", tmp_path / "pipe.mp3"
    os.mkfifo(fifo_playlist)
    os.mkfifo(fifo_song)
    out = run_bounded(_DROP_FIFOS, str(fifo_playlist), str(fifo_song), seconds=30)
    assert f"queue ['{fifo_song}']" in out                # the playlist gave nothing, the song was queued
    assert "reports [" in out and "not a regular file" in out.split("reports", 1)[1].split("\n", 1)[0]
    errors = out.split("errors", 1)[1]
    assert "pipe.mp3: not a regular file (a FIFO (named pipe))" in errors   # refused before it was opened


class _GatedCache:
    """An art cache whose lookups of the album "Stuck" wait for the test (a dead share)."""

    def __init__(self, cover: Path) -> None:
        self.gate, self.started = threading.Event(), threading.Event()
        self.cover = cover

    def lookup(self, track):
        if track.album == "Stuck":
            self.started.set()
            self.gate.wait(30)
            return None
        return self.cover


def test_a_stuck_art_lookup_does_not_stop_the_covers_of_other_albums(qtbot, tmp_path):
    cache = _GatedCache(tmp_path / "cover.png")
    loader = ArtLoader(cache, stuck_after=0.0)
    stuck = Track(id=1, path=str(tmp_path / "stuck" / "1.flac"), album="Stuck")
    fine = Track(id=2, path=str(tmp_path / "fine" / "1.flac"), album="Fine")
    try:
        loader.request(stuck)
        qtbot.waitUntil(cache.started.is_set, timeout=5_000)
        with qtbot.waitSignal(loader.artReady, timeout=5_000,
                              check_params_cb=lambda track, path: track is fine) as ready:
            loader.request(fine)          # looked up by a fresh worker: the first one is stuck
        assert ready.args[1] == cache.cover
        with qtbot.waitSignal(loader.artReady, timeout=1_000) as again:
            loader.request(stuck)         # answered "no art" at once, not asked again
        assert again.args == [stuck, None]
    finally:
        cache.gate.set()
        loader.shutdown()


_STUCK_ART = r"""
import os, sys, threading
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QCoreApplication, QEventLoop
from fmaplayer.library.art import ArtCache
from fmaplayer.library.track import Track
from fmaplayer.ui.art_loader import ArtLoader

app = QCoreApplication([])
folder = sys.argv[1]
loader = ArtLoader(ArtCache(os.path.join(folder, "cache")))
loop = QEventLoop()
answers = []
loader.artReady.connect(lambda track, path: (answers.append(path), loop.quit()))
loader.request(Track(id=1, path=os.path.join(folder, "song.flac"), album="A"))  # cover.jpg is a FIFO
loop.exec()
print("fifo cover", answers)

class Stuck:
    def lookup(self, track):
        threading.Event().wait()     # a share that never answers

stuck = ArtLoader(Stuck())
stuck.request(Track(id=2, path=os.path.join(folder, "other.flac"), album="B"))
stuck.shutdown()
loader.shutdown()
print("leaving")
"""


def test_a_fifo_cover_or_a_stuck_lookup_does_not_keep_the_process_alive(tmp_path):
    (tmp_path / "song.flac").write_bytes(b"not really audio")
    os.mkfifo(tmp_path / "cover.jpg")
    out = run_bounded(_STUCK_ART, str(tmp_path), seconds=30)
    assert "fifo cover [None]" in out and "leaving" in out
