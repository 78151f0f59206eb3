"""Scanner: every format, every kind of bad input, incremental rescans, progress and cancel."""

from __future__ import annotations

import os
import shutil
import sys
import threading

import pytest

from fmaplayer.library import scanner as scanner_module
from fmaplayer.library.scanner import (
    SUPPORTED_EXTENSIONS,
    UNDECODABLE_EXTENSIONS,
    Scanner,
    describe_scan,
    probe_audio,
)
from fmaplayer.library.tags import MAX_TAG_CHARS
from tests.audio_fixtures import tag_file, write_tone
from tests.library.conftest import FORMAT_SUFFIXES


def by_name(store) -> dict:
    return {os.path.basename(t.path): t for t in store.all_tracks()}


@pytest.fixture
def counted_reads(monkeypatch):
    """Counts read_tags calls by the scanner (a file is 'read' when its tags are read)."""
    calls: list[str] = []
    real = scanner_module.read_tags

    def counting(path):
        calls.append(path)
        return real(path)

    monkeypatch.setattr(scanner_module, "read_tags", counting)
    return calls


def test_scans_every_supported_format_with_tags(store, music_dir):
    summary = Scanner(store).scan([music_dir])
    assert (summary.added, summary.updated, summary.removed, summary.unreadable) == (6, 0, 0, 0)
    assert not summary.cancelled and summary.seconds >= 0
    tracks = by_name(store)
    assert sorted(tracks) == sorted(f"track{i}{s}" for i, s in enumerate(FORMAT_SUFFIXES))
    for i, suffix in enumerate(FORMAT_SUFFIXES):
        t = tracks[f"track{i}{suffix}"]
        assert t.error is None, (suffix, t.error)
        assert (t.title, t.artist, t.album) == (f"Song {suffix[1:]}", "Artist", "Album")
        assert t.album_artist == "Album Artist"
        assert (t.track_no, t.year, t.genre) == (i + 1, 2001, "Rock")
        assert t.duration == pytest.approx(0.5, abs=0.06)
        assert t.size == os.path.getsize(t.path) and t.mtime == os.path.getmtime(t.path)
    assert {".mp3", ".flac", ".ogg", ".opus", ".wav", ".aiff", ".aif"} <= SUPPORTED_EXTENSIONS


def test_untagged_file_takes_its_name_as_title(store, tmp_path):
    write_tone(tmp_path / "m" / "My Song (live).flac", seconds=0.3)
    Scanner(store).scan([tmp_path / "m"])
    (track,) = store.all_tracks()
    assert track.title == "My Song (live)" and track.display_title == "My Song (live)"
    assert track.artist == "" and track.error is None


def test_bad_files_are_listed_with_reasons_and_never_stop_the_scan(store, tmp_path):
    root = tmp_path / "m"
    good = write_tone(root / "good.mp3", seconds=1.0)
    (root / "empty.mp3").write_bytes(b"")
    (root / "text.mp3").write_text("definitely not audio\n" * 50)
    (root / "noise.flac").write_bytes(os.urandom(4000))
    data = write_tone(tmp_path / "long.mp3", seconds=4.0).read_bytes()
    (root / "truncated.mp3").write_bytes(data[: len(data) // 2])
    (root / "stub.mp3").write_bytes(data[:200])
    (root / "song.m4a").write_bytes(b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 100)
    (root / "song.wma").write_bytes(b"\x30\x26\xb2\x75" + b"\x00" * 100)
    (root / "cover.jpg").write_bytes(b"\xff\xd8 not music")
    (root / "notes.txt").write_text("ignored")

    summary = Scanner(store).scan([root])
    tracks = by_name(store)
    assert set(tracks) == {
        "good.mp3", "empty.mp3", "text.mp3", "noise.flac", "truncated.mp3", "stub.mp3", "song.m4a", "song.wma"
    }
    assert summary.added == 8 and summary.unreadable == 7
    assert tracks["good.mp3"].error is None and tracks["good.mp3"].path == str(good)
    assert tracks["empty.mp3"].error == "empty file (0 bytes)"
    assert tracks["text.mp3"].error.startswith("not a valid MP3 file")
    assert tracks["noise.flac"].error.startswith("not a valid FLAC file")
    assert "truncated" in tracks["truncated.mp3"].error
    assert tracks["stub.mp3"].error is not None
    assert tracks["song.m4a"].error == "no decoder for AAC/M4A"
    assert tracks["song.wma"].error == "no decoder for WMA"
    assert {t.path for t in store.unreadable()} == {t.path for t in tracks.values() if t.error}
    assert store.tracks_needing_embedding("m") == [tracks["good.mp3"]]
    assert ".m4a" in UNDECODABLE_EXTENSIONS and ".aac" in UNDECODABLE_EXTENSIONS


def test_hostile_tags_are_stored_as_bounded_plain_text(store, tmp_path):
    path = write_tone(tmp_path / "m" / "x.ogg", seconds=0.3)
    hostile = {"title": "<img src=x onerror=alert(1)>", "artist": "a\x00b\x1b\r\nc", "album": "z" * 50_000}
    tag_file(path, hostile)
    summary = Scanner(store).scan([tmp_path / "m"])
    assert summary.unreadable == 0
    (track,) = store.all_tracks()
    assert track.title == "<img src=x onerror=alert(1)>"
    assert track.artist == "a b c"
    assert len(track.album) == MAX_TAG_CHARS


def test_permission_denied_is_recorded(store, tmp_path, monkeypatch):
    """Tests run as root, where chmod cannot deny reads: simulate the failing open."""
    root = tmp_path / "m"
    locked = write_tone(root / "locked.wav", seconds=0.3)
    write_tone(root / "open.wav", seconds=0.3)
    real_open = open

    def guarded_open(path, *args, **kwargs):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(scanner_module, "open", guarded_open, raising=False)
    Scanner(store).scan([root])
    tracks = by_name(store)
    assert tracks["locked.wav"].error == "permission denied"
    assert tracks["open.wav"].error is None


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root reads files whatever their mode"
)
def test_permission_denied_for_real(store, tmp_path):
    locked = write_tone(tmp_path / "m" / "locked.wav", seconds=0.3)
    locked.chmod(0)
    try:
        Scanner(store).scan([tmp_path / "m"])
    finally:
        locked.chmod(0o644)
    assert store.all_tracks()[0].error == "permission denied"


def test_decoder_permission_error_and_unexpected_errors_are_recorded(store, tmp_path, monkeypatch):
    root = tmp_path / "m"
    write_tone(root / "a.wav", seconds=0.3)
    write_tone(root / "b.wav", seconds=0.3)

    def exploding(path):
        if path.endswith("b.wav"):
            raise RuntimeError("tag library bug")
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(scanner_module, "read_tags", exploding)
    summary = Scanner(store).scan([root])
    tracks = by_name(store)
    assert summary.unreadable == 2
    assert tracks["a.wav"].error == "unexpected error: PermissionError: [Errno 13] Permission denied"
    assert tracks["b.wav"].error == "unexpected error: RuntimeError: tag library bug"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="needs a file system that takes any bytes")
def test_non_utf8_file_names_round_trip(store, tmp_path):
    folder = os.path.join(os.fsencode(tmp_path), b"m\xe9")
    raw = os.path.join(folder, b"caf\xe9 \xff.flac")
    os.makedirs(folder)
    write_tone(os.fsdecode(raw), seconds=0.3, tags={"title": "Caf\u00e9"})
    summary = Scanner(store).scan([os.fsdecode(folder)])
    assert summary.added == 1 and summary.unreadable == 0
    (track,) = store.all_tracks()
    assert os.fsencode(track.path) == raw
    assert track.title == "Caf\u00e9" and track.duration > 0
    assert Scanner(store).scan([folder]).unchanged == 1  # bytes folders work too
    write_tone(os.fsdecode(os.path.join(folder, b"other.wav")), seconds=0.2)  # an emptied folder is masked
    os.remove(raw)
    assert Scanner(store).scan([os.fsdecode(folder)]).removed == 1
    assert [os.path.basename(t.path) for t in store.all_tracks()] == ["other.wav"]


def test_untagged_non_utf8_name_gives_a_printable_title(store, tmp_path):
    folder = os.fsencode(tmp_path / "m")
    os.makedirs(folder)
    write_tone(os.fsdecode(os.path.join(folder, b"na\xefve.wav")), seconds=0.3)
    Scanner(store).scan([os.fsdecode(folder)])
    assert store.all_tracks()[0].title == "na\ufffdve"


def test_incremental_rescan_reads_only_new_and_changed_files(store, music_dir, counted_reads):
    scanner = Scanner(store)
    scanner.scan([music_dir])
    assert len(counted_reads) == 6
    ids_before = {t.path: t.id for t in store.all_tracks()}

    counted_reads.clear()
    summary = scanner.scan([music_dir])
    assert counted_reads == []
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 0, 0, 6)

    changed = music_dir / "disc0" / "track0.wav"
    write_tone(changed, seconds=0.8, tags={"title": "Changed"})
    os.utime(changed, (1_800_000_000, 1_800_000_000))
    added = write_tone(music_dir / "new" / "fresh.flac", seconds=0.3)
    removed = music_dir / "disc1" / "track1.flac"
    removed.unlink()

    counted_reads.clear()
    summary = scanner.scan([music_dir])
    assert sorted(counted_reads) == sorted([str(changed), str(added)])
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (1, 1, 1, 4)
    tracks = {t.path: t for t in store.all_tracks()}
    assert tracks[str(changed)].title == "Changed"
    assert tracks[str(changed)].id == ids_before[str(changed)]  # same track, updated in place
    assert tracks[str(changed)].duration == pytest.approx(0.8, abs=0.05)
    assert str(removed) not in tracks and str(added) in tracks


def test_scanning_one_folder_leaves_other_folders_tracks_alone(store, tmp_path):
    write_tone(tmp_path / "a" / "1.wav", seconds=0.2)
    write_tone(tmp_path / "ab" / "2.wav", seconds=0.2)
    scanner = Scanner(store)
    scanner.scan([tmp_path / "a", tmp_path / "ab"])
    summary = scanner.scan([tmp_path / "a"])
    assert summary.removed == 0 and store.count() == 2


def test_missing_music_folder_keeps_its_tracks(store, tmp_path):
    root = tmp_path / "usb"
    write_tone(root / "x.wav", seconds=0.2)
    Scanner(store).scan([root])
    shutil.rmtree(root)  # e.g. an unmounted drive
    summary = Scanner(store).scan([root])
    assert summary.removed == 0 and store.count() == 1
    assert summary.folder_errors and "folder not found" in summary.folder_errors[0]


def test_unlistable_subfolder_keeps_its_tracks(store, tmp_path, monkeypatch):
    root = tmp_path / "m"
    write_tone(root / "ok" / "a.wav", seconds=0.2)
    write_tone(root / "locked" / "b.wav", seconds=0.2)
    Scanner(store).scan([root])
    real_scandir = os.scandir

    def scandir(path):
        if isinstance(path, str) and path.endswith("locked"):
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    summary = Scanner(store).scan([root])
    assert summary.removed == 0 and store.count() == 2
    assert any("Permission denied" in e for e in summary.folder_errors)


def test_folder_removed_mid_scan_does_not_break_the_walk(store, tmp_path, monkeypatch):
    root = tmp_path / "m"
    for i in range(3):
        write_tone(root / f"album{i}" / "song.wav", seconds=0.2)
    Scanner(store).scan([root])
    real_scandir = os.scandir
    doomed = str(root / "album1")

    def scandir(path):
        if isinstance(path, str) and path == doomed:
            shutil.rmtree(doomed)  # deleted between being listed by its parent and being opened
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    summary = Scanner(store).scan([root])
    assert summary.removed == 1 and summary.folder_errors == ()
    folders = sorted(os.path.basename(os.path.dirname(t.path)) for t in store.all_tracks())
    assert folders == ["album0", "album2"]


def test_file_removed_between_walk_and_read_is_skipped(store, tmp_path):
    root = tmp_path / "m"
    write_tone(root / "stays.wav", seconds=0.2)
    doomed = write_tone(root / "goes.wav", seconds=0.2)

    class RacingScanner(Scanner):
        def _walk(self, *args):
            result = super()._walk(*args)
            doomed.unlink()
            return result

    summary = RacingScanner(store).scan([root])
    assert summary.added == 1 and [os.path.basename(t.path) for t in store.all_tracks()] == ["stays.wav"]


def test_symlink_loops_and_hidden_entries_are_skipped(store, tmp_path):
    root = tmp_path / "m"
    write_tone(root / "sub" / "a.wav", seconds=0.2)
    write_tone(root / ".hidden" / "b.wav", seconds=0.2)
    write_tone(root / "._c.wav", seconds=0.2)
    os.symlink(root, root / "sub" / "loop")
    summary = Scanner(store).scan([root])
    assert summary.added == 1 and store.count() == 1


def test_progress_reports_done_total_and_ends_complete(store, music_dir):
    calls = []
    Scanner(store).scan([music_dir], progress=lambda done, total, path: calls.append((done, total, path)))
    walking = [c for c in calls if c[1] == 0]
    assert walking and walking[0] == (0, 0, str(music_dir))  # count not known yet while walking
    calls = calls[len(walking):]
    assert calls[0] == (0, 6, "") and calls[-1] == (6, 6, "")
    assert all(total == 6 and 0 <= done <= 6 for done, total, _ in calls)
    assert [done for done, _, _ in calls] == sorted(done for done, _, _ in calls)


def test_cancel_keeps_committed_work_and_the_next_scan_finishes(store, tmp_path):
    root = tmp_path / "m"
    for i in range(12):
        write_tone(root / f"{i:02d}.wav", seconds=0.05, sr=8000)
    cancel = threading.Event()
    reads = []
    real = scanner_module.read_tags

    def read_then_cancel(path):
        reads.append(path)
        if len(reads) == 5:
            cancel.set()
        return real(path)

    scanner = Scanner(store, batch_size=2)
    original = scanner_module.read_tags
    scanner_module.read_tags = read_then_cancel
    try:
        summary = scanner.scan([root], cancel=cancel)
    finally:
        scanner_module.read_tags = original
    assert summary.cancelled and summary.added == 5 and store.count() == 5
    summary = scanner.scan([root])
    assert not summary.cancelled and (summary.added, summary.unchanged) == (7, 5) and store.count() == 12


def test_cancel_during_walk_changes_nothing(store, music_dir):
    cancel = threading.Event()
    cancel.set()
    summary = Scanner(store).scan([music_dir], cancel=cancel)
    assert summary.cancelled and store.count() == 0


def test_probe_audio_reports_duration(tmp_path):
    assert probe_audio(str(write_tone(tmp_path / "a.aiff", seconds=1.5))) == pytest.approx(1.5, abs=0.01)


def test_scan_files_adds_refreshes_and_forgets_single_files(store, tmp_path, counted_reads):
    folder = tmp_path / "drop"
    first = write_tone(folder / "one.flac", seconds=0.3, tags={"title": "One"})
    second = write_tone(folder / "two.wav", seconds=0.3)
    write_tone(folder / "sibling.wav", seconds=0.3)  # not dropped: not scanned
    (folder / "readme.txt").write_text("ignored")
    scanner = Scanner(store)
    summary = scanner.scan_files([first, str(second), folder / "readme.txt", first])
    assert (summary.added, summary.unchanged) == (2, 0)
    assert sorted(os.path.basename(t.path) for t in store.all_tracks()) == ["one.flac", "two.wav"]

    counted_reads.clear()
    assert scanner.scan_files([first]).unchanged == 1 and counted_reads == []
    tag_file(first, {"title": "One again"})
    os.utime(first, (1_800_000_000, 1_800_000_000))
    assert scanner.scan_files([first]).updated == 1
    assert store.track_by_path(str(first)).title == "One again"
    second.unlink()
    assert scanner.scan_files([second]).removed == 1 and store.count() == 1


def test_progress_paths_are_printable(store, tmp_path, monkeypatch):
    monkeypatch.setattr(scanner_module, "_PROGRESS_INTERVAL_S", 0.0)  # report every file
    folder = os.path.join(os.fsencode(tmp_path), b"m")
    os.makedirs(folder)
    write_tone(os.fsdecode(os.path.join(folder, b"\xff.wav")), seconds=0.2)
    paths = []
    Scanner(store, batch_size=1).scan([os.fsdecode(folder)], progress=lambda d, t, p: paths.append(p))
    assert any(p.endswith("\ufffd.wav") for p in paths)
    for path in paths:
        path.encode("utf-8")  # no lone surrogates reach the UI


def test_probe_tolerates_a_slightly_overstated_length_but_not_truncation(tmp_path):
    """VBR headers often overstate the length a little: a nearly complete file stays playable, with the
    length that really decodes (not the header's)."""
    from fmaplayer.errors import AudioDecodeError

    data = write_tone(tmp_path / "full.mp3", seconds=6.0).read_bytes()
    nearly = tmp_path / "nearly.mp3"
    nearly.write_bytes(data[: int(len(data) * 0.96)])
    assert probe_audio(str(nearly)) == pytest.approx(6.0 * 0.96, abs=0.15)
    half = tmp_path / "half.mp3"
    half.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioDecodeError, match="truncated"):
        probe_audio(str(half))


def test_probe_of_a_missing_file_raises_audio_decode_error(tmp_path):
    from fmaplayer.errors import AudioDecodeError

    with pytest.raises(AudioDecodeError, match="not found"):
        probe_audio(str(tmp_path / "gone.flac"))


def test_the_scan_summary_says_each_file_once_unreadable_ones_not_also_as_added(store, tmp_path):
    root = tmp_path / "m"
    write_tone(root / "a.wav", seconds=0.3)
    write_tone(root / "b.wav", seconds=0.3)
    (root / "junk.mp3").write_text("this is not audio")
    summary = Scanner(store).scan([root])
    assert (summary.added, summary.unreadable, summary.unreadable_added) == (3, 1, 1)   # counted in both
    assert describe_scan(summary) == "2 added, 1 unreadable"
    (root / "b.wav").write_text("now broken, and a different size")     # changed and unreadable
    write_tone(root / "c.wav", seconds=0.3)
    os.remove(root / "a.wav")
    summary = Scanner(store).scan([root])
    assert (summary.added, summary.updated, summary.unreadable_added) == (1, 1, 0)
    assert describe_scan(summary) == "1 added, 1 removed, 1 unreadable"
    assert describe_scan(Scanner(store).scan([root])) == "no changes"
