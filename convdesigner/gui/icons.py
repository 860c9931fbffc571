"""Action and status icons: the SVGs in resources/icons/actions, tinted to the palette and drawn at any size.

The action icons are line drawings whose strokes say ``currentColor``; `icon` replaces it with the palette's
text colour (so they read on light and dark themes) and renders the SVG at the exact pixel size and device
pixel ratio Qt asks for, which keeps them crisp on high-DPI screens. Icons whose name is in `FIXED_COLOURS`
(error, warning, ...) keep their own colours.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from .. import assets

FIXED_COLOURS = frozenset({"error", "warning", "ok", "pending"})


@cache
def _svg_text(name: str) -> str:
    return assets.resource("icons", "actions", f"{name}.svg").read_text(encoding="utf-8")


class _SvgIconEngine(QIconEngine):
    """Renders one SVG for every size and mode (disabled icons at reduced opacity)."""

    def __init__(self, name: str, colour: str | None) -> None:
        super().__init__()
        self._name = name
        self._colour = colour
        text = _svg_text(name)
        if colour is not None:
            text = text.replace("currentColor", colour)
        self._data = QByteArray(text.encode("utf-8"))

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        renderer = QSvgRenderer(self._data)
        painter.save()
        if mode == QIcon.Mode.Disabled:
            painter.setOpacity(0.35)
        renderer.render(painter, rect)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        pixmap = QPixmap(size * scale)
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return pixmap

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self._name, self._colour)

    def key(self) -> str:
        return "convdesigner-svg"


def _text_colour() -> str:
    app = QGuiApplication.instance()
    palette = app.palette() if app is not None else QPalette()  # type: ignore[union-attr]
    return palette.color(QPalette.ColorRole.WindowText).name()


def icon(name: str) -> QIcon:
    """The named icon from resources/icons/actions, tinted to the current palette."""
    colour = None if name in FIXED_COLOURS else _text_colour()
    return QIcon(_SvgIconEngine(name, colour))


def application_icon() -> QIcon:
    """The application icon (resources/icons/convdesigner.svg and its PNGs), or an empty icon."""
    result = QIcon()
    folder = assets.resource("icons")
    for size in (16, 32, 48, 64, 128, 256, 512):
        node = folder / f"convdesigner-{size}.png"
        if node.is_file():
            pixmap = QPixmap()
            pixmap.loadFromData(node.read_bytes())
            result.addPixmap(pixmap)
    svg = folder / "convdesigner.svg"
    if result.isNull() and svg.is_file():
        return QIcon(str(svg))
    return result
