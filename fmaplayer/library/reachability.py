"""Whether a file the scan could not see is gone, or only out of sight (Quod Libet's masked mount points).

A track whose file is missing leaves the library only when its folder is demonstrably there: the music
folder and every folder down to the file's own are present, listable and not empty. A music folder that
is missing, empty (a drive not mounted) or on another device than when the scan began, a folder that is a
dangling link (its drive unplugged), one that vanished or could not be listed during the walk: the file
cannot be seen, which is not the same as deleted. Such a track is kept with all its analysis and masked
as unavailable (its `error` says why); the next scan that sees the file again unmasks it untouched.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping

UNAVAILABLE_PREFIX = "folder not reachable"
NOT_FOUND = f"{UNAVAILABLE_PREFIX} (drive unplugged?)"
EMPTY = f"{UNAVAILABLE_PREFIX}: it is empty (drive not mounted?)"
DANGLING_LINK = f"{UNAVAILABLE_PREFIX}: it links to a folder that is missing (drive unplugged?)"
DEVICE_CHANGED = f"{UNAVAILABLE_PREFIX}: its drive changed during the scan"
VANISHED = f"{UNAVAILABLE_PREFIX}: it vanished during the scan (drive unplugged?)"


def is_unavailable_reason(error: str | None) -> bool:
    """Whether a track's stored error is a mask (its folder was out of sight), not a fault of the file."""
    return bool(error) and error.startswith(UNAVAILABLE_PREFIX)


def unlisted_reason(exc: OSError) -> str:
    """The mask reason for tracks under a folder the walk could not list (permissions, I/O, a timeout)."""
    if isinstance(exc, FileNotFoundError):
        return VANISHED
    return f"{UNAVAILABLE_PREFIX}: {exc.strerror or exc}"


_PRESENT = ""  # a folder verdict: there, listable and not empty
_GONE = None  # a folder verdict: missing while its parent is demonstrably there


class Reachability:
    """Sorts the files a scan could not see into gone (remove) and masked (keep, with a reason).

    `roots` are the music folders scanned; `devices` their st_dev when the walk began; `unlisted` the
    folders the walk could not list, with the mask reason (`unlisted_reason`). A file outside every root
    (a single file dropped on the window) has its own folder as root. Verdicts are cached per folder, so
    20,000 missing files in one unplugged folder cost one look at it."""

    def __init__(self, roots: Iterable[str] = (), devices: Mapping[str, int] | None = None,
                 unlisted: Mapping[str, str] | None = None) -> None:
        self._roots = sorted(roots, key=len, reverse=True)
        self._devices = dict(devices or {})
        self._unlisted = dict(unlisted or {})
        self._verdicts: dict[str, str | None] = {}
        self.blocked: dict[str, str] = {}  # folder -> reason, for each folder that masked a track

    def split(self, missing: Iterable[str]) -> tuple[list[str], dict[str, str]]:
        """(gone, masked): the paths to remove, and path -> reason for those to keep as unavailable."""
        gone: list[str] = []
        masked: dict[str, str] = {}
        for path in missing:
            reason = self.reason(path)
            if reason is None:
                gone.append(path)
            else:
                masked[path] = reason
        return gone, masked

    def reason(self, path: str) -> str | None:
        """None when the folder of `path` is demonstrably there (so the file is gone), else why the file
        cannot be seen."""
        folder = os.path.dirname(path)
        root = self._root_of(path) or folder
        for component in _chain(root, folder):
            verdict = self._verdict(component, component == root)
            if verdict is _GONE:
                return None  # a folder on the way was removed while its parent is there
            if verdict != _PRESENT:
                self.blocked.setdefault(component, verdict)
                return verdict
        return None

    def link_target_reason(self, link: str) -> str | None:
        """For a dangling file link: why its target cannot be seen (a linked drive unplugged), or None
        when the target's folder is there and the target file itself was deleted."""
        try:
            target = os.readlink(link)
        except OSError:
            return None
        return self.reason(os.path.normpath(os.path.join(os.path.dirname(link), target)))

    def forget_verdicts(self) -> None:
        """Look again: a folder that was there when last asked may have gone since (mid-read)."""
        self._verdicts.clear()

    def _root_of(self, path: str) -> str | None:
        for root in self._roots:
            if path.startswith(os.path.join(root, "")):
                return root
        return None

    def _verdict(self, folder: str, is_root: bool) -> str | None:
        if folder not in self._verdicts:
            self._verdicts[folder] = self._look_at(folder, is_root)
        return self._verdicts[folder]

    def _look_at(self, folder: str, is_root: bool) -> str | None:
        unlisted = self._unlisted.get(folder)
        if unlisted is not None and unlisted != VANISHED:
            return unlisted  # could not be listed (permissions, I/O): its files were not seen
        try:
            st = os.stat(folder)  # follows links: a dangling one raises FileNotFoundError
        except FileNotFoundError:
            if os.path.islink(folder):
                return DANGLING_LINK
            return NOT_FOUND if is_root else _GONE
        except OSError as exc:
            return unlisted_reason(exc)
        if not stat.S_ISDIR(st.st_mode):
            return NOT_FOUND if is_root else _GONE  # a file where the folder was: the folder is gone
        if is_root and self._devices.get(folder, st.st_dev) != st.st_dev:
            return DEVICE_CHANGED  # unmounted (or another drive mounted) while the scan ran
        if unlisted == VANISHED:
            return VANISHED  # there now, but the walk could not look inside: its files were not seen
        try:
            with os.scandir(folder) as entries:
                empty = next(entries, None) is None
        except OSError as exc:
            return unlisted_reason(exc)
        # an unmounted drive leaves its mount point empty; a user's deletion leaves the folder gone or
        # with other contents, so "empty" is read as "cannot see", never as "everything was deleted"
        return EMPTY if empty else _PRESENT


def _chain(root: str, folder: str) -> list[str]:
    """The folders from `root` down to `folder` (which is `root` or lies under it), root first."""
    chain = [root]
    if folder == root:
        return chain
    for part in os.path.relpath(folder, root).split(os.sep):
        chain.append(os.path.join(chain[-1], part))
    return chain
