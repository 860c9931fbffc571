"""A scroll bar that keeps the pixels of the positions it showed.

Fusion fills a vertical scroll bar with a gradient across it, which Qt's raster engine fills one scanline at
a time through its thread pool (~0.4-0.7 ms for a table's height), and the bar is not opaque (its edges are
translucent), so Qt paints every widget beneath it first (the dock, ~0.2 ms). A far selection scrolls all
three tables: their scroll bars were most of its paint after the rows came from the row cache.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QScrollBar, QStyle, QStyleOptionSlider, QWidget

from .recently_used import RecentlyUsed

#: The events after which the scroll bar looks again at what is beneath it and at its device pixel ratio
#: (DevicePixelRatioChange is Qt 6.6's: a window moved to a screen of another ratio).
FOLLOWED_EVENTS = tuple(getattr(QEvent.Type, name) for name in ("Show", "ParentChange", "PaletteChange",
                                                                 "DevicePixelRatioChange")
                        if hasattr(QEvent.Type, name))

#: How many positions a scroll bar keeps the pixels of (each a few tens of kB for a table's height).
KEPT_POSITIONS = 16


def colour_beneath(widget: QWidget, start: QWidget | None = None) -> QColor | None:
    """The colour Qt paints beneath a widget that paints no background of its own: its window's background,
    or its nearest ancestor's that fills its background (from ``start``, an ancestor known to be below any
    that paints, else its parent); None when that is not one opaque colour."""
    filled = start if start is not None else widget.parentWidget()
    while filled is not None and not (filled.autoFillBackground() or filled.isWindow()):
        filled = filled.parentWidget()
    if filled is None:
        return None
    brush = filled.palette().brush(filled.backgroundRole())
    colour = brush.color()
    return colour if brush.style() == Qt.BrushStyle.SolidPattern and colour.alpha() == 255 else None


class KeptScrollBar(QScrollBar):
    """Paints what QScrollBar paints, over the colour beneath it, and keeps the result by everything the
    style reads (size, range, position, page, state, palette, style, the colour beneath): a position shown
    before (a selection going back to a layer) is one blit.

    What is beneath a scroll bar of a table is the background its window or nearest filled ancestor paints
    (nothing between paints under it): when that is one opaque colour, the scroll bar paints it itself and
    tells Qt it is opaque, so the widgets beneath are not painted for it. Otherwise, under the mouse or while
    dragged (the style's hover and pressed marks are QScrollBar's own), nothing is kept. At any device pixel
    ratio but 1 it is a plain QScrollBar: the widgets beneath show through its antialiased edges there (at 2,
    one pixel of a corner of the layer list's bar is not the colour beneath), and at a fractional ratio Qt
    paints it at a fractional device offset (pixels kept at a whole one put its arrows half a pixel off)."""

    def __init__(self, orientation: Qt.Orientation, parent: QWidget | None = None) -> None:
        """``parent``: the scroll area the bar is made for (Qt moves it into a container of its own)."""
        super().__init__(orientation, parent)
        self._area = parent
        self._kept: RecentlyUsed[tuple, QImage] = RecentlyUsed(KEPT_POSITIONS)
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
        if event.type() in FOLLOWED_EVENTS:
            self._follow_beneath()
        return super().event(event)

    def beneath(self) -> QColor | None:
        """The colour Qt paints beneath this scroll bar (`colour_beneath`). In the scroll area it was made for,
        the walk starts at the area: Qt's container between them paints nothing, and asking for it (a widget of
        a class made in C++, PySide's first such wrapper in a start) has PySide create every QWidget subclass of
        QtWidgets to find its type, ~6 ms of the first frame."""
        area = self._area
        return colour_beneath(self, area if area is not None and area.isAncestorOf(self) else None)

    def _follow_beneath(self) -> None:
        ratio = self.devicePixelRatio()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent,
                          self._keep_pixels and ratio == 1 and self.beneath() is not None)

    def paintEvent(self, event: QPaintEvent) -> None:
        beneath = self.beneath() if self.testAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent) else None
        if beneath is None:
            super().paintEvent(event)
            return
        ratio = self.devicePixelRatio()
        if self.underMouse() or self.isSliderDown() or self.width() <= 0 or self.height() <= 0 or ratio != 1:
            painter = QPainter(self)
            painter.fillRect(self.rect(), beneath)
            painter.end()
            super().paintEvent(event)
            return
        option = QStyleOptionSlider()
        self.initStyleOption(option)  # as QScrollBar::paintEvent does, neither hovered nor pressed
        option.subControls = QStyle.SubControl.SC_All
        option.activeSubControls = QStyle.SubControl.SC_None
        key = (self.size().toTuple(), ratio, beneath.rgba(), option.state.value,
               option.minimum, option.maximum, option.sliderPosition, option.pageStep, option.singleStep,
               option.upsideDown, option.direction, self.palette().cacheKey(), self.style().name())
        pixels = self._kept.recall(key)
        if pixels is None:
            pixels = self._keep(key, option, beneath)
        else:
            self.reused += 1
        painter = QPainter(self)
        painter.drawImage(0, 0, pixels)
        painter.end()

    def _keep(self, key: tuple, option: QStyleOptionSlider, beneath: QColor) -> QImage:
        """The scroll bar drawn over ``beneath``, in an image of its size (at a device pixel ratio of 1 the bar
        falls on whole pixels wherever it is)."""
        ratio = self.devicePixelRatio()
        pixels = QImage(self.size() * ratio, QImage.Format.Format_ARGB32_Premultiplied)
        pixels.setDevicePixelRatio(ratio)
        painter = QPainter(pixels)
        painter.fillRect(self.rect(), beneath)
        self.style().drawComplexControl(QStyle.ComplexControl.CC_ScrollBar, option, painter, self)
        painter.end()
        self.painted += 1
        return self._kept.keep(key, pixels)
