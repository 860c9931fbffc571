"""What the canvas tests share: small designs and the screen position of a grid's cell."""

from __future__ import annotations

from PySide6.QtCore import QPoint

from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.gui.canvas import CanvasWidget


def design(*layers: Layer, size: tuple[int, ...] = (6, 6), channels: int = 1) -> Design:
    return Design("test", InputSpec(channels, size), tuple(layers))


def conv(name: str = "conv", **args) -> Layer:
    return Layer.make("Conv2d", name, {"out_channels": 1, "kernel_size": 3, **args})


def cell_center(widget: CanvasWidget, grid_name: str, row: int, col: int, vectors: bool = False) -> QPoint:
    """Where cell (row, col) of grid ``grid_name`` sits on screen; ``vectors``: the matrix view's layout
    with its x and y vectors (numbers mode)."""
    cam = widget.view_widget.current_camera()
    grid = next(g for g in widget.model.grids(widget.view(), vectors) if g.name == grid_name)
    x, y = cam.px(grid.x + col + 0.5, grid.y + row + 0.5)
    zoom = widget.view_widget.text_zoom  # the painter's units are scaled up by it on screen
    return QPoint(round(x * zoom), round(y * zoom))
