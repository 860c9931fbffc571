"""What the canvas shows for one layer, laid out: the grids of each view in *cell units* (one cell = 1.0),
the camera that maps them to pixels (zoom and pan), hit testing, and the paint state (view, step, hover,
options and the two hooks of the numbers mode). No painting here.

The hooks (issue 9): ``PaintState.cell_text(grid, row, col)`` returns the text of a visible cell (None:
nothing), and ``PaintState.caption`` is a line written under the canvas. ``grid`` is "input", "output" or
"matrix"; (row, col) are the cell's place in that grid as drawn: on the direct view's input, padded
coordinates (the stretched, padded input of a transposed convolution; `engine.frames.AxisTrack.source` maps
them back to input units); on the scatter view's output, uncropped coordinates (`ScatterAxis.output`); a 1-D
layer is row 0; a 3-D layer shows its last two axes. Cells get text only when at least
`painter.TEXT_CELL_PX` wide.

The numbers mode itself (issue 9) is ``PaintState.numbers``, a `numbers.NumbersOverlay`: the painter writes
the values into the cells (and the matrix view adds the flattened input x and output y = Cx as grids "x" and
"y"), and two caption lines: the sum and its notes.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage

from ...engine.analysis import Analysis
from ...engine.frames import (
    DATA,
    DIRECT,
    MATRIX,
    OVERLAP,
    PADDING,
    SCATTER,
    ZERO,
    AxisTrack,
    CopyFrames,
    LandingFrames,
    LayerFrames,
    combine_kinds,
    copy_frames,
    landing_frames,
    layer_frames,
)
from ...engine.layers.rearranging import SubPixel
from ...engine.receptive_field import hull
from ..recently_used import RecentlyUsed

if TYPE_CHECKING:  # the numbers mode's modules (engine.numeric: 11 dataclasses) are imported when it is first on
    from .numbers import NumbersOverlay

#: The most pixels per cell the fitted view uses (small layers do not become giant).
MAX_FIT_PX = 56.0
#: Fit's room around the grids: cells (the stacked planes reach 0.7 cell out) and pixels at the sides, above
#: (two lines of grid titles) and below.
FIT_PAD_CELLS = 0.8
FIT_MARGIN_PX = (8.0, 36.0, 8.0)
#: The bands around the grids, in pixels: header (three lines), legend, caption, margins.
HEADER_PX = 64.0
LEGEND_PX = 26.0
#: Each further row of a legend that wraps (a narrow canvas).
LEGEND_ROW_PX = 20.0
CAPTION_PX = 22.0
MARGIN_PX = 10.0
#: Cells narrower than this many pixels carry no numbers in the numbers mode (the canvas says so instead).
NUMBER_CELL_PX = 20.0
#: The smallest cells whose numbers can be read: Fit keeps the matrix view's numbers this large at least.
READABLE_PX = NUMBER_CELL_PX
#: The ring drawn around something too small to see (`draw.locator`): its radius, and the cells small enough to
#: get one (a side under this many pixels, or both under twice as many).
LOCATOR_RADIUS = 14.0
LOCATOR_CELL_PX = 6.0
#: How much higher a grid's title stands when its cells are small enough for a locator ring: clear of a ring
#: around a cell of the grid's top row (`title_gap`); Fit leaves that much more room above the grids then.
LOCATOR_LIFT_PX = 16.0
#: Width of the column that holds the receptive-field miniature.
FIELD_COLUMN_PX = 128.0
#: Below this many pixels per cell (16 cells a pixel on each axis) the canvas says that the grids are too large
#: to draw cell by cell (`coarse_note`): what it shows are blocks of cells.
COARSE_SCALE = 1 / 16
#: From this many layers deep, a receptive field on the network input (a walk back through every layer before,
#: about 50 µs a layer) is computed after the frame is painted rather than before (`PaintState.field_wait`).
DEFER_FIELD_DEPTH = 100

CellText = Callable[[str, int, int], "str | None"]


#: A track of one cell: the row axis of a 1-D layer, drawn as one row.
SINGLE = AxisTrack(1, 0, 0, 1, 1, 1, 1)


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
    #: compute a deep layer's receptive field before painting (exports); False: the widget paints the
    #: miniature as pending and computes it after the frame (`CanvasModel.pending_field`)
    field_wait: bool = True
    numbers: NumbersOverlay | None = None  # the numbers mode (issue 9): values in cells, the sum line

    def caption_lines(self) -> int:
        """Lines under the canvas: the caption's, and two for the numbers mode (the sum, the notes)."""
        lines = len(self.caption.splitlines()) if self.caption else 0
        return lines + (2 if self.numbers is not None and self.chrome else 0)


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
    note: str = ""  # written after the size: "(input 5×5)" under a padded or stretched grid
    sized: bool = True  # the title is followed by the grid's size (not for the matrix, its vectors, planes)

    @property
    def width(self) -> int:
        return self.cols.cells

    @property
    def height(self) -> int:
        return self.rows.cells


def ringed(scale: float) -> bool:
    """Whether cells this large get a locator ring around them (`draw.locator_rect`: a square cell under twice
    `LOCATOR_CELL_PX`)."""
    return scale < 2 * LOCATOR_CELL_PX


def title_gap(scale: float) -> float:
    """How far above its grid a grid title's baseline stands at this zoom: clear of the locator ring around a
    cell of the top row when the cells are small enough to get one (`draw.locator`)."""
    return 6.0 + (LOCATOR_LIFT_PX if ringed(scale) else 0.0)


def plain_track(n: int) -> AxisTrack:
    return AxisTrack(n, 0, 0, 1, 1, 1, n)


@dataclass(frozen=True)
class PlaneLayout:
    """The r² channel planes of a sub-pixel layer (`SubPixel`) as one grid of the canvas: plane i·r + j at
    block row i, block column j (where its cells sit in each r × r block of the fine grid), one empty cell
    between planes. Only the layout is here; which plane feeds which fine cell is the engine's."""

    factor: int
    size: tuple[int, int]  # each plane's rows and columns

    @property
    def extent(self) -> tuple[int, int]:
        r = self.factor
        return r * (self.size[0] + 1) - 1, r * (self.size[1] + 1) - 1

    def at(self, row: int, col: int) -> tuple[int, tuple[int, int]] | None:
        """The plane and its cell drawn at (row, col); None in a gap."""
        (i, y), (j, x) = divmod(row, self.size[0] + 1), divmod(col, self.size[1] + 1)
        if y == self.size[0] or x == self.size[1] or not (0 <= i < self.factor and 0 <= j < self.factor):
            return None
        return i * self.factor + j, (y, x)

    def origin(self, plane: int) -> tuple[int, int]:
        """Where plane ``plane``'s cell (0, 0) is drawn."""
        i, j = divmod(plane, self.factor)
        return i * (self.size[0] + 1), j * (self.size[1] + 1)

    def place(self, plane: int, cell: tuple[int, int]) -> tuple[int, int]:
        row, col = self.origin(plane)
        return row + cell[0], col + cell[1]


def display(position: tuple[int, ...]) -> tuple[int, int]:
    """The (row, col) a position shows at: the last two axes (a 1-D position is row 0)."""
    if len(position) == 1:
        return 0, position[0]
    return position[-2], position[-1]


class FieldCache:
    """Receptive fields on the network input, kept per (analysis object, layer index, axis, coordinate).

    `Analysis.dependencies` walks back through every layer before the selected one, so a layer
    10,000 deep costs about half a second; a step of the animation or a return to a layer must not pay it
    again. The engine computes each axis's interval from that axis's coordinate alone (its runs never mix
    axes), so the cache keeps axes apart: after one row of steps, a new row needs one call, not one a cell.
    (The one exception: a join operand whose path reads only zero padding on one axis drops out on every
    axis; the cache keeps the other axes as first computed.) The miniature shows each axis's hull: a set
    that wraps around a circular border spans the input there.
    Only the few most recent analyses are kept (each edit makes a new one); an analysis is held weakly."""

    ANALYSES = 4
    ENTRIES = 200_000

    def __init__(self) -> None:
        self._tables: RecentlyUsed[int, tuple[weakref.ref, dict]] = RecentlyUsed(self.ANALYSES)
        self.computed = 0  # calls to the engine (tests and the benchmark read it)

    def _table(self, analysis: Analysis) -> dict:
        key = id(analysis)
        entry = self._tables.recall(key)
        if entry is None or entry[0]() is not analysis:
            entry = self._tables.keep(key, (weakref.ref(analysis), {}))
        return entry[1]

    def cached(self, analysis: Analysis, index: int, position: tuple[int, ...]) -> bool:
        table = self._table(analysis)
        return all((index, axis, p) in table for axis, p in enumerate(position))

    def get(self, analysis: Analysis, index: int, position: tuple[int, ...]):
        """The interval per axis of ``position``'s field (None when it has none), computed at most once."""
        table = self._table(analysis)
        keys = [(index, axis, p) for axis, p in enumerate(position)]
        if not all(k in table for k in keys):
            found = analysis.dependencies(index, position)  # what `convdesigner trace` prints
            self.computed += 1
            if len(table) > self.ENTRIES:
                table.clear()
            for axis, k in enumerate(keys):
                table[k] = hull(found[axis]) if found is not None else None
        axes = [table[k] for k in keys]
        return None if any(a is None for a in axes) else tuple(axes)

    def clear(self) -> None:
        self._tables.clear()


#: The canvas's receptive fields, shared by every model (a layer selected again finds its fields).
FIELDS = FieldCache()


@dataclass
class CanvasModel:
    """One layer as the canvas shows it: its frames, the grids of each view, labels; no painting state."""

    analysis: Analysis | None
    index: int | None
    #: a sliding-window layer's frames, or the copies of a pad or sub-pixel layer (`CopyFrames`)
    frames: LayerFrames | CopyFrames | None = None
    _overlap: tuple | None = field(default=None, repr=False)
    _matrix: object | None = field(default=None, repr=False)
    _images: dict = field(default_factory=dict, repr=False)
    #: the output cell whose field the last frame painted as pending (`PaintState.field_wait` False)
    pending_field: tuple[int, ...] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.analysis is not None and self.index is not None and 0 <= self.index < len(self.analysis.layers):
            result = self.analysis.layers[self.index]
            self.frames = layer_frames(result) or copy_frames(result) or landing_frames(result, self.analysis)

    @property
    def result(self):
        if self.analysis is None or self.index is None or not 0 <= self.index < len(self.analysis.layers):
            return None
        return self.analysis.layers[self.index]

    def shown(self) -> tuple:
        """What a frame of this model shows of its analysis, by value: the network input, the results of the
        layer and of every layer above it (the layer's frames and its receptive field follow from them: a
        result's value is its layer, shapes, counts, geometry, sources and wiring) and the layer's errors. Two
        models that give equal values paint equal frames (an edit undone, or a value set back)."""
        result = self.result
        if result is None or self.analysis is None:
            return ()
        return self.analysis.design.input, self.analysis.layers[:self.index + 1], result.errors  # type: ignore[operator]

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

    def overlap_values(self) -> list[int]:
        """The distinct overlap counts, smallest first: a cell's overlap is the product of its axes' counts
        (the layer is separable), so the canvas never builds the full table of a large layer; an axis longer
        than 65,536 units is sampled (`ScatterAxis.count_values`, `overlap_sampled`)."""
        if self._overlap is None and self.frames is not None and self.frames.scatter_axes is not None:
            per_axis = [a.count_values() for a in self.frames.scatter_axes]
            values = {1}
            for counts, _exact in per_axis:
                values = {v * c for v in values for c in counts}
            self._overlap = (sorted(values), not all(exact for _counts, exact in per_axis))
        return list(self._overlap[0]) if self._overlap else [1]

    def overlap_sampled(self) -> bool:
        """Whether `overlap_values` comes from a sample of a long axis (the legend says so)."""
        self.overlap_values()
        return bool(self._overlap and self._overlap[1])

    def cached_image(self, key: tuple, build: Callable[[], QImage]) -> QImage:
        """An image the painter draws often (overlap heat map, matrix), built once per key."""
        if key not in self._images:
            if len(self._images) > 8:  # a few zooms and depths (an overlap image is of the visible cells)
                self._images.clear()
            self._images[key] = build()
        return self._images[key]

    def matrix(self):
        if self._matrix is None and self.frames is not None:
            self._matrix = self.frames.matrix()
        return self._matrix

    def field(self, output: tuple[int, ...]):
        """The exact interval of network-input positions the output cell depends on (`FIELDS` caches it)."""
        if self.analysis is None or self.index is None:
            return None
        return FIELDS.get(self.analysis, self.index, output)

    def field_is_slow(self, output: tuple[int, ...]) -> bool:
        """True when the field of ``output`` is not cached yet and the layer is deep enough for computing it
        to delay a frame (`DEFER_FIELD_DEPTH`)."""
        if self.analysis is None or self.index is None or self.index < DEFER_FIELD_DEPTH:
            return False
        return not FIELDS.cached(self.analysis, self.index, output)

    # -- layout ----------------------------------------------------------------------------------
    def grids(self, view: str, vectors: bool = False) -> list[Grid]:
        """The grids of ``view``; ``vectors``: the matrix view also shows the flattened input x (a row above
        C, each value over its column) and the flattened output y (a column beside C), as in numbers mode."""
        f = self.frames
        if f is None:
            return []
        if isinstance(f, CopyFrames):
            return self._copy_grids(f)
        if view == SCATTER:
            axes = f.scatter_axes or ()
            ins = [plain_track(a.i) for a in axes]
            outs = [AxisTrack(a.o, a.offset, a.full - a.offset - a.o, 1, 1, 1, a.o) for a in axes]
            g_in = Grid("input", 0, 0, _rows_of(ins), _cols_of(ins), "input", "input")
            cropped = any(a.offset > 0 or a.full > a.offset + a.o for a in axes)
            g_out = Grid("output", 0, 0, _rows_of(outs), _cols_of(outs), "output",
                         "output, with the parts the padding crops" if cropped else "output")
            return _side_by_side(g_in, g_out)
        if view == OVERLAP:
            outs = [plain_track(o) for o in f.output_size]
            return [Grid("output", 0, 0, _rows_of(outs), _cols_of(outs), "output", "output: taps per cell")]
        if view == MATRIX:
            m = self.matrix()
            if m is None:
                return []
            name = "Cᵀ" if m.transposed else "C"
            title = f"{name}: {m.rows} output cells × {m.columns} input cells"
            if vectors:  # short titles: the column y stands close to C
                title = f"{name}  ({m.rows}×{m.columns})" if m.columns > 12 else name
            grids = [Grid("matrix", 0, 0, plain_track(m.rows), plain_track(m.columns), "input", title, sized=False)]
            if vectors:
                grids.append(Grid("x", 0, -3, plain_track(1), plain_track(m.columns), "input",
                                  "x: the input, flattened row by row" if m.columns > 12 else "x", sized=False))
                grids.append(Grid("y", m.columns + 2, 0, plain_track(m.rows), plain_track(1), "output",
                                  f"y = {name}x", sized=False))
            return grids
        ins = f.tracks
        outs = [plain_track(o) for o in f.output_size]
        crops = any(t.pad_low < 0 or t.pad_high < 0 for t in ins)
        padded = any(t.pad_low > 0 or t.pad_high > 0 for t in ins)
        stretched = any(t.stretch > 1 for t in ins)  # a stride-1 transposed convolution is not stretched
        title = ", ".join(w for w, on in (("stretched", stretched), ("padded", padded and not crops)) if on)
        title = f"{title} input" if title else "input"
        if crops:
            title += ", cropped where p' < 0"
        real = "×".join(map(str, f.input_size[-2:]))
        note = f"(input {real})" if padded or stretched or crops else ""
        g_in = Grid("input", 0, 0, _rows_of(ins), _cols_of(ins), "input", title, note)
        g_out = Grid("output", 0, 0, _rows_of(outs), _cols_of(outs), "output", "output")
        return _side_by_side(g_in, g_out)

    # -- layers that copy values (pads, PixelShuffle, PixelUnshuffle) ---------------------------------
    def planes(self) -> PlaneLayout | None:
        """The layout of a sub-pixel layer's channel planes (None for every other layer)."""
        f = self.frames
        if not isinstance(f, CopyFrames) or not isinstance(f.copies, SubPixel):
            return None
        return PlaneLayout(f.copies.factor, f.copies.planes_size)

    def _copy_grids(self, f: CopyFrames) -> list[Grid]:
        if isinstance(f, LandingFrames):  # an unpool: its input, and the output its values land in
            ins = [plain_track(n) for n in f.input_size]
            outs = [plain_track(n) for n in f.landing_size]
            return _side_by_side(Grid("input", 0, 0, _rows_of(ins), _cols_of(ins), "input", "input"),
                                 Grid("output", 0, 0, _rows_of(outs), _cols_of(outs), "output", "output"))
        planes = self.planes()
        if planes is None:  # a pad: the input, and the output with its padded cells
            ins = [plain_track(n) for n in f.input_size]
            outs = [plain_track(n) for n in f.output_size]
            axes = f.copies.axes
            pads, crops = any(a.low > 0 or a.high > 0 for a in axes), any(a.low < 0 or a.high < 0 for a in axes)
            title = {(True, False): "padded output", (False, True): "cropped output"}.get((pads, crops), "output")
            if pads and crops:
                title = "padded and cropped output"
            return _side_by_side(Grid("input", 0, 0, _rows_of(ins), _cols_of(ins), "input", "input"),
                                 Grid("output", 0, 0, _rows_of(outs), _cols_of(outs), "output", title))
        rows, cols = planes.extent
        count = planes.factor ** 2
        h, w = planes.size
        up = f.copies.up
        channels = f"channels 0–{count - 1}" if count > 1 else "channel 0"
        plane_grid = Grid("output" if not up else "input", 0, 0, plain_track(rows), plain_track(cols),
                          "input" if up else "output", f"{'input' if up else 'output'} {channels}: {count} plane"
                          f"{'s' if count > 1 else ''} {h}×{w}", sized=False)
        fine_rows, fine_cols = f.output_size
        fine_grid = Grid("output" if up else "input", 0, 0, plain_track(fine_rows), plain_track(fine_cols),
                         "output" if up else "input", f"{'output' if up else 'input'} channel 0")
        return _side_by_side(plane_grid, fine_grid) if up else _side_by_side(fine_grid, plane_grid)

    def copy_position(self, grid: str, row: int, col: int, step: int) -> tuple[str, tuple[int, ...]] | None:
        """What a cell of a copying layer's grid is: ("input" or "output", its element (channel, spatial...),
        channels counted from the first group), the depth taken from ``step`` on a 3-D pad; None in a gap."""
        f = self.frames
        assert isinstance(f, CopyFrames)
        planes = self.planes()
        side = "input" if grid == "input" else "output"
        if planes is not None:
            if (grid == "input") == f.copies.up:  # the planes
                found = planes.at(row, col)
                return None if found is None else (side, (found[0], *found[1]))
            return side, (0, row, col)  # the fine grid
        spatial: tuple[int, ...] = (col,) if f.ndim == 1 else (row, col)
        if f.ndim == 3:
            depth = f.output_of(step)[0]
            spatial = (self.input_depth(step) if grid == "input" else depth, row, col)
        return side, (0, *spatial)

    def input_depth(self, step: int) -> int:
        """The input depth slice a 3-D pad's step shows: the one its output depth copies (the nearest kept one
        where it holds the constant)."""
        f = self.frames
        assert isinstance(f, CopyFrames)
        axis = f.copies.axes[0]
        depth = f.output_of(step)[0]
        source = axis.source(depth)
        return source if source is not None else max(0, min(axis.size - 1, depth - axis.low))

    def copy_step(self, grid: str, row: int, col: int, step: int) -> int | None:
        """The step that shows a clicked cell of a copying layer: an output cell's own, or, for a sub-pixel
        layer, the step of the fine cell a plane's cell feeds or is fed by (None: a pad's input, a gap)."""
        f = self.frames
        assert isinstance(f, CopyFrames)
        found = self.copy_position(grid, row, col, step)
        if found is None:
            return None
        side, element = found
        if isinstance(f, LandingFrames):  # the steps walk the input
            return f.step_of(element[1:]) if side == "input" else None
        planes = self.planes()
        if planes is not None:
            fine = element[1:] if (side == "output") == f.copies.up else f.copies.fine(element[0], element[1:])
            return f.step_of(fine)
        return f.step_of(element[1:]) if side == "output" else None

    def fit(self, stage: QRectF, view: str, vectors: bool = False, step: int | None = None,
            extra_top: float = 0.0, titles: bool = True) -> Camera:
        """The camera that fits the grids of ``view`` into ``stage``, with ``extra_top`` more pixels above them
        (titles that wrap onto more lines: `painter.fitted`); without ``titles`` (a thumbnail), with as little
        room above the grids as beside them. In the matrix view with numbers
        (``vectors``), given the ``step`` on show, never so small that the numbers cannot be read: when the matrix
        needs more room than the canvas has, Fit keeps cells of `READABLE_PX` and centres the current row's
        entries (the view follows the step)."""
        grids = self.grids(view, vectors)
        if not grids:
            return Camera(1.0, stage.left(), stage.top())
        fitted = self._fit(stage, grids, extra_top, titles)
        if view != MATRIX or not vectors or step is None or fitted.scale >= READABLE_PX:
            return fitted
        m = self.matrix()
        columns = sorted(m.row(step)) if m is not None else []
        g = grids[0]
        cx = g.x + ((columns[0] + columns[-1] + 1) / 2 if columns else g.width / 2)
        cy = g.y + step + 0.5
        scale = min(READABLE_PX, MAX_FIT_PX)
        side, top, bottom = fit_margins(titles)
        top += extra_top
        x = stage.center().x() - cx * scale
        y = stage.top() + top + (stage.height() - top) / 2 - cy * scale
        # no room wasted past the grids' ends: the view slides along them as far as they go
        x0, x1 = min(g.x for g in grids), max(g.x + g.width for g in grids)
        y0, y1 = min(g.y for g in grids), max(g.y + g.height for g in grids)
        x = max(min(x, stage.left() + side - x0 * scale), stage.right() - side - x1 * scale)
        y = max(min(y, stage.top() + top - y0 * scale), stage.bottom() - bottom - y1 * scale)
        return Camera(scale, x, y)

    def _fit(self, stage: QRectF, grids: list[Grid], extra_top: float, titles: bool) -> Camera:
        x0 = min(g.x for g in grids)
        y0 = min(g.y for g in grids)
        x1 = max(g.x + g.width for g in grids)
        y1 = max(g.y + g.height for g in grids)
        # Fit fills the stage: a little room in cells for the stacked channel planes, and in pixels for the
        # grid titles above the grids; a huge grid fits far below a pixel per cell
        w, h = (x1 - x0) + 2 * FIT_PAD_CELLS, (y1 - y0) + 2 * FIT_PAD_CELLS
        side, top, bottom = fit_margins(titles)
        top += extra_top
        room_w = max(1.0, stage.width() - 2 * side)

        def scale_for(top: float) -> float:
            return min(room_w / w, max(1.0, stage.height() - top - bottom) / h, MAX_FIT_PX)

        scale = scale_for(top)
        if titles and ringed(scale):  # cells that get a locator ring: their titles stand higher (`title_gap`)
            top += LOCATOR_LIFT_PX
            scale = scale_for(top)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        middle = stage.center().y() + (top - bottom) / 2  # the grids sit below their titles
        return Camera(scale, stage.center().x() - cx * scale, middle - cy * scale)

    def hit(self, camera: Camera, view: str, px: float, py: float,
            vectors: bool = False) -> tuple[str, int, int] | None:
        """The grid cell under pixel (px, py): (grid name, row, col), or None."""
        cx, cy = camera.cell(px, py)
        for g in self.grids(view, vectors):
            col, row = math.floor(cx - g.x), math.floor(cy - g.y)
            if 0 <= col < g.width and 0 <= row < g.height:
                return g.name, row, col
        return None


    def describe(self, view: str, hit: tuple[str, int, int], step: int = 0) -> str:
        """A short description of a cell under the mouse, for the tooltip."""
        grid, row, col = hit
        if isinstance(self.frames, CopyFrames):
            return self._describe_copy(grid, row, col, step)
        if grid in ("x", "y"):
            return f"{grid}[{col if grid == 'x' else row}]: the {'input' if grid == 'x' else 'output'}, flattened"
        g = next((g for g in self.grids(view) if g.name == grid), None)
        if g is None:
            return ""
        where = f"({col})" if g.height == 1 else f"({row}, {col})"
        if grid == "matrix":
            m = self.matrix()
            tap = m.entries.get((row, col)) if m is not None else None
            return f"C row {row} (output cell), column {col} (input cell): " + (
                f"kernel tap {tap}" if tap is not None else "0")
        kind = combine_kinds((g.rows.kind(row), g.cols.kind(col)))
        if grid == "output" and view == SCATTER and kind != DATA:
            return f"uncropped output {where}: cropped by the padding"
        if grid == "output":
            return f"output {where}"
        names = {DATA: "input", PADDING: "zero padding", ZERO: "inserted zero"}
        text = f"{names.get(kind, kind)} at {where}"
        if kind == DATA and (g.rows.stretch > 1 or g.cols.stretch > 1 or g.rows.pad_low or g.cols.pad_low):
            source = (g.cols.source(col),) if g.height == 1 else (g.rows.source(row), g.cols.source(col))
            text += f" = input unit ({', '.join(map(str, source))})"
        return text


    def _describe_copy(self, grid: str, row: int, col: int, step: int) -> str:
        """A copying layer's cell: which element it is and which it copies, or which output cells copy it."""
        f = self.frames
        assert isinstance(f, CopyFrames)
        found = self.copy_position(grid, row, col, step)
        if found is None:
            return ""
        side, element = found
        if isinstance(f, LandingFrames):
            if side == "input":
                count = len(f.copies.may_land(element[1:]))
                return (f"input {_tuple(element)}: lands in one of {count:,} output cell{'s' if count != 1 else ''}, "
                        "where its pool found the maximum")
            return f"output {_tuple(element)}: a value lands here or it is zero"
        if side == "output":
            source = f.copies.source(element)
            held = "the padding's constant" if source is None else f"a copy of input {_tuple(source)}"
            return f"output {_tuple(element)}: {held}"
        planes = self.planes()
        if planes is not None:
            if f.copies.up:
                target = (0, *f.copies.fine(element[0], element[1:]))
            else:
                plane, cell = f.copies.plane(element[1:])
                target = (plane, *cell)
            return f"input {_tuple(element)}: copied to output {_tuple(target)}"
        axes = f.copies.axes[-2:] if f.ndim > 1 else f.copies.axes
        count = 1
        for axis, x in zip(axes, element[-len(axes):]):
            count *= sum(len(r) for r in axis.holders(x))
        return f"input {_tuple(element)}: held by {count:,} output cell{'s' if count != 1 else ''} of this slice"


def _tuple(position: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, position)) + ")"


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


def fit_margins(titles: bool) -> tuple[float, float, float]:
    """Fit's margins (side, top, bottom): room for the grids' titles above them, or none (a thumbnail)."""
    return FIT_MARGIN_PX if titles else (FIT_MARGIN_PX[0],) * 3


def stage_rect(rect: QRectF, state: PaintState, legend_rows: int = 1) -> QRectF:
    """Where the grids go: under the header, above the legend (``legend_rows`` rows: it wraps in a narrow
    canvas; `painter.stage_for` counts them) and the caption, left of the field miniature's column."""
    if not state.chrome:
        return rect.adjusted(4, 4, -4, -4)
    bottom = LEGEND_PX + LEGEND_ROW_PX * max(0, legend_rows - 1) + CAPTION_PX * state.caption_lines()
    right = FIELD_COLUMN_PX if state.show_field and state.view != SCATTER else 0
    return QRectF(rect.left() + MARGIN_PX, rect.top() + HEADER_PX,
                  max(10.0, rect.width() - 2 * MARGIN_PX - right),
                  max(10.0, rect.height() - HEADER_PX - bottom - MARGIN_PX / 2))


def coarse_note(model: CanvasModel, view: str, camera: Camera, vectors: bool = False,
                zoom_hint: bool = True) -> str | None:
    """What the canvas writes over grids too large to draw cell by cell at this zoom (None when they are not):
    the largest grid's size and how many cells a pixel holds; ``zoom_hint``: and that zooming in shows them."""
    if camera.scale >= COARSE_SCALE:
        return None
    grids = model.grids(view, vectors)
    if not grids:
        return None
    g = max(grids, key=lambda g: max(g.width, g.height))
    size = f"{g.width:,}" if g.height == 1 else f"{g.height:,} × {g.width:,}"
    text = (f"{g.name} {size}: too large to draw cell by cell (about {1 / camera.scale:,.0f} cells a pixel on "
            f"each side, drawn in blocks)")
    return text + "; zoom in to see single cells" if zoom_hint else text
