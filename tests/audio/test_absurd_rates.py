"""Issue 20 item 6: absurd sample rates are refused with a reason, for playback and for analysis, and the
playback decoder sizes its work by output frames.

A 200 KB WAV whose header says 1 Hz is "27.8 hours" long; playing it resampled 8,192 frames at a ratio of
44,100 per block (2.6 GB) and its analysis called it Classical. The memory case runs in a bounded child.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from fmaplayer.audio.decode import MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, StreamDecoder, probe
from fmaplayer.errors import AudioDecodeError
from tests.audio_fixtures import write_tone
from tests.bounded_run import run_bounded


def _one_hertz_wav(path):
    noise = np.random.default_rng(0).uniform(-0.1, 0.1, 100_000).astype(np.float32)
    sf.write(str(path), noise, 1, subtype="PCM_16")   # 200 KB, "27.8 h"
    return path


_PLAY_AND_ANALYSE = r"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QCoreApplication, QEventLoop
from fmaplayer.audio.decode import StreamDecoder, probe, read_excerpt
from fmaplayer.audio.null_output import NullOutput
from fmaplayer.audio.player import Player
from fmaplayer.errors import AudioDecodeError
from fmaplayer.library.track import Track
from fmaplayer.ml import features

absurd, good = sys.argv[1], sys.argv[2]

def attempt(label, call):
    try:
        call()
        print(label, "accepted")
    except AudioDecodeError as exc:
        print(label, "refused:", exc)

def play_a_block():
    with StreamDecoder(absurd, 44100) as decoder:
        decoder.read_block()

attempt("probe", lambda: probe(absurd))
attempt("stream", play_a_block)
attempt("excerpt", lambda: read_excerpt(absurd, 0, 30, target_sr=22050))
attempt("slices", lambda: features.track_slices(absurd))
attempt("whole", lambda: features.decode_whole(absurd))

app = QCoreApplication([])
player = Player(NullOutput(realtime=False), poll_interval_ms=10)
errors, played = [], []
player.errorOccurred.connect(errors.append)
player.trackChanged.connect(played.append)
loop = QEventLoop()
player.stateChanged.connect(lambda state: state == "stopped" and loop.quit())
player.play_tracks([Track(id=1, path=absurd), Track(id=2, path=good)])
if player.state() != "stopped":
    loop.exec()
print("player errors", errors)
print("played", [t.path if t is not None else None for t in played])
player.shutdown()
"""


def test_a_1_hz_wav_is_refused_for_playback_and_analysis_within_bounded_memory(tmp_path):
    absurd = _one_hertz_wav(tmp_path / "slow.wav")
    assert 190_000 < absurd.stat().st_size < 210_000
    good = write_tone(tmp_path / "good.wav", seconds=0.3, sr=44100)
    out = run_bounded(_PLAY_AND_ANALYSE, str(absurd), str(good), seconds=60, megabytes=1024)
    reason = "slow.wav: unsupported sample rate 1 Hz (only 1,000 to 768,000 Hz is played or analysed"
    for label in ("probe", "stream", "excerpt", "slices", "whole"):
        assert f"{label} refused: {reason}" in out, out
    assert "player errors ['" + reason in out
    assert f"played ['{good}', None]" in out   # skipped with its reason; the next track played


@pytest.mark.parametrize(("rate", "refused"), [(MIN_SAMPLE_RATE - 1, True), (MIN_SAMPLE_RATE, False),
                                               (MAX_SAMPLE_RATE, False), (MAX_SAMPLE_RATE + 1, True)])
def test_the_sane_range_of_sample_rates(tmp_path, rate, refused):
    path = tmp_path / f"r{rate}.wav"
    sf.write(str(path), np.zeros(rate // 10, np.float32), rate, subtype="PCM_16")
    if refused:
        with pytest.raises(AudioDecodeError, match=f"unsupported sample rate {rate:,} Hz"):
            probe(path)
    else:
        assert probe(path).samplerate == rate


@pytest.mark.parametrize(("rate", "out_rate"), [(MIN_SAMPLE_RATE, MAX_SAMPLE_RATE), (8000, 192_000)])
def test_playback_blocks_are_sized_by_output_frames(tmp_path, rate, out_rate):
    path = tmp_path / "low.wav"
    sf.write(str(path), np.random.default_rng(1).uniform(-0.1, 0.1, 3 * rate).astype(np.float32), rate)
    with StreamDecoder(path, out_rate, 2) as decoder:
        blocks = []
        while (block := decoder.read_block()) is not None:
            blocks.append(len(block))
    # 8,192 file frames per block made 6.3 million output frames (50 MB) at 1 kHz -> 768 kHz
    assert max(blocks) <= out_rate        # at most a second of output audio per block
    assert sum(blocks) == pytest.approx(3 * out_rate, abs=out_rate // 100)
