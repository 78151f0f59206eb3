"""Settings, geometry, dock and column layout survive a restart of the window."""

from __future__ import annotations

from PySide6.QtCore import Qt

from fmaplayer.ui.track_table_model import Column


def test_settings_changed_in_the_dialog_persist_across_a_restart(make_window, make_settings):
    window = make_window()
    dialog = window.open_settings()
    dialog.count_spin.setValue(33)
    dialog.ranking_combo.setCurrentIndex(dialog.ranking_combo.findData("similarity_genre"))
    dialog.accept()
    window.close()

    restarted = make_window(settings=make_settings())
    assert restarted.settings.recommendations_count == 33
    assert restarted.settings.ranking_mode == "similarity_genre"
    assert restarted.open_settings().count_spin.value() == 33


def test_geometry_docks_and_header_are_restored(make_window, make_settings, qtbot):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    window.resize(760, 520)  # the offscreen screen is 800 x 600
    header = window.library_view.table.horizontalHeader()
    header.resizeSection(Column.ARTIST, 233)
    header.setSectionHidden(Column.STATUS, True)
    header.moveSection(header.visualIndex(Column.ALBUM), 0)
    header.setSortIndicator(Column.YEAR, Qt.SortOrder.DescendingOrder)
    window.queue_view.hide()
    window.close()

    restarted = make_window(settings=make_settings())
    restarted.show()
    qtbot.waitExposed(restarted)
    restored = restarted.library_view.table.horizontalHeader()
    assert restarted.size().width() == 760 and restarted.size().height() == 520
    assert restored.sectionSize(Column.ARTIST) == 233
    assert restored.isSectionHidden(Column.STATUS)
    assert restored.visualIndex(Column.ALBUM) == 0
    assert restored.sortIndicatorSection() == Column.YEAR
    years = [t.year or 0 for t in restarted.track_table_model.visible_tracks()]
    assert years == sorted(years, reverse=True)  # the first load is already sorted that way
    assert not restarted.queue_view.isVisible()


def test_a_dock_added_later_gets_its_saved_place(make_window, make_settings, qtbot):
    from PySide6.QtWidgets import QDockWidget

    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    dock = QDockWidget("Relevant songs")
    dock.setObjectName("relevantDock")
    window.add_dock(dock)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    window.close()

    restarted = make_window(settings=make_settings())
    later = QDockWidget("Relevant songs")
    later.setObjectName("relevantDock")
    restarted.add_dock(later)
    assert restarted.dockWidgetArea(later) == Qt.DockWidgetArea.LeftDockWidgetArea
