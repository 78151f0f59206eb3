""""Up next" over the real player (null output, real decoding): which rows are dimmed as played, and what the
tab says once the queue has played to the end."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette

from fmaplayer.audio.null_output import NullOutput
from fmaplayer.audio.player import Player
from fmaplayer.library.track import Track
from tests.audio_fixtures import write_tone


@pytest.fixture
def real_player(qtbot):
    player = Player(NullOutput(realtime=False), poll_interval_ms=10)
    yield player
    player.shutdown()


def _tracks(folder, seconds: float, n: int = 6) -> list[Track]:
    return [Track(id=i + 1, title=f"q{i}", duration=seconds,
                  path=str(write_tone(folder / f"q{i}.wav", seconds=seconds, sr=8000, freq=300 + 40 * i)))
            for i in range(n)]


def _window(make_window, real_player, qtbot):
    window = make_window(player=real_player)
    window.show()
    qtbot.waitExposed(window)
    return window


def _dimmed(view) -> list[bool]:
    dim = QGuiApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text).color()
    return [view.list.topLevelItem(row).foreground(0).color() == dim for row in range(view.count())]


def test_switching_shuffle_on_keeps_the_played_rows_dimmed(make_window, real_player, qtbot, tmp_path):
    window = _window(make_window, real_player, qtbot)
    view = window.queue_view
    real_player.play_tracks(_tracks(tmp_path, 5.0), 0)
    real_player.next()
    real_player.next()
    assert _dimmed(view) == [True, True, False, False, False, False]
    qtbot.mouseClick(window.player_bar.shuffle_button, Qt.MouseButton.LeftButton)
    assert real_player.shuffle()
    assert _dimmed(view) == [True, True, False, False, False, False]     # was: nothing dimmed any more
    assert view.windowTitle() == "Up next (shuffled, 3 left)"
    real_player.next()
    played = [row for row, dim in enumerate(_dimmed(view)) if dim]
    assert len(played) == 3 and {0, 1, 2} <= set(played) | {real_player.queue.current_index}
    real_player.stop()


def test_a_queue_played_to_the_end_says_all_played_not_up_next_6(make_window, real_player, qtbot, tmp_path):
    window = _window(make_window, real_player, qtbot)
    view = window.queue_view
    real_player.play_tracks(_tracks(tmp_path, 0.2), 0)
    assert view.windowTitle() == "Up next (5)"
    qtbot.waitUntil(lambda: real_player.state() == "stopped", timeout=15_000)
    assert real_player.current_track() is None
    assert view.windowTitle() == "Up next (all played)"                 # was "Up next (6)"
    assert _dimmed(view) == [True] * 6
    real_player.play()                                                    # Play starts the queue again
    qtbot.waitUntil(lambda: real_player.current_track() is not None, timeout=5_000)
    assert view.windowTitle().startswith("Up next (") and "all played" not in view.windowTitle()
    real_player.stop()


def test_after_the_end_a_new_queue_is_up_next_again(make_window, real_player, qtbot, tmp_path):
    window = _window(make_window, real_player, qtbot)
    view = window.queue_view
    tracks = _tracks(tmp_path, 0.2, 2)
    real_player.play_tracks(tracks, 0)
    qtbot.waitUntil(lambda: view.windowTitle() == "Up next (all played)", timeout=15_000)
    real_player.queue.replace(tracks)                                     # the same tracks, a new queue
    assert view.windowTitle() == "Up next (2)" and _dimmed(view) == [False, False]
