"""Painting one frame of a layer's sliding window with QPainter (QtGui only: it paints into a widget, a
QImage for the GIF export and the benchmark, or an SVG generator).

Cost per frame grows with the grid's side, not its area: the data region is one rectangle, inserted zeros
are stripes, grid lines are one ``drawLines`` call over the visible range, the grids are drawn without
antialiasing on whole pixels, and when cells get smaller than `MIN_CELL_PX` the lines merge into blocks of
2, 4, 8, ... cells (the level of detail). The layout is `layout`'s; the words are `chrome`'s.
"""

from __future__ import annotations

from itertools import product

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPen

from ...engine.frames import (
    DATA,
    DIRECT,
    OUTSIDE,
    OVERLAP,
    PADDING,
    SCATTER,
    ZERO,
    AxisTrack,
    LayerFrames,
)
from .chrome import legend_rows, paint_field, paint_header, paint_legend, paint_summary, paint_titles
from .draw import at_least, cell_rect, font, locator, outline, visible_range, with_alpha
from .layout import Camera, CanvasModel, Grid, PaintState, display, stage_rect
from .numbers import NUMBER_CELL_PX, NumbersOverlay, cell_text
from .palette import CanvasPalette, palette_for

#: Below this many pixels per cell, single cells are not outlined; lines mark blocks of cells instead.
MIN_CELL_PX = 5.0
#: Cells at least this large carry text from the cell_text hook.
TEXT_CELL_PX = 16.0
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
    cam = camera or model.fit(stage, view, vectors)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # axis-aligned cells: crisp and fast
    painter.setClipRect(stage)
    grids = model.grids(view, vectors)
    step = max(0, min(state.step, model.step_count(view) - 1))
    if view == DIRECT:
        _paint_direct(painter, stage, cam, model, grids, step, state, pal)
    elif view == SCATTER:
        _paint_scatter(painter, stage, cam, model, grids, step, state, pal)
    elif view == OVERLAP:
        _paint_overlap(painter, stage, cam, model, grids[0], step, state, pal)
    else:
        _paint_matrix(painter, stage, cam, model, grids, step, state, pal)
    if state.chrome:
        if f.ndim == 3 and view == DIRECT:
            depth = f.tracks[0].window(f.output_of(step)[0])
            grids[0].title += f" (depth {depth[0]}–{depth[-1]} seen from above)"
        merged = merge_note(cam.scale, grids[0].height == 1)
        if merged:  # never silent: the image says what a square is (exports too)
            note = grids[0].note  # "(input 66×66)" or ""
            grids[0].note = f"{note[:-1]}; {merged})" if note.endswith(")") else f"({merged})"
        paint_titles(painter, stage, cam, grids, pal)
    painter.restore()
    if not state.chrome:
        return cam
    if state.show_field and view != SCATTER:
        paint_field(painter, stage, model, f.output_of(step), pal, state.field_wait)
    paint_header(painter, rect, model, view, step, pal)
    captions = state.caption.splitlines() if state.caption else []
    if state.numbers is not None:
        captions += [state.numbers.sum_line(view, step), state.numbers.notes(numbers_hidden(state, cam))]
    paint_legend(painter, rect, model, view, state, pal, captions)
    return cam


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


def _numbers(state: PaintState, cam: Camera) -> NumbersOverlay | None:
    """The overlay whose numbers go into the cells at this zoom (None: none, or hidden)."""
    numbers = state.numbers
    if numbers is None or not numbers.cells_drawn or cam.scale < NUMBER_CELL_PX:
        return None
    return numbers


#: Text on the dark fills (kernel taps, the cell being produced) and on the light ones.
ON_DARK = QColor("#ffffff")
ON_LIGHT = QColor("#15191d")


def _write(p: QPainter, stage: QRectF, cam: Camera, g: Grid, text_of, weights: dict | None = None) -> None:
    """Write each visible cell's value (``text_of(row, col)`` -> (text, colour) or None) centred, and the
    small text of ``weights`` (a footprint cell's "×w", as the paper's figures write the kernel; a scattered
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
            weight = weights.get((r, c)) if weights else None
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
    taps = {display(t.position): t.kind for t in frame.taps}
    muted = QColor("#6b7785")  # the zeros of padding and stretching: the cells stay paper-white in dark mode

    def input_text(r: int, c: int):
        text = cell_text(numbers.input_value(r, c))
        if text is None:
            return None
        kind = taps.get((r, c))
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

    _write(p, stage, cam, g_in, input_text, numbers.weights(frame.step))
    _write(p, stage, cam, g_out, output_text)


def _numbers_scatter(p: QPainter, stage: QRectF, cam: Camera, numbers: NumbersOverlay, g_in: Grid, g_out: Grid,
                     frame, pal: CanvasPalette) -> None:
    """Scatter view: the input's values, and the output filling up: each cell the sum of what the input
    cells scattered so far wrote into it; the current patch says what this input cell added (+x·w)."""
    source = display(frame.source)

    def input_text(r: int, c: int):
        return cell_text(numbers.source_value(r, c)), ON_DARK if (r, c) == source else ON_LIGHT

    patch = {display(w.position) for w in frame.writes}

    def output_text(r: int, c: int):
        text = cell_text(numbers.scatter_value(frame.step, r, c))
        return None if text is None else (text, ON_DARK if (r, c) in patch else ON_LIGHT)

    _write(p, stage, cam, g_in, input_text)
    _write(p, stage, cam, g_out, output_text, numbers.scatter_added(frame.step))


def _numbers_matrix(p: QPainter, stage: QRectF, cam: Camera, numbers: NumbersOverlay, grids: list[Grid], step: int,
                    pal: CanvasPalette) -> None:
    """Matrix view: C's weights (Cᵀ for a transposed convolution), the flattened input x over its columns
    and the flattened output y = Cx beside its rows."""
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


def _paint_grid(p: QPainter, stage: QRectF, cam: Camera, g: Grid, pal: CanvasPalette, fill: QColor,
                line: QColor, planes: int = 0) -> None:
    """A padded grid: padding white with dashed borders, data in ``fill``, inserted zeros white, lines."""
    s = cam.scale
    full = cell_rect(cam, g, 0, 0, g.height, g.width)
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
    data = cell_rect(cam, g, r_lo, c_lo, r_hi - r_lo, c_hi - c_lo)
    p.fillRect(data, fill)
    r0, r1, c0, c1 = visible_range(stage, cam, g)
    if g.rows.stretch > 1 or g.cols.stretch > 1:  # the stretched input's inserted zeros, as stripes
        for u in range(max(r0, r_lo), min(r1, r_hi)):
            if g.rows.kind(u) == ZERO:
                p.fillRect(cell_rect(cam, g, u, c_lo, 1, c_hi - c_lo), pal.zero)
        for u in range(max(c0, c_lo), min(c1, c_hi)):
            if g.cols.kind(u) == ZERO:
                p.fillRect(cell_rect(cam, g, r_lo, u, r_hi - r_lo, 1), pal.zero)
    block = _block(s)
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


def _lines_around(p: QPainter, stage: QRectF, cam: Camera, g: Grid, positions: list[tuple[int, ...]],
                  color: QColor) -> None:
    """Cell borders over the block of cells that holds ``positions`` (a step's kernel taps or patch)."""
    cells = [display(position) for position in positions]
    rows = [r for r, _ in cells]
    cols = [c for _, c in cells]
    _cell_lines(p, stage, cam, g, min(rows), max(rows) + 1, min(cols), max(cols) + 1, color)


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
        p.fillRect(cell_rect(cam, g_out, 0, 0, out_r, ncols), pal.output_done)
    if out_c > 0:
        p.fillRect(cell_rect(cam, g_out, out_r, 0, 1, out_c), pal.output_done)
    current = at_least(cell_rect(cam, g_out, out_r, out_c))
    p.fillRect(current, pal.current)
    _cell_lines(p, stage, cam, g_out, 0, out_r + 1, 0, ncols, pal.output_line, blocks=True)
    # the previous window, thin: the stride between steps
    if step > 0 and frame.output[-1] > 0:  # along the row: the stride between steps
        previous = f.frame(step - 1)
        outline(p, _window_rect(cam, g_in, previous.taps), pal.previous, 1)
    # the kernel's taps at this step, spaced by the dilation (a 3-D window seen along its depth: a cell
    # counts as data when any of its depth taps is)
    shown: dict[tuple[int, int], str] = {}
    for tap in frame.taps:
        cell = display(tap.position)
        if KIND_RANK[tap.kind] < KIND_RANK[shown.get(cell, OUTSIDE)] or cell not in shown:
            shown[cell] = tap.kind
    for (r, c), kind in shown.items():
        rect = at_least(cell_rect(cam, g_in, r, c), 3.0)
        if kind == OUTSIDE:
            outline(p, rect, pal.window, 1, dashed=True)
            continue
        p.fillRect(rect, pal.tap if kind == DATA else pal.tap_padding)
    window = _window_rect(cam, g_in, frame.taps)
    _lines_around(p, stage, cam, g_in, [t.position for t in frame.taps], pal.input_line)
    outline(p, window, pal.window, 2)
    locator(p, window, pal.window)
    locator(p, current, pal.current)
    _paint_hover_direct(p, cam, model, g_in, g_out, frame.output, state, pal)
    numbers = _numbers(state, cam)
    if numbers is not None:
        _numbers_direct(p, stage, cam, numbers, g_in, g_out, frame, pal)
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
    outline(p, cell_rect(cam, g_in, row, col), pal.hover, 3)
    for cell in f.users(position):
        r, c = display(cell)
        rect = at_least(cell_rect(cam, g_out, r, c))
        p.fillRect(rect, with_alpha(pal.hover, 120))
        outline(p, rect, pal.hover, 2)


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
    return cell_rect(cam, g, min(rows), min(cols), max(rows) - min(rows) + 1, max(cols) - min(cols) + 1)


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
                rect = (cell_rect(cam, g_out, lo, 0, n, g_out.width) if is_row
                        else cell_rect(cam, g_out, 0, lo, g_out.height, n))
                p.fillRect(rect, pal.cropped)
    r, c = display(frame.source)
    source = at_least(cell_rect(cam, g_in, r, c))
    p.fillRect(source, pal.tap)
    outline(p, source, pal.window, 2)
    if step > 0:
        prev = f.scatter_frame(step - 1)
        outline(p, _patch_rect(cam, g_out, prev.writes), pal.previous, 1)
    seen = set()
    for write in frame.writes:
        rr, cc = display(write.position)
        if (rr, cc) in seen:
            continue
        seen.add((rr, cc))
        rect = at_least(cell_rect(cam, g_out, rr, cc), 3.0)
        p.fillRect(rect, pal.current if write.output is not None else pal.tap_padding)
    patch = _patch_rect(cam, g_out, frame.writes)
    _lines_around(p, stage, cam, g_out, [w.position for w in frame.writes], pal.output_line)
    outline(p, patch, pal.window, 2)
    locator(p, patch, pal.window)
    locator(p, source, pal.window)
    _paint_hover_scatter(p, cam, f, g_in, g_out, frame.source, state, pal)
    numbers = _numbers(state, cam)
    if numbers is not None:
        _numbers_scatter(p, stage, cam, numbers, g_in, g_out, frame, pal)
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
                p.fillRect(cell_rect(cam, g, r0, c0, r1 - r0, c1 - c0), color)


def _paint_hover_scatter(p: QPainter, cam: Camera, f: LayerFrames, g_in: Grid, g_out: Grid,
                         source: tuple[int, ...], state: PaintState, pal: CanvasPalette) -> None:
    """Hovering an input unit: the patch it writes; hovering an output cell: every input unit whose patch
    reaches it (the units the equivalent convolution gathers)."""
    if state.hover is None:
        return
    grid, row, col = state.hover
    if grid == "input":
        position = _full_position(f.ndim, row, col, source, f, on_input=False)
        outline(p, cell_rect(cam, g_in, row, col), pal.hover, 3)
        patch = [display(tuple(x * a.s + t * a.d for x, t, a in zip(position, index, f.scatter_axes or ())))
                 for index in product(*(range(k) for k in f.kernel))]
        for r, c in set(patch):
            rect = at_least(cell_rect(cam, g_out, r, c))
            p.fillRect(rect, with_alpha(pal.hover, 110))
            outline(p, rect, pal.hover, 2)
    elif grid == "output":
        position = _full_position(f.ndim, row, col, source, f, on_input=False)
        if f.ndim == 3 and f.scatter_axes:  # the depth the current unit's patch starts at
            position = (source[0] * f.scatter_axes[0].s, row, col)
        outline(p, cell_rect(cam, g_out, row, col), pal.hover, 3)
        for cell in f.writers(position):
            r, c = display(cell)
            rect = at_least(cell_rect(cam, g_in, r, c))
            p.fillRect(rect, with_alpha(pal.hover, 120))
            outline(p, rect, pal.hover, 2)


def _patch_rect(cam: Camera, g: Grid, writes) -> QRectF:
    rows = [display(w.position)[0] for w in writes]
    cols = [display(w.position)[1] for w in writes]
    return cell_rect(cam, g, min(rows), min(cols), max(rows) - min(rows) + 1, max(cols) - min(cols) + 1)


def heat(pal: CanvasPalette, value: int, top: int) -> QColor:
    """The overlap heat map's colour for a tap count (the legend's scale uses it too)."""
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
                color = heat(pal, n, top)
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
    p.drawImage(cell_rect(cam, g, 0, 0, g.height, g.width), image)
    _paint_grid_lines(p, stage, cam, g, pal.output_line)
    r, c = display(output)
    current = cell_rect(cam, g, r, c)
    outline(p, current, pal.window, 2.5)
    locator(p, current, pal.window)
    if cam.scale >= TEXT_CELL_PX and state.cell_text is None:
        axes = model.overlap_axes()
        top = max(model.overlap_values())
        factor = axes[0][depth] if f.ndim == 3 else 1
        rows = axes[-2] if f.ndim > 1 else (1,)
        r0, r1, c0, c1 = visible_range(stage, cam, g)
        if (r1 - r0) * (c1 - c0) <= 4096:
            p.setFont(font(min(14.0, cam.scale * 0.45), bold=True))
            for rr in range(r0, r1):
                for cc in range(c0, c1):
                    n = factor * rows[rr] * axes[-1][cc]
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
    lines = [QLineF(round(gx + c * s), gy + r0 * s, round(gx + c * s), gy + r1 * s)
             for c in range(c0, c1 + 1) if c % block == 0]
    lines += [QLineF(gx + c0 * s, round(gy + r * s), gx + c1 * s, round(gy + r * s))
              for r in range(r0, r1 + 1) if r % block == 0]
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
