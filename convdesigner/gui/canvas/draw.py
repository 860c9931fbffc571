"""Small QPainter helpers the canvas's painters share: fonts, pixel-snapped cell rectangles, outlines, the
locator ring around things too small to see, elided text."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from .layout import LOCATOR_CELL_PX, LOCATOR_RADIUS, Camera, Grid


def font(size: float, bold: bool = False, mono: bool = False) -> QFont:
    """A font of ``size`` pixels (the canvas's text never scales with the zoom)."""
    result = QFont("monospace" if mono else "sans-serif")
    result.setPixelSize(max(1, round(size)))
    result.setBold(bold)
    if mono:
        result.setStyleHint(QFont.StyleHint.Monospace)
    return result


def visible_range(stage: QRectF, cam: Camera, g: Grid, clamp: bool = True) -> tuple[int, int, int, int]:
    """The range of rows and columns of ``g`` inside the stage: r0, r1, c0, c1 (end exclusive); not clamped
    to the grid when ``clamp`` is False (a pooling window may reach past it)."""
    gx, gy = cam.px(g.x, g.y)
    s = cam.scale
    c0, c1 = math.floor((stage.left() - gx) / s), math.ceil((stage.right() - gx) / s)
    r0, r1 = math.floor((stage.top() - gy) / s), math.ceil((stage.bottom() - gy) / s)
    if clamp:
        c0, c1, r0, r1 = max(0, c0), min(g.width, c1), max(0, r0), min(g.height, r1)
    return r0, max(r0, r1), c0, max(c0, c1)


def aligned(lo: int, hi: int, block: int, origin: int = 0) -> range:
    """The lines of a grid drawn in blocks of ``block`` cells from ``origin``: positions lo..hi that are a
    whole number of blocks from it (as many as the visible blocks, never one per cell)."""
    return range(lo + (origin - lo) % block, hi + 1, block)


#: Pixel coordinates are clamped to +-this: a cell of a huge grid zoomed in lies 10^10 pixels away, and the
#: raster engine's fixed-point coordinates must not overflow (whatever is this far off is clipped anyway).
FAR_PX = 1 << 20


def cell_rect(cam: Camera, g: Grid, row: float, col: float, rows: float = 1, cols: float = 1) -> QRectF:
    """Cells' rectangle snapped to whole pixels, so neighbours share edges and fills stay crisp (and
    fast: the grids are painted without antialiasing); clamped to `FAR_PX`."""
    x0, y0 = cam.px(g.x + col, g.y + row)
    x1, y1 = cam.px(g.x + col + cols, g.y + row + rows)
    x0, y0, x1, y1 = (round(max(-FAR_PX, min(FAR_PX, v))) for v in (x0, y0, x1, y1))
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
    ring = locator_rect(rect)
    if ring is None:
        return
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(RING_HALO, 4))  # a pale halo: the ring shows on the dark mode's background too
    p.drawEllipse(rect.center(), LOCATOR_RADIUS, LOCATOR_RADIUS)
    p.setPen(QPen(color, 2))
    p.drawEllipse(rect.center(), LOCATOR_RADIUS, LOCATOR_RADIUS)
    p.restore()


#: Under a locator ring: pale, so a dark ring shows on a dark background (and vanishes on a light one).
RING_HALO = QColor(255, 255, 255, 150)


def locator_rect(rect: QRectF) -> QRectF | None:
    """The square the locator ring around ``rect`` takes (its halo included); None when ``rect`` gets no ring."""
    if min(rect.width(), rect.height()) >= LOCATOR_CELL_PX and max(rect.width(), rect.height()) >= 2 * LOCATOR_CELL_PX:
        return None
    reach = LOCATOR_RADIUS + 2  # the halo's 4-pixel pen
    center = rect.center()
    return QRectF(center.x() - reach, center.y() - reach, 2 * reach, 2 * reach)


def with_alpha(color: QColor, alpha: int) -> QColor:
    c = QColor(color)
    c.setAlpha(alpha)
    return c


def elided(p: QPainter, text: str, x: float, y: float, width: float) -> None:
    metrics = QFontMetricsF(p.font())
    p.drawText(QPointF(x, y), metrics.elidedText(text, Qt.TextElideMode.ElideRight, width))
