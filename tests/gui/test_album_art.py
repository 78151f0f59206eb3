"""Album art in the player bar: looked up off the UI thread, cached per album (mpris:artUrl is tested in
tests/packaging/test_mpris_player_features.py)."""

from __future__ import annotations

from PySide6.QtCore import QUrl

from tests.gui.fakes import make_track
from tests.library.test_art import png_bytes


def album(tmp_path, name, cover: bool):
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
    with_cover = album(tmp_path, "Covered", cover=True)
    without = album(tmp_path, "Bare", cover=False)
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
