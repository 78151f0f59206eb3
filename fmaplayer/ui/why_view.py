"""'Why this song?' in the relevant panel: a rich tooltip with bars, and an expandable detail under the list.

Both draw one `explain.Why` (recommend/explain.py): the anchor's and the result's genre and mood
probabilities side by side, and the sentence. The tooltip is HTML (Qt's rich text: table cells of a
set width and colour make the bars); the detail is a small custom-painted widget, so it follows the
palette and the dock's width.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from fmaplayer.recommend.explain import Why

ANCHOR_COLOUR = QColor("#4a7fc1")
RESULT_COLOUR = QColor("#d08a2c")
_BAR_PX = 120   # tooltip bar length at probability 1


def _bpm(value: float | None) -> str:
    return "—" if not value else f"{value:.0f} BPM"


def _bar_cell(p: float, colour: QColor) -> str:
    width = max(1, round(p * _BAR_PX))
    return (f'<td><table cellspacing="0" cellpadding="0"><tr><td width="{width}" height="8" '
            f'bgcolor="{colour.name()}"></td><td>&nbsp;{p * 100:.0f}&nbsp;%</td></tr></table></td>')


def _bar_rows(title: str, rows: list[tuple[str, float, float]]) -> str:
    if not rows:
        return ""
    body = "".join(f"<tr><td>{escape(label)}</td>{_bar_cell(a, ANCHOR_COLOUR)}"
                   f"{_bar_cell(b, RESULT_COLOUR)}</tr>" for label, a, b in rows)
    return f'<tr><td colspan="3"><b>{escape(title)}</b></td></tr>{body}'


def tooltip_html(why: Why, anchor_title: str, result_title: str, footnote: str = "") -> str:
    """The result's tooltip: the sentence, then both profiles as bars and both tempos."""
    head = (f'<tr><td></td><td><font color="{ANCHOR_COLOUR.name()}">■</font> {escape(anchor_title)}</td>'
            f'<td><font color="{RESULT_COLOUR.name()}">■</font> {escape(result_title)}</td></tr>')
    tempo = (f"<tr><td><b>Tempo</b></td><td>{_bpm(why.anchor_tempo)}</td>"
             f"<td>{_bpm(why.result_tempo)}</td></tr>")
    return (f"<p><b>Why this song?</b> {escape(why.sentence)}</p>"
            f'<table cellspacing="2">{head}{_bar_rows("Genre", why.genres)}{_bar_rows("Mood", why.moods)}'
            f"{tempo}</table>"
            f"<p><small>Genres are named from {why.genre_threshold * 100:.0f} %, moods from "
            f"{why.mood_threshold * 100:.0f} % (where this model is right 4 times in 5).</small></p>"
            + (f"<p><small>{escape(footnote).replace(chr(10), '<br>')}</small></p>" if footnote else ""))


class ProfileBars(QWidget):
    """Rows of (label, anchor bar, result bar), painted; one kind of label (genres or moods)."""

    ROW_GAP = 4
    MIN_BAR_PX = 24

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self._rows: list[tuple[str, float, float]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rows(self, rows: list[tuple[str, float, float]]) -> None:
        self._rows = list(rows)
        self.updateGeometry()
        self.update()

    def rows(self) -> list[tuple[str, float, float]]:
        return list(self._rows)

    def _line(self) -> int:
        return self.fontMetrics().height()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        lines = 1 + len(self._rows)
        return QSize(220, lines * (self._line() + self.ROW_GAP))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(160, self.sizeHint().height())

    def columns(self) -> tuple[int, float, int, float]:
        """(label width, width of each profile's column, of its number, of its bar) at the current width."""
        text_w = self.fontMetrics().horizontalAdvance("100 %") + 6   # the number sits beside its bar
        # labels whole ("happy/excited"): the bars give way first, down to MIN_BAR_PX each
        room = self.width() - 8 - 2 * (text_w + self.MIN_BAR_PX)
        label_w = min(max((self.fontMetrics().horizontalAdvance(r[0]) for r in self._rows), default=0) + 8,
                      max(self.width() // 3, room))
        column_w = max(10.0, (self.width() - label_w - 8) / 2.0)
        return label_w, column_w, text_w, max(4.0, column_w - text_w)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        text_colour = self.palette().color(QPalette.ColorRole.WindowText)
        line = self._line()
        step = line + self.ROW_GAP
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(text_colour)
        painter.drawText(QRectF(0, 0, self.width(), line), Qt.AlignmentFlag.AlignLeft, self.title)
        font.setBold(False)
        painter.setFont(font)
        label_w, column_w, text_w, bar_w = self.columns()
        half = (line - 2) / 2.0
        track_colour = self.palette().color(QPalette.ColorRole.Base)
        for i, (label, a, b) in enumerate(self._rows):
            y = (i + 1) * step
            painter.setPen(text_colour)
            elided = self.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, label_w - 4)
            painter.drawText(QRectF(0, y, label_w, line), Qt.AlignmentFlag.AlignVCenter, elided)
            for k, (p, colour) in enumerate(((a, ANCHOR_COLOUR), (b, RESULT_COLOUR))):
                left = label_w + k * (column_w + 8)
                painter.fillRect(QRectF(left, y + 1, bar_w, line - 2), track_colour)
                painter.fillRect(QRectF(left, y + 1 + (half / 2), max(1.0, p * bar_w), half), colour)
                painter.setPen(text_colour)
                painter.drawText(QRectF(left + bar_w, y, text_w, line), Qt.AlignmentFlag.AlignRight
                                 | Qt.AlignmentFlag.AlignVCenter, f"{p * 100:.0f} %")
        painter.end()


class WhyDetail(QWidget):
    """'Why this song?' under the results: a toggle, then the sentence and both profiles' bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("whyDetail")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        self.toggle = QToolButton(self)
        self.toggle.setText("Why this song?")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.toggled.connect(self._on_toggled)
        self.body = QWidget(self)
        body_layout = QVBoxLayout(self.body)
        body_layout.setContentsMargins(4, 0, 4, 0)
        self.legend = QLabel(self.body)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.sentence = QLabel(self.body)
        self.sentence.setWordWrap(True)
        self.sentence.setTextFormat(Qt.TextFormat.PlainText)
        self.genre_bars = ProfileBars("Genre", self.body)
        self.mood_bars = ProfileBars("Mood", self.body)
        self.tempo = QLabel(self.body)
        for widget in (self.sentence, self.legend, self.genre_bars, self.mood_bars, self.tempo):
            body_layout.addWidget(widget)
        layout.addWidget(self.toggle)
        layout.addWidget(self.body)
        self.body.hide()
        self.why: Why | None = None
        self.hide()

    def show_why(self, why: Why | None, anchor_title: str = "", result_title: str = "") -> None:
        """Show a result's explanation (the detail stays open or closed as the user left it)."""
        self.why = why
        if why is None:
            self.hide()
            return
        self.sentence.setText(why.sentence)
        self.legend.setText(f'<font color="{ANCHOR_COLOUR.name()}">■</font> {escape(anchor_title)} &nbsp; '
                            f'<font color="{RESULT_COLOUR.name()}">■</font> {escape(result_title)}')
        self.genre_bars.set_rows(why.genres)
        self.mood_bars.set_rows(why.moods)
        self.genre_bars.setVisible(bool(why.genres))
        self.mood_bars.setVisible(bool(why.moods))
        self.tempo.setText(f"Tempo: {_bpm(why.anchor_tempo)} vs {_bpm(why.result_tempo)}")
        self.show()

    def is_expanded(self) -> bool:
        return self.toggle.isChecked()

    def _on_toggled(self, checked: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if checked else Qt.ArrowType.RightArrow)
        self.body.setVisible(checked)
