""""Show in folder": open a track's folder in the desktop's file manager, and say so when none opens.

Qt's QDesktopServices.openUrl only says whether it could start a launcher: on Linux it hands the folder to
`xdg-open`, which fails on its own later when no file manager is set up (exit status 3 or 4), and Qt never
hears of it; without `xdg-open` Qt writes a warning to the log and returns False. Here `xdg-open` is run
directly where it exists (its own session: it outlives the app, nothing waits on it), its exit status is
polled from the UI thread without blocking, and a failure is reported in words through `report`
(the status bar). Elsewhere openUrl's answer is reported.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtGui import QDesktopServices

from fmaplayer.ui.text import display_text

POLL_MS = 200
WATCH_S = 20.0       # xdg-open that has not failed by then has handed the folder on
MAX_FOLDERS = 5      # a large selection must not open hundreds of file managers

_XDG_OPEN_FAILURES = {
    1: "xdg-open did not accept it",
    2: "the folder is not there (an unplugged drive or a dropped network share?)",
    3: "no file manager is set up to open folders (xdg-open found no program for them)",
    4: "the file manager could not be started",
}


def _uses_xdg_open() -> bool:
    return sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))


class FolderOpener(QObject):
    """Opens folders for the window; `report(text)` gets a sentence for each one that could not be opened."""

    def __init__(self, report: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self._running: list[tuple[subprocess.Popen, str, float]] = []   # (process, folder, age in s)
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._poll)
        # the program that hands a folder to the desktop's file manager (None: ask Qt)
        self.xdg_open: str | None = shutil.which("xdg-open") if _uses_xdg_open() else None

    def open_folders(self, folders: list[str]) -> int:
        """Open up to MAX_FOLDERS folders; returns how many were handed to a file manager (so far)."""
        started = 0
        for folder in list(dict.fromkeys(folders))[:MAX_FOLDERS]:
            started += self.open_folder(folder)
        return started

    def open_folder(self, folder: str) -> bool:
        """Never looks at the folder itself (it may be on a share that hangs): xdg-open says if it is gone."""
        xdg_open = self.xdg_open
        if xdg_open is not None:
            try:
                process = subprocess.Popen([xdg_open, folder], stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                           start_new_session=True)
            except OSError as exc:
                self._fail(folder, f"xdg-open could not be started ({exc.strerror or exc})")
                return False
            self._running.append((process, folder, 0.0))
            self._timer.start()
            return True
        if QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
            return True
        self._fail(folder, "no file manager is set up to open folders")
        return False

    def pending(self) -> int:
        """xdg-open processes still watched (tests wait for none)."""
        return len(self._running)

    def _poll(self) -> None:
        still = []
        for process, folder, age in self._running:
            status = process.poll()
            if status is None:
                if age + POLL_MS / 1000 < WATCH_S:
                    still.append((process, folder, age + POLL_MS / 1000))
                continue            # still running after WATCH_S: the file manager it started is up
            if status != 0:
                self._fail(folder, _XDG_OPEN_FAILURES.get(status, f"xdg-open failed (exit status {status})"))
        self._running = still
        if not still:
            self._timer.stop()

    def _fail(self, folder: str, why: str) -> None:
        self.report(f"Could not show the folder {display_text(folder, 200)}: {why}.")
