"""The window over the real LibraryStore, Scanner and Player (null output): scan, unreadable files, play."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from fmaplayer.library.track import Track
from fmaplayer.ui.track_table_model import Column
from tests.audio_fixtures import write_tone


@pytest.fixture
def real_parts(tmp_path):
    from fmaplayer.audio.null_output import NullOutput
    from fmaplayer.audio.player import Player
    from fmaplayer.library.scanner import Scanner
    from fmaplayer.library.store import LibraryStore

    store = LibraryStore(tmp_path / "library.db")
    player = Player(NullOutput(realtime=False))
    yield store, player, Scanner(store)
    player.shutdown()
    store.close()


@pytest.fixture
def music(tmp_path):
    root = tmp_path / "music"
    one = {"title": "One", "artist": "Tone Band", "album": "Sines", "tracknumber": "1", "genre": "Test",
           "date": "2020"}
    two = {"title": "<i>Two</i>", "artist": "Tone Band", "album": "Sines", "tracknumber": "2"}
    write_tone(root / "a" / "one.flac", seconds=0.5, tags=one)
    write_tone(root / "a" / "two.wav", seconds=0.5, freq=550.0, tags=two)
    (root / "b").mkdir()
    (root / "b" / "readme.mp3").write_text("this is not audio")
    (root / "b" / "empty.flac").write_bytes(b"")
    return root


def test_scan_fills_table_and_lists_unreadable_files_with_reasons(make_window, make_settings, real_parts,
                                                                   music, qtbot):
    store, player, scanner = real_parts
    settings = make_settings()
    settings.music_folders = [str(music)]
    window = make_window(store=store, player=player, scanner=scanner, settings=settings)
    assert window.library_view.is_empty_state_shown()
    with qtbot.waitSignal(window.scanFinished, timeout=30000):
        window.start_scan()
    model = window.track_table_model
    assert model.total_count() == 4
    assert window.status.currentMessage() == "Scan finished: 2 added, 2 unreadable."   # 4 files, not 6
    assert model.unreadable_count() == 2
    window.unreadable_only_action.setChecked(True)
    assert sorted(t.display_title for t in model.visible_tracks()) == ["empty", "readme"]
    for row in range(model.rowCount()):
        reason = model.index(row, Column.TITLE).data(Qt.ItemDataRole.ToolTipRole)
        assert reason.startswith("<qt>Unreadable: ") and len(reason) > 20
        shown = model.index(row, Column.STATUS).data()   # the reason itself, not only in the tooltip
        assert shown and shown == model.visible_tracks()[row].error
    window.unreadable_only_action.setChecked(False)
    row = model.row_of_track(store.track_by_path(str(music / "a" / "two.wav")).id)
    assert model.index(row, Column.TITLE).data() == "<i>Two</i>"  # tags stay plain text


def _scanned_window(make_window, make_settings, real_parts, music, qtbot):
    """The real window over the real store, scanner and player, after a first scan of `music`."""
    store, player, scanner = real_parts
    settings = make_settings()
    settings.music_folders = [str(music)]
    window = make_window(store=store, player=player, scanner=scanner, settings=settings)
    with qtbot.waitSignal(window.scanFinished, timeout=30000):
        window.start_scan()
    return store, player, window


def test_double_click_plays_with_the_real_player(make_window, make_settings, real_parts, music, qtbot):
    store, player, window = _scanned_window(make_window, make_settings, real_parts, music, qtbot)
    model = window.track_table_model
    row = model.row_of_track(store.track_by_path(str(music / "a" / "one.flac")).id)
    with qtbot.waitSignal(player.trackChanged, timeout=10000):
        window.library_view.table.activated.emit(model.index(row, 0))
    assert player.current_track().title == "One"
    assert [t.title for t in player.queue.items()] == [t.title for t in model.visible_tracks(row)
                                                       if t.error is None]
    assert window.player_bar.title_label.full_text() == "One"
    with qtbot.waitSignal(player.stateChanged, timeout=10000):
        window.play_pause_action.trigger()
    assert player.state() == "paused"


def test_a_file_deleted_from_disk_leaves_the_queue_when_the_rescan_removes_it(make_window, make_settings,
                                                                              real_parts, music, qtbot):
    store, player, window = _scanned_window(make_window, make_settings, real_parts, music, qtbot)
    one, two = (store.track_by_path(str(music / "a" / name)) for name in ("one.flac", "two.wav"))
    player.queue.replace([one, two, one], current=0)      # e.g. a queue the last session left
    (music / "a" / "two.wav").unlink()
    with qtbot.waitSignal(window.scanFinished, timeout=30000) as finished:
        window.start_scan()
    assert finished.args[0].removed == 1
    assert [t.path for t in player.queue.items()] == [one.path, one.path]
    assert player.queue.current_index == 0


def test_a_music_folder_on_an_unplugged_drive_shows_its_tracks_as_unavailable(make_window, make_settings,
                                                                               real_parts, music, qtbot):
    import os

    store, player, window = _scanned_window(make_window, make_settings, real_parts, music, qtbot)
    os.rename(music, music.with_name("unplugged"))
    with qtbot.waitSignal(window.scanFinished, timeout=30000) as finished:
        assert window.start_scan()   # the missing folder is scanned too: it still holds tracks
    assert finished.args[0].removed == 0 and store.count() == 4
    assert window.status.currentMessage() == "Scan finished: 4 kept as unavailable (folder not reachable)."
    # the counter tells them from the broken files (which keep their own reason), not '4 unreadable'
    assert window.status.unreadable_button.text() == "2 unreadable, 2 unavailable"
    model = window.track_table_model
    row = model.row_of_track(store.track_by_path(str(music / "a" / "one.flac")).id)
    assert model.index(row, Column.STATUS).data() == "folder not reachable (drive unplugged?)"
    assert model.index(row, Column.TITLE).data(Qt.ItemDataRole.ToolTipRole).startswith("<qt>Unavailable: ")


def test_a_queued_file_the_library_never_held_stays_in_the_queue(make_window, make_settings, real_parts,
                                                                music, qtbot, tmp_path):
    """A playlist entry the scan does not list (a name ending in a space: 'x.wav ') plays as queued; a rescan
    of the library must not take it out of the queue (only files the scan removed leave it)."""
    store, player, window = _scanned_window(make_window, make_settings, real_parts, music, qtbot)
    odd = tmp_path / "elsewhere" / "trailing space.wav "
    write_tone(tmp_path / "elsewhere" / "t.wav", seconds=0.5).rename(odd)
    one = store.track_by_path(str(music / "a" / "one.flac"))
    player.queue.replace([one, Track(id=-1, path=str(odd), title="trailing space")], current=0)
    with qtbot.waitSignal(window.scanFinished, timeout=30000):
        window.start_scan()
    assert [t.path for t in player.queue.items()] == [one.path, str(odd)]
