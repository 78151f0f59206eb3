"""What the window shows instead of an empty table: one clear next step."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QStyle, QVBoxLayout, QWidget


class EmptyState(QWidget):
    addFolderRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon).pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.heading = QLabel("Your library is empty")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.heading.setFont(font)

        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)

        self.add_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon),
                                      "Add music folder…")
        self.add_button.setObjectName("addMusicFolderButton")
        self.add_button.setDefault(True)
        self.add_button.clicked.connect(self.addFolderRequested)

        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(icon)
        layout.addSpacing(8)
        layout.addWidget(self.heading)
        layout.addWidget(self.message)
        layout.addSpacing(12)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(3)
        self.set_scanning(False)

    def set_scanning(self, scanning: bool) -> None:
        if scanning:
            self.message.setText("Looking for music… tracks appear here as they are found.")
        else:
            self.message.setText("Add the folder where you keep your music, or drop folders and audio files"
                                 " here.\nMP3, FLAC, Ogg Vorbis, Opus, WAV and AIFF files are supported.")
