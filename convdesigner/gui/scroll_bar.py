"""A scroll bar that keeps the pixels of the positions it showed.

Fusion fills a vertical scroll bar with a gradient across it, which Qt's raster engine fills one scanline at
a time through its thread pool (~0.4-0.7 ms for a table's height), and the bar is not opaque (its edges are
translucent), so Qt paints every widget beneath it first (the dock, ~0.2 ms). A far selection scrolls all
three tables: their scroll bars were most of its paint after the rows came from the row cache.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QScrollBar, QStyle, QStyleOptionSlider, QWidget

#: How many positions a scroll bar keeps the pixels of (each a few tens of kB for a table's height).
KEPT_POSITIONS = 16


def colour_beneath(widget: QWidget) -> QColor | None:
    """The colour Qt paints beneath a widget that paints no background of its own: its window's background,
    or its nearest ancestor's that fills its background; None when that is not one opaque colour."""
    filled = widget.parentWidget()
    while filled is not None and not (filled.autoFillBackground() or filled.isWindow()):
        filled = filled.parentWidget()
    if filled is None:
        return None
    brush = filled.palette().brush(filled.backgroundRole())
    colour = brush.color()
    return colour if brush.style() == Qt.BrushStyle.SolidPattern and colour.alpha() == 255 else None


class KeptScrollBar(QScrollBar):
    """Paints what QScrollBar paints, over the colour beneath it, and keeps the result by everything the
    style reads (size, place in the window, range, position, page, state, palette, style, the colour
    beneath): a position shown before (a selection going back to a layer) is one blit.

    What is beneath a scroll bar of a table is the background its window or nearest filled ancestor paints
    (nothing between paints under it): when that is one opaque colour, the scroll bar paints it itself and
    tells Qt it is opaque, so the widgets beneath are not painted for it. Otherwise, and under the mouse or
    while dragged (the style's hover and pressed marks are QScrollBar's own), nothing is kept."""

    def __init__(self, orientation: Qt.Orientation, parent: QWidget | None = None) -> None:
        super().__init__(orientation, parent)
        self._kept: OrderedDict[tuple, QImage] = OrderedDict()
        self._keep_pixels = True
        #: paints drawn by the style, and drawn from kept pixels (work counts the tests read)
        self.painted = 0
        self.reused = 0

    @property
    def keep_pixels(self) -> bool:
        """False: paint as QScrollBar does, over the widgets beneath (the tests compare the two)."""
        return self._keep_pixels

    @keep_pixels.setter
    def keep_pixels(self, on: bool) -> None:
        self._keep_pixels = on
        self._follow_beneath()

    def event(self, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Show, QEvent.Type.ParentChange, QEvent.Type.PaletteChange):
            self._follow_beneath()
        return super().event(event)

    def beneath(self) -> QColor | None:
        return colour_beneath(self)

    def _follow_beneath(self) -> None:
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, self._keep_pixels and self.beneath() is not None)

    def paintEvent(self, event: QPaintEvent) -> None:
        beneath = self.beneath() if self.testAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent) else None
        if beneath is None:
            super().paintEvent(event)
            return
        if self.underMouse() or self.isSliderDown() or self.width() <= 0 or self.height() <= 0:
            painter = QPainter(self)
            painter.fillRect(self.rect(), beneath)
            painter.end()
            super().paintEvent(event)
            return
        option = QStyleOptionSlider()
        self.initStyleOption(option)  # as QScrollBar::paintEvent does, neither hovered nor pressed
        option.subControls = QStyle.SubControl.SC_All
        option.activeSubControls = QStyle.SubControl.SC_None
        origin = self.mapTo(self.window(), QPoint(0, 0))
        key = (self.size().toTuple(), self.devicePixelRatio(), origin.toTuple(), beneath.rgba(), option.state.value,
               option.minimum, option.maximum, option.sliderPosition, option.pageStep, option.singleStep,
               option.upsideDown, option.direction, self.palette().cacheKey(), self.style().name())
        pixels = self._kept.get(key)
        if pixels is None:
            pixels = self._keep(key, option, origin, beneath)
        else:
            self._kept.move_to_end(key)
            self.reused += 1
        painter = QPainter(self)
        painter.drawImage(0, 0, pixels)
        painter.end()

    def _keep(self, key: tuple, option: QStyleOptionSlider, origin: QPoint, beneath: QColor) -> QImage:
        """The scroll bar drawn over ``beneath`` as the window paints it at ``origin`` (at a fractional device
        pixel ratio, antialiased and gradient pixels depend on where they fall)."""
        ratio = self.devicePixelRatio()
        # at a whole ratio the bar falls on whole device pixels wherever it is: painted at (0, 0), an image of its
        # size (allocating one from the window's corner cost more than the paint it saves)
        at = QPoint(0, 0) if ratio == int(ratio) else origin
        canvas = QImage(QSize(at.x() + self.width(), at.y() + self.height()) * ratio,
                        QImage.Format.Format_ARGB32_Premultiplied)
        canvas.setDevicePixelRatio(ratio)
        painter = QPainter(canvas)
        painter.translate(at)
        painter.fillRect(self.rect(), beneath)
        self.style().drawComplexControl(QStyle.ComplexControl.CC_ScrollBar, option, painter, self)
        painter.end()
        pixels = canvas if at.isNull() else canvas.copy(QRect(at * ratio, self.size() * ratio))
        pixels.setDevicePixelRatio(ratio)
        self._kept[key] = pixels
        while len(self._kept) > KEPT_POSITIONS:
            self._kept.popitem(last=False)
        self.painted += 1
        return pixels
