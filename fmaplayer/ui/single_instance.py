"""One fmaplayer per library: a second launch hands its files and folders to the first and exits.

The first instance listens on a QLocalServer whose name is derived from the user and the library
database, so `--db other.db` (or a test's temporary library) is a separate instance. A second launch
connects, writes one JSON line `{"paths": [...]}`, and exits; the first raises its window and opens the
paths as if they had been dropped on it. A stale socket left by a crashed instance is removed.

The socket lives in a private folder (mode 0700, owned by this user, not a symlink): `$XDG_RUNTIME_DIR`
when it is such a folder, else one created in the user's cache folder or the temporary folder and checked.
Another local user can therefore neither squat the name nor connect. Before trusting a listener the
socket file's owner and the connected peer's credentials (SO_PEERCRED, on Linux) are checked; a listener
that is not ours is never handed anything, and this launch starts normally. Messages are validated
(`{"paths": [absolute path, ...]}`, anything else is dropped) and what connections may buffer is capped.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket as pysocket
import stat
import struct
import tempfile
import time
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

_TIMEOUT_MS = 1500
_MAX_MESSAGE = 1 << 20          # one hand-over: a few thousand paths fit many times over
_MAX_BUFFERED = 4 << 20         # all connections together
_MAX_CONNECTIONS = 16           # at once; more are dropped on arrival
_MAX_PATHS = 100_000
_IDLE_MS = 10_000               # a connection that sends nothing complete in this time is dropped
_MAX_SOCKET_PATH = 100          # sun_path holds 104 (macOS) / 108 (Linux) bytes with its NUL


def server_name(db_path: str | os.PathLike[str]) -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    key = os.fsencode(os.path.abspath(os.fspath(db_path)))
    digest = hashlib.sha1(user.encode() + b"\0" + key).hexdigest()[:16]
    return f"fmaplayer-{digest}"


# ---- the private folder -------------------------------------------------------------------------------
def _is_private(st: os.stat_result) -> bool:
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077 == 0


def make_private_folder(folder: str) -> bool:
    """Create `folder` (mode 0700) if needed; True only when it is a real folder of ours that nobody
    else can enter. An existing folder of the wrong mode or owner, or a symlink, is refused, not fixed."""
    try:
        os.makedirs(os.path.dirname(folder), exist_ok=True)
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        return _is_private(os.lstat(folder))   # lstat: a symlink is not a folder of ours
    except (OSError, ValueError):
        return False


def _fits(folder: str) -> bool:
    return len(os.fsencode(os.path.join(folder, server_name("x")))) <= _MAX_SOCKET_PATH


def private_folder(environ: Any = None) -> str | None:
    """The folder the socket goes in, or None when no private one can be had (no single instance then)."""
    environ = os.environ if environ is None else environ
    candidates = []
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(runtime):
        try:
            st = os.stat(runtime)
        except (OSError, ValueError):
            st = None
        if st is not None and _is_private(st):
            candidates.append(os.path.join(runtime, "fmaplayer"))
    cache = environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(cache):
        cache = os.path.join(os.path.expanduser("~"), ".cache")
    candidates.append(os.path.join(cache, "fmaplayer", "run"))
    candidates.append(os.path.join(tempfile.gettempdir(), f"fmaplayer-{os.getuid()}"))
    for folder in candidates:
        if _fits(folder) and make_private_folder(folder):
            return folder
    return None


# ---- whom we talk to ----------------------------------------------------------------------------------
def _peer_uid(socket: QLocalSocket) -> int | None:
    """The uid of the process at the other end (Linux SO_PEERCRED); None where it cannot be asked."""
    option = getattr(pysocket, "SO_PEERCRED", None)
    descriptor = int(socket.socketDescriptor())
    if option is None or descriptor < 0:
        return None
    try:
        with pysocket.fromfd(descriptor, pysocket.AF_UNIX, pysocket.SOCK_STREAM) as probe:
            credentials = probe.getsockopt(pysocket.SOL_SOCKET, option, struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", credentials)   # pid, uid, gid
    except OSError:
        return None
    return uid


def _trusted_peer(socket: QLocalSocket) -> bool:
    uid = _peer_uid(socket)
    return uid is None or uid == os.getuid()


def _listener_is_ours(address: str) -> bool:
    try:
        st = os.lstat(address)
    except OSError:
        return False
    return stat.S_ISSOCK(st.st_mode) and st.st_uid == os.getuid()


def parse_message(line: bytes) -> list[str] | None:
    """The paths of a hand-over line, or None when it is not one: `{"paths": [absolute path, ...]}`."""
    try:
        message = json.loads(line.decode("ascii"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(message, dict):
        return None
    paths = message.get("paths")
    if not isinstance(paths, list) or len(paths) > _MAX_PATHS:
        return None
    for path in paths:
        if not isinstance(path, str) or "\0" in path or not os.path.isabs(path):
            return None
    return paths


class SingleInstance(QObject):
    activated = Signal()          # a second launch asked for the window
    pathsReceived = Signal(list)  # ... and handed over these paths (may be empty)

    def __init__(self, name: str, parent: QObject | None = None, folder: str | None = None) -> None:
        """`folder`: where the socket goes (checked like the default, `private_folder()`)."""
        super().__init__(parent)
        self.name = name
        self.server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}
        self._deadlines: dict[QLocalSocket, float] = {}
        self._sweeper = QTimer(self)     # drops connections that never finish their message
        self._sweeper.setInterval(1000)
        self._sweeper.timeout.connect(self._drop_idle)
        if hasattr(os, "getuid"):
            if folder is None:
                folder = private_folder()
            elif not (_fits(folder) and make_private_folder(folder)):
                folder = None
            self.address: str | None = os.path.join(folder, name) if folder else None
        else:   # Windows: a named pipe that UserAccessOption restricts to this user
            self.address = name

    def hand_over(self, paths: Iterable[str] = ()) -> bool:
        """Send `paths` to a running instance of ours; False when none is listening (or it is not ours)."""
        if self.address is None:
            return False
        if hasattr(os, "getuid") and not _listener_is_ours(self.address):
            return False
        socket = QLocalSocket()
        socket.connectToServer(self.address)
        if not socket.waitForConnected(_TIMEOUT_MS):
            return False
        if not _trusted_peer(socket):
            socket.abort()
            return False
        message = json.dumps({"paths": [os.fspath(p) for p in paths]}, ensure_ascii=True) + "\n"
        socket.write(message.encode("ascii"))
        delivered = socket.waitForBytesWritten(_TIMEOUT_MS) or socket.bytesToWrite() == 0
        socket.disconnectFromServer()
        if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
            socket.waitForDisconnected(_TIMEOUT_MS)
        return delivered

    def listen(self) -> bool:
        """Become the instance others hand over to; False if the name cannot be taken safely."""
        if self.address is None:
            return False
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.address):
            QLocalServer.removeServer(self.address)   # a socket file left behind by a crashed instance
            if not server.listen(self.address):
                return False
        server.newConnection.connect(self._on_new_connection)
        self.server = server
        return True

    def close(self) -> None:
        self._sweeper.stop()
        if self.server is not None:
            self.server.close()
            self.server = None

    def _buffered(self) -> int:
        return sum(len(data) for data in self._buffers.values())

    def _forget(self, socket: QLocalSocket) -> bytes | None:
        self._deadlines.pop(socket, None)
        if not self._deadlines:
            self._sweeper.stop()
        return self._buffers.pop(socket, None)

    def _drop(self, socket: QLocalSocket) -> None:
        self._forget(socket)
        socket.abort()

    def _drop_idle(self) -> None:
        now = time.monotonic()
        for socket in [s for s, deadline in self._deadlines.items() if deadline < now]:
            self._drop(socket)

    def _on_new_connection(self) -> None:
        while self.server is not None and self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            if socket is None:
                break
            socket.disconnected.connect(socket.deleteLater)
            if len(self._buffers) >= _MAX_CONNECTIONS or not _trusted_peer(socket):
                socket.abort()
                continue
            socket.setReadBufferSize(64 * 1024)
            self._buffers[socket] = b""
            socket.readyRead.connect(self._on_ready_read)
            socket.disconnected.connect(self._on_disconnected)
            self._deadlines[socket] = time.monotonic() + _IDLE_MS / 1000
            if not self._sweeper.isActive():
                self._sweeper.start()
            self._on_ready_read(socket)

    def _on_ready_read(self, socket: QLocalSocket | None = None) -> None:
        socket = socket or self.sender()
        if socket not in self._buffers:
            return
        data = self._buffers[socket]
        room = min(_MAX_MESSAGE - len(data), _MAX_BUFFERED - self._buffered())
        chunk = bytes(socket.read(room + 1)) if room >= 0 else b"\0"
        data += chunk
        if b"\n" in data:
            self._forget(socket)
            self._deliver(data.split(b"\n", 1)[0])
            return
        if len(chunk) > room:           # too big for one message, or for what we hold at once: drop it
            self._drop(socket)
            return
        self._buffers[socket] = data

    def _on_disconnected(self) -> None:
        socket = self.sender()
        data = self._forget(socket)
        if data is not None:
            rest = bytes(socket.read(max(0, _MAX_MESSAGE - len(data)) + 1))
            if len(data) + len(rest) <= _MAX_MESSAGE:
                self._deliver(data + rest)

    def _deliver(self, line: bytes) -> None:
        paths = parse_message(line)
        if paths is None:
            return   # a probe or a stranger
        self.activated.emit()
        self.pathsReceived.emit(paths)


def connect_window(instance: SingleInstance, window: Any) -> None:
    """A second launch raises `window` and opens its paths there (files, folders, playlists)."""
    def raise_window() -> None:
        bring_to_front = getattr(window, "bring_to_front", None)
        if bring_to_front is not None:   # keeps a maximised window maximised (MainWindow.bring_to_front)
            bring_to_front()
            return
        if window.isMinimized():
            window.showNormal()
        window.show()
        window.raise_()
        window.activateWindow()

    instance.activated.connect(raise_window)
    instance.pathsReceived.connect(lambda paths: window.add_paths(paths) if paths else None)
