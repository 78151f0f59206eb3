"""Issue 10: hostile files in a music folder — transient read errors, 1024-byte paths, lying headers,
truncation in every format, dangling links, bidi controls in tags. Every file is generated here."""

from __future__ import annotations

import builtins
import os
import struct
from pathlib import Path

import pytest

from fmaplayer.errors import AudioDecodeError
from fmaplayer.library import scanner as scanner_module
from fmaplayer.library.scanner import Scanner, probe_audio
from fmaplayer.library.tags import sanitize_text
from tests.audio_fixtures import write_tone


def by_name(store) -> dict:
    return {os.path.basename(t.path): t for t in store.all_tracks()}


# --- 3: permission and I/O errors are retried on every rescan ----------------------------------------
def test_a_file_that_could_not_be_opened_is_read_again_by_the_next_scan(store, tmp_path, monkeypatch):
    music = tmp_path / "music"
    locked = write_tone(music / "a.wav", seconds=0.3)
    write_tone(music / "b.wav", seconds=0.3, freq=500)
    real_open = builtins.open

    def no_permission(file, *args, **kwargs):   # chmod 000 (the tests may run as root, who ignores it)
        if os.fsdecode(file) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(scanner_module, "open", no_permission, raising=False)
    Scanner(store).scan([music])
    assert by_name(store)["a.wav"].error == "permission denied"
    monkeypatch.undo()   # chmod 644: nothing about the file's size or mtime changed
    summary = Scanner(store).scan([music])
    assert (summary.added, summary.updated, summary.unchanged) == (0, 1, 1)
    assert by_name(store)["a.wav"].error is None and by_name(store)["a.wav"].duration == pytest.approx(0.3)


def test_a_bad_file_is_not_read_again_while_unchanged(store, tmp_path, counted_reads):
    music = tmp_path / "music"
    (music).mkdir()
    (music / "junk.flac").write_bytes(b"junk" * 100)
    Scanner(store).scan([music])
    Scanner(store).scan([music])
    assert len(counted_reads) == 1   # a decode error is retried only when the file changes


# --- 5: any path the OS allows ------------------------------------------------------------------------
def test_a_path_of_more_than_1023_bytes_is_scanned(store, tmp_path):
    from fmaplayer.audio.decode import StreamDecoder, read_excerpt

    music = tmp_path / "music"
    folder = music
    while len(os.fsencode(folder)) < 1040:
        folder = folder / ("d" * 200)
    folder.mkdir(parents=True)
    long = folder / "long.wav"
    os.replace(write_tone(tmp_path / "short.wav", seconds=0.5), long)
    Scanner(store).scan([music])
    track = by_name(store)["long.wav"]
    assert track.error is None and track.duration == pytest.approx(0.5)
    assert len(read_excerpt(long, 0.0, 0.2)) == pytest.approx(0.2 * 22050, abs=2)   # analysis and playback
    with StreamDecoder(long, 22050) as decoder:
        assert decoder.read_block() is not None


# --- 7: a lying WAV header ----------------------------------------------------------------------------
def test_the_decoders_length_wins_over_a_lying_wav_header(store, tmp_path):
    music = tmp_path / "music"
    path = write_tone(music / "liar.wav", seconds=1.0)
    data = bytearray(path.read_bytes())
    at = data.index(b"data")
    data[at + 4 : at + 8] = struct.pack("<I", 0x7FFF0000)   # "2 GB of audio follow"
    path.write_bytes(bytes(data))
    Scanner(store).scan([music])
    track = by_name(store)["liar.wav"]
    assert track.error is None and track.duration == pytest.approx(1.0, abs=0.01)


# --- 10: one truncation rule for every format ---------------------------------------------------------
@pytest.mark.parametrize("suffix", [".ogg", ".opus", ".flac", ".mp3"])
@pytest.mark.parametrize("fraction", [0.3, 0.7])
def test_truncated_files_are_detected_with_a_human_reason(tmp_path, suffix, fraction):
    data = write_tone(tmp_path / f"full{suffix}", seconds=20.0).read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(AudioDecodeError, match=r"^truncated: stops at 0:\d\d") as caught:
        probe_audio(str(cut))
    assert "psf_fseek" not in str(caught.value)
    if suffix in (".flac", ".mp3"):   # formats that state their length say it
        assert str(caught.value).endswith(" of 0:20")


@pytest.mark.parametrize("suffix", [".flac", ".mp3"])
def test_formats_that_state_a_length_share_one_tolerance_and_show_the_decoded_length(tmp_path, suffix):
    data = write_tone(tmp_path / f"full{suffix}", seconds=20.0).read_bytes()
    nearly = tmp_path / f"nearly{suffix}"
    nearly.write_bytes(data[: int(len(data) * 0.99)])
    duration = probe_audio(str(nearly))
    assert 19.0 < duration < 19.95   # playable, and the length that decodes, not the header's 20 s


def test_a_complete_ogg_file_is_not_called_truncated(tmp_path):
    assert probe_audio(str(write_tone(tmp_path / "ok.ogg", seconds=3.0))) == pytest.approx(3.0, abs=0.05)


# --- 11: dangling links and bidi controls -------------------------------------------------------------
def test_a_dangling_link_is_listed_with_its_reason(store, tmp_path):
    music = tmp_path / "music"
    write_tone(music / "good.wav", seconds=0.2)
    os.symlink(tmp_path / "gone.flac", music / "link.flac")
    summary = Scanner(store).scan([music])
    assert summary.unreadable == 1
    assert by_name(store)["link.flac"].error.startswith("broken link")
    assert Scanner(store).scan([music]).unchanged == 2   # not read again until the link changes


def test_bidi_overrides_are_dropped_from_tags():
    assert sanitize_text("evil\u202eelif.exe \u2066x\u2069") == "evilelif.exe x"
    assert sanitize_text("\u200fRTL mark") == "\u200fRTL mark"   # marks cannot reverse text: kept


def test_tags_with_a_bidi_override_are_stored_without_it(store, tmp_path):
    music = tmp_path / "music"
    write_tone(music / "a.flac", seconds=0.2, tags={"title": "3pm.\u202egnp", "artist": "x\u202ey"})
    Scanner(store).scan([Path(music)])
    track = by_name(store)["a.flac"]
    assert track.title == "3pm.gnp" and track.artist == "xy"
