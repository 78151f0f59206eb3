"""SIGTERM and SIGINT close the main window the way the user would (layout, session and settings saved).

Python runs a signal handler only when the interpreter gets control, and Qt's event loop sits in C++: the
handler's wake-up byte goes to a socket that a QSocketNotifier watches, so the handler runs at once,
without a polling timer. The handler only schedules the close; the event loop does it.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

QUIT_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def close_on_quit_signals(window, parent: QObject | None = None) -> Callable[[], None]:
    """Install the handlers; returns a function that puts the previous handlers back."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    previous_fd = signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, parent or window)

    def drain() -> None:   # the Python handler has run by the time this slot does
        try:
            reader.recv(64)
        except OSError:
            pass

    notifier.activated.connect(drain)

    def on_signal(_signum, _frame) -> None:
        QTimer.singleShot(0, window.close)

    previous = {sig: signal.signal(sig, on_signal) for sig in QUIT_SIGNALS}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(previous_fd)
        notifier.setEnabled(False)
        reader.close()
        writer.close()

    return restore
