"""File → Open playlist / Save queue as playlist, and a playlist dropped on the window (real widgets)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from fmaplayer.library.playlists import read_playlist
from tests.gui.fakes import FakeStore, make_track
from tests.gui.test_library_growth import drop


def _library(tmp_path):
    folder = tmp_path / "music"
    folder.mkdir()
    tracks = []
    for i in range(3):
        path = folder / f"song{i}.flac"
        path.write_bytes(b"fake")
        tracks.append(make_track(i + 1, f"Song {i}", "Band", path=str(path)))
    return tracks


def _open(qtbot, window, path) -> list:
    with qtbot.waitSignal(window.playlists.playlistOpened, timeout=10_000) as opened:
        window.playlists.open_playlist(str(path))
    return opened.args[0]


def test_save_the_queue_then_open_it_again(make_window, player, tmp_path, qtbot):
    tracks = _library(tmp_path)
    window = make_window(store=FakeStore(tracks))
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    texts = [a.text() for a in file_menu.actions()]
    assert "Open &playlist…" in texts and "&Save queue as playlist…" in texts
    player.queue.replace([tracks[2], tracks[0]])
    target = tmp_path / "music" / "saved.m3u8"
    assert window.playlists.save_queue(str(target))
    assert "Saved 2 tracks" in window.status.currentMessage()
    assert read_playlist(target).paths == [tracks[2].path, tracks[0].path]
    assert "song2.flac" in target.read_text(encoding="utf-8").splitlines()  # relative to the playlist

    player.queue.clear()
    opened = _open(qtbot, window, target)
    assert opened == [tracks[2], tracks[0]]  # the library's own tracks, not copies
    assert player.calls[-1] == ("play_tracks", [tracks[2], tracks[0]], 0)
    assert window.queue_view.count() == 2
    assert window.playlists.last_report is None


def test_missing_entries_are_reported(make_window, player, tmp_path, qtbot):
    tracks = _library(tmp_path)
    window = make_window(store=FakeStore(tracks))
    playlist = tmp_path / "music" / "old.m3u"
    playlist.write_text("song0.flac\nvanished.flac\nsong1.flac\n", encoding="utf-8")
    _open(qtbot, window, playlist)
    assert [t.title for t in player.queue.items()] == ["Song 0", "Song 1"]
    box = window.playlists.last_report
    assert isinstance(box, QMessageBox)
    qtbot.waitUntil(box.isVisible)
    assert "1 entries of old.m3u" in box.text()
    assert "line 2: vanished.flac — file not found" in box.informativeText()
    assert "1 not playable" in window.status.currentMessage()
    box.close()


def test_dropping_a_playlist_opens_it_and_scans_files_outside_the_library(make_window, player, tmp_path,
                                                                           qtbot):
    tracks = _library(tmp_path)
    library = FakeStore(tracks)
    window = make_window(store=library)
    stray = tmp_path / "stray.flac"
    stray.write_bytes(b"fake")
    playlist = tmp_path / "music" / "dropped.m3u8"
    playlist.write_text(f"song1.flac\n{stray}\n", encoding="utf-8")
    with qtbot.waitSignal(window.scanFinished, timeout=10_000):  # the stray file joins the library
        event = drop(window, [playlist])
    assert event.isAccepted()
    queued = player.queue.items()
    assert queued[0] is tracks[1] and queued[1].path == str(stray) and queued[1].display_title == "stray"
    assert str(stray) in [t.path for t in library.all_tracks()]


def test_a_playlist_is_read_off_the_ui_thread_and_the_newest_request_wins(make_window, player, tmp_path,
                                                                          qtbot, monkeypatch):
    import threading

    from fmaplayer.ui import playlist_actions

    tracks = _library(tmp_path)
    window = make_window(store=FakeStore(tracks))
    first, second = tmp_path / "music" / "first.m3u8", tmp_path / "music" / "second.m3u8"
    first.write_text("song0.flac\n", encoding="utf-8")
    second.write_text("song2.flac\nsong1.flac\n", encoding="utf-8")
    release, readers = threading.Event(), []
    real_read = playlist_actions.read_playlist

    def read(path):
        readers.append(threading.current_thread())
        if path == str(first):
            release.wait(30)            # a slow share: the UI thread does not wait for it
        return real_read(path)

    monkeypatch.setattr(playlist_actions, "read_playlist", read)
    window.playlists.open_playlist(str(first))
    slow = window.playlists.reader
    assert "Opening the playlist first.m3u8" in window.status.currentMessage()
    assert _open(qtbot, window, second) == [tracks[2], tracks[1]]
    release.set()
    slow.join(30)
    qtbot.wait(0)                       # the first playlist's late answer is delivered ... and ignored
    assert player.calls[-1] == ("play_tracks", [tracks[2], tracks[1]], 0)
    assert threading.main_thread() not in readers and len(readers) == 2


def test_a_huge_playlist_lists_a_capped_number_of_missing_entries(make_window, player, tmp_path, qtbot):
    tracks = _library(tmp_path)
    window = make_window(store=FakeStore(tracks))
    playlist = tmp_path / "music" / "huge.m3u8"
    playlist.write_text("song0.flac\n" + "".join(f"gone {i}.flac\n" for i in range(20_000)), encoding="utf-8")
    assert _open(qtbot, window, playlist) == [tracks[0]]
    box = window.playlists.last_report
    assert "20,000 entries of huge.m3u8" in box.text()
    assert box.informativeText().count("\n") == 30 and box.informativeText().endswith("… and 19,970 more")
    assert box.detailedText().count("\n") == 1000 and box.detailedText().endswith("… and 19,000 more")
    assert "20,000 not playable" in window.status.currentMessage()
    box.close()


def test_a_playlist_that_is_a_fifo_is_refused_with_a_message(make_window, tmp_path, qtbot):
    import os

    window = make_window()
    os.mkfifo(tmp_path / "pipe.m3u8")
    assert _open(qtbot, window, tmp_path / "pipe.m3u8") == []
    box = window.playlists.last_report
    assert "not a regular file (a FIFO" in box.text()
    box.close()
