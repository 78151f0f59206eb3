"""The real MainWindow over fakes: filter, sort, playing, context menu, shortcuts, hooks."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QDesktopServices, QMouseEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel

from fmaplayer.ui.track_table_model import Column
from tests.gui.fakes import FakePlayer, FakeStore, make_track, sample_tracks


def visible_titles(window) -> list[str]:
    model = window.track_table_model
    return [model.data(model.index(row, Column.TITLE)) for row in range(model.rowCount())]


def select_titles(window, *titles: str) -> None:
    model = window.track_table_model
    rows = [row for row in range(model.rowCount()) if model.track_at(row).display_title in titles]
    window.library_view.select_rows(rows)


def double_click(qtbot, widget, pos: QPoint) -> None:
    """Press, release, then a real MouseButtonDblClick event (QTest.mouseDClick does not deliver the
    double-click event to widgets on Qt 6's offscreen platform)."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)
    local = QPointF(pos)
    event = QMouseEvent(QEvent.Type.MouseButtonDblClick, local, widget.mapToGlobal(local),
                        Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def context_action(window, text: str) -> QAction:
    menu = window.build_track_context_menu()
    matches = [action for action in menu.actions() if action.text() == text]
    assert matches, [action.text() for action in menu.actions()]
    return matches[0]


def test_window_shows_library_sorted_by_artist(make_window, qtbot):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    assert not window.library_view.is_empty_state_shown()
    assert window.track_table_model.rowCount() == len(sample_tracks())
    artists = [t.artist.lower() for t in window.track_table_model.visible_tracks()]
    assert artists == [*sorted(a for a in artists if a), ""]  # no artist: at the end
    assert window.status.count_label.text() == "7 tracks"
    assert window.status.unreadable_button.isVisibleTo(window)


def test_typing_in_the_filter_filters_instantly(make_window, qtbot):
    window = make_window()
    qtbot.keyClicks(window.library_view.filter_edit, "massive")
    assert sorted(visible_titles(window)) == ["Angel", "Teardrop"]
    assert window.status.count_label.text() == "2 of 7 tracks"
    qtbot.keyClick(window.library_view.filter_edit, Qt.Key.Key_Escape)
    assert window.library_view.filter_edit.text() == ""
    assert window.track_table_model.rowCount() == 7


def test_show_in_folder_without_a_file_manager_says_so_in_the_status_bar(make_window, monkeypatch):
    # It did nothing visible; only the log said Qt found no launcher.
    window = make_window()
    window.folder_opener.xdg_open = None
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    select_titles(window, "So What")
    context_action(window, "Show in folder").trigger()
    assert window.status.currentMessage() == (
        "Could not show the folder /music/Miles Davis: no file manager is set up to open folders.")


def test_show_in_folder_reports_what_xdg_open_says_when_it_fails(make_window, qtbot, tmp_path):
    window = make_window()
    fake = tmp_path / "xdg-open"
    fake.write_text('#!/bin/sh\n[ "$1" = "/music/Miles Davis" ] && exit 3\nexit 0\n', encoding="utf-8")
    fake.chmod(0o755)
    window.folder_opener.xdg_open = str(fake)
    select_titles(window, "So What")
    context_action(window, "Show in folder").trigger()
    qtbot.waitUntil(lambda: window.folder_opener.pending() == 0, timeout=10_000)
    assert window.status.currentMessage() == (
        "Could not show the folder /music/Miles Davis: no file manager is set up to open folders "
        "(xdg-open found no program for them).")
    window.status.clearMessage()
    select_titles(window, "Angel")                              # another folder: xdg-open opens it
    context_action(window, "Show in folder").trigger()
    qtbot.waitUntil(lambda: window.folder_opener.pending() == 0, timeout=10_000)
    assert window.status.currentMessage() == ""


def test_clicking_a_header_sorts(make_window, qtbot):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    header = window.library_view.table.horizontalHeader()
    position = QPoint(header.sectionViewportPosition(Column.YEAR) + 10, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=position)
    first = [t.year for t in window.track_table_model.visible_tracks() if t.year]
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=position)
    second = [t.year for t in window.track_table_model.visible_tracks() if t.year]
    assert first == sorted(first) and second == sorted(second, reverse=True)
    assert window.track_table_model.visible_tracks()[-1].year is None  # missing years stay last
    assert header.sortIndicatorSection() == Column.YEAR


def test_a_click_on_title_sorts_numbers_by_value_as_file_managers_do(make_window, qtbot):
    names = ["track10", "Track2", "track1", "track20", "track3", "Intro", "2 Become 1", "10 Years"]
    store = FakeStore([make_track(i + 1, name, "Someone") for i, name in enumerate(names)])
    window = make_window(store=store)
    window.show()
    qtbot.waitExposed(window)
    header = window.library_view.table.horizontalHeader()
    position = QPoint(header.sectionViewportPosition(Column.TITLE) + 10, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=position)
    if header.sortIndicatorOrder() != Qt.SortOrder.AscendingOrder:
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=position)
    assert visible_titles(window) == ["2 Become 1", "10 Years", "Intro", "track1", "Track2", "track3",
                                      "track10", "track20"]
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=position)
    assert visible_titles(window)[:3] == ["track20", "track10", "track3"]


def test_double_click_plays_visible_rows_from_there(make_window, player, qtbot):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    qtbot.keyClicks(window.library_view.filter_edit, "jazz")
    table = window.library_view.table
    model = window.track_table_model
    rect = table.visualRect(model.index(1, Column.TITLE))
    double_click(qtbot, table.viewport(), rect.center())
    name, tracks, start = player.calls[-1]
    assert name == "play_tracks" and start == 0
    assert tracks == model.visible_tracks(1)
    assert window.windowTitle().startswith(tracks[0].display_title)
    assert window.player_bar.title_label.full_text() == tracks[0].display_title
    row = model.row_of_track(tracks[0].id)
    assert model.data(model.index(row, 0), Qt.ItemDataRole.FontRole).bold()


def test_unreadable_track_is_not_played(make_window, player):
    window = make_window()
    row = window.track_table_model.row_of_track(7)
    window.play_from_row(row)
    assert player.calls == []
    assert "not an audio file" in window.status.currentMessage()
    window.play_from_row(window.track_table_model.row_of_track(1))
    assert all(track.error is None for track in player.calls[-1][1])


def test_context_menu_actions(make_window, player, monkeypatch):
    window = make_window()
    opened = []
    window.folder_opener.xdg_open = None          # Qt's own launcher (the tests' machine may have xdg-open)
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    player.play_tracks(sample_tracks()[:1])
    select_titles(window, "Angel", "Teardrop")
    assert [t.display_title for t in window.selected_tracks()] == ["Angel", "Teardrop"]

    context_action(window, "Add to queue").trigger()
    assert [t.title for t in player.queue.items()] == ["Blue Train", "Angel", "Teardrop"]
    select_titles(window, "So What")
    context_action(window, "Play next").trigger()
    assert [t.title for t in player.queue.items()] == ["Blue Train", "So What", "Angel", "Teardrop"]
    context_action(window, "Show in folder").trigger()
    assert opened == ["/music/Miles Davis"]
    context_action(window, "Play").trigger()
    assert player.calls[-1][0] == "play_tracks" and [t.title for t in player.calls[-1][1]] == ["So What"]
    assert window.queue_view.count() == 1


def test_context_actions_are_disabled_without_selection(make_window):
    window = make_window()
    assert not context_action(window, "Play").isEnabled()
    select_titles(window, "notes")  # unreadable: can be shown in its folder, not played
    assert not context_action(window, "Play").isEnabled()
    assert context_action(window, "Show in folder").isEnabled()


def test_extension_hooks(make_window, qtbot):
    window = make_window()
    received = []
    action = window.add_track_context_action("Get relevant songs", received.append)
    select_titles(window, "Angel")
    context_action(window, "Get relevant songs").trigger()
    assert action.isEnabled()
    assert [[t.title for t in tracks] for tracks in received] == [["Angel"]]

    dock = QDockWidget("Relevant songs")
    dock.setObjectName("relevantDock")
    window.add_dock(dock)
    assert dock.toggleViewAction() in window.view_menu.actions()
    label = QLabel("Analysing 3 / 10")
    window.status_area_add(label)
    assert label.parent() is not None and window.statusBar().isAncestorOf(label)

    window.track_table_model.set_predicted_genres({5: "Electronic"})
    row = window.track_table_model.row_of_track(5)
    assert window.track_table_model.index(row, Column.PREDICTED_GENRE).data() == "Electronic"


def test_shortcuts(make_window, player, qtbot):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow())
    table = window.library_view.table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Space)
    qtbot.keyClick(table, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(table, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert player.call_names() == ["toggle", "next", "previous"]
    qtbot.keyClick(table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.library_view.filter_edit.hasFocus()
    qtbot.keyClicks(window.library_view.filter_edit, "so what")  # Space types into the filter here
    assert player.call_names() == ["toggle", "next", "previous"]
    assert visible_titles(window) == ["So What"]
    qtbot.keyClick(window.library_view.filter_edit, Qt.Key.Key_Return)  # Enter moves to the results
    assert table.hasFocus() and window.selected_tracks()[0].title == "So What"
    qtbot.keyClick(table, Qt.Key.Key_Return)  # and Enter there plays
    assert player.calls[-1][0] == "play_tracks"


def test_player_bar_follows_player_and_drives_it(make_window, player, qtbot):
    window = make_window()
    bar = window.player_bar
    assert bar.title_label.full_text() == "Nothing playing"
    player.durationChanged.emit(200.0)
    player.positionChanged.emit(65.0)
    assert bar.elapsed_label.text() == "1:05" and bar.total_label.text() == "3:20"
    bar.seek_slider.setSliderPosition(1000)
    bar.seek_slider.triggerAction(bar.seek_slider.SliderAction.SliderPageStepAdd)
    assert player.calls[-1][0] == "seek"
    bar.volume_slider.setValue(40)
    assert player.volume() == 0.4
    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.next_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.previous_button, Qt.MouseButton.LeftButton)
    assert player.call_names()[-3:] == ["toggle", "next", "previous"]


def test_continue_with_similar_toggle_is_bound_to_settings(make_window, make_settings):
    settings = make_settings()
    window = make_window(settings=settings)
    button = window.player_bar.continue_button
    assert button.isCheckable() and not button.isChecked()
    button.click()
    assert settings.continue_with_similar is True
    assert make_settings().continue_with_similar is True
    settings.continue_with_similar = False
    assert not button.isChecked()


def test_no_audio_output_is_said_once(make_window):
    window = make_window(player=FakePlayer(output_unavailable_reason="PortAudio library not found"))
    assert window.status.notice_label.text() == "No audio output: PortAudio library not found"
    assert window.status.notice.isVisibleTo(window)
    assert not window.status.show_notice_once("No audio output: PortAudio library not found")


def test_unreadable_files_view(make_window):
    window = make_window()
    window.status.unreadable_button.click()
    assert window.unreadable_only_action.isChecked()
    assert visible_titles(window) == ["notes"]
    model = window.track_table_model
    assert model.index(0, Column.STATUS).data() == "not an audio file (text data)"
    assert "not an audio file" in model.index(0, Column.TITLE).data(Qt.ItemDataRole.ToolTipRole)
    window.unreadable_only_action.trigger()
    assert model.rowCount() == 7


def test_selection_survives_a_filter_change(make_window, qtbot):
    window = make_window()
    select_titles(window, "Angel")
    qtbot.keyClicks(window.library_view.filter_edit, "mass")
    assert [t.title for t in window.selected_tracks()] == ["Angel"]


def test_about_dialog_reads_the_manifest(make_window, tmp_path):
    window = make_window()
    dialog = window.open_about()
    assert dialog.model_label.text() == "model not found"
    dialog.close()
    manifest = tmp_path / "cnn_lstm.json"
    manifest.write_text('{"name": "cnn_lstm", "version": "1.0.0", "architecture": "cnn_lstm",'
                        ' "metrics": {"test_accuracy": 0.61234, "top3_accuracy": 0.85}}')
    window = make_window(manifest_path=manifest)
    dialog = window.open_about()
    assert dialog.model_label.text() == "cnn_lstm 1.0.0"
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert "fmaplayer" in " ".join(texts)
    assert "61 %" in dialog.how_label.text() and "test_accuracy" not in " ".join(texts)
    dialog.close()


def test_about_says_in_words_what_the_bundled_model_is_and_how_good(make_window):
    # It listed raw metric keys ("genre p@5: 0.378", "quadrant p@10", "baselines p@10 / musly").
    window = make_window(manifest_path=Path(__file__).resolve().parents[2] / "models" / "cnn_lstm.json")
    dialog = window.open_about()
    manifest = dialog.manifest
    metrics = manifest["metrics"]
    genre = metrics.get("hybrid_test", {}).get("genre_p@10", metrics.get("genre_p@10_centred"))
    what, how = dialog.what_label.text(), dialog.how_label.text()
    assert "CNN-LSTM" in what and "32 numbers" in what and "“Get relevant songs”" in what
    assert f"on average {100 * genre:.0f} % of its 10 suggestions share the track's genre" in how
    assert f"the much larger tagger: {100 * metrics['baselines_p@10']['teacher']:.0f} %" in how
    assert f"a classic timbre model: {100 * metrics['baselines_p@10']['musly']:.0f} %" in how
    shown = " ".join(label.text() for label in dialog.findChildren(QLabel) if label is not dialog.model_label)
    for raw in ("p@", "quadrant", "musly", "_"):               # no metric keys
        assert raw not in shown, raw
    assert not re.search(r"\b0\.\d\d", shown)                 # no bare fractions
    dialog.close()


def test_queue_view_lists_and_edits_the_queue(make_window, player):
    window = make_window()
    player.play_tracks(sample_tracks()[:3], 0)
    view = window.queue_view
    assert view.count() == 3
    assert view.item_text(0) == "Blue Train — John Coltrane"
    assert view.windowTitle() == "Up next (2)"
    view.list.topLevelItem(2).setSelected(True)
    view.remove_action.trigger()
    assert [t.title for t in player.queue.items()] == ["Blue Train", "Moment's Notice"]
    view.list.itemActivated.emit(view.list.topLevelItem(1), 0)
    assert player.calls[-1] == ("play_index", 1)


def test_a_filter_that_leaves_nothing_says_so_and_offers_to_clear(make_window, qtbot):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    view = window.library_view
    qtbot.keyClicks(view.filter_edit, "pop/rock")
    assert view.is_no_matches_shown() and not view.table.isVisible()
    assert view.no_matches.message.text() == "No track matches “pop/rock”."
    assert "predicted genres of 7 tracks" in view.no_matches.hint.text()
    assert window.status.count_label.text() == "0 of 7 tracks"
    window.track_table_model.update_predicted_genres({3: "Pop/Rock"})   # analysis finds one
    assert not view.is_no_matches_shown() and visible_titles(window) == ["So What"]
    qtbot.keyClicks(view.filter_edit, "x")
    assert view.is_no_matches_shown()
    qtbot.mouseClick(view.no_matches.clear_button, Qt.MouseButton.LeftButton)
    assert view.filter_edit.text() == "" and view.table.isVisible() and not view.is_no_matches_shown()
    assert window.track_table_model.rowCount() == 7


def test_a_wider_window_widens_album_and_artist_too_not_only_the_title(make_window, qtbot):
    """Maximised, the title took every extra pixel while albums stayed cut ("A New Jour…")."""
    window = make_window()
    window.resize(1200, 760)
    window.show()
    qtbot.waitExposed(window)
    header = window.library_view.table.horizontalHeader()
    qtbot.waitUntil(lambda: header.sectionSize(Column.TITLE) >= 200)         # the first-start fit
    before = {c: header.sectionSize(c) for c in (Column.TITLE, Column.ARTIST, Column.ALBUM, Column.YEAR)}
    window.resize(1800, 900)
    qtbot.waitUntil(lambda: header.sectionSize(Column.ALBUM) > before[Column.ALBUM] * 1.3)
    assert header.sectionSize(Column.ARTIST) > before[Column.ARTIST] * 1.3
    assert header.sectionSize(Column.YEAR) == before[Column.YEAR]               # numbers keep their width
    gained = header.sectionSize(Column.TITLE) - before[Column.TITLE]
    assert 0 < gained < 600 - 100                                               # a share, not all of it
    window.resize(1200, 760)                                                    # and back again
    qtbot.waitUntil(lambda: abs(header.sectionSize(Column.ALBUM) - before[Column.ALBUM]) <= 2)
    header.resizeSection(Column.ALBUM, 300)                                     # the user's own width ...
    window.resize(1400, 760)
    qtbot.waitUntil(lambda: header.sectionSize(Column.ALBUM) > 300)             # ... is the new reference


def test_a_long_notice_does_not_widen_the_window(make_window, qtbot):
    """'Settings could not be saved … (where)' shown before the first show made the window 1775 px wide
    on a 1366 px screen; the label now takes the room there is and keeps the whole text in its tooltip."""
    window = make_window()
    text = "Settings could not be saved to /home/someone/.config/fmaplayer/fmaplayer.conf: " + "x" * 300
    window.status.show_notice_once(text)
    window.show()
    qtbot.waitExposed(window)
    assert window.width() <= 1200 and window.minimumSizeHint().width() < 1000
    assert text in window.status.notice.toolTip()
