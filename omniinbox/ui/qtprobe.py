"""Can Qt start here? Used by ``omniinbox selfcheck`` (which must not import Qt itself)."""

from __future__ import annotations


def probe() -> tuple[bool, str]:
    """``(ok, what)``: the platform plugin Qt started with, or why it could not."""
    try:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtGui import QGuiApplication, QImage, QPainter
    except ImportError as exc:  # a library Qt loads at import time is missing
        return False, f"Qt cannot be loaded: {exc}"
    if QGuiApplication.instance() is None:
        QGuiApplication(["omniinbox-selfcheck"])
    image = QImage(32, 32, QImage.Format.Format_ARGB32)
    painter = QPainter(image)  # painting works (fonts and raster engine present)
    painter.drawText(2, 20, "ok")
    painter.end()
    return True, f"Qt {pyside_version} on the '{QGuiApplication.platformName()}' platform"
