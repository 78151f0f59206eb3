"""Drag and drop into and within the queue, Delete removes: real widgets, real drag/drop events."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from tests.gui.fakes import sample_tracks


def _drop_on(widget, mime, point: QPoint) -> QDropEvent:
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point, Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(widget, enter)
    move = QDragMoveEvent(point, Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(widget, move)
    drop = QDropEvent(QPointF(point), Qt.DropAction.CopyAction, mime, buttons, modifiers)
    QApplication.sendEvent(widget, drop)
    return drop


def _row_point(queue_list, row: int, lower_half: bool = False) -> QPoint:
    rect = queue_list.visualItemRect(queue_list.topLevelItem(row))
    return QPoint(rect.center().x(), rect.bottom() - 2 if lower_half else rect.top() + 2)


def _titles(player):
    return [t.title for t in player.queue.items()]


def _window_with_queue(make_window, player, qtbot):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    tracks = sample_tracks()
    player.play_tracks(tracks[:3], 0)  # Blue Train (playing), Moment's Notice, So What
    return window, tracks


def test_tracks_dragged_from_the_library_drop_where_the_pointer_is(make_window, player, qtbot):
    window, tracks = _window_with_queue(make_window, player, qtbot)
    table = window.library_view.table
    model = window.track_table_model
    rows = [model.row_of_track(4), model.row_of_track(5)]  # Teardrop, Angel
    window.library_view.select_rows(rows)
    mime = table.drag_mime_data()
    assert sorted(url.toLocalFile() for url in mime.urls()) == sorted(tracks[i].path for i in (3, 4))
    queue_list = window.queue_view.list
    drop = _drop_on(queue_list.viewport(), mime, _row_point(queue_list, 1))  # onto the top of row 1
    assert drop.isAccepted()
    assert _titles(player)[0] == "Blue Train" and _titles(player)[3:] == ["Moment's Notice", "So What"]
    assert set(_titles(player)[1:3]) == {"Teardrop", "Angel"}
    dropped = player.queue.items()[1]
    assert any(dropped is t for t in model.all_tracks())  # the library's own track objects
    assert player.queue.current_index == 0  # still playing Blue Train
    assert window.queue_view.count() == 5


def test_the_main_window_ignores_tracks_dragged_from_its_own_table(make_window, player, qtbot):
    window, _tracks = _window_with_queue(make_window, player, qtbot)
    window.library_view.select_rows([0])
    mime = window.library_view.table.drag_mime_data()
    enter = QDragEnterEvent(window.rect().center(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()  # not scanned again as "dropped files"


def test_reorder_the_queue_by_dragging(make_window, player, qtbot):
    window, _tracks = _window_with_queue(make_window, player, qtbot)
    queue_list = window.queue_view.list
    mime = queue_list.mimeData([queue_list.topLevelItem(0)])  # drag the playing entry ...
    _drop_on(queue_list.viewport(), mime, _row_point(queue_list, 2, lower_half=True))  # ... below the last
    assert _titles(player) == ["Moment's Notice", "So What", "Blue Train"]
    assert player.queue.current_index == 2 and player.queue.current().title == "Blue Train"
    assert queue_list.topLevelItem(2).isSelected()  # the moved entry stays selected
    mime = queue_list.mimeData([queue_list.topLevelItem(1), queue_list.topLevelItem(2)])
    _drop_on(queue_list.viewport(), mime, _row_point(queue_list, 0))
    assert _titles(player) == ["So What", "Blue Train", "Moment's Notice"]


def test_files_from_a_file_manager_drop_into_the_queue(make_window, player, qtbot, tmp_path):
    window, _tracks = _window_with_queue(make_window, player, qtbot)
    outside = tmp_path / "new song.flac"
    outside.write_bytes(b"fake")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(outside))])
    queue_list = window.queue_view.list
    with qtbot.waitSignal(window.scanFinished, timeout=10_000):  # outside the library: it gets scanned
        below_the_rows = QPoint(10, queue_list.viewport().height() - 5)
        _drop_on(queue_list.viewport(), mime, below_the_rows)
    assert player.queue.items()[-1].path == str(outside)


def test_delete_removes_the_selected_entries(make_window, player, qtbot):
    window, _tracks = _window_with_queue(make_window, player, qtbot)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    queue_list = window.queue_view.list
    queue_list.setFocus()
    queue_list.topLevelItem(1).setSelected(True)
    queue_list.topLevelItem(2).setSelected(True)
    with qtbot.waitSignal(player.queue.changed):
        qtbot.keyClick(queue_list, Qt.Key.Key_Delete)
    assert _titles(player) == ["Blue Train"] and window.queue_view.count() == 1


def test_a_playlist_dropped_on_the_queue_is_expanded(make_window, player, qtbot, tmp_path):
    window, _tracks = _window_with_queue(make_window, player, qtbot)
    song = tmp_path / "song.flac"
    song.write_bytes(b"fake")
    playlist = tmp_path / "list.m3u8"
    playlist.write_text("song.flac\ngone.flac\n", encoding="utf-8")
    with qtbot.waitSignal(window.scanFinished, timeout=10_000):  # song.flac is new to the library
        window.queue_view.insert_paths([str(playlist)], 1)
    assert [t.path for t in player.queue.items()][1] == str(song) and len(player.queue) == 4


def test_the_queue_title_says_when_it_is_shuffled(make_window, player, qtbot):
    window, _tracks = _window_with_queue(make_window, player, qtbot)
    assert window.queue_view.windowTitle() == "Up next (2)"
    player.set_shuffle(True)
    assert window.queue_view.windowTitle() == "Up next (shuffled, 2 left)"
