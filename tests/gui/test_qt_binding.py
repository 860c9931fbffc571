"""The Qt binding itself: guards against PySide6 releases that break long painting sessions."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtGui import QColor, QImage, QPainter, QPen


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from CPython 3.12 on")
def test_void_qt_calls_keep_none_alive(qapp) -> None:
    """PySide6-Essentials 6.12.0 drops a reference to None on every Qt call that returns nothing; a few
    thousand painter calls then abort the interpreter ("none_dealloc"). pyproject.toml excludes it."""
    image = QImage(16, 16, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    pen = QPen(QColor("black"))
    before = sys.getrefcount(None)
    for _ in range(2000):
        painter.setPen(pen)
        painter.drawRect(1, 1, 4, 4)
    after = sys.getrefcount(None)
    painter.end()
    assert after >= before - 50, f"None lost {before - after} references in 4000 Qt calls"
