"""The sliding-window canvas (issue 5). Contract with the main window:

``CanvasWidget(parent=None)`` is a QWidget for the central area; ``show_layer(analysis, index)`` shows
layer ``index`` of an engine ``Analysis`` (``None`` for either: nothing selected). It keeps its step when
the same layer is shown again after an edit. ``set_view(name)`` picks a view (direct, scatter, overlap,
matrix; the paper gallery's ``transposed`` is the direct view of a transposed convolution).

Modules: ``painter`` paints one frame with QPainter (QtGui only, used by the widget, the exports and the
benchmark); ``widget`` holds the widgets; ``export`` renders GIF, PNG and SVG without a window;
``gallery`` is Help > Paper figures; ``numbers`` is the numbers mode's overlay (the toolbar's Numbers
button, `CanvasWidget.set_numbers`, values edited by clicking a cell, Randomise and Reset). The frame
geometry itself is pure Python: ``engine.frames``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CanvasView", "CanvasWidget"]


def __getattr__(name: str) -> Any:
    """The widgets, imported on first use: ``animate`` renders with QtGui alone (QtWidgets costs 4 MB)."""
    if name in __all__:
        from . import widget

        return getattr(widget, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
