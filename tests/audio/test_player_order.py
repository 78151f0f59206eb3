"""The player over play orders, mute and cue (restore), on a fast null output: real decoding, no sleeps."""

import random

import numpy as np
import pytest

from fmaplayer.audio.null_output import NullOutput
from fmaplayer.audio.play_order import ShuffleOrder
from fmaplayer.audio.player import Player
from fmaplayer.library.track import Track
from tests.audio_fixtures import write_tone


class RecordingOutput(NullOutput):
    def __init__(self):
        super().__init__(realtime=False)
        self.peak = 0.0

    def open(self, samplerate, channels, callback):
        def record(out):
            callback(out)
            self.peak = max(self.peak, float(np.abs(out).max()) if out.size else 0.0)

        super().open(samplerate, channels, record)


@pytest.fixture
def make_player(qtbot):
    players = []

    def make():
        player = Player(RecordingOutput(), poll_interval_ms=10)
        players.append(player)
        return player

    yield make
    for player in players:
        player.shutdown()


@pytest.fixture
def tracks(tmp_path):
    return [Track(id=i, path=str(write_tone(tmp_path / f"o{i}.wav", seconds=0.3, sr=8000, freq=300 + 50 * i)),
                  title=f"t{i}") for i in range(5)]


@pytest.fixture
def long_tracks(tmp_path):
    return [Track(id=i, path=str(write_tone(tmp_path / f"l{i}.wav", seconds=5.0, sr=8000)), title=f"l{i}")
            for i in range(4)]


def _played(qtbot, player, start, timeout=15_000):
    seen = []
    player.trackChanged.connect(seen.append)
    start()
    qtbot.waitUntil(lambda: player.state() == "stopped", timeout=timeout)
    return [t for t in seen if t is not None]


def test_shuffle_plays_every_track_once_then_stops(qtbot, make_player, tracks):
    player = make_player()
    with qtbot.waitSignal(player.shuffleChanged, check_params_cb=lambda on: on is True):
        player.set_shuffle(True)
    player.set_order(ShuffleOrder(random.Random(4)))
    played = _played(qtbot, player, lambda: player.play_tracks(tracks))
    assert played[0] is tracks[0]  # the picked track first, then the rest shuffled
    assert sorted(t.id for t in played) == [0, 1, 2, 3, 4]
    assert [t.id for t in played] != [0, 1, 2, 3, 4]
    assert player.queue.items() == tracks  # the queue itself is not reordered


def test_repeat_one_replays_on_track_end_and_next_breaks_out(qtbot, make_player, tracks):
    player = make_player()
    player.set_repeat("one")
    starts = []
    player.trackChanged.connect(starts.append)
    player.play_tracks(tracks[:2])
    qtbot.waitUntil(lambda: len(starts) >= 3, timeout=10_000)  # t0 ended twice and came back each time
    assert all(t is tracks[0] for t in starts[:3])
    player.next()  # explicit: moves on despite repeat one
    assert player.current_track() is tracks[1]
    player.stop()


def test_repeat_all_wraps_to_the_start(qtbot, make_player, tracks):
    player = make_player()
    with qtbot.waitSignal(player.repeatChanged, check_params_cb=lambda mode: mode == "all"):
        player.set_repeat("all")
    seen = []
    player.trackChanged.connect(seen.append)
    player.play_tracks(tracks[:2])
    qtbot.waitUntil(lambda: len(seen) >= 4, timeout=10_000)
    assert seen[:4] == [tracks[0], tracks[1], tracks[0], tracks[1]]
    player.set_repeat("off")
    qtbot.waitUntil(lambda: player.state() == "stopped", timeout=10_000)
    with pytest.raises(ValueError):
        player.set_repeat("twice")


def test_previous_walks_back_the_shuffle_history(qtbot, make_player, long_tracks):
    player = make_player()
    player.set_order(ShuffleOrder(random.Random(9)))
    player.play_tracks(long_tracks)
    order = [player.current_track()]
    for _ in range(2):
        player.next()
        order.append(player.current_track())
    assert len({t.id for t in order}) == 3
    player.previous()
    assert player.current_track() is order[1]
    player.previous()
    assert player.current_track() is order[0]
    player.next()
    assert player.current_track() is order[1]  # forward again along the same path
    player.stop()


def test_mute_silences_the_output_and_keeps_the_volume(qtbot, make_player, tracks):
    player = make_player()
    player.set_volume(0.8)
    with qtbot.waitSignal(player.mutedChanged, check_params_cb=lambda muted: muted is True):
        player.toggle_muted()
    assert player.muted() and player.volume() == 0.8
    _played(qtbot, player, lambda: player.play_tracks(tracks[:1]))
    assert player.output.peak == 0.0
    player.toggle_muted()
    _played(qtbot, player, lambda: player.play_tracks(tracks[:1]))
    assert player.output.peak > 0.1


def test_cue_stands_paused_at_the_position(qtbot, make_player, long_tracks):
    player = make_player()
    with qtbot.waitSignal(player.trackChanged):
        assert player.cue(long_tracks, 2, 3.5)
    assert player.state() == "paused" and player.current_track() is long_tracks[2]
    assert player.position() == pytest.approx(3.5, abs=0.05)
    assert player.queue.items() == long_tracks and player.queue.current_index == 2
    assert player.output.peak == 0.0                 # paused: nothing heard before play()
    # the output runs faster than real time, so the rest of the cued track is over at once: what shows that
    # play() went on from the cue is sound coming out and the order moving on to the next track
    with qtbot.waitSignal(player.trackChanged, timeout=5_000,
                          check_params_cb=lambda track: track is long_tracks[3]):
        player.play()
        assert player.state() == "playing"
    assert player.output.peak > 0.1
    player.stop()


def test_cue_a_vanished_file_reports_and_keeps_the_queue(qtbot, make_player, tmp_path, long_tracks):
    player = make_player()
    gone = Track(id=9, path=str(tmp_path / "gone.wav"))
    with qtbot.waitSignal(player.errorOccurred):
        assert not player.cue([gone, *long_tracks], 0, 1.0)
    assert player.state() == "stopped" and len(player.queue) == 5


def test_play_index_plays_that_queue_entry(qtbot, make_player, long_tracks):
    player = make_player()
    player.play_tracks(long_tracks)
    player.play_index(3)
    assert player.current_track() is long_tracks[3]
    player.stop()


def test_the_shuffle_history_is_current_when_the_queue_says_the_track_changed(qtbot, make_player,
                                                                              long_tracks):
    player = make_player()
    player.set_order(ShuffleOrder(random.Random(2)))
    player.play_tracks(long_tracks)
    seen = []
    player.queue.currentChanged.connect(
        lambda index: seen.append(player.order.played(player.queue.items(), index)))
    player.next()
    assert seen[-1] == {0}  # the track played before is already in the history the view reads
    player.stop()


def test_shuffle_switched_on_mid_queue_keeps_what_was_played(qtbot, make_player, long_tracks):
    # A fresh shuffle used to forget the tracks heard in order: the queue view undimmed them, and shuffle
    # could pick them again before the rest.
    player = make_player()
    player.play_tracks(long_tracks)
    player.next()
    player.next()
    items = player.queue.items()
    assert player.order.played(items, 2) == {0, 1}
    player.set_shuffle(True)
    assert player.order.played(items, 2) == {0, 1}
    player.next()
    assert player.current_track() is long_tracks[3]          # the one track not heard yet
    player.set_repeat("all")                                 # another order again: still remembered
    assert player.order.played(player.queue.items(), 3) == {0, 1, 2}
    player.stop()
