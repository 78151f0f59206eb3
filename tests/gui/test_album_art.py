"""Album art in the player bar (looked up off the UI thread, cached per album) and as mpris:artUrl."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QUrl

from tests.gui.fakes import make_track
from tests.library.test_art import png_bytes


def _album(tmp_path, name, cover: bool):
    folder = tmp_path / name
    folder.mkdir()
    tracks = []
    for i in range(2):
        path = folder / f"{i}.flac"
        path.write_bytes(b"not really audio")  # art lookup must cope: no embedded art, maybe a folder one
        tracks.append(make_track(10 * len(name) + i, f"{name} {i}", "Band", name, path=str(path)))
    if cover:
        (folder / "Cover.PNG").write_bytes(png_bytes(8, 8))
    return tracks


def test_the_player_bar_shows_the_album_cover(make_window, player, qtbot, tmp_path):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    with_cover = _album(tmp_path, "Covered", cover=True)
    without = _album(tmp_path, "Bare", cover=False)
    art = window.player_bar.art_label
    with qtbot.waitSignal(window.art_loader.artReady, timeout=10_000):
        player.play_tracks(with_cover, 0)
    assert art.isVisible() and not art.pixmap().isNull() and art.toolTip() == "<qt>Covered</qt>"
    url = window.art_loader.cached_url(with_cover[1])  # same album: known without another lookup
    assert url is not None and QUrl(url).toLocalFile().endswith(".png")
    assert "xdg-cache" in QUrl(url).toLocalFile()  # in the per-user cache, not beside the music
    with qtbot.waitSignal(window.art_loader.artReady, timeout=10_000):
        player.play_tracks(without, 0)
    assert not art.isVisible()
    with qtbot.waitSignal(window.art_loader.artReady, timeout=10_000,
                          check_params_cb=lambda track, path: path is not None):
        player.play_tracks(with_cover[1:], 0)  # answered from memory this time
    assert art.isVisible()


def test_mpris_metadata_carries_the_art_url(qtbot, tmp_path):
    mpris_tests = pytest.importorskip("tests.packaging.test_mpris")
    if mpris_tests.DBUS_DAEMON is None:
        pytest.skip("dbus-daemon is not installed")
    import subprocess

    from PySide6.QtDBus import QDBusConnection

    from fmaplayer import mpris
    from fmaplayer.ui.art_loader import ArtLoader

    config = tmp_path / "bus.conf"
    config.write_text(mpris_tests.BUS_CONFIG.format(tmp=tmp_path))
    command = [mpris_tests.DBUS_DAEMON, f"--config-file={config}", "--nofork", "--print-address=1"]
    daemon = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        address = daemon.stdout.readline().strip()
        bus = QDBusConnection.connectToBus(address, "fmaplayer-mpris-art")
        player = mpris_tests.FakePlayer()
        service = mpris.install_mpris(player, "fmaplayer", bus=bus)
        loader = ArtLoader()
        service.art_url = loader.cached_url
        loader.artReady.connect(lambda *_: service.refresh_metadata())
        player.trackChanged.connect(loader.request)
        track = _album(tmp_path, "Covered", cover=True)[0]
        with qtbot.waitSignal(loader.artReady, timeout=10_000):
            player.set_track(track)
        assert service.metadata()["mpris:artUrl"].startswith("file:///")
        meta = mpris_tests.get_property(qtbot, address, service.service_name, mpris.PLAYER_INTERFACE,
                                        "Metadata")
        assert "mpris:artUrl" in meta and ".png" in meta
        service.close()
        loader.shutdown()
        QDBusConnection.disconnectFromBus("fmaplayer-mpris-art")
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
        daemon.stdout.close()
