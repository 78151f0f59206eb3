"""pytest-qt tests of "Get relevant songs": real worker thread, real store, fake embedder, fake host window
(the real MainWindow is used when fmaplayer.ui.main_window exists)."""

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from fmaplayer.recommend.calibration import match_percent
from fmaplayer.recommend.embedding_runner import EmbeddingRunner
from fmaplayer.settings import Settings
from fmaplayer.ui.recommendations import ACTION_TEXT, install
from tests.audio_fixtures import write_tone
from tests.recommend.fakes import FakeEmbedder, add_tracks, make_store

# 2-d directions: similarity to "anchor" (angle 0) falls as the angle grows; genres chosen per track
ANGLES = {"anchor": 0, "near1": 5, "near2": 10, "mid1": 20, "mid2": 30, "mid3": 40, "far1": 60, "far2": 70,
          "far3": 80, "opposite": 170, "late": 2}
GENRES = {"anchor": "Rock", "near1": "Pop", "near2": "Pop", "mid1": "Rock", "mid2": "Pop", "mid3": "Rock",
          "far1": "Rock", "far2": "Pop", "far3": "Pop", "opposite": "Rock", "late": "Folk"}


def _vec(degrees):
    r = np.deg2rad(degrees)
    return [np.cos(r), np.sin(r)]


def _make_window(settings, store):
    """The real MainWindow with a real Player over the null output (no sound card needed)."""
    from fmaplayer.audio.null_output import NullOutput
    from fmaplayer.audio.player import Player
    from fmaplayer.ui.main_window import MainWindow

    player = Player(output=NullOutput(realtime=True))
    return MainWindow(settings, store, player)


def _context_action(window, text):
    return next(a for a in window.build_track_context_menu().actions() if a.text() == text)


def _right_click_relevant(qtbot, window, tracks):
    """Select the tracks in the library table and trigger the context-menu entry."""
    model = window.track_table_model
    rows = [model.row_of_track(t.id) for t in tracks]
    window.library_view.select_rows(rows)
    assert {t.id for t in window.selected_tracks()} == {t.id for t in tracks}
    _context_action(window, ACTION_TEXT).trigger()
    return window._recommendations.panel.current_request_id


@pytest.fixture
def settings(tmp_path):
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def env(qtbot, tmp_path, settings):
    store = make_store(tmp_path / "lib.db")
    for i, name in enumerate(ANGLES):   # short real files: the player really opens them
        write_tone(tmp_path / "music" / f"{name}.wav", seconds=0.5, freq=220 + 40 * i)
    added = add_tracks(store, list(ANGLES), folder=str(tmp_path / "music"), suffix=".wav", artist="Gen")
    tracks = {t.title: t for t in added}
    embedder = FakeEmbedder(vectors={k: _vec(a) for k, a in ANGLES.items()}, genres=GENRES, dim=2)
    # everything but "late" is already analysed, as after an earlier session
    runner = EmbeddingRunner(store, embedder)
    runner.request_priority([t.id for name, t in tracks.items() if name != "late"])
    runner._load_queue = lambda: None            # only the priority ids
    runner.run()
    window = _make_window(settings, store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    integration = install(window, store, settings, embedder_factory=lambda device: embedder, autostart=False)
    integration.worker.pause()                  # background queue parked; on-demand requests still run
    integration.start()
    qtbot.waitUntil(lambda: integration.controller.index_ready, timeout=5000)
    yield window, integration, tracks, embedder
    integration.shutdown()
    window.player.stop()


def _names(integration):
    return [row.track.title for row in integration.panel.model.rows()]


def _scores(integration):
    return [row.score for row in integration.panel.model.rows()]


def test_action_lists_exactly_n_rows_by_descending_score_and_follows_settings(qtbot, env, settings):
    window, integration, tracks, _ = env
    settings.recommendations_count = 4
    _right_click_relevant(qtbot, window, [tracks["anchor"]])
    panel = integration.panel
    assert panel.isVisible() and "anchor" in panel.header.text()
    assert _names(integration) == ["near1", "near2", "mid1", "mid2"]
    assert _scores(integration) == sorted(_scores(integration), reverse=True)
    # the score is the library-centred cosine; the cell shows it through the one shared function
    anchor_vec = integration.index.vector(tracks["anchor"].id)
    centred = integration.index.scores(anchor_vec)[list(integration.index.ids()).index(tracks["near1"].id)]
    assert _scores(integration)[0] == pytest.approx(float(centred), abs=1e-6)
    assert panel.model.data(panel.model.index(0, 0)) == f"{match_percent(_scores(integration)[0]):.0f} %"
    assert panel.model.data(panel.model.index(0, 3)) == "Pop"
    settings.recommendations_count = 7               # an open panel re-queries
    assert len(_names(integration)) == 7
    assert "anchor" not in _names(integration)
    assert window.track_table_model.predicted_genre(tracks["near1"].id) == "Pop"


def test_genre_mode_puts_the_anchor_genre_first(qtbot, env, settings):
    window, integration, tracks, _ = env
    settings.recommendations_count = 5
    _right_click_relevant(qtbot, window, [tracks["anchor"]])
    assert _names(integration) == ["near1", "near2", "mid1", "mid2", "mid3"]
    settings.ranking_mode = "similarity_genre"       # re-queries the open panel
    names, scores = _names(integration), _scores(integration)
    assert names[:2] == ["mid1", "mid3"] and set(names[2:4]) == {"far1", "opposite"} and names[4] == "near1"
    assert [r.genre for r in integration.panel.model.rows()][:4] == ["Rock"] * 4
    assert scores[:4] == sorted(scores[:4], reverse=True)   # each block by (library-centred) score


def test_double_click_plays_and_buttons_play_or_enqueue(qtbot, env, settings):
    window, integration, tracks, _ = env
    settings.recommendations_count = 3
    _right_click_relevant(qtbot, window, [tracks["anchor"]])
    table = integration.panel.table
    rect = table.visualRect(table.model().index(1, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    player = window.player
    ids = [tracks[n].id for n in ("near1", "near2", "mid1")]
    qtbot.waitUntil(lambda: player.current_track() is not None and player.current_track().id == ids[1],
                    timeout=5000)
    assert [t.id for t in player.queue.items()] == ids
    qtbot.mouseClick(integration.panel.play_all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: player.current_track().id == ids[0], timeout=5000)
    player.stop()
    qtbot.mouseClick(integration.panel.enqueue_button, Qt.MouseButton.LeftButton)
    assert [t.id for t in player.queue.items()] == ids + ids


def test_unanalysed_anchor_is_analysed_on_demand_and_stale_results_are_dropped(qtbot, env, settings):
    window, integration, tracks, embedder = env
    settings.recommendations_count = 3
    panel = integration.panel
    late_request = _right_click_relevant(qtbot, window, [tracks["late"]])
    assert panel.is_busy() and "Analysing" in panel.busy_label.text()
    newer = _right_click_relevant(qtbot, window, [tracks["far1"]])   # the user moves on at once
    assert newer > late_request and not panel.is_busy()
    shown = _names(integration)
    qtbot.waitUntil(lambda: tracks["late"].id in integration.index, timeout=5000)
    qtbot.wait(0)   # let the queued commit signal reach every slot
    assert _names(integration) == shown                          # the late result did not overwrite
    assert panel.show_results(late_request, []) is False
    _right_click_relevant(qtbot, window, [tracks["late"]])
    assert _names(integration)[0] == "anchor"                    # 2 degrees from the anchor


def test_on_demand_result_arrives_in_the_busy_panel(qtbot, env, settings):
    window, integration, tracks, _ = env
    settings.recommendations_count = 2
    _right_click_relevant(qtbot, window, [tracks["late"]])
    qtbot.waitUntil(lambda: not integration.panel.is_busy(), timeout=5000)
    assert _names(integration) == ["anchor", "near1"]


def test_multi_track_selection_uses_the_centroid(qtbot, env, settings):
    window, integration, tracks, _ = env
    settings.recommendations_count = 2
    _right_click_relevant(qtbot, window, [tracks["near1"], tracks["mid1"]])
    assert "2 selected" in integration.panel.header.text()
    assert _names(integration) == ["near2", "anchor"]          # centroid at 12.5 degrees


def test_continue_with_similar_follows_the_setting(qtbot, env, settings):
    window, integration, tracks, _ = env
    assert window.player.continuation is None
    settings.continue_with_similar = True
    assert window.player.continuation is integration.continuation
    more = window.player.continuation(tracks["anchor"])
    assert more and tracks["anchor"].id not in {t.id for t in more}
    settings.continue_with_similar = False
    assert window.player.continuation is None


def test_status_widget_shows_device_and_progress(qtbot, env):
    window, integration, _, _ = env
    status = integration.status
    qtbot.waitUntil(lambda: "CPU" in status.device_label.toolTip(), timeout=5000)
    qtbot.waitUntil(lambda: status.text().startswith("Analysis paused at ")
                    or status.text() == "Analysing on CPU")
    # the fixture paused the worker: the button shows it
    assert status.isVisible() and status.pause_button.isChecked() and status.pause_button.text() == "Resume"
    status.pause_button.click()
    assert not integration.worker.is_paused()
    qtbot.waitUntil(lambda: status.text() == "Analysed 11 tracks on CPU", timeout=5000)
    assert not status.progress_bar.isVisibleTo(status) and not status.pause_button.isVisibleTo(status)


def test_rescan_drops_deleted_tracks_from_the_index(qtbot, env):
    window, integration, tracks, _ = env
    window.store.remove_paths([tracks["near1"].path])
    window.reload_from_store()
    window.scanFinished.emit(None)
    assert tracks["near1"].id not in integration.index and tracks["near2"].id in integration.index


def test_the_anchor_album_cover_is_shown_beside_the_header(qtbot, env, settings, tmp_path):
    from tests.library.test_art import png_bytes

    window, integration, tracks, _ = env
    (tmp_path / "music" / "cover.png").write_bytes(png_bytes(8, 8))
    art = integration.panel.anchor_art
    with qtbot.waitSignal(integration.art_loader.artReady, timeout=10_000,
                          check_params_cb=lambda track, path: path is not None):
        _right_click_relevant(qtbot, window, [tracks["anchor"]])
    assert art.isVisible() and not art.pixmap().isNull()
    _right_click_relevant(qtbot, window, [tracks["anchor"], tracks["near1"]])   # a selection: no one cover
    assert not art.isVisible()


def test_an_open_panel_follows_the_new_model_when_its_vectors_replace_the_old(qtbot, env, settings):
    """After an upgrade's re-analysis the index switches models; the open panel must not keep the old
    model's neighbours and scores until the user asks again."""
    window, integration, tracks, _ = env
    settings.recommendations_count = 3
    _right_click_relevant(qtbot, window, [tracks["anchor"]])
    assert _names(integration) == ["near1", "near2", "mid1"]
    # the new model hears it differently: the anchor's closest are now far3, far2, far1
    new_angles = {**ANGLES, "far3": 3, "far2": 6, "far1": 9, "near1": 100, "near2": 110, "mid1": 120}
    analysed = [name for name in tracks if name != "late"]      # as in the old index
    ids = np.array([tracks[name].id for name in analysed], dtype=np.int64)
    matrix = np.array([_vec(new_angles[name]) for name in analysed], dtype=np.float32)
    integration.worker.indexModel.emit("cnn_lstm@9.9.9+new")
    integration.worker.indexLoaded.emit(ids, matrix, {})
    qtbot.waitUntil(lambda: _names(integration)[:3] == ["far3", "far2", "far1"], timeout=5000)


def _note(integration):
    panel = integration.panel
    return panel.subheader.text() if panel.subheader.isVisibleTo(panel) else ""


def test_results_ranked_during_analysis_say_so_and_follow_it_keeping_the_selection(qtbot, env, settings):
    """Asked while the library is still being analysed, the panel says it ranked part of the library,
    and ranks again when the analysis finishes, keeping the row the user selected."""
    window, integration, tracks, _ = env
    settings.recommendations_count = 10
    qtbot.waitUntil(lambda: integration.controller._progress == (10, 11), timeout=5000)   # "late" to go
    _right_click_relevant(qtbot, window, [tracks["anchor"]])
    panel = integration.panel
    assert _names(integration)[:3] == ["near1", "near2", "mid1"] and "late" not in _names(integration)
    assert ("Ranked among the 10 of 11 tracks analysed so far; updates as analysis goes on"
            in _note(integration))
    panel.table.setFixedHeight(panel.table.verticalHeader().defaultSectionSize() * 4)
    panel.table.selectRow(1)                                             # the user picks near2 ...
    scroll = panel.table.verticalScrollBar()
    scroll.setValue(scroll.maximum())                                    # ... and scrolls down
    scrolled = scroll.value()
    assert scrolled > 0
    request = panel.current_request_id
    integration.worker.resume()                                          # "late" gets analysed
    qtbot.waitUntil(lambda: _names(integration)[0] == "late", timeout=5000)
    assert panel.current_request_id == request and "Ranked among" not in _note(integration)
    assert [t.title for t in panel.selected_tracks()] == ["near2"]
    assert panel.model.rows()[panel.table.currentIndex().row()].track.title == "near2"
    assert scroll.value() == scrolled                                    # the list did not jump back


def test_a_partial_panel_is_ranked_again_at_most_every_few_seconds_while_batches_commit(
        qtbot, env, settings, monkeypatch):
    from fmaplayer.recommend.embedding_runner import CommittedBatch
    from fmaplayer.ui import recommendations

    window, integration, tracks, _ = env
    settings.recommendations_count = 3
    qtbot.waitUntil(lambda: integration.controller._progress is not None, timeout=5000)
    integration.worker.progress.emit(10, 40, 1.0)               # pretend 30 more tracks are on their way
    _right_click_relevant(qtbot, window, [tracks["anchor"]])
    assert "10 of 40" in _note(integration)
    monkeypatch.setattr(recommendations, "PARTIAL_RERANK_MS", 200)
    late = tracks["late"].id
    integration.worker.committed.emit(CommittedBatch(ids=[late], vectors=np.array([_vec(2)], np.float32),
                                                     genres={late: "Folk"}))
    integration.worker.progress.emit(11, 40, 1.0)
    assert _names(integration)[0] == "near1"                    # not on every batch: a moment later
    qtbot.waitUntil(lambda: _names(integration)[0] == "late", timeout=5000)
    assert "11 of 40" in _note(integration)
    integration.worker.progress.emit(40, 40, 1.0)               # finished: ranked again at once
    qtbot.waitUntil(lambda: "Ranked among" not in _note(integration), timeout=1000)


def test_a_restarted_analysis_clears_analysis_unavailable(qtbot, env):
    """After a fault the status says 'Analysis unavailable'; a rescan that starts the worker again brings
    back the real status and lets the panel ask for analysis again."""
    _window, integration, _tracks, _embedder = env
    integration.worker.error.emit("Analysis stopped: the disk is full")
    assert integration.status.text() == "Analysis unavailable"
    assert integration.controller.request_analysis is None
    integration.worker.restarted.emit()
    assert integration.status.text() != "Analysis unavailable"
    assert integration.controller.request_analysis == integration.worker.request_priority


def test_variety_box_caps_one_album_and_follows_the_setting(qtbot, env, settings, tmp_path):
    """Two nearest tracks from one album: with variety (1 per album) the second makes room for another
    album; unticking the panel's box (a real click) saves the setting and ranks again without the cap."""
    import sqlite3

    window, integration, tracks, _ = env
    with sqlite3.connect(tmp_path / "lib.db") as conn:   # near1/near2 share an album, the rest do not
        for name, track in tracks.items():
            album = "Maxstack" if name in ("near1", "near2") else f"Album {name}"
            conn.execute("UPDATE tracks SET album = ? WHERE id = ?", (album, track.id))
    settings.recommendations_count = 3
    settings.set("variety_per_album", 1)
    panel = integration.panel
    _right_click_relevant(qtbot, window, [tracks["anchor"]])
    assert panel.variety_box.isChecked() and "1 per album" in panel.variety_box.toolTip()
    assert _names(integration) == ["near1", "mid1", "mid2"]
    qtbot.mouseClick(panel.variety_box, Qt.MouseButton.LeftButton)
    assert settings.get("variety") is False
    assert _names(integration) == ["near1", "near2", "mid1"]
    settings.set("variety", True)                        # Settings → the box follows, the list too
    assert panel.variety_box.isChecked() and _names(integration) == ["near1", "mid1", "mid2"]
