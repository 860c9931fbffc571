"""Painting one frame of a layer's sliding window with QPainter (QtGui only: it paints into a widget, a
QImage for the GIF export and the benchmark, or an SVG generator).

Cost per frame grows with the grid's side, not its area: the data region is one rectangle, inserted zeros
are stripes, grid lines are one ``drawLines`` call over the visible range, the grids are drawn without
antialiasing on whole pixels, and when cells get smaller than `MIN_CELL_PX` the lines merge into blocks of
2, 4, 8, ... cells (the level of detail). Nothing is drawn per kernel tap or per output cell: a window, a
patch and a hover's cells come per axis as progressions (`engine.frames`), cut to the visible range and
merged into runs where they lie closer than a block (`_cells_of`), so a frame of a 10^8-tap kernel costs what
a 3x3 one does at the same zoom (tests/test_canvas_bounds.py counts the calls). The layout is `layout`'s; the
words are `chrome`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPen

from ...engine.frames import (
    COPY,
    DATA,
    DIRECT,
    OUTSIDE,
    OVERLAP,
    PADDING,
    SCATTER,
    ZERO,
    AxisTrack,
    CopyFrames,
    LandingFrames,
    LayerFrames,
    ScatterAxis,
    within,
)
from .chrome import legend_rows, paint_field, paint_header, paint_legend, paint_summary, paint_titles, title_boxes
from .draw import aligned, at_least, cell_rect, font, locator, outline, visible_range, with_alpha
from .layout import (
    NUMBER_CELL_PX,
    Camera,
    CanvasModel,
    Grid,
    PaintState,
    coarse_note,
    display,
    plain_track,
    stage_rect,
)
from .palette import CanvasPalette, heat, palette_for, plane_color

if TYPE_CHECKING:  # the numbers mode's modules (engine.numeric) are imported when it is first on
    from .numbers import CopyNumbers, NumbersOverlay

#: Below this many pixels per cell, single cells are not outlined; lines mark blocks of cells instead.
MIN_CELL_PX = 5.0
#: Cells at least this large carry text from the cell_text hook.
TEXT_CELL_PX = 16.0
#: The most data units of a stretched input drawn as dots when its cells are too small to see.
SPARSE_DOTS = 1024
#: Which kind a projected 3-D tap shows: the lowest rank among its depth taps.
KIND_RANK = {DATA: 0, ZERO: 1, PADDING: 2, OUTSIDE: 3}


def paint(painter: QPainter, rect: QRectF, model: CanvasModel, state: PaintState,
          camera: Camera | None = None) -> Camera | None:
    """Paint one frame of ``model`` into ``rect``; returns the camera used (the fitted one when None)."""
    pal = palette_for(state.dark)
    painter.fillRect(rect, pal.background)
    model.pending_field = None
    f = model.frames
    if f is None:
        paint_summary(painter, rect, model, pal)
        return None
    view = state.view if state.view in model.views() else DIRECT
    stage = stage_for(rect, model, state)
    vectors = state.numbers is not None
    step = max(0, min(state.step, model.step_count(view) - 1))
    cam = camera or fitted(stage, model, state)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # axis-aligned cells: crisp and fast
    painter.setClipRect(stage)
    grids = _titled(model, view, vectors, step, cam)
    if f.kind == COPY:
        _paint_copies(painter, stage, cam, model, grids, step, state, pal)
    elif view == DIRECT:
        _paint_direct(painter, stage, cam, model, grids, step, state, pal)
    elif view == SCATTER:
        _paint_scatter(painter, stage, cam, model, grids, step, state, pal)
    elif view == OVERLAP:
        _paint_overlap(painter, stage, cam, model, grids[0], step, state, pal)
    else:
        _paint_matrix(painter, stage, cam, model, grids, step, state, pal)
    if state.chrome:
        paint_titles(painter, stage, cam, grids, pal, _stack_lift(model, view, state, cam))
    note = coarse_note(model, view, cam, vectors)
    if note is not None:
        _paint_note(painter, stage, note, pal)
    painter.restore()
    if not state.chrome:
        return cam
    if state.show_field and view != SCATTER:
        output = f.field_output(step) if isinstance(f, CopyFrames) else f.output_of(step)
        paint_field(painter, stage, model, output, pal, state.field_wait)
    paint_header(painter, rect, model, view, step, pal)
    captions = state.caption.splitlines() if state.caption else []
    if state.numbers is not None:
        captions += [state.numbers.sum_line(view, step), state.numbers.notes(numbers_hidden(state, cam))]
    paint_legend(painter, rect, model, view, state, pal, captions)
    return cam


def _titled(model: CanvasModel, view: str, vectors: bool, step: int, cam: Camera) -> list[Grid]:
    """The grids of a frame with their titles as drawn: the depth slice a 3-D layer shows, and what a square is
    when the cells merge into squares at this zoom (never silent: exports say it too)."""
    f = model.frames
    grids = model.grids(view, vectors)
    if not grids or f is None:
        return grids
    if f.ndim == 3 and isinstance(f, CopyFrames):
        grids[0].title += f" (depth slice {model.input_depth(step)})"
        grids[1].title += f" (depth slice {f.output_of(step)[0]})"
    elif f.ndim == 3 and view == DIRECT:
        depth = f.tracks[0].window(f.output_of(step)[0])
        grids[0].title += f" (depth {depth[0]}–{depth[-1]} seen from above)"
    merged = merge_note(cam.scale, grids[0].height == 1)
    if merged:
        note = grids[0].note  # "(input 66×66)" or ""
        grids[0].note = f"{note[:-1]}; {merged})" if note.endswith(")") else f"({merged})"
    return grids


#: How many times Fit makes more room above the grids for titles that wrapped (each time the cells shrink a
#: little, so a title may wrap once more).
TITLE_FIT_ROUNDS = 3


def fitted(stage: QRectF, model: CanvasModel, state: PaintState) -> Camera:
    """Fit (`CanvasModel.fit`) with room above the grids for their titles as they wrap at the zoom it gives:
    a long title in a small canvas takes several lines, and none is clipped at the stage's top."""
    view = state.view if state.view in model.views() else DIRECT
    vectors = state.numbers is not None
    step = max(0, min(state.step, model.step_count(view) - 1))
    extra = 0.0
    cam = model.fit(stage, view, vectors, step, titles=state.chrome)
    for _round in range(TITLE_FIT_ROUNDS if state.chrome else 0):
        shown = [g for g in _titled(model, view, vectors, step, cam) if cam.px(g.x, g.y)[1] >= stage.top()]
        boxes = title_boxes(stage, cam, shown, _stack_lift(model, view, state, cam))  # (a grid panned above
        # the stage takes its title along)
        over = stage.top() + 1 - min((box.top() for box, _text in boxes), default=stage.top())
        if over <= 0:
            break
        extra += over
        cam = model.fit(stage, view, vectors, step, extra)
    return cam


def _paint_note(p: QPainter, stage: QRectF, text: str, pal: CanvasPalette) -> None:
    """A note at the bottom of the stage, wrapped to its width, on a plate of the background colour."""
    p.setFont(font(12))
    flags = int(Qt.AlignmentFlag.AlignLeft) | int(Qt.TextFlag.TextWordWrap)
    width = stage.width() - 20
    bounds = QFontMetricsF(p.font()).boundingRect(QRectF(0, 0, width, 10_000), flags, text)
    box = QRectF(stage.left() + 10, stage.bottom() - bounds.height() - 8, width, bounds.height())
    plate = QRectF(box.left() - 6, box.top() - 3, bounds.width() + 12, bounds.height() + 6)
    p.fillRect(plate, with_alpha(pal.background, 235))
    outline(p, plate, pal.muted, 1)
    p.setPen(pal.text)
    p.drawText(box, flags, text)


def stage_for(rect: QRectF, model: CanvasModel, state: PaintState) -> QRectF:
    """Where the grids of ``model`` go in ``rect``: `stage_rect`, with room for as many legend rows as the
    legend needs at this width."""
    if not state.chrome or model.frames is None:
        return stage_rect(rect, state)
    view = state.view if state.view in model.views() else DIRECT
    return stage_rect(rect, state, len(legend_rows(rect, model, view, palette_for(state.dark))))


def numbers_hidden(state: PaintState, cam: Camera) -> bool:
    """The numbers mode is on but the cells are too small to carry legible numbers."""
    return state.numbers is not None and state.numbers.cells_drawn and cam.scale < NUMBER_CELL_PX


def _numbers(state: PaintState, cam: Camera) -> NumbersOverlay | CopyNumbers | None:
    """The overlay whose numbers go into the cells at this zoom (None: none, or hidden)."""
    numbers = state.numbers
    if numbers is None or not numbers.cells_drawn or cam.scale < NUMBER_CELL_PX:
        return None
    return numbers


#: Text on the dark fills (kernel taps, the cell being produced) and on the light ones.
ON_DARK = QColor("#ffffff")
ON_LIGHT = QColor("#15191d")


def _write(p: QPainter, stage: QRectF, cam: Camera, g: Grid, text_of,
           weights: Callable[[int, int], str | None] | None = None) -> None:
    """Write each visible cell's value (``text_of(row, col)`` -> (text, colour) or None) centred, and the
    small text ``weights(row, col)`` (a footprint cell's "×w", as the paper's figures write the kernel; a scattered
    patch's "+x·w") in its bottom-right corner."""
    r0, r1, c0, c1 = visible_range(stage, cam, g)
    if (r1 - r0) * (c1 - c0) > 4096:
        return
    s = cam.scale
    value_font = font(min(18.0, s * (0.4 if weights else 0.46)), bold=True)
    weight_font = font(max(8.0, min(13.0, s * 0.26)))
    for r in range(r0, r1):
        for c in range(c0, c1):
            rect = cell_rect(cam, g, r, c)
            item = text_of(r, c)
            weight = weights(r, c) if weights else None
            if item is not None and item[0]:
                text, color = item
                box = rect.adjusted(0, 0, -s * 0.18, -s * 0.14) if weight is not None else rect
                p.setFont(fitted_font(value_font, text, box.width()))
                p.setPen(color)
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
            if weight is not None:
                p.setFont(weight_font)
                p.setPen(QColor("#d8e6f5") if item is None or item[1] == ON_DARK else QColor("#1d3557"))
                p.drawText(rect.adjusted(0, 0, -max(2.0, s * 0.07), -max(1.0, s * 0.04)),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, weight)


#: A value's text never takes more than this share of its cell's width (neighbours never run together).
TEXT_WIDTH_SHARE = 0.86


def fitted_font(base: QFont, text: str, width: float) -> QFont:
    """``base``, shrunk as far as needed for ``text`` to fit TEXT_WIDTH_SHARE of ``width`` ("-12.5" in a small
    cell is written smaller, never across its neighbours)."""
    advance = QFontMetricsF(base).horizontalAdvance(text)
    room = width * TEXT_WIDTH_SHARE
    if advance <= room:
        return base
    smaller = QFont(base)
    smaller.setPixelSize(max(1, int(base.pixelSize() * room / advance)))
    return smaller


def _numbers_direct(p: QPainter, stage: QRectF, cam: Camera, numbers: NumbersOverlay, g_in: Grid, g_out: Grid,
                    frame, pal: CanvasPalette) -> None:
    """Direct view: the (padded, stretched) input's values, the weights in the footprint, the output's
    values; the cells already produced and the one being produced in full colour, the rest faint."""
    from .numbers import cell_text

    muted = QColor("#6b7785")  # the zeros of padding and stretching: the cells stay paper-white in dark mode

    def input_text(r: int, c: int):
        text = cell_text(numbers.input_value(r, c))
        if text is None:
            return None
        tap = frame.tap_at((c,) if len(frame.windows) == 1 else (r, c))
        kind = tap.kind if tap is not None else None
        if kind == DATA:
            return text, ON_DARK
        data = g_in.rows.kind(r) == DATA and g_in.cols.kind(c) == DATA
        return text, ON_LIGHT if data or kind is not None else muted

    out_r, out_c = display(frame.output)
    current = out_r * g_out.width + out_c
    faint = QColor(ON_LIGHT)
    faint.setAlpha(90)

    def output_text(r: int, c: int):
        flat = r * g_out.width + c
        color = ON_DARK if flat == current else ON_LIGHT if flat < current else faint
        return cell_text(numbers.output_value(r, c)), color

    _write(p, stage, cam, g_in, input_text, lambda r, c: numbers.weight_at(frame.step, r, c))
    _write(p, stage, cam, g_out, output_text)


def _numbers_scatter(p: QPainter, stage: QRectF, cam: Camera, numbers: NumbersOverlay, g_in: Grid, g_out: Grid,
                     frame, pal: CanvasPalette) -> None:
    """Scatter view: the input's values, and the output filling up: each cell the sum of what the input
    cells scattered so far wrote into it; the current patch says what this input cell added (+x·w)."""
    from .numbers import cell_text

    source = display(frame.source)

    def input_text(r: int, c: int):
        return cell_text(numbers.source_value(r, c)), ON_DARK if (r, c) == source else ON_LIGHT

    patch = {display(w.position) for w in frame.writes}

    def output_text(r: int, c: int):
        text = cell_text(numbers.scatter_value(frame.step, r, c))
        return None if text is None else (text, ON_DARK if (r, c) in patch else ON_LIGHT)

    _write(p, stage, cam, g_in, input_text)
    added = numbers.scatter_added(frame.step)
    _write(p, stage, cam, g_out, output_text, lambda r, c: added.get((r, c)))


def _numbers_matrix(p: QPainter, stage: QRectF, cam: Camera, numbers: NumbersOverlay, grids: list[Grid], step: int,
                    pal: CanvasPalette) -> None:
    """Matrix view: C's weights (Cᵀ for a transposed convolution), the flattened input x over its columns
    and the flattened output y = Cx beside its rows."""
    from .numbers import cell_text

    g, g_x, g_y = grids
    m = numbers.matrix()
    row_columns = set(m.row(step)) if m is not None else set()

    def entry(r: int, c: int):
        value = numbers.matrix_entry(r, c)
        return None if value is None else (cell_text(value), ON_DARK if r == step else ON_LIGHT)

    _write(p, stage, cam, g, entry)
    _write(p, stage, cam, g_x, lambda _r, c: (cell_text(numbers.flat_input(c)),
                                              ON_DARK if c in row_columns else ON_LIGHT))
    _write(p, stage, cam, g_y, lambda r, _c: (cell_text(numbers.flat_output(r)),
                                              ON_DARK if r == step else ON_LIGHT))


def _data_span(track: AxisTrack) -> tuple[int, int]:
    lo = min(max(track.pad_low, 0), track.cells)
    hi = min(max(track.pad_low + track.size, 0), track.cells)
    return lo, hi


def _cells_of(positions: range, lo: int, hi: int, block: int) -> list[tuple[int, int]]:
    """The cells of ``positions`` inside [lo, hi) as (first, count) runs to fill: one run when they lie at
    most a level-of-detail block apart (they merge on screen), else one per position, which is at most
    (hi - lo) / block + 1: the cost follows the visible blocks, never the kernel."""
    shown = within(positions, lo, hi)
    if not shown:
        return []
    if shown.step <= block:
        return [(shown[0], shown[-1] - shown[0] + 1)]
    return [(u, 1) for u in shown]


def _zero_runs(track: AxisTrack, lo: int, hi: int, block: int) -> list[tuple[int, int]]:
    """The inserted zeros of a stretched axis inside [lo, hi), as runs between its data units: one per
    visible data unit; when the data units lie closer than a block, the whole span (it reads as zeros)."""
    start = max(lo, track.pad_low, 0)
    stop = min(hi, track.pad_low + track.size, track.cells)
    if stop <= start:
        return []
    if track.stretch <= block:
        return [(start, stop - start)]
    data = within(range(track.pad_low, track.pad_low + track.size, track.stretch), start, stop)
    edges = [start - 1, *data, stop]
    return [(a + 1, b - a - 1) for a, b in zip(edges, edges[1:]) if b - a > 1]


def _runs_where(test: Callable[[int], bool], lo: int, hi: int, block: int) -> list[tuple[int, int]]:
    """The cells u in [lo, hi) for which ``test(u)``, as (first, count) runs, asked once per level-of-detail
    block (its first cell speaks for it): as many questions as visible blocks."""
    runs: list[tuple[int, int]] = []
    for u in range(lo - lo % block, hi, block):
        if test(u):
            first = max(u, lo)
            end = min(u + block, hi)
            if runs and runs[-1][0] + runs[-1][1] == first:
                runs[-1] = (runs[-1][0], end - runs[-1][0])
            else:
                runs.append((first, end - first))
    return runs


def merge_note(scale: float, one_row: bool) -> str:
    """What a square is when cells are merged into blocks at this zoom ("1 square = 4×4 cells"), else ""."""
    block = _block(scale)
    if block == 1:
        return ""
    return f"1 square = {block} cells" if one_row else f"1 square = {block}×{block} cells"


def _block(scale: float) -> int:
    """Cells per outlined block at this zoom: 1 when cells are large enough, else a power of two."""
    if scale >= MIN_CELL_PX:
        return 1
    block = 2
    while block * scale < 2 * MIN_CELL_PX:
        block *= 2
    return block


#: The most channel planes drawn stacked behind a grid (the toolbar's Channel planes).
STACKED_PLANES = 2


def plane_offset(scale: float) -> float:
    """How far up and right each stacked channel plane stands behind the one before it, at this zoom."""
    return max(4.0, 0.35 * scale)


def _stack_lift(model: CanvasModel, view: str, state: PaintState, cam: Camera) -> float:
    """How much higher the grid titles stand when channel planes are stacked behind the grids (clear of them)."""
    result = model.result
    if not state.stacked or view != DIRECT or model.planes() is not None or result is None:
        return 0.0
    planes = min(STACKED_PLANES, max(result.input_shape[0], result.output_shape[0]) - 1)
    return planes * plane_offset(cam.scale)


def _paint_grid(p: QPainter, stage: QRectF, cam: Camera, g: Grid, pal: CanvasPalette, fill: QColor,
                line: QColor, planes: int = 0) -> None:
    """A padded grid: padding white with dashed borders, data in ``fill``, inserted zeros white, lines."""
    s = cam.scale
    full = cell_rect(cam, g, 0, 0, g.height, g.width)
    for n in range(planes, 0, -1):  # channel planes stacked behind, up and to the right
        offset = n * plane_offset(s)
        back = full.translated(offset, -offset)
        p.fillRect(back, fill.lighter(100 + 12 * n))
        p.setPen(QPen(line, 1))
        p.drawRect(back)
    r_lo, r_hi = _data_span(g.rows)
    c_lo, c_hi = _data_span(g.cols)
    has_padding = (r_lo, r_hi, c_lo, c_hi) != (0, g.height, 0, g.width)
    if has_padding:
        p.fillRect(full, pal.padding)
    data = cell_rect(cam, g, r_lo, c_lo, r_hi - r_lo, c_hi - c_lo)
    p.fillRect(data, fill)
    r0, r1, c0, c1 = visible_range(stage, cam, g)
    block = _block(s)
    for track, lo, hi, is_row in ((g.rows, r0, r1, True), (g.cols, c0, c1, False)):
        if track.stretch > 1:  # the stretched input's inserted zeros, as stripes
            for u, n in _zero_runs(track, lo, hi, block):
                p.fillRect(cell_rect(cam, g, u, c_lo, n, c_hi - c_lo) if is_row
                           else cell_rect(cam, g, r_lo, u, r_hi - r_lo, n), pal.zero)
    if max(g.rows.stretch, g.cols.stretch) > 1 and s < 3.0:  # data units lost among the zeros: a dot for each
        rows, cols = (within(range(t.pad_low, t.pad_low + t.size, t.stretch), lo, hi)
                      for t, lo, hi in ((g.rows, r0, r1), (g.cols, c0, c1)))
        if len(rows) * len(cols) <= SPARSE_DOTS:
            for r in rows:
                for c in cols:
                    p.fillRect(at_least(cell_rect(cam, g, r, c), 3.0), fill)
    gx, gy = cam.px(g.x, g.y)
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
        lines = [QLineF(round(gx + c * s), gy + vr0 * s, round(gx + c * s), gy + vr1 * s)
                 for c in aligned(vc0, vc1, block, c_lo)]
        lines += [QLineF(gx + vc0 * s, round(gy + r * s), gx + vc1 * s, round(gy + r * s))
                  for r in aligned(vr0, vr1, block, r_lo)]
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
    vr0, vr1, vc0, vc1 = visible_range(stage, cam, g)
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
    lines = [QLineF(round(gx + c * s), top, round(gx + c * s), bottom) for c in aligned(c0, c1, block)]
    lines += [QLineF(left, round(gy + r * s), right, round(gy + r * s)) for r in aligned(r0, r1, block)]
    p.drawLines(lines)


def _paint_unvisited(p: QPainter, cam: Camera, g: Grid, pal: CanvasPalette) -> None:
    """Rows and columns no window reaches, tinted, with a note when there is room."""
    brush = QBrush(pal.unvisited)
    for track, is_row in ((g.rows, True), (g.cols, False)):
        span = track.unvisited_range()
        if not len(span):
            continue
        if is_row:
            rect = cell_rect(cam, g, span.start, 0, len(span), g.width)
        else:
            rect = cell_rect(cam, g, 0, span.start, g.height, len(span))
        p.fillRect(rect, brush)
        p.setPen(QPen(pal.unvisited.darker(160), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect)


def _paint_text_cells(p: QPainter, stage: QRectF, cam: Camera, g: Grid, state: PaintState,
                      pal: CanvasPalette) -> None:
    """The cell_text hook: text in each visible cell that is large enough to read."""
    if state.cell_text is None or cam.scale < TEXT_CELL_PX:
        return
    r0, r1, c0, c1 = visible_range(stage, cam, g)
    if (r1 - r0) * (c1 - c0) > 4096:
        return
    p.setFont(font(min(14.0, cam.scale * 0.42)))
    p.setPen(pal.text if not state.dark else QColor("#15191d"))
    for r in range(r0, r1):
        for c in range(c0, c1):
            text = state.cell_text(g.name, r, c)
            if text:
                p.drawText(cell_rect(cam, g, r, c), Qt.AlignmentFlag.AlignCenter, text)


def _paint_direct(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, grids: list[Grid], step: int,
                  state: PaintState, pal: CanvasPalette) -> None:
    f = model.frames
    assert f is not None
    g_in, g_out = grids
    result = model.result
    planes = min(STACKED_PLANES, result.input_shape[0] - 1) if state.stacked and result is not None else 0
    out_planes = min(STACKED_PLANES, result.output_shape[0] - 1) if state.stacked and result is not None else 0
    _paint_grid(p, stage, cam, g_in, pal, pal.input, pal.input_line, planes)
    _paint_unvisited(p, cam, g_in, pal)
    _paint_grid(p, stage, cam, g_out, pal, pal.output, pal.output_line, out_planes)
    frame = f.frame(step)
    out_r, out_c = display(frame.output)
    # output cells already produced (row-major), then the one being produced
    ncols = g_out.width
    if out_r > 0:
        p.fillRect(cell_rect(cam, g_out, 0, 0, out_r, ncols), pal.output_done)
    if out_c > 0:
        p.fillRect(cell_rect(cam, g_out, out_r, 0, 1, out_c), pal.output_done)
    current = at_least(cell_rect(cam, g_out, out_r, out_c))
    p.fillRect(current, pal.current)
    _cell_lines(p, stage, cam, g_out, 0, out_r + 1, 0, ncols, pal.output_line, blocks=True)
    # the previous window, thin: the stride between steps
    if step > 0 and frame.output[-1] > 0:  # along the row: the stride between steps
        outline(p, _box_rect(cam, g_in, f.frame(step - 1).windows), pal.previous, 1)
    # the kernel's taps at this step, spaced by the dilation (a 3-D window seen along its depth: a cell
    # counts as data when any of its depth taps is), the visible ones in level-of-detail runs
    r0, r1, c0, c1 = visible_range(stage, cam, g_in, clamp=False)
    block = _block(cam.scale)
    depth = KIND_RANK[f.tracks[0].best_kind(frame.windows[0])] if f.ndim == 3 else 0

    def runs(axis: int, lo: int, hi: int) -> list[tuple[int, int, int]]:
        track, window = f.tracks[axis], frame.windows[axis]
        return [(u, n, KIND_RANK[kind]) for r, kind in track.spans(window) for u, n in _cells_of(r, lo, hi, block)]

    rows = [(0, 1, 0)] if f.ndim == 1 else runs(f.ndim - 2, r0, r1)
    cols = runs(f.ndim - 1, c0, c1)
    cells = sorted(((max(depth, rr, cr), fr, nr, fc, nc) for fr, nr, rr in rows for fc, nc, cr in cols),
                   key=lambda cell: -cell[0])  # data last, on top of the zeros around it
    for rank, fr, nr, fc, nc in cells:
        rect = at_least(cell_rect(cam, g_in, fr, fc, nr, nc), 3.0)
        if rank == KIND_RANK[OUTSIDE]:
            outline(p, rect, pal.window, 1, dashed=True)
        else:
            p.fillRect(rect, pal.tap if rank == KIND_RANK[DATA] else pal.tap_padding)
    window = _box_rect(cam, g_in, frame.windows)
    _cell_lines(p, stage, cam, g_in, *_box(frame.windows), pal.input_line)
    outline(p, window, pal.window, 2)
    locator(p, window, pal.window)
    locator(p, current, pal.current)
    _paint_hover_direct(p, stage, cam, model, g_in, g_out, frame.output, state, pal)
    numbers = _numbers(state, cam)
    if numbers is not None:
        _numbers_direct(p, stage, cam, numbers, g_in, g_out, frame, pal)
    _paint_text_cells(p, stage, cam, g_in, state, pal)
    _paint_text_cells(p, stage, cam, g_out, state, pal)


def _paint_hover_direct(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, g_in: Grid, g_out: Grid,
                        output: tuple[int, ...], state: PaintState, pal: CanvasPalette) -> None:
    """Hovering an input cell: every output cell whose window uses it (the visible ones)."""
    if state.hover is None or state.hover[0] != "input" or model.frames is None:
        return
    _, row, col = state.hover
    f = model.frames
    position = _full_position(f.ndim, row, col, output, f, on_input=True)
    outline(p, cell_rect(cam, g_in, row, col), pal.hover, 3)
    readers = [track.readers(u) for track, u in zip(f.tracks, position)]
    _fill_product(p, stage, cam, g_out, readers, with_alpha(pal.hover, 120), pal.hover)


def _fill_product(p: QPainter, stage: QRectF, cam: Camera, g: Grid, per_axis: list[range], fill: QColor,
                  edge: QColor) -> None:
    """Fill and outline the visible cells of the product of per-axis positions (the last two axes drawn;
    nothing when an axis has none), in level-of-detail runs."""
    if not all(per_axis):
        return
    r0, r1, c0, c1 = visible_range(stage, cam, g)
    block = _block(cam.scale)
    rows = [(0, 1)] if len(per_axis) == 1 else _cells_of(per_axis[-2], r0, r1, block)
    for fc, nc in _cells_of(per_axis[-1], c0, c1, block):
        for fr, nr in rows:
            rect = at_least(cell_rect(cam, g, fr, fc, nr, nc))
            p.fillRect(rect, fill)
            outline(p, rect, edge, 2)


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


def _box(windows: tuple[range, ...]) -> tuple[int, int, int, int]:
    """The rows and columns (r0, r1, c0, c1, end exclusive) of the block of cells that holds a window or a
    patch, from its per-axis positions (a 1-D one is row 0)."""
    rows = windows[-2] if len(windows) > 1 else range(1)
    return rows[0], rows[-1] + 1, windows[-1][0], windows[-1][-1] + 1


def _box_rect(cam: Camera, g: Grid, windows: tuple[range, ...]) -> QRectF:
    r0, r1, c0, c1 = _box(windows)
    return cell_rect(cam, g, r0, c0, r1 - r0, c1 - c0)


def _paint_scatter(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, grids: list[Grid], step: int,
                   state: PaintState, pal: CanvasPalette) -> None:
    f = model.frames
    assert f is not None
    g_in, g_out = grids
    _paint_grid(p, stage, cam, g_in, pal, pal.input, pal.input_line)
    _paint_grid(p, stage, cam, g_out, pal, pal.output, pal.output_line)
    frame = f.scatter_frame(step)
    axes = f.scatter_axes or ()
    r0, r1, c0, c1 = visible_range(stage, cam, g_out)
    block = _block(cam.scale)
    if f.ndim < 3:  # what the earlier input units wrote (kept cells; cropped ones stay white)
        for rows, cols in _written_before(axes, frame.source, (r0, r1, c0, c1), block):
            for fr, nr in rows:
                for fc, nc in cols:
                    p.fillRect(cell_rect(cam, g_out, fr, fc, nr, nc), pal.output_done)
        _cell_lines(p, stage, cam, g_out, 0, g_out.height, 0, g_out.width, pal.output_line, blocks=True)
    for track, is_row in ((g_out.rows, True), (g_out.cols, False)):  # what the padding crops
        for lo, n in ((0, track.pad_low), (track.pad_low + track.size, track.pad_high)):
            if n > 0:
                rect = (cell_rect(cam, g_out, lo, 0, n, g_out.width) if is_row
                        else cell_rect(cam, g_out, 0, lo, g_out.height, n))
                p.fillRect(rect, pal.cropped)
    r, c = display(frame.source)
    source = at_least(cell_rect(cam, g_in, r, c))
    p.fillRect(source, pal.tap)
    outline(p, source, pal.window, 2)
    if step > 0:
        outline(p, _box_rect(cam, g_out, f.scatter_frame(step - 1).patch), pal.previous, 1)

    def runs(axis: int, lo: int, hi: int) -> list[tuple[int, int, int]]:
        """The patch's visible cells on one axis: (first, count, 1 where the padding crops them)."""
        kept = axes[axis].kept_range()
        patch = frame.patch[axis]
        return [*((u, n, 1) for u, n in _cells_of(within(patch, patch.start, kept.start), lo, hi, block)),
                *((u, n, 1) for u, n in _cells_of(within(patch, kept.stop, max(kept.stop, patch.stop)), lo, hi,
                                                  block)),
                *((u, n, 0) for u, n in _cells_of(within(patch, kept.start, kept.stop), lo, hi, block))]

    rows = [(0, 1, 0)] if f.ndim == 1 else runs(f.ndim - 2, r0, r1)
    for fc, nc, cropped_col in runs(f.ndim - 1, c0, c1):
        for fr, nr, cropped_row in rows:
            rect = at_least(cell_rect(cam, g_out, fr, fc, nr, nc), 3.0)
            p.fillRect(rect, pal.tap_padding if cropped_row or cropped_col else pal.current)
    patch = _box_rect(cam, g_out, frame.patch)
    _cell_lines(p, stage, cam, g_out, *_box(frame.patch), pal.output_line)
    outline(p, patch, pal.window, 2)
    locator(p, patch, pal.window)
    locator(p, source, pal.window)
    _paint_hover_scatter(p, stage, cam, f, g_in, g_out, frame.source, state, pal)
    numbers = _numbers(state, cam)
    if numbers is not None:
        _numbers_scatter(p, stage, cam, numbers, g_in, g_out, frame, pal)
    _paint_text_cells(p, stage, cam, g_in, state, pal)
    _paint_text_cells(p, stage, cam, g_out, state, pal)


Runs = list[tuple[int, int]]


def _written_before(axes: tuple[ScatterAxis, ...], source: tuple[int, ...], visible: tuple[int, int, int, int],
                    block: int) -> list[tuple[Runs, Runs]]:
    """The visible kept output cells that the input units before ``source`` (row-major) write, as blocks of
    (row runs, column runs): the full input rows above it, then its own row up to it. Separable per axis,
    and each axis asked once per visible level-of-detail block (`ScatterAxis.sources`): the cost follows
    what is drawn, not the steps before. 1-D and 2-D layers."""
    r0, r1, c0, c1 = visible

    def before(axis: ScatterAxis, count: int, lo: int, hi: int) -> Runs:
        def written(u: int) -> bool:
            sources = axis.sources(u)
            return bool(sources) and sources[0] < count

        kept = axis.kept_range()
        return _runs_where(written, max(lo, kept.start), min(hi, kept.stop), block)

    if len(axes) == 1:
        return [([(0, 1)], before(axes[0], source[0], c0, c1))]
    (rows, cols), (x0, x1) = axes, source
    kept = rows.kept_range()
    return [(before(rows, x0, r0, r1), before(cols, cols.i, c0, c1)),
            (_cells_of(within(rows.writes(x0), kept.start, kept.stop), r0, r1, block), before(cols, x1, c0, c1))]


def _paint_hover_scatter(p: QPainter, stage: QRectF, cam: Camera, f: LayerFrames, g_in: Grid, g_out: Grid,
                         source: tuple[int, ...], state: PaintState, pal: CanvasPalette) -> None:
    """Hovering an input unit: the patch it writes; hovering an output cell: every input unit whose patch
    reaches it (the units the equivalent convolution gathers); the visible cells of either."""
    if state.hover is None:
        return
    grid, row, col = state.hover
    axes = f.scatter_axes or ()
    if grid == "input":
        position = _full_position(f.ndim, row, col, source, f, on_input=False)
        outline(p, cell_rect(cam, g_in, row, col), pal.hover, 3)
        patch = [axis.writes(x) for axis, x in zip(axes, position)]
        _fill_product(p, stage, cam, g_out, patch, with_alpha(pal.hover, 110), pal.hover)
    elif grid == "output":
        position = _full_position(f.ndim, row, col, source, f, on_input=False)
        if f.ndim == 3 and axes:  # the depth the current unit's patch starts at
            position = (source[0] * axes[0].s, row, col)
        outline(p, cell_rect(cam, g_out, row, col), pal.hover, 3)
        writers = [axis.sources(u) for axis, u in zip(axes, position)]
        _fill_product(p, stage, cam, g_in, writers, with_alpha(pal.hover, 120), pal.hover)


def _samples(lo: int, hi: int, pixels: float) -> list[int]:
    """The cells lo..hi-1 one by one, or, when there are more than ``pixels``, one per pixel, evenly."""
    n = hi - lo
    count = max(1, min(n, int(pixels) + 1))
    return [lo + j * n // count for j in range(count)]


def _overlap_image(model: CanvasModel, depth: int, rows: list[int], cols: list[int], pal: CanvasPalette) -> QImage:
    """The heat map of the sampled cells of one depth slice: a pixel per (row, col) sample, coloured by its
    overlap count (`ScatterAxis.count` per sampled unit: the cost follows the pixels, not the output)."""
    f = model.frames
    assert f is not None and f.scatter_axes is not None
    axes = f.scatter_axes
    top = max(model.overlap_values())
    factor = axes[0].count(axes[0].offset + depth) if f.ndim == 3 else 1
    row_counts = [axes[-2].count(axes[-2].offset + r) for r in rows] if f.ndim > 1 else [1]
    col_counts = [axes[-1].count(axes[-1].offset + c) for c in cols]
    palette: dict[int, bytes] = {}
    lines: dict[int, bytes] = {}
    for cr in set(row_counts):
        pixels = []
        for cc in col_counts:
            n = factor * cr * cc
            if n not in palette:
                color = heat(pal, n, top)
                palette[n] = bytes((color.red(), color.green(), color.blue(), color.alpha()))
            pixels.append(palette[n])
        lines[cr] = b"".join(pixels)
    data = b"".join(lines[cr] for cr in row_counts)
    image = QImage(data, len(cols), len(row_counts), 4 * len(cols), QImage.Format.Format_RGBA8888)
    return image.copy()  # own the pixels (the bytes object goes away)


def _paint_overlap(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, g: Grid, step: int,
                   state: PaintState, pal: CanvasPalette) -> None:
    f = model.frames
    assert f is not None and f.scatter_axes is not None
    output = f.output_of(step)
    depth = output[0] if f.ndim == 3 else 0
    r0, r1, c0, c1 = visible_range(stage, cam, g)
    if r1 > r0 and c1 > c0:
        rows, cols = _samples(r0, r1, stage.height()), _samples(c0, c1, stage.width())
        key = ("overlap", state.dark, depth, r0, r1, c0, c1, len(rows), len(cols))
        image = model.cached_image(key, lambda: _overlap_image(model, depth, rows, cols, pal))
        p.drawImage(cell_rect(cam, g, r0, c0, r1 - r0, c1 - c0), image)
    _paint_grid_lines(p, stage, cam, g, pal.output_line)
    r, c = display(output)
    current = cell_rect(cam, g, r, c)
    outline(p, current, pal.window, 2.5)
    locator(p, current, pal.window)
    if cam.scale >= TEXT_CELL_PX and state.cell_text is None and (r1 - r0) * (c1 - c0) <= 4096:
        axes = f.scatter_axes
        top = max(model.overlap_values())
        factor = axes[0].count(axes[0].offset + depth) if f.ndim == 3 else 1
        p.setFont(font(min(14.0, cam.scale * 0.45), bold=True))
        for rr in range(r0, r1):
            row_count = axes[-2].count(axes[-2].offset + rr) if f.ndim > 1 else 1
            for cc in range(c0, c1):
                n = factor * row_count * axes[-1].count(axes[-1].offset + cc)
                p.setPen(QColor("#ffffff") if top and n / top > 0.55 else QColor("#15191d"))
                p.drawText(cell_rect(cam, g, rr, cc), Qt.AlignmentFlag.AlignCenter, str(n))
    _paint_text_cells(p, stage, cam, g, state, pal)


def _paint_grid_lines(p: QPainter, stage: QRectF, cam: Camera, g: Grid, color: QColor) -> None:
    s = cam.scale
    block = _block(s)
    r0, r1, c0, c1 = visible_range(stage, cam, g)
    gx, gy = cam.px(g.x, g.y)
    pen_color = QColor(color)
    if block > 1:
        pen_color.setAlpha(110)
    p.setPen(QPen(pen_color, 1))
    lines = [QLineF(round(gx + c * s), gy + r0 * s, round(gx + c * s), gy + r1 * s) for c in aligned(c0, c1, block)]
    lines += [QLineF(gx + c0 * s, round(gy + r * s), gx + c1 * s, round(gy + r * s)) for r in aligned(r0, r1, block)]
    p.drawLines(lines)
    outline(p, cell_rect(cam, g, 0, 0, g.height, g.width), color, 1.5)


def _paint_matrix(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, grids: list[Grid], step: int,
                  state: PaintState, pal: CanvasPalette) -> None:
    """C (or Cᵀ): a cell per (output cell, input cell) pair holding the kernel tap that joins them; the row
    of the current output cell highlighted, its entries the window. In numbers mode the weights, with the
    flattened input x above C and the flattened output y = Cx beside it."""
    f = model.frames
    m = model.matrix()
    assert f is not None and m is not None
    g = grids[0]
    def build() -> QImage:
        image = QImage(g.width, g.height, QImage.Format.Format_ARGB32)
        image.fill(pal.padding)
        for (r, c) in m.entries:
            image.setPixelColor(c, r, pal.input)
        return image

    p.drawImage(cell_rect(cam, g, 0, 0, g.height, g.width), model.cached_image(("matrix", state.dark), build))
    band = cell_rect(cam, g, step, 0, 1, g.width)
    p.fillRect(band, pal.output)
    for c in m.row(step):
        p.fillRect(cell_rect(cam, g, step, c), pal.tap)
    _paint_grid_lines(p, stage, cam, g, pal.padding_line)
    # the flattened input, one input row per group of columns (row-major order)
    width = f.input_size[-1]
    if f.ndim > 1 and width < g.width:
        p.setPen(QPen(pal.input_line, 1.5))
        gx, gy = cam.px(g.x, g.y)
        p.drawLines([QLineF(gx + c * cam.scale, gy, gx + c * cam.scale, gy + g.height * cam.scale)
                     for c in range(width, g.width, width)])
    outline(p, band, pal.window, 2)
    locator(p, band, pal.window)
    if len(grids) == 3:
        _paint_vectors(p, stage, cam, grids[1], grids[2], m.row(step), step, pal)
    numbers = _numbers(state, cam)
    if numbers is not None and len(grids) == 3:
        _numbers_matrix(p, stage, cam, numbers, grids, step, pal)
    elif cam.scale >= TEXT_CELL_PX and state.cell_text is None and state.numbers is None:
        p.setFont(font(min(12.0, cam.scale * 0.4)))
        for (r, c), t in m.entries.items():
            index = _unflat(t, f.kernel)
            p.setPen(QColor("#ffffff") if r == step else QColor("#15191d"))
            p.drawText(cell_rect(cam, g, r, c), Qt.AlignmentFlag.AlignCenter,
                       "w" + "".join(str(v) for v in index) if max(f.kernel) <= 10 else str(t))
    _paint_text_cells(p, stage, cam, g, state, pal)


def _paint_vectors(p: QPainter, stage: QRectF, cam: Camera, g_x: Grid, g_y: Grid, columns, step: int,
                   pal: CanvasPalette) -> None:
    """The flattened input x (the current row's columns as kernel taps) and output y (its current cell)."""
    p.fillRect(cell_rect(cam, g_x, 0, 0, 1, g_x.width), pal.input)
    for c in columns:
        p.fillRect(cell_rect(cam, g_x, 0, c), pal.tap)
    p.fillRect(cell_rect(cam, g_y, 0, 0, g_y.height, 1), pal.output)
    if step > 0:
        p.fillRect(cell_rect(cam, g_y, 0, 0, step, 1), pal.output_done)
    current = cell_rect(cam, g_y, step, 0)
    p.fillRect(current, pal.current)
    _paint_grid_lines(p, stage, cam, g_x, pal.input_line)
    _paint_grid_lines(p, stage, cam, g_y, pal.output_line)
    outline(p, current, pal.window, 2)


def _unflat(t: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    out = []
    for n in reversed(shape):
        t, r = divmod(t, n)
        out.append(r)
    return tuple(reversed(out))


# -- layers that copy values: the pads, PixelShuffle and PixelUnshuffle -----------------------------------------

def _paint_copies(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, grids: list[Grid], step: int,
                  state: PaintState, pal: CanvasPalette) -> None:
    """A layer whose output cells are copies: the current output cell, the input cell it copies, a dashed link
    between them; in numbers mode the values (copies carry their source's value). An unpool's value is put back
    in a window: the link goes to where it lands, in numbers mode."""
    current: QRectF | None
    if isinstance(model.frames, LandingFrames):
        current, source = _paint_landing(p, stage, cam, model, grids, step, state, pal)
    elif model.planes() is None:
        current, source = _paint_pad(p, stage, cam, model, grids, step, state, pal)
    else:
        current, source = _paint_sub_pixel(p, stage, cam, model, grids, step, state, pal)
    if source is not None:
        if current is not None:
            _link(p, source, current, pal.previous)
        locator(p, source, pal.window)
    if current is not None:
        locator(p, current, pal.current)
    numbers = _numbers(state, cam)
    if numbers is not None:
        from .numbers import CopyNumbers

        if isinstance(numbers, CopyNumbers):
            for g in grids:
                _write(p, stage, cam, g, _copy_text(model, numbers, g, step, current, source, cam))
    for g in grids:
        _paint_text_cells(p, stage, cam, g, state, pal)


def _copy_text(model: CanvasModel, numbers: CopyNumbers, g: Grid, step: int, current: QRectF,
               source: QRectF | None, cam: Camera):
    """A copying layer's cell values for `_write`: white on the current cell and its source."""
    from .numbers import cell_text

    def text_of(r: int, c: int):
        found = model.copy_position(g.name, r, c, step)
        if found is None:
            return None
        center = cell_rect(cam, g, r, c).center()
        dark = current.contains(center) or (source is not None and source.contains(center))
        return cell_text(numbers.value(*found)), ON_DARK if dark else ON_LIGHT
    return text_of


def _link(p: QPainter, a: QRectF, b: QRectF, color: QColor) -> None:
    """A dashed line from one cell's centre to another's: the input cell an output cell copies."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setPen(QPen(color, 1.5, Qt.PenStyle.DashLine))
    p.drawLine(a.center(), b.center())
    p.restore()


def _paint_pad(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, grids: list[Grid], step: int,
               state: PaintState, pal: CanvasPalette) -> tuple[QRectF, QRectF | None]:
    """A pad: the input (its cropped cells tinted) and the output, its input cells in place in the output colour
    and its padded cells around them: a copy's colour, each labelled with the input cell it copies, or white
    for a constant. Returns the current output cell's rectangle and its source's (None: a constant)."""
    f = model.frames
    assert isinstance(f, CopyFrames)
    g_in, g_out = grids
    axes = f.copies.axes[-2:] if f.ndim > 1 else f.copies.axes
    output = f.output_of(step)
    planes = min(STACKED_PLANES, f.result.input_shape[0] - 1) if state.stacked else 0  # each padded alike
    _paint_grid(p, stage, cam, g_in, pal, pal.input, pal.input_line, planes)
    _paint_grid(p, stage, cam, g_out, pal, pal.output, pal.output_line, planes)
    kept = [a.kept() for a in axes]
    held = [range(a.source(k[0]), a.source(k[-1]) + 1) if k else range(0) for a, k in zip(axes, kept)]
    rows_held = held[0] if f.ndim > 1 else range(1)
    for lo, n in ((0, rows_held.start), (rows_held.stop, g_in.height - rows_held.stop)):  # what the pad crops
        if n > 0:
            p.fillRect(cell_rect(cam, g_in, lo, 0, n, g_in.width), pal.cropped)
    for lo, n in ((0, held[-1].start), (held[-1].stop, g_in.width - held[-1].stop)):
        if n > 0:
            p.fillRect(cell_rect(cam, g_in, 0, lo, g_in.height, n), pal.cropped)
    copying = axes[-1].copying
    p.fillRect(cell_rect(cam, g_out, 0, 0, g_out.height, g_out.width), pal.copied if copying else pal.padding)
    rows_kept = kept[0] if f.ndim > 1 else range(1)
    in_place = None
    if rows_kept and kept[-1] and (f.ndim < 3 or output[0] in f.copies.axes[0].kept()):
        in_place = cell_rect(cam, g_out, rows_kept.start, kept[-1].start, len(rows_kept), len(kept[-1]))
        p.fillRect(in_place, pal.output)
    _paint_grid_lines(p, stage, cam, g_out, pal.output_line if copying else pal.padding_line)
    if in_place is not None:
        outline(p, in_place, pal.output_line, 1.5)
    if cam.scale >= 2 * TEXT_CELL_PX and (state.numbers is None or not state.numbers.cells_drawn):
        _label_copies(p, stage, cam, model, g_out, step, pal)
    r, c = display(output)
    current = at_least(cell_rect(cam, g_out, r, c))
    p.fillRect(current, pal.current)
    outline(p, current, pal.window, 2)
    element = f.output_element(step)
    found = f.copies.source(element)
    source = None
    if found is not None:
        sr, sc = display(found[-len(axes):])
        source = at_least(cell_rect(cam, g_in, sr, sc))
        p.fillRect(source, pal.tap)
        outline(p, source, pal.window, 2)
    _paint_hover_copies(p, stage, cam, model, grids, step, state, pal)
    return current, source


def _paint_landing(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, grids: list[Grid], step: int,
                   state: PaintState, pal: CanvasPalette) -> tuple[QRectF | None, QRectF]:
    """An unpool: the input with the value put back lit, the output with the window of its pool that value may
    land in tinted and, in numbers mode, the cell it lands in (where the pool found its first maximum). Returns
    that cell's rectangle (None without numbers) and the input cell's."""
    f = model.frames
    assert isinstance(f, LandingFrames)
    g_in, g_out = grids
    _paint_grid(p, stage, cam, g_in, pal, pal.input, pal.input_line)
    _paint_grid(p, stage, cam, g_out, pal, pal.output, pal.output_line)
    window = [cell_rect(cam, g_out, *display(cell)) for cell in f.may_land(step)]
    for rect in window:
        p.fillRect(rect, pal.copied)
    _paint_grid_lines(p, stage, cam, g_out, pal.output_line)
    for rect in window:
        outline(p, rect, pal.tap, 1.5)
    source = at_least(cell_rect(cam, g_in, *display(f.output_of(step))))
    p.fillRect(source, pal.tap)
    outline(p, source, pal.window, 2)
    current = None
    found = _landed(state, f, step)
    if found is not None:
        current = at_least(cell_rect(cam, g_out, *display(found)))
        p.fillRect(current, pal.current)
        outline(p, current, pal.window, 2)
    if state.hover is not None and state.hover[0] in ("input", "output"):
        grid, row, col = state.hover
        outline(p, cell_rect(cam, g_in if grid == "input" else g_out, row, col), pal.hover, 3)
    return current, source


def _landed(state: PaintState, frames: LandingFrames, step: int) -> tuple[int, ...] | None:
    """In numbers mode, the output cell an unpool's value lands in at ``step`` (None: the mode is off, or no
    cell)."""
    if state.numbers is None:
        return None
    from ...engine.numeric import LandingValues
    from .numbers import CopyNumbers

    values = state.numbers.values if isinstance(state.numbers, CopyNumbers) else None
    return values.lands(frames.output_element(step)) if isinstance(values, LandingValues) else None


def _label_copies(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, g: Grid, step: int,
                  pal: CanvasPalette) -> None:
    """Each visible padded cell that copies an input cell names it ("1,0": its row and column), small."""
    f = model.frames
    assert isinstance(f, CopyFrames)
    r0, r1, c0, c1 = visible_range(stage, cam, g)
    if (r1 - r0) * (c1 - c0) > 4096:
        return
    p.setFont(font(min(12.0, cam.scale * 0.3)))
    p.setPen(ON_LIGHT)
    for r in range(r0, r1):
        for c in range(c0, c1):
            found = model.copy_position(g.name, r, c, step)
            source = f.copies.source(found[1]) if found is not None else None
            if source is None or _in_place(f, found[1]):
                continue
            p.drawText(cell_rect(cam, g, r, c), Qt.AlignmentFlag.AlignCenter, ",".join(map(str, source[1:][-2:])))


def _in_place(f: CopyFrames, element: tuple[int, ...]) -> bool:
    """Whether an output element of a pad is an input element in place (not a padded copy)."""
    return all(y in a.kept() for a, y in zip(f.copies.axes, element[1:]))


def _paint_hover_copies(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, grids: list[Grid], step: int,
                        state: PaintState, pal: CanvasPalette) -> None:
    """Hovering a cell of a copying layer: the cells that hold it, or the cell it holds, outlined."""
    if state.hover is None:
        return
    grid, row, col = state.hover
    f = model.frames
    assert isinstance(f, CopyFrames)
    found = model.copy_position(grid, row, col, step)
    by_name = {g.name: g for g in grids}
    if found is None or grid not in by_name:
        return
    outline(p, cell_rect(cam, by_name[grid], row, col), pal.hover, 3)
    side, element = found
    if side == "output":
        source = f.copies.source(element)
        places = [_shown(model, "input", source)] if source is not None else []
    elif model.planes() is None:  # every output cell of this slice that holds the hovered input cell
        axes = f.copies.axes[-2:] if f.ndim > 1 else f.copies.axes
        holders = [a.holders(x) for a, x in zip(axes, element[-len(axes):])]
        for rows in (holders[0] if f.ndim > 1 else [range(1)]):
            for cols in holders[-1]:
                per_axis = [cols] if f.ndim == 1 else [rows, cols]
                _fill_product(p, stage, cam, by_name["output"], per_axis, with_alpha(pal.hover, 120), pal.hover)
        return
    else:
        places = [_shown(model, "output", f.copies.element(_fine_of(f, element)))]
    for grid_name, (r, c) in places:
        fill = at_least(cell_rect(cam, by_name[grid_name], r, c))
        p.fillRect(fill, with_alpha(pal.hover, 120))
        outline(p, fill, pal.hover, 2)


def _fine_of(f: CopyFrames, element: tuple[int, ...]) -> tuple[int, int]:
    """The fine cell of a sub-pixel layer's input element (a plane's cell up, the fine grid's own down)."""
    return f.copies.fine(element[0], element[1:]) if f.copies.up else element[1:]


def _shown(model: CanvasModel, side: str, element: tuple[int, ...]) -> tuple[str, tuple[int, int]]:
    """Where an input or output element of a copying layer is drawn: (grid, (row, col)). (A 3-D pad's hovered
    output cell and its source lie in the slices on show: an output depth slice copies one input slice.)"""
    f = model.frames
    assert isinstance(f, CopyFrames)
    planes = model.planes()
    if planes is None:
        return side, display(element[1:])
    if (side == "input") == f.copies.up:  # on the planes
        return side, planes.place(element[0], element[1:])
    return side, element[1:]


def _paint_sub_pixel(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, grids: list[Grid], step: int,
                     state: PaintState, pal: CanvasPalette) -> tuple[QRectF, QRectF]:
    """PixelShuffle / PixelUnshuffle (Shi et al., 2016): the r² channel planes, each its own colour, and the fine
    grid, each cell in the colour of the plane that feeds it (or that it feeds). Returns the current output
    cell's rectangle and the input cell's it copies."""
    f = model.frames
    planes = model.planes()
    assert isinstance(f, CopyFrames) and planes is not None
    g_in, g_out = grids
    fine_g, plane_g = (g_out, g_in) if f.copies.up else (g_in, g_out)
    r = f.copies.factor
    h, w = planes.size
    _paint_classes(p, stage, cam, model, fine_g, ("fine", r), lambda y: y % r, lambda x: x % r,
                   lambda i, j: plane_color(i * r + j), state)
    _paint_grid_lines(p, stage, cam, fine_g, pal.output_line if f.copies.up else pal.input_line)
    if r > 1 and r * cam.scale >= 2 * MIN_CELL_PX:  # the r × r blocks, one cell of each plane
        _block_lines(p, stage, cam, fine_g, r, pal.window)

    def block(n: int, size: int) -> int | None:
        return None if n % (size + 1) == size else n // (size + 1)

    _paint_classes(p, stage, cam, model, plane_g, ("planes", r, h, w), lambda y: block(y, h), lambda x: block(x, w),
                   lambda i, j: plane_color(i * r + j), state)
    r0, r1, c0, c1 = visible_range(stage, cam, plane_g)
    first = (r0 // (h + 1), c0 // (w + 1))
    last = (min(r - 1, (r1 - 1) // (h + 1)), min(r - 1, (c1 - 1) // (w + 1)))
    if (last[0] - first[0] + 1) * (last[1] - first[1] + 1) <= 256:  # each visible plane's cells and border
        line = pal.input_line if f.copies.up else pal.output_line
        for i in range(first[0], last[0] + 1):
            for j in range(first[1], last[1] + 1):
                top, left = planes.origin(i * r + j)
                plane = Grid(plane_g.name, plane_g.x + left, plane_g.y + top, plain_track(h), plain_track(w),
                             plane_g.role)
                _paint_grid_lines(p, stage, cam, plane, line)
    fine = f.output_of(step)
    k, cell = f.copies.plane(fine)
    fine_rect = at_least(cell_rect(cam, fine_g, *fine))
    plane_rect = at_least(cell_rect(cam, plane_g, *planes.place(k, cell)))
    current, source = (fine_rect, plane_rect) if f.copies.up else (plane_rect, fine_rect)
    p.fillRect(source, pal.tap)
    outline(p, source, pal.window, 2)
    p.fillRect(current, pal.current)
    outline(p, current, pal.window, 2)
    _paint_hover_copies(p, stage, cam, model, grids, step, state, pal)
    return current, source


def _block_lines(p: QPainter, stage: QRectF, cam: Camera, g: Grid, r: int, color: QColor) -> None:
    """Lines every ``r`` cells over a grid (the visible ones): the sub-pixel blocks."""
    r0, r1, c0, c1 = visible_range(stage, cam, g)
    gx, gy = cam.px(g.x, g.y)
    s = cam.scale
    p.setPen(QPen(with_alpha(color, 150), 1.5))
    lines = [QLineF(round(gx + c * s), gy + r0 * s, round(gx + c * s), gy + r1 * s) for c in aligned(c0, c1, r)]
    lines += [QLineF(gx + c0 * s, round(gy + y * s), gx + c1 * s, round(gy + y * s)) for y in aligned(r0, r1, r)]
    p.drawLines(lines)


def _paint_classes(p: QPainter, stage: QRectF, cam: Camera, model: CanvasModel, g: Grid, key: tuple,
                   row_class: Callable[[int], int | None], col_class: Callable[[int], int | None],
                   color: Callable[[int, int], QColor], state: PaintState) -> None:
    """Fill a grid whose cells' colours depend on a class of their row and one of their column (None: left
    empty), as an image of the visible cells sampled at most one per pixel: one row of pixels per distinct row
    class, so the cost follows the pixels, never the grid."""
    r0, r1, c0, c1 = visible_range(stage, cam, g)
    if r1 <= r0 or c1 <= c0:
        return
    rows, cols = _samples(r0, r1, stage.height()), _samples(c0, c1, stage.width())

    def build() -> QImage:
        col_classes = [col_class(c) for c in cols]
        lines: dict[int | None, bytes] = {}
        colours: dict[tuple[int, int], bytes] = {}
        empty = bytes(4)
        for y in rows:
            i = row_class(y)
            if i in lines:
                continue
            pixels = []
            for j in col_classes:
                if i is None or j is None:
                    pixels.append(empty)
                    continue
                if (i, j) not in colours:
                    c = color(i, j)
                    colours[(i, j)] = bytes((c.red(), c.green(), c.blue(), 255))
                pixels.append(colours[(i, j)])
            lines[i] = b"".join(pixels)
        data = b"".join(lines[row_class(y)] for y in rows)
        return QImage(data, len(cols), len(rows), 4 * len(cols), QImage.Format.Format_RGBA8888).copy()

    image = model.cached_image((*key, r0, r1, c0, c1, len(rows), len(cols)), build)
    p.drawImage(cell_rect(cam, g, r0, c0, r1 - r0, c1 - c0), image)
