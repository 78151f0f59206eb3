"""Restore on restart: a real Player over the null output, real files, the window closed and built again."""

from __future__ import annotations

import pytest

from fmaplayer.audio.null_output import NullOutput
from fmaplayer.audio.player import Player
from fmaplayer.audio.session import PlaybackSession, capture, resolve
from fmaplayer.library.track import Track
from fmaplayer.ui.session_keeper import STATE_NAME
from tests.audio_fixtures import write_tone
from tests.gui.fakes import FakeStore


@pytest.fixture
def library(tmp_path):
    paths = [write_tone(tmp_path / f"s{i}.wav", seconds=6.0, sr=8000, freq=300 + 40 * i) for i in range(4)]
    return [Track(id=i + 1, path=str(path), title=f"Song {i}", duration=6.0) for i, path in enumerate(paths)]


@pytest.fixture
def make_player(qtbot):
    players = []

    def make():
        player = Player(NullOutput(realtime=True), poll_interval_ms=10)
        players.append(player)
        return player

    yield make
    for player in players:
        player.shutdown()


def test_queue_track_position_and_volume_come_back_paused(make_window, make_settings, make_player, library,
                                                          qtbot):
    store = FakeStore(library)
    player = make_player()
    window = make_window(settings=make_settings(), store=store, player=player)
    player.play_tracks(library[1:], start_index=1)  # queue: songs 1..3, playing song 2
    player.pause()
    player.seek(2.5)
    player.set_volume(0.6)
    player.set_muted(True)
    window.close()

    restarted_player = make_player()
    restarted = make_window(settings=make_settings(), store=FakeStore(library), player=restarted_player)
    assert [t.path for t in restarted_player.queue.items()] == [t.path for t in library[1:]]
    assert restarted_player.current_track().path == library[2].path
    assert restarted_player.state() == "paused"  # nothing plays by itself on start
    assert restarted_player.position() == pytest.approx(2.5, abs=0.05)
    assert restarted_player.volume() == pytest.approx(0.6) and restarted_player.muted()
    bar = restarted.player_bar
    assert bar.volume_slider.value() == 60 and bar.mute_button.isChecked()
    assert bar.title_label.full_text() == "Song 2"
    assert restarted.queue_view.count() == 3
    with qtbot.waitSignal(restarted_player.stateChanged, check_params_cb=lambda s: s == "playing"):
        restarted_player.play()
    qtbot.waitUntil(lambda: restarted_player.position() > 2.55, timeout=5_000)  # from where it stood


def test_a_track_gone_from_the_library_is_left_out(make_window, make_settings, make_player, library):
    settings = make_settings()
    saved = PlaybackSession([t.path for t in library], current=3, position=1.0, volume=0.3)
    settings.save_state(STATE_NAME, saved.to_json())
    player = make_player()
    window = make_window(settings=settings, store=FakeStore(library[1:]), player=player)
    assert [t.title for t in player.queue.items()] == ["Song 1", "Song 2", "Song 3"]
    assert player.current_track().title == "Song 3" and player.state() == "paused"
    assert window.session_keeper.missing == [library[0].path]


def test_session_text_round_trip_and_damage():
    session = PlaybackSession(["/m/a.flac", "/m/ü.flac"], current=1, position=12.25, volume=0.5, muted=True)
    assert PlaybackSession.from_json(session.to_json()) == session
    for damaged in ("", "{", "[]", '{"version": 99}', '{"version": 1, "current": "x"}',
                    '{"version": 1, "paths": ["/a"], "current": 5, "position": -3, "volume": 7}',
                    "[" * 50_000 + "]" * 50_000):   # a 50,000-deep JSON: RecursionError inside json

        restored = PlaybackSession.from_json(damaged)
        assert restored.current == -1 and restored.position >= 0 and 0 <= restored.volume <= 1


def test_capture_and_resolve_without_widgets(library):
    class QueueLike:
        current_index = 1

        def items(self):
            return library[:3]

    class PlayerLike:
        queue = QueueLike()

        def position(self):
            return 4.0

        def volume(self):
            return 0.25

        def muted(self):
            return False

    session = capture(PlayerLike())
    assert session.paths == [t.path for t in library[:3]] and session.current == 1 and session.position == 4.0
    broken = Track(id=99, path=library[0].path, error="unreadable")
    tracks, current, missing = resolve(session, [broken, library[1], library[2]])
    assert tracks == [library[1], library[2]] and current == 0 and missing == [library[0].path]
