"""A new user's first ten minutes (issue 11): the window fits the screen, the panel leaves the library
readable at 1200x760, the panel has the library's track menu, double-click keeps a hand-built queue, and
the analysis status says what is happening."""

import pytest
from PySide6.QtCore import QRect, Qt

from fmaplayer.recommend.embedding_runner import EmbeddingRunner
from fmaplayer.ui import window_fit
from fmaplayer.ui.recommendations import ACTION_TEXT, install
from fmaplayer.ui.relevant_panel import AnalysisStatusWidget
from fmaplayer.ui.track_table_model import Column
from tests.audio_fixtures import write_tone
from tests.gui.test_relevant_panel import ANGLES, GENRES, _make_window, _vec
from tests.gui.test_relevant_panel import settings as settings  # noqa: F401 - fixture
from tests.recommend.fakes import FakeEmbedder, add_tracks, make_store


@pytest.fixture
def desktop(qtbot, tmp_path, settings):  # noqa: F811 - the imported fixture
    """The real window at its default 1200x760 on a screen with room for it (conftest), all analysed."""
    store = make_store(tmp_path / "lib.db")
    for i, name in enumerate(ANGLES):
        write_tone(tmp_path / "music" / f"{name}.wav", seconds=0.5, freq=220 + 40 * i)
    added = add_tracks(store, list(ANGLES), folder=str(tmp_path / "music"), suffix=".wav", artist="Gen")
    tracks = {t.title: t for t in added}
    embedder = FakeEmbedder(vectors={k: _vec(a) for k, a in ANGLES.items()}, genres=GENRES, dim=2)
    EmbeddingRunner(store, embedder).run()
    window = _make_window(settings, store)
    qtbot.addWidget(window)
    assert (window.width(), window.height()) == (1200, 760)
    window.show()
    qtbot.waitExposed(window)
    integration = install(window, store, settings, embedder_factory=lambda device: embedder, autostart=False)
    integration.start()
    qtbot.waitUntil(lambda: integration.controller.index_ready, timeout=5000)
    yield window, integration, tracks
    integration.shutdown()
    window.player.stop()


def _open_panel(qtbot, window, integration, track):
    model = window.track_table_model
    window.library_view.select_rows([model.row_of_track(track.id)])
    next(a for a in window.build_track_context_menu().actions() if a.text() == ACTION_TEXT).trigger()
    panel = integration.panel
    qtbot.waitUntil(lambda: panel.isVisible() and panel.model.rowCount() > 0, timeout=5000)
    return panel


def test_panel_open_at_1200x760_keeps_the_title_column_readable(qtbot, desktop):
    window, integration, tracks = desktop
    table = window.library_view.table
    header = table.horizontalHeader()
    qtbot.waitUntil(lambda: header.sectionSize(Column.TITLE) >= 200, timeout=5000)  # first-start fit
    panel = _open_panel(qtbot, window, integration, tracks["anchor"])
    qtbot.waitUntil(lambda: not panel.visibleRegion().isEmpty(), timeout=5000)
    assert window.queue_view in window.tabifiedDockWidgets(panel)   # one dock, two tabs
    assert header.sectionSize(Column.TITLE) >= 200
    assert sum(header.sectionSize(c) for c in range(header.count()) if not header.isSectionHidden(c)) \
        <= table.viewport().width() + 2                               # no column pushed out of sight
    assert header.sectionSize(Column.PREDICTED_GENRE) >= table.header_width(Column.PREDICTED_GENRE)
    assert panel.width() <= 360 and panel.table.columnWidth(1) >= 60  # the panel's titles still show


def test_panel_context_menu_has_the_library_actions(qtbot, desktop):
    window, integration, tracks = desktop
    panel = _open_panel(qtbot, window, integration, tracks["anchor"])
    library_texts = [a.text() for a in window.build_track_context_menu().actions()]
    position = panel.table.visualRect(panel.model.index(1, 1)).center()
    panel.table.customContextMenuRequested.emit(position)
    menu = panel.context_menu
    assert menu is not None and [a.text() for a in menu.actions()] == library_texts
    assert {"Play", "Play next", "Add to queue", "Show in folder", ACTION_TEXT} <= set(library_texts)
    second = panel.model.rows()[1].track
    menu.close()
    player = window.player
    next(a for a in menu.actions() if a.text() == "Add to queue").trigger()
    assert [t.id for t in player.queue.items()] == [second.id]
    with qtbot.waitSignal(panel.model.modelReset, timeout=5000):
        next(a for a in menu.actions() if a.text() == ACTION_TEXT).trigger()   # relevant to this result
    assert [t.id for t in panel.anchors()] == [second.id]


def test_panel_gives_untagged_results_the_artist_column_width(qtbot):
    from fmaplayer.library.track import Track
    from fmaplayer.ui.relevant_panel import RelevantPanel, RelevantRow

    panel = RelevantPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show()
    qtbot.waitExposed(panel)
    untagged = [RelevantRow(Track(id=i, path=f"/m/jazz.000{i}.wav"), 0.9, "Jazz") for i in range(3)]
    request = panel.begin_request([untagged[0].track])
    panel.show_results(request, untagged)
    assert panel.table.isColumnHidden(2)
    tagged = [RelevantRow(Track(id=5, path="/m/a.wav", title="A New Journey", artist="Miles"), 0.9, "Jazz")]
    panel.show_results(panel.begin_request([tagged[0].track]), tagged)
    assert not panel.table.isColumnHidden(2)
    assert panel.model.data(panel.model.index(0, 1)) == "A New Journey"


def test_a_narrow_panel_gives_the_titles_the_artist_columns_width(qtbot):
    """Sharing the side with the queue (~280 px), two elided columns showed neither ("A New Jo…", "Mil…")."""
    from fmaplayer.library.track import Track
    from fmaplayer.ui.relevant_panel import RelevantPanel, RelevantRow

    panel = RelevantPanel()
    qtbot.addWidget(panel)
    panel.resize(280, 500)
    panel.show()
    qtbot.waitExposed(panel)
    tagged = [RelevantRow(Track(id=5, path="/m/a.wav", title="A New Journey", artist="Miles"), 0.9, "Jazz")]
    panel.show_results(panel.begin_request([tagged[0].track]), tagged)
    assert panel.table.isColumnHidden(2)
    assert panel.model.data(panel.model.index(0, 1)) == "A New Journey — Miles"
    title_width = panel.table.columnWidth(1)
    assert title_width >= panel.table.fontMetrics().horizontalAdvance("A New Journey") + 8
    panel.resize(600, 500)                                   # room again: the Artist column is back
    qtbot.waitUntil(lambda: not panel.table.isColumnHidden(2))
    assert panel.model.data(panel.model.index(0, 1)) == "A New Journey"


def test_first_window_fits_the_available_screen(qtbot, make_window, monkeypatch):
    # 1920x1080 at 150 %: 1280x720 logical pixels, a panel of 40 px at the bottom
    monkeypatch.setattr(window_fit, "available_geometry", lambda window: QRect(0, 0, 1280, 680))
    window = make_window()
    frame = QRect(window.pos(), window.size() + window_fit._FRAME_ALLOWANCE)  # before the WM adds one
    assert QRect(0, 0, 1280, 680).contains(frame), frame
    assert window.width() > 1000  # shrunk to fit, not to a stamp


def test_double_click_keeps_a_hand_built_queue(qtbot, make_window, player):
    window = make_window()
    model = window.track_table_model
    table = window.library_view.table
    by_title = {t.title: t for t in model.visible_tracks()}
    # a double-click on an empty queue: the library from there on, as before
    table.activated.emit(model.index(model.row_of_track(by_title["Angel"].id), 0))
    assert player.calls[-1][0] == "play_tracks"
    assert len(player.queue) > 1
    # the user builds "up next" by hand: the library run is gone, three picked tracks follow
    window.player.queue.clear()
    window.play_now([by_title["So What"]])
    hand_picked = [by_title["Teardrop"], by_title["Blue Train"]]
    window.add_to_queue(hand_picked)
    before = [t.id for t in player.queue.items()]
    row = model.row_of_track(by_title["Angel"].id)
    table.activated.emit(model.index(row, 0))                      # double-click (or Enter) on Angel
    assert player.queue.current().id == by_title["Angel"].id
    assert [t.id for t in player.queue.items()] == [before[0], by_title["Angel"].id, *before[1:]]
    assert "queue is kept" in window.status.currentMessage()
    # Enter on the table does the same
    table.setFocus()
    table.setCurrentIndex(model.index(model.row_of_track(by_title["Teardrop"].id), 0))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert player.queue.current().id == by_title["Teardrop"].id
    assert [t.id for t in player.queue.items()][-2:] == [t.id for t in hand_picked]


def test_double_click_replaces_a_queue_the_app_filled(qtbot, make_window, player):
    """A queue the app filled (relevant songs, a path, "Continue with similar songs", an earlier
    double-click, entries removed from it or not) gives way to the library; one the user added to stays."""
    window = make_window()
    model = window.track_table_model
    by_title = {t.title: t for t in model.visible_tracks()}
    row = model.row_of_track(by_title["Angel"].id)
    library_run = [t.id for t in model.visible_tracks(row) if t.error is None]
    window.play_generated([by_title["So What"], by_title["Teardrop"], by_title["Blue Train"]])  # a path
    window.play_from_row(row)
    assert [t.id for t in player.queue.items()] == library_run and player.queue.current().title == "Angel"
    assert "replaced the suggested tracks" in window.status.currentMessage()
    # the queue ran out and "Continue with similar songs" added three tracks
    player.queue.clear()
    window.play_now([by_title["So What"]])
    player.queueExhausted.emit()
    player.queue.append([by_title["Teardrop"], by_title["Blue Train"], by_title["Windowlicker"]])
    player.queue.remove(2)                                     # the user drops one of them: still the app's
    window.play_from_row(row)
    assert [t.id for t in player.queue.items()] == library_run
    # an earlier library run with an entry removed is still a library run
    player.queue.remove(len(player.queue) - 1)
    window.play_from_row(model.row_of_track(by_title["Teardrop"].id))
    assert player.queue.current().title == "Teardrop"
    assert "queue is kept" not in window.status.currentMessage()
    # the user adds to the app's queue: now it is theirs, and kept
    window.add_to_queue([by_title["So What"]])
    upcoming = [t.id for t in player.queue.items()[player.queue.current_index + 1:]]
    window.play_from_row(row)
    assert player.queue.current().title == "Angel"
    assert [t.id for t in player.queue.items()[player.queue.current_index + 1:]] == upcoming
    assert "Angel now; your queue is kept" in window.status.currentMessage()


def test_analysis_status_words_match_the_state(qtbot):
    status = AnalysisStatusWidget()
    qtbot.addWidget(status)
    status.set_device("CPU")
    assert status.text() == "Analysing on CPU"
    status.set_progress(0, 0, 0.0)
    assert status.text() == "No tracks to analyse" and not status.progress_bar.isVisibleTo(status)
    status.set_progress(12, 50, 1.5)
    assert status.text() == "Analysing 12 of 50 on CPU" and status.progress_bar.isVisibleTo(status)
    status.set_paused(True)
    assert status.text() == "Analysis paused at 12 of 50"
    status.set_paused(False)
    status.set_progress(50, 50, 0.0)
    assert status.text() == "Analysed 50 tracks on CPU" and not status.pause_button.isVisibleTo(status)
    status.set_device("GPU:0 (NVIDIA H200)")
    assert status.text() == "Analysed 50 tracks on GPU"
