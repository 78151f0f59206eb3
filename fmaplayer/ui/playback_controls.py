"""Playback actions shared by the player bar, the Playback menu and the keyboard: shuffle, repeat, mute,
seek and volume steps; and a slider that jumps to where it is clicked.

The player owns shuffle, repeat, volume and mute (its play order decides what comes next); these actions
only show its state and send the user's wishes to it. Shuffle and repeat are settings: what the player
says is written back, so they come back on the next start.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QPoint, QRect, Qt, Slot
from PySide6.QtGui import QAction, QActionGroup, QColor, QFont, QIcon, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import QSlider, QStyle, QStyleOptionSlider, QWidget

from fmaplayer.settings import Settings

SEEK_STEP_S = 5.0
VOLUME_STEP = 0.05
REPEAT_TEXT = {"off": "Repeat off", "all": "Repeat all", "one": "Repeat this track"}
SHUFFLE_TIP = "play the queue in a random order (Previous goes back)"
# A checked toggle (shuffle, repeat, continue) is filled with the highlight colour, not only framed.
CHECKED_STYLE = ("QToolButton:checked { background-color: palette(highlight); border-radius: 4px;"
                 " color: palette(highlighted-text); border: 1px solid palette(highlight); }")
_NEXT_REPEAT = {"off": "all", "all": "one", "one": "off"}


def glyph_icon(theme_name: str, glyph: str, color: QColor | None = None, size: int = 22,
               on_color: QColor | None = None) -> QIcon:
    """The desktop theme's icon, else a glyph drawn in the text colour (themes without media icons);
    `on_color`: the glyph's colour when a checkable button shows it checked (on its highlight)."""
    icon = QIcon.fromTheme(theme_name)
    if not icon.isNull():
        return icon
    icon = QIcon()
    for state, colour in ((QIcon.State.Off, color), (QIcon.State.On, on_color or color)):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        font = QFont()
        font.setPixelSize(int(size * 0.8))
        painter.setFont(font)
        painter.setPen(colour if colour is not None else QColor("#404040"))
        painter.drawText(QRect(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, glyph)
        painter.end()
        icon.addPixmap(pixmap, QIcon.Mode.Normal, state)
    return icon


class JumpSlider(QSlider):
    """A slider that goes to the clicked point (instead of paging) and can be dragged from there."""

    def value_at(self, point: QPoint) -> int:
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        style = self.style()
        groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                      QStyle.SubControl.SC_SliderGroove, self)
        handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                      QStyle.SubControl.SC_SliderHandle, self)
        if self.orientation() == Qt.Orientation.Horizontal:
            span = max(1, groove.width() - handle.width())
            offset = point.x() - groove.x() - handle.width() // 2
        else:
            span = max(1, groove.height() - handle.height())
            offset = point.y() - groove.y() - handle.height() // 2
        return QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), max(0, min(offset, span)), span,
                                              option.upsideDown)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self.maximum() > self.minimum():
            # Move the handle under the pointer first; the base class then starts a drag of it, so a
            # click seeks on release and a click-and-drag scrubs, both through sliderReleased.
            self.setSliderPosition(self.value_at(event.position().toPoint()))
        super().mousePressEvent(event)


class PlaybackControls(QObject):
    """The actions; add them to a widget of the window (the player bar does) so the shortcuts work."""

    def __init__(self, player: Any, settings: Settings, parent: QWidget) -> None:
        super().__init__(parent)
        self._player = player
        self._settings = settings
        style = parent.style()
        pixmap = QStyle.StandardPixmap
        text_color = parent.palette().windowText().color()
        on_color = parent.palette().highlightedText().color()   # a checked button is filled with highlight

        shuffle_icon = glyph_icon("media-playlist-shuffle", "⇄", text_color, on_color=on_color)
        self.shuffle_action = QAction(shuffle_icon, "&Shuffle", parent)
        self.shuffle_action.setObjectName("shuffleAction")
        self.shuffle_action.setCheckable(True)
        self.shuffle_action.setToolTip(f"Shuffle off: {SHUFFLE_TIP}")
        self.shuffle_action.toggled.connect(self._on_shuffle_toggled)

        self._repeat_icons = {
            "off": glyph_icon("media-playlist-repeat", "↻", text_color, on_color=on_color),
            "all": glyph_icon("media-playlist-repeat", "↻", text_color, on_color=on_color),
            "one": glyph_icon("media-playlist-repeat-song", "↻¹", text_color, on_color=on_color),
        }
        self.repeat_action = QAction(self._repeat_icons["off"], "Repeat", parent)  # the bar's cycling button
        self.repeat_action.setObjectName("repeatAction")
        self.repeat_action.setCheckable(True)
        self.repeat_action.triggered.connect(self.cycle_repeat)
        self.repeat_group = QActionGroup(parent)
        self.repeat_mode_actions: dict[str, QAction] = {}
        for mode, text in (("off", "Repeat &off"), ("all", "Repeat &all"), ("one", "Repeat this &track")):
            action = QAction(text, parent)
            action.setCheckable(True)
            action.setData(mode)
            action.triggered.connect(lambda _checked=False, mode=mode: self.set_repeat(mode))
            self.repeat_group.addAction(action)
            self.repeat_mode_actions[mode] = action

        self._volume_icons = (style.standardIcon(pixmap.SP_MediaVolume),
                              style.standardIcon(pixmap.SP_MediaVolumeMuted))
        self.mute_action = QAction(self._volume_icons[0], "&Mute", parent)
        self.mute_action.setObjectName("muteAction")
        self.mute_action.setCheckable(True)
        self.mute_action.setShortcut(QKeySequence(Qt.Key.Key_M))
        self.mute_action.toggled.connect(self._on_mute_toggled)

        modifier, key = Qt.KeyboardModifier, Qt.Key
        self.seek_back_action = self._step_action(f"Seek &back {SEEK_STEP_S:g} s", modifier.AltModifier,
                                                  key.Key_Left, lambda: self.seek_by(-SEEK_STEP_S))
        self.seek_forward_action = self._step_action(f"Seek &forward {SEEK_STEP_S:g} s", modifier.AltModifier,
                                                     key.Key_Right, lambda: self.seek_by(SEEK_STEP_S))
        percent = round(VOLUME_STEP * 100)
        self.volume_up_action = self._step_action(f"Volume &up {percent} %", modifier.ControlModifier,
                                                  key.Key_Up, lambda: self.change_volume(VOLUME_STEP))
        self.volume_down_action = self._step_action(f"Volume &down {percent} %", modifier.ControlModifier,
                                                    key.Key_Down, lambda: self.change_volume(-VOLUME_STEP))

        for action in self.actions():
            parent.addAction(action)  # window-wide shortcuts while the bar is shown

        # The saved settings go to the player, then the player's state is shown and written back.
        if hasattr(player, "set_shuffle"):
            player.set_shuffle(settings.shuffle)
            player.set_repeat(settings.repeat)
        for signal, slot in (("shuffleChanged", self._show_shuffle), ("repeatChanged", self._show_repeat),
                             ("mutedChanged", self._show_muted)):
            if hasattr(player, signal):
                getattr(player, signal).connect(slot)
        settings.changed.connect(self._on_setting_changed)
        self._show_shuffle(self.shuffle())
        self._show_repeat(self.repeat())
        self._show_muted(self.muted())

    def _step_action(self, text: str, modifier, key, slot) -> QAction:
        action = QAction(text, self.parent())
        action.setShortcut(QKeySequence(modifier | key))
        action.setAutoRepeat(True)
        action.triggered.connect(slot)
        return action

    def actions(self) -> list[QAction]:
        return [self.shuffle_action, self.repeat_action, *self.repeat_mode_actions.values(),
                self.mute_action, self.seek_back_action, self.seek_forward_action,
                self.volume_up_action, self.volume_down_action]

    # ---- state ----------------------------------------------------------------------------------------
    def shuffle(self) -> bool:
        getter = getattr(self._player, "shuffle", None)
        return bool(getter()) if callable(getter) else False

    def repeat(self) -> str:
        getter = getattr(self._player, "repeat", None)
        return getter() if callable(getter) else "off"

    def muted(self) -> bool:
        getter = getattr(self._player, "muted", None)
        return bool(getter()) if callable(getter) else False

    # ---- commands -------------------------------------------------------------------------------------
    def set_repeat(self, mode: str) -> None:
        if hasattr(self._player, "set_repeat"):
            self._player.set_repeat(mode)

    @Slot()
    def cycle_repeat(self) -> None:
        """Off -> all -> one -> off (the bar's button)."""
        self.set_repeat(_NEXT_REPEAT.get(self.repeat(), "off"))
        self._show_repeat(self.repeat())  # a click toggled the checkable action: put it back in line

    def seek_by(self, seconds: float) -> None:
        track = self._player.current_track()
        if track is None:
            return
        self._player.seek(max(0.0, float(self._player.position()) + seconds))

    def change_volume(self, step: float) -> None:
        self._player.set_volume(min(1.0, max(0.0, round(float(self._player.volume()) + step, 2))))
        if step > 0 and self.muted():
            self._player.set_muted(False)  # turning it up means "I want to hear it"

    # ---- player/settings -> actions ---------------------------------------------------------------------
    def _on_shuffle_toggled(self, checked: bool) -> None:
        if hasattr(self._player, "set_shuffle") and checked != self.shuffle():
            self._player.set_shuffle(checked)

    def _on_mute_toggled(self, checked: bool) -> None:
        if hasattr(self._player, "set_muted") and checked != self.muted():
            self._player.set_muted(checked)

    @Slot(bool)
    def _show_shuffle(self, enabled: bool) -> None:
        self.shuffle_action.setChecked(enabled)
        self.shuffle_action.setToolTip(f"Shuffle {'on' if enabled else 'off'}: {SHUFFLE_TIP}")
        if self._settings.shuffle != enabled:
            self._settings.shuffle = enabled

    @Slot(str)
    def _show_repeat(self, mode: str) -> None:
        self.repeat_action.setChecked(mode != "off")
        self.repeat_action.setIcon(self._repeat_icons.get(mode, self._repeat_icons["off"]))
        self.repeat_action.setText(REPEAT_TEXT.get(mode, "Repeat"))
        self.repeat_action.setToolTip(f"{REPEAT_TEXT.get(mode, 'Repeat')} (click: off → all → this track)")
        if mode in self.repeat_mode_actions:
            self.repeat_mode_actions[mode].setChecked(True)
        if self._settings.repeat != mode:
            self._settings.repeat = mode

    @Slot(bool)
    def _show_muted(self, muted: bool) -> None:
        self.mute_action.setChecked(muted)
        self.mute_action.setIcon(self._volume_icons[1 if muted else 0])
        self.mute_action.setToolTip("Unmute (M)" if muted else "Mute (M)")

    @Slot(str)
    def _on_setting_changed(self, key: str) -> None:
        if key == "shuffle" and hasattr(self._player, "set_shuffle"):
            self._player.set_shuffle(self._settings.shuffle)
        elif key == "repeat" and hasattr(self._player, "set_repeat"):
            self._player.set_repeat(self._settings.repeat)

    def populate_menu(self, menu) -> None:
        """Append shuffle, the repeat modes, seek, volume and mute to the Playback menu."""
        menu.addSeparator()
        menu.addAction(self.shuffle_action)
        repeat_menu = menu.addMenu("&Repeat")
        repeat_menu.setObjectName("repeatMenu")
        repeat_menu.addActions(list(self.repeat_mode_actions.values()))
        menu.addSeparator()
        menu.addActions([self.seek_back_action, self.seek_forward_action])
        menu.addSeparator()
        menu.addActions([self.volume_up_action, self.volume_down_action, self.mute_action])

    def shortcut_actions(self) -> list[QAction]:
        return [self.seek_back_action, self.seek_forward_action, self.volume_up_action,
                self.volume_down_action, self.mute_action]
