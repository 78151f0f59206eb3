"""Recursive, incremental folder scan into the LibraryStore.

A file is identified by path + size + mtime: unchanged files are not opened again, changed and new
ones are read (tags with mutagen, validity and duration with libsndfile), files gone from disk leave
the library, but only when their folder is demonstrably there: a file that merely cannot be seen (an
unplugged drive, a dropped mount, a folder vanishing mid-scan) keeps its track and analysis, masked as
unavailable until a scan sees it again (see reachability.py). Results are committed in batches, each
one transaction, so a scan killed at any moment leaves a consistent database and the next scan carries
on from there. Bad files never stop the scan: each is stored with `error` set to the reason.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from fmaplayer.audio.open_audio import AudioFile, sample_rate_refusal
from fmaplayer.errors import AudioDecodeError, TagReadError, is_transient_reason
from fmaplayer.library.paths import display_path, native_path
from fmaplayer.library.reachability import Reachability, is_unavailable_reason, unlisted_reason
from fmaplayer.library.regular_file import decoder_reason, file_problem, open_regular, refusal
from fmaplayer.library.store import LibraryStore
from fmaplayer.library.tags import TagInfo, read_tags, sanitize_text
from fmaplayer.library.track import Track

# Formats libsndfile decodes (MPEG layers I-III through mpg123, Vorbis and Opus in Ogg, FLAC, WAV, AIFF).
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(
    {".mp3", ".mp2", ".flac", ".ogg", ".oga", ".opus", ".wav", ".wave", ".aiff", ".aif", ".aifc"}
)
# Audio files we recognise but cannot decode: listed as unreadable with this name in the reason.
UNDECODABLE_EXTENSIONS: dict[str, str] = {
    ".m4a": "AAC/M4A",
    ".m4b": "AAC/M4A",
    ".mp4": "AAC/M4A",
    ".aac": "AAC",
    ".alac": "ALAC",
    ".wma": "WMA",
    ".ape": "Monkey's Audio (APE)",
    ".wv": "WavPack",
    ".mpc": "Musepack",
    ".tta": "TTA",
    ".dsf": "DSD",
    ".dff": "DSD",
    ".mka": "Matroska audio",
    ".webm": "WebM audio",
    ".ac3": "AC-3",
    ".dts": "DTS",
    ".amr": "AMR",
    ".ra": "RealAudio",
    ".rm": "RealAudio",
}
KNOWN_EXTENSIONS = SUPPORTED_EXTENSIONS | frozenset(UNDECODABLE_EXTENSIONS)

_FORMAT_NAMES = {
    ".mp3": "MP3", ".mp2": "MPEG audio", ".flac": "FLAC", ".ogg": "Ogg", ".oga": "Ogg", ".opus": "Opus",
    ".wav": "WAV", ".wave": "WAV", ".aiff": "AIFF", ".aif": "AIFF", ".aifc": "AIFF",
}
_TAIL_FRAMES = 4096  # read at the end of each new file to catch truncation the header hides
_PROGRESS_INTERVAL_S = 0.05

ProgressCallback = Callable[[int, int, str], None]
PERMISSION_DENIED = "permission denied"


@dataclass(frozen=True)
class ScanSummary:
    added: int
    updated: int
    removed: int
    unchanged: int
    unreadable: int  # among the files read in this scan (new or changed)
    seconds: float
    cancelled: bool = False
    folder_errors: tuple[str, ...] = field(default=())  # folders not listed or not seen, with reasons
    unreadable_added: int = 0  # of `unreadable`, those new to the library (counted in `added` too)
    unavailable: int = 0  # missing files kept (masked) because their folder cannot be seen, not removed
    available_again: int = 0  # masked tracks seen again unchanged: back with their analysis


def describe_scan(summary: object) -> str:
    """'61 added, 3 unreadable': the scanner counts an unreadable file in `added` (or `updated`) too,
    so each is said once, under unreadable, and the numbers add up to the files the scan read."""
    unreadable = getattr(summary, "unreadable", 0)
    unreadable_added = min(getattr(summary, "unreadable_added", 0), unreadable)
    counts = {"added": getattr(summary, "added", 0) - unreadable_added,
              "updated": getattr(summary, "updated", 0) - (unreadable - unreadable_added),
              "removed": getattr(summary, "removed", 0), "unreadable": unreadable,
              "available again": getattr(summary, "available_again", 0),
              "kept as unavailable (folder not reachable)": getattr(summary, "unavailable", 0)}
    parts = [f"{count:,} {name}" for name, count in counts.items() if count > 0]
    return ", ".join(parts) if parts else "no changes"


class _Vanished(AudioDecodeError):
    """The file disappeared between the walk and the read (the scan drops it rather than listing it)."""


def probe_audio(path: str) -> float:
    """Open `path` with libsndfile, find how far its audio really decodes, and return that duration in
    seconds. Raises AudioDecodeError with a reason for users.

    One rule for every format: the decoded length is compared with the stated one (header, STREAMINFO,
    Xing frame count) and a file that stops before TRUNCATION_TOLERANCE of it is truncated. Ogg states
    no length (libsndfile counts up to the last page present), so a missing end-of-stream page is the
    sign there. The file is opened the way playback opens it (`open_audio`): a regular file only, its
    ID3v2 tag skipped (libmpg123 spent 20-40 s in a tag of 100,000 frames), its sample rate in the range
    playback and analysis accept."""
    ext = os.path.splitext(path)[1].lower()
    name = _FORMAT_NAMES.get(ext, "audio")
    try:
        with open_regular(native_path(path)) as raw:
            reader = _Reader(raw)
            try:
                frames, samplerate = reader.f.frames, reader.f.samplerate
                if samplerate <= 0 or frames <= 0:
                    raise AudioDecodeError(f"no audio in this {name} file")
                rate_refusal = sample_rate_refusal(samplerate)   # a 1 Hz header: "27.8 h" to decode
                if rate_refusal is not None:
                    raise AudioDecodeError(rate_refusal)
                decoded = _decoded_frames(reader, frames)
            finally:
                reader.f.close()
            ogg_cut = ext in _OGG_EXTENSIONS and not _ogg_has_end(raw)
    except AudioDecodeError:
        raise
    except PermissionError as exc:
        raise AudioDecodeError("permission denied") from exc
    except FileNotFoundError as exc:
        raise _Vanished("file not found") from exc
    except IsADirectoryError as exc:
        raise AudioDecodeError("is a folder, not a file") from exc
    except Exception as exc:  # LibsndfileError, RuntimeError, ValueError from odd headers, a FIFO refused
        if not os.path.exists(path):  # libsndfile reports a missing file like a bad one
            raise _Vanished("file not found") from exc
        # libsndfile says "System error." for a read that failed: no permission (any more), or the disk
        raise AudioDecodeError(file_problem(path) or _decoder_reason(name, exc)) from exc
    if ogg_cut:
        raise AudioDecodeError(
            f"truncated: stops at {_clock(decoded / samplerate)} (the end of the {name} stream is missing)")
    if decoded < frames * TRUNCATION_TOLERANCE:
        raise AudioDecodeError(
            f"truncated: stops at {_clock(decoded / samplerate)} of {_clock(frames / samplerate)}")
    return decoded / samplerate


# VBR MP3 headers often overstate the length a little: audio up to 90 % of the stated length is a
# playable file, not a truncated one; the same tolerance holds for every format.
TRUNCATION_TOLERANCE = 0.9
_OGG_EXTENSIONS = frozenset({".ogg", ".oga", ".opus"})
_OGG_TAIL_BYTES = 1 << 16


class _Reader:
    """Seek-and-read probes over one open file; a failed seek leaves some decoders (FLAC) unusable,
    so the file is opened again on the same descriptor after a failure."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.f = AudioFile(raw, close_raw=False)

    def frames_at(self, position: int) -> int:
        """Frames decoded from `position` (up to _TAIL_FRAMES); 0 when the seek or the read fails."""
        try:
            self.f.seek(position)
            return len(self.f.read(_TAIL_FRAMES, dtype="float32", always_2d=True))
        except Exception:  # noqa: BLE001 - libsndfile fails seeks past the data of a cut file
            self.f.close()
            self.f = AudioFile(self.raw, close_raw=False)
            return 0


def _decoded_frames(reader: _Reader, frames: int) -> int:
    """How many frames really decode: the stated count when the tail reads, else a binary search for
    the last position that still decodes (a dozen seeks, not a full decode)."""
    tail = min(frames, _TAIL_FRAMES)
    if reader.frames_at(frames - tail) >= tail // 4:
        return frames
    if reader.frames_at(0) == 0:
        return 0
    good, bad = 0, frames - tail
    while bad - good > _TAIL_FRAMES:
        mid = (good + bad) // 2
        if reader.frames_at(mid):
            good = mid
        else:
            bad = mid
    return good + reader.frames_at(good)


def _ogg_has_end(raw) -> bool:
    """Whether the last Ogg page in the file carries the end-of-stream flag (a cut file lacks it)."""
    raw.seek(0, os.SEEK_END)
    size = raw.tell()
    raw.seek(max(0, size - _OGG_TAIL_BYTES))
    tail = raw.read()
    at = tail.rfind(b"OggS")
    while at >= 0 and len(tail) - at < 27:  # a capture pattern without a whole page header
        at = tail.rfind(b"OggS", 0, at)
    if at < 0:
        return False
    header_type = tail[at + 5]
    n_segments = tail[at + 26]
    body = sum(tail[at + 27 : at + 27 + n_segments])
    complete = len(tail) - at >= 27 + n_segments + body
    return bool(header_type & 0x04) and complete


def _broken_link_reason(path: str) -> str:
    try:
        target = display_path(os.readlink(path))
    except OSError:
        return "broken link: the file it points to is missing"
    return sanitize_text(f"broken link: the file it points to is missing ({target})", limit=300)


def _special_file_reason(path: str) -> str:
    """Why a walked entry that is neither a folder nor a regular file is not read: a link whose target is
    missing is a broken link; a FIFO, a device or a socket (or a link to one) exists and says what it is."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return _broken_link_reason(path) if os.path.islink(path) else "file not found"
    except OSError as exc:
        return f"cannot read file information: {exc.strerror or exc}"
    return refusal(mode) or "not a regular file"


_EUID = os.geteuid() if hasattr(os, "geteuid") else None


def _readable(path: str, st: os.stat_result, groups: frozenset[int]) -> bool:
    """Whether this process may read the file: its mode bits first (no system call), then os.access for
    a file they deny (an ACL may still allow it). Root reads everything."""
    if _EUID is None or _EUID == 0:
        return True
    if st.st_uid == _EUID:
        bit = 0o400
    elif st.st_gid in groups:
        bit = 0o040
    else:
        bit = 0o004
    return bool(st.st_mode & bit) or os.access(path, os.R_OK)


def _process_groups() -> frozenset[int]:
    try:
        return frozenset({os.getegid(), *os.getgroups()})
    except (AttributeError, OSError):
        return frozenset()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _decoder_reason(name: str, exc: Exception) -> str:
    # libsndfile reports any unrecognised content as "File does not exist or is not a regular file
    # (possibly a pipe?)"; the file does exist here (we just opened it), so say what it means.
    return sanitize_text(decoder_reason(exc, name), limit=300)


class Scanner:
    """Scans music folders into a LibraryStore. One scan at a time per Scanner; runs in any thread."""

    def __init__(self, store: LibraryStore, batch_size: int = 200):
        self.store = store
        self.batch_size = max(1, int(batch_size))

    def scan(
        self,
        folders: Iterable[str | os.PathLike[str] | bytes],
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> ScanSummary:
        """Bring the library up to date with `folders`.

        progress(done, total, path) is called from this thread at most every 50 ms and once at the
        end: first with total 0 while the folders are walked (count unknown), then with the number of
        files found. `path` is printable (display_path). Setting `cancel` stops after the current
        file, keeping what was committed."""
        started = time.perf_counter()
        roots = _unique_roots(folders)
        known = self.store.file_stats(roots)
        found: dict[str, tuple[int, float]] = {}
        stat_errors: dict[str, str] = {}
        unlisted: dict[str, str] = {}  # folders the walk could not list -> mask reason for their tracks
        devices: dict[str, int] = {}  # root -> st_dev when its walk began
        folder_errors: dict[str, str] = {}  # folder -> what to tell the user about it
        walk_reporter = _ProgressReporter(progress, 0)  # total 0: still counting
        for root in roots:
            if not self._walk(root, found, stat_errors, unlisted, devices, folder_errors, cancel,
                              walk_reporter):
                return ScanSummary(0, 0, 0, 0, 0, time.perf_counter() - started, True,
                                   tuple(folder_errors.values()))

        # Decided after the walk, when a folder that went away mid-walk is seen to be gone.
        reach = Reachability(roots, devices, unlisted)
        stored_errors = self.store.errors_by_path(roots)
        # unmask first: a track seen again unchanged comes back as it was, analysis and all
        back = [p for p, error in stored_errors.items()
                if is_unavailable_reason(error) and p in found and known.get(p) == found[p]]
        available_again = self.store.clear_unavailable(back)
        masked = _keep_links_to_unseen_targets(found, stat_errors, known, reach)
        gone, masked_missing = reach.split(p for p in known if p not in found and p not in masked)
        masked.update(masked_missing)
        removed = self.store.remove_paths(gone) if gone else 0
        self.store.mark_unavailable(masked)
        # a file that could not be read last time (permissions, I/O) is read again though unchanged, and
        # one that became unreadable unchanged (chmod 000) is listed as such
        retry = {p for p, error in stored_errors.items()
                 if is_transient_reason(error) and not is_unavailable_reason(error)}
        retry.update(p for p, error in stat_errors.items() if error == PERMISSION_DENIED)
        summary = self._read_changed(
            found, known, stat_errors, removed, started, progress, cancel, retry, reach
        )
        return _with_masks(summary, len(masked), available_again, folder_errors, reach)

    def scan_files(
        self,
        files: Iterable[str | os.PathLike[str] | bytes],
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> ScanSummary:
        """Add or refresh single files (e.g. dropped on the window) without walking their folders.
        Files with unknown extensions are ignored; listed files that no longer exist leave the library."""
        started = time.perf_counter()
        found: dict[str, tuple[int, float]] = {}
        known: dict[str, tuple[int, float]] = {}
        stat_errors: dict[str, str] = {}
        retry: set[str] = set()
        missing: list[str] = []
        back: list[str] = []
        groups = _process_groups()
        for file in files:
            path = os.path.abspath(os.fsdecode(file))
            if os.path.splitext(path)[1].lower() not in KNOWN_EXTENSIONS or path in found:
                continue
            track = self.store.track_by_path(path)
            if track is not None:
                known[path] = (track.size, track.mtime)
                if is_unavailable_reason(track.error):
                    back.append(path)  # unmasked below if seen again unchanged
                elif track.error and is_transient_reason(track.error):
                    retry.add(path)
            try:
                st = os.stat(path)
            except FileNotFoundError:
                if track is not None:
                    missing.append(path)
                continue
            except OSError as exc:
                found[path] = (0, 0.0)
                stat_errors[path] = f"cannot read file information: {exc.strerror or exc}"
                continue
            if os.path.isfile(path):
                found[path] = (st.st_size, st.st_mtime)
                if not _readable(path, st, groups):
                    stat_errors[path] = PERMISSION_DENIED
                    retry.add(path)
            elif not os.path.isdir(path):   # a FIFO or a device named like audio: listed with what it is
                found[path] = (0, 0.0)
                stat_errors[path] = _special_file_reason(path)
        available_again = self.store.clear_unavailable(p for p in back if found.get(p) == known[p])
        reach = Reachability()  # each file's own folder is its root
        gone, masked = reach.split(missing)
        removed = self.store.remove_paths(gone) if gone else 0
        self.store.mark_unavailable(masked)
        summary = self._read_changed(
            found, known, stat_errors, removed, started, progress, cancel, retry, reach
        )
        return _with_masks(summary, len(masked), available_again, {}, reach)

    def _read_changed(
        self,
        found: dict[str, tuple[int, float]],
        known: dict[str, tuple[int, float]],
        stat_errors: dict[str, str],
        removed: int,
        started: float,
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
        retry: set[str] | frozenset[str] = frozenset(),
        reach: Reachability | None = None,
    ) -> ScanSummary:
        """Read the files of `found` whose (size, mtime) differ from `known`, or that are in `retry`
        (unreadable last time for a passing reason), committing in batches. A known file that vanishes
        before it is read is removed only when `reach` finds its folder there; else it is masked."""
        work = sorted(p for p, stat in found.items() if known.get(p) != stat or p in retry)
        unchanged = len(found) - len(work)
        total = len(found)
        reporter = _ProgressReporter(progress, total)
        reporter.report(unchanged, "", force=True)

        added = updated = unreadable = unreadable_added = 0
        batch: list[Track] = []
        vanished: list[str] = []
        cancelled = False
        for done, path in enumerate(work, start=unchanged + 1):
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
            size, mtime = found[path]
            try:
                record = self._read_file(path, size, mtime, stat_errors.get(path))
            except _Vanished:
                vanished.append(path)
                continue
            batch.append(record)
            if path in known:
                updated += 1
            else:
                added += 1
            if record.error is not None:
                unreadable += 1
                unreadable_added += path not in known
            if len(batch) >= self.batch_size:
                self.store.upsert_tracks(batch)
                batch = []
            reporter.report(done, path)
        if batch:
            self.store.upsert_tracks(batch)
        reach = reach or Reachability()
        reach.forget_verdicts()  # a folder seen there before the read may have gone since
        gone_now, masked = reach.split(p for p in vanished if p in known)
        if gone_now:
            removed += self.store.remove_paths(gone_now)
        self.store.mark_unavailable(masked)
        if not cancelled:
            reporter.report(total, "", force=True)
        return ScanSummary(
            added, updated, removed, unchanged, unreadable, time.perf_counter() - started, cancelled,
            (), unreadable_added, len(masked),
        )

    # -- walking -------------------------------------------------------------------------------------

    def _walk(
        self,
        root: str,
        found: dict[str, tuple[int, float]],
        stat_errors: dict[str, str],
        unlisted: dict[str, str],
        devices: dict[str, int],
        folder_errors: dict[str, str],
        cancel: threading.Event | None,
        reporter: _ProgressReporter | None = None,
    ) -> bool:
        """Collect known audio files under `root` with their (size, mtime); note the folders that could
        not be listed in `unlisted` and the root's device in `devices`. False when cancelled."""
        if not os.path.isdir(root):
            # Missing music folder (unmounted drive?): its tracks are masked, not wiped (Reachability).
            folder_errors[root] = f"{display_path(root)}: folder not found"
            return True
        stack = [root]
        seen_dirs: set[tuple[int, int]] = set()
        groups = _process_groups()
        while stack:
            if cancel is not None and cancel.is_set():
                return False
            folder = stack.pop()
            if reporter is not None:
                reporter.report(0, folder)
            try:
                st = os.stat(folder)
                if (st.st_dev, st.st_ino) in seen_dirs:
                    continue  # a symlink loop or a folder reached twice
                seen_dirs.add((st.st_dev, st.st_ino))
                if folder == root:
                    devices[root] = st.st_dev
                with os.scandir(folder) as it:
                    entries = list(it)
            except FileNotFoundError as exc:
                # gone mid-walk: deleted, or its drive went away; Reachability tells which after the walk
                unlisted[folder] = unlisted_reason(exc)
                continue
            except OSError as exc:
                unlisted[folder] = unlisted_reason(exc)
                folder_errors[folder] = f"{display_path(folder)}: {exc.strerror or exc}"
                continue
            subfolders = []
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue  # hidden files and folders, macOS "._" resource forks
                try:
                    if entry.is_dir():
                        subfolders.append(entry.path)
                        continue
                    if not entry.is_file():
                        if os.path.splitext(name)[1].lower() in KNOWN_EXTENSIONS:
                            # a dangling link, a FIFO or a device is listed like any unreadable file, with
                            # what it is, not skipped unseen
                            found[entry.path] = (0, 0.0)
                            stat_errors[entry.path] = _special_file_reason(entry.path)
                        continue
                except OSError:
                    continue
                if os.path.splitext(name)[1].lower() not in KNOWN_EXTENSIONS:
                    continue
                try:
                    st = entry.stat()
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    found[entry.path] = (0, 0.0)
                    stat_errors[entry.path] = f"cannot read file information: {exc.strerror or exc}"
                    continue
                found[entry.path] = (st.st_size, st.st_mtime)
                if not _readable(entry.path, st, groups):   # kept with its size and mtime: no re-analysis
                    stat_errors[entry.path] = PERMISSION_DENIED  # once it is readable again
            stack.extend(sorted(subfolders, reverse=True))  # visit in name order
        return True

    # -- reading one file ----------------------------------------------------------------------------

    def _read_file(self, path: str, size: int, mtime: float, stat_error: str | None) -> Track:
        try:
            return self._read_file_unguarded(path, size, mtime, stat_error)
        except _Vanished:
            raise
        except Exception as exc:  # never let one file stop the scan
            reason = sanitize_text(f"unexpected error: {type(exc).__name__}: {exc}", limit=300)
            return _record(path, size, mtime, TagInfo(), 0.0, reason)

    def _read_file_unguarded(self, path: str, size: int, mtime: float, stat_error: str | None) -> Track:
        if stat_error:
            return _record(path, size, mtime, TagInfo(), 0.0, stat_error)
        ext = os.path.splitext(path)[1].lower()
        if size == 0:
            return _record(path, size, mtime, TagInfo(), 0.0, "empty file (0 bytes)")
        try:
            with open(path, "rb") as f:
                f.read(1)
        except FileNotFoundError as exc:
            raise _Vanished("file not found") from exc
        except PermissionError:
            return _record(path, size, mtime, TagInfo(), 0.0, PERMISSION_DENIED)
        except OSError as exc:
            return _record(path, size, mtime, TagInfo(), 0.0, f"cannot open: {exc.strerror or exc}")

        try:
            tags = read_tags(path)
        except TagReadError:
            tags = TagInfo()  # the audio check below decides whether the file is usable
        error = None
        duration = 0.0
        if ext in UNDECODABLE_EXTENSIONS:
            error = f"no decoder for {UNDECODABLE_EXTENSIONS[ext]}"
        else:
            try:
                duration = probe_audio(path)
            except _Vanished:
                raise
            except AudioDecodeError as exc:
                error = str(exc)
        if tags.duration and not duration:
            duration = tags.duration  # the decoder's length wins: a header can lie (a WAV claiming 2 GB)
        return _record(path, size, mtime, tags, duration, error)


def _with_masks(summary: ScanSummary, masked: int, available_again: int, folder_errors: dict[str, str],
                reach: Reachability) -> ScanSummary:
    """`summary` counting the tracks masked before the read too, and naming each folder that masked any."""
    for folder, reason in reach.blocked.items():
        folder_errors.setdefault(folder, f"{display_path(folder)}: {reason}")
    return replace(summary, unavailable=summary.unavailable + masked, available_again=available_again,
                   folder_errors=tuple(folder_errors.values()))


def _keep_links_to_unseen_targets(
    found: dict[str, tuple[int, float]], stat_errors: dict[str, str], known: Mapping[str, object],
    reach: Reachability,
) -> dict[str, str]:
    """Known files that are links to a drive now unplugged: masked (path -> reason) and taken out of
    `found`, instead of being re-read as broken links, which would drop their analysis."""
    masked = {}
    for path in [p for p, error in stat_errors.items() if p in known and error.startswith("broken link")]:
        reason = reach.link_target_reason(path)
        if reason is not None:
            masked[path] = reason
            del found[path], stat_errors[path]
    return masked


def _record(path: str, size: int, mtime: float, tags: TagInfo, duration: float, error: str | None) -> Track:
    title = tags.title or sanitize_text(display_path(os.path.splitext(os.path.basename(path))[0]))
    return Track(
        id=0,
        path=path,
        title=title,
        artist=tags.artist,
        album=tags.album,
        album_artist=tags.album_artist,
        track_no=tags.track_no,
        year=tags.year,
        genre=tags.genre,
        duration=float(duration or 0.0),
        size=int(size),
        mtime=float(mtime),
        error=error,
    )


def _unique_roots(folders: Iterable[str | os.PathLike[str] | bytes]) -> list[str]:
    roots: list[str] = []
    for folder in folders:
        root = os.path.abspath(os.fsdecode(folder))
        if root not in roots:
            roots.append(root)
    return roots


class _ProgressReporter:
    def __init__(self, callback: ProgressCallback | None, total: int):
        self._callback = callback
        self._total = total
        self._last = 0.0

    def report(self, done: int, path: str, force: bool = False) -> None:
        if self._callback is None:
            return
        now = time.monotonic()
        if force or now - self._last >= _PROGRESS_INTERVAL_S:
            self._last = now
            self._callback(done, self._total, display_path(path))
