"""The MPRIS2 adaptor answers over a private session bus (skipped where dbus-daemon is absent)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

import pytest

from fmaplayer import mpris

pytest.importorskip("PySide6.QtDBus", reason="this PySide6 has no QtDBus")
from PySide6.QtCore import SLOT, QObject, QProcess, Signal, Slot  # noqa: E402
from PySide6.QtDBus import QDBusConnection  # noqa: E402

DBUS_DAEMON = shutil.which("dbus-daemon")
DBUS_SEND = shutil.which("dbus-send")
needs_bus = pytest.mark.skipif(
    DBUS_DAEMON is None or DBUS_SEND is None,
    reason="dbus-daemon/dbus-send are not installed (apt-get install dbus)",
)

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir={tmp}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@dataclass(frozen=True)
class FakeTrack:
    id: int
    path: str
    title: str
    artist: str
    album: str
    album_artist: str = ""
    genre: str = "Folk"
    track_no: int | None = 2
    duration: float = 185.5

    @property
    def display_title(self) -> str:
        return self.title


class FakePlayer(QObject):
    """The Player interface, without audio."""

    stateChanged = Signal(str)
    trackChanged = Signal(object)
    positionChanged = Signal(float)
    durationChanged = Signal(float)

    def __init__(self):
        super().__init__()
        self._state = "stopped"
        self._track = None
        self._position = 0.0
        self.calls: list[str] = []

    def state(self):
        return self._state

    def current_track(self):
        return self._track

    def position(self):
        return self._position

    def set_track(self, track):
        self._track = track
        self.trackChanged.emit(track)

    def _set_state(self, state):
        self._state = state
        self.stateChanged.emit(state)

    def toggle(self):
        self.calls.append("toggle")
        self._set_state("paused" if self._state == "playing" else "playing")

    def play(self):
        self.calls.append("play")
        self._set_state("playing")

    def pause(self):
        self.calls.append("pause")
        self._set_state("paused")

    def stop(self):
        self.calls.append("stop")
        self._set_state("stopped")

    def next(self):
        self.calls.append("next")

    def previous(self):
        self.calls.append("previous")

    def seek(self, seconds):
        self.calls.append(f"seek {seconds:g}")
        self._position = seconds
        self.positionChanged.emit(seconds)


@pytest.fixture
def private_bus(tmp_path):
    config = tmp_path / "bus.conf"
    config.write_text(BUS_CONFIG.format(tmp=tmp_path))
    daemon = subprocess.Popen([DBUS_DAEMON, f"--config-file={config}", "--nofork", "--print-address=1"],
                              stdout=subprocess.PIPE, text=True)
    try:
        address = daemon.stdout.readline().strip()
        assert address.startswith("unix:"), "dbus-daemon printed no address"
        yield address
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
        daemon.stdout.close()


@pytest.fixture
def service(qtbot, private_bus):
    bus = QDBusConnection.connectToBus(private_bus, "fmaplayer-mpris-test")
    player = FakePlayer()
    svc = mpris.install_mpris(player, "fmaplayer", bus=bus, raise_window=lambda: player.calls.append("raise"))
    assert svc is not None
    yield svc, player, private_bus
    svc.close()
    QDBusConnection.disconnectFromBus("fmaplayer-mpris-test")


def dbus_send(qtbot, address: str, dest: str, *args: str) -> str:
    """Runs dbus-send without blocking the Qt event loop the service answers from."""
    process = QProcess()
    with qtbot.waitSignal(process.finished, timeout=10_000):
        process.start(DBUS_SEND, [f"--bus={address}", "--print-reply", f"--dest={dest}", mpris.OBJECT_PATH,
                                  *args])
    out = bytes(process.readAllStandardOutput()).decode()
    err = bytes(process.readAllStandardError()).decode()
    assert process.exitCode() == 0, err
    return out


def get_property(qtbot, address, dest, interface, name) -> str:
    return dbus_send(qtbot, address, dest, "org.freedesktop.DBus.Properties.Get",
                     f"string:{interface}", f"string:{name}")


@needs_bus
def test_play_pause_and_playback_status_over_the_bus(qtbot, service):
    svc, player, address = service
    assert svc.service_name == "org.mpris.MediaPlayer2.fmaplayer"
    status = get_property(qtbot, address, svc.service_name, mpris.PLAYER_INTERFACE, "PlaybackStatus")
    assert '"Stopped"' in status

    dbus_send(qtbot, address, svc.service_name, f"{mpris.PLAYER_INTERFACE}.PlayPause")
    assert player.calls == ["toggle"]
    status = get_property(qtbot, address, svc.service_name, mpris.PLAYER_INTERFACE, "PlaybackStatus")
    assert '"Playing"' in status

    for method, call in (("Next", "next"), ("Previous", "previous"), ("Pause", "pause"), ("Stop", "stop"),
                         ("Play", "play")):
        dbus_send(qtbot, address, svc.service_name, f"{mpris.PLAYER_INTERFACE}.{method}")
        assert player.calls[-1] == call


@needs_bus
def test_metadata_of_the_current_track(qtbot, service):
    svc, player, address = service
    empty = get_property(qtbot, address, svc.service_name, mpris.PLAYER_INTERFACE, "Metadata")
    assert mpris.NO_TRACK in empty
    player.set_track(FakeTrack(42, "/music/Some Folder/song.flac", "Song", "Singer", "Record"))
    meta = get_property(qtbot, address, svc.service_name, mpris.PLAYER_INTERFACE, "Metadata")
    assert 'object path "/io/github/fmaplayer/track/42"' in meta
    assert 'string "Song"' in meta and 'string "Record"' in meta
    assert 'array [\n                  string "Singer"' in meta or 'string "Singer"' in meta
    assert "185500000" in meta  # mpris:length in microseconds
    assert "file:///music/Some%20Folder/song.flac" in meta


@needs_bus
def test_root_interface_and_seek(qtbot, service):
    svc, player, address = service
    identity = get_property(qtbot, address, svc.service_name, mpris.ROOT_INTERFACE, "DesktopEntry")
    assert '"fmaplayer"' in identity
    dbus_send(qtbot, address, svc.service_name, f"{mpris.ROOT_INTERFACE}.Raise")
    assert player.calls == ["raise"]

    player.set_track(FakeTrack(1, "/m/a.ogg", "A", "B", "C"))
    player._position = 10.0
    dbus_send(qtbot, address, svc.service_name, f"{mpris.PLAYER_INTERFACE}.Seek", "int64:-2500000")
    assert player.calls[-1] == "seek 7.5"
    position = get_property(qtbot, address, svc.service_name, mpris.PLAYER_INTERFACE, "Position")
    assert "int64 7500000" in position
    dbus_send(qtbot, address, svc.service_name, f"{mpris.PLAYER_INTERFACE}.SetPosition",
              "objpath:/io/github/fmaplayer/track/1", "int64:60000000")
    assert player.calls[-1] == "seek 60"
    dbus_send(qtbot, address, svc.service_name, f"{mpris.PLAYER_INTERFACE}.SetPosition",
              "objpath:/io/github/fmaplayer/track/999", "int64:1000000")  # stale track id: ignored
    assert player.calls[-1] == "seek 60"


class PropertiesChangedCatcher(QObject):
    def __init__(self):
        super().__init__()
        self.received: list[tuple[str, dict, list]] = []

    @Slot(str, "QVariantMap", "QStringList")
    def on_changed(self, interface, changed, invalidated):
        self.received.append((interface, changed, invalidated))


@needs_bus
def test_properties_changed_is_emitted_on_state_and_track_changes(qtbot, service):
    svc, player, address = service
    client = QDBusConnection.connectToBus(address, "fmaplayer-mpris-client")
    catcher = PropertiesChangedCatcher()
    try:
        # The typed slot makes QtDBus check the signal's signature (sa{sv}as) and unpack the outer map.
        assert client.connect(svc.service_name, mpris.OBJECT_PATH, mpris.PROPERTIES_INTERFACE,
                              "PropertiesChanged", catcher,
                              SLOT("on_changed(QString,QVariantMap,QStringList)"))
        player.set_track(FakeTrack(3, "/m/x.mp3", "Title X", "Y", "Z"))
        player.toggle()
        qtbot.waitUntil(lambda: len(catcher.received) >= 2, timeout=10_000)
    finally:
        QDBusConnection.disconnectFromBus("fmaplayer-mpris-client")
    (iface1, track_change, invalid1), (iface2, state_change, _) = catcher.received[:2]
    assert iface1 == iface2 == mpris.PLAYER_INTERFACE
    assert {"Metadata", "CanGoNext", "CanPlay"} <= set(track_change)  # Metadata's content: see Get above
    assert invalid1 == []
    assert state_change["PlaybackStatus"] == "Playing"


@needs_bus
def test_a_second_instance_gets_its_own_name(qtbot, service):
    svc, _player, address = service
    bus2 = QDBusConnection.connectToBus(address, "fmaplayer-mpris-second")
    try:
        second = mpris.install_mpris(FakePlayer(), "fmaplayer", bus=bus2)
        assert second is not None
        assert second.service_name.startswith("org.mpris.MediaPlayer2.fmaplayer.instance")
        second.close()
    finally:
        QDBusConnection.disconnectFromBus("fmaplayer-mpris-second")


def test_no_session_bus_is_not_an_error(monkeypatch, qtbot):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    assert mpris.install_mpris(FakePlayer(), "fmaplayer") is None
    unreachable = QDBusConnection.connectToBus("unix:path=/nonexistent/bus", "fmaplayer-mpris-nowhere")
    try:
        assert mpris.install_mpris(FakePlayer(), "fmaplayer", bus=unreachable) is None
    finally:
        QDBusConnection.disconnectFromBus("fmaplayer-mpris-nowhere")


def test_track_metadata_without_qt():
    meta = mpris.track_metadata(FakeTrack(5, "/a/b.flac", "", "", "", "", "", track_no=None, duration=0.0))
    assert meta == {"xesam:title": "", "xesam:url": "file:///a/b.flac"}
    assert mpris.track_object_path(None) == mpris.NO_TRACK


@needs_bus
def test_the_real_player_is_driven_over_the_bus(qtbot, private_bus, tmp_path):
    player_mod = pytest.importorskip("fmaplayer.audio.player", reason="fmaplayer.audio.player not importable")
    from fmaplayer.audio.output import create_output
    from fmaplayer.library.track import Track
    from tests.audio_fixtures import write_tone

    path = write_tone(tmp_path / "tone.wav", seconds=3.0)
    track = Track(id=9, path=str(path), title="Tone", artist="Generator", album="Fixtures", duration=3.0)
    player = player_mod.Player(create_output("null"))
    bus = QDBusConnection.connectToBus(private_bus, "fmaplayer-mpris-real")
    svc = mpris.install_mpris(player, "fmaplayer", bus=bus)
    try:
        assert svc is not None
        player.play_tracks([track])
        qtbot.waitUntil(lambda: player.state() == "playing", timeout=10_000)
        meta = get_property(qtbot, private_bus, svc.service_name, mpris.PLAYER_INTERFACE, "Metadata")
        assert 'string "Tone"' in meta and "/io/github/fmaplayer/track/9" in meta
        dbus_send(qtbot, private_bus, svc.service_name, f"{mpris.PLAYER_INTERFACE}.PlayPause")
        qtbot.waitUntil(lambda: player.state() == "paused", timeout=10_000)
        status = get_property(qtbot, private_bus, svc.service_name, mpris.PLAYER_INTERFACE, "PlaybackStatus")
        assert '"Paused"' in status
    finally:
        if svc is not None:
            svc.close()
        player.shutdown()
        QDBusConnection.disconnectFromBus("fmaplayer-mpris-real")
