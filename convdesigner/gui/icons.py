"""Action and status icons: the SVGs in resources/icons/actions, tinted to the palette and drawn at any size.

The action icons are line drawings whose strokes say ``currentColor``; `icon` replaces it with the palette's
text colour (so they read on light and dark themes) and renders the SVG at the size and device pixel ratio
each is shown at, when first shown, which keeps them crisp on high-DPI screens. Icons whose name is in
`FIXED_COLOURS` (error, warning, ...) keep their own colours.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from .. import assets

if TYPE_CHECKING:  # importing importlib.abc imports importlib.resources (assets.resource_root)
    from importlib.abc import Traversable

FIXED_COLOURS = frozenset({"error", "warning", "ok", "pending"})


@cache
def _actions_folder() -> Traversable:
    """Where the action icons are (looked up once: the first frame draws 13 of them)."""
    return assets.resource("icons", "actions")


@cache
def _svg_text(name: str) -> str:
    return (_actions_folder() / f"{name}.svg").read_text(encoding="utf-8")


def _render(renderer: QSvgRenderer, size: QSize, scale: float) -> QPixmap:
    pixmap = QPixmap(size * scale)
    pixmap.setDevicePixelRatio(scale)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size.width(), size.height()))
    painter.end()
    return pixmap


def _renderer(name: str, colour: str | None) -> QSvgRenderer:
    text = _svg_text(name)
    if colour is not None:
        text = text.replace("currentColor", colour)
    return QSvgRenderer(QByteArray(text.encode("utf-8")))


class _TintedSvgEngine(QIconEngine):
    """Draws an icon's SVG, tinted, at the size and device pixel ratio it is shown at, the first time it is
    shown so (rendering every size up front cost ~45 ms of the app's start), and keeps each pixmap."""

    def __init__(self, name: str, colour: str | None, disabled: str | None) -> None:
        super().__init__()
        self._key = (name, colour, disabled)
        self._renderers: dict[bool, QSvgRenderer] = {}
        self._pixmaps: dict[tuple[int, int, bool, float], QPixmap] = {}

    def _pixmap(self, size: QSize, mode: QIcon.Mode, scale: float) -> QPixmap:
        name, colour, disabled = self._key
        greyed = mode == QIcon.Mode.Disabled and disabled is not None
        key = (size.width(), size.height(), greyed, scale)
        if key not in self._pixmaps:
            if greyed not in self._renderers:
                self._renderers[greyed] = _renderer(name, disabled if greyed else colour)
            self._pixmaps[key] = _render(self._renderers[greyed], size, scale)
        return self._pixmaps[key]

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self._pixmap(size, mode, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        return self._pixmap(size, mode, scale)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        scale = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        painter.drawPixmap(rect, self._pixmap(rect.size(), mode, scale))

    def clone(self) -> QIconEngine:
        return _TintedSvgEngine(*self._key)


#: The engines of the icons made so far (a QIcon does not keep a Python engine alive by itself).
_ENGINES: list[_TintedSvgEngine] = []


@cache
def _icon(name: str, colour: str | None, disabled: str | None) -> QIcon:
    """The icon in ``colour``, with its disabled form drawn in ``disabled`` (the palette's disabled text
    colour: the style's own greying is hard to tell from enabled on a dark palette)."""
    engine = _TintedSvgEngine(name, colour, disabled)
    _ENGINES.append(engine)
    return QIcon(engine)


def _text_colours() -> tuple[str, str]:
    """The palette's text colour and its disabled text colour."""
    app = QGuiApplication.instance()
    palette = app.palette() if app is not None else QPalette()  # type: ignore[union-attr]
    role = QPalette.ColorRole.WindowText
    normal = palette.color(role)
    disabled = palette.color(QPalette.ColorGroup.Disabled, role)
    if disabled == normal:  # some palettes do not set it: fade towards the background
        background = palette.color(QPalette.ColorRole.Window)
        disabled = QColor((normal.red() + 2 * background.red()) // 3, (normal.green() + 2 * background.green()) // 3,
                          (normal.blue() + 2 * background.blue()) // 3)
    return normal.name(), disabled.name()


def icon(name: str) -> QIcon:
    """The named icon from resources/icons/actions, tinted to the current palette."""
    if name in FIXED_COLOURS:
        return _icon(name, None, None)
    return _icon(name, *_text_colours())


@cache
def application_icon() -> QIcon:
    """The application icon (resources/icons/convdesigner.svg and its PNGs), or an empty icon. Each PNG is
    read when a size near it is first drawn (not all seven at start-up)."""
    result = QIcon()
    folder = assets.resource("icons")
    for size in (16, 32, 48, 64, 128, 256, 512):
        node = folder / f"convdesigner-{size}.png"
        if isinstance(node, Path) and node.is_file():
            result.addFile(str(node), QSize(size, size))
        elif node.is_file():  # not a file on disk (a zip): read now
            pixmap = QPixmap()
            pixmap.loadFromData(node.read_bytes())
            result.addPixmap(pixmap)
    svg = folder / "convdesigner.svg"
    if result.isNull() and svg.is_file():
        return QIcon(str(svg))
    return result


ICON_PROPERTY = "convdesignerIcon"


def set_icon(target, name: str) -> None:
    """Give an action or button the named icon, remembering the name so `retint` can redo it."""
    target.setIcon(icon(name))
    target.setProperty(ICON_PROPERTY, name)


def retint(root) -> None:
    """Redo every remembered icon under ``root`` in the current palette's colour (after a scheme change)."""
    from PySide6.QtCore import QObject

    for child in [root, *root.findChildren(QObject)]:
        name = child.property(ICON_PROPERTY) if hasattr(child, "property") else None
        if isinstance(name, str) and hasattr(child, "setIcon"):
            child.setIcon(icon(name))
