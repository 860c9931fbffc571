"""Painting one frame of a layer's sliding window with QPainter (QtGui only: it paints into a widget, a
QImage for the GIF export and the benchmark, or an SVG generator).

The grids live in *cell units* (one cell = 1.0); a `Camera` maps them to pixels (zoom and pan). Text
(header, legend, caption) is drawn in pixels and never scales. Cost per frame grows with the grid's side,
not its area: the data region is one rectangle, inserted zeros are stripes, grid lines are one
``drawLines`` call over the visible range, and when cells get smaller than `MIN_CELL_PX` the lines merge
into blocks of 2, 4, 8, ... cells (the level of detail).

Two hooks keep the painter open for the numbers mode (issue 9): ``PaintState.cell_text(grid, row, col)``
returns the text of a visible cell (None: nothing), and ``PaintState.caption`` is a line written under the
canvas. ``grid`` is "input", "output" or "matrix"; (row, col) are the cell's place in that grid as drawn:
on the direct view's input, padded coordinates (the stretched, padded input of a transposed convolution;
`engine.frames.AxisTrack.source` maps them back to input units); on the scatter view's output, uncropped
coordinates (`ScatterAxis.output`); a 1-D layer is row 0; a 3-D layer shows its last two axes. Cells get
text only when at least `TEXT_CELL_PX` wide.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import product

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPen

from ...engine.analysis import Analysis
from ...engine.design import axis_name
from ...engine.frames import (
    DATA,
    DIRECT,
    MATRIX,
    OUTSIDE,
    OVERLAP,
    PADDING,
    SCATTER,
    ZERO,
    AxisTrack,
    LayerFrames,
    kernel_shape,
    layer_frames,
)
from ...engine.layers import CATALOG
from ...engine.receptive_field import Resample
from .palette import CanvasPalette, palette_for
from .refcount import protect_none

protect_none()  # see refcount.py: Qt's void calls must not free None on CPython < 3.12

#: Below this many pixels per cell, single cells are not outlined; lines mark blocks of cells instead.
MIN_CELL_PX = 5.0
#: The most pixels per cell the fitted view uses (small layers do not become giant).
MAX_FIT_PX = 56.0
#: Cells at least this large carry text from the cell_text hook.
TEXT_CELL_PX = 16.0
HEADER_PX = 64.0
LEGEND_PX = 26.0
CAPTION_PX = 22.0
MARGIN_PX = 10.0
#: Width of the column that holds the receptive-field miniature.
FIELD_COLUMN_PX = 128.0

CellText = Callable[[str, int, int], "str | None"]

#: Which kind a projected 3-D tap shows: the lowest rank among its depth taps.
KIND_RANK = {DATA: 0, ZERO: 1, PADDING: 2, OUTSIDE: 3}
#: A track of one cell: the row axis of a 1-D layer, drawn as one row.
SINGLE = AxisTrack(1, 0, 0, 1, 1, 1, 1)

VIEW_TITLES = {
    DIRECT: "direct view",
    SCATTER: "scatter view: each input unit writes a kernel-sized patch",
    OVERLAP: "overlap: how many kernel taps reach each output cell",
    MATRIX: "the convolution as a sparse matrix (section 4.1)",
}


@dataclass
class PaintState:
    """What the frame shows besides the layer: view, step (in the view's own steps), hover, options."""

    view: str = DIRECT
    step: int = 0
    hover: tuple[str, int, int] | None = None  # (grid name, row, col) under the mouse
    stacked: bool = False  # draw a few channel planes behind input and output (figure 1.1 / 1.3)
    show_field: bool = True  # the receptive field of the current output cell on the network input
    dark: bool = False
    cell_text: CellText | None = None
    caption: str | None = None
    chrome: bool = True  # header, legend and field miniature (off for thumbnails)


@dataclass
class Camera:
    """Pixels per cell and the pixel position of cell (0, 0)."""

    scale: float
    x: float
    y: float

    def px(self, cx: float, cy: float) -> tuple[float, float]:
        return self.x + cx * self.scale, self.y + cy * self.scale

    def cell(self, px: float, py: float) -> tuple[float, float]:
        return (px - self.x) / self.scale, (py - self.y) / self.scale


@dataclass
class Grid:
    """One grid of a view, in cell units: origin (x, y), its row and column tracks, and its role."""

    name: str
    x: float
    y: float
    rows: AxisTrack
    cols: AxisTrack
    role: str  # "input" or "output"
    title: str = ""

    @property
    def width(self) -> int:
        return self.cols.cells

    @property
    def height(self) -> int:
        return self.rows.cells


def _plain(n: int) -> AxisTrack:
    return AxisTrack(n, 0, 0, 1, 1, 1, n)


def display(position: tuple[int, ...]) -> tuple[int, int]:
    """The (row, col) a position shows at: the last two axes (a 1-D position is row 0)."""
    if len(position) == 1:
        return 0, position[0]
    return position[-2], position[-1]


@dataclass
class CanvasModel:
    """One layer as the canvas shows it: its frames, the grids of each view, labels; no painting state."""

    analysis: Analysis | None
    index: int | None
    frames: LayerFrames | None = None
    _overlap: tuple | None = field(default=None, repr=False)
    _matrix: object | None = field(default=None, repr=False)
    _fields: dict = field(default_factory=dict, repr=False)
    _images: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.analysis is not None and self.index is not None and 0 <= self.index < len(self.analysis.layers):
            self.frames = layer_frames(self.analysis.layers[self.index])

    @property
    def result(self):
        if self.analysis is None or self.index is None or not 0 <= self.index < len(self.analysis.layers):
            return None
        return self.analysis.layers[self.index]

    # -- views and steps -------------------------------------------------------------------------
    def views(self) -> tuple[str, ...]:
        f = self.frames
        if f is None:
            return ()
        views = [DIRECT]
        if f.transposed:
            views += [SCATTER, OVERLAP]
        if f.matrix_fits():
            views.append(MATRIX)
        return tuple(views)

    def step_count(self, view: str) -> int:
        if self.frames is None:
            return 0
        return self.frames.scatter_step_count if view == SCATTER else self.frames.step_count

    def convert_step(self, step: int, old: str, new: str) -> int:
        """The step of view ``new`` that shows what ``step`` of view ``old`` shows (scatter steps are input
        positions, every other view's are output positions)."""
        f = self.frames
        if f is None or (old == SCATTER) == (new == SCATTER):
            return step
        return f.scatter_step_for(step) if new == SCATTER else f.direct_step_for(step)

    def overlap_axes(self) -> tuple[tuple[int, ...], ...]:
        """Per axis, how many (input, tap) pairs reach each output unit; a cell's overlap is their product
        (the layer is separable), so the canvas never builds the full table of a large layer."""
        if self._overlap is None and self.frames is not None and self.frames.scatter_axes is not None:
            self._overlap = tuple(a.counts() for a in self.frames.scatter_axes)
        return self._overlap or ()

    def overlap_values(self) -> list[int]:
        """The distinct overlap counts, smallest first."""
        values = {1}
        for counts in self.overlap_axes():
            values = {v * c for v in values for c in set(counts)}
        return sorted(values)

    def cached_image(self, key: tuple, build: Callable[[], QImage]) -> QImage:
        """An image the painter draws often (overlap heat map, matrix), built once per key."""
        if key not in self._images:
            if len(self._images) > 8:
                self._images.clear()
            self._images[key] = build()
        return self._images[key]

    def matrix(self):
        if self._matrix is None and self.frames is not None:
            self._matrix = self.frames.matrix()
        return self._matrix

    def field(self, output: tuple[int, ...]):
        """The exact interval of network-input positions the output cell depends on (cached)."""
        if self.analysis is None or self.index is None:
            return None
        if output not in self._fields:
            if len(self._fields) > 512:
                self._fields.clear()
            self._fields[output] = self.analysis.dependency_interval(self.index, output)
        return self._fields[output]

    # -- layout ----------------------------------------------------------------------------------
    def grids(self, view: str) -> list[Grid]:
        f = self.frames
        if f is None:
            return []
        if view == SCATTER:
            axes = f.scatter_axes or ()
            ins = [_plain(a.i) for a in axes]
            outs = [AxisTrack(a.o, a.offset, a.full - a.offset - a.o, 1, 1, 1, a.o) for a in axes]
            g_in = Grid("input", 0, 0, _rows_of(ins), _cols_of(ins), "input", "input")
            cropped = any(a.offset > 0 or a.full > a.offset + a.o for a in axes)
            g_out = Grid("output", 0, 0, _rows_of(outs), _cols_of(outs), "output",
                         "output, with the parts the padding crops" if cropped else "output")
            return _side_by_side(g_in, g_out)
        if view == OVERLAP:
            outs = [_plain(o) for o in f.output_size]
            return [Grid("output", 0, 0, _rows_of(outs), _cols_of(outs), "output", "output: taps per cell")]
        if view == MATRIX:
            m = self.matrix()
            if m is None:
                return []
            return [Grid("matrix", 0, 0, _plain(m.rows), _plain(m.columns), "input",
                         f"{'Cᵀ' if m.transposed else 'C'}: {m.rows} output cells × {m.columns} input cells")]
        ins = f.tracks
        outs = [_plain(o) for o in f.output_size]
        title = "input"
        if f.transposed:
            crops = any(t.pad_low < 0 or t.pad_high < 0 for t in ins)
            title = "stretched input, cropped where p' < 0" if crops else "stretched, padded input"
        g_in = Grid("input", 0, 0, _rows_of(ins), _cols_of(ins), "input", title)
        g_out = Grid("output", 0, 0, _rows_of(outs), _cols_of(outs), "output", "output")
        return _side_by_side(g_in, g_out)

    def fit(self, stage: QRectF, view: str) -> Camera:
        grids = self.grids(view)
        if not grids:
            return Camera(1.0, stage.left(), stage.top())
        x0 = min(g.x for g in grids)
        y0 = min(g.y for g in grids)
        x1 = max(g.x + g.width for g in grids)
        y1 = max(g.y + g.height for g in grids)
        pad = 1.0 + 0.04 * max(x1 - x0, y1 - y0)  # room for the grid titles and the stacked planes
        w, h = (x1 - x0) + 2 * pad, (y1 - y0) + 2 * pad
        scale = max(0.05, min(stage.width() / w, stage.height() / h, MAX_FIT_PX))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return Camera(scale, stage.center().x() - cx * scale, stage.center().y() - cy * scale)

    def hit(self, camera: Camera, view: str, px: float, py: float) -> tuple[str, int, int] | None:
        """The grid cell under pixel (px, py): (grid name, row, col), or None."""
        cx, cy = camera.cell(px, py)
        for g in self.grids(view):
            col, row = math.floor(cx - g.x), math.floor(cy - g.y)
            if 0 <= col < g.width and 0 <= row < g.height:
                return g.name, row, col
        return None


def _rows_of(tracks) -> AxisTrack:
    return SINGLE if len(tracks) == 1 else tracks[-2]


def _cols_of(tracks) -> AxisTrack:
    return tracks[-1]


def _side_by_side(left: Grid, right: Grid) -> list[Grid]:
    gap = max(3.0, 0.25 * max(left.width, right.width))
    height = max(left.height, right.height)
    left.x, left.y = 0, (height - left.height) / 2
    right.x, right.y = left.width + gap, (height - right.height) / 2
    return [left, right]


# -- painting ------------------------------------------------------------------------------------

def stage_rect(rect: QRectF, state: PaintState) -> QRectF:
    """Where the grids go: under the header, above the legend (and the caption), left of the field
    miniature's column."""
    if not state.chrome:
        return rect.adjusted(4, 4, -4, -4)
    bottom = LEGEND_PX + (CAPTION_PX if state.caption else 0)
    right = FIELD_COLUMN_PX if state.show_field and state.view != SCATTER else 0
    return QRectF(rect.left() + MARGIN_PX, rect.top() + HEADER_PX,
                  max(10.0, rect.width() - 2 * MARGIN_PX - right),
                  max(10.0, rect.height() - HEADER_PX - bottom - MARGIN_PX / 2))


def paint(painter: QPainter, rect: QRectF, model: CanvasModel, state: PaintState,
          camera: Camera | None = None) -> Camera | None:
    """Paint one frame of ``model`` into ``rect``; returns the camera used (the fitted one when None)."""
    pal = palette_for(state.dark)
    painter.fillRect(rect, pal.background)
    f = model.frames
    if f is None:
        _paint_summary(painter, rect, model, pal)
        return None
    view = state.view if state.view in model.views() else DIRECT
    stage = stage_rect(rect, state)
    cam = camera or model.fit(stage, view)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # axis-aligned cells: crisp and fast
    painter.setClipRect(stage)
    grids = model.grids(view)
    step = max(0, min(state.step, model.step_count(view) - 1))
    if view == DIRECT:
        _paint_direct(painter, stage, cam, model, grids, step, state, pal)
    elif view == SCATTER:
        _paint_scatter(painter, stage, cam, model, grids, step, state, pal)
    elif view == OVERLAP:
        _paint_overlap(painter, stage, cam, model, grids[0], step, state, pal)
    else:
        _paint_matrix(painter, stage, cam, model, grids[0], step, state, pal)
    if state.chrome:
        if f.ndim == 3 and view == DIRECT:
            depth = f.tracks[0].window(f.output_of(step)[0])
            grids[0].title += f" (depth {depth[0]}–{depth[-1]} seen from above)"
        _paint_titles(painter, stage, cam, grids, pal)
    painter.restore()
    if not state.chrome:
        return cam
    output = f.output_of(step) if view != SCATTER else f.output_of(model.convert_step(step, SCATTER, DIRECT))
    if state.show_field and view != SCATTER:
        _paint_field(painter, stage, model, output, pal)
    _paint_header(painter, rect, model, view, step, pal)
    _paint_legend(painter, rect, model, view, state, pal)
    return cam


def _font(size: float, bold: bool = False, mono: bool = False) -> QFont:
    font = QFont("monospace" if mono else "sans-serif")
    font.setPixelSize(max(1, round(size)))
    font.setBold(bold)
    if mono:
        font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def _visible(stage: QRectF, cam: Camera, g: Grid) -> tuple[int, int, int, int]:
    """The range of rows and columns of ``g`` inside the stage: r0, r1, c0, c1 (end exclusive)."""
    gx, gy = cam.px(g.x, g.y)
    s = cam.scale
    c0 = max(0, math.floor((stage.left() - gx) / s))
    c1 = min(g.width, math.ceil((stage.right() - gx) / s))
    r0 = max(0, math.floor((stage.top() - gy) / s))
    r1 = min(g.height, math.ceil((stage.bottom() - gy) / s))
    return r0, max(r0, r1), c0, max(c0, c1)


def _cell_rect(cam: Camera, g: Grid, row: float, col: float, rows: float = 1, cols: float = 1) -> QRectF:
    """Cells' rectangle snapped to whole pixels, so neighbours share edges and fills stay crisp (and
    fast: the grids are painted without antialiasing)."""
    x0, y0 = cam.px(g.x + col, g.y + row)
    x1, y1 = cam.px(g.x + col + cols, g.y + row + rows)
    x0, y0, x1, y1 = round(x0), round(y0), round(x1), round(y1)
    return QRectF(x0, y0, max(1, x1 - x0), max(1, y1 - y0))


def _data_span(track: AxisTrack) -> tuple[int, int]:
    lo = min(max(track.pad_low, 0), track.cells)
    hi = min(max(track.pad_low + track.size, 0), track.cells)
    return lo, hi


def _block(scale: float) -> int:
    """Cells per outlined block at this zoom: 1 when cells are large enough, else a power of two."""
    if scale >= MIN_CELL_PX:
        return 1
    block = 2
    while block * scale < 2 * MIN_CELL_PX:
        block *= 2
    return block


def _paint_grid(p: QPainter, stage: QRectF, cam: Camera, g: Grid, pal: CanvasPalette, fill: QColor,
                line: QColor, planes: int = 0) -> None:
    """A padded grid: padding white with dashed borders, data in ``fill``, inserted zeros white, lines."""
    s = cam.scale
    full = _cell_rect(cam, g, 0, 0, g.height, g.width)
    for n in range(planes, 0, -1):  # channel planes stacked behind, up and to the right
        offset = n * max(4.0, 0.35 * s)
        back = full.translated(offset, -offset)
        p.fillRect(back, fill.lighter(100 + 12 * n))
        p.setPen(QPen(line, 1))
        p.drawRect(back)
    r_lo, r_hi = _data_span(g.rows)
    c_lo, c_hi = _data_span(g.cols)
    has_padding = (r_lo, r_hi, c_lo, c_hi) != (0, g.height, 0, g.width)
    if has_padding:
        p.fillRect(full, pal.padding)
    data = _cell_rect(cam, g, r_lo, c_lo, r_hi - r_lo, c_hi - c_lo)
    p.fillRect(data, fill)
    r0, r1, c0, c1 = _visible(stage, cam, g)
    if g.rows.stretch > 1 or g.cols.stretch > 1:  # the stretched input's inserted zeros, as stripes
        for u in range(max(r0, r_lo), min(r1, r_hi)):
            if g.rows.kind(u) == ZERO:
                p.fillRect(_cell_rect(cam, g, u, c_lo, 1, c_hi - c_lo), pal.zero)
        for u in range(max(c0, c_lo), min(c1, c_hi)):
            if g.cols.kind(u) == ZERO:
                p.fillRect(_cell_rect(cam, g, r_lo, u, r_hi - r_lo, 1), pal.zero)
    block = _block(s)
    gx, gy = cam.px(g.x, g.y)
    gx, gy = round(gx), round(gy)
    if has_padding and block == 1:
        pen = QPen(pal.padding_line, 1, Qt.PenStyle.DashLine)
        p.setPen(pen)
        lines = [QLineF(round(gx + c * s), gy + r0 * s, round(gx + c * s), gy + r1 * s) for c in range(c0, c1 + 1)]
        lines += [QLineF(gx + c0 * s, round(gy + r * s), gx + c1 * s, round(gy + r * s)) for r in range(r0, r1 + 1)]
        p.drawLines(lines)
    if r_hi > r_lo and c_hi > c_lo:
        pen_color = QColor(line)
        if block > 1:
            pen_color.setAlpha(110)
        p.setPen(QPen(pen_color, 1))
        vr0, vr1 = max(r0, r_lo), min(r1, r_hi)
        vc0, vc1 = max(c0, c_lo), min(c1, c_hi)
        cols = [c for c in range(vc0, vc1 + 1) if (c - c_lo) % block == 0]
        rows = [r for r in range(vr0, vr1 + 1) if (r - r_lo) % block == 0]
        lines = [QLineF(round(gx + c * s), gy + vr0 * s, round(gx + c * s), gy + vr1 * s) for c in cols]
        lines += [QLineF(gx + vc0 * s, round(gy + r * s), gx + vc1 * s, round(gy + r * s)) for r in rows]
        p.drawLines(lines)
        p.setPen(QPen(line, 1.5 if s >= MIN_CELL_PX else 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(data)
    if has_padding:
        p.setPen(QPen(pal.padding_line, 1, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(full)


def _cell_lines(p: QPainter, stage: QRectF, cam: Camera, g: Grid, r0: int, r1: int, c0: int, c1: int,
                color: QColor, blocks: bool = False) -> None:
    """Cell borders over rows r0..r1-1 and columns c0..c1-1 (after opaque fills covered them). When cells
    are too small to outline: the block lines if ``blocks``, else nothing."""
    block = _block(cam.scale)
    if block > 1 and not blocks:
        return
    vr0, vr1, vc0, vc1 = _visible(stage, cam, g)
    r0, r1, c0, c1 = max(r0, vr0, 0), min(r1, vr1, g.height), max(c0, vc0, 0), min(c1, vc1, g.width)
    if r1 <= r0 or c1 <= c0:
        return
    gx, gy = cam.px(g.x, g.y)
    s = cam.scale
    top, bottom = round(gy + r0 * s), round(gy + r1 * s)
    left, right = round(gx + c0 * s), round(gx + c1 * s)
    pen_color = QColor(color)
    if block > 1:
        pen_color.setAlpha(110)
    p.setPen(QPen(pen_color, 1))
    lines = [QLineF(round(gx + c * s), top, round(gx + c * s), bottom) for c in range(c0, c1 + 1) if c % block == 0]
    lines += [QLineF(left, round(gy + r * s), right, round(gy + r * s)) for r in range(r0, r1 + 1) if r % block == 0]
    p.drawLines(lines)


def _paint_unvisited(p: QPainter, cam: Camera, g: Grid, pal: CanvasPalette) -> None:
    """Rows and columns no window reaches, tinted, with a note when there is room."""
    brush = QBrush(pal.unvisited)
    for track, is_row in ((g.rows, True), (g.cols, False)):
        span = track.unvisited_range()
        if not len(span):
            continue
        if is_row:
            rect = _cell_rect(cam, g, span.start, 0, len(span), g.width)
        else:
            rect = _cell_rect(cam, g, 0, span.start, g.height, len(span))
        p.fillRect(rect, brush)
        p.setPen(QPen(pal.unvisited.darker(160), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect)


def _paint_text_cells(p: QPainter, stage: QRectF, cam: Camera, g: Grid, state: PaintState,
                      pal: CanvasPalette) -> None:
    """The cell_text hook: text in each visible cell that is large enough to read."""
    if state.cell_text is None or cam.scale < TEXT_CELL_PX:
        return
    r0, r1, c0, c1 = _visible(stage, cam, g)
    if (r1 - r0) * (c1 - c0) > 4096:
        return
    p.setFont(_font(min(14.0, cam.scale * 0.42)))
    p.setPen(pal.text if not state.dark else QColor("#15191d"))
    for r in range(r0, r1):
        for c in range(c0, c1):
            text = state.cell_text(g.name, r, c)
            if text:
                p.drawText(_cell_rect(cam, g, r, c), Qt.AlignmentFlag.AlignCenter, text)


def _at_least(rect: QRectF, px: float = 4.0) -> QRectF:
    """A cell grown about its centre to ``px`` when zoomed out so far that it would vanish."""
    if rect.width() >= px:
        return rect
    grow = (px - rect.width()) / 2
    return rect.adjusted(-grow, -grow, grow, grow)


def _outline(p: QPainter, rect: QRectF, color: QColor, width: float, dashed: bool = False) -> None:
    p.setPen(QPen(color, width, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(rect)


def _locator(p: QPainter, rect: QRectF, color: QColor) -> None:
    """A ring around something too small to see at this zoom."""
    if rect.width() >= 12 and rect.height() >= 12:
        return
    radius = 14.0
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setPen(QPen(color, 2))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawEllipse(rect.center(), radius, radius)
    p.restore()


def _paint_direct(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, grids: list[Grid], step: int,
                  state: PaintState, pal: CanvasPalette) -> None:
    f = model.frames
    assert f is not None
    g_in, g_out = grids
    result = model.result
    planes = min(2, result.input_shape[0] - 1) if state.stacked and result is not None else 0
    out_planes = min(2, result.output_shape[0] - 1) if state.stacked and result is not None else 0
    _paint_grid(p, stage, cam, g_in, pal, pal.input, pal.input_line, planes)
    _paint_unvisited(p, cam, g_in, pal)
    _paint_grid(p, stage, cam, g_out, pal, pal.output, pal.output_line, out_planes)
    frame = f.frame(step)
    out_r, out_c = display(frame.output)
    # output cells already produced (row-major), then the one being produced
    ncols = g_out.width
    if out_r > 0:
        p.fillRect(_cell_rect(cam, g_out, 0, 0, out_r, ncols), pal.output_done)
    if out_c > 0:
        p.fillRect(_cell_rect(cam, g_out, out_r, 0, 1, out_c), pal.output_done)
    current = _at_least(_cell_rect(cam, g_out, out_r, out_c))
    p.fillRect(current, pal.current)
    _cell_lines(p, stage, cam, g_out, 0, out_r + 1, 0, ncols, pal.output_line, blocks=True)
    # the previous window, thin: the stride between steps
    if step > 0 and frame.output[-1] > 0:  # along the row: the stride between steps
        previous = f.frame(step - 1)
        _outline(p, _window_rect(cam, g_in, previous.taps), pal.previous, 1)
    # the kernel's taps at this step, spaced by the dilation (a 3-D window seen along its depth: a cell
    # counts as data when any of its depth taps is)
    shown: dict[tuple[int, int], str] = {}
    for tap in frame.taps:
        cell = display(tap.position)
        if KIND_RANK[tap.kind] < KIND_RANK[shown.get(cell, OUTSIDE)] or cell not in shown:
            shown[cell] = tap.kind
    for (r, c), kind in shown.items():
        rect = _at_least(_cell_rect(cam, g_in, r, c), 3.0)
        if kind == OUTSIDE:
            _outline(p, rect, pal.window, 1, dashed=True)
            continue
        p.fillRect(rect, pal.tap if kind == DATA else pal.tap_padding)
    window = _window_rect(cam, g_in, frame.taps)
    rows = [display(t.position)[0] for t in frame.taps]
    cols = [display(t.position)[1] for t in frame.taps]
    _cell_lines(p, stage, cam, g_in, min(rows), max(rows) + 1, min(cols), max(cols) + 1, pal.input_line)
    _outline(p, window, pal.window, 2)
    _locator(p, window, pal.window)
    _locator(p, current, pal.current)
    _paint_hover_direct(p, cam, model, g_in, g_out, frame.output, state, pal)
    _paint_text_cells(p, stage, cam, g_in, state, pal)
    _paint_text_cells(p, stage, cam, g_out, state, pal)


def _paint_hover_direct(p: QPainter, cam: Camera, model: CanvasModel, g_in: Grid, g_out: Grid,
                        output: tuple[int, ...], state: PaintState, pal: CanvasPalette) -> None:
    """Hovering an input cell: every output cell whose window uses it."""
    if state.hover is None or state.hover[0] != "input" or model.frames is None:
        return
    _, row, col = state.hover
    f = model.frames
    position = _full_position(f.ndim, row, col, output, f, on_input=True)
    _outline(p, _cell_rect(cam, g_in, row, col), pal.hover, 3)
    for cell in f.users(position):
        r, c = display(cell)
        rect = _at_least(_cell_rect(cam, g_out, r, c))
        p.fillRect(rect, _alpha(pal.hover, 120))
        _outline(p, rect, pal.hover, 2)


def _full_position(ndim: int, row: int, col: int, output: tuple[int, ...], f: LayerFrames,
                   on_input: bool) -> tuple[int, ...]:
    """A displayed (row, col) as a full position: 1-D drops the row, 3-D takes the depth of the current
    step (its output depth, or the first padded depth of its window on the input)."""
    if ndim == 1:
        return (col,)
    if ndim == 2:
        return (row, col)
    depth = output[0] * f.tracks[0].s if on_input else output[0]
    return (depth, row, col)


def _window_rect(cam: Camera, g: Grid, taps) -> QRectF:
    rows = [display(t.position)[0] for t in taps]
    cols = [display(t.position)[1] for t in taps]
    return _cell_rect(cam, g, min(rows), min(cols), max(rows) - min(rows) + 1, max(cols) - min(cols) + 1)


def _alpha(color: QColor, alpha: int) -> QColor:
    c = QColor(color)
    c.setAlpha(alpha)
    return c


def _paint_scatter(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, grids: list[Grid], step: int,
                   state: PaintState, pal: CanvasPalette) -> None:
    f = model.frames
    assert f is not None
    g_in, g_out = grids
    _paint_grid(p, stage, cam, g_in, pal, pal.input, pal.input_line)
    _paint_grid(p, stage, cam, g_out, pal, pal.output, pal.output_line)
    frame = f.scatter_frame(step)
    written = _written_before(f, frame.source)
    if written is not None:  # what the earlier input units wrote (kept cells; cropped ones stay white)
        _paint_written(p, cam, g_out, written, pal.output_done)
        _cell_lines(p, stage, cam, g_out, 0, g_out.height, 0, g_out.width, pal.output_line, blocks=True)
    for track, is_row in ((g_out.rows, True), (g_out.cols, False)):  # what the padding crops
        for lo, n in ((0, track.pad_low), (track.pad_low + track.size, track.pad_high)):
            if n > 0:
                rect = (_cell_rect(cam, g_out, lo, 0, n, g_out.width) if is_row
                        else _cell_rect(cam, g_out, 0, lo, g_out.height, n))
                p.fillRect(rect, pal.cropped)
    r, c = display(frame.source)
    source = _at_least(_cell_rect(cam, g_in, r, c))
    p.fillRect(source, pal.tap)
    _outline(p, source, pal.window, 2)
    if step > 0:
        prev = f.scatter_frame(step - 1)
        _outline(p, _patch_rect(cam, g_out, prev.writes), pal.previous, 1)
    seen = set()
    for write in frame.writes:
        rr, cc = display(write.position)
        if (rr, cc) in seen:
            continue
        seen.add((rr, cc))
        rect = _at_least(_cell_rect(cam, g_out, rr, cc), 3.0)
        p.fillRect(rect, pal.current if write.output is not None else pal.tap_padding)
    patch = _patch_rect(cam, g_out, frame.writes)
    rows = [display(w.position)[0] for w in frame.writes]
    cols = [display(w.position)[1] for w in frame.writes]
    _cell_lines(p, stage, cam, g_out, min(rows), max(rows) + 1, min(cols), max(cols) + 1, pal.output_line)
    _outline(p, patch, pal.window, 2)
    _locator(p, patch, pal.window)
    _locator(p, source, pal.window)
    _paint_hover_scatter(p, cam, f, g_in, g_out, frame.source, state, pal)
    _paint_text_cells(p, stage, cam, g_in, state, pal)
    _paint_text_cells(p, stage, cam, g_out, state, pal)


def _written_before(f: LayerFrames, source: tuple[int, ...]) -> list[tuple[set[int], set[int]]] | None:
    """The uncropped output cells that the input units before ``source`` (row-major) write, as a union of
    (rows, cols) products: the full input rows above it, then its own row up to it. Separable per axis, so
    the cost follows the output's side, not the steps before. None for 3-D layers."""
    axes = f.scatter_axes
    if axes is None or f.ndim == 3:
        return None

    def span(axis, count: int) -> set[int]:
        return {u for x in range(count) for u in axis.writes(x)}

    if f.ndim == 1:
        return [({0}, span(axes[0], source[0]))]
    (rows, cols), (x0, x1) = axes, source
    return [(span(rows, x0), span(cols, cols.i)), (set(rows.writes(x0)), span(cols, x1))]


def _runs(values: set[int]) -> list[tuple[int, int]]:
    """Sorted integers as [start, end) runs of consecutive values."""
    runs: list[tuple[int, int]] = []
    for v in sorted(values):
        if runs and runs[-1][1] == v:
            runs[-1] = (runs[-1][0], v + 1)
        else:
            runs.append((v, v + 1))
    return runs


def _paint_written(p: QPainter, cam: Camera, g: Grid, blocks: list[tuple[set[int], set[int]]],
                   color: QColor) -> None:
    """Fill the kept cells of each (rows x cols) block with one rectangle per pair of runs."""
    keep_r = set(range(max(0, g.rows.pad_low), g.rows.pad_low + g.rows.size))
    keep_c = set(range(max(0, g.cols.pad_low), g.cols.pad_low + g.cols.size))
    for rows, cols in blocks:
        for r0, r1 in _runs(rows & keep_r):
            for c0, c1 in _runs(cols & keep_c):
                p.fillRect(_cell_rect(cam, g, r0, c0, r1 - r0, c1 - c0), color)


def _paint_hover_scatter(p: QPainter, cam: Camera, f: LayerFrames, g_in: Grid, g_out: Grid,
                         source: tuple[int, ...], state: PaintState, pal: CanvasPalette) -> None:
    """Hovering an input unit: the patch it writes; hovering an output cell: every input unit whose patch
    reaches it (the units the equivalent convolution gathers)."""
    if state.hover is None:
        return
    grid, row, col = state.hover
    if grid == "input":
        position = _full_position(f.ndim, row, col, source, f, on_input=False)
        _outline(p, _cell_rect(cam, g_in, row, col), pal.hover, 3)
        patch = [display(tuple(x * a.s + t * a.d for x, t, a in zip(position, index, f.scatter_axes or ())))
                 for index in product(*(range(k) for k in f.kernel))]
        for r, c in set(patch):
            rect = _at_least(_cell_rect(cam, g_out, r, c))
            p.fillRect(rect, _alpha(pal.hover, 110))
            _outline(p, rect, pal.hover, 2)
    elif grid == "output":
        position = _full_position(f.ndim, row, col, source, f, on_input=False)
        if f.ndim == 3 and f.scatter_axes:  # the depth the current unit's patch starts at
            position = (source[0] * f.scatter_axes[0].s, row, col)
        _outline(p, _cell_rect(cam, g_out, row, col), pal.hover, 3)
        for cell in f.writers(position):
            r, c = display(cell)
            rect = _at_least(_cell_rect(cam, g_in, r, c))
            p.fillRect(rect, _alpha(pal.hover, 120))
            _outline(p, rect, pal.hover, 2)


def _patch_rect(cam: Camera, g: Grid, writes) -> QRectF:
    rows = [display(w.position)[0] for w in writes]
    cols = [display(w.position)[1] for w in writes]
    return _cell_rect(cam, g, min(rows), min(cols), max(rows) - min(rows) + 1, max(cols) - min(cols) + 1)


def _heat(pal: CanvasPalette, value: int, top: int) -> QColor:
    if value == 0:
        return QColor(pal.unvisited.red(), pal.unvisited.green(), pal.unvisited.blue(), 160)
    t = value / top if top else 1.0
    a, b = pal.output, pal.current
    return QColor(round(a.red() + (b.red() - a.red()) * t), round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


def _overlap_image(model: CanvasModel, depth: int, pal: CanvasPalette) -> QImage:
    """The heat map of one depth slice: a pixel per output cell, coloured by its overlap count."""
    f = model.frames
    assert f is not None
    axes = model.overlap_axes()
    top = max(model.overlap_values())
    factor = axes[0][depth] if f.ndim == 3 else 1
    rows = axes[-2] if f.ndim > 1 else (1,)
    cols = axes[-1]
    palette: dict[int, bytes] = {}
    lines = []
    for cr in rows:
        pixels = []
        for cc in cols:
            n = factor * cr * cc
            if n not in palette:
                color = _heat(pal, n, top)
                palette[n] = bytes((color.red(), color.green(), color.blue(), color.alpha()))
            pixels.append(palette[n])
        lines.append(b"".join(pixels))
    data = b"".join(lines)
    image = QImage(data, len(cols), len(rows), 4 * len(cols), QImage.Format.Format_RGBA8888)
    return image.copy()  # own the pixels (the bytes object goes away)


def _paint_overlap(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, g: Grid, step: int,
                   state: PaintState, pal: CanvasPalette) -> None:
    f = model.frames
    assert f is not None
    output = f.output_of(step)
    depth = output[0] if f.ndim == 3 else 0
    image = model.cached_image(("overlap", state.dark, depth), lambda: _overlap_image(model, depth, pal))
    p.drawImage(_cell_rect(cam, g, 0, 0, g.height, g.width), image)
    _paint_grid_lines(p, stage, cam, g, pal.output_line)
    r, c = display(output)
    current = _cell_rect(cam, g, r, c)
    _outline(p, current, pal.window, 2.5)
    _locator(p, current, pal.window)
    if cam.scale >= TEXT_CELL_PX and state.cell_text is None:
        axes = model.overlap_axes()
        top = max(model.overlap_values())
        factor = axes[0][depth] if f.ndim == 3 else 1
        rows = axes[-2] if f.ndim > 1 else (1,)
        r0, r1, c0, c1 = _visible(stage, cam, g)
        if (r1 - r0) * (c1 - c0) <= 4096:
            p.setFont(_font(min(14.0, cam.scale * 0.45), bold=True))
            for rr in range(r0, r1):
                for cc in range(c0, c1):
                    n = factor * rows[rr] * axes[-1][cc]
                    p.setPen(QColor("#ffffff") if top and n / top > 0.55 else QColor("#15191d"))
                    p.drawText(_cell_rect(cam, g, rr, cc), Qt.AlignmentFlag.AlignCenter, str(n))
    _paint_text_cells(p, stage, cam, g, state, pal)


def _paint_grid_lines(p: QPainter, stage: QRectF, cam: Camera, g: Grid, color: QColor) -> None:
    s = cam.scale
    block = _block(s)
    r0, r1, c0, c1 = _visible(stage, cam, g)
    gx, gy = cam.px(g.x, g.y)
    gx, gy = round(gx), round(gy)
    pen_color = QColor(color)
    if block > 1:
        pen_color.setAlpha(110)
    p.setPen(QPen(pen_color, 1))
    lines = [QLineF(round(gx + c * s), gy + r0 * s, round(gx + c * s), gy + r1 * s)
             for c in range(c0, c1 + 1) if c % block == 0]
    lines += [QLineF(gx + c0 * s, round(gy + r * s), gx + c1 * s, round(gy + r * s))
              for r in range(r0, r1 + 1) if r % block == 0]
    p.drawLines(lines)
    _outline(p, _cell_rect(cam, g, 0, 0, g.height, g.width), color, 1.5)


def _paint_matrix(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, g: Grid, step: int,
                  state: PaintState, pal: CanvasPalette) -> None:
    """C (or Cᵀ): a cell per (output cell, input cell) pair holding the kernel tap that joins them; the row
    of the current output cell highlighted, its entries the window."""
    f = model.frames
    m = model.matrix()
    assert f is not None and m is not None
    def build() -> QImage:
        image = QImage(g.width, g.height, QImage.Format.Format_ARGB32)
        image.fill(pal.padding)
        for (r, c) in m.entries:
            image.setPixelColor(c, r, pal.input)
        return image

    p.drawImage(_cell_rect(cam, g, 0, 0, g.height, g.width), model.cached_image(("matrix", state.dark), build))
    band = _cell_rect(cam, g, step, 0, 1, g.width)
    p.fillRect(band, pal.output)
    for c in m.row(step):
        p.fillRect(_cell_rect(cam, g, step, c), pal.tap)
    _paint_grid_lines(p, stage, cam, g, pal.padding_line)
    # the flattened input, one input row per group of columns (row-major order)
    width = f.input_size[-1]
    if f.ndim > 1 and width < g.width:
        p.setPen(QPen(pal.input_line, 1.5))
        gx, gy = cam.px(g.x, g.y)
        p.drawLines([QLineF(gx + c * cam.scale, gy, gx + c * cam.scale, gy + g.height * cam.scale)
                     for c in range(width, g.width, width)])
    _outline(p, band, pal.window, 2)
    _locator(p, band, pal.window)
    if cam.scale >= TEXT_CELL_PX and state.cell_text is None:
        p.setFont(_font(min(12.0, cam.scale * 0.4)))
        for (r, c), t in m.entries.items():
            index = _unflat(t, f.kernel)
            p.setPen(QColor("#ffffff") if r == step else QColor("#15191d"))
            p.drawText(_cell_rect(cam, g, r, c), Qt.AlignmentFlag.AlignCenter,
                       "w" + "".join(str(v) for v in index) if max(f.kernel) <= 10 else str(t))
    _paint_text_cells(p, stage, cam, g, state, pal)


def _unflat(t: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    out = []
    for n in reversed(shape):
        t, r = divmod(t, n)
        out.append(r)
    return tuple(reversed(out))


def _paint_titles(p: QPainter, stage: QRectF, cam: Camera, grids: list[Grid], pal: CanvasPalette) -> None:
    p.setFont(_font(12))
    p.setPen(pal.muted)
    for g in grids:
        x, y = cam.px(g.x, g.y)
        size = f"{g.width}" if g.height == 1 else f"{g.height}×{g.width}"
        text = f"{g.title}  {size}" if g.name != "matrix" else g.title
        p.drawText(QPointF(x, y - 6), text)


def _axis_labels(model: CanvasModel, view: str) -> list[str]:
    """One label per distinct axis: 'H, W: i=5 k=3 s=2 p=1 d=1 → o=3 · relationship 6 (...)'."""
    f = model.frames
    assert f is not None
    labels: dict[str, list[str]] = {}
    for axis, g in enumerate(f.geometry):
        pad = f"p={g.p_low}" if g.p_low == g.p_high else f"p=({g.p_low}, {g.p_high})"
        if g.transposed:
            eq = g.equivalent
            assert eq is not None
            pad_eq = f"p'={eq.pad_low}" if eq.pad_low == eq.pad_high else f"p'=({eq.pad_low}, {eq.pad_high})"
            text = (f"i'={g.i} k={g.k} s={g.s} p={g.p_low}" + (f" a={g.a}" if g.a else "")
                    + (f" d={g.d}" if g.d != 1 else "") + f" → o'={g.o}")
            if view != SCATTER:
                text += f"  ·  stretched ĩ'={eq.input_size}, {pad_eq}, stride 1"
        else:
            text = f"i={g.i} k={g.k} s={g.s} {pad}" + (f" d={g.d}" if g.d != 1 else "") + f" → o={g.o}"
            if g.ceil_mode:
                text += " (ceil mode)"
        text += f"  ·  {g.relationship}"
        labels.setdefault(text, []).append(axis_name(axis, f.ndim))
    return [f"{', '.join(axes)}: {text}" for text, axes in labels.items()]


def _paint_header(p: QPainter, rect: QRectF, model: CanvasModel, view: str, step: int,
                  pal: CanvasPalette) -> None:
    f = model.frames
    result = model.result
    assert f is not None and result is not None
    x = rect.left() + MARGIN_PX
    y = rect.top() + 17
    title = f"{result.name}  ·  {result.type}  ·  {f.kind}"
    if view == DIRECT and f.transposed:
        title += "  ·  as a direct convolution: stretched input, flipped kernel"
    elif view != DIRECT:
        title += f"  ·  {VIEW_TITLES[view]}"
    k = _text_scale(rect)
    p.setFont(_font(13 * k, bold=True))
    p.setPen(pal.text)
    _elided(p, title, x, y, rect.width() - 2 * MARGIN_PX)
    p.setFont(_font(12 * k))
    p.setPen(pal.text)
    labels = _axis_labels(model, view)
    _elided(p, "    ".join(labels), x, y + 18, rect.width() - 2 * MARGIN_PX)
    total = model.step_count(view)
    if view == SCATTER:
        position = f.scatter_frame(step).source
        where = f"step {step + 1} / {total}: input {_tuple(position)}"
    else:
        where = f"step {step + 1} / {total}: output {_tuple(f.output_of(step))}"
    channels = f"channels {result.input_shape[0]} → {result.output_shape[0]}"
    shape = kernel_shape(result)
    if shape is not None:
        order = "in × out/groups × k" if f.transposed else "out × in/groups × k"
        channels += f"  ·  kernel {'×'.join(map(str, shape))}" + (f" ({order})" if f.ndim < 3 else "")
    else:
        channels += "  ·  each channel pooled on its own"
    if f.ndim == 3 and view != SCATTER:
        z = f.output_of(step)[0]
        depth = f.tracks[0].window(z)
        channels += f"  ·  output depth slice {z + 1} / {f.output_size[0]} (window on padded depth {depth[0]}–{depth[-1]})"
    p.setPen(pal.muted)
    _elided(p, f"{where}    {channels}", x, y + 36, rect.width() - 2 * MARGIN_PX)


def _text_scale(rect: QRectF) -> float:
    """Header and legend text shrink a little in narrow frames (a small GIF), never below 80 %."""
    return max(0.8, min(1.0, rect.width() / 900))


def _tuple(position: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, position)) + ")"


def _elided(p: QPainter, text: str, x: float, y: float, width: float) -> None:
    metrics = QFontMetricsF(p.font())
    p.drawText(QPointF(x, y), metrics.elidedText(text, Qt.TextElideMode.ElideRight, width))


def _legend_items(model: CanvasModel, view: str, pal: CanvasPalette) -> list[tuple[str, QColor, bool]]:
    f = model.frames
    assert f is not None
    items: list[tuple[str, QColor, bool]] = []
    if view in (DIRECT, SCATTER):
        items.append(("input", pal.input, False))
        has_padding = any(t.pad_low > 0 or t.pad_high > 0 for t in f.tracks) if view == DIRECT else False
        if has_padding:
            items.append(("zero padding", pal.padding, True))
        if view == DIRECT and f.transposed and any(g.s > 1 for g in f.geometry):
            items.append(("inserted zeros", pal.zero, False))
        items.append(("kernel taps" if view == DIRECT else "input unit", pal.tap, False))
        if view == DIRECT and any(len(t.unvisited_range()) for t in f.tracks):
            items.append(("never visited", pal.unvisited, False))
        items.append(("output", pal.output, False))
        items.append(("being produced" if view == DIRECT else "written patch", pal.current, False))
        if view == SCATTER:
            items.insert(-1, ("written by earlier units", pal.output_done, False))
            if any(a.offset > 0 for a in f.scatter_axes or ()):
                items.append(("cropped by padding", pal.cropped, True))
        items.append(("hover: outputs using it" if view == DIRECT else "hover", pal.hover, False))
    elif view == OVERLAP:
        values = model.overlap_values()
        items.append((f"taps per output cell: {', '.join(map(str, values[:8]))}", pal.current, False))
        if 0 in values:
            items.append(("never reached", pal.unvisited, False))
        ks = [(g.k, g.s) for g in f.geometry]
        if any(k % s for k, s in ks):
            items.append(("uneven: k is not a multiple of s (checkerboard)", pal.output, False))
    else:
        items.append(("entry: the kernel tap joining output row and input column", pal.input, False))
        items.append(("current output cell's row", pal.tap, False))
    return items


def _paint_legend(p: QPainter, rect: QRectF, model: CanvasModel, view: str, state: PaintState,
                  pal: CanvasPalette) -> None:
    y = rect.bottom() - LEGEND_PX - (CAPTION_PX if state.caption else 0) + 6
    x = rect.left() + MARGIN_PX
    p.setFont(_font(11 * _text_scale(rect)))
    metrics = QFontMetricsF(p.font())
    for label, color, dashed in _legend_items(model, view, pal):
        width = 14 + 5 + metrics.horizontalAdvance(label) + 16
        if x + width > rect.right() - MARGIN_PX:
            break
        swatch = QRectF(x, y, 14, 14)
        p.fillRect(swatch, color)
        _outline(p, swatch, pal.padding_line if dashed else pal.muted, 1, dashed)
        p.setPen(pal.text)
        p.drawText(QPointF(x + 19, y + 11.5), label)
        x += width
    if state.caption:
        p.setFont(_font(13, mono=True))
        p.setPen(pal.text)
        _elided(p, state.caption, rect.left() + MARGIN_PX, rect.bottom() - 8, rect.width() - 2 * MARGIN_PX)


def _paint_field(p: QPainter, stage: QRectF, model: CanvasModel, output: tuple[int, ...],
                 pal: CanvasPalette) -> None:
    """A miniature of the network input with the current output cell's exact receptive field."""
    analysis = model.analysis
    if analysis is None:
        return
    interval = model.field(output)
    if interval is None:
        return
    size = analysis.design.input.size
    rows, cols = (1, size[0]) if len(size) == 1 else (size[-2], size[-1])
    (r_lo, r_hi), (c_lo, c_hi) = ((0, 0), interval[0]) if len(size) == 1 else (interval[-2], interval[-1])
    box = FIELD_COLUMN_PX - 24
    scale = box / max(rows, cols)
    w, h = max(2.0, cols * scale), max(2.0, rows * scale)
    x, y = stage.right() + 18, stage.bottom() - h - 4
    p.fillRect(QRectF(x, y, w, h), pal.input)
    field_rect = QRectF(x + c_lo * scale, y + r_lo * scale, max(1.5, (c_hi - c_lo + 1) * scale),
                        max(1.5, (r_hi - r_lo + 1) * scale))
    p.fillRect(field_rect, pal.field)
    _outline(p, QRectF(x, y, w, h), pal.input_line, 1)
    _locator(p, field_rect, pal.field.darker(140))
    p.setFont(_font(10))
    p.setPen(pal.muted)
    top = y - 20 - (13 if len(size) > 1 else 0)
    p.drawText(QPointF(x, top - 13), "receptive field on")
    p.drawText(QPointF(x, top), f"the input {'×'.join(map(str, size))}:")
    p.setPen(pal.text)
    if len(size) == 1:
        p.drawText(QPointF(x, y - 5), f"{c_lo}–{c_hi}")
    else:
        p.drawText(QPointF(x, y - 18), f"rows {r_lo}–{r_hi}")
        p.drawText(QPointF(x, y - 5), f"cols {c_lo}–{c_hi}")


SUMMARIES = {
    "Activation": "applies a function to every value on its own: the shape does not change",
    "Normalisation": "normalises values with learned scale and shift: the shape does not change",
    "Dropout": "zeroes random values while training: the shape does not change",
    "Linear": "mixes features with a dense weight matrix: no sliding window",
    "Up-sampling": "repeats or interpolates units to a larger size: a fixed resampling, no learned window",
    "Padding": "adds zeros (or crops) at the borders",
    "Skip connection": "joins an earlier layer's output back in",
    "Pooling": "pools each channel over windows that adapt to the input size",
}


def summary_lines(model: CanvasModel) -> list[str]:
    """The friendly text shown for a layer without a sliding window (or one with errors)."""
    result = model.result
    if result is None:
        return ["Select a layer to see its sliding window."]
    if not result.computed:
        problems = [d.text for d in result.errors] or ["an earlier layer has errors, so this one is not computed"]
        return [f"{result.name}  ·  {result.type}", "Not computed:"] + problems
    layer_type = CATALOG.get(result.type)
    shape_in = "×".join(map(str, result.input_shape or ()))
    shape_out = "×".join(map(str, result.output_shape or ()))
    lines = [f"{result.name}  ·  {result.type}", f"{shape_in}  →  {shape_out}"]
    if layer_type is not None:
        lines.append(layer_type.summary)
        what = SUMMARIES.get(layer_type.family)
        if what:
            lines.append(what)
    lines += _source_lines(result)
    if result.params:
        lines.append(f"{result.params:,} parameters")
    lines.append("No sliding window to animate here: pick a convolution, pooling or transposed convolution.")
    return lines


def _source_lines(result, shown: int = 6) -> list[str]:
    """For up-sampling and adaptive pooling: which input units the first output units read, per axis."""
    sources = result.sources
    if not isinstance(sources, tuple) or not sources or not all(isinstance(s, Resample) for s in sources):
        return []
    ndim = len(sources)
    lines = []
    for axis, (src, o) in enumerate(zip(sources, result.output_shape[1:])):
        spans = []
        for y in range(min(o, shown)):
            first, step, count = src.sources(y)
            last = first + step * (count - 1)
            spans.append(f"{y}←{first}" if count == 1 else f"{y}←{first}–{last}")
        more = ", …" if o > shown else ""
        lines.append(f"axis {axis_name(axis, ndim)}: output ← input  {', '.join(spans)}{more}")
    return lines


def _paint_summary(p: QPainter, rect: QRectF, model: CanvasModel, pal: CanvasPalette) -> None:
    lines = summary_lines(model)
    y = rect.center().y() - 14 * len(lines)
    for n, line in enumerate(lines):
        p.setFont(_font(18 if n == 0 else 14, bold=n == 0))
        p.setPen(pal.text if n < 2 else pal.muted)
        p.drawText(QRectF(rect.left() + 20, y, rect.width() - 40, 30), Qt.AlignmentFlag.AlignHCenter, line)
        y += 30 if n == 0 else 26
