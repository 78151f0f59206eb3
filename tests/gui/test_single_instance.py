"""One instance per library (a second launch hands over its paths and exits) and a quick exit after the
window closes, even while the analysis worker is stuck in something it cannot interrupt."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from PySide6.QtNetwork import QLocalSocket

from fmaplayer.ui.single_instance import SingleInstance, connect_window, server_name

REPO = Path(__file__).resolve().parents[2]


def test_server_name_depends_on_the_library():
    assert server_name("/a/library.db") == server_name("/a/library.db")
    assert server_name("/a/library.db") != server_name("/b/library.db")


def test_a_second_launch_raises_the_first_window_and_hands_it_its_paths(qtbot, make_window, tmp_path):
    window = make_window()
    first = SingleInstance(server_name(tmp_path / "library.db"))
    assert first.listen()
    connect_window(first, window)
    folder = tmp_path / "more music"
    folder.mkdir()
    second = SingleInstance(first.name)
    with qtbot.waitSignal(first.pathsReceived, timeout=5000) as received:
        assert second.hand_over([str(folder)])
    assert received.args == [[str(folder)]]
    assert str(folder) in window.settings.music_folders        # opened as if dropped on the window
    assert window.isVisible()
    first.close()
    assert not SingleInstance(first.name).hand_over([])          # nobody listens any more


def test_a_stale_socket_does_not_block_the_next_start(qtbot, tmp_path):
    name = server_name(tmp_path / "x.db")
    crashed = SingleInstance(name)
    assert crashed.listen()
    crashed.server.close()            # as if the process had died: nobody answers
    crashed.server = None
    again = SingleInstance(name)
    assert not again.hand_over(["/x"])
    assert again.listen()
    again.close()


def _env(tmp_path):
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(REPO)}


def _gui_args(tmp_path):
    return ["--db", str(tmp_path / "library.db"), "--settings", str(tmp_path / "settings.ini"),
            "--output", "null", "--no-scan", "--no-recommendations"]


def _listening(name: str) -> bool:
    probe = QLocalSocket()
    probe.connectToServer(name)
    ok = probe.waitForConnected(200)
    probe.abort()
    return ok


def test_second_process_hands_over_and_exits(qtbot, tmp_path):
    env = _env(tmp_path)
    first = subprocess.Popen([sys.executable, "-m", "fmaplayer", "gui", *_gui_args(tmp_path)], cwd=REPO,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        name = server_name(tmp_path / "library.db")
        qtbot.waitUntil(lambda: first.poll() is not None or _listening(name), timeout=60000)
        assert first.poll() is None, first.communicate()
        folder = tmp_path / "handed over"
        folder.mkdir()
        second = subprocess.run([sys.executable, "-m", "fmaplayer", "gui", *_gui_args(tmp_path), str(folder)],
                                cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stderr
        assert "already running" in second.stdout and second.stderr == ""
        settings = tmp_path / "settings.ini"
        qtbot.waitUntil(lambda: settings.exists() and "handed over" in settings.read_text(), timeout=30000)
    finally:
        first.send_signal(signal.SIGTERM)       # closes the window the way the user would
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert err == ""                            # nothing but the project's own words (none here)


# The app with an analysis worker stuck where it cannot be interrupted (a TensorFlow import, a batch):
# the embedder factory blocks forever. The window closes once the worker is inside it.
STUCK_WORKER = textwrap.dedent("""
    import sys, threading
    from PySide6.QtCore import QObject, Signal
    from fmaplayer import app, cli
    from fmaplayer.ui import recommendations

    class Relay(QObject):
        entered = Signal()

    relay = Relay()

    def stuck_factory(device):
        relay.entered.emit()                  # queued to the UI thread
        threading.Event().wait()              # never returns

    original = recommendations.install

    def install(window, store, settings, **kwargs):
        def close():
            print("closing", flush=True)
            window.close()
        relay.entered.connect(close)
        return original(window, store, settings, embedder_factory=stuck_factory)

    recommendations.install = install
    sys.exit(cli.main(["gui", *sys.argv[1:]], route_logs=True))
""")


def test_the_process_exits_at_once_after_the_window_closes_with_the_worker_stuck(tmp_path):
    args = [a for a in _gui_args(tmp_path) if a != "--no-recommendations"]
    child = subprocess.Popen([sys.executable, "-c", STUCK_WORKER, *args], cwd=REPO, env=_env(tmp_path),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()           # blocks until the window closes
        closed_at = time.monotonic()
        assert line == "closing\n", child.stderr.read()
        rc = child.wait(timeout=60)
        took = time.monotonic() - closed_at
    finally:
        if child.poll() is None:
            child.kill()
    assert rc == 0, child.stderr.read()          # not an abort on a QThread destroyed while running
    assert child.stderr.read() == ""
    assert took < 5.0, took                      # it used to wait 15 s for the worker, then abort
    assert (tmp_path / "settings.ini").read_text().count("geometry") == 1   # saved before leaving
