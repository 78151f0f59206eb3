"""Issue 10 in the GUI: "Retry unreadable files", SIGTERM/SIGINT close the window cleanly, a damaged
database is reported at start, and library caches stay under the app's own folders."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading

import pytest
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QWidget

from fmaplayer.library.store import LibraryStore
from fmaplayer.library.track import Track
from fmaplayer.settings import Settings
from fmaplayer.ui.integrity_check import IntegrityCheck
from fmaplayer.ui.quit_signals import close_on_quit_signals
from fmaplayer.ui.recommendations import RETRY_TEXT, install
from tests.recommend.fakes import FakeEmbedder, add_tracks, make_store


class HealingEmbedder(FakeEmbedder):
    """Fails on "bad" names until healed (the file was repaired, or a model fix was installed)."""

    healed = False

    def embed(self, path):
        if self.healed:
            path = str(path).replace("bad", "good")
        return super().embed(path)


def test_retry_unreadable_files_analyses_failed_tracks_again(qtbot, tmp_path):
    from fmaplayer.audio.null_output import NullOutput
    from fmaplayer.audio.player import Player
    from fmaplayer.ui.main_window import MainWindow

    store = make_store(tmp_path / "lib.db")
    tracks = add_tracks(store, ["one", "bad-two"])
    settings = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings, store, Player(output=NullOutput(realtime=True)))
    qtbot.addWidget(window)
    embedder = HealingEmbedder()
    integration = install(window, store, settings, embedder_factory=lambda d: embedder, autostart=False)
    integration.start()
    try:
        qtbot.waitUntil(lambda: tracks[1].id in store.embedding_failures(embedder.model_id), timeout=5000)
        embedder.healed = True
        action = next(a for a in window.file_menu.actions() if a.text() == RETRY_TEXT)
        action.trigger()
        qtbot.waitUntil(lambda: tracks[1].id in store.load_embeddings(embedder.model_id)[0], timeout=5000)
        assert store.embedding_failures(embedder.model_id) == {}
    finally:
        integration.shutdown()


class Recorder(QWidget):
    def __init__(self):
        super().__init__()
        self.closed = 0

    def closeEvent(self, event):  # noqa: N802 - Qt override
        self.closed += 1   # MainWindow saves layout, session and settings here
        super().closeEvent(event)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_quit_signals_close_the_window_from_inside_the_event_loop(qtbot, signum):
    widget = Recorder()
    qtbot.addWidget(widget)
    widget.show()
    restore = close_on_quit_signals(widget)
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(loop.quit)   # a safety net only: the close ends the loop first
    timer.start(10000)
    original_close = widget.closeEvent

    def close_and_quit(event):
        original_close(event)
        loop.quit()

    widget.closeEvent = close_and_quit
    try:
        # sent from another thread, so it arrives while the main thread sits in Qt's C++ event loop
        threading.Thread(target=os.kill, args=(os.getpid(), signum)).start()
        loop.exec()
    finally:
        restore()
        timer.stop()
    assert widget.closed == 1 and not widget.isVisible()
    assert signal.getsignal(signum) is not None


def _corrupted_database(path):
    with LibraryStore(path) as store:
        store.upsert_tracks([Track(id=0, path=f"/m/{i:05d}-{'x' * 200}.flac", title="t" * 300, size=1,
                                   mtime=1.0) for i in range(400)])
        store._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    data = bytearray(path.read_bytes())
    for page in range(pages // 2, pages - 2):   # leave the schema (page 1) readable
        start = page * page_size
        data[start : start + page_size] = bytes([0xA5]) * page_size
    path.write_bytes(bytes(data))


def test_a_damaged_database_is_reported_at_start(qtbot, tmp_path):
    db = tmp_path / "library.db"
    _corrupted_database(db)
    store = LibraryStore(db)   # opens: the damage is in the data pages
    check = IntegrityCheck(store)
    with qtbot.waitSignal(check.damaged, timeout=10000) as blocker:
        check.start()
    assert "is damaged" in blocker.args[0] and "move the database aside" in blocker.args[0]
    check.thread.join()
    store.close()


def test_a_sound_database_says_nothing(qtbot, tmp_path):
    store = make_store(tmp_path / "lib.db")
    add_tracks(store, ["a"])
    check = IntegrityCheck(store)
    damaged = []
    check.damaged.connect(damaged.append)
    with qtbot.waitSignal(check.finished, timeout=10000):
        check.start()
    assert damaged == []


def test_keras_and_matplotlib_write_under_the_apps_cache(monkeypatch, tmp_path):
    from fmaplayer.library.paths import contain_library_caches

    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.delenv("MPLCONFIGDIR", raising=False)
    contain_library_caches()
    cache = str(tmp_path / "xdg-cache" / "fmaplayer")
    assert os.environ["KERAS_HOME"].startswith(cache) and os.environ["MPLCONFIGDIR"].startswith(cache)


def test_a_folder_of_every_hostile_file_in_the_gui(qtbot, tmp_path):
    """The CLI's all-at-once case through the window: real scanner, real worker thread, the model's
    own decoding (FeatureEmbedder); every good file is analysed and "Get relevant songs" answers."""
    from fmaplayer.audio.null_output import NullOutput
    from fmaplayer.audio.player import Player
    from fmaplayer.library.scanner import Scanner
    from fmaplayer.ui.main_window import MainWindow
    from tests.recommend.test_hostile_analysis import FeatureEmbedder, _hostile_folder

    music, good, bad = _hostile_folder(tmp_path)
    store = make_store(tmp_path / "lib.db")
    settings = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    settings.add_music_folder(str(music))
    window = MainWindow(settings, store, Player(output=NullOutput(realtime=True)), Scanner(store))
    qtbot.addWidget(window)
    window.show()
    embedder = FeatureEmbedder(dim=4)
    integration = install(window, store, settings, embedder_factory=lambda d: embedder, autostart=False)
    integration.start()
    try:
        assert window.start_scan()
        qtbot.waitUntil(lambda: len(store.load_embeddings(embedder.model_id)[0]) == len(good), timeout=20000)
        tracks = {os.path.basename(t.path): t for t in store.all_tracks()}
        assert {n for n, t in tracks.items() if t.error} == bad
        qtbot.waitUntil(lambda: len(integration.index) == len(good), timeout=10000)
        integration.controller.show_for([tracks["good0.wav"]])
        qtbot.waitUntil(lambda: len(integration.panel.model.rows()) > 0, timeout=10000)
    finally:
        integration.shutdown()
        window.scan_controller.shutdown()
