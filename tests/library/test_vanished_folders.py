"""A file that cannot be seen is not a file the user deleted (issue 20, item 1).

A folder that vanishes mid-walk or mid-read, a symlinked folder whose drive is unplugged, a music folder
left empty by an unmounted drive: their tracks and analysis are kept, shown as unavailable with a reason,
and come back untouched when the folder returns. Only a file missing from a folder that is demonstrably
there leaves the library."""

from __future__ import annotations

import os

import numpy as np
import pytest

from fmaplayer.library import reachability
from fmaplayer.library.reachability import Reachability, is_unavailable_reason
from fmaplayer.library.scanner import Scanner, describe_scan
from fmaplayer.library.store import EmbeddingRow
from tests.audio_fixtures import write_tone

MODEL = "test-model"
pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX renames and symlinks")


def _library(store, root, albums=3):
    """`albums` folders of one tone each under `root`, scanned and 'analysed' (one vector per track)."""
    for i in range(albums):
        write_tone(root / f"album{i}" / "song.wav", seconds=0.2, freq=300 + 40 * i)
    Scanner(store).scan([root])
    _analyse(store)
    return {t.path: t.id for t in store.all_tracks()}


def _analyse(store) -> None:
    store.save_embeddings(MODEL, [EmbeddingRow(t.id, np.full(4, t.id, np.float32), "Rock")
                                  for t in store.all_tracks()])


def _analysed(store) -> int:
    return len(store.load_embeddings(MODEL)[0])


def _after_first_listing(monkeypatch, action):
    """Run `action` right after the walk's first os.scandir (the root's listing), once: the drive goes
    away while the walk is under way, deterministically."""
    real_scandir = os.scandir
    state = {"done": False}

    def scandir(path="."):
        result = real_scandir(path)
        if not state["done"]:
            state["done"] = True
            result = list(result)  # listed before the drive goes
            action()
            return _Listing(result)
        return result

    monkeypatch.setattr(os, "scandir", scandir)


class _Listing(list):
    def __enter__(self):
        return iter(self)

    def __exit__(self, *exc):
        return False


# --- (a) a folder that vanishes mid-walk -------------------------------------------------------------
def test_a_music_folder_that_vanishes_mid_walk_keeps_its_tracks_and_analysis(store, tmp_path, monkeypatch,
                                                                               counted_reads):
    root, away = tmp_path / "usb", tmp_path / "unplugged"
    ids = _library(store, root)
    _after_first_listing(monkeypatch, lambda: os.rename(root, away))
    summary = Scanner(store).scan([root])
    monkeypatch.undo()

    assert {t.path: t.id for t in store.all_tracks()} == ids and _analysed(store) == 3
    assert summary.removed == 0 and summary.unavailable == 3
    assert describe_scan(summary) == "3 kept as unavailable (folder not reachable)"
    assert any(reachability.NOT_FOUND in e for e in summary.folder_errors)
    assert {t.error for t in store.all_tracks()} == {reachability.NOT_FOUND}

    os.rename(away, root)  # plugged back in: the tracks return as they were, nothing is read again
    counted_reads.clear()
    summary = Scanner(store).scan([root])
    assert (summary.available_again, summary.removed, summary.unavailable, summary.unchanged) == (3, 0, 0, 3)
    assert describe_scan(summary) == "3 available again" and counted_reads == []
    assert all(t.error is None for t in store.all_tracks()) and _analysed(store) == 3
    assert len(store.tracks_needing_embedding(MODEL)) == 0


def test_a_sub_folder_that_cannot_be_listed_mid_walk_keeps_its_tracks(store, tmp_path, monkeypatch):
    root = tmp_path / "m"
    _library(store, root)
    real_scandir = os.scandir
    flaky = str(root / "album1")

    def scandir(path="."):
        if path == flaky:  # a network share dropping this subtree for a moment: it is still there
            raise FileNotFoundError(2, "No such file or directory", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    summary = Scanner(store).scan([root])
    monkeypatch.undo()
    assert summary.removed == 0 and summary.unavailable == 1 and store.count() == 3 and _analysed(store) == 3
    assert store.track_by_path(os.path.join(flaky, "song.wav")).error == reachability.VANISHED
    assert Scanner(store).scan([root]).available_again == 1 and store.unreadable() == []


# --- (b) a folder that vanishes while the changed files are read ----------------------------------
def test_a_music_folder_that_vanishes_during_the_read_keeps_its_tracks(store, tmp_path, counted_reads):
    root, away = tmp_path / "usb", tmp_path / "unplugged"
    ids = _library(store, root)
    for path in ids:  # changed on disk, so the next scan reads them again
        os.utime(path, (1_800_000_000, 1_800_000_000))

    class UnpluggedWhileReading(Scanner):
        def _read_file(self, *args):
            if root.exists():
                os.rename(root, away)
            return super()._read_file(*args)

    summary = UnpluggedWhileReading(store).scan([root])
    assert {t.path: t.id for t in store.all_tracks()} == ids and _analysed(store) == 3
    assert (summary.removed, summary.updated, summary.unavailable) == (0, 0, 3)
    assert all(is_unavailable_reason(t.error) for t in store.all_tracks())


# --- (c) a symlinked folder whose drive is unplugged --------------------------------------------------
def test_a_symlinked_folder_whose_drive_is_gone_keeps_its_tracks_as_unavailable(store, tmp_path,
                                                                                 counted_reads):
    root, drive = tmp_path / "music", tmp_path / "drive"
    write_tone(root / "local" / "a.wav", seconds=0.2)
    write_tone(drive / "album" / "b.wav", seconds=0.2)
    write_tone(drive / "album" / "c.wav", seconds=0.2)
    os.symlink(drive / "album", root / "linked")
    Scanner(store).scan([root])
    _analyse(store)

    os.rename(drive, tmp_path / "unplugged")  # the link now dangles
    summary = Scanner(store).scan([root])
    assert store.count() == 3 and _analysed(store) == 3
    assert (summary.removed, summary.unavailable) == (0, 2)
    errors = {os.path.basename(t.path): t.error for t in store.all_tracks()}
    assert errors == {"a.wav": None, "b.wav": reachability.DANGLING_LINK, "c.wav": reachability.DANGLING_LINK}

    os.rename(tmp_path / "unplugged", drive)
    counted_reads.clear()
    assert Scanner(store).scan([root]).available_again == 2 and counted_reads == []
    assert store.unreadable() == [] and _analysed(store) == 3


def test_a_file_link_to_an_unplugged_drive_keeps_its_analysis(store, tmp_path):
    root, drive = tmp_path / "music", tmp_path / "drive"
    write_tone(root / "a.wav", seconds=0.2)
    write_tone(drive / "album" / "b.wav", seconds=0.2)
    os.symlink(drive / "album" / "b.wav", root / "b.wav")
    Scanner(store).scan([root])
    _analyse(store)
    os.rename(drive, tmp_path / "unplugged")
    summary = Scanner(store).scan([root])
    assert _analysed(store) == 2 and summary.unavailable == 1
    assert store.track_by_path(str(root / "b.wav")).error == reachability.NOT_FOUND


# --- (d) an empty mount point ---------------------------------------------------------------------------
def test_a_music_folder_left_empty_by_an_unmounted_drive_keeps_its_tracks(store, tmp_path):
    root, elsewhere = tmp_path / "mnt" / "usb", tmp_path / "device"
    ids = _library(store, root)
    elsewhere.mkdir()
    for album in list(root.iterdir()):  # what an unmount leaves: the mount point, empty
        os.rename(album, elsewhere / album.name)
    summary = Scanner(store).scan([root])
    assert store.count() == 3 and _analysed(store) == 3
    assert (summary.removed, summary.unavailable) == (0, 3)
    assert {t.error for t in store.all_tracks()} == {reachability.EMPTY}

    for album in list(elsewhere.iterdir()):  # mounted again
        os.rename(album, root / album.name)
    assert Scanner(store).scan([root]).available_again == 3
    assert {t.path: t.id for t in store.all_tracks()} == ids and store.unreadable() == []


def test_an_empty_sub_folder_is_a_drive_not_mounted_there(store, tmp_path):
    root = tmp_path / "m"
    _library(store, root, albums=2)
    os.remove(root / "album1" / "song.wav")  # album1 is now an empty mount point
    summary = Scanner(store).scan([root])
    assert store.count() == 2 and (summary.removed, summary.unavailable) == (0, 1)


def test_a_music_folder_on_another_drive_than_when_the_scan_began_is_not_trusted(tmp_path):
    root = tmp_path / "m"
    (root / "album").mkdir(parents=True)
    (root / "album" / "other.wav").write_text("the folders are there and not empty")
    device = os.stat(root).st_dev
    gone = str(root / "album" / "gone.wav")
    moved = Reachability([str(root)], devices={str(root): device + 1})
    assert moved.reason(gone) == reachability.DEVICE_CHANGED
    assert Reachability([str(root)], devices={str(root): device}).reason(gone) is None


def test_a_dropped_file_whose_folder_is_gone_is_kept(store, tmp_path):
    folder = tmp_path / "usb"
    dropped = write_tone(folder / "one.wav", seconds=0.2)
    scanner = Scanner(store)
    scanner.scan_files([dropped])
    os.rename(folder, tmp_path / "unplugged")
    summary = scanner.scan_files([dropped])
    assert store.count() == 1 and (summary.removed, summary.unavailable) == (0, 1)
    os.rename(tmp_path / "unplugged", folder)
    assert scanner.scan_files([dropped]).available_again == 1 and store.unreadable() == []


# --- (e) what the user really deleted still goes ---------------------------------------------------
def test_files_and_folders_deleted_from_a_folder_that_is_there_are_removed(store, tmp_path):
    import shutil

    root = tmp_path / "m"
    _library(store, root, albums=3)
    write_tone(root / "album0" / "second.wav", seconds=0.2)
    Scanner(store).scan([root])
    os.remove(root / "album0" / "song.wav")  # album0 still holds second.wav
    shutil.rmtree(root / "album2")  # the root still holds album0 and album1
    summary = Scanner(store).scan([root])
    assert (summary.removed, summary.unavailable) == (2, 0) and store.count() == 2
    assert describe_scan(summary) == "2 removed" and _analysed(store) == 1


def test_a_damaged_file_keeps_its_own_reason_through_an_unplug(store, tmp_path):
    root, away = tmp_path / "usb", tmp_path / "unplugged"
    write_tone(root / "good.wav", seconds=0.2)
    (root / "bad.mp3").write_text("not audio")
    Scanner(store).scan([root])
    bad_reason = store.track_by_path(str(root / "bad.mp3")).error
    os.rename(root, away)
    assert Scanner(store).scan([root]).unavailable == 2
    os.rename(away, root)
    Scanner(store).scan([root])  # the unmask never makes a damaged file look readable
    assert store.track_by_path(str(root / "bad.mp3")).error == bad_reason
    assert store.track_by_path(str(root / "good.wav")).error is None


def test_has_tracks_under_tells_whether_a_missing_folder_still_holds_tracks(store, tmp_path):
    root = tmp_path / "usb"
    _library(store, root, albums=1)
    assert store.has_tracks_under(root) and not store.has_tracks_under(tmp_path / "us")
