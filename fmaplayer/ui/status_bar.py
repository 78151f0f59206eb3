"""The status bar: notices on the left; counts, scan progress and other workers' widgets on the right."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QStatusBar,
    QStyle,
    QToolButton,
    QWidget,
)

from fmaplayer.ui.text import plain_tooltip


class MainStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        style = self.style()

        self.notice = QWidget()
        self.notice.setObjectName("statusNotice")
        notice_icon = QLabel()
        notice_icon.setPixmap(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(16, 16))
        self.notice_label = QLabel()
        self.notice_label.setTextFormat(Qt.TextFormat.PlainText)
        # a long notice (settings that cannot be saved, and where) must not widen the window past the
        # screen: the label takes the room there is, the tooltip has the whole text
        self.notice_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.notice_label.setMinimumWidth(120)
        notice_layout = QHBoxLayout(self.notice)
        notice_layout.setContentsMargins(4, 0, 4, 0)
        notice_layout.addWidget(notice_icon)
        notice_layout.addWidget(self.notice_label)
        self.notice.hide()
        self.addWidget(self.notice, 1)
        self._notices_shown: set[str] = set()

        self.count_label = QLabel()
        self.count_label.setObjectName("trackCount")
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.unreadable_button = QToolButton()
        self.unreadable_button.setObjectName("unreadableButton")
        self.unreadable_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
        self.unreadable_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.unreadable_button.setAutoRaise(True)
        self.unreadable_button.hide()

        self.scan_progress = QProgressBar()
        self.scan_progress.setObjectName("scanProgress")
        self.scan_progress.setMaximumWidth(220)
        self.scan_progress.setTextVisible(True)
        self.scan_progress.setFormat("Scanning %v / %m")
        self.scan_cancel_button = QToolButton()
        self.scan_cancel_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_DialogCancelButton))
        self.scan_cancel_button.setToolTip("Stop scanning (what was found so far is kept)")
        self.scan_cancel_button.setAutoRaise(True)
        self.scan_progress.hide()
        self.scan_cancel_button.hide()

        self.addPermanentWidget(self.scan_progress)
        self.addPermanentWidget(self.scan_cancel_button)
        self.addPermanentWidget(self.unreadable_button)
        self.addPermanentWidget(self.count_label)

    def show_notice_once(self, text: str) -> bool:
        """A lasting notice (e.g. no audio output); the same text is never shown twice."""
        if text in self._notices_shown:
            return False
        self._notices_shown.add(text)
        self.notice_label.setText(text)
        self.notice.setToolTip(plain_tooltip(text))
        self.notice.show()
        return True

    def set_counts(self, visible: int, total: int, unreadable: int, unavailable: int = 0) -> None:
        if visible == total:
            text = f"{total:,} track{'s' if total != 1 else ''}"
        else:
            text = f"{visible:,} of {total:,} tracks"
        self.count_label.setText(text)
        self.unreadable_button.setVisible(unreadable + unavailable > 0)
        counts = ((unreadable, "unreadable"), (unavailable, "unavailable"))
        said = [f"{n:,} {what}" for n, what in counts if n]
        self.unreadable_button.setText(", ".join(said))

    def scan_started(self) -> None:
        self.scan_progress.setRange(0, 0)
        self.scan_progress.setValue(0)
        self.scan_progress.show()
        self.scan_cancel_button.show()

    def scan_progressed(self, done: int, total: int, path: str) -> None:
        self.scan_progress.setRange(0, max(0, total))
        self.scan_progress.setValue(min(done, total) if total else 0)
        self.scan_progress.setToolTip(plain_tooltip(path))

    def scan_stopped(self) -> None:
        self.scan_progress.hide()
        self.scan_cancel_button.hide()
