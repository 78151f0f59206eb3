"""Small stand-ins for the store, player and scanner, handed to the real MainWindow by constructor."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from fmaplayer.audio.play_queue import PlayQueue
from fmaplayer.library.track import Track


def make_track(track_id: int, title: str = "", artist: str = "", album: str = "", genre: str = "",
               year: int | None = None, track_no: int | None = None, duration: float = 180.0,
               error: str | None = None, path: str | None = None) -> Track:
    return Track(id=track_id, path=path or f"/music/{artist or 'unknown'}/{track_id:05d}.flac", title=title,
                 artist=artist, album=album, track_no=track_no, year=year, genre=genre, duration=duration,
                 size=1000 + track_id, mtime=1.0, error=error)


def sample_tracks() -> list[Track]:
    return [
        make_track(1, "Blue Train", "John Coltrane", "Blue Train", "Jazz", 1957, 1, 643.0),
        make_track(2, "Moment's Notice", "John Coltrane", "Blue Train", "Jazz", 1957, 2, 551.0),
        make_track(3, "So What", "Miles Davis", "Kind of Blue", "Jazz", 1959, 1, 562.0),
        make_track(4, "Teardrop", "Massive Attack", "Mezzanine", "Trip-Hop", 1998, 3, 330.0),
        make_track(5, "Angel", "Massive Attack", "Mezzanine", "Trip-Hop", 1998, 1, 379.0),
        make_track(6, "Windowlicker", "Aphex Twin", "Windowlicker", "Electronic", 1999, 1, 367.0),
        make_track(7, "", "", "", "", None, None, 0.0, error="not an audio file (text data)",
                   path="/music/bad/notes.mp3"),
    ]


class FakeStore:
    """The part of LibraryStore the window uses, in memory."""

    def __init__(self, tracks: list[Track] | None = None) -> None:
        self._lock = threading.Lock()
        self._tracks: dict[str, Track] = {t.path: t for t in (tracks or [])}
        self._next_id = max((t.id for t in self._tracks.values()), default=0) + 1

    def all_tracks(self) -> list[Track]:
        with self._lock:
            return list(self._tracks.values())

    def count(self) -> int:
        return len(self._tracks)

    def tracks_by_ids(self, ids) -> list[Track]:
        by_id = {t.id: t for t in self.all_tracks()}
        return [by_id[i] for i in ids if i in by_id]

    def upsert_tracks(self, records) -> list[int]:
        ids = []
        with self._lock:
            for record in records:
                existing = self._tracks.get(record.path)
                track_id = existing.id if existing else self._next_id
                if existing is None:
                    self._next_id += 1
                self._tracks[record.path] = replace(record, id=track_id)
                ids.append(track_id)
        return ids


class FakeSummary:
    def __init__(self, added: int) -> None:
        self.added, self.updated, self.removed, self.unchanged, self.unreadable = added, 0, 0, 0, 0
        self.cancelled = False


class FakeScanner:
    """Adds every file under the given folders (or the given files) as a track, reporting progress.

    `gate`, when set, makes the scan wait for it after the first file, so a test can look at a
    half-finished scan (and cancel it) without sleeping."""

    def __init__(self, store: FakeStore, gate: threading.Event | None = None) -> None:
        self.store = store
        self.gate = gate
        self.calls: list[list[str]] = []
        self.first_file_done = threading.Event()

    def scan(self, folders, progress=None, cancel=None):
        self.calls.append([str(f) for f in folders])
        files = []
        for folder in folders:
            for root, _dirs, names in os.walk(folder):
                files.extend(os.path.join(root, name) for name in sorted(names))
        return self._add(files, progress, cancel)

    def scan_files(self, paths, progress=None, cancel=None):
        self.calls.append([str(p) for p in paths])
        return self._add([str(p) for p in paths], progress, cancel)

    def _add(self, files, progress, cancel):
        for done, path in enumerate(files, start=1):
            if cancel is not None and cancel.is_set():
                break
            stem = Path(path).stem
            error = None if Path(path).suffix in (".flac", ".mp3", ".wav", ".ogg") else "unsupported format"
            self.store.upsert_tracks([make_track(0, stem.title(), "Scanned Artist", "Scanned", path=path,
                                                 error=error)])
            if progress is not None:
                progress(done, len(files), path)
            if done == 1:
                self.first_file_done.set()
                if self.gate is not None:
                    self.gate.wait(10)
        return FakeSummary(len(files))


class FakePlayer(QObject):
    """Records the calls the UI makes; same signals as fmaplayer.audio.player.Player."""

    stateChanged = Signal(str)
    positionChanged = Signal(float)
    durationChanged = Signal(float)
    trackChanged = Signal(object)
    errorOccurred = Signal(str)
    queueExhausted = Signal()
    volumeChanged = Signal(float)
    mutedChanged = Signal(bool)
    shuffleChanged = Signal(bool)
    repeatChanged = Signal(str)

    def __init__(self, output_unavailable_reason: str | None = None) -> None:
        super().__init__()
        self.queue = PlayQueue(self)
        self.calls: list[tuple] = []
        self._state = "stopped"
        self._volume = 1.0
        self._muted = False
        self._shuffle = False
        self._repeat = "off"
        self._position = 0.0
        self.output_unavailable_reason = output_unavailable_reason
        self.continuation = None

    def play_tracks(self, tracks, start_index=0):
        self.calls.append(("play_tracks", list(tracks), start_index))
        self.queue.replace(tracks, start_index)
        self._set_state("playing")
        self.trackChanged.emit(self.queue.current())

    def play_index(self, index):
        self.calls.append(("play_index", index))
        self.queue.set_current(index)
        self._set_state("playing")
        self.trackChanged.emit(self.queue.current())

    def toggle(self):
        self.calls.append(("toggle",))
        self._set_state("paused" if self._state == "playing" else "playing")

    def play(self):
        self.calls.append(("play",))

    def pause(self):
        self.calls.append(("pause",))

    def stop(self):
        self.calls.append(("stop",))
        self._set_state("stopped")

    def next(self):
        self.calls.append(("next",))

    def previous(self):
        self.calls.append(("previous",))

    def seek(self, seconds):
        self.calls.append(("seek", seconds))
        self._position = seconds

    def set_volume(self, volume):
        if volume != self._volume:
            self._volume = volume
            self.volumeChanged.emit(volume)

    def muted(self):
        return self._muted

    def set_muted(self, muted):
        if muted != self._muted:
            self._muted = muted
            self.mutedChanged.emit(muted)

    def shuffle(self):
        return self._shuffle

    def set_shuffle(self, shuffle):
        if shuffle != self._shuffle:
            self._shuffle = shuffle
            self.shuffleChanged.emit(shuffle)

    def repeat(self):
        return self._repeat

    def set_repeat(self, mode):
        if mode != self._repeat:
            self._repeat = mode
            self.repeatChanged.emit(mode)

    def volume(self):
        return self._volume

    def state(self):
        return self._state

    def current_track(self):
        return self.queue.current()

    def position(self):
        return self._position

    def _set_state(self, state):
        self._state = state
        self.stateChanged.emit(state)

    def call_names(self) -> list[str]:
        return [call[0] for call in self.calls]
