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


def test_relevant_songs_drag_into_the_queue(qtbot, env):  # noqa: F811
    from PySide6.QtCore import QPoint

    from tests.gui.test_queue_drag_drop import _drop_on

    window, integration, tracks, _ = env
    _right_click_relevant(qtbot, window, [tracks["anchor"]])
    qtbot.waitUntil(lambda: integration.panel.model.rowCount() >= 2, timeout=5000)
    table = integration.panel.table
    table.selectRow(0)
    table.selectionModel().select(table.model().index(1, 0), table.selectionModel().SelectionFlag.Select
                                  | table.selectionModel().SelectionFlag.Rows)
    mime = integration.panel_state.drag.mime_for_selection()
    expected = [row.track.path for row in integration.panel.model.rows()[:2]]
    queue_list = window.queue_view.list
    _drop_on(queue_list.viewport(), mime, QPoint(10, 5))
    assert [t.path for t in window.player.queue.items()] == expected
    assert all(t.id for t in window.player.queue.items())  # the library's tracks, not bare files
