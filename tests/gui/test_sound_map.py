"""pytest-qt tests of the sound map: the view alone (points drawn in their colours, hover, click,
rubber band, colour switch) and the dock in the real main window over real recommendations (a fake
embedder, a real store and worker thread)."""

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QApplication

from fmaplayer.library.playlists import read_playlist
from fmaplayer.recommend import sound_map
from fmaplayer.recommend.embedding_runner import EmbeddingRunner
from fmaplayer.settings import Settings
from fmaplayer.ui import recommendations, sound_map_dock
from fmaplayer.ui.sound_map_view import INK, MARKER_BY_LAYER, PALETTE, UNLABELLED, SoundMapView, marker_image
from fmaplayer.workers.sound_map_worker import SoundMapWorker
from tests.audio_fixtures import write_tone
from tests.recommend.fakes import FakeEmbedder, add_tracks, make_store

COORDS = {1: (-0.8, -0.6), 2: (-0.7, -0.5), 3: (0.0, 0.0), 4: (0.6, 0.7), 5: (0.8, 0.5), 6: (0.9, -0.8)}
LABELS = {1: "Jazz", 2: "Jazz", 3: "", 4: "Electronic", 5: "Electronic", 6: "Classical"}


@pytest.fixture
def view(qtbot):
    ids = np.array(list(COORDS), np.int64)
    smap = sound_map.SoundMap(ids, np.array(list(COORDS.values()), np.float32), sound_map.PCA)
    widget = SoundMapView(track_text=lambda track_id: f"Title {track_id}\nArtist {track_id}")
    qtbot.addWidget(widget)
    widget.resize(500, 400)
    widget.set_map(smap)
    widget.set_colour_labels(LABELS)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def pixel_at(widget, point: QPoint) -> QColor:
    return widget.viewport().grab().toImage().pixelColor(point)


def send_mouse(widget, kind, pos: QPoint, button=Qt.MouseButton.NoButton, buttons=Qt.MouseButton.NoButton,
               modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    viewport = widget.viewport()
    local = QPointF(pos)
    event = QMouseEvent(kind, local, QPointF(viewport.mapToGlobal(pos)), button, buttons, modifiers)
    QApplication.sendEvent(viewport, event)


def test_every_point_is_drawn_in_its_labels_colour_unconfident_ones_grey(view):
    assert view.point_count() == 6
    for track_id, label in LABELS.items():
        colour = pixel_at(view, view.viewport_position_of(track_id))
        expected = view.colours[label]
        assert (colour.red(), colour.green(), colour.blue()) == (expected.red(), expected.green(),
                                                                 expected.blue()), track_id
    assert view.colours[""] == UNLABELLED
    blank = pixel_at(view, view.viewport_position_of(3) + QPoint(40, 0))   # empty map area
    assert blank != view.colours[""]
    assert [(label, count) for label, _, count in view.legend()] == [
        ("Electronic", 2), ("Jazz", 2), ("Classical", 1), ("", 1)]


def _darkest_along(view, track_id: int, radii) -> QColor:
    centre = view.viewport_position_of(track_id)
    return min((pixel_at(view, centre + QPoint(r, 0)) for r in radii), key=lambda c: c.lightness())


def test_result_and_playing_rings_are_dark_on_a_white_halo_a_colour_no_label_has(qtbot, view):
    assert INK.rgb() not in {c.rgb() for c in [*PALETTE, UNLABELLED]}
    before = _darkest_along(view, 6, range(5, 10))
    view.set_results([6])
    view.set_playing(1)
    qtbot.waitUntil(lambda: _darkest_along(view, 6, range(5, 10)).lightness() < 60)   # the results ring
    assert before.lightness() > 200                                          # nothing dark there before
    assert _darkest_along(view, 1, range(8, 13)).lightness() < 60            # the playing ring, wider
    halo = [pixel_at(view, view.viewport_position_of(6) + QPoint(r, 0)) for r in range(4, 11)]
    assert max(c.lightness() for c in halo) > 240                            # white around the dark line


def _dark_pixels(image) -> set[tuple[int, int]]:
    return {(x, y) for x in range(image.width()) for y in range(image.height())
            if image.pixelColor(x, y).alpha() > 128 and image.pixelColor(x, y).lightness() < 80}


def test_playing_results_and_anchor_markers_have_different_shapes(qtbot, view):
    # The rings were the same near-black circle, 7 and 10 px: on a screenshot they looked alike.
    drawings = {layer: _dark_pixels(marker_image(MARKER_BY_LAYER[layer], ratio=2)) for layer in
                ("results", "anchor", "playing")}          # the legend's drawings, as on a 2x screen
    for a, b in (("results", "anchor"), ("results", "playing"), ("anchor", "playing")):
        assert drawings[a] and len(drawings[a] ^ drawings[b]) > 0.6 * len(drawings[a] | drawings[b]), (a, b)
    view.set_results([6])
    view.set_playing(1)
    view.set_anchor([5])
    qtbot.waitUntil(lambda: _darkest_along(view, 1, range(8, 13)).lightness() < 60)
    # the playing track's marker has ticks outside its ring; a result's ring has nothing there
    assert _darkest_along(view, 1, range(14, 17)).lightness() < 60
    assert _darkest_along(view, 6, range(14, 17)).lightness() > 200
    # the anchor's diamond: a corner straight out to the side, nothing on the diagonal where a ring would be
    anchor = view.viewport_position_of(5)
    assert _darkest_along(view, 5, range(8, 11)).lightness() < 60
    assert min(pixel_at(view, anchor + QPoint(d, -d)).lightness() for d in (7, 8)) > 150
    assert view.marked("anchor") == [5]


def test_marked_points_close_together_stay_visible_under_each_others_rings(qtbot, view):
    # Three path steps a few pixels apart: each ring's white halo covered the neighbours' points.
    view.zoom_by(0.2)                                 # tracks 1 and 2 end up about 6 px apart
    view.set_results([1, 2])
    view.set_playing(4)
    for track_id in (1, 2):
        qtbot.waitUntil(lambda t=track_id: pixel_at(view, view.viewport_position_of(t)).rgb()
                        == view.colours["Jazz"].rgb())
    view.set_colour_labels({1: "calm/relaxed", 2: "calm/relaxed"})        # the colours follow a switch
    assert pixel_at(view, view.viewport_position_of(1)).rgb() == view.colours["calm/relaxed"].rgb()


def test_a_sonic_path_is_drawn_as_a_line_from_step_to_step(qtbot, view):
    def darkest_near(point: QPoint) -> int:
        return min(pixel_at(view, point + QPoint(dx, dy)).lightness()
                   for dx in (-1, 0, 1) for dy in (-1, 0, 1))

    def between(a: int, b: int, share: float = 0.5) -> QPoint:
        pa, pb = view.viewport_position_of(a), view.viewport_position_of(b)
        return QPoint(round(pa.x() + (pb.x() - pa.x()) * share), round(pa.y() + (pb.y() - pa.y()) * share))

    before = darkest_near(between(1, 6, 0.3))
    view.set_path([1, 6, 4])
    qtbot.waitUntil(lambda: darkest_near(between(1, 6, 0.3)) < 60)
    assert before > 200
    assert darkest_near(between(6, 4, 0.3)) < 60 and darkest_near(between(6, 4, 0.7)) < 60
    assert darkest_near(between(1, 4, 0.3)) > 150              # no line between tracks that are not steps
    assert pixel_at(view, view.viewport_position_of(6)).rgb() == view.colours["Classical"].rgb()  # point kept
    view.set_path([])
    qtbot.waitUntil(lambda: darkest_near(between(1, 6, 0.3)) > 200)


def test_switching_the_colour_labels_repaints_the_points(view):
    before = pixel_at(view, view.viewport_position_of(4))
    view.set_colour_labels({4: "calm/relaxed", 5: "tense/angry"})
    after = pixel_at(view, view.viewport_position_of(4))
    assert after != before and after.rgb() == view.colours["calm/relaxed"].rgb()
    assert pixel_at(view, view.viewport_position_of(1)).rgb() == UNLABELLED.rgb()   # no mood: grey


def test_hover_shows_title_and_artist_of_the_point_under_the_cursor(qtbot, view):
    with qtbot.waitSignal(view.hovered) as hovered:
        send_mouse(view, QEvent.Type.MouseMove, view.viewport_position_of(4) + QPoint(2, 1))
    assert hovered.args == [4]
    assert view.hover_text == "Title 4\nArtist 4"
    with qtbot.waitSignal(view.hovered) as hovered:    # far from every point: nothing
        send_mouse(view, QEvent.Type.MouseMove, view.viewport_position_of(3) + QPoint(60, 0))
    assert hovered.args == [-1] and view.hover_text == ""


def test_click_on_a_point_asks_to_play_it_a_drag_pans_instead(qtbot, view):
    with qtbot.waitSignal(view.playRequested) as played:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.viewport_position_of(6))
    assert played.args == [6]
    start = view.viewport_position_of(2)
    with qtbot.assertNotEmitted(view.playRequested):
        send_mouse(view, QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton,
                   Qt.MouseButton.LeftButton)
        send_mouse(view, QEvent.Type.MouseMove, start + QPoint(60, 30), Qt.MouseButton.NoButton,
                   Qt.MouseButton.LeftButton)
        send_mouse(view, QEvent.Type.MouseButtonRelease, start + QPoint(60, 30), Qt.MouseButton.LeftButton)
    assert view.viewport_position_of(2) == start + QPoint(60, 30)     # the map moved with the mouse


def test_shift_drag_selects_the_points_inside_the_rubber_band(qtbot, view):
    shift = Qt.KeyboardModifier.ShiftModifier
    corner_a = view.viewport_position_of(4) + QPoint(-15, -15)
    corner_b = view.viewport_position_of(5) + QPoint(15, 15)
    top_left = QPoint(min(corner_a.x(), corner_b.x()), min(corner_a.y(), corner_b.y()))
    bottom_right = QPoint(max(corner_a.x(), corner_b.x()), max(corner_a.y(), corner_b.y()))
    with qtbot.waitSignal(view.selectionChanged) as selected:
        send_mouse(view, QEvent.Type.MouseButtonPress, top_left, Qt.MouseButton.LeftButton,
                   Qt.MouseButton.LeftButton, shift)
        send_mouse(view, QEvent.Type.MouseMove, top_left + QPoint(10, 10), Qt.MouseButton.NoButton,
                   Qt.MouseButton.LeftButton, shift)
        send_mouse(view, QEvent.Type.MouseMove, bottom_right, Qt.MouseButton.NoButton,
                   Qt.MouseButton.LeftButton, shift)
        send_mouse(view, QEvent.Type.MouseButtonRelease, bottom_right, Qt.MouseButton.LeftButton,
                   Qt.MouseButton.NoButton, shift)
    assert sorted(selected.args[0]) == [4, 5]
    assert view.viewport_position_of(4) == corner_a + QPoint(15, 15)     # selecting did not pan


def test_wheel_zooms_in_around_the_cursor(qtbot, view):
    before = view.transform().m11()
    view.zoom_by(2.0)
    assert view.transform().m11() == pytest.approx(2 * before)
    assert view.track_at(view.viewport_position_of(1)) == 1


def test_zoomed_pans_past_the_edges_draw_every_frame_without_errors(qtbot, caplog):
    # many points straddling the viewport's edges once zoomed: the case that once indexed past the image
    # (an exception in a paint override takes the process down, so a failure here may be a crash)
    rng = np.random.default_rng(4)
    smap = sound_map.SoundMap(np.arange(2000), rng.uniform(-1, 1, (2000, 2)).astype(np.float32), "pca")
    view = SoundMapView()
    qtbot.addWidget(view)
    view.resize(830, 400)
    view.set_map(smap)
    view.show()
    qtbot.waitExposed(view)
    view.zoom_by(1.25 ** 3)
    for _ in range(30):
        view.pan_by(-10, -5)
        view.viewport().grab()
    corner = view.viewport().rect().bottomRight() - QPoint(1, 1)
    inside = [i for i in range(2000) if view.viewport().rect().adjusted(3, 3, -3, -3).contains(
        view.viewport_position_of(i))]
    assert inside and pixel_at(view, view.viewport_position_of(inside[0])).rgb() == UNLABELLED.rgb()
    assert pixel_at(view, corner).isValid()
    assert not [r for r in caplog.records if "failed" in r.getMessage()]


# --- the dock in the real window ----------------------------------------------------------------------
CLUSTERS = {"a": [1, 0, 0, 0], "b": [0, 1, 0, 0], "c": [0, 0, 1, 0]}


@pytest.fixture
def app_env(qtbot, tmp_path):
    from fmaplayer.audio.null_output import NullOutput
    from fmaplayer.audio.player import Player
    from fmaplayer.ui.main_window import MainWindow

    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    store = make_store(tmp_path / "lib.db")
    rng = np.random.default_rng(0)
    names, vectors = [], {}
    for cluster, centre in CLUSTERS.items():
        for i in range(8):
            name = f"{cluster}{i}"
            names.append(name)
            vectors[name] = np.array(centre, float) + rng.normal(0, 0.05, 4)
            write_tone(tmp_path / "music" / f"{name}.wav", seconds=0.3, freq=200 + 30 * len(names))
    tracks = {t.title: t for t in add_tracks(store, names, folder=str(tmp_path / "music"), suffix=".wav",
                                             artist="Gen")}
    embedder = FakeEmbedder(vectors=vectors, genres={n: "Rock" if n[0] == "a" else "Pop" for n in names},
                            dim=4)
    EmbeddingRunner(store, embedder).run()
    window = MainWindow(settings, store, Player(output=NullOutput(realtime=True)))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    recs = recommendations.install(window, store, settings, embedder_factory=lambda device: embedder)
    qtbot.waitUntil(lambda: recs.controller.index_ready and len(recs.index) == len(names), timeout=10000)
    worker = SoundMapWorker(sound_map.SoundMapCache(tmp_path / "cache"), method=sound_map.PCA)
    integration = sound_map_dock.install(window, store, recs, worker=worker)
    window.test_parts = (settings, store, embedder, tmp_path)
    yield window, integration, tracks
    integration.shutdown()
    recs.shutdown()
    window.player.stop()


def test_the_view_menu_opens_a_map_of_every_analysed_track(qtbot, app_env):
    window, integration, tracks = app_env
    action = integration.dock.toggleViewAction()
    assert action in window.view_menu.actions() and not integration.dock.isVisible()
    with qtbot.waitSignal(integration.worker.mapReady, timeout=10000):
        action.trigger()
    qtbot.waitUntil(lambda: integration.view.point_count() == len(tracks), timeout=10000)
    assert "24 tracks" in integration.dock.status.text()
    legend = integration.dock.legend.text()
    assert "Pop" in legend and "(16)" in legend and "Rock" in legend and "(8)" in legend
    for words in ("playing", "relevant results", "their anchor"):   # the markers, drawn as on the map
        assert f"alt='{words}'" in legend
    assert "sonic path" not in legend                        # only while the panel lists a path
    # the three clusters of vectors are three groups on the map: a's nearest neighbour is an a
    pos = {name: integration.view.viewport_position_of(t.id) for name, t in tracks.items()}
    for name in ("a0", "b3", "c5"):
        others = [(abs(p.x() - pos[name].x()) + abs(p.y() - pos[name].y()), other)
                  for other, p in pos.items() if other != name]
        assert min(others)[1][0] == name[0]


def test_colour_switch_to_mood_greys_tracks_without_a_confident_mood(qtbot, app_env):
    window, integration, tracks = app_env
    _open_map(qtbot, integration, len(tracks))
    with qtbot.waitSignal(integration.worker.moodsReady) as ready:   # read off the UI thread
        integration.dock.colour_by.setCurrentText(sound_map_dock.MOOD)
    assert set(ready.args[0]) == {t.id for t in tracks.values()}
    assert [label for label, _, _ in integration.view.legend()] == [""]   # the fake stores no moods
    assert "not&nbsp;confident" in integration.dock.legend.text()     # kept on one line when it wraps
    integration.dock.colour_by.setCurrentText(sound_map_dock.GENRE)
    assert {label for label, _, _ in integration.view.legend()} == {"Rock", "Pop"}


def _open_map(qtbot, integration, n: int) -> None:
    integration.open()
    qtbot.waitUntil(lambda: integration.view.point_count() == n, timeout=10000)


def _click_plays(qtbot, window, view, track_id: int) -> None:
    """A left click on the track's point starts that track."""
    with qtbot.waitSignal(window.player.trackChanged, timeout=5000) as changed:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.viewport_position_of(track_id))
    assert changed.args[0].id == track_id


def test_click_plays_selection_queues_and_saves_and_highlights_follow(qtbot, app_env, tmp_path):
    window, integration, tracks = app_env
    _open_map(qtbot, integration, len(tracks))
    view = integration.view
    _click_plays(qtbot, window, view, tracks["b2"].id)
    assert len(view._highlights.layers["playing"]) == 1

    chosen = [tracks[n].id for n in ("c1", "c2", "c3")]
    view.select_ids(chosen)
    assert integration.dock.queue_button.isEnabled()
    assert "3 selected" in integration.dock.selection_label.text()
    before = len(window.player.queue)
    integration.dock.queue_button.click()
    assert [t.id for t in window.player.queue.items()[before:]] == chosen
    path = tmp_path / "selection.m3u8"
    assert integration.save_selection(str(path))
    assert [str(p) for p in read_playlist(path).paths] == [tracks[n].path for n in ("c1", "c2", "c3")]

    integration.recommendations.controller.show_for([tracks["a0"]])    # the panel's results get rings
    qtbot.waitUntil(lambda: len(view._highlights.layers.get("results", [])) > 0, timeout=5000)


def test_a_map_left_open_is_drawn_again_at_the_next_start(qtbot, app_env):
    from fmaplayer.audio.null_output import NullOutput
    from fmaplayer.audio.player import Player
    from fmaplayer.ui.main_window import MainWindow

    window, integration, tracks = app_env
    _open_map(qtbot, integration, len(tracks))
    window.save_layout()
    settings, store, embedder, tmp_path = window.test_parts
    again = MainWindow(settings, store, Player(output=NullOutput(realtime=True)))
    qtbot.addWidget(again)
    again.show()
    recs = recommendations.install(again, store, settings, embedder_factory=lambda device: embedder)
    worker = SoundMapWorker(sound_map.SoundMapCache(tmp_path / "cache"), method=sound_map.PCA)
    restored = sound_map_dock.install(again, store, recs, worker=worker)
    try:
        assert not restored.dock.isHidden()
        qtbot.waitUntil(lambda: restored.view.point_count() == len(tracks), timeout=10000)
        assert "24 tracks" in restored.dock.status.text()
    finally:
        restored.shutdown()
        recs.shutdown()


def test_tracks_analysed_while_the_map_is_open_join_it(qtbot, app_env, monkeypatch):
    window, integration, tracks = app_env
    monkeypatch.setattr(sound_map_dock, "REFRESH_DELAY_MS", 0)
    integration._refresh.setInterval(0)
    _open_map(qtbot, integration, len(tracks))
    settings, store, embedder, tmp_path = window.test_parts
    # the worker thread commits the new track; the map must follow (queued to the UI thread)
    new = add_tracks(store, ["late0", "late1"], folder=str(tmp_path / "music"), suffix=".wav")
    integration.recommendations.worker.refresh()
    qtbot.waitUntil(lambda: integration.view.point_count() == len(tracks) + 2, timeout=10000)
    assert integration.view.viewport_position_of(new[0].id) is not None


def test_an_empty_library_says_the_map_fills_as_tracks_are_analysed(qtbot, tmp_path):
    from fmaplayer.audio.null_output import NullOutput
    from fmaplayer.audio.player import Player
    from fmaplayer.ui.main_window import MainWindow

    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    store = make_store(tmp_path / "lib.db")
    window = MainWindow(settings, store, Player(output=NullOutput(realtime=True)))
    qtbot.addWidget(window)
    window.show()
    recs = recommendations.install(window, store, settings, embedder_factory=lambda device: FakeEmbedder())
    integration = sound_map_dock.install(window, store, recs, worker=SoundMapWorker(None, sound_map.PCA))
    try:
        qtbot.waitUntil(lambda: recs.controller.index_ready, timeout=10000)
        integration.open()
        qtbot.waitUntil(lambda: "No analysed tracks yet" in integration.dock.status.text(), timeout=5000)
        assert integration.view.point_count() == 0
        assert not integration.dock.play_button.isEnabled()
    finally:
        integration.shutdown()
        recs.shutdown()


def test_the_view_menu_floats_the_map_without_widening_the_side_docks(qtbot, app_env):
    window, integration, tracks = app_env
    side = window.queue_view.width()
    integration.dock.toggleViewAction().trigger()
    assert integration.dock.isFloating()
    assert integration.dock.width() >= window.width() // 2     # a map's size, not a side dock's
    integration.dock.close()
    assert window.queue_view.width() == side                    # the library keeps its width


def _next_start(qtbot, window):
    """The app started again on the same settings and library: (window, recommendations, map)."""
    from fmaplayer.audio.null_output import NullOutput
    from fmaplayer.audio.player import Player
    from fmaplayer.ui.main_window import MainWindow

    settings, store, embedder, tmp_path = window.test_parts
    again = MainWindow(settings, store, Player(output=NullOutput(realtime=True)))
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    recs = recommendations.install(again, store, settings, embedder_factory=lambda device: embedder)
    worker = SoundMapWorker(sound_map.SoundMapCache(tmp_path / "cache"), method=sound_map.PCA)
    return again, recs, sound_map_dock.install(again, store, recs, worker=worker)


def test_a_map_never_opened_opens_at_a_maps_size_at_the_next_start(qtbot, app_env):
    window, integration, tracks = app_env
    window.save_layout()
    again, recs, restored = _next_start(qtbot, window)
    try:
        side = again.queue_view.width()
        restored.dock.toggleViewAction().trigger()
        assert restored.dock.isFloating()
        assert restored.dock.width() >= again.width() // 2 and restored.dock.height() >= again.height() // 2
        assert again.queue_view.width() == side
    finally:
        restored.shutdown()
        recs.shutdown()


def test_the_keyboard_shortcuts_dialog_lists_the_sound_maps_shortcut(qtbot, app_env):
    window, integration, tracks = app_env
    dialog = window.open_shortcuts()
    qtbot.waitExposed(dialog)
    assert dict(dialog.rows())["Sound map"] == "Ctrl+Shift+M"
    dialog.close()


def test_the_track_restored_from_the_last_session_is_ringed_as_playing(qtbot, app_env):
    window, integration, tracks = app_env
    with qtbot.waitSignal(window.player.trackChanged, timeout=5000):
        window.play_now([tracks["b2"]])
    window.session_keeper.save()
    again, recs, restored = _next_start(qtbot, window)   # the window restored b2 before the map existed
    try:
        assert again.player.current_track().id == tracks["b2"].id
        restored.open()
        qtbot.waitUntil(lambda: restored.view.point_count() == len(tracks), timeout=10000)
        assert len(restored.view._highlights.layers["playing"]) == 1
    finally:
        restored.shutdown()
        recs.shutdown()
        again.player.stop()


def test_a_click_on_the_map_plays_the_track_and_keeps_the_queue_up_next(qtbot, app_env):
    window, integration, tracks = app_env
    path = [tracks[n] for n in ("a0", "a1", "a2", "a3", "a4")]       # e.g. a sonic path
    with qtbot.waitSignal(window.player.trackChanged, timeout=5000):
        window.play_now(path)
    _open_map(qtbot, integration, len(tracks))
    view = integration.view
    _click_plays(qtbot, window, view, tracks["c5"].id)
    queue = window.player.queue
    assert [t.title for t in queue.items()] == ["a0", "c5", "a1", "a2", "a3", "a4"]
    assert queue.current_index == 1


def test_the_colour_by_choice_is_kept_at_the_next_start(qtbot, app_env):
    window, integration, tracks = app_env
    assert integration.dock.colour_by.currentText() == sound_map_dock.GENRE     # the default
    integration.dock.colour_by.setCurrentText(sound_map_dock.MOOD)
    again, recs, restored = _next_start(qtbot, window)
    try:
        assert restored.dock.colour_by.currentText() == sound_map_dock.MOOD
        with qtbot.waitSignal(restored.worker.moodsReady, timeout=10000):     # and the map is drawn by mood
            restored.open()
        qtbot.waitUntil(lambda: "not&nbsp;confident" in restored.dock.legend.text(), timeout=5000)
    finally:
        restored.shutdown()
        recs.shutdown()


def _library_share(window) -> float:
    return window.centralWidget().width() / window.width()


def test_the_map_docked_as_a_tab_beside_the_queue_leaves_the_library_its_width(qtbot, app_env):
    """Docked as a tab with "Up next", the map must not widen the side to its own size (it did: ~680 px,
    the library's titles cut, Duration and Status behind a scroll bar, the divider stuck)."""
    window, integration, tracks = app_env
    _open_map(qtbot, integration, len(tracks))
    side, library = window.queue_view.width(), window.centralWidget().width()
    assert integration.dock.minimumSizeHint().width() <= side
    integration.dock.setFloating(False)                          # a double-click on its title docks it
    side_area = window.dockWidgetArea(window.queue_view)
    qtbot.waitUntil(lambda: window.dockWidgetArea(integration.dock) == side_area)
    window.tabifyDockWidget(window.queue_view, integration.dock)
    integration.dock.raise_()
    qtbot.waitUntil(lambda: integration.view.isVisible())
    assert abs(window.centralWidget().width() - library) <= 8, (window.centralWidget().width(), library)
    # the divider moves both ways: the side can be made narrower than the map's natural width again
    window.resizeDocks([integration.dock], [side - 20], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: integration.dock.width() <= side - 10)


def test_a_side_saved_too_wide_gives_the_library_its_width_back_at_the_next_start(
        qtbot, app_env, monkeypatch):
    from fmaplayer.ui import main_window

    window, integration, tracks = app_env
    monkeypatch.setattr(main_window, "MAX_SIDE_SHARE", 1.0)       # as an earlier version left it: no guard
    _open_map(qtbot, integration, len(tracks))
    integration.dock.setFloating(False)
    window.tabifyDockWidget(window.queue_view, integration.dock)
    window.resizeDocks([window.queue_view], [int(window.width() * 0.6)], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: _library_share(window) < 0.45)
    window.save_layout()
    monkeypatch.setattr(main_window, "MAX_SIDE_SHARE", 0.45)
    again, recs, restored = _next_start(qtbot, window)
    try:
        assert again.dockWidgetArea(restored.dock) == again.dockWidgetArea(again.queue_view)
        qtbot.waitUntil(lambda: _library_share(again) > 0.6, timeout=5000)
    finally:
        restored.shutdown()
        recs.shutdown()


def test_a_fitted_map_refits_when_resized_even_after_a_click_that_trembled(qtbot, view):
    target = view.viewport_position_of(3)
    left = Qt.MouseButton.LeftButton
    send_mouse(view, QEvent.Type.MouseButtonPress, target, left, left)
    send_mouse(view, QEvent.Type.MouseMove, target + QPoint(1, 1), buttons=Qt.MouseButton.LeftButton)
    send_mouse(view, QEvent.Type.MouseButtonRelease, target + QPoint(1, 1), Qt.MouseButton.LeftButton)
    view.resize(250, 600)                                          # the dock made narrow and tall
    qtbot.waitUntil(lambda: view.viewport().width() < 260)
    for track_id in COORDS:                                        # every point still on screen
        assert view.viewport().rect().contains(view.viewport_position_of(track_id)), track_id


def test_the_panels_anchor_is_marked_and_a_sonic_path_is_drawn_through_its_steps(qtbot, app_env):
    window, integration, tracks = app_env
    _open_map(qtbot, integration, len(tracks))
    view, recs = integration.view, integration.recommendations
    recs.controller.show_for([tracks["a0"]])
    qtbot.waitUntil(lambda: len(view.marked("results")) > 0, timeout=5000)
    assert view.marked("anchor") == [tracks["a0"].id]
    assert tracks["a0"].id not in view.marked("results")       # a diamond, not also a ring
    assert view.marked("path") == [] and "sonic path" not in integration.dock.legend.text()

    path = recs.sonic_path.path_between(tracks["a0"], tracks["c5"], 5)
    assert len(path) >= 3
    assert view.marked("path") == [t.id for t in path]         # in the path's order, start first
    assert view.marked("anchor") == [tracks["a0"].id]
    assert len(view._highlights.layers["path"]) == len(path)
    assert "alt='sonic path'" in integration.dock.legend.text()

    recs.controller.show_for([tracks["b1"]])                   # another request: no path any more
    qtbot.waitUntil(lambda: view.marked("anchor") == [tracks["b1"].id], timeout=5000)
    qtbot.waitUntil(lambda: len(view.marked("results")) > 0, timeout=5000)
    assert view.marked("path") == [] and "sonic path" not in integration.dock.legend.text()
