"""The transport bar under the library: buttons, shuffle/repeat, seek slider with times, mute and volume,
now playing. The shared actions (also in the Playback menu, with shortcuts) are `PlaybackControls`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fmaplayer.settings import Settings
from fmaplayer.ui.art_loader import show_art_in
from fmaplayer.ui.playback_controls import CHECKED_STYLE, JumpSlider, PlaybackControls
from fmaplayer.ui.text import display_text, format_duration, plain_tooltip

_SEEK_STEPS_PER_SECOND = 10
_ART_SIZE = 40


class ElidedLabel(QLabel):
    """A plain-text label that elides instead of growing the window for long titles."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._full = ""

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(plain_tooltip(text) if text else "")
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(self.width(), 40)
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width))


class PlayerBar(QFrame):
    """Controls bound to a Player (signals in, method calls out) and to one setting."""

    def __init__(self, player: Any, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playerBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._player = player
        self._settings = settings
        self._duration = 0.0
        style = self.style()
        self.controls = PlaybackControls(player, settings, self)
        self.shuffle_button = self._action_button(self.controls.shuffle_action, "shuffleButton")
        self.repeat_button = self._action_button(self.controls.repeat_action, "repeatButton")
        for button in (self.shuffle_button, self.repeat_button):
            button.setStyleSheet(CHECKED_STYLE)

        pixmap = QStyle.StandardPixmap
        self.previous_button = self._tool_button(style.standardIcon(pixmap.SP_MediaSkipBackward),
                                                 "Previous (Ctrl+Left)")
        self.play_button = self._tool_button(style.standardIcon(pixmap.SP_MediaPlay), "Play (Space)")
        self.play_button.setIconSize(QSize(28, 28))
        self.next_button = self._tool_button(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward),
                                             "Next (Ctrl+Right)")
        self.previous_button.clicked.connect(player.previous)
        self.play_button.clicked.connect(player.toggle)
        self.next_button.clicked.connect(player.next)

        self.title_label = ElidedLabel()
        self.title_label.setObjectName("nowPlayingTitle")
        title_font = self.title_label.font()
        title_font.setBold(True)
        self.title_label.setFont(title_font)
        self.subtitle_label = ElidedLabel()
        self.subtitle_label.setObjectName("nowPlayingSubtitle")
        self.art_label = QLabel()
        self.art_label.setObjectName("albumArt")
        self.art_label.setFixedSize(_ART_SIZE, _ART_SIZE)
        self.art_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.art_label.hide()  # shown once a track with art plays

        self.elapsed_label = QLabel("0:00")
        self.total_label = QLabel("0:00")
        for label in (self.elapsed_label, self.total_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setMinimumWidth(self.fontMetrics().horizontalAdvance("00:00:00"))
        self.elapsed_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.seek_slider = JumpSlider(Qt.Orientation.Horizontal)
        self.seek_slider.setObjectName("seekSlider")
        self.seek_slider.setToolTip("Seek")
        self.seek_slider.setRange(0, 0)
        self.seek_slider.sliderReleased.connect(self._seek_to_slider)
        self.seek_slider.sliderMoved.connect(self._show_slider_time)
        self.seek_slider.actionTriggered.connect(self._on_slider_action)

        self.mute_button = self._action_button(self.controls.mute_action, "muteButton")
        self.mute_button.setIconSize(QSize(18, 18))
        self.volume_icon = self.mute_button  # the speaker icon is the mute button
        self.volume_slider = JumpSlider(Qt.Orientation.Horizontal)
        self.volume_slider.setObjectName("volumeSlider")
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setMinimumWidth(50)
        self.volume_slider.setMaximumWidth(110)
        self.volume_slider.setToolTip("Volume")
        self.volume_slider.setValue(round(float(player.volume()) * 100))
        self.volume_slider.valueChanged.connect(lambda value: player.set_volume(value / 100.0))
        volume_changed = getattr(player, "volumeChanged", None)
        if volume_changed is not None:  # volume set elsewhere (e.g. restored): follow it
            volume_changed.connect(self._on_volume_changed)

        self.continue_button = QToolButton()
        self.continue_button.setObjectName("continueWithSimilar")
        self.continue_button.setText("Continue with similar songs")
        self.continue_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.continue_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.continue_button.setCheckable(True)
        self.continue_button.setStyleSheet(CHECKED_STYLE)
        self.continue_button.setAutoRaise(True)
        self.set_continue_seeds([])
        self.continue_button.setChecked(settings.continue_with_similar)
        self.continue_button.toggled.connect(self._on_continue_toggled)
        settings.changed.connect(self._on_setting_changed)

        self._build_layout()
        player.stateChanged.connect(self._on_state_changed)
        player.positionChanged.connect(self._on_position_changed)
        player.durationChanged.connect(self._on_duration_changed)
        player.trackChanged.connect(self._on_track_changed)
        self._on_track_changed(player.current_track())
        self._on_state_changed(player.state())

    def _tool_button(self, icon, tooltip: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon)
        button.setIconSize(QSize(22, 22))
        button.setToolTip(tooltip)
        button.setAutoRaise(True)
        return button

    def _action_button(self, action, name: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setDefaultAction(action)
        button.setIconSize(QSize(20, 20))
        button.setAutoRaise(True)
        return button

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        for button in (self.previous_button, self.play_button, self.next_button):
            buttons.addWidget(button)
        buttons.addWidget(self.shuffle_button)
        buttons.addWidget(self.repeat_button)

        now_playing = QVBoxLayout()
        now_playing.setSpacing(0)
        now_playing.addWidget(self.title_label)
        now_playing.addWidget(self.subtitle_label)
        now_playing_widget = QWidget()
        now_playing_widget.setLayout(now_playing)
        now_playing_widget.setMinimumWidth(110)
        now_playing_widget.setMaximumWidth(340)

        seek = QHBoxLayout()
        seek.addWidget(self.elapsed_label)
        seek.addWidget(self.seek_slider, 1)
        seek.addWidget(self.total_label)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addLayout(buttons)
        layout.addSpacing(8)
        layout.addWidget(self.art_label)
        layout.addWidget(now_playing_widget, 2)
        layout.addLayout(seek, 5)
        layout.addSpacing(4)
        layout.addWidget(self.volume_icon)
        layout.addWidget(self.volume_slider, 1)
        layout.addSpacing(4)
        layout.addWidget(self.continue_button)

    # ---- player -> widgets -----------------------------------------------------------------------
    @Slot(str)
    def _on_state_changed(self, state: str) -> None:
        playing = state == "playing"
        pixmap = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(pixmap))
        self.play_button.setToolTip("Pause (Space)" if playing else "Play (Space)")

    @Slot(float)
    def _on_volume_changed(self, volume: float) -> None:
        self.volume_slider.blockSignals(True)
        self.volume_slider.setValue(round(volume * 100))
        self.volume_slider.blockSignals(False)

    @Slot(float)
    def _on_position_changed(self, seconds: float) -> None:
        if self.seek_slider.isSliderDown():
            return  # the user is dragging: do not fight them
        self.seek_slider.blockSignals(True)
        self.seek_slider.setValue(int(seconds * _SEEK_STEPS_PER_SECOND))
        self.seek_slider.blockSignals(False)
        self.elapsed_label.setText(format_duration(seconds) or "0:00")

    @Slot(float)
    def _on_duration_changed(self, seconds: float) -> None:
        self._duration = max(0.0, float(seconds))
        self.seek_slider.setRange(0, int(self._duration * _SEEK_STEPS_PER_SECOND))
        self.seek_slider.setPageStep(10 * _SEEK_STEPS_PER_SECOND)
        self.total_label.setText(format_duration(self._duration) or "0:00")

    @Slot(object)
    def _on_track_changed(self, track: Any) -> None:
        if track is None:
            self.title_label.set_full_text("Nothing playing")
            self.subtitle_label.set_full_text("")
            self._on_duration_changed(0.0)
            self._on_position_changed(0.0)
            return
        self.title_label.set_full_text(display_text(track.display_title, 500))
        parts = [display_text(part, 200) for part in (track.artist, track.album) if part]
        self.subtitle_label.set_full_text(" — ".join(parts))
        if track.duration:
            self._on_duration_changed(track.duration)

    # ---- widgets -> player -----------------------------------------------------------------------
    def _seek_to_slider(self) -> None:
        self._player.seek(self.seek_slider.value() / _SEEK_STEPS_PER_SECOND)

    def _show_slider_time(self, value: int) -> None:
        self.elapsed_label.setText(format_duration(value / _SEEK_STEPS_PER_SECOND) or "0:00")

    def _on_slider_action(self, action: int) -> None:
        # Keyboard and wheel steps seek at once; drags, and clicks (JumpSlider moves the handle to the
        # click and drags it from there), seek on release.
        moved = QSlider.SliderAction(action) == QSlider.SliderAction.SliderMove  # the signal sends an int
        if not moved and not self.seek_slider.isSliderDown():
            self._player.seek(self.seek_slider.sliderPosition() / _SEEK_STEPS_PER_SECOND)

    @Slot(object, object)
    def show_art(self, track: Any, path: Any) -> None:
        """The album art of ``track`` (an image file) or nothing; ignored if another track plays now."""
        if track is not None and track is not self._player.current_track():
            return
        if not show_art_in(self.art_label, path, _ART_SIZE):
            return
        album = getattr(track, "album", "") if track is not None else ""
        self.art_label.setToolTip(plain_tooltip(str(album)) if album else "")

    def set_continue_seeds(self, titles: list[str]) -> None:
        """The tooltip names the tracks "Continue with similar songs" goes by (those listened to)."""
        tip = ("When the queue runs out, add a few songs that sound like a blend of the last songs you "
               "listened to (up to three), never one played or offered before in this session.")
        if titles:
            tip += "\nBased on: " + "; ".join(display_text(title, 80) for title in titles)
        else:
            tip += ("\nA song counts once it played 30 s or half its length; until one has, the last song "
                    "played stands in.")
        self.continue_button.setToolTip(plain_tooltip(tip))

    def _on_continue_toggled(self, checked: bool) -> None:
        self._settings.continue_with_similar = checked

    @Slot(str)
    def _on_setting_changed(self, key: str) -> None:
        if key == "continue_with_similar":
            self.continue_button.setChecked(self._settings.continue_with_similar)
