"""Render resources/icons/fmaplayer.svg to the PNG sizes desktops ask for, plus .ico/.icns for bundles.

Uses QtSvg from PySide6-Essentials, so no rsvg/inkscape is needed:
    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py
The PNGs are committed; rerun this only after editing the SVG.
"""

from __future__ import annotations

import sys
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parents[1] / "resources" / "icons"
SVG = ICON_DIR / "fmaplayer.svg"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render(svg: Path, size: int):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"QtSvg could not parse {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    for size in PNG_SIZES:
        out = ICON_DIR / f"fmaplayer-{size}.png"
        if not render(SVG, size).save(str(out), "PNG"):
            raise SystemExit(f"could not write {out}")
        print(out.relative_to(ICON_DIR.parents[1]))
    # PyInstaller wants .ico on Windows and .icns on macOS; Qt's image plugins write both.
    for name, fmt, size in (("fmaplayer.ico", "ICO", 256), ("fmaplayer.icns", "ICNS", 512)):
        out = ICON_DIR / name
        if not render(SVG, size).save(str(out), fmt):
            print(f"note: this Qt cannot write {fmt}; skipped {name}", file=sys.stderr)
            continue
        print(out.relative_to(ICON_DIR.parents[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
