"""Scroll areas' viewports made in Python, so that PySide never has to wrap the one Qt makes.

PySide wraps a QWidget that C++ made (``QAbstractScrollArea.viewport()`` returns the viewport the scroll area
made itself) as its most derived bound class. To find that class the first time, it creates every QWidget
subclass QtWidgets binds that the program has not used yet, with their enum classes: 40-50 classes, 4-10 ms of
CPU (less the more classes the program used before), paid by whichever view asks first (bench/README.md,
Start-up). A viewport made in Python is wrapped already: ``viewport()`` returns that wrapper as it is."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QWidget


def give_viewport(area: QAbstractScrollArea, background: QPalette.ColorRole | None = None) -> QWidget:
    """Replace AREA's viewport by one made here, set up as Qt sets up its own: its object name, filling its
    background, with BACKGROUND as its role where Qt sets one (an item view's: Base). Returns it."""
    viewport = QWidget()
    viewport.setObjectName("qt_scrollarea_viewport")
    viewport.setAutoFillBackground(True)
    if background is not None:
        viewport.setBackgroundRole(background)
    area.setViewport(viewport)
    return viewport
