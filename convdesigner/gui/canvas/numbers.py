"""The numbers mode's overlay (issue 9): which value each visible cell carries, the kernel weights in the
footprint, and the sum line under the canvas, for one frame of any view. No Qt here: the painter asks, the
values come from `engine.numeric` (exact), the cells' places from `engine.frames` (the same tracks).

Grids and coordinates are the canvas's (`layout`): the direct view's input in padded coordinates (the
stretched, padded input of a transposed convolution), the scatter view's output in uncropped coordinates,
the matrix view's C (rows: output cells, columns: input cells) with the flattened input ``x`` above it and
the flattened output ``y`` beside it. A 1-D layer is row 0. Cells are written for 1-D and 2-D layers; a 3-D
layer gets the sum line only (its window is drawn seen along its depth).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ...engine.frames import MATRIX, SCATTER, CopyFrames, LandingFrames, LayerFrames
from ...engine.numeric import (
    AVG_POOL,
    TRANSPOSED,
    CopyValues,
    Grid,
    LandingValues,
    NumericLayer,
    NumericState,
    Value,
    channel_note,
    format_number,
    numbers_unavailable,
    supports,
)

#: Terms of a sum written out before the rest is elided with "...".
MAX_TERMS = 16
#: Decimals of an average written in a cell (the paper prints one); the sum line writes it exactly.
CELL_DECIMALS = 1
HIDDEN_NOTE = "numbers hidden: the cells are too small to read (zoom in, or pick a smaller layer)"


def cell_text(value: Value | None) -> str | None:
    """A value as a cell writes it: integers as they are, fractions (averages) with one decimal, as the
    paper prints its average pooling (1.7, 1.0); the sum line writes them exactly."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        scaled = abs(value) * 10 ** CELL_DECIMALS
        rounded = int(scaled + Fraction(1, 2))  # half away from zero, as format_number rounds
        whole, part = divmod(rounded, 10 ** CELL_DECIMALS)
        return f"{'-' if value < 0 and rounded else ''}{whole}.{part:0{CELL_DECIMALS}d}"
    return format_number(value)


def _position(ndim: int, row: int, col: int) -> tuple[int, ...]:
    return (col,) if ndim == 1 else (row, col)


@dataclass
class NumbersOverlay:
    """One layer's values laid over its frames: ``values`` is the `NumericState` shown (edited by the canvas)."""

    frames: LayerFrames
    values: NumericState
    note: str | None = None  # the channel note: "showing input channel 1 of 2 ..."
    _scatter: dict[int, Grid] = field(default_factory=dict, repr=False)
    _matrix: list = field(default_factory=list, repr=False)
    _fractions: bool | None = field(default=None, repr=False)

    @classmethod
    def for_frames(cls, frames: LayerFrames | CopyFrames | None,
                   values: NumericState | CopyValues | None = None) -> NumbersOverlay | CopyNumbers | None:
        """The overlay of a layer with numbers (None otherwise); ``values`` kept when they still fit the layer
        (an edit that changes the input size starts from the default values)."""
        if isinstance(frames, CopyFrames):
            if numbers_unavailable(frames.result) is not None:
                return None
            return CopyNumbers.for_frames(frames, values if isinstance(values, CopyValues) else None)
        if frames is None or not supports(frames.result) or isinstance(values, CopyValues):
            return None
        layer = NumericLayer.from_result(frames.result)
        state = values.with_layer(layer) if values is not None else NumericState.default(layer)
        return cls(frames, state, channel_note(frames.result))

    def with_values(self, values: NumericState) -> NumbersOverlay:
        return NumbersOverlay(self.frames, values, self.note, _matrix=self._matrix)

    @property
    def cells_drawn(self) -> bool:
        """Cells carry numbers for 1-D and 2-D layers."""
        return self.frames.ndim <= 2

    # -- what the cells carry ----------------------------------------------------------------------
    def input_value(self, row: int, col: int) -> Value | None:
        """The value in cell (row, col) of the direct view's (padded) input."""
        return self.values.cell_value(_position(self.frames.ndim, row, col))

    def source_value(self, row: int, col: int) -> Value:
        """The value of input unit (row, col) (the scatter view's input)."""
        return self.values.input[_position(self.frames.ndim, row, col)]

    def output_value(self, row: int, col: int) -> Value:
        return self.values.output[_position(self.frames.ndim, row, col)]

    def weight_at(self, step: int, row: int, col: int) -> str | None:
        """The direct view's footprint at ``step``: the weight the tap on cell (row, col) multiplies, "×2"
        (a transposed convolution's kernel flipped; None off the footprint)."""
        kernel = self.values.kernel
        if kernel is None or not self.cells_drawn:
            return None
        tap = self.frames.frame(step).tap_at(_position(self.frames.ndim, row, col))
        return None if tap is None else "×" + format_number(kernel[tap.weight])

    def scatter_added(self, step: int) -> dict[tuple[int, int], str]:
        """The scatter view's patch at ``step``: what the input value times each weight adds into the cell it
        lands on, "+6" (uncropped coordinates; cropped cells included: the padding drops what they get)."""
        if not self.cells_drawn:
            return {}
        out = {}
        for term in self.values.explain_scatter(step).terms:
            r, c = (0, term.position[0]) if self.frames.ndim == 1 else term.position
            out[(r, c)] = "+" + _factor(term.product)
        return out

    def scatter_partial(self, step: int) -> Grid:
        """The output after the input cells up to and including ``step`` scattered (cached per step)."""
        if step not in self._scatter:
            if len(self._scatter) > 64:
                self._scatter.clear()
            self._scatter[step] = self.values.scatter_output(step + 1)
        return self._scatter[step]

    def scatter_written(self, step: int, row: int, col: int) -> bool:
        """Whether uncropped output cell (row, col) has been written by the input cells up to ``step``."""
        position = _position(self.frames.ndim, row, col)
        shape = self.frames.input_size
        for writer in self.frames.writers(position):
            flat = 0
            for p, n in zip(writer, shape):
                flat = flat * n + p
            if flat <= step:
                return True
        return False

    def scatter_value(self, step: int, row: int, col: int) -> Value | None:
        """The partial value of uncropped output cell (row, col) at scatter ``step`` (None: cropped, or not
        written yet)."""
        axes = self.frames.scatter_axes or ()
        uncropped = _position(self.frames.ndim, row, col)
        kept = tuple(a.output(u) for a, u in zip(axes, uncropped))
        if None in kept or not self.scatter_written(step, row, col):
            return None
        return self.scatter_partial(step)[kept]

    def matrix(self):
        """The frames' matrix C (or Cᵀ) of kernel taps, built once."""
        if not self._matrix:
            self._matrix.append(self.frames.matrix())
        return self._matrix[0]

    def matrix_entry(self, row: int, col: int) -> Value | None:
        """C's entry (row: output cell, column: input cell): the weight of the tap joining them (None: a
        structural zero, or pooling, which has no weights)."""
        m = self.matrix()
        kernel = self.values.kernel
        if m is None or kernel is None:
            return None
        tap = m.entries.get((row, col))
        return None if tap is None else kernel.values[tap]

    def flat_input(self, index: int) -> Value:
        return self.values.input.values[index]

    def flat_output(self, index: int) -> Value:
        return self.values.output.values[index]

    # -- the sum line ------------------------------------------------------------------------------
    def sum_line(self, view: str, step: int) -> str:
        """The line under the canvas: how the current output value is formed (or, scattering, what the
        current input cell adds into the output)."""
        if view == SCATTER:
            scattered = self.values.explain_scatter(step)
            where = _tuple(scattered.source)
            return f"input {where} = {format_number(scattered.value)}: {scattered.line(MAX_TERMS)}"
        if view == MATRIX and self.values.kernel is not None:
            return self._matrix_line(step)
        explanation = self.values.explain(step)
        decimals = 2 if self.values.layer.kind == AVG_POOL else None
        return f"output {_tuple(explanation.position)} = {explanation.line(MAX_TERMS, decimals)}"

    def _matrix_line(self, step: int) -> str:
        m = self.matrix()
        assert m is not None and self.values.kernel is not None
        name = "Cᵀ" if self.values.layer.kind == TRANSPOSED else "C"
        parts = [f"{_factor(self.values.kernel.values[tap])}·{_factor(self.flat_input(c))}"
                 for c, tap in sorted(m.row(step).items())]
        if len(parts) > MAX_TERMS:
            parts = [*parts[:MAX_TERMS], "..."]
        return (f"y[{step}] = row {step} of {name} · x = {' + '.join(parts) or '0'} = "
                f"{format_number(self.flat_output(step))}")

    def _has_fractions(self) -> bool:
        """Whether some value shown can be a fraction: an average, or a fraction typed in (found once per
        overlay without computing the whole output: a scan of a million-unit input is not for every frame)."""
        if self._fractions is None:
            values = self.values
            self._fractions = values.layer.kind == AVG_POOL or any(
                isinstance(v, Fraction) for grid in (values.input, values.kernel) if grid is not None
                for v in grid.values)
        return self._fractions

    def notes(self, hidden: bool) -> str:
        """The second line: what the numbers show (channel, rounding, hidden cells)."""
        notes = []
        if hidden:
            notes.append(HIDDEN_NOTE)
        elif not self.cells_drawn:
            notes.append("values in cells are drawn for 1-D and 2-D layers; the sum line holds them")
        if self.note:
            notes.append(self.note)
        if self._has_fractions() and not hidden:
            notes.append(f"values in cells rounded to {CELL_DECIMALS} decimal (the sum line gives the exact fraction)")
        return "  ·  ".join(notes)


@dataclass
class CopyNumbers:
    """The numbers of a layer that copies values (a pad, PixelShuffle, PixelUnshuffle): the input's values and
    each output cell's, the value it copies (`engine.numeric.CopyValues`). Elements are (channel, spatial...),
    as `layout.CanvasModel.copy_position` names the cells."""

    frames: CopyFrames
    values: CopyValues
    note: str | None = None

    @classmethod
    def for_frames(cls, frames: CopyFrames, values: CopyValues | None = None) -> CopyNumbers:
        kind = LandingValues if isinstance(frames, LandingFrames) else CopyValues
        state = values.with_frames(frames) if type(values) is kind else kind.default(frames)
        shape = frames.result.input_shape
        shown = frames.copies.shown_channels
        more = shape is not None and shape[0] > shown
        channels = "channel 0" if shown == 1 else f"channels 0–{shown - 1}"
        if isinstance(frames, LandingFrames):
            return cls(frames, state, f"{'showing input channel 0 of ' + str(shape[0]) + '; ' if more else ''}"
                       "where values land follows the values shown on the pool's input")
        return cls(frames, state, f"showing the values of input {channels} of {shape[0]}; the others are copied "
                   "alike" if more else None)

    @property
    def cells_drawn(self) -> bool:
        return self.frames.ndim <= 2

    def value(self, side: str, element: tuple[int, ...]) -> Value:
        """The value of an input or output element."""
        return self.values.input[element] if side == "input" else self.values.output_value(element)

    def sum_line(self, view: str, step: int) -> str:
        """The line under the canvas: which input value the current output cell copies."""
        return self.values.line(self.frames.output_element(step))

    def notes(self, hidden: bool) -> str:
        notes = [HIDDEN_NOTE] if hidden else []
        if not self.cells_drawn:
            notes.append("values in cells are drawn for 1-D and 2-D layers; the line above holds them")
        if self.note:
            notes.append(self.note)
        return "  ·  ".join(notes)


def _tuple(position: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, position)) + ")"


def _factor(value: Value) -> str:
    text = format_number(value)
    return f"({text})" if text.startswith("-") or "/" in text else text

