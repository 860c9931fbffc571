"""A chart of values per layer, painted with QPainter: the analysis docks' plots.

One or more panes stacked over a shared layer axis (x = a layer's position + 1; the receptive-field chart
also shows the network input at x = 0). A pane draws lines (dots on each layer while there are few enough
to tell apart) or bars; the selected layer is marked by a dashed line, or by its bar in the highlight
colour. A click on a layer's bar or points selects it, hovering names it.

Why not pyqtgraph (which drew these before): importing it and numpy took ~0.5 s of CPU, four times a bare Qt
window's whole start, and an edit redrew each plot twice through its scene graph (~14 ms of a 40 ms edit at
200 layers). Painting a few hundred points, bars and ticks directly costs well under a millisecond, and the
axes need only what is here: whole layer numbers that never collide, and value labels a caller writes.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from struct import pack

from PySide6.QtCore import QByteArray, QDataStream, QEvent, QLineF, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
)
from PySide6.QtWidgets import QToolTip, QWidget

from ..recently_used import RecentlyUsed

SERIES = ("#2f6fce", "#e07b39", "#3a9a5b", "#a05ac8")  # one colour per axis / series
HIGHLIGHT = "#d64545"

#: Layers are drawn as dots up to this many points; beyond, the dots would merge into the line.
MAX_DOTS = 120
#: Steps between labelled layer ticks, the smallest whose labels fit is used.
TICK_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)
#: Room (pixels) a value tick asks for on its axis.
VALUE_TICK_PX = 28
BAR_WIDTH = 0.8
#: x values within this distance of a layer's x are that layer (hover and click).
HIT = 0.45
#: How many pictures of its data (everything but the marker) a chart keeps: an undo, a redo or a value set back
#: shows data drawn before (each picture the chart's size: ~0.3 MB at 270 x 240).
KEPT_PICTURES = 4
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter  # value ticks' labels
_TOP = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop  # layer ticks' labels


def blended(colour: QColor, background: QColor, opacity: float) -> QColor:
    """``colour`` at ``opacity`` over ``background``, as one opaque colour."""
    return QColor.fromRgbF(*(opacity * a + (1 - opacity) * b for a, b in
                             zip(colour.getRgbF()[:3], background.getRgbF()[:3])))


@dataclass(frozen=True)
class Series:
    """One line: a value per x from the chart's first x on (NaN: no value there, the line breaks)."""

    label: str
    values: tuple[float, ...]
    colour: str = SERIES[0]


@dataclass(frozen=True)
class Pane:
    """One plot area: its title (the value axis), lines or bars, and how its value ticks are written."""

    title: str
    series: tuple[Series, ...] = ()
    bars: tuple[float, ...] | None = None
    tick_text: Callable[[float], str] = field(default=lambda value: f"{value:g}")
    whole: bool = True  # only whole values are ticked (counts)

    @cached_property
    def top(self) -> float:
        """The largest value drawn (0 without any)."""
        values = [v for s in self.series for v in s.values if v == v] + list(self.bars or ())  # v != v: NaN
        return max(values, default=0.0)


def layer_step(label_px: float, per_layer: float) -> int:
    """The smallest of TICK_STEPS at which labels ``label_px`` wide, ``per_layer`` pixels apart per layer,
    do not collide."""
    return next((step for step in TICK_STEPS if step * per_layer >= label_px), TICK_STEPS[-1])


def value_ticks(top: float, room_px: float, whole: bool) -> list[float]:
    """Ticks from 0 to ``top`` at a 1-2-2.5-5 step leaving VALUE_TICK_PX per tick in ``room_px`` (whole
    steps only for counts)."""
    if top <= 0:
        return []
    wanted = max(1, int(room_px // VALUE_TICK_PX))
    rough = top / wanted
    power = 10.0 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= rough)
    if whole:
        step = max(1.0, math.ceil(step))
    count = int(top / step + 1e-9)
    return [n * step for n in range(count + 1)]


def polygon(xs: Sequence[float], ys: Sequence[float]) -> QPolygonF:
    """The polygon through the points (xs[n], ys[n]), read from their coordinates in QDataStream's documented
    format (a 32-bit count, then each point's x and y as doubles): about four times faster than a QPointF made
    per point in Python (~0.5 ms for a line of 1,000 layers), the very same points."""
    coordinates = array("d", bytes(16 * len(xs)))
    coordinates[0::2] = array("d", xs)
    coordinates[1::2] = array("d", ys)
    if sys.byteorder == "big":
        coordinates.byteswap()
    stream = QDataStream(QByteArray(pack("<I", len(xs)) + coordinates.tobytes()))
    stream.setByteOrder(QDataStream.ByteOrder.LittleEndian)
    found = QPolygonF()
    stream >> found
    return found


def _unbroken(values: Sequence[float]) -> list[tuple[int, int]]:
    """The runs of ``values`` between NaNs (where a line breaks), as (start, end) positions."""
    breaks = [n for n, value in enumerate(values) if value != value]  # value != value: NaN
    return [(start, end) for start, end in zip([0, *(n + 1 for n in breaks)], [*breaks, len(values)]) if end > start]


class LayerChart(QWidget):
    """Panes of values per layer over a shared layer axis; see the module's docstring."""

    #: A layer's bar or points were clicked (the layer's position).
    layerClicked = Signal(int)

    def __init__(self, describe: Callable[[int], str | None], x_title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._describe = describe
        self._x_title = x_title
        self._panes: tuple[Pane, ...] = ()
        self._first_x = 1
        self._count = 0
        self._layers = 0
        self._marker: int | None = None
        self._hovered: int | None = None
        self._static: QPixmap | None = None  # everything but the marker, drawn once per data, size and palette
        #: each pane's plot area and top value as the static pixmap was drawn with (the marker is drawn on them)
        self._drawn: list[tuple[QRectF, float]] = []
        #: the last KEPT_PICTURES static pixmaps and their plot areas, by the data, size, palette and font they
        #: show (emptied when the palette, font or style change)
        self._pictures: RecentlyUsed[tuple, tuple[QPixmap, list[tuple[QRectF, float]]]] = RecentlyUsed(KEPT_PICTURES)
        #: False: draw the static pixmap afresh for every change of data (the tests compare the two)
        self.keep_pictures = True
        #: paint events so far, and static pixmaps drawn (work counts the tests read: one repaint per change)
        self.paints = 0
        self.pictures_drawn = 0
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(120, 80)

    # -- data -------------------------------------------------------------------------------------------

    def set_data(self, panes: Sequence[Pane], first_x: int, count: int, layers: int) -> None:
        """Show ``panes``, whose values are for x = first_x ... first_x + count - 1; ``layers`` x values from
        1 on are layers (selectable). Nothing is redrawn when nothing changed."""
        panes = tuple(panes)
        if (panes, first_x, count, layers) != (self._panes, self._first_x, self._count, self._layers):
            self._panes, self._first_x, self._count, self._layers = panes, first_x, count, layers
            self._static = None
            self.update()

    def set_marker(self, layer: int | None) -> None:
        """Mark the layer at this position (None: none)."""
        if layer != self._marker:
            self._marker = layer
            self.update()

    @property
    def panes(self) -> tuple[Pane, ...]:
        return self._panes

    @property
    def marker(self) -> int | None:
        return self._marker

    # -- geometry ---------------------------------------------------------------------------------------

    def _x_range(self) -> tuple[float, float]:
        return self._first_x - 0.7, self._first_x + max(self._count, 1) - 1 + 0.7

    def _left(self) -> float:
        metrics = QFontMetrics(self.font())
        widest = max((metrics.horizontalAdvance(pane.tick_text(v))
                      for pane, rect in zip(self._panes, self._pane_rects(0))
                      for v in value_ticks(pane.top, rect.height(), pane.whole)), default=0)
        return 6 + metrics.height() + 6 + widest + 6

    def _pane_rects(self, left: float) -> list[QRectF]:
        """Each pane's plot area (inside its axes), top to bottom."""
        metrics = QFontMetrics(self.font())
        bottom = 4 + metrics.height() + 2 + metrics.height() + 6  # tick labels and the axis title
        gap = 10
        count = max(1, len(self._panes))
        height = max(10.0, (self.height() - 8 - bottom - gap * (count - 1)) / count)
        return [QRectF(left, 8 + n * (height + gap), max(10.0, self.width() - left - 12), height)
                for n in range(len(self._panes))]

    def plot_rects(self) -> list[QRectF]:
        return self._pane_rects(self._left())

    def x_at(self, rect: QRectF, x: float) -> float:
        low, high = self._x_range()
        return rect.left() + (x - low) / (high - low) * rect.width()

    @staticmethod
    def value_top(pane: Pane, rect: QRectF) -> float:
        """The value at the top of a pane's plot area (a little above its largest value or tick)."""
        ticks = value_ticks(pane.top, rect.height(), pane.whole)
        return max(pane.top, ticks[-1] if ticks else 0.0) * 1.05 or 1.0

    @staticmethod
    def y_at(rect: QRectF, top: float, value: float) -> float:
        return rect.bottom() - value / top * rect.height()

    def point_at(self, pane: int, x: float, value: float) -> QPoint:
        """Where (x, value) of a pane is drawn, in widget coordinates."""
        rect = self.plot_rects()[pane]
        top = self.value_top(self._panes[pane], rect)
        return QPointF(self.x_at(rect, x), self.y_at(rect, top, value)).toPoint()

    def layer_at(self, position: QPointF) -> int | None:
        """The layer whose x is under ``position`` inside a pane, None away from every layer."""
        rects = self.plot_rects()
        if not any(rect.contains(position) for rect in rects):
            return None
        low, high = self._x_range()
        x = low + (position.x() - rects[0].left()) / rects[0].width() * (high - low)
        index = round(x) - 1
        return index if abs(x - round(x)) <= HIT and 0 <= index < self._layers else None

    def x_ticks(self, rects: list[QRectF] | None = None) -> list[int]:
        """The labelled layer numbers, spaced so that no two labels collide at the current width."""
        if self._count == 0 or not self._panes:
            return []
        last = self._first_x + self._count - 1
        label = QFontMetrics(self.font()).horizontalAdvance(str(last)) + 14
        rect = (rects or self.plot_rects())[-1]
        low, high = self._x_range()
        step = layer_step(label, rect.width() / max(high - low, 1))
        return list(range(self._first_x + -self._first_x % step, last + 1, step))  # the multiples of step

    def y_ticks(self, pane: int, rects: list[QRectF] | None = None) -> list[tuple[float, str]]:
        """(value, label) of a pane's value ticks."""
        rect = (rects or self.plot_rects())[pane]
        chosen = self._panes[pane]
        return [(v, chosen.tick_text(v)) for v in value_ticks(chosen.top, rect.height(), chosen.whole)]

    # -- painting ---------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        """The chart as drawn for its data (kept as a pixmap until the data, size or palette change, and a few
        pictures of data shown before), then the marker over it: a selection repaints a blit and a line."""
        self.paints += 1
        ratio = self.devicePixelRatioF()
        if self._static is None or self._static.size() != self.size() * ratio:
            self._static, self._drawn = self._picture(ratio)
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._static)
        self._paint_marker(painter)
        painter.end()

    def _picture(self, ratio: float) -> tuple[QPixmap, list[tuple[QRectF, float]]]:
        """The static pixmap of the current data at this size: kept from before, or drawn (and kept)."""
        key = (self._panes, self._first_x, self._count, self._layers, self.size(), ratio, self.palette().cacheKey(),
               self.font().key())
        kept = self._pictures.recall(key) if self.keep_pictures else None
        if kept is not None:
            return kept
        pixels = QPixmap(self.size() * ratio)
        pixels.setDevicePixelRatio(ratio)
        painter = QPainter(pixels)
        self._paint_static(painter)
        painter.end()
        self.pictures_drawn += 1
        if self.keep_pictures:
            self._pictures.keep(key, (pixels, self._drawn))
        return pixels, self._drawn

    def resizeEvent(self, event) -> None:
        self._static = None
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._static = None
            self._pictures.clear()
        super().changeEvent(event)

    def _paint_static(self, painter: QPainter) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        base = palette.color(QPalette.ColorRole.Base)
        # the text colour over the background, opaque: Qt's raster engine blends a translucent line one
        # scanline at a time through its thread pool (~0.8 ms for a chart's grid), an opaque one it fills (~0.07)
        muted, grid = blended(text, base, 160 / 255), blended(text, base, 38 / 255)
        painter.fillRect(self.rect(), base)
        rects = self.plot_rects()
        self._drawn = [(rect, self.value_top(pane, rect)) for pane, rect in zip(self._panes, rects)]
        for n, (pane, (rect, top)) in enumerate(zip(self._panes, self._drawn)):
            self._paint_axes(painter, n, rects, top, (text, muted, grid), last=n == len(rects) - 1)
            painter.save()
            painter.setClipRect(rect.adjusted(-4, -4, 4, 4))
            if pane.bars is not None:
                self._paint_bars(painter, pane, rect, top)
            else:
                self._paint_series(painter, pane, rect, top)
            painter.restore()
        if len(self._panes) and len(self._panes[0].series) > 1:
            self._paint_legend(painter, self._panes[0], rects[0], text)

    def _paint_marker(self, painter: QPainter) -> None:
        """The selected layer: a dashed line across the line panes, its bar in the highlight colour (on the
        plot areas the static pixmap was drawn with: nothing measured again)."""
        marked = self._marker
        if marked is None or marked >= self._layers:
            return
        for pane, (rect, top) in zip(self._panes, self._drawn):
            if pane.bars is not None:
                n = marked - self._first_x + 1
                if 0 <= n < len(pane.bars) and pane.bars[n] > 0:
                    painter.fillRect(self._bar(rect, top, n, pane.bars[n]), QColor(HIGHLIGHT))
            else:
                painter.setPen(QPen(QColor(HIGHLIGHT), 1.5, Qt.PenStyle.DashLine))
                x = self.x_at(rect, marked + 1)
                painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))

    def _paint_axes(self, painter: QPainter, number: int, rects: list[QRectF], top: float,
                    colours: tuple[QColor, QColor, QColor], last: bool) -> None:
        text, muted, grid = colours
        pane, rect = self._panes[number], rects[number]
        metrics = painter.fontMetrics()
        values = self.y_ticks(number, rects)
        layers = [(x, self.x_at(rect, x)) for x in self.x_ticks(rects)]
        painter.setPen(grid)
        painter.drawLines([QLineF(rect.left(), self.y_at(rect, top, v), rect.right(), self.y_at(rect, top, v))
                           for v, _label in values] + [QLineF(px, rect.top(), px, rect.bottom()) for _x, px in layers])
        painter.setPen(text)
        for value, label in values:
            y = self.y_at(rect, top, value)
            painter.drawText(QRectF(0, y - metrics.height(), rect.left() - 6, 2 * metrics.height()),
                             _RIGHT, label)
        if last:
            for x, px in layers:
                painter.drawText(QRectF(px - 40, rect.bottom() + 4, 80, metrics.height()),
                                 _TOP, str(x))
        painter.setPen(muted)
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.drawLine(rect.bottomLeft(), rect.topLeft())
        painter.setPen(text)
        painter.save()  # the value axis's title, upright along it
        painter.translate(4, rect.center().y())
        painter.rotate(-90)
        painter.drawText(QRectF(-rect.height() / 2, 0, rect.height(), metrics.height()),
                         Qt.AlignmentFlag.AlignCenter, pane.title if self._count else "")
        painter.restore()
        if last:
            painter.drawText(QRectF(rect.left(), rect.bottom() + 6 + metrics.height(), rect.width(),
                                    metrics.height()), Qt.AlignmentFlag.AlignCenter, self._x_title)

    def _paint_series(self, painter: QPainter, pane: Pane, rect: QRectF, top: float) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        low, high = self._x_range()
        scale_x, scale_y = rect.width() / (high - low), rect.height() / top
        left, bottom = rect.left() - low * scale_x, rect.bottom()
        # more points than pixel pairs: a thin line (a wide antialiased one costs ~10 ms at 1,000 points)
        width = 2 if self._count <= rect.width() / 2 else 0
        xs = [left + x * scale_x for x in range(self._first_x, self._first_x + self._count)]  # shared by the series
        for series in pane.series:
            colour = QColor(series.colour)
            values = series.values
            ys = [bottom - value * scale_y for value in values]
            runs = [polygon(xs[start:end], ys[start:end]) for start, end in _unbroken(values)]
            painter.setPen(QPen(colour, width))
            for run in runs:
                if run.size() > 1:
                    painter.drawPolyline(run)
            if self._count <= MAX_DOTS:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                for run in runs:
                    for point in run:
                        painter.drawEllipse(point, 2.5, 2.5)
                painter.setBrush(Qt.BrushStyle.NoBrush)

    def _bars(self, rect: QRectF, top: float, heights: Sequence[tuple[int, float]]) -> list[QRectF]:
        """The bars of the n-th values of a bar pane, for each (n, value) (the scales worked out once)."""
        low, high = self._x_range()
        scale_x = rect.width() / (high - low)
        half = BAR_WIDTH * scale_x / 2
        x0, first, bottom, tall = rect.left(), self._first_x, rect.bottom(), rect.height()
        return [QRectF(x0 + (first + n - low) * scale_x - half, bottom - height / top * tall, 2 * half,
                       height / top * tall) for n, height in heights]

    def _bar(self, rect: QRectF, top: float, n: int, height: float) -> QRectF:
        """The bar of the n-th value of a bar pane."""
        return self._bars(rect, top, [(n, height)])[0]

    def _paint_bars(self, painter: QPainter, pane: Pane, rect: QRectF, top: float) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(SERIES[0]))
        painter.drawRects(self._bars(rect, top, [(n, height) for n, height in enumerate(pane.bars or ()) if height > 0]))
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_legend(self, painter: QPainter, pane: Pane, rect: QRectF, text: QColor) -> None:
        metrics = painter.fontMetrics()
        y = rect.top() + 4
        for series in pane.series:
            painter.setPen(QPen(QColor(series.colour), 2))
            middle = y + metrics.height() / 2
            painter.drawLine(QPointF(rect.left() + 8, middle), QPointF(rect.left() + 24, middle))
            painter.setPen(text)
            painter.drawText(QPointF(rect.left() + 30, y + metrics.ascent()), series.label)
            y += metrics.height() + 2

    # -- pointer ----------------------------------------------------------------------------------------

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.layer_at(event.position())
        if index != self._hovered or (index is not None and not QToolTip.isVisible()):
            self._hovered = index
            tip = self._describe(index) if index is not None else None
            if tip:
                QToolTip.showText(event.globalPosition().toPoint(), tip, self)
            else:
                QToolTip.hideText()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        self._hovered = None
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.layer_at(event.position()) if event.button() == Qt.MouseButton.LeftButton else None
        if index is not None:
            self.layerClicked.emit(index)
            return
        super().mousePressEvent(event)
