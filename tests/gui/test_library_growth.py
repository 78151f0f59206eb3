"""Empty state, adding folders (button, dialog, drag and drop), and the scan worker filling the table."""

from __future__ import annotations

import threading

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from tests.gui.fakes import FakeScanner, FakeStore


def make_music(tmp_path, count: int = 3, folder: str = "music"):
    root = tmp_path / folder
    (root / "album").mkdir(parents=True)
    for i in range(count):
        (root / "album" / f"song {i}.flac").write_bytes(b"fake")
    return root


def drop(window, paths) -> QDropEvent:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    position = QPointF(window.rect().center())
    enter = QDragEnterEvent(window.rect().center(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(position, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    return event


def test_empty_library_shows_the_empty_state_and_add_folder_scans(make_window, make_settings, qtbot,
                                                                  monkeypatch, tmp_path):
    store = FakeStore()
    settings = make_settings()
    settings.music_folders = []
    window = make_window(store=store, settings=settings, scanner=FakeScanner(store))
    window.show()
    qtbot.waitExposed(window)
    assert window.library_view.is_empty_state_shown()
    assert window.library_view.empty_state.add_button.text() == "Add music folder…"
    music = make_music(tmp_path)
    monkeypatch.setattr("fmaplayer.ui.main_window.QFileDialog.getExistingDirectory",
                        lambda *args, **kwargs: str(music))
    with qtbot.waitSignal(window.scanFinished, timeout=10000):
        qtbot.mouseClick(window.library_view.empty_state.add_button, Qt.MouseButton.LeftButton)
    assert settings.music_folders == [str(music)]
    assert window.track_table_model.rowCount() == 3
    assert not window.library_view.is_empty_state_shown()
    assert make_settings().music_folders == [str(music)]


def test_cancelled_folder_dialog_changes_nothing(make_window, make_settings, monkeypatch):
    settings = make_settings()
    settings.music_folders = []
    window = make_window(store=FakeStore(), settings=settings)
    monkeypatch.setattr("fmaplayer.ui.main_window.QFileDialog.getExistingDirectory", lambda *a, **k: "")
    window.library_view.empty_state.add_button.click()
    assert settings.music_folders == []
    assert not window.scan_controller.is_running()


def test_dropping_folders_and_files_adds_them(make_window, make_settings, qtbot, tmp_path):
    store = FakeStore()
    settings = make_settings()
    settings.music_folders = []
    scanner = FakeScanner(store)
    window = make_window(store=store, settings=settings, scanner=scanner)
    music = make_music(tmp_path, 2)
    loose = tmp_path / "loose"
    loose.mkdir()
    single = loose / "single.mp3"
    single.write_bytes(b"fake")
    (loose / "sibling.mp3").write_bytes(b"fake")
    with qtbot.waitSignal(window.scanFinished, timeout=10000):
        event = drop(window, [music, single])
    assert event.isAccepted()
    assert settings.music_folders == [str(music)]  # the folder became a music folder, the file did not
    titles = sorted(t.title for t in window.track_table_model.visible_tracks())
    assert titles == ["Single", "Song 0", "Song 1"]  # only the dropped file from its folder


def test_drag_without_local_files_is_refused(make_window):
    window = make_window()
    mime = QMimeData()
    mime.setText("hello")
    enter = QDragEnterEvent(window.rect().center(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_scan_progress_fills_the_table_while_scanning(make_window, make_settings, qtbot, tmp_path):
    store = FakeStore()
    gate = threading.Event()
    scanner = FakeScanner(store, gate=gate)
    settings = make_settings()
    music = make_music(tmp_path, 5)
    settings.music_folders = [str(music), str(tmp_path / "unplugged-drive")]
    window = make_window(store=store, settings=settings, scanner=scanner)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.scan_controller.progress, timeout=10000):
        assert window.start_scan()
    assert scanner.calls == [[str(music)]]  # folders that do not exist are left alone
    progress = window.status.scan_progress
    assert progress.isVisible() and progress.maximum() == 5
    qtbot.waitUntil(lambda: window.track_table_model.rowCount() == 1, timeout=10000)  # fills as it goes
    assert not window.library_view.is_empty_state_shown()
    with qtbot.waitSignal(window.scanFinished, timeout=10000):
        gate.set()
    assert window.track_table_model.rowCount() == 5
    qtbot.waitUntil(lambda: not progress.isVisible())
    assert "5 added" in window.status.currentMessage()


def test_scan_can_be_cancelled_and_requests_during_a_scan_are_queued(make_window, qtbot, tmp_path):
    store = FakeStore()
    gate = threading.Event()
    scanner = FakeScanner(store, gate=gate)
    window = make_window(store=store, scanner=scanner)
    first, second = make_music(tmp_path, 3, "first"), make_music(tmp_path, 2, "second")
    window.start_scan([str(first)])
    window.start_scan([str(second)])  # queued behind the running scan
    assert scanner.first_file_done.wait(10)
    with qtbot.waitSignal(window.scan_controller.idle, timeout=10000):
        gate.set()
    assert scanner.calls == [[str(first)], [str(second)]]

    gate.clear()
    scanner.first_file_done.clear()
    window.start_scan([str(first)])
    assert scanner.first_file_done.wait(10)
    with qtbot.waitSignal(window.scan_controller.cancelled, timeout=10000):
        window.status.scan_cancel_button.click()
        gate.set()
    assert window.status.currentMessage() == "Scan stopped."


def test_scan_failure_is_reported_and_the_app_goes_on(make_window, qtbot, tmp_path):
    class BrokenScanner:
        def scan(self, folders, progress=None, cancel=None):
            raise OSError("disk on fire")

    window = make_window(scanner=BrokenScanner())
    with qtbot.waitSignal(window.scan_controller.idle, timeout=10000):
        window.start_scan([str(tmp_path)])
    assert "disk on fire" in window.status.currentMessage()
    assert window.track_table_model.rowCount() == 7
