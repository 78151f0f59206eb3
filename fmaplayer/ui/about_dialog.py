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


def _dict(data: Any, *keys: str) -> dict:
    """data[k1][k2]... when it is a dict, else {}."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _number(data: Any, *keys: str) -> float | None:
    """data[k1][k2]... when it is a number (not a bool), else None."""
    value = _dict(data, *keys[:-1]).get(keys[-1])
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)


def _pct(value: float) -> str:
    return f"{100 * value:.0f} %"


_ARCHITECTURES = {"cnn_lstm": "a CNN-LSTM", "cnn": "a CNN", "cnn_bilstm": "a CNN-BiLSTM", "crnn": "a CRNN"}


def model_in_words(manifest: dict[str, Any]) -> tuple[str, str]:
    """(what the model is, how good it is) in plain sentences from the manifest's figures, the test
    figures of the similarity the app ranks by first (`metrics.hybrid_test`); a figure the manifest lacks
    is left out ("how good" is empty when it records none of them)."""
    parameters = manifest.get("parameters")
    kind = _ARCHITECTURES.get(str(manifest.get("architecture", "")), "")
    count = f"{parameters:,} parameters" if isinstance(parameters, int) and parameters > 0 else ""
    size = f" ({', '.join(part for part in (kind, count) if part)})" if kind or count else ""
    slices, dim = _number(manifest, "input", "slices_per_track"), _number(manifest, "embedding", "dim")
    what = [f"A neural network{size} that listens to {f'{slices:.0f} ' if slices else ''}short excerpts "
            f"of each track and sums up how it sounds in {f'{dim:.0f} numbers' if dim else 'a few numbers'}; "
            "tracks whose numbers are close sound alike, and that is what “Get relevant songs” ranks by."]
    distilled = bool(_dict(manifest, "training", "teacher"))
    if distilled:
        hours = _number(manifest, "training", "data", "train_hours")
        what.append("It learned to hear music the way a much larger music tagger does"
                    f"{f' (on {hours:.0f} hours of music)' if hours else ''}, and genres and moods from a "
                    "few hundred labelled clips.")

    metrics, test = _dict(manifest, "metrics"), _dict(manifest, "metrics", "hybrid_test")
    how = []
    genre = _first(_number(test, "genre_p@10"), _number(metrics, "genre_p@10_centred"),
                   _number(metrics, "genre_p@10"))
    clips = _number(metrics, "test_clips")
    if genre is not None:
        others = [f"{name}: {_pct(value)}" for name, value in (
            ("the much larger tagger", _number(metrics, "baselines_p@10", "teacher")),
            ("a classic timbre model", _number(metrics, "baselines_p@10", "musly"))) if value is not None]
        compared = f" ({'; '.join(others)})" if others else ""
        heard = f"{clips:.0f} clips" if clips else "music"
        how.append(f"On {heard} it never heard, on average {_pct(genre)} of its 10 suggestions share the "
                   f"track's genre{compared}.")
    mood = _first(_number(test, "quadrant_p@10"), _number(metrics, "quadrant_p@10_centred"),
                  _number(metrics, "quadrant_p@10"))
    if mood is not None:
        how.append(f"{_pct(mood)} share its mood (one of four: happy, tense, sad or calm).")
    overlap = _first(_number(test, "unseen_overlap_at_10"),
                     _number(metrics, "generalisation", "overlap_unseen", "avg"))
    if overlap is not None and distilled:
        how.append(f"On full-length tracks it never heard, about {10 * overlap:.0f} of its 10 suggestions "
                   "are among the larger tagger's 10.")
    shown = _dict(test, "genres_shown") or _dict(metrics, "generalisation", "genre_shown")
    share, right = _number(shown, "shown_share"), _number(shown, "shown_accuracy")
    accuracy = _first(_number(metrics, "genre_track_accuracy"), _number(metrics, "test_accuracy"))
    if share is not None and right is not None:
        how.append(f"The “Genre (predicted)” column names a genre for {_pct(share)} of tracks and is right "
                   f"for {_pct(right)} of those; where the model is unsure, the cell stays empty.")
    elif accuracy is not None:
        how.append(f"It names the right genre for {_pct(accuracy)} of tracks.")
    return " ".join(what), " ".join(how)


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
            what, how = model_in_words(manifest)
            self.what_label = _plain(what)
            self.how_label = _plain(how or "The model's file records no test figures.")
            form.addRow("What it is:", self.what_label)
            form.addRow("How good:", self.how_label)
            details = QLabel("The figures and how they were measured: the README's "
                             "“Model card (summary)”.")
            details.setWordWrap(True)
            form.addRow("", details)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def _model_summary(self) -> str:
        if self.manifest is None:
            return "model not found"
        name = str(self.manifest.get("name", "unnamed model"))
        version = str(self.manifest.get("version", "?"))
        architecture = self.manifest.get("architecture")
        extra = f" ({architecture})" if architecture and architecture not in name else ""
        return f"{name} {version}{extra}"
