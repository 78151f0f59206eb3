"""Typed user settings over QSettings, declared once with their defaults.

Every setting has one declaration in `SETTINGS` (type, default, allowed values); reads coerce whatever
QSettings hands back (ini files return strings for bools and a bare string for a one-item list) and fall
back to the default, so a hand-edited or stale settings file never breaks the app. Window geometry, dock
and header layout are opaque byte blobs kept apart from the typed keys (`save_layout` / `layout`).

Every write is synced and its status checked: when the settings file cannot be written (a read-only home
or config folder, a full disk) `save_error` says so and where, and `saveFailed` fires once per cause, so
the window can tell the user instead of silently forgetting a music folder at the next start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QByteArray, QObject, QSettings, QStandardPaths, Signal

ORGANIZATION = "fmaplayer"
APPLICATION = "fmaplayer"

RANKING_MODES = ("similarity", "similarity_genre")
COMPUTE_DEVICES = ("auto", "cpu")
REPEAT_MODES = ("off", "all", "one")  # fmaplayer.audio.play_order's modes


def default_music_folders() -> list[str]:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MusicLocation)
    return [location] if location else []


@dataclass(frozen=True)
class SettingSpec:
    key: str
    kind: type
    default: Callable[[], Any]
    choices: tuple[Any, ...] = ()
    minimum: int | None = None
    maximum: int | None = None


SETTINGS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec("music_folders", list, default_music_folders),
        SettingSpec("recommendations_count", int, lambda: 10, minimum=1, maximum=100),
        SettingSpec("ranking_mode", str, lambda: "similarity", choices=RANKING_MODES),
        SettingSpec("compute_device", str, lambda: "auto", choices=COMPUTE_DEVICES),
        SettingSpec("continue_with_similar", bool, lambda: False),
        # variety in "Get relevant songs", `similar` and the radio: at most N per artist / album (0: any)
        SettingSpec("variety", bool, lambda: True),
        SettingSpec("variety_per_artist", int, lambda: 3, minimum=0, maximum=50),
        SettingSpec("variety_per_album", int, lambda: 2, minimum=0, maximum=50),
        SettingSpec("shuffle", bool, lambda: False),
        SettingSpec("repeat", str, lambda: "off", choices=REPEAT_MODES),
    )
}

_LAYOUT_GROUP = "layout/"
_STATE_GROUP = "state/"


def _coerce(spec: SettingSpec, raw: Any) -> Any:
    """Turn a stored value into the declared type, or raise ValueError/TypeError."""
    if spec.kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise ValueError(raw)
    if spec.kind is int:
        value = int(raw)
        if spec.minimum is not None:
            value = max(spec.minimum, value)
        if spec.maximum is not None:
            value = min(spec.maximum, value)
        return value
    if spec.kind is list:
        # Lists are stored as JSON text: ini files cannot tell a one-item list from a string.
        value = json.loads(raw) if isinstance(raw, str) else list(raw)
        if not isinstance(value, list):
            raise TypeError(raw)
        return [str(item) for item in value]
    value = str(raw)
    if spec.choices and value not in spec.choices:
        raise ValueError(raw)
    return value


class Settings(QObject):
    """The app's settings. `changed(key)` fires after a value really changed."""

    changed = Signal(str)
    saveFailed = Signal(str)   # what could not be saved and where (once per distinct cause)

    def __init__(self, qsettings: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._qsettings = qsettings if qsettings is not None else QSettings(ORGANIZATION, APPLICATION)
        self.save_error = ""   # the last write's failure, "" once a write went through

    def _sync(self) -> bool:
        """Write pending changes to disk; False (and `saveFailed`) when they could not be written."""
        self._qsettings.sync()
        status = self._qsettings.status()
        if status == QSettings.Status.NoError:
            self.save_error = ""
            return True
        where = self._qsettings.fileName()
        why = ("the file is damaged" if status == QSettings.Status.FormatError
               else "the file or its folder cannot be written (read-only, or the disk is full)")
        text = (f"Settings could not be saved to {where}: {why}. Changes such as added music folders "
                "will be forgotten when fmaplayer closes.")
        if text != self.save_error:
            self.save_error = text
            self.saveFailed.emit(text)
        return False

    @property
    def qsettings(self) -> QSettings:
        return self._qsettings

    def get(self, key: str) -> Any:
        spec = SETTINGS[key]
        raw = self._qsettings.value(key)
        if raw is None:
            return spec.default()
        try:
            return _coerce(spec, raw)
        except (TypeError, ValueError, RecursionError):   # RecursionError: a list nested 50,000 deep
            return spec.default()

    def set(self, key: str, value: Any) -> None:
        spec = SETTINGS[key]
        value = _coerce(spec, value)
        if value == self.get(key) and self._qsettings.contains(key):
            return
        self._qsettings.setValue(key, json.dumps(value) if spec.kind is list else value)
        self._sync()
        self.changed.emit(key)

    def reset(self, key: str) -> None:
        self.set(key, SETTINGS[key].default())

    # Typed accessors, so call sites read like attributes and type checkers see the types.
    @property
    def music_folders(self) -> list[str]:
        return self.get("music_folders")

    @music_folders.setter
    def music_folders(self, folders: list[str]) -> None:
        unique = list(dict.fromkeys(str(folder) for folder in folders))
        self.set("music_folders", unique)

    @property
    def recommendations_count(self) -> int:
        return self.get("recommendations_count")

    @recommendations_count.setter
    def recommendations_count(self, count: int) -> None:
        self.set("recommendations_count", count)

    @property
    def ranking_mode(self) -> str:
        return self.get("ranking_mode")

    @ranking_mode.setter
    def ranking_mode(self, mode: str) -> None:
        self.set("ranking_mode", mode)

    @property
    def compute_device(self) -> str:
        return self.get("compute_device")

    @compute_device.setter
    def compute_device(self, device: str) -> None:
        self.set("compute_device", device)

    @property
    def continue_with_similar(self) -> bool:
        return self.get("continue_with_similar")

    @continue_with_similar.setter
    def continue_with_similar(self, enabled: bool) -> None:
        self.set("continue_with_similar", enabled)

    def variety_caps(self) -> tuple[int, int]:
        """(per artist, per album) when variety is on, else (0, 0): no caps."""
        if not self.get("variety"):
            return 0, 0
        return self.get("variety_per_artist"), self.get("variety_per_album")

    @property
    def shuffle(self) -> bool:
        return self.get("shuffle")

    @shuffle.setter
    def shuffle(self, enabled: bool) -> None:
        self.set("shuffle", enabled)

    @property
    def repeat(self) -> str:
        return self.get("repeat")

    @repeat.setter
    def repeat(self, mode: str) -> None:
        self.set("repeat", mode)

    def add_music_folder(self, folder: str) -> bool:
        """Add a folder; returns False when it was already there."""
        folders = self.music_folders
        if folder in folders:
            return False
        self.music_folders = [*folders, folder]
        return True

    # Window geometry, dock/splitter state and header state: opaque blobs, never typed keys.
    def save_layout(self, name: str, state: QByteArray | bytes) -> None:
        self._qsettings.setValue(_LAYOUT_GROUP + name, QByteArray(state))
        self._sync()

    def layout(self, name: str) -> QByteArray | None:
        value = self._qsettings.value(_LAYOUT_GROUP + name)
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value
        if isinstance(value, bytes) and value:
            return QByteArray(value)
        return None

    # Session state (the queue and where playback stood): opaque text the app writes on quit, not a setting.
    def save_state(self, name: str, text: str) -> None:
        self._qsettings.setValue(_STATE_GROUP + name, str(text))
        self._sync()

    def state(self, name: str) -> str:
        value = self._qsettings.value(_STATE_GROUP + name)
        return value if isinstance(value, str) else ""
