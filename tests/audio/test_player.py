"""The player's state machine over the null output: no sound, no sleeps, real decoding and threads."""

import os

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QThread

from fmaplayer.audio import pipeline as pipeline_module
from fmaplayer.audio.null_output import NullOutput
from fmaplayer.audio.player import Player
from fmaplayer.errors import AudioDecodeError, OutputUnavailableError
from fmaplayer.library.track import Track
from tests.audio_fixtures import write_tone

SR = 44100  # the null output's rate; fixtures at this rate are not resampled, so samples can be checked


class RecordingOutput(NullOutput):
    """A fast null output that keeps a copy of every non-silent frame it was given."""

    def __init__(self, **kwargs):
        kwargs.setdefault("realtime", False)
        super().__init__(**kwargs)
        self.blocks = []

    def open(self, samplerate, channels, callback):
        def record(out):
            callback(out)
            if out.any():
                self.blocks.append(out.copy())

        super().open(samplerate, channels, record)

    def audio(self):
        audible = [b[np.any(b != 0, axis=1)] for b in self.blocks]
        return np.concatenate(audible) if audible else np.zeros((0, 2), np.float32)


def _const_wav(path, value, seconds=1.0, sr=SR):
    sf.write(path, np.full(int(seconds * sr), value, np.float32), sr, subtype="FLOAT")
    return path


def _ramp_wav(path, seconds=2.0, sr=SR):
    """Sample value = 0.05 + t / 10, so the first frame played tells where playback started."""
    sf.write(path, (0.05 + np.arange(int(seconds * sr)) / sr / 10).astype(np.float32), sr, subtype="FLOAT")
    return path


def _track(path, track_id=1):
    return Track(id=track_id, path=str(path), title=f"t{track_id}")


@pytest.fixture
def make_player(qtbot):
    players = []

    def make(output=None, **kwargs):
        player = Player(output if output is not None else RecordingOutput(), poll_interval_ms=10, **kwargs)
        players.append(player)
        return player

    yield make
    for player in players:
        player.shutdown()


@pytest.fixture
def tones(tmp_path):
    paths = [write_tone(tmp_path / f"tone{i}.wav", seconds=1.0, freq=300 + 100 * i) for i in range(3)]
    return [_track(path, i) for i, path in enumerate(paths)]


def _wait_stopped(qtbot, player, timeout=10_000):
    qtbot.waitUntil(lambda: player.state() == "stopped", timeout=timeout)


def test_initial_state(make_player):
    player = make_player()
    assert player.state() == "stopped" and player.current_track() is None
    assert player.position() == 0.0 and player.volume() == 1.0
    assert player.output_unavailable_reason is None
    player.play()  # empty queue: nothing happens
    assert player.state() == "stopped"


def test_plays_to_the_end_then_moves_on_then_stops(qtbot, make_player, tones):
    player = make_player()
    seen = []
    player.trackChanged.connect(seen.append)
    with qtbot.waitSignal(player.queueExhausted, timeout=10_000):
        player.play_tracks(tones)
        assert player.state() == "playing" and player.current_track() == tones[0]
        assert player.duration() == pytest.approx(1.0, abs=0.01)
    _wait_stopped(qtbot, player)
    assert seen == [tones[0], tones[1], tones[2], None]
    assert player.queue.current_index == -1
    # every track was rendered in full, at the output's rate (22.05 kHz fixtures resampled to 44.1 kHz)
    assert len(player.output.audio()) == pytest.approx(3 * SR, rel=0.01)


def test_play_tracks_start_index(qtbot, make_player, tones):
    player = make_player()
    with qtbot.waitSignal(player.trackChanged, check_params_cb=lambda t: t == tones[2]):
        player.play_tracks(tones, start_index=2)


def test_signals_are_emitted_on_the_players_thread(qtbot, make_player, tones):
    player = make_player()
    threads = set()
    player.positionChanged.connect(lambda _: threads.add(QThread.currentThread()))
    player.trackChanged.connect(lambda _: threads.add(QThread.currentThread()))
    player.play_tracks(tones[:1])
    _wait_stopped(qtbot, player)
    assert threads == {player.thread()}


def test_pause_and_resume(qtbot, make_player, tones):
    player = make_player()
    player.play_tracks(tones[:1])
    with qtbot.waitSignal(player.stateChanged, check_params_cb=lambda s: s == "paused"):
        player.pause()
    assert player.output.state == "stopped"  # the device is not pulled while paused
    frozen = player.position()
    qtbot.wait(30)  # let any stale timer tick run: the position must not move while paused
    assert player.position() == frozen and player.state() == "paused"
    with qtbot.waitSignal(player.stateChanged, check_params_cb=lambda s: s == "playing"):
        player.toggle()
    _wait_stopped(qtbot, player)
    assert len(player.output.audio()) == pytest.approx(SR, rel=0.01)  # nothing lost or repeated


def test_position_advances_in_real_time(qtbot, make_player, tmp_path):
    player = make_player(NullOutput(realtime=True, speed=4.0))
    positions = []
    player.positionChanged.connect(positions.append)
    player.play_tracks([_track(write_tone(tmp_path / "t.wav", seconds=2.0))])
    qtbot.waitUntil(lambda: player.position() > 1.0, timeout=5_000)
    player.pause()
    moving = [p for p in positions if p > 0]
    assert moving == sorted(moving) and len(moving) >= 3


def test_seek_plays_from_the_new_position(qtbot, make_player, tmp_path):
    player = make_player()
    player.play_tracks([_track(_ramp_wav(tmp_path / "ramp.wav", seconds=2.0))])
    player.pause()
    with qtbot.waitSignal(player.positionChanged, check_params_cb=lambda p: p == pytest.approx(1.5)):
        player.seek(1.5)
    assert player.position() == pytest.approx(1.5)
    player.output.blocks.clear()
    player.play()
    _wait_stopped(qtbot, player)
    audio = player.output.audio()
    assert audio[0, 0] == pytest.approx(0.05 + 0.15, abs=1e-4)  # first frame after the seek
    assert len(audio) == pytest.approx(0.5 * SR, abs=2)


def test_seek_is_clamped_and_ignored_when_stopped(qtbot, make_player, tones):
    player = make_player()
    player.seek(10)  # nothing loaded: no effect
    assert player.position() == 0.0
    player.play_tracks(tones[:1])
    player.pause()
    player.seek(-5)
    assert player.position() == 0.0
    player.seek(99)
    assert player.position() == pytest.approx(player.duration())


def test_stop_keeps_the_track_and_play_restarts_it(qtbot, make_player, tones):
    player = make_player()
    player.play_tracks(tones)
    player.pause()
    player.seek(0.5)
    with qtbot.waitSignal(player.stateChanged, check_params_cb=lambda s: s == "stopped"):
        player.stop()
    assert player.position() == 0.0 and player.current_track() == tones[0]
    assert player.output.state == "stopped"
    player.play()
    assert player.state() == "playing" and player.current_track() == tones[0]
    assert player.position() < 0.5


def test_next_and_previous(qtbot, make_player, tmp_path):
    tracks = [_track(write_tone(tmp_path / f"p{i}.wav", seconds=5.0, sr=8000), i) for i in range(3)]
    player = make_player()
    player.play_tracks(tracks)
    player.pause()
    player.next()
    assert player.current_track() == tracks[1] and player.state() == "playing"
    player.pause()
    player.seek(4.0)
    player.previous()  # more than 3 s in: restart the same track
    assert player.current_track() == tracks[1] and player.position() == 0.0
    player.previous()  # at the start: go back one track
    assert player.current_track() == tracks[0]
    player.pause()
    player.previous()  # first track: restart it
    assert player.current_track() == tracks[0] and player.position() == 0.0


def test_next_on_the_last_track_stops(qtbot, make_player, tones):
    player = make_player()
    player.play_tracks(tones[2:])
    player.pause()
    with qtbot.waitSignal(player.queueExhausted):
        player.next()
    assert player.state() == "stopped" and player.current_track() is None


def test_volume_scales_the_samples(qtbot, make_player, tmp_path):
    player = make_player()
    changes = []
    player.volumeChanged.connect(changes.append)
    player.set_volume(0.25)
    player.set_volume(0.25)  # unchanged: no signal
    player.play_tracks([_track(_const_wav(tmp_path / "c.wav", 0.8))])
    _wait_stopped(qtbot, player)
    assert np.allclose(player.output.audio(), 0.2)
    assert changes == [0.25]
    player.set_volume(7)
    assert player.volume() == 1.0
    player.set_volume(-1)
    assert player.volume() == 0.0


def test_vanished_file_is_skipped_with_a_message(qtbot, make_player, tones):
    player = make_player()
    errors = []
    player.errorOccurred.connect(errors.append)
    player.queue.replace(tones)
    os.remove(tones[0].path)
    with qtbot.waitSignal(player.trackChanged, check_params_cb=lambda t: t == tones[1]):
        player.play()
    assert len(errors) == 1 and "file not found" in errors[0]
    _wait_stopped(qtbot, player)


def test_corrupt_files_mid_queue_are_skipped(qtbot, make_player, tmp_path, tones):
    text = tmp_path / "not-audio.mp3"
    text.write_text("just text " * 50)
    cut = write_tone(tmp_path / "cut.flac", seconds=4.0)
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # opens fine, fails while decoding
    queue = [tones[0], _track(text, 10), _track(cut, 11), tones[1]]
    player = make_player()
    errors, played = [], []
    player.errorOccurred.connect(errors.append)
    player.trackChanged.connect(played.append)
    player.play_tracks(queue)
    _wait_stopped(qtbot, player)
    assert played == [tones[0], queue[2], tones[1], None]  # the text file never became current
    assert len(errors) == 2
    assert "not a recognised audio format" in errors[0]
    assert "truncated or corrupt" in errors[1]


def test_failure_after_some_blocks_plays_what_was_decoded(qtbot, make_player, tones, monkeypatch):
    real_read = pipeline_module.StreamDecoder.read_block
    calls = {"n": 0}

    def flaky(self):
        calls["n"] += 1
        if calls["n"] == 3:
            raise AudioDecodeError(f"{self.name}: decoding failed at 0.7 s (truncated or corrupt file)")
        return real_read(self)

    monkeypatch.setattr(pipeline_module.StreamDecoder, "read_block", flaky)
    player = make_player()
    with qtbot.waitSignal(player.errorOccurred, check_params_cb=lambda m: "decoding failed" in m):
        player.play_tracks(tones[:2])
    _wait_stopped(qtbot, player)
    assert 0 < len(player.output.audio()) < 2 * SR  # first track cut short, second played


def test_every_track_unplayable_stops_cleanly(qtbot, make_player, tmp_path):
    player = make_player()
    errors = []
    player.errorOccurred.connect(errors.append)
    player.play_tracks([_track(tmp_path / f"gone{i}.wav", i) for i in range(3)])
    assert player.state() == "stopped" and len(errors) == 3


def test_queue_edits_while_playing(qtbot, make_player, tones, tmp_path):
    extra = _track(write_tone(tmp_path / "extra.wav", seconds=0.5), 20)
    player = make_player()
    played = []
    player.trackChanged.connect(played.append)
    player.play_tracks([tones[0], tones[2]])
    player.pause()
    player.queue.insert_next([tones[1]])
    player.queue.append([extra])
    assert player.queue.items() == [tones[0], tones[1], tones[2], extra]
    player.play()
    _wait_stopped(qtbot, player)
    assert played == [tones[0], tones[1], tones[2], extra, None]


def test_continuation_extends_the_queue_once_exhausted(qtbot, make_player, tones):
    player = make_player()
    asked = []

    def similar(last):
        asked.append(last)
        return [tones[1], tones[2]] if len(asked) == 1 else []

    player.continuation = similar
    played = []
    player.trackChanged.connect(played.append)
    with qtbot.waitSignals([player.queueExhausted, player.queueExhausted], timeout=10_000):
        player.play_tracks(tones[:1])
    _wait_stopped(qtbot, player)
    assert asked == [tones[0], tones[2]]
    assert played == [tones[0], tones[1], tones[2], None]
    assert player.queue.items() == tones


def test_failing_continuation_is_reported(qtbot, make_player, tones):
    player = make_player()
    player.continuation = lambda last: 1 / 0
    with qtbot.waitSignal(player.errorOccurred, check_params_cb=lambda m: "similar" in m):
        player.play_tracks(tones[:1])
    _wait_stopped(qtbot, player)


class _BrokenDevice(NullOutput):
    def open(self, samplerate, channels, callback):
        raise OutputUnavailableError("device unplugged")


def test_output_that_cannot_open_falls_back_to_silence(qtbot, make_player, tones):
    player = make_player(_BrokenDevice())
    with qtbot.waitSignal(player.errorOccurred, check_params_cb=lambda m: "device unplugged" in m):
        player.play_tracks(tones[:1])
    assert player.output_unavailable_reason == "device unplugged"
    assert player.state() == "playing"
