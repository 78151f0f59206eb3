"""Help → About: app version and the bundled model's manifest (read as JSON; TensorFlow is never imported)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from fmaplayer import __version__

MANIFEST_NAME = "cnn_lstm.json"


def bundled_manifest_path() -> Path:
    """Where the bundled model's manifest lives: `models/` next to the package (source checkout or
    PyInstaller bundle), else inside the package."""
    package_dir = Path(__file__).resolve().parent.parent
    for candidate in (package_dir.parent / "models" / MANIFEST_NAME, package_dir / "models" / MANIFEST_NAME):
        if candidate.is_file():
            return candidate
    return package_dir.parent / "models" / MANIFEST_NAME


def read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _metric_lines(metrics: Any, prefix: str = "", depth: int = 0) -> list[tuple[str, str]]:
    """Flatten numeric metrics (nested at most two levels) into (name, value) pairs."""
    lines: list[tuple[str, str]] = []
    if not isinstance(metrics, dict) or depth > 1:
        return lines
    for key, value in metrics.items():
        name = f"{prefix}{key}".replace("_", " ")
        if isinstance(value, bool):
            continue
        if isinstance(value, float):
            lines.append((name, f"{value:.3f}"))
        elif isinstance(value, int):
            lines.append((name, f"{value:,}"))
        elif isinstance(value, dict):
            lines.extend(_metric_lines(value, f"{key} / ", depth + 1))
    return lines


def _plain(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


class AboutDialog(QDialog):
    def __init__(self, manifest_path: Path | None = None, parent: QWidget | None = None,
                 icon: QIcon | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About fmaplayer")
        self.setObjectName("aboutDialog")
        path = manifest_path if manifest_path is not None else bundled_manifest_path()
        self.manifest = read_manifest(path)

        heading = QLabel(f"fmaplayer {__version__}")
        heading.setObjectName("aboutHeading")
        heading.setTextFormat(Qt.TextFormat.PlainText)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        layout = QVBoxLayout(self)
        if icon is not None and not icon.isNull():
            picture = QLabel()
            picture.setPixmap(icon.pixmap(64, 64))
            layout.addWidget(picture, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(heading, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(_plain("A music player that finds similar songs by listening to them."))

        form = QFormLayout()
        self.model_label = _plain(self._model_summary())
        self.model_label.setObjectName("aboutModel")
        form.addRow("Model:", self.model_label)
        if self.manifest is not None:
            manifest = self.manifest
            genres = manifest.get("genres")
            if isinstance(genres, list) and genres:
                form.addRow("Genres:", _plain(", ".join(str(g) for g in genres)))
            embedding = manifest.get("embedding")
            if isinstance(embedding, dict) and embedding.get("dim"):
                form.addRow("Embedding:", _plain(f"{embedding['dim']} dimensions"))
            if isinstance(manifest.get("parameters"), int):
                form.addRow("Parameters:", _plain(f"{manifest['parameters']:,}"))
            metrics = _metric_lines(manifest.get("metrics") or manifest.get("evaluation"))
            for name, value in metrics[:12]:
                form.addRow(f"{name}:", _plain(value))
            if not metrics:
                form.addRow("Evaluation:", _plain("no metrics recorded in the manifest"))
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    def _model_summary(self) -> str:
        if self.manifest is None:
            return "model not found"
        name = str(self.manifest.get("name", "unnamed model"))
        version = str(self.manifest.get("version", "?"))
        architecture = self.manifest.get("architecture")
        extra = f" ({architecture})" if architecture and architecture not in name else ""
        return f"{name} {version}{extra}"
