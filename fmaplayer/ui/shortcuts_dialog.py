"""Help → Keyboard shortcuts: a table built from the actions themselves, so it never goes out of date."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def action_label(action: QAction) -> str:
    """The menu text without its mnemonic ampersands and trailing ellipsis."""
    return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


class ShortcutsDialog(QDialog):
    """`sections`: (heading, actions) pairs; actions without a shortcut are left out.

    `extra` rows are (heading, description, keys) for keys that are not actions (Delete in the queue)."""

    def __init__(self, sections: Iterable[tuple[str, Iterable[QAction]]],
                 extra: Iterable[tuple[str, str, str]] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        rows: list[tuple[str, str, str]] = []
        for heading, actions in sections:
            for action in actions:
                keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
                if keys:
                    rows.append((heading, action_label(action), ", ".join(keys)))
        rows.extend(extra)

        self.table = QTableWidget(len(rows), 3)
        self.table.setObjectName("shortcutsTable")
        self.table.setHorizontalHeaderLabels(["", "Action", "Keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setShowGrid(False)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a reference card, not something to edit
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        previous_heading = None
        for row, (heading, label, keys) in enumerate(rows):
            cells = (heading if heading != previous_heading else "", label, keys)
            previous_heading = heading
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(520, min(680, 110 + (self.table.fontMetrics().height() + 8) * len(rows)))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def rows(self) -> list[tuple[str, str]]:
        """(action, keys) as shown, for tests and the README."""
        table = self.table
        return [(table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())]
