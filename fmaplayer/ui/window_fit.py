"""Keep a top-level window inside the screen's available area (no player bar below the task bar).

At 150 % scaling on a 1920x1080 screen the default 1200x760 logical pixels are 1800x1140 device pixels;
Qt's available geometry is in logical pixels, so comparing against it handles every scale factor.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# The window manager's frame is not known before the window is shown: allow for a title bar and borders.
_FRAME_ALLOWANCE = QSize(16, 40)


def available_geometry(window: QWidget) -> QRect | None:
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else None


def fit_to_screen(window: QWidget, centre: bool = False) -> bool:
    """Shrink (and move) `window` so its frame lies in the available geometry; True when it changed."""
    if window.windowState() & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
        # Restored maximised: the window manager places it. A move here would set the geometry it goes back
        # to when un-maximised, taken as the client area's position: the title bar ended above the screen.
        return False
    area = available_geometry(window)
    if area is None or area.isEmpty():
        return False
    frame = window.frameGeometry()
    margins = frame.size() - window.size()
    if window.isVisible() and (margins.width() > 0 or margins.height() > 0):
        allowance = margins
    else:
        allowance = _FRAME_ALLOWANCE
    limit = QSize(max(1, area.width() - allowance.width()), max(1, area.height() - allowance.height()))
    size = window.size().boundedTo(limit)
    changed = size != window.size()
    if changed:
        window.resize(size)
    outer = QSize(size.width() + allowance.width(), size.height() + allowance.height())
    if centre or changed or not area.contains(QRect(window.pos(), outer)):
        x = area.x() + max(0, (area.width() - outer.width()) // 2) if centre or changed else window.x()
        y = area.y() + max(0, (area.height() - outer.height()) // 2) if centre or changed else window.y()
        x = min(max(x, area.x()), area.right() - outer.width() + 1)
        y = min(max(y, area.y()), area.bottom() - outer.height() + 1)
        if QPoint(x, y) != window.pos():
            window.move(x, y)
            changed = True
    return changed
