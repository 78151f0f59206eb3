"""Preferences: music folders, number of recommendations, ranking mode, compute device."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from fmaplayer.settings import SETTINGS, Settings

RANKING_LABELS = {"similarity": "Similarity only", "similarity_genre": "Similarity + predicted genre"}
DEVICE_LABELS = {"auto": "Automatic (GPU when available)", "cpu": "CPU only"}


class SettingsDialog(QDialog):
    """Edits a copy of the values; OK writes them to Settings. "Rescan now" saves the folders first."""

    rescanRequested = Signal()

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self._settings = settings
        style = self.style()

        self.folder_list = QListWidget()
        self.folder_list.setObjectName("musicFolderList")
        self.folder_list.setMinimumHeight(110)
        for folder in settings.music_folders:
            self._add_folder_item(folder)
        pixmap = QStyle.StandardPixmap
        self.add_folder_button = QPushButton(style.standardIcon(pixmap.SP_DirIcon), "Add…")
        self.remove_folder_button = QPushButton(style.standardIcon(pixmap.SP_TrashIcon), "Remove")
        self.rescan_button = QPushButton(style.standardIcon(pixmap.SP_BrowserReload), "Rescan now")
        self.add_folder_button.clicked.connect(self._choose_folder)
        self.remove_folder_button.clicked.connect(self._remove_selected_folders)
        self.rescan_button.clicked.connect(self._rescan)
        self.folder_list.itemSelectionChanged.connect(self._update_buttons)

        folder_buttons = QVBoxLayout()
        for button in (self.add_folder_button, self.remove_folder_button, self.rescan_button):
            folder_buttons.addWidget(button)
        folder_buttons.addStretch(1)
        folders_row = QHBoxLayout()
        folders_row.addWidget(self.folder_list, 1)
        folders_row.addLayout(folder_buttons)
        folders_box = QGroupBox("Music folders")
        folders_box.setLayout(folders_row)

        count_spec = SETTINGS["recommendations_count"]
        self.count_spin = QSpinBox()
        self.count_spin.setObjectName("recommendationsCount")
        self.count_spin.setRange(count_spec.minimum or 1, count_spec.maximum or 100)
        self.count_spin.setValue(settings.recommendations_count)
        self.count_spin.setSuffix(" songs")
        self.ranking_combo = QComboBox()
        self.ranking_combo.setObjectName("rankingMode")
        for key, label in RANKING_LABELS.items():
            self.ranking_combo.addItem(label, key)
        self.ranking_combo.setCurrentIndex(self.ranking_combo.findData(settings.ranking_mode))
        self.device_combo = QComboBox()
        self.device_combo.setObjectName("computeDevice")
        for key, label in DEVICE_LABELS.items():
            self.device_combo.addItem(label, key)
        self.device_combo.setCurrentIndex(self.device_combo.findData(settings.compute_device))
        self.variety_box = QCheckBox("Variety: at most")
        self.variety_box.setObjectName("variety")
        self.variety_box.setChecked(bool(settings.get("variety")))
        self.variety_box.setToolTip("Leave room for other artists and albums in the relevant songs, the "
                                    "command line's `similar` and Continue with similar songs (0: no limit)")
        self.artist_cap = self._cap_spin("variety_per_artist", settings, " per artist")
        self.album_cap = self._cap_spin("variety_per_album", settings, " per album")
        self.variety_box.toggled.connect(self.artist_cap.setEnabled)
        self.variety_box.toggled.connect(self.album_cap.setEnabled)
        variety_row = QHBoxLayout()
        for widget in (self.variety_box, self.artist_cap, self.album_cap):
            variety_row.addWidget(widget)
        variety_row.addStretch(1)
        device_note = QLabel("The compute device is used from the next start.")
        device_note.setTextFormat(Qt.TextFormat.PlainText)
        device_note.setEnabled(False)

        form = QFormLayout()
        form.addRow("Number of recommendations:", self.count_spin)
        form.addRow("Ranking:", self.ranking_combo)
        form.addRow("", variety_row)
        form.addRow("Compute device:", self.device_combo)
        form.addRow("", device_note)
        recommendations_box = QGroupBox("Recommendations")
        recommendations_box.setLayout(form)

        standard = QDialogButtonBox.StandardButton
        self.buttons = QDialogButtonBox(standard.Ok | standard.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(folders_box)
        layout.addWidget(recommendations_box)
        layout.addWidget(self.buttons)
        self.resize(560, 420)
        self._update_buttons()

    def folders(self) -> list[str]:
        return [self.folder_list.item(row).text() for row in range(self.folder_list.count())]

    def accept(self) -> None:
        self.apply()
        super().accept()

    def apply(self) -> None:
        self._settings.music_folders = self.folders()
        self._settings.recommendations_count = self.count_spin.value()
        self._settings.ranking_mode = self.ranking_combo.currentData()
        self._settings.compute_device = self.device_combo.currentData()
        self._settings.set("variety", self.variety_box.isChecked())
        self._settings.set("variety_per_artist", self.artist_cap.value())
        self._settings.set("variety_per_album", self.album_cap.value())

    def _cap_spin(self, key: str, settings, suffix: str) -> QSpinBox:
        spec = SETTINGS[key]
        spin = QSpinBox()
        spin.setObjectName(key)
        spin.setRange(spec.minimum or 0, spec.maximum or 50)
        spin.setValue(settings.get(key))
        spin.setSuffix(suffix)
        spin.setEnabled(bool(settings.get("variety")))
        return spin

    def _add_folder_item(self, folder: str) -> None:
        if folder in self.folders():
            return
        item = QListWidgetItem(self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon), folder)
        item.setToolTip(folder)
        self.folder_list.addItem(item)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add music folder")
        if folder:
            self._add_folder_item(folder)
            self._update_buttons()

    def _remove_selected_folders(self) -> None:
        for item in self.folder_list.selectedItems():
            self.folder_list.takeItem(self.folder_list.row(item))
        self._update_buttons()

    def _rescan(self) -> None:
        self._settings.music_folders = self.folders()
        self.rescanRequested.emit()

    def _update_buttons(self) -> None:
        self.remove_folder_button.setEnabled(bool(self.folder_list.selectedItems()))
        self.rescan_button.setEnabled(self.folder_list.count() > 0)
