"""Issue 20 items 5 and 6 for the library scan: `probe_audio` opens a file the way playback does
(`fmaplayer.audio.open_audio`), and the tags of a pathological ID3v2 tag are read in bounded time.

An MP3 with 100,000 small ID3 frames (2.2 MB) took 20-50 s to scan: libmpg123 parsed the whole tag
(quadratic) inside soundfile's process-wide open lock, then mutagen re-sliced the tag for every frame. A 1 Hz
WAV was listed as fine until played. A FIFO reaching the probe blocked its open forever.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest

from fmaplayer.audio.decode import probe
from fmaplayer.errors import AudioDecodeError
from fmaplayer.library.scanner import Scanner, probe_audio
from fmaplayer.library.tags import read_tags
from tests.audio.test_absurd_rates import _one_hertz_wav
from tests.audio.test_opens_off_thread import _tagged_mp3
from tests.audio_fixtures import write_tone
from tests.bounded_run import run_bounded

_SCAN_IN_CHILD = r"""
import sys
from fmaplayer.library.scanner import Scanner
from fmaplayer.library.store import LibraryStore

store = LibraryStore(sys.argv[2])
summary = Scanner(store).scan([sys.argv[1]])
for track in store.all_tracks():
    print("track", repr(track.error), round(track.duration, 2))
store.close()
"""


def test_an_mp3_with_100k_id3_frames_is_scanned_at_once(tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    mp3 = _tagged_mp3(music / "tagged.mp3", 100_000)
    assert 1_500_000 < mp3.stat().st_size < 2_500_000
    # 20-50 s before (libmpg123 in the tag, then mutagen); now well under a second after the child starts
    out = run_bounded(_SCAN_IN_CHILD, str(music), str(tmp_path / "library.db"), seconds=20, megabytes=2048)
    assert "track None 1.0" in out, out


def _titled_mp3_with_many_frames(path, frames: int):
    from mutagen.id3 import ID3, TALB, TIT2, TPE1, TXXX

    write_tone(path, seconds=1.0, sr=44100)
    tags = ID3()
    tags.add(TIT2(encoding=3, text="The title"))
    tags.add(TPE1(encoding=3, text="The artist"))
    tags.add(TALB(encoding=3, text="The album"))
    for i in range(frames):
        tags.add(TXXX(encoding=3, desc=f"d{i}", text="x"))
    tags.save(str(path), padding=lambda info: 0)
    return path


_READ_TAGS_IN_CHILD = r"""
import sys
from fmaplayer.library.tags import read_tags

info = read_tags(sys.argv[1])
print("tags", info.title, "|", info.artist, "|", info.album)
"""


def test_a_huge_id3_tag_is_read_in_bounded_time_and_keeps_its_first_frames(tmp_path):
    mp3 = _titled_mp3_with_many_frames(tmp_path / "titled.mp3", 100_000)
    out = run_bounded(_READ_TAGS_IN_CHILD, str(mp3), seconds=5, megabytes=2048)   # 0.3 s; mutagen: 10-20 s
    assert "tags The title | The artist | The album" in out


def test_ordinary_and_large_tags_are_read_whole(tmp_path):
    from mutagen.id3 import APIC, ID3, TIT2

    few = read_tags(str(_titled_mp3_with_many_frames(tmp_path / "few.mp3", 3_000)))   # within the bounds
    assert few.title == "The title" and few.duration == pytest.approx(1.0, abs=0.1)   # duration: read whole
    art = write_tone(tmp_path / "art.mp3", seconds=1.0, sr=44100)
    tags = ID3()
    tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="cover", data=b"\xff\xd8" + bytes(3_000_000)))
    tags.add(TIT2(encoding=3, text="With cover"))
    tags.save(str(art))
    info = read_tags(str(art))
    assert info.title == "With cover" and info.duration == pytest.approx(1.0, abs=0.1)


def test_a_1_hz_wav_is_listed_unreadable_with_the_reason_playback_gives(store, tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    absurd = _one_hertz_wav(music / "slow.wav")
    write_tone(music / "good.wav", seconds=0.3, sr=44100)
    with pytest.raises(AudioDecodeError) as played:
        probe(absurd)
    summary = Scanner(store).scan([music])
    errors = {os.path.basename(t.path): t.error for t in store.all_tracks()}
    assert summary.unreadable == 1 and errors["good.wav"] is None
    assert f"slow.wav: {errors['slow.wav']}" == str(played.value)
    assert errors["slow.wav"].startswith("unsupported sample rate 1 Hz (only 1,000 to 768,000 Hz")


def test_the_scan_reads_the_same_length_with_or_without_an_id3_tag(tmp_path):
    from mutagen.id3 import ID3, TIT2

    plain = write_tone(tmp_path / "plain.mp3", seconds=2.0, sr=44100)
    tagged = tmp_path / "tagged.mp3"
    shutil.copy(plain, tagged)
    tags = ID3()
    tags.add(TIT2(encoding=3, text="Tagged"))
    tags.save(str(tagged))
    assert tagged.read_bytes()[:3] == b"ID3"
    assert probe_audio(str(tagged)) == probe_audio(str(plain)) == pytest.approx(2.0, abs=0.05)


def test_the_scan_does_not_queue_behind_other_opens_of_soundfile(tmp_path, soundfile_open_lock):

    lock = soundfile_open_lock
    path = write_tone(tmp_path / "t.flac", seconds=0.5, sr=44100)
    probed = []
    with lock:   # another thread inside a slow open (the analysis of a pathological file)
        worker = threading.Thread(target=lambda: probed.append(probe_audio(str(path))), daemon=True)
        worker.start()
        worker.join(10)
        assert probed, "the scan waited for soundfile's lock"
    assert probed[0] == pytest.approx(0.5, abs=0.01)


_PROBE_IN_CHILD = r"""
import sys
from fmaplayer.errors import AudioDecodeError
from fmaplayer.library.scanner import probe_audio

try:
    print("probed", probe_audio(sys.argv[1]))
except AudioDecodeError as exc:
    print("refused:", exc)
"""


def test_probe_audio_refuses_a_fifo_before_opening_it(tmp_path):
    fifo = tmp_path / "pipe.mp3"
    os.mkfifo(fifo)
    out = run_bounded(_PROBE_IN_CHILD, str(fifo), seconds=30)   # it blocked in open() forever
    assert "refused: not a regular file (a FIFO (named pipe))" in out
