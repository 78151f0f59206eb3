"""One instance per library (a second launch hands over its paths and exits) and a quick exit after the
window closes, even while the analysis worker is stuck in something it cannot interrupt. The socket is
private to the user (a squatter's listener is never trusted), and what it accepts is validated and capped."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from fmaplayer.ui import single_instance
from fmaplayer.ui.single_instance import (
    SingleInstance,
    connect_window,
    parse_message,
    private_folder,
    server_name,
)

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


@pytest.fixture
def runtime_dir():
    """A short private folder standing in for $XDG_RUNTIME_DIR (socket paths are limited to ~100 bytes)."""
    folder = tempfile.mkdtemp(prefix="fmp-run-")
    os.chmod(folder, 0o700)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def shared_dir():
    """A world-writable folder, the kind another local user can plant a socket in (like /tmp)."""
    folder = tempfile.mkdtemp(prefix="fmp-shared-")
    os.chmod(folder, 0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _env(tmp_path, runtime=None):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONPATH": str(REPO)}
    if runtime is not None:
        env["XDG_RUNTIME_DIR"] = runtime
    return env


def _gui_args(tmp_path):
    return ["--db", str(tmp_path / "library.db"), "--settings", str(tmp_path / "settings.ini"),
            "--output", "null", "--no-scan", "--no-recommendations"]


def _listening(address: str) -> bool:
    probe = QLocalSocket()
    probe.connectToServer(address)
    ok = probe.waitForConnected(200)
    probe.abort()
    return ok


def test_second_process_hands_over_and_exits(qtbot, tmp_path, runtime_dir):
    env = _env(tmp_path, runtime_dir)
    first = subprocess.Popen([sys.executable, "-m", "fmaplayer", "gui", *_gui_args(tmp_path)], cwd=REPO,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        address = os.path.join(runtime_dir, "fmaplayer", server_name(tmp_path / "library.db"))
        qtbot.waitUntil(lambda: first.poll() is not None or _listening(address), timeout=60000)
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


# ---- a private socket: another local user can neither squat the name nor receive our paths -----------
def test_the_socket_lives_in_a_private_folder_of_the_runtime_dir(tmp_path, runtime_dir):
    folder = private_folder({"XDG_RUNTIME_DIR": runtime_dir, "XDG_CACHE_HOME": str(tmp_path)})
    assert folder == os.path.join(runtime_dir, "fmaplayer")
    st = os.lstat(folder)
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.getuid()
    instance = SingleInstance(server_name(tmp_path / "db"), folder=folder)
    assert instance.listen()
    try:
        assert os.path.dirname(instance.address) == folder
        assert stat.S_ISSOCK(os.lstat(instance.address).st_mode)
    finally:
        instance.close()


def test_a_runtime_dir_others_can_enter_is_not_used(runtime_dir, shared_dir):
    os.chmod(runtime_dir, 0o755)
    cache = os.path.join(runtime_dir, "c")
    for bad in (runtime_dir, shared_dir, "relative/dir"):
        folder = private_folder({"XDG_RUNTIME_DIR": bad, "XDG_CACHE_HOME": cache})
        assert folder == os.path.join(cache, "fmaplayer", "run")     # the next private place instead
        assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o700


def test_a_planted_folder_or_symlink_is_refused_not_trusted(tmp_path, shared_dir):
    planted = os.path.join(shared_dir, "fmaplayer")
    os.mkdir(planted)
    os.chmod(planted, 0o777)                          # made by "someone else", open to all
    link = os.path.join(shared_dir, "link")
    os.symlink(str(tmp_path), link)                   # a symlink to a folder of ours is not ours either
    for folder in (planted, link):
        instance = SingleInstance(server_name(tmp_path / "db"), folder=folder)
        assert instance.address is None
        assert not instance.hand_over(["/x"]) and not instance.listen()
    assert stat.S_IMODE(os.lstat(planted).st_mode) == 0o777   # refused, not quietly "fixed"


def test_a_squatted_socket_gets_nothing_and_the_app_starts_normally(qtbot, tmp_path, shared_dir):
    """The issue's attack: another user pre-creates the predictable socket in a shared folder and listens."""
    planted = os.path.join(shared_dir, "fmaplayer")
    os.mkdir(planted)
    os.chmod(planted, 0o777)
    squatter = QLocalServer()
    squatter.setSocketOptions(QLocalServer.SocketOption.WorldAccessOption)
    assert squatter.listen(os.path.join(planted, server_name(tmp_path / "library.db")))
    in_tmp = QLocalServer()                           # ... and where Qt puts a bare name: /tmp
    in_tmp.setSocketOptions(QLocalServer.SocketOption.WorldAccessOption)
    assert in_tmp.listen(server_name(tmp_path / "library.db"))
    env = _env(tmp_path, shared_dir)                  # $XDG_RUNTIME_DIR pointing at the shared folder
    env["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="fmp-c-")
    child = subprocess.Popen([sys.executable, "-m", "fmaplayer", "gui", *_gui_args(tmp_path)], cwd=REPO,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ours = os.path.join(env["XDG_CACHE_HOME"], "fmaplayer", "run", server_name(tmp_path / "library.db"))
        qtbot.waitUntil(lambda: child.poll() is not None or _listening(ours), timeout=60000)
        assert child.poll() is None, child.communicate()     # started (and listens in its own folder)
        folder = tmp_path / "handed over"
        folder.mkdir()
        assert SingleInstance(os.path.basename(ours), folder=os.path.dirname(ours)).hand_over([str(folder)])
        settings = tmp_path / "settings.ini"
        qtbot.waitUntil(lambda: settings.exists() and "handed over" in settings.read_text(), timeout=30000)
        assert not squatter.hasPendingConnections()
    finally:
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=60)
        squatter.close()
        in_tmp.close()
        shutil.rmtree(env["XDG_CACHE_HOME"], ignore_errors=True)
    assert child.returncode == 0, err
    assert "already running" not in out and err == ""
    assert not squatter.hasPendingConnections() and not in_tmp.hasPendingConnections()


def test_a_listener_of_another_uid_is_not_handed_anything(qtbot, tmp_path, runtime_dir, monkeypatch):
    name = server_name(tmp_path / "db")
    folder = os.path.join(runtime_dir, "fmaplayer")
    first = SingleInstance(name, folder=folder)
    assert first.listen()
    received = []
    first.pathsReceived.connect(received.append)
    monkeypatch.setattr(single_instance, "_peer_uid", lambda socket: os.getuid() + 1)   # SO_PEERCRED says so
    assert not SingleInstance(name, folder=folder).hand_over(["/secret"])
    # ... and the listener drops a client of another uid before reading a byte
    client = QLocalSocket()
    client.connectToServer(first.address)
    assert client.waitForConnected(2000)
    with qtbot.waitSignal(client.disconnected, timeout=5000):
        client.write(b'{"paths": ["/x"]}\n')
    monkeypatch.undo()
    assert received == []
    assert SingleInstance(name, folder=folder).hand_over(["/ok"])        # our own still gets through
    qtbot.waitUntil(lambda: received == [["/ok"]], timeout=5000)
    first.close()


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to chown the socket")
def test_a_socket_file_of_another_owner_is_not_connected_to(tmp_path, runtime_dir):
    name = server_name(tmp_path / "db")
    folder = os.path.join(runtime_dir, "fmaplayer")
    squatter = SingleInstance(name, folder=folder)
    assert squatter.listen()
    os.chown(squatter.address, 65534, 65534)
    ours = SingleInstance(name, folder=folder)
    assert not ours.hand_over(["/secret"])
    assert not squatter.server.hasPendingConnections()
    assert ours.listen()                              # starts normally, in the squatter's place
    assert os.lstat(ours.address).st_uid == os.getuid()
    ours.close()
    squatter.close()


# ---- what a connection may send -----------------------------------------------------------------------
@pytest.mark.parametrize("line", [
    b'{"paths": "/tmp"}', b'{"paths": 5}', b"null", b"5", b'"/tmp"', b"[]", b'{"paths": null}',
    b'{"paths": [5]}', b'{"paths": [["/a"]]}', b'{"paths": [{"a": "/b"}]}', b'{"paths": ["relative"]}',
    b'{"paths": ["/a\\u0000b"]}', b'{"paths": ["/a"], "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    b"[" * 200_000 + b"]" * 200_000, b"\xff\xfe", b"{",
])
def test_messages_of_the_wrong_shape_are_rejected_without_a_traceback(line):
    assert parse_message(line) is None


def test_a_valid_message_is_parsed():
    assert parse_message(json.dumps({"paths": ["/a b", "/c\udcff"]}).encode()) == ["/a b", "/c\udcff"]
    assert parse_message(b'{"paths": []}') == []


def _send_raw(address: str, data: bytes) -> None:
    client = QLocalSocket()
    client.connectToServer(address)
    assert client.waitForConnected(2000)
    client.write(data)
    client.waitForBytesWritten(2000)
    client.disconnectFromServer()


def test_the_listener_ignores_malformed_messages_and_still_serves(qtbot, tmp_path, runtime_dir):
    first = SingleInstance(server_name(tmp_path / "db"), folder=os.path.join(runtime_dir, "fmaplayer"))
    assert first.listen()
    received, activated = [], []
    first.pathsReceived.connect(received.append)
    first.activated.connect(lambda: activated.append(True))
    for line in (b'{"paths": "/tmp"}\n', b'{"paths": 5}\n', b"null\n", b"[" * 200_000 + b"\n"):
        _send_raw(first.address, line)
    assert SingleInstance(first.name, folder=os.path.dirname(first.address)).hand_over(["/music"])
    qtbot.waitUntil(lambda: received != [], timeout=5000)
    assert received == [["/music"]] and activated == [True]     # "/tmp" was never taken apart into "/"
    first.close()


def test_connections_cannot_make_the_listener_buffer_without_bound(qtbot, tmp_path, runtime_dir):
    first = SingleInstance(server_name(tmp_path / "db"), folder=os.path.join(runtime_dir, "fmaplayer"))
    assert first.listen()
    received = []
    first.pathsReceived.connect(received.append)
    clients = []
    for _ in range(40):                                 # 40 x 900 KB, never a newline
        client = QLocalSocket()
        client.connectToServer(first.address)
        assert client.waitForConnected(2000)
        client.write(b"x" * 900_000)
        clients.append(client)
    most = []

    def settled() -> bool:
        most.append(first._buffered())
        unconnected = QLocalSocket.LocalSocketState.UnconnectedState
        return all(c.state() == unconnected or c.bytesToWrite() == 0 for c in clients)

    qtbot.waitUntil(settled, timeout=30000)
    assert max(most) <= single_instance._MAX_BUFFERED
    assert len(first._buffers) <= single_instance._MAX_CONNECTIONS
    dropped = sum(c.state() == QLocalSocket.LocalSocketState.UnconnectedState for c in clients)
    assert dropped >= 40 - single_instance._MAX_BUFFERED // 900_000
    assert received == []
    for client in clients:
        client.abort()
    qtbot.waitUntil(lambda: not first._buffers, timeout=5000)
    assert SingleInstance(first.name, folder=os.path.dirname(first.address)).hand_over(["/music"])
    qtbot.waitUntil(lambda: received == [["/music"]], timeout=5000)
    first.close()
