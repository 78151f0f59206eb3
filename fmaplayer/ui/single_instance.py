"""One fmaplayer per library: a second launch hands its files and folders to the first and exits.

The first instance listens on a QLocalServer whose name is derived from the user and the library
database, so `--db other.db` (or a test's temporary library) is a separate instance. A second launch
connects, writes one JSON line `{"paths": [...]}`, and exits; the first raises its window and opens the
paths as if they had been dropped on it. A stale socket left by a crashed instance is removed.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

_TIMEOUT_MS = 1500
_MAX_MESSAGE = 1 << 20


def server_name(db_path: str | os.PathLike[str]) -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    key = os.fsencode(os.path.abspath(os.fspath(db_path)))
    digest = hashlib.sha1(user.encode() + b"\0" + key).hexdigest()[:16]
    return f"fmaplayer-{digest}"


class SingleInstance(QObject):
    activated = Signal()          # a second launch asked for the window
    pathsReceived = Signal(list)  # ... and handed over these paths (may be empty)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}

    def hand_over(self, paths: Iterable[str] = ()) -> bool:
        """Send `paths` to a running instance; False when none is listening."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(_TIMEOUT_MS):
            return False
        message = json.dumps({"paths": [os.fspath(p) for p in paths]}, ensure_ascii=True) + "\n"
        socket.write(message.encode("ascii"))
        delivered = socket.waitForBytesWritten(_TIMEOUT_MS) or socket.bytesToWrite() == 0
        socket.disconnectFromServer()
        if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
            socket.waitForDisconnected(_TIMEOUT_MS)
        return delivered

    def listen(self) -> bool:
        """Become the instance others hand over to; False if the name cannot be taken."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            QLocalServer.removeServer(self.name)   # a socket file left behind by a crashed instance
            if not server.listen(self.name):
                return False
        server.newConnection.connect(self._on_new_connection)
        self.server = server
        return True

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    def _on_new_connection(self) -> None:
        while self.server is not None and self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            if socket is None:
                break
            self._buffers[socket] = b""
            socket.readyRead.connect(self._on_ready_read)
            socket.disconnected.connect(self._on_disconnected)
            self._on_ready_read(socket)

    def _on_ready_read(self, socket: QLocalSocket | None = None) -> None:
        socket = socket or self.sender()
        if socket not in self._buffers:
            return
        data = self._buffers[socket] + bytes(socket.readAll())
        if len(data) > _MAX_MESSAGE:    # not one of ours: drop it
            del self._buffers[socket]
            socket.abort()
            return
        self._buffers[socket] = data
        if b"\n" in data:
            del self._buffers[socket]
            self._deliver(data.split(b"\n", 1)[0])

    def _on_disconnected(self) -> None:
        socket = self.sender()
        data = self._buffers.pop(socket, None)
        if data is not None:
            self._deliver(data + bytes(socket.readAll()))
        socket.deleteLater()

    def _deliver(self, line: bytes) -> None:
        try:
            message = json.loads(line.decode("ascii"))
            paths = [str(p) for p in message.get("paths", []) if isinstance(p, str)]
        except (ValueError, AttributeError, UnicodeDecodeError):
            return   # a probe or a stranger
        self.activated.emit()
        self.pathsReceived.emit(paths)


def connect_window(instance: SingleInstance, window: Any) -> None:
    """A second launch raises `window` and opens its paths there (files, folders, playlists)."""
    def raise_window() -> None:
        if window.isMinimized():
            window.showNormal()
        window.show()
        window.raise_()
        window.activateWindow()

    instance.activated.connect(raise_window)
    instance.pathsReceived.connect(lambda paths: window.add_paths(paths) if paths else None)
