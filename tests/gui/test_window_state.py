"""The main window's state across a second launch and a restart: maximised stays maximised."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt

from fmaplayer.ui import window_fit
from fmaplayer.ui.single_instance import SingleInstance, connect_window, server_name


def test_a_second_launch_brings_a_minimised_maximised_window_back_maximised(qtbot, make_window, tmp_path):
    window = make_window()
    window.showMaximized()
    qtbot.waitUntil(window.isMaximized)
    window.showMinimized()
    qtbot.waitUntil(window.isMinimized)
    first = SingleInstance(server_name(tmp_path / "library.db"))
    assert first.listen()
    connect_window(first, window)
    try:
        with qtbot.waitSignal(first.activated, timeout=5000):
            assert SingleInstance(first.name).hand_over([])
        qtbot.waitUntil(lambda: not window.isMinimized())
        assert window.isMaximized() and window.isVisible()     # not 1200x728 at its normal geometry
    finally:
        first.close()


def test_bring_to_front_keeps_a_normal_window_normal_and_a_full_screen_one_full_screen(qtbot, make_window):
    window = make_window()
    window.show()
    window.showMinimized()
    qtbot.waitUntil(window.isMinimized)
    window.bring_to_front()
    qtbot.waitUntil(lambda: not window.isMinimized())
    assert not window.isMaximized() and not window.isFullScreen()
    window.showFullScreen()
    qtbot.waitUntil(window.isFullScreen)
    window.showMinimized()
    qtbot.waitUntil(window.isMinimized)
    window.bring_to_front()
    qtbot.waitUntil(lambda: not window.isMinimized())
    assert window.isFullScreen()


def test_a_window_restored_maximised_keeps_the_normal_geometry_it_returns_to(qtbot, make_window, monkeypatch):
    """Moving a maximised window before it is shown sets its normal geometry as the client area's position:
    un-maximised, its title bar was above the screen."""
    window = make_window()
    monkeypatch.setattr(window_fit, "available_geometry", lambda w: QRect(0, 0, 1366, 768))
    window.setGeometry(QRect(85, 25, 1200, 728))
    window.setWindowState(Qt.WindowState.WindowMaximized)
    assert window_fit.fit_to_screen(window) is False
    assert window.normalGeometry().topLeft().y() == 25 or window.geometry().topLeft().y() == 25
    window.setWindowState(Qt.WindowState.WindowNoState)
    assert window_fit.fit_to_screen(window) is True               # a normal window is still fitted
    assert window.y() == 0


def test_why_this_songs_mood_labels_are_whole_in_a_side_dock_wide_panel(qtbot):
    """At the panel's default width (~265 px) the labels were cut to a third ("happy/excit…")."""
    from fmaplayer.ui.why_view import ProfileBars

    bars = ProfileBars("Mood")
    qtbot.addWidget(bars)
    bars.set_rows([("calm/relaxed", 0.5, 0.6), ("happy/excited", 0.1, 0.0), ("sad/melancholic", 0.2, 0.3)])
    bars.resize(265, bars.sizeHint().height())
    label_w, column_w, text_w, bar_w = bars.columns()
    assert label_w >= bars.fontMetrics().horizontalAdvance("sad/melancholic") + 4
    assert bar_w >= bars.MIN_BAR_PX and label_w + 2 * column_w + 8 <= 265 + 1
    bars.resize(150, bars.height())                 # very narrow: labels give way, bars keep a minimum
    label_w, column_w, text_w, bar_w = bars.columns()
    assert label_w <= 150 // 3 + 1
