"""Issue 20 item 5 for the analysis: features opens a file the way playback does
(`fmaplayer.audio.open_audio`). An MP3 with 100,000 small ID3 frames took 20-40 s to open (libmpg123 parsed
the whole tag) while holding soundfile's process-wide open lock, so playback and the scan waited too.
The analysis of ordinary files is unchanged, sample for sample."""

from __future__ import annotations

import shutil
import threading

import numpy as np

from fmaplayer.ml import features
from tests.audio.test_opens_off_thread import _tagged_mp3
from tests.audio_fixtures import write_tone
from tests.bounded_run import run_bounded

_ANALYSE_IN_CHILD = r"""
import sys
from fmaplayer.ml import features

print("slices", features.track_slices(sys.argv[1]).shape)
print("whole", features.decode_whole(sys.argv[1]).shape)
"""


def test_analysis_of_an_mp3_with_100k_id3_frames_is_bounded(tmp_path):
    mp3 = _tagged_mp3(tmp_path / "tagged.mp3", 100_000)
    out = run_bounded(_ANALYSE_IN_CHILD, str(mp3), seconds=20, megabytes=2048)   # 2 x 20-40 s before
    assert "slices (1, 128, 128, 1)" in out and "whole (22050,)" in out, out


def test_an_id3_tag_changes_nothing_in_the_analysis(tmp_path):
    from mutagen.id3 import APIC, ID3, TIT2

    plain = write_tone(tmp_path / "plain.mp3", seconds=40.0, sr=44100)
    tagged = tmp_path / "tagged.mp3"
    shutil.copy(plain, tagged)
    tags = ID3()
    tags.add(TIT2(encoding=3, text="Tagged"))
    tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="cover", data=b"\xff\xd8" + bytes(200_000)))
    tags.save(str(tagged))
    assert tagged.read_bytes()[:3] == b"ID3"
    np.testing.assert_array_equal(features.track_slices(tagged), features.track_slices(plain))
    np.testing.assert_array_equal(features.decode_whole(tagged), features.decode_whole(plain))


def test_analysis_opens_do_not_queue_behind_other_opens_of_soundfile(tmp_path, soundfile_open_lock):

    lock = soundfile_open_lock
    path = write_tone(tmp_path / "t.wav", seconds=3.0, sr=44100)
    done = []
    with lock:   # another thread inside a slow open (playback or the scan of a pathological file)
        worker = threading.Thread(target=lambda: done.append(features.track_slices(path)), daemon=True)
        worker.start()
        worker.join(10)
        assert done, "the analysis waited for soundfile's lock"
    assert done[0].shape == (1, 128, 128, 1)
