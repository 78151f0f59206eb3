"""Shuffle / repeat toggles, click-to-seek, mute, shortcuts and their dialog: real widgets, real signals."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from tests.gui.fakes import make_track


def _shown(make_window, qtbot, **overrides):
    window = make_window(**overrides)
    window.show()
    qtbot.waitExposed(window)
    return window


def _active(window, qtbot):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.library_view.table.setFocus()
    return window.library_view.table


def test_shuffle_button_drives_the_player_and_is_persisted(make_window, make_settings, player, qtbot):
    settings = make_settings()
    window = _shown(make_window, qtbot, settings=settings)
    bar = window.player_bar
    with qtbot.waitSignal(player.shuffleChanged, check_params_cb=lambda on: on is True):
        qtbot.mouseClick(bar.shuffle_button, Qt.MouseButton.LeftButton)
    assert player.shuffle() and bar.shuffle_button.isChecked()
    assert window.playback_controls.shuffle_action.isChecked()  # the Playback menu's entry follows
    assert make_settings().shuffle is True

    from tests.gui.fakes import FakePlayer

    restarted_player = FakePlayer()
    restarted = make_window(settings=make_settings(), player=restarted_player)
    assert restarted_player.shuffle() is True and restarted.player_bar.shuffle_button.isChecked()


def _highlight_share(button) -> float:
    """The share of the button's pixels in the palette's highlight colour."""
    image = button.grab().toImage()
    highlight = button.palette().highlight().color()
    near = sum(1 for x in range(image.width()) for y in range(image.height())
               if sum(abs(a - b) for a, b in zip(image.pixelColor(x, y).getRgb()[:3], highlight.getRgb()[:3],
                                                 strict=True)) < 40)
    return near / max(1, image.width() * image.height())


def test_shuffle_and_repeat_look_clearly_on_when_on(make_window, qtbot):
    # The on-state was only a faint frame around the icon.
    window = _shown(make_window, qtbot)
    bar = window.player_bar
    for button in (bar.shuffle_button, bar.repeat_button, bar.continue_button):
        assert _highlight_share(button) < 0.05, button.objectName()
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert button.isChecked()
        qtbot.waitUntil(lambda b=button: _highlight_share(b) > 0.4)     # filled with the highlight colour
    assert bar.shuffle_button.toolTip().startswith("Shuffle on")
    assert bar.repeat_button.toolTip().startswith("Repeat all")
    qtbot.mouseClick(bar.shuffle_button, Qt.MouseButton.LeftButton)
    assert bar.shuffle_button.toolTip().startswith("Shuffle off")
    assert _highlight_share(bar.shuffle_button) < 0.05


def test_repeat_button_cycles_and_the_menu_follows(make_window, make_settings, player, qtbot):
    window = _shown(make_window, qtbot)
    button = window.player_bar.repeat_button
    modes = window.playback_controls.repeat_mode_actions
    seen = []
    for _ in range(3):
        with qtbot.waitSignal(player.repeatChanged):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        seen.append((player.repeat(), button.isChecked(), [m for m, a in modes.items() if a.isChecked()]))
    assert seen == [("all", True, ["all"]), ("one", True, ["one"]), ("off", False, ["off"])]
    modes["one"].trigger()  # Playback → Repeat → Repeat this track
    assert player.repeat() == "one" and button.isChecked() and "this track" in button.toolTip()
    assert make_settings().repeat == "one"


def test_playback_menu_lists_the_new_entries(make_window):
    window = make_window()
    playback = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Playback")
    texts = [a.text() for a in playback.actions()]
    assert "&Shuffle" in texts and "&Repeat" in texts and "&Mute" in texts
    assert any(text.startswith("Seek &forward") for text in texts)


def _slider_point(slider, fraction):
    return QPoint(round(slider.width() * fraction), slider.height() // 2)


def test_a_click_on_the_seek_bar_goes_there(make_window, player, qtbot):
    window = _shown(make_window, qtbot)
    player.play_tracks([make_track(1, "A", duration=200.0)])
    player.durationChanged.emit(200.0)
    slider = window.player_bar.seek_slider
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=_slider_point(slider, 0.75))
    seeks = [call[1] for call in player.calls if call[0] == "seek"]
    assert len(seeks) == 1  # one seek, to the click, not a ~10 s page step
    assert seeks[0] == pytest.approx(150.0, abs=12.0)
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=_slider_point(slider, 0.1))
    assert player.calls[-1][0] == "seek" and player.calls[-1][1] == pytest.approx(20.0, abs=12.0)


def test_a_click_on_the_volume_slider_sets_that_volume(make_window, player, qtbot):
    window = _shown(make_window, qtbot)
    slider = window.player_bar.volume_slider
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=_slider_point(slider, 0.3))
    assert player.volume() == pytest.approx(0.3, abs=0.15)
    assert slider.value() == round(player.volume() * 100)


def test_the_speaker_icon_mutes(make_window, player, qtbot):
    window = _shown(make_window, qtbot)
    button = window.player_bar.mute_button
    with qtbot.waitSignal(player.mutedChanged, check_params_cb=lambda muted: muted is True):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.isChecked() and button.toolTip() == "Unmute (M)"
    assert player.volume() == 1.0  # mute keeps the volume for unmute
    player.set_muted(False)  # muted elsewhere (MPRIS, a shortcut): the icon follows
    assert not button.isChecked() and button.toolTip() == "Mute (M)"


def test_seek_volume_and_mute_shortcuts(make_window, player, qtbot):
    window = _shown(make_window, qtbot)
    table = _active(window, qtbot)
    player.play_tracks([make_track(1, "A")])
    player.seek(60.0)
    qtbot.keyClick(table, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert player.calls[-1] == ("seek", 65.0)
    qtbot.keyClick(table, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(table, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert player.calls[-1] == ("seek", 55.0)
    player.set_volume(0.5)
    qtbot.keyClick(table, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert player.volume() == pytest.approx(0.45)
    qtbot.keyClick(table, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(table, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert player.volume() == pytest.approx(0.55)
    assert window.player_bar.volume_slider.value() == 55
    qtbot.keyClick(table, Qt.Key.Key_M)
    assert player.muted()
    qtbot.keyClick(table, Qt.Key.Key_M)
    assert not player.muted()
    filter_edit = window.library_view.filter_edit
    filter_edit.setFocus()
    qtbot.keyClicks(filter_edit, "m")  # typing in the filter is not a shortcut
    assert filter_edit.text() == "m" and not player.muted()


def test_keyboard_shortcuts_dialog_lists_the_shortcuts(make_window, qtbot):
    window = _shown(make_window, qtbot)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert "&Keyboard shortcuts" in [a.text() for a in help_menu.actions()]
    dialog = window.open_shortcuts()
    qtbot.waitExposed(dialog)
    rows = dict(dialog.rows())
    assert rows["Mute"] == "M"
    assert rows["Seek forward 5 s"] == "Alt+Right" and rows["Seek back 5 s"] == "Alt+Left"
    assert rows["Volume up 5 %"] == "Ctrl+Up" and rows["Volume down 5 %"] == "Ctrl+Down"
    assert rows["Play/Pause"] == "Space" and rows["Next"] == "Ctrl+Right"
    assert rows["Remove from queue"] == "Delete"
    dialog.close()
