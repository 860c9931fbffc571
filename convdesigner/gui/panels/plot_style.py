"""pyqtgraph styling that follows the Qt palette (imported only once a plot is built)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsItem

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
        # an axis (with its grid lines across the plot) is redrawn when its ticks change; a marker moving
        # over it repaints a strip of it, which the cache blits instead of replaying every line
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    plot.showGrid(x=True, y=True, alpha=0.15)


#: Steps between labelled layer ticks, the smallest whose labels fit is used.
_TICK_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)


def layer_ticks(axis, first: int, last: int) -> None:
    """Label the layer axis at whole layer numbers from ``first`` to ``last``, spaced so that no two labels
    collide at the axis's current width (an empty range: no ticks)."""
    if last < first:
        axis.setTicks([[]])
        return
    label = QFontMetrics(axis.style.get("tickFont") or axis.font()).horizontalAdvance(str(last)) + 14
    view = axis.linkedView()
    if view is not None and view.width() > 0:
        low, high = view.viewRange()[0]
        per_layer = view.width() / max(high - low, 1)
    else:
        per_layer = 300 / max(last - first + 1, 1)
    step = next((s for s in _TICK_STEPS if s * per_layer >= label), _TICK_STEPS[-1])
    ticks = [(x, str(x)) for x in range(first, last + 1) if x % step == 0]  # never two labels a step apart
    axis.setTicks([ticks])


def integer_ticks(axis, text) -> None:
    """Label only whole values of a count axis (never "0 0 0 0" from rounding fractions of a small range),
    written by ``text``, with no SI prefix of pyqtgraph's own beside the axis (the labels carry their unit)."""
    axis.enableAutoSIPrefix(False)
    axis.tickStrings = lambda values, _scale, _spacing: [text(int(round(v))) if abs(v - round(v)) < 1e-9 else ""
                                                          for v in values]
