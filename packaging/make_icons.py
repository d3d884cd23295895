"""Render the application icon from its SVG into the sizes each platform wants.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py

Writes PNGs (16-512) next to the SVG in ``omniinbox/resources/icons/`` (the window icon and the
Linux hicolor theme use them), ``packaging/windows/omniinbox.ico`` and ``packaging/macos/omniinbox.icns``.
Run it after changing the SVG and commit the results.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "omniinbox" / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> None:
    app = QGuiApplication([])  # noqa: F841 - Qt needs an application object to paint
    renderer = QSvgRenderer(str(ICONS / "omniinbox.svg"))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {ICONS / 'omniinbox.svg'}")
    for size in SIZES:
        render(renderer, size).save(str(ICONS / f"omniinbox-{size}.png"))
    render(renderer, 256).save(str(ROOT / "packaging" / "windows" / "omniinbox.ico"))
    render(renderer, 512).save(str(ROOT / "packaging" / "macos" / "omniinbox.icns"))
    print("icons written")


if __name__ == "__main__":
    main()
