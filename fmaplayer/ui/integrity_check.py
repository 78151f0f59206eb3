"""A quick integrity check of the library database at start, off the UI thread.

The CLI refuses a database with corrupted pages when it trips over them; the GUI used to open one without
a word. `PRAGMA quick_check` reads every page but skips the index cross-checks, so it is fast enough to run
on every start in the background; a damaged database is reported with the way out.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal


def damaged_message(db_path, result: str) -> str:
    return (f"The music library database {db_path} is damaged ({result[:200]}).\n\n"
            "Your music files are not affected. To recover, quit fmaplayer, move the database aside "
            "(or restore a .bak copy written next to it before an upgrade), and start again: the "
            "library is rebuilt by scanning your music folders.")


class IntegrityCheck(QObject):
    damaged = Signal(str)   # the message for the user (queued to the UI thread)
    finished = Signal()

    def __init__(self, store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="integrity-check", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            result = self._store.quick_check()
        except Exception as exc:  # noqa: BLE001 - a read error on a damaged file is the same news
            result = str(exc)
        if result != "ok":
            self.damaged.emit(damaged_message(self._store.db_path, result))
        self.finished.emit()
