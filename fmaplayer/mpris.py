"""MPRIS2 over QtDBus: media keys and the desktop's media controls drive the Player.

`install_mpris(player, app_name)` publishes org.mpris.MediaPlayer2.<app_name> on the session bus with the
root (org.mpris.MediaPlayer2) and player (org.mpris.MediaPlayer2.Player) interfaces, and emits
org.freedesktop.DBus.Properties.PropertiesChanged when the player's state or track changes. It returns None,
without raising, where there is no session bus (Windows, macOS, containers, a Qt built without D-Bus).

The player is anything with the Player interface (signals stateChanged/trackChanged/durationChanged;
methods play/pause/toggle/stop/next/previous, optional seek/position/volume/set_volume/current_track/queue).

Known limit: PySide6 turns a Python int inside a QVariantMap into a D-Bus int32 when it fits, so
`mpris:length` is int32 for tracks under ~35 minutes and int64 above (the spec asks for int64; GNOME Shell
and KDE read both). Typed properties such as Position are int64 as the spec says.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

log = logging.getLogger(__name__)

OBJECT_PATH = "/org/mpris/MediaPlayer2"
ROOT_INTERFACE = "org.mpris.MediaPlayer2"
PLAYER_INTERFACE = "org.mpris.MediaPlayer2.Player"
PROPERTIES_INTERFACE = "org.freedesktop.DBus.Properties"
NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"
TRACK_PATH_PREFIX = "/io/github/fmaplayer/track/"
PLAYBACK_STATUS = {"playing": "Playing", "paused": "Paused", "stopped": "Stopped"}
LOOP_STATUS = {"off": "None", "all": "Playlist", "one": "Track"}  # repeat mode -> MPRIS LoopStatus
SUPPORTED_MIME_TYPES = [
    "audio/mpeg", "audio/flac", "audio/x-flac", "audio/ogg", "audio/x-vorbis+ogg", "audio/opus",
    "audio/x-wav", "audio/wav", "audio/x-aiff",
]


def track_object_path(track: Any) -> str:
    """A D-Bus object path naming the track (mpris:trackid); library ids are ints, which paths allow."""
    track_id = getattr(track, "id", None)
    if track is None or track_id is None:
        return NO_TRACK
    return f"{TRACK_PATH_PREFIX}{int(track_id)}"


def track_metadata(track: Any, duration_s: float | None = None) -> dict[str, Any]:
    """The MPRIS Metadata map of a Track (plain Python values; mpris:trackid is added by the caller)."""
    if track is None:
        return {}
    title = getattr(track, "display_title", None) or getattr(track, "title", "") or ""
    meta: dict[str, Any] = {"xesam:title": str(title)}
    artist = getattr(track, "artist", "")
    if artist:
        meta["xesam:artist"] = [str(artist)]
    album = getattr(track, "album", "")
    if album:
        meta["xesam:album"] = str(album)
    album_artist = getattr(track, "album_artist", "")
    if album_artist:
        meta["xesam:albumArtist"] = [str(album_artist)]
    genre = getattr(track, "genre", "")
    if genre:
        meta["xesam:genre"] = [str(genre)]
    track_no = getattr(track, "track_no", None)
    if track_no:
        meta["xesam:trackNumber"] = int(track_no)
    path = getattr(track, "path", "")
    if path:
        meta["xesam:url"] = "file://" + quote(str(Path(path).absolute()))
    seconds = duration_s if duration_s and duration_s > 0 else getattr(track, "duration", 0.0)
    if seconds and seconds > 0:
        meta["mpris:length"] = int(round(float(seconds) * 1_000_000))
    return meta


def install_mpris(
    player: Any,
    app_name: str = "fmaplayer",
    *,
    raise_window: Callable[[], None] | None = None,
    quit_app: Callable[[], None] | None = None,
    desktop_entry: str = "fmaplayer",
    bus: Any = None,
) -> MprisService | None:
    """Publish `player` over MPRIS2; None (and a debug log line) when there is no session bus.

    Call once from the main thread after the Player exists (app.py, before the event loop). Keep the
    returned object alive (it is also parented to the player). `raise_window` shows the main window for the
    desktop's "open player" action; `quit_app` defaults to QCoreApplication.quit. `bus` lets tests pass a
    private QDBusConnection.
    """
    if bus is None and not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    try:
        from PySide6.QtDBus import QDBusConnection
    except ImportError as exc:  # a Qt build without D-Bus support
        log.debug("MPRIS disabled: QtDBus unavailable (%s)", exc)
        return None
    if bus is None:
        if not (os.environ.get("DBUS_SESSION_BUS_ADDRESS") or os.environ.get("XDG_RUNTIME_DIR")):
            log.debug("MPRIS disabled: no session bus address")
            return None
        bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        log.debug("MPRIS disabled: session bus not reachable (%s)", bus.lastError().message())
        return None
    try:
        service = MprisService(player, app_name, raise_window, quit_app, desktop_entry, bus)
    except RuntimeError as exc:
        log.warning("MPRIS disabled: %s", exc)
        return None
    return service


@functools.cache
def _build_adaptors():
    """Define the adaptor classes on first use so importing this module never imports Qt."""
    from PySide6.QtCore import ClassInfo, Property, Signal, Slot
    from PySide6.QtDBus import QDBusAbstractAdaptor, QDBusObjectPath

    @ClassInfo({"D-Bus Interface": ROOT_INTERFACE})
    class RootAdaptor(QDBusAbstractAdaptor):
        def __init__(self, parent, service: MprisService):
            super().__init__(parent)
            self._service = service

        @Slot()
        def Raise(self):  # noqa: N802 (D-Bus method names)
            self._service.raise_window()

        @Slot()
        def Quit(self):  # noqa: N802
            self._service.quit()

        CanQuit = Property(bool, lambda self: True)
        CanRaise = Property(bool, lambda self: self._service.can_raise)
        HasTrackList = Property(bool, lambda self: False)
        Identity = Property(str, lambda self: self._service.identity)
        DesktopEntry = Property(str, lambda self: self._service.desktop_entry)
        SupportedUriSchemes = Property("QStringList", lambda self: ["file"])
        SupportedMimeTypes = Property("QStringList", lambda self: list(SUPPORTED_MIME_TYPES))

    @ClassInfo({"D-Bus Interface": PLAYER_INTERFACE})
    class PlayerAdaptor(QDBusAbstractAdaptor):
        Seeked = Signal("qlonglong")

        def __init__(self, parent, service: MprisService):
            super().__init__(parent)
            self._service = service

        @Slot()
        def Next(self):  # noqa: N802
            self._service.call_player("next")

        @Slot()
        def Previous(self):  # noqa: N802
            self._service.call_player("previous")

        @Slot()
        def Pause(self):  # noqa: N802
            self._service.call_player("pause")

        @Slot()
        def PlayPause(self):  # noqa: N802
            self._service.call_player("toggle")

        @Slot()
        def Stop(self):  # noqa: N802
            self._service.call_player("stop")

        @Slot()
        def Play(self):  # noqa: N802
            self._service.call_player("play")

        @Slot("qlonglong")
        def Seek(self, offset_us):  # noqa: N802
            self._service.seek_relative(int(offset_us))

        @Slot(QDBusObjectPath, "qlonglong")
        def SetPosition(self, track_id, position_us):  # noqa: N802
            self._service.set_position(track_id.path(), int(position_us))

        @Slot(str)
        def OpenUri(self, uri):  # noqa: N802
            log.debug("MPRIS OpenUri(%s) ignored: not supported", uri)

        def _set_volume(self, value):
            self._service.set_volume(float(value))

        def _set_loop_status(self, value):
            self._service.set_loop_status(str(value))

        def _set_shuffle(self, value):
            self._service.set_shuffle(bool(value))

        PlaybackStatus = Property(str, lambda self: self._service.playback_status())
        Rate = Property(float, lambda self: 1.0)
        MinimumRate = Property(float, lambda self: 1.0)
        MaximumRate = Property(float, lambda self: 1.0)
        Metadata = Property("QVariantMap", lambda self: self._service.metadata())
        Volume = Property(float, lambda self: self._service.volume(), _set_volume)
        Position = Property("qlonglong", lambda self: self._service.position_us())
        CanGoNext = Property(bool, lambda self: self._service.has_track())
        CanGoPrevious = Property(bool, lambda self: self._service.has_track())
        CanPlay = Property(bool, lambda self: self._service.can_play())
        CanPause = Property(bool, lambda self: self._service.can_play())
        CanSeek = Property(bool, lambda self: self._service.can_seek())
        CanControl = Property(bool, lambda self: True)
        LoopStatus = Property(str, lambda self: self._service.loop_status(), _set_loop_status)
        Shuffle = Property(bool, lambda self: self._service.shuffle(), _set_shuffle)

    return RootAdaptor, PlayerAdaptor


class MprisService:
    """Owns the exported object and the bus name; translates Player signals into PropertiesChanged."""

    def __init__(self, player, app_name, raise_window, quit_app, desktop_entry, bus):
        from PySide6.QtCore import QObject

        self._player = player
        self._raise = raise_window
        self._quit = quit_app
        self._bus = bus
        self.identity = app_name
        self.desktop_entry = desktop_entry
        self._duration = 0.0
        self._last_position: float | None = None
        # track -> file URL of its album art, or None; must answer at once (see ui.art_loader.cached_url)
        self.art_url: Callable[[Any], str | None] | None = None
        root_cls, player_cls = _build_adaptors()
        # The exported object is a child of the player so it lives (and dies) with it.
        self._root = QObject(player if isinstance(player, QObject) else None)
        self._root.setObjectName("mpris-root")
        self._root_adaptor = root_cls(self._root, self)
        self._player_adaptor = player_cls(self._root, self)
        if not bus.registerObject(OBJECT_PATH, self._root):
            raise RuntimeError(f"could not export {OBJECT_PATH}: {bus.lastError().message()}")
        self.service_name = self._claim_name(app_name)
        self._connect_player()

    # --- bus name --------------------------------------------------------------------------------
    def _claim_name(self, app_name: str) -> str:
        # A second running instance gets its own name, as the spec suggests, instead of failing.
        base = f"org.mpris.MediaPlayer2.{app_name}"
        for name in (base, f"{base}.instance{os.getpid()}"):
            if self._bus.registerService(name):
                return name
        self._bus.unregisterObject(OBJECT_PATH)
        raise RuntimeError(f"could not own {base}: {self._bus.lastError().message()}")

    def close(self) -> None:
        """Give the name back (the app's aboutToQuit; also safe to call twice)."""
        if self._bus is None:
            return
        from PySide6.QtDBus import QDBusMessage

        # Fire-and-forget ReleaseName: a blocking unregisterService() can stall quitting for the bus's
        # 25-s call timeout when the daemon is slow; the daemon also frees the name when we disconnect.
        release = QDBusMessage.createMethodCall("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                "org.freedesktop.DBus", "ReleaseName")
        release.setArguments([self.service_name])
        self._bus.send(release)
        self._bus.unregisterObject(OBJECT_PATH)
        self._bus = None

    # --- player -> bus ---------------------------------------------------------------------------
    def _connect_player(self) -> None:
        player = self._player
        player.stateChanged.connect(self._on_state_changed)
        player.trackChanged.connect(self._on_track_changed)
        if hasattr(player, "durationChanged"):
            player.durationChanged.connect(self._on_duration_changed)
        if hasattr(player, "volumeChanged"):
            player.volumeChanged.connect(lambda v: self._emit_changed({"Volume": float(v)}))
        if hasattr(player, "positionChanged"):
            player.positionChanged.connect(self._on_position_changed)
        if hasattr(player, "repeatChanged"):
            player.repeatChanged.connect(lambda _mode: self._emit_changed({"LoopStatus": self.loop_status()}))
        if hasattr(player, "shuffleChanged"):
            player.shuffleChanged.connect(lambda on: self._emit_changed({"Shuffle": bool(on)}))

    def _on_state_changed(self, _state: str) -> None:
        self._emit_changed({
            "PlaybackStatus": self.playback_status(),
            "CanPlay": self.can_play(),
            "CanPause": self.can_play(),
            "CanSeek": self.can_seek(),
        })

    def _on_track_changed(self, track) -> None:
        self._last_position = None  # the new track starts wherever it starts: not a seek
        self._duration = float(getattr(track, "duration", 0.0) or 0.0) if track is not None else 0.0
        self._emit_changed({
            "Metadata": self.metadata(),
            "CanGoNext": self.has_track(),
            "CanGoPrevious": self.has_track(),
            "CanPlay": self.can_play(),
            "CanPause": self.can_play(),
            "CanSeek": self.can_seek(),
        })

    def _on_position_changed(self, seconds: float) -> None:
        # Clients extrapolate Position from Rate; a jump (the app's seek bar) must be told with Seeked.
        last, self._last_position = self._last_position, float(seconds)
        if last is not None and (seconds < last - 0.5 or seconds > last + 2.0):
            self._player_adaptor.Seeked.emit(int(round(seconds * 1_000_000)))

    def _on_duration_changed(self, seconds: float) -> None:
        if seconds and abs(float(seconds) - self._duration) > 0.5:
            self._duration = float(seconds)
            self._emit_changed({"Metadata": self.metadata()})

    def _emit_changed(self, changed: dict[str, Any]) -> None:
        if self._bus is None:
            return
        from PySide6.QtCore import QMetaType
        from PySide6.QtDBus import QDBusArgument, QDBusMessage

        # An empty Python list would be marshalled as "av"; the signal's signature needs "as".
        invalidated = QDBusArgument()
        invalidated.beginArray(QMetaType(QMetaType.Type.QString))
        invalidated.endArray()
        message = QDBusMessage.createSignal(OBJECT_PATH, PROPERTIES_INTERFACE, "PropertiesChanged")
        message.setArguments([PLAYER_INTERFACE, changed, invalidated])
        self._bus.send(message)

    # --- bus -> player ---------------------------------------------------------------------------
    def call_player(self, method: str) -> None:
        func = getattr(self._player, method, None)
        if func is None:
            return
        try:
            func()
        except Exception:  # a D-Bus caller must never take the app down
            log.exception("MPRIS %s failed", method)

    def seek_relative(self, offset_us: int) -> None:
        self._seek_to(self.position_us() + offset_us)

    def set_position(self, track_path: str, position_us: int) -> None:
        # The spec: ignore a SetPosition for a track that is no longer current.
        if track_path != track_object_path(self._current_track()):
            return
        self._seek_to(position_us)

    def _seek_to(self, position_us: int) -> None:
        seek = getattr(self._player, "seek", None)
        if seek is None or not self.can_seek():
            return
        length_us = int(self._duration * 1_000_000)
        position_us = max(0, position_us)
        if length_us and position_us > length_us:
            self.call_player("next")  # the spec: seeking past the end acts like Next
            return
        self._last_position = position_us / 1_000_000  # so the jump detector does not report it twice
        try:
            seek(position_us / 1_000_000)
        except Exception:
            log.exception("MPRIS seek failed")
            return
        self._player_adaptor.Seeked.emit(position_us)

    def set_volume(self, value: float) -> None:
        setter = getattr(self._player, "set_volume", None)
        if setter is not None:
            setter(min(1.0, max(0.0, value)))

    def loop_status(self) -> str:
        getter = getattr(self._player, "repeat", None)
        return LOOP_STATUS.get(getter() if callable(getter) else "off", "None")

    def set_loop_status(self, status: str) -> None:
        setter = getattr(self._player, "set_repeat", None)
        mode = {v: k for k, v in LOOP_STATUS.items()}.get(status)
        if setter is not None and mode is not None:
            setter(mode)

    def shuffle(self) -> bool:
        getter = getattr(self._player, "shuffle", None)
        return bool(getter()) if callable(getter) else False

    def set_shuffle(self, enabled: bool) -> None:
        setter = getattr(self._player, "set_shuffle", None)
        if setter is not None:
            setter(bool(enabled))

    def raise_window(self) -> None:
        if self._raise is not None:
            self._raise()

    def quit(self) -> None:
        if self._quit is not None:
            self._quit()
            return
        from PySide6.QtCore import QCoreApplication

        QCoreApplication.quit()

    # --- queries the adaptors answer ---------------------------------------------------------------
    @property
    def can_raise(self) -> bool:
        return self._raise is not None

    def _current_track(self):
        getter = getattr(self._player, "current_track", None)
        return getter() if getter is not None else None

    def has_track(self) -> bool:
        return self._current_track() is not None

    def can_play(self) -> bool:
        if self.has_track():
            return True
        queue = getattr(self._player, "queue", None)
        items = getattr(queue, "items", None)
        return bool(items()) if callable(items) else False

    def can_seek(self) -> bool:
        return hasattr(self._player, "seek") and self.has_track()

    def playback_status(self) -> str:
        state = getattr(self._player, "state", None)
        return PLAYBACK_STATUS.get(state() if callable(state) else "stopped", "Stopped")

    def metadata(self) -> dict[str, Any]:
        from PySide6.QtDBus import QDBusObjectPath

        track = self._current_track()
        meta = track_metadata(track, self._duration)
        meta["mpris:trackid"] = QDBusObjectPath(track_object_path(track))
        art_url = self.art_url(track) if self.art_url is not None and track is not None else None
        if art_url:
            meta["mpris:artUrl"] = art_url
        return meta

    def refresh_metadata(self) -> None:
        """Tell clients the metadata changed (the album art arrived after the track started)."""
        self._emit_changed({"Metadata": self.metadata()})

    def position_us(self) -> int:
        position = getattr(self._player, "position", None)
        return int(round(float(position()) * 1_000_000)) if callable(position) else 0

    def volume(self) -> float:
        getter = getattr(self._player, "volume", None)
        return float(getter()) if callable(getter) else 1.0
