"""The relevant panel's anchor comes back after a restart; its results save as an M3U8 playlist."""

from fmaplayer.library.playlists import read_playlist
from fmaplayer.ui.panel_state import STATE_NAME, saved_anchor_ids
from fmaplayer.ui.recommendations import install
from tests.gui.test_relevant_panel import _make_window, _right_click_relevant, env, settings  # noqa: F401


def test_save_the_relevant_songs_as_a_playlist(qtbot, env, tmp_path):  # noqa: F811
    window, integration, tracks, _ = env
    action = window.playlists.save_relevant_action
    assert action.isVisible()
    _right_click_relevant(qtbot, window, [tracks["anchor"]])
    qtbot.waitUntil(lambda: integration.panel.model.rowCount() > 0, timeout=5000)
    shown = [row.track.path for row in integration.panel.model.rows()]
    target = tmp_path / "relevant.m3u8"
    assert window.playlists.save_relevant(str(target))
    assert read_playlist(target).paths == shown


def test_the_open_panel_is_restored_after_a_restart(qtbot, env, settings):  # noqa: F811
    window, integration, tracks, embedder = env
    _right_click_relevant(qtbot, window, [tracks["near1"]])
    qtbot.waitUntil(lambda: integration.panel.model.rowCount() > 0, timeout=5000)
    window.close()
    assert saved_anchor_ids(settings) == [tracks["near1"].id]

    restarted = _make_window(settings, integration.store)
    qtbot.addWidget(restarted)
    restarted.show()
    qtbot.waitExposed(restarted)
    again = install(restarted, integration.store, settings, embedder_factory=lambda device: embedder,
                    autostart=False)
    try:
        again.worker.pause()
        again.start()
        qtbot.waitUntil(lambda: again.panel.isVisible() and again.panel.model.rowCount() > 0, timeout=5000)
        assert [t.id for t in again.panel.anchors()] == [tracks["near1"].id]
        again.panel.close()
        restarted.close()
        assert saved_anchor_ids(settings) == []  # closed panel: nothing to restore next time
        assert settings.state(STATE_NAME) == "[]"
    finally:
        again.shutdown()
        restarted.player.stop()
