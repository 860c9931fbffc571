"""The canvas's words: the header (layer, view, per-axis numbers and the paper's relationship, step,
channels), the grid titles, the legend, the caption line, the receptive-field miniature, and the friendly
summary shown for layers without a sliding window."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QTextOption

from ...engine.design import axis_name
from ...engine.frames import (
    COPY,
    DIRECT,
    MATRIX,
    OUTSIDE,
    OVERLAP,
    SCATTER,
    LandingFrames,
    kernel_shape,
)
from ...engine.layers import CATALOG
from ...engine.receptive_field import Resample
from ..formatting import app_text
from .draw import elided, font, locator, outline
from .layout import (
    CAPTION_PX,
    FIELD_COLUMN_PX,
    LEGEND_PX,
    LEGEND_ROW_PX,
    LOCATOR_RADIUS,
    MARGIN_PX,
    Camera,
    CanvasModel,
    Grid,
    PaintState,
    title_gap,
)
from .palette import CanvasPalette, heat, plane_color

VIEW_TITLES = {
    DIRECT: "direct view",
    SCATTER: "scatter view: each input unit writes a kernel-sized patch",
    OVERLAP: "overlap: how many kernel taps reach each output cell",
    MATRIX: "the convolution as a sparse matrix (section 4.1)",
}


def paint_titles(p: QPainter, stage: QRectF, cam: Camera, grids: list[Grid], pal: CanvasPalette,
                 lift: float = 0.0) -> None:
    p.setFont(font(12))
    p.setPen(pal.muted)
    for box, text in title_boxes(stage, cam, grids, lift):
        p.drawText(box, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom), text)


def title_boxes(stage: QRectF, cam: Camera, grids: list[Grid], lift: float = 0.0) -> list[tuple[QRectF, str]]:
    """Where each grid's title lines go (their text boxes): above the grid (``lift`` more above channel planes
    stacked behind it), clear of a locator ring around a cell of its top row when the cells are that small
    (`layout.title_gap`), inside the stage, wrapped to its width; a title that would run into the title of a
    grid further right stands above it instead."""
    metrics = QFontMetricsF(font(12))
    placed: list[tuple[QRectF, str]] = []
    for g in sorted(grids, key=lambda g: -g.x):  # the rightmost first: titles to its left make way
        x, y = cam.px(g.x, g.y)
        size = f"{g.width}" if g.height == 1 else f"{g.height}×{g.width}"
        lines = [f"{g.title} {size}" if g.sized else g.title]
        if g.note:  # "padded input 7×7 (input 5×5)": the drawn grid is not the layer's input
            if metrics.horizontalAdvance(f"{lines[0]} {g.note}") <= max(g.width * cam.scale, 160):
                lines[0] += f" {g.note}"
            else:  # too wide for its grid: the note goes on a line (or lines) of its own
                lines.append(g.note)
        room = max(80.0, stage.right() - 2 - max(x, stage.left() + 2))
        lines = [part for line in lines for part in _wrapped(line, room, metrics)]
        bottom = y - title_gap(cam.scale) - lift + metrics.descent()
        while True:
            boxes = [(QRectF(_inside(x, text, stage, metrics), bottom - (n + 1) * metrics.height(),
                             metrics.horizontalAdvance(text) + 1, metrics.height()), text)
                     for n, text in enumerate(reversed(lines))]
            clash = [b for b, _t in placed if any(box.intersects(b) for box, _u in boxes)]
            if not clash:
                break
            bottom = min(b.top() for b in clash)  # stand on top of the title it ran into
        placed += boxes
    return placed


def _wrapped(text: str, width: float, metrics: QFontMetricsF) -> list[str]:
    """``text`` broken into lines no wider than ``width``: after a "; " where that is enough, else at spaces too
    (a single word wider than that stays whole)."""
    lines: list[str] = []
    for clause in text.replace("; ", ";\n").splitlines():
        if lines and metrics.horizontalAdvance(f"{lines[-1]} {clause}") <= width:
            lines[-1] += f" {clause}"
            continue
        first = True
        for word in clause.split(" "):
            if not first and metrics.horizontalAdvance(f"{lines[-1]} {word}") <= width:
                lines[-1] += f" {word}"
            else:
                lines.append(word)
            first = False
    return lines


def _inside(x: float, text: str, stage: QRectF, metrics: QFontMetricsF) -> float:
    """Where a title starting at ``x`` starts so that it ends inside the stage (it is clipped there)."""
    return max(stage.left() + 2, min(x, stage.right() - metrics.horizontalAdvance(text) - 2))


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
            if view != SCATTER and g.s > 1:
                text += f"  ·  stretched ĩ'={eq.input_size}, {pad_eq}, stride 1"
            elif view != SCATTER:
                text += f"  ·  as a convolution with {pad_eq}, stride 1"
        else:
            text = f"i={g.i} k={g.k} s={g.s} {pad}" + (f" d={g.d}" if g.d != 1 else "") + f" → o={g.o}"
            if g.ceil_mode:
                text += " (ceil mode)"
        text += f"  ·  {g.relationship}"
        labels.setdefault(text, []).append(axis_name(axis, f.ndim))
    return [f"{', '.join(axes)}: {text}" for text, axes in labels.items()]


def paint_header(p: QPainter, rect: QRectF, model: CanvasModel, view: str, step: int,
                  pal: CanvasPalette) -> None:
    f = model.frames
    result = model.result
    assert f is not None and result is not None
    x = rect.left() + MARGIN_PX
    y = rect.top() + 17
    if f.kind == COPY:
        _copy_header(p, rect, model, step, pal)
        return
    title = f"{result.name}  ·  {result.type}  ·  {f.kind}"
    if view == DIRECT and f.transposed:
        stretched = any(g.s > 1 for g in f.geometry)
        title += f"  ·  as a direct convolution: {'stretched' if stretched else 'padded'} input, flipped kernel"
    elif view != DIRECT:
        title += f"  ·  {VIEW_TITLES[view]}"
    k = _text_scale(rect)
    p.setFont(font(13 * k, bold=True))
    p.setPen(pal.text)
    elided(p, title, x, y, rect.width() - 2 * MARGIN_PX)
    p.setFont(font(12 * k))
    p.setPen(pal.text)
    labels = _axis_labels(model, view)
    elided(p, "    ".join(labels), x, y + 18, rect.width() - 2 * MARGIN_PX)
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
    elided(p, f"{where}    {channels}", x, y + 36, rect.width() - 2 * MARGIN_PX)


#: How a pad axis's padded cells are filled, as the header says it.
PAD_WORDS = {"zeros": "zeros", "reflect": "reflected", "replicate": "edge replicated", "circular": "wrapped around"}


def _copy_lines(model: CanvasModel, step: int) -> tuple[str, str, str]:
    """A copying layer's header: title, the rule (per axis for a pad), and the step's copy."""
    f = model.frames
    result = model.result
    assert f is not None and result is not None
    copies = f.copies
    if isinstance(f, LandingFrames):
        return _landing_lines(f, step)
    title = f"{result.name}  ·  {result.type}  ·  every output value a copy of one input value"
    if model.planes() is None and any(a.low > 0 or a.high > 0 for a in copies.axes) and not copies.axes[-1].copying:
        title = f"{result.name}  ·  {result.type}  ·  every output value a copy of one input value, or the constant"
    if model.planes() is None:
        labels: dict[str, list[str]] = {}
        for axis, a in enumerate(copies.axes):
            fill = PAD_WORDS.get(a.mode, f"the constant {copies.value:g}")
            text = (f"i={a.size} cropped ({-a.low}, {-a.high}) → o={a.out}" if a.low <= 0 and a.high <= 0
                    else f"i={a.size} padding ({a.low}, {a.high}) {fill} → o={a.out}")
            labels.setdefault(text, []).append(axis_name(axis, f.ndim))
        rule = "    ".join(f"{', '.join(axes)}: {text}" for text, axes in labels.items())
    else:
        r = copies.factor
        rule = (f"r={r}: C·r² × H × W ↔ C × rH × rW (Shi et al., 2016): fine cell (Y, X) ↔ channel c·r² + (Y mod r)·r "
                f"+ (X mod r) at (Y // r, X // r)")
    element = f.output_element(step)
    source = copies.source(element)
    held = "the constant" if source is None else f"input {_tuple(source)}"
    where = f"step {step + 1} / {f.step_count}: output {_tuple(element)} ← {held}"
    return title, rule, f"{where}    channels {result.input_shape[0]} → {result.output_shape[0]}"


def _landing_lines(f: LandingFrames, step: int) -> tuple[str, str, str]:
    """An unpool's header: title, its pool's window per axis, and where the step's value may land."""
    result, landing = f.result, f.copies
    pool = result.layer.get("indices")
    title = f"{result.name}  ·  {result.type}  ·  each value back in its window of {pool}, where the maximum was"
    labels: dict[str, list[str]] = {}
    for axis, (k, s, p, d) in enumerate(zip(landing.kernel, landing.stride, landing.padding, landing.dilation)):
        dilated = f" d={d}" if d > 1 else ""
        labels.setdefault(f"k={k} s={s} p={p}{dilated}", []).append(axis_name(axis, f.ndim))
    window = "    ".join(f"{', '.join(axes)}: {text}" for text, axes in labels.items())
    rule = (f"{pool}'s window {window} → o={'×'.join(map(str, landing.output))}; "
            "the other output cells are zero")
    count = len(f.may_land(step))
    where = (f"step {step + 1} / {f.step_count}: input {_tuple(f.output_element(step))} lands in one of {count} cells, "
             f"which depends on {pool}'s input")
    return title, rule, f"{where}    channels {result.input_shape[0]} → {result.output_shape[0]}"


def _copy_header(p: QPainter, rect: QRectF, model: CanvasModel, step: int, pal: CanvasPalette) -> None:
    x, y, width = rect.left() + MARGIN_PX, rect.top() + 17, rect.width() - 2 * MARGIN_PX
    title, rule, where = _copy_lines(model, step)
    k = _text_scale(rect)
    p.setFont(font(13 * k, bold=True))
    p.setPen(pal.text)
    elided(p, title, x, y, width)
    p.setFont(font(12 * k))
    elided(p, rule, x, y + 18, width)
    p.setPen(pal.muted)
    elided(p, where, x, y + 36, width)


def _copy_legend(model: CanvasModel, pal: CanvasPalette) -> list[tuple[str, QColor, bool]]:
    """The legend of a copying layer: what its grids' colours mean."""
    f = model.frames
    assert f is not None
    planes = model.planes()
    items: list[tuple[str, QColor, bool]] = []
    if isinstance(f, LandingFrames):
        return [("input", pal.input, False), ("output: zero where no value lands", pal.output, False),
                ("the value put back", pal.tap, False), ("the window it may land in", pal.copied, False),
                ("where it lands (numbers mode)", pal.current, False), ("hover", pal.hover, False)]
    if planes is None:
        axes = f.copies.axes
        items.append(("input", pal.input, False))
        if any(a.low < 0 or a.high < 0 for a in axes):
            items.append(("cropped", pal.cropped, False))
        items.append(("output: input cells in place", pal.output, False))
        if any(a.low > 0 or a.high > 0 for a in axes):
            items.append(("padded: a copy of the input cell it names", pal.copied, False) if axes[-1].copying
                         else (f"padded: the constant {f.copies.value:g}", pal.padding, True))
    else:
        count = planes.factor ** 2
        side = "input" if f.copies.up else "output"
        for k in range(min(count, 8)):
            items.append((f"{side} channel {k}", plane_color(k), False))
        if count > 8:
            items.append((f"… {count} channels, each its colour", plane_color(8), False))
    items += [("the input cell copied", pal.tap, False), ("being produced", pal.current, False),
              ("hover: where it goes", pal.hover, False)]
    return items


def _text_scale(rect: QRectF) -> float:
    """Header and legend text shrink a little in narrow frames (a small GIF), never below 80 %."""
    return max(0.8, min(1.0, rect.width() / 900))


def _tuple(position: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, position)) + ")"


def _legend_items(model: CanvasModel, view: str, pal: CanvasPalette) -> list[tuple[str, QColor, bool]]:
    f = model.frames
    assert f is not None
    if f.kind == COPY:
        return _copy_legend(model, pal)
    items: list[tuple[str, QColor, bool]] = []
    if view in (DIRECT, SCATTER):
        items.append(("input", pal.input, False))
        has_padding = any(t.pad_low > 0 or t.pad_high > 0 for t in f.tracks) if view == DIRECT else False
        if has_padding:
            items.append(("zero padding", pal.padding, True))
        if view == DIRECT and f.transposed and any(g.s > 1 for g in f.geometry):
            items.append(("inserted zeros", pal.zero, False))
        items.append(("kernel taps" if view == DIRECT else "input unit", pal.tap, False))
        stretched = f.transposed and any(g.s > 1 for g in f.geometry)
        if view == DIRECT and (has_padding or stretched):
            items.append(("taps on zeros", pal.tap_padding, False))
        if view == DIRECT and any(len(t.unvisited_range()) for t in f.tracks):
            pooling = f.result is not None and "ceil_mode" in getattr(CATALOG.get(f.result.type), "argument_names", ())
            items.append(("never visited (ceil_mode visits them)" if pooling else "never visited", pal.unvisited,
                          False))
        # the last window's last tap is the one that can lie past the border (ceil_mode's overhang): one
        # question per axis, however large the kernel
        if view == DIRECT and any(t.kind(t.window(t.o - 1)[-1]) == OUTSIDE for t in f.tracks):
            items.append(("window past the border (ceil_mode)", pal.window, True))
        if model.step_count(view) > 1:
            items.append(("previous window" if view == DIRECT else "previous patch",
                          pal.previous, False))
        items.append(("output", pal.output, False))
        items.append(("being produced" if view == DIRECT else "written patch", pal.current, False))
        if view == SCATTER:
            items.insert(-1, ("written by earlier units", pal.output_done, False))
            if any(a.offset > 0 for a in f.scatter_axes or ()):
                items.append(("cropped by padding", pal.cropped, True))
                items.append(("patch cells cropped", pal.tap_padding, False))
        items.append(("hover: outputs using it" if view == DIRECT else "hover", pal.hover, False))
    elif view == OVERLAP:
        values = model.overlap_values()
        top = max(values)
        shown = values if len(values) <= 8 else [values[round(n * (len(values) - 1) / 7)] for n in range(8)]
        sampled = " (sampled)" if model.overlap_sampled() else ""
        for value in shown:  # the colour scale: a swatch per tap count
            label = "never reached" if value == 0 else f"{value} tap{'s' if value != 1 else ''}{sampled}"
            items.append((label, heat(pal, value, top), False))
        ks = [(g.k, g.s) for g in f.geometry]
        if any(k % s for k, s in ks):
            items.append(("uneven: k is not a multiple of s (checkerboard)", pal.output, False))
    else:
        items.append(("entry: the kernel tap joining output row and input column", pal.input, False))
        items.append(("current output cell's row", pal.tap, False))
    return items


#: A legend wraps onto at most this many rows; what does not fit then is left out.
MAX_LEGEND_ROWS = 3


def legend_rows(rect: QRectF, model: CanvasModel, view: str, pal: CanvasPalette
                ) -> list[list[tuple[float, str, QColor, bool]]]:
    """The legend's items laid out in rows within the width, each (x, label, colour, dashed): a narrow canvas
    wraps the legend instead of dropping its last items."""
    p_font = font(11 * _text_scale(rect))
    metrics = QFontMetricsF(p_font)
    left, right = rect.left() + MARGIN_PX, rect.right() - MARGIN_PX
    rows: list[list[tuple[float, str, QColor, bool]]] = [[]]
    x = left
    for label, color, dashed in _legend_items(model, view, pal):
        width = 14 + 5 + metrics.horizontalAdvance(label) + 16
        if x + width - 16 > right and rows[-1]:
            if len(rows) == MAX_LEGEND_ROWS:
                break
            rows.append([])
            x = left
        rows[-1].append((x, label, color, dashed))
        x += width
    return rows


def paint_legend(p: QPainter, rect: QRectF, model: CanvasModel, view: str, state: PaintState,
                 pal: CanvasPalette, captions: list[str] | None = None) -> None:
    """The legend (wrapped onto rows when narrow), and under it the caption lines (the numbers mode's sum line
    and its notes)."""
    captions = captions if captions is not None else (state.caption.splitlines() if state.caption else [])
    rows = legend_rows(rect, model, view, pal)
    top = rect.bottom() - LEGEND_PX - LEGEND_ROW_PX * (len(rows) - 1) - CAPTION_PX * len(captions) + 6
    p.setFont(font(11 * _text_scale(rect)))
    for n, row in enumerate(rows):
        y = top + n * LEGEND_ROW_PX
        for x, label, color, dashed in row:
            swatch = QRectF(x, y, 14, 14)
            p.fillRect(swatch, color)
            outline(p, swatch, pal.padding_line if dashed else pal.muted, 1, dashed)
            p.setPen(pal.text)
            elided(p, label, x + 19, y + 11.5, rect.right() - MARGIN_PX - x - 19)
    for n, line in enumerate(captions):
        first = n == 0
        p.setFont(font(13 * _text_scale(rect), mono=first))
        p.setPen(pal.text if first else pal.muted)
        elided(p, line, rect.left() + MARGIN_PX, rect.bottom() - 8 - CAPTION_PX * (len(captions) - 1 - n),
               rect.width() - 2 * MARGIN_PX)


def paint_field(p: QPainter, stage: QRectF, model: CanvasModel, output: tuple[int, ...],
                pal: CanvasPalette, wait: bool = True) -> None:
    """A miniature of the network input with the current output cell's exact receptive field. Without
    ``wait``, a field that is slow to compute (a deep layer) is painted as pending and left in
    ``model.pending_field`` for the widget to compute after the frame."""
    analysis = model.analysis
    model.pending_field = None
    if analysis is None:
        return
    if not wait and model.field_is_slow(output):
        model.pending_field = output
        interval = None
    else:
        interval = model.field(output)
        if interval is None:
            return
    size = analysis.design.input.size
    miniature, field_rect = field_rects(stage, size, interval)
    x, y = miniature.left(), miniature.top()
    p.fillRect(miniature, pal.input)
    outline(p, miniature, pal.input_line, 1)
    p.setFont(font(10))
    p.setPen(pal.muted)
    top = y - 20 - (13 if len(size) > 1 else 0) - FIELD_TEXT_LIFT
    p.drawText(QPointF(x, top - 13), "receptive field on")
    p.drawText(QPointF(x, top), f"the input {'×'.join(map(str, size))}:")
    if interval is None or field_rect is None:
        p.drawText(QPointF(x, y - 5), "computing…")
        return
    rows, cols = (1, size[0]) if len(size) == 1 else (size[-2], size[-1])
    (r_lo, r_hi), (c_lo, c_hi) = _drawn_spans(size, interval)
    p.fillRect(field_rect, pal.field)
    outline(p, miniature, pal.input_line, 1)
    locator(p, field_rect, pal.field.darker(140))
    p.setFont(font(10))
    p.setPen(pal.text)
    for n, line in enumerate(reversed(field_lines(size, rows, cols, (r_lo, r_hi), (c_lo, c_hi)))):
        p.drawText(QPointF(x, y - 5 - FIELD_TEXT_LIFT - 13 * n), line)


#: The miniature's text stands this far above it: clear of the locator ring around a field at its top edge.
FIELD_TEXT_LIFT = 12
#: The miniature stands this far right of the stage: the locator ring around a field at its left edge stays
#: clear of the grids' titles, which end inside the stage.
FIELD_INDENT = LOCATOR_RADIUS + 8
#: The height the miniature's text takes above it (its title, the field's rows and columns, the lift): a short
#: stage shrinks the miniature rather than push the text into the header.
FIELD_TEXT_PX = 72.0


def _drawn_spans(size: tuple[int, ...], interval):  # type: ignore[no-untyped-def]
    """The rows and columns of a field the miniature draws (a 1-D input is one row)."""
    return ((0, 0), interval[0]) if len(size) == 1 else (interval[-2], interval[-1])


def field_rects(stage: QRectF, size: tuple[int, ...], interval) -> tuple[QRectF, QRectF | None]:  # type: ignore[no-untyped-def]
    """The receptive-field miniature's rectangle right of ``stage`` for a network input of ``size``, and the
    field's rectangle in it (None while ``interval``, per axis (low, high), is pending)."""
    rows, cols = (1, size[0]) if len(size) == 1 else (size[-2], size[-1])
    box = min(FIELD_COLUMN_PX - FIELD_INDENT - 2, max(16.0, stage.height() - FIELD_TEXT_PX))
    scale = box / max(rows, cols)
    w, h = max(2.0, cols * scale), max(2.0, rows * scale)
    miniature = QRectF(stage.right() + FIELD_INDENT, stage.bottom() - h - 4, w, h)
    if interval is None:
        return miniature, None
    (r_lo, r_hi), (c_lo, c_hi) = _drawn_spans(size, interval)
    return miniature, QRectF(miniature.left() + c_lo * scale, miniature.top() + r_lo * scale,
                             max(1.5, (c_hi - c_lo + 1) * scale), max(1.5, (r_hi - r_lo + 1) * scale))


def field_lines(size: tuple[int, ...], rows: int, cols: int, r: tuple[int, int], c: tuple[int, int]) -> list[str]:
    """What the receptive-field miniature says under its title: the rows and columns the field covers, or,
    when it covers the whole input (a 1×1 input always), that it does."""
    if r == (0, rows - 1) and c == (0, cols - 1):
        if rows * cols == 1:
            return ["the input is one unit:", "every output sees it"]
        return ["the whole input"]
    if len(size) == 1:
        return [f"{c[0]}–{c[1]}"]
    return [f"rows {r[0]}–{r[1]}", f"cols {c[0]}–{c[1]}"]


SUMMARIES = {
    "Activation": "applies a function to every value on its own: the shape does not change",
    "Normalisation": "normalises values with learned scale and shift: the shape does not change",
    "Dropout": "zeroes random values while training: the shape does not change",
    "Linear": "mixes features with a dense weight matrix: no sliding window",
    "Up-sampling": "repeats or interpolates units to a larger size: a fixed resampling, no learned window",
    "Padding": "adds zeros, a constant or copies of the edge units at the borders, or crops",
    "Rearranging": "moves values to other positions or channels, computing nothing",
    "Skip connection": "combines the outputs of earlier layers (see From)",
    "Pooling": "pools each channel over windows that adapt to the input size, or puts a pool's values back",
}


def summary_lines(model: CanvasModel) -> list[str]:
    """The friendly text shown for a layer without a sliding window (or one with errors)."""
    result = model.result
    if result is None:
        return ["Select a layer to see its sliding window."]
    if not result.computed:
        problems = [app_text(d.text) for d in result.errors] or ["an earlier layer has errors, so this one is not computed"]
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


def summary_layout(rect: QRectF, lines: list[str]) -> list[tuple[QRectF, str, int]]:
    """Where each summary line goes: word-wrapped within the width (a long error message takes several
    rows instead of running off the side), the block centred vertically. (rect, line, pixel size)."""
    width = max(40.0, rect.width() - 40)
    flags = Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap
    placed = []
    for n, line in enumerate(lines):
        size = 18 if n == 0 else 14
        metrics = QFontMetricsF(font(size, bold=n == 0))
        height = metrics.boundingRect(QRectF(0, 0, width, 10_000), int(flags.value), line).height()
        placed.append((QRectF(rect.left() + 20, 0, width, height + (10 if n == 0 else 8)), line, size))
    y = rect.center().y() - sum(r.height() for r, _line, _size in placed) / 2
    for r, _line, _size in placed:
        r.moveTop(max(rect.top() + 8, y))
        y = r.bottom()
    return placed


def paint_summary(p: QPainter, rect: QRectF, model: CanvasModel, pal: CanvasPalette) -> None:
    option = QTextOption(Qt.AlignmentFlag.AlignHCenter)
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)  # words first; a long path anywhere
    for n, (box, line, size) in enumerate(summary_layout(rect, summary_lines(model))):
        p.setFont(font(size, bold=n == 0))
        p.setPen(pal.text if n < 2 else pal.muted)
        p.drawText(box, line, option)
