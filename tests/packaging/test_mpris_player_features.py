"""MPRIS for the player features: mpris:artUrl, LoopStatus and Shuffle, over a private session bus."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtDBus", reason="this PySide6 has no QtDBus")

from PySide6.QtDBus import QDBusConnection  # noqa: E402

from fmaplayer import mpris  # noqa: E402
from fmaplayer.audio.null_output import NullOutput  # noqa: E402
from fmaplayer.audio.player import Player  # noqa: E402
from fmaplayer.ui.art_loader import ArtLoader  # noqa: E402
from tests.gui.test_album_art import album  # noqa: E402
from tests.packaging.test_mpris import (  # noqa: E402
    FakePlayer,
    dbus_send,
    get_property,
    needs_bus,
    private_bus,  # noqa: F401 - the fixture
)


@pytest.fixture
def connect(private_bus):  # noqa: F811
    names = []

    def make(player, name):
        bus = QDBusConnection.connectToBus(private_bus, name)
        service = mpris.install_mpris(player, "fmaplayer", bus=bus)
        assert service is not None
        names.append((service, name))
        return service

    yield make, private_bus
    for service, name in names:
        service.close()
        QDBusConnection.disconnectFromBus(name)


@needs_bus
def test_metadata_carries_the_art_url(qtbot, tmp_path, connect):
    make, address = connect
    player = FakePlayer()
    service = make(player, "fmaplayer-mpris-art")
    loader = ArtLoader()
    service.art_url = loader.cached_url
    loader.artReady.connect(lambda *_: service.refresh_metadata())
    player.trackChanged.connect(loader.request)
    track = album(tmp_path, "Covered", cover=True)[0]
    with qtbot.waitSignal(loader.artReady, timeout=10_000):
        player.set_track(track)
    assert service.metadata()["mpris:artUrl"].startswith("file:///")
    meta = get_property(qtbot, address, service.service_name, mpris.PLAYER_INTERFACE, "Metadata")
    assert "mpris:artUrl" in meta and ".png" in meta
    loader.shutdown()


@needs_bus
def test_loop_status_and_shuffle_follow_the_player_and_drive_it(qtbot, connect):
    make, address = connect
    player = Player(NullOutput())
    try:
        service = make(player, "fmaplayer-mpris-loop")

        def get(name):
            return get_property(qtbot, address, service.service_name, mpris.PLAYER_INTERFACE, name)

        assert 'string "None"' in get("LoopStatus") and "boolean false" in get("Shuffle")
        player.set_repeat("one")
        player.set_shuffle(True)
        assert 'string "Track"' in get("LoopStatus") and "boolean true" in get("Shuffle")
        dbus_send(qtbot, address, service.service_name, "org.freedesktop.DBus.Properties.Set",
                  f"string:{mpris.PLAYER_INTERFACE}", "string:LoopStatus", "variant:string:Playlist")
        qtbot.waitUntil(lambda: player.repeat() == "all")
        dbus_send(qtbot, address, service.service_name, "org.freedesktop.DBus.Properties.Set",
                  f"string:{mpris.PLAYER_INTERFACE}", "string:Shuffle", "variant:boolean:false")
        qtbot.waitUntil(lambda: not player.shuffle())
    finally:
        player.shutdown()
