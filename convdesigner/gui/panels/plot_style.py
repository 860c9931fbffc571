"""pyqtgraph styling that follows the Qt palette (imported only once a plot is built)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

SERIES = ("#2f6fce", "#e07b39", "#3a9a5b", "#a05ac8")  # one colour per axis / series
HIGHLIGHT = "#d64545"


def style_plot(plot) -> None:
    """Background, axes and text in the palette's colours."""
    palette = QApplication.palette()
    text = palette.color(QPalette.ColorRole.WindowText)
    base = palette.color(QPalette.ColorRole.Base)
    if hasattr(plot, "setBackground"):
        plot.setBackground(base)
    if not hasattr(plot, "getAxis"):
        return
    muted = QColor(text)
    muted.setAlpha(160)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(muted)
        axis.setTextPen(text)
    plot.showGrid(x=True, y=True, alpha=0.15)
