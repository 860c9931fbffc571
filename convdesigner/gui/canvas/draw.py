"""Small QPainter helpers the canvas's painters share: fonts, pixel-snapped cell rectangles, outlines, the
locator ring around things too small to see, elided text."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from .layout import Camera, Grid


def font(size: float, bold: bool = False, mono: bool = False) -> QFont:
    """A font of ``size`` pixels (the canvas's text never scales with the zoom)."""
    result = QFont("monospace" if mono else "sans-serif")
    result.setPixelSize(max(1, round(size)))
    result.setBold(bold)
    if mono:
        result.setStyleHint(QFont.StyleHint.Monospace)
    return result


def visible_range(stage: QRectF, cam: Camera, g: Grid) -> tuple[int, int, int, int]:
    """The range of rows and columns of ``g`` inside the stage: r0, r1, c0, c1 (end exclusive)."""
    gx, gy = cam.px(g.x, g.y)
    s = cam.scale
    c0 = max(0, math.floor((stage.left() - gx) / s))
    c1 = min(g.width, math.ceil((stage.right() - gx) / s))
    r0 = max(0, math.floor((stage.top() - gy) / s))
    r1 = min(g.height, math.ceil((stage.bottom() - gy) / s))
    return r0, max(r0, r1), c0, max(c0, c1)


def cell_rect(cam: Camera, g: Grid, row: float, col: float, rows: float = 1, cols: float = 1) -> QRectF:
    """Cells' rectangle snapped to whole pixels, so neighbours share edges and fills stay crisp (and
    fast: the grids are painted without antialiasing)."""
    x0, y0 = cam.px(g.x + col, g.y + row)
    x1, y1 = cam.px(g.x + col + cols, g.y + row + rows)
    x0, y0, x1, y1 = round(x0), round(y0), round(x1), round(y1)
    return QRectF(x0, y0, max(1, x1 - x0), max(1, y1 - y0))


def at_least(rect: QRectF, px: float = 4.0) -> QRectF:
    """A cell grown about its centre to ``px`` when zoomed out so far that it would vanish."""
    if rect.width() >= px:
        return rect
    grow = (px - rect.width()) / 2
    return rect.adjusted(-grow, -grow, grow, grow)


def outline(p: QPainter, rect: QRectF, color: QColor, width: float, dashed: bool = False) -> None:
    p.setPen(QPen(color, width, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(rect)


def locator(p: QPainter, rect: QRectF, color: QColor) -> None:
    """A ring around something too small to see at this zoom (not around a long thin band, such as the
    matrix view's current row: that is plain to see, and a ring in its middle would point at nothing)."""
    if min(rect.width(), rect.height()) >= 6 and max(rect.width(), rect.height()) >= 12:
        return
    radius = 14.0
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setPen(QPen(color, 2))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawEllipse(rect.center(), radius, radius)
    p.restore()


def with_alpha(color: QColor, alpha: int) -> QColor:
    c = QColor(color)
    c.setAlpha(alpha)
    return c


def elided(p: QPainter, text: str, x: float, y: float, width: float) -> None:
    metrics = QFontMetricsF(p.font())
    p.drawText(QPointF(x, y), metrics.elidedText(text, Qt.TextElideMode.ElideRight, width))
