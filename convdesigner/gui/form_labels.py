"""The properties panel's title and shapes line: labels painted once per change, laid out only when their
height changes, and drawn from kept pixels when shown again."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QRegion
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from .recently_used import RecentlyUsed
from .scroll_bar import colour_beneath


class OnePaintLabel(QLabel):
    """A QLabel painted once per change. A label showing rich or selectable text lays its text document out
    as it paints after a change, and the document announces the new layout as an update, which (an update
    asked for during a paint is posted for after it) painted the label a second time, the same pixels: updates
    asked for during its own paint are dropped (Qt's flag for a widget whose updates are off, set directly:
    `setUpdatesEnabled(True)` would ask for an update itself). Not by blocking the signals of QLabel's text
    control: wrapping that object, of a class PySide does not know, had PySide resolve every class it binds,
    ~12 ms of CPU, 59 M instructions, at the properties' first paint."""

    def paintEvent(self, event) -> None:
        disabled = Qt.WidgetAttribute.WA_UpdatesDisabled
        was = self.testAttribute(disabled)
        self.setAttribute(disabled, True)
        try:
            super().paintEvent(event)
        finally:
            self.setAttribute(disabled, was)


#: How many texts a KeptPixelsLabel keeps the pixels of (a title is a few tens of kB).
KEPT_TEXTS = 16


class KeptPixelsLabel(OnePaintLabel):
    """Paints what QLabel paints, over the colour beneath it, from pixels kept by everything the paint reads
    (text, size, device pixel ratio, palette, font, style, enabled and active states, the colour beneath): a
    text shown before (a selection going back to a layer, an edit set back) is one blit instead of laying out
    and drawing rich text (~0.8 ms for the properties' title). `keep` paints a new text into kept pixels once
    it is laid out, before the window's paint (QWidget.render inside a paint would draw on the window).

    What is beneath is the background its window or nearest filled ancestor paints; when that is not one
    opaque colour, or at a fractional device pixel ratio (antialiased pixels depend on where they fall),
    nothing is kept; nor while a selectable text has a selection or the focus (QLabel paints those)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kept: RecentlyUsed[tuple, QImage] = RecentlyUsed(KEPT_TEXTS)
        #: False: paint as QLabel does (the tests compare the two)
        self.keep_pixels = True
        #: texts painted into kept pixels, and paints drawn from them (work counts the tests read)
        self.painted = 0
        self.reused = 0

    def _key(self) -> tuple | None:
        """What the label's pixels are kept by (None: not kept)."""
        ratio = self.devicePixelRatio()
        plain = not (self.hasSelectedText() or self.hasFocus())
        beneath = (colour_beneath(self) if self.keep_pixels and plain and ratio == int(ratio) and not self.size().isEmpty()
                   else None)
        if beneath is None:
            return None
        return (self.text(), self.size().toTuple(), ratio, self.palette().cacheKey(), self.font().key(),
                self.style().name(), self.isEnabled(), self.isActiveWindow(), beneath.rgba())

    def keep(self) -> None:
        """Paint the label's text into kept pixels now, unless they are kept already (call it outside a
        paint, once the label is laid out; a label not on screen keeps nothing)."""
        key = self._key() if self.isVisible() else None
        if key is None or key in self._kept:
            return
        pixels = QImage(self.size() * key[2], QImage.Format.Format_ARGB32_Premultiplied)
        pixels.setDevicePixelRatio(key[2])
        pixels.fill(QColor.fromRgba(key[-1]))
        self.render(pixels, QPoint(), QRegion(), QWidget.RenderFlag(0))  # QLabel's paint, no background
        self._kept.keep(key, pixels)
        self.painted += 1

    def paintEvent(self, event) -> None:
        key = self._key()
        pixels = self._kept.recall(key) if key is not None else None
        if pixels is None:
            super().paintEvent(event)
            return
        self.reused += 1
        painter = QPainter(self)
        painter.drawImage(0, 0, pixels)
        painter.end()


#: How many (text, width) sizes a SteadyLabel keeps (the layers the user goes back and forth between).
KEPT_FITS = 32


class SteadyLabel(QWidget):
    """Holds a word-wrapped QLabel and lays it out at its height for its width: the form is laid out again
    only when that changes, or when the label's minimum width changed where it bounds the form's width. Qt
    lays out every parent of a label again on each new text (QLabel::setText calls updateGeometry): for the
    title and the shapes line, which change on every selection, that laid out the whole form and its scroll
    area twice (~0.7 ms a label), mostly to find the sizes they had. The label fills this widget, which takes
    its place in the layout with the label's hints, so it is shown where and as before. (Its preferred width
    is read when the form is laid out for another reason: inside the scroll area it sizes nothing.)"""

    def __init__(self, label: QLabel, parent: QWidget) -> None:
        super().__init__(parent)
        self.label = label
        label.setParent(self)
        self.setSizePolicy(label.sizePolicy().horizontalPolicy(), QSizePolicy.Policy.Fixed)
        self._height = -1
        self._minimum = label.minimumSizeHint().width()  # the minimum width the layout read last
        #: (text, width, font) -> (height, minimum width): a layer shown again measures nothing
        self._fits: RecentlyUsed[tuple, tuple[int, int]] = RecentlyUsed(KEPT_FITS)
        #: times the form was asked to lay out again for the label, and the label measured (work counts the
        #: tests read)
        self.refits = 0
        self.measures = 0
        self.refit()

    def refit(self) -> None:
        """Ask for a layout when the label's height at this width changed, or its minimum width did where the
        layout would use it (the form as narrow as the widest word): after a new text, a font, a resize."""
        label = self.label
        key = (label.text(), self.width(), label.font().key())
        fit = self._fits.recall(key)
        if fit is None:
            fit = self._fits.keep(key, (label.heightForWidth(self.width()) if label.hasHeightForWidth()
                                        else label.sizeHint().height(), label.minimumSizeHint().width()))
            self.measures += 1
        height, minimum = fit
        if height != self._height or (minimum != self._minimum and max(minimum, self._minimum) >= self.width()):
            self._height = height
            self.refits += 1
            self.updateGeometry()

    def sizeHint(self) -> QSize:
        return QSize(self.label.sizeHint().width(), self._height)

    def minimumSizeHint(self) -> QSize:
        self._minimum = self.label.minimumSizeHint().width()
        return QSize(self._minimum, self._height)

    def event(self, event: QEvent) -> bool:
        # the label's hints may have changed: a new text (the label asks this widget for a layout), a font,
        # a style, or anything while it was hidden
        if event.type() == QEvent.Type.StyleChange:
            self._fits.clear()
        if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Show, QEvent.Type.StyleChange):
            self.refit()
        return super().event(event)

    def resizeEvent(self, event) -> None:
        self.label.setGeometry(self.rect())
        self.refit()
        super().resizeEvent(event)
