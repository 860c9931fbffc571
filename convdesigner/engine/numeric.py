"""Exact values of one sliding-window layer, one channel in and one channel out (the numbers mode, issue 9).

The paper's chapter 1 (Dumoulin & Visin, figures 1.1, 1.2, 1.5, 1.6) shows the actual numbers: the input,
the kernel's weights and each output value being formed. This module computes them for any convolution,
transposed convolution, max or average pooling of a design, in pure Python and exactly: integers stay
``int``, averages are ``fractions.Fraction``. Sizes are never re-derived: every size comes from the
layer's resolved geometry (``AxisGeometry``, filled in by the layer rules through ``arithmetic``).

API for the canvas
------------------
``layer = NumericLayer.from_result(analysis.layers[i])``
    (or ``NumericLayer.from_geometry(geometry, CONVOLUTION)``); ``supports(result)`` says whether a layer
    has numbers, ``channel_note(result)`` the "first input and output channel" caption.
``state = NumericState.default(layer)``
    the values shown: ``state.input``, ``state.kernel`` (None for pooling) and ``state.output`` are
    ``Grid``s (row-major, ``grid[(row, column)]``). Editing: ``state.with_input_value(position, value)``,
    ``state.with_kernel_value(...)``, ``state.randomised(seed)``, ``state.reset()``;
    ``parse_value(text)`` turns what a user typed into a value (or a ValueError with a readable message).
    ``state.cell_value(padded_position)`` is what to write in a cell of the grid the window slides over
    (``layer.window_shape``; ``layer.cell(position)`` says whether it is DATA, PADDING, ZERO or OUTSIDE).
``state.explain(step)``
    the output cell ``layer.position(step)`` being formed: ``Explanation.terms`` (one ``Term`` per kernel
    tap: padded position, DATA/PADDING/ZERO/OUTSIDE, input position, value, weight, product) and
    ``Explanation.line(max_terms=6, decimals=None)``: ``"3·0 + 3·1 + 2·2 + ... = 12"``,
    ``"max(3, 3, 2, ...) = 3"`` or ``"(3 + 3 + 2 + ...) / 9 = 17/9"``.
``state.explain_scatter(step)``, ``state.scatter_output(upto)``
    a transposed convolution's scatter view: input cell ``layer.input_position(step)`` adds value x kernel
    into the output; ``upto`` input cells scattered so far give the partially formed output.
``conv_matrix(layer, w)``, ``layer_matrix(layer, w)``, ``matrix_forward(layer, x, w)``
    section 4.1's sparse matrix C with the weights in it (C transposed for a transposed convolution).
``format_number(value, decimals=None)``
    ``"17/9"`` exactly, or ``"1.89 (rounded to 2 decimals)"``.

Coordinates match ``frames``: a window's taps sit at *padded* positions ``u = y*s + t*d`` (0 at the first
padded unit); a transposed convolution's direct view slides with stride 1 over its stretched input padded by
d(k - 1) - p (cropped when negative) with the kernel flipped; its scatter view writes input ``x`` at the
uncropped position ``u = x*s + t*d``, which is output ``u - p`` when kept.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from itertools import product
from math import prod
from typing import TYPE_CHECKING, Any

from .evaluation import AxisGeometry
from .frames import DATA, OUTSIDE, PADDING, ZERO, AxisTrack, CopyFrames, combine_kinds, direct_track, scatter_axis
from .layers import CATALOG
from .layers.common import AVG_POOL, CONVOLUTION, MAX_POOL, TRANSPOSED
from .receptive_field import BORDERS, border_source

if TYPE_CHECKING:
    from .analysis import LayerResult

Value = int | Fraction | float  # float only for max pooling's -inf over a window of padding alone
Position = tuple[int, ...]

KINDS = (CONVOLUTION, TRANSPOSED, MAX_POOL, AVG_POOL)

# What lies under a kernel tap: DATA, PADDING, ZERO (inserted by stretching) and OUTSIDE, `frames`' words.

PADDING_MODES = BORDERS

#: Seed of the default values (the paper's figures were drawn with numpy seed 1234).
DEFAULT_SEED = 1234
#: Default values are drawn from 0..3 for inputs and 0..2 for kernels, as in the paper's figures.
INPUT_VALUES = range(0, 4)
KERNEL_VALUES = range(0, 3)
#: Max pooling over a window that holds only padding: PyTorch pads max pooling with -inf.
EMPTY_MAX = float("-inf")


# -- grids -----------------------------------------------------------------------------------------------

def _ravel(position: Sequence[int], shape: Sequence[int]) -> int:
    flat = 0
    for p, n in zip(position, shape):
        flat = flat * n + p
    return flat


def _unravel(flat: int, shape: Sequence[int]) -> Position:
    out = []
    for n in reversed(shape):
        flat, r = divmod(flat, n)
        out.append(r)
    return tuple(reversed(out))


def _strides(shape: Sequence[int]) -> tuple[int, ...]:
    """Row-major strides: how far the flat index moves per unit on each axis."""
    return tuple(prod(shape[a + 1:]) for a in range(len(shape)))


def positions(shape: Sequence[int]) -> Iterator[Position]:
    """Every position of a grid of this shape, in row-major order (the order of the animation's steps)."""
    return product(*(range(n) for n in shape))


@dataclass(frozen=True)
class Grid:
    """An n-D grid of exact values, stored flat in row-major order (the paper's flattening, section 4.1)."""

    shape: Position
    values: tuple[Value, ...]

    def __post_init__(self) -> None:
        if not self.shape or any(n < 1 for n in self.shape):
            raise ValueError(f"a grid needs at least one unit on every axis, got shape {self.shape}")
        if len(self.values) != prod(self.shape):
            raise ValueError(f"a grid of shape {self.shape} holds {prod(self.shape)} values, got {len(self.values)}")

    @classmethod
    def from_nested(cls, nested: Sequence[Any]) -> Grid:
        """A grid from nested lists, e.g. ``[[0, 1, 2], [2, 2, 0], [0, 1, 2]]`` (rows first)."""
        shape: list[int] = []
        level: Any = nested
        while isinstance(level, (list, tuple)):
            if not level:
                raise ValueError("a grid needs at least one unit on every axis")
            shape.append(len(level))
            level = level[0]
        values: list[Value] = []

        def walk(part: Any, depth: int) -> None:
            if depth == len(shape):
                if isinstance(part, (list, tuple)):
                    raise ValueError("ragged nested lists: every row needs the same length")
                values.append(part)
                return
            if not isinstance(part, (list, tuple)) or len(part) != shape[depth]:
                raise ValueError("ragged nested lists: every row needs the same length")
            for item in part:
                walk(item, depth + 1)

        walk(nested, 0)
        return cls(tuple(shape), tuple(values))

    @classmethod
    def filled(cls, shape: Sequence[int], value: Value = 0) -> Grid:
        return cls(tuple(shape), (value,) * prod(shape))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return len(self.values)

    def index(self, position: Sequence[int]) -> int:
        """The flat (row-major) index of ``position``."""
        if len(position) != len(self.shape) or any(not 0 <= p < n for p, n in zip(position, self.shape)):
            raise IndexError(f"position {tuple(position)} is outside a grid of shape {self.shape}")
        return _ravel(position, self.shape)

    def __getitem__(self, position: Sequence[int]) -> Value:
        return self.values[self.index(position)]

    def positions(self) -> Iterator[Position]:
        return positions(self.shape)

    def with_value(self, position: Sequence[int], value: Value) -> Grid:
        """A copy with one cell changed (the canvas's "click a cell, type a value")."""
        flat = self.index(position)
        return Grid(self.shape, self.values[:flat] + (value,) + self.values[flat + 1:])

    def flipped(self) -> Grid:
        """The grid reversed on every axis (the transposed convolution's flipped kernel). In row-major
        order that is the flat values reversed."""
        return Grid(self.shape, self.values[::-1])

    def to_nested(self) -> list[Any]:
        """Nested lists, rows first (a 1-D grid is a flat list)."""

        def build(offset: int, depth: int) -> list[Any]:
            if depth == len(self.shape) - 1:
                return list(self.values[offset:offset + self.shape[-1]])
            step = prod(self.shape[depth + 1:])
            return [build(offset + j * step, depth + 1) for j in range(self.shape[depth])]

        return build(0, 0)


#: The paper's 3x3 kernel (figures 1.1 and 1.2).
PAPER_KERNEL = Grid.from_nested([[0, 1, 2], [2, 2, 0], [0, 1, 2]])
#: The paper's 5x5 input of figures 1.1, 1.2, 1.5 and 1.6 (vdumoulin/conv_arithmetic, bin/produce_figure).
PAPER_INPUT = Grid.from_nested([
    [3, 3, 2, 1, 0],
    [0, 0, 1, 3, 1],
    [3, 1, 2, 2, 3],
    [2, 0, 0, 2, 2],
    [2, 0, 0, 0, 1],
])


def random_input(shape: Sequence[int], seed: int = DEFAULT_SEED) -> Grid:
    """Small integers 0..3 (as in the paper's figures) from a generator seeded with ``seed``, row-major."""
    rng = random.Random(f"input {seed}")
    return Grid(tuple(shape), tuple(rng.choices(INPUT_VALUES, k=prod(shape))))


def random_kernel(shape: Sequence[int], seed: int = DEFAULT_SEED) -> Grid:
    """Small integer weights 0..2 (as the paper's kernel) from a seeded generator; never all zero."""
    rng = random.Random(f"kernel {seed}")
    values = rng.choices(KERNEL_VALUES, k=prod(shape))
    if not any(values):
        values[len(values) // 2] = 1
    return Grid(tuple(shape), tuple(values))


def default_input(shape: Sequence[int]) -> Grid:
    """The paper's input for a 5x5 layer (so chapter 1's figures look like the paper), otherwise seeded
    small integers: the same every time."""
    return PAPER_INPUT if tuple(shape) == PAPER_INPUT.shape else random_input(shape)


def default_kernel(shape: Sequence[int]) -> Grid:
    """The paper's kernel [[0, 1, 2], [2, 2, 0], [0, 1, 2]] for 3x3, otherwise deterministic small integers."""
    return PAPER_KERNEL if tuple(shape) == PAPER_KERNEL.shape else random_kernel(shape)


# -- the layer -------------------------------------------------------------------------------------------

def kind_of(type_name: str) -> str | None:
    """The numbers-mode kind of a catalog layer type (its sliding window), or None when it has none."""
    layer_type = CATALOG.get(type_name)
    return layer_type.window if layer_type is not None else None


#: The most input cells, and multiply-accumulates for the whole output, the numbers mode computes: the
#: values are exact pure-Python numbers computed at once (a 128x128 input with a 3x3 kernel takes a fraction
#: of a second), and cells beyond that are too small to read anyway.
NUMBERS_MAX_CELLS = 16_384
NUMBERS_MAX_WORK = 250_000


def numbers_unavailable(result: LayerResult) -> str | None:
    """Why the numbers mode cannot show this analysed layer (a sliding window, or a layer that copies values), or
    None when it can."""
    layer_type = CATALOG.get(result.type)
    if (layer_type is not None and (layer_type.copies is not None or layer_type.landing is not None)
            and result.input_shape is not None and result.output_shape is not None):
        shown = (1 if layer_type.copies is None
                 else layer_type.copies(result.layer, result.input_shape, result.output_shape).shown_channels)
        cells = shown * prod(result.input_shape[1:])
        if cells > NUMBERS_MAX_CELLS:
            return (f"numbers are shown for layers of up to {NUMBERS_MAX_CELLS:,} input cells; {result.name} shows "
                    f"{cells:,}")
        return None
    if kind_of(result.type) is None or result.geometry is None:
        return f"{result.type} has no sliding window to fill with numbers"
    cells = prod(g.i for g in result.geometry)
    work = prod(g.o for g in result.geometry) * prod(g.k for g in result.geometry)
    if cells > NUMBERS_MAX_CELLS:
        return (f"numbers are shown for layers of up to {NUMBERS_MAX_CELLS:,} input cells "
                f"(128x128 with a 3x3 kernel); {result.name} has {cells:,}")
    if work > NUMBERS_MAX_WORK:
        return (f"numbers are shown for layers of up to {NUMBERS_MAX_WORK:,} output cells times kernel taps; "
                f"{result.name} has {work:,}")
    return None


def supports(result: LayerResult) -> bool:
    """Whether the numbers mode can show this analysed sliding-window layer (`NumericLayer.from_result`; a layer
    that copies values has its numbers in `CopyValues`)."""
    return kind_of(result.type) is not None and numbers_unavailable(result) is None


def channel_note(result: LayerResult) -> str | None:
    """The caption for a layer with more than one channel: the numbers are one channel pair's, as in the
    paper (None when the layer has one channel in and one out)."""
    if result.input_shape is None or result.output_shape is None:
        return None
    c_in, c_out = result.input_shape[0], result.output_shape[0]
    if kind_of(result.type) in (MAX_POOL, AVG_POOL):
        return f"showing channel 1 of {c_in}" if c_in > 1 else None
    if c_in == 1 and c_out == 1:
        return None
    return f"showing input channel 1 of {c_in} and output channel 1 of {c_out} (one kernel slice)"


@dataclass(frozen=True)
class _Track:
    """One axis of the grid a window slides over: the canvas's own `frames.AxisTrack` (so the numbers sit
    exactly where the canvas draws the taps), plus what the values need: the layer's input size and the
    padding mode whose copies fill the padding."""

    axis: AxisTrack
    i: int  # the layer's input size
    mode: str  # padding mode

    @property
    def cells(self) -> int:
        return self.axis.cells

    def cell(self, u: int) -> tuple[str, int | None]:
        """What lies at padded position ``u`` and the input unit whose value it holds (None: a zero)."""
        kind = self.axis.kind(u)
        if kind == PADDING:
            return PADDING, self._padding_source(u - self.axis.pad_low)
        return kind, self.axis.source(u)

    def _padding_source(self, z: int) -> int | None:
        """The input unit a non-zero padding mode copies into padded unit ``z`` (PyTorch's F.pad)."""
        return border_source(z, self.i, self.mode)

    def taps(self, y: int) -> tuple[tuple[int, int, int, str, int | None], ...]:
        """Output ``y``'s taps: (tap t, kernel index, padded position, what lies there, input unit)."""
        return tuple((t, self.axis.weight(t), u, *self.cell(u)) for t, u in enumerate(self.axis.window(y)))


def _track(g: AxisGeometry, mode: str) -> _Track:
    """A transposed convolution slides over its stretched input, padded by d(k - 1) - p, with unit stride
    and the kernel flipped (relationships 8-14); `frames.direct_track` builds that grid for both."""
    return _Track(direct_track(g), g.i, "zeros" if g.transposed else mode)


def _scatter_axis(g: AxisGeometry, x: int) -> tuple[tuple[int, int, int | None], ...]:
    """Input unit ``x`` of a transposed convolution scattered on one axis: (tap t, uncropped position
    x*s + t*d, output unit u - p or None where the padding crops it), as `frames.ScatterAxis` writes it."""
    axis = scatter_axis(g)
    return tuple((t, u, axis.output(u)) for t, u in enumerate(axis.writes(x)))


@dataclass(frozen=True)
class NumericLayer:
    """A sliding-window layer reduced to what its numbers need: its kind and its per-axis geometry."""

    kind: str
    geometry: tuple[AxisGeometry, ...]
    count_include_pad: bool = True
    divisor_override: int | None = None
    padding_mode: str = "zeros"
    name: str = ""
    _tracks: tuple[_Track, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown layer kind {self.kind!r}: one of {', '.join(KINDS)}")
        if not self.geometry:
            raise ValueError("a numeric layer needs the geometry of at least one axis")
        transposed = self.kind == TRANSPOSED
        for g in self.geometry:
            if g.transposed != transposed or (transposed and g.equivalent is None):
                raise ValueError(f"the geometry does not describe a {self.kind}")
        if self.padding_mode not in PADDING_MODES or (self.padding_mode != "zeros" and self.kind != CONVOLUTION):
            raise ValueError(f"padding mode {self.padding_mode!r} is not one a {self.kind} has")
        if self.divisor_override is not None and (self.kind != AVG_POOL or self.divisor_override < 1):
            raise ValueError("divisor_override is a positive divisor of average pooling")
        object.__setattr__(self, "_tracks", tuple(_track(g, self.padding_mode) for g in self.geometry))

    @classmethod
    def from_geometry(
        cls, geometry: Iterable[AxisGeometry], kind: str, *, count_include_pad: bool = True,
        divisor_override: int | None = None, padding_mode: str = "zeros", name: str = "",
    ) -> NumericLayer:
        """The layer from a ``LayerResult.geometry`` and one of KINDS."""
        return cls(kind, tuple(geometry), count_include_pad, divisor_override, padding_mode, name)

    @classmethod
    def from_result(cls, result: LayerResult) -> NumericLayer:
        """The layer of an analysed design (``analyze(design).layers[i]``); a ValueError naming the layer
        when it has no numbers (not a convolution or pooling, or not computed)."""
        kind = kind_of(result.type)
        if kind is None:
            raise ValueError(f"{result.name}: {result.type} has no sliding window to show in numbers "
                             "(numbers are shown for convolutions, transposed convolutions and max or average pooling)")
        if result.geometry is None:
            raise ValueError(f"{result.name}: the layer has errors, so it has no numbers to show")
        layer = result.layer
        return cls.from_geometry(
            result.geometry, kind,
            count_include_pad=bool(layer.get("count_include_pad", True)),
            divisor_override=layer.get("divisor_override") if kind == AVG_POOL else None,
            padding_mode=layer.get("padding_mode", "zeros") if kind == CONVOLUTION else "zeros",
            name=result.name,
        )

    @property
    def ndim(self) -> int:
        return len(self.geometry)

    @property
    def input_shape(self) -> Position:
        return tuple(g.i for g in self.geometry)

    @property
    def output_shape(self) -> Position:
        return tuple(g.o for g in self.geometry)

    @property
    def kernel_shape(self) -> Position:
        return tuple(g.k for g in self.geometry)

    @property
    def window_shape(self) -> Position:
        """The grid the window slides over: the padded input, or for a transposed convolution the padded
        (or cropped) stretched input."""
        return tuple(t.cells for t in self._tracks)

    @property
    def has_weights(self) -> bool:
        return self.kind in (CONVOLUTION, TRANSPOSED)

    @property
    def steps(self) -> int:
        """One step per output position (row-major)."""
        return prod(self.output_shape)

    @property
    def scatter_steps(self) -> int:
        """One scatter step per input position of a transposed convolution (0 otherwise)."""
        return prod(self.input_shape) if self.kind == TRANSPOSED else 0

    def position(self, step: int) -> Position:
        """The output position of ``step``."""
        if not 0 <= step < self.steps:
            raise IndexError(f"step {step} is outside 0..{self.steps - 1}")
        return _unravel(step, self.output_shape)

    def step_of(self, position: Sequence[int]) -> int:
        return _ravel(position, self.output_shape)

    def input_position(self, step: int) -> Position:
        """The input position of scatter ``step``."""
        if not 0 <= step < prod(self.input_shape):
            raise IndexError(f"scatter step {step} is outside 0..{prod(self.input_shape) - 1}")
        return _unravel(step, self.input_shape)

    def cell(self, position: Sequence[int]) -> tuple[str, Position | None]:
        """What lies at a padded position of the window's grid: DATA, PADDING, ZERO or OUTSIDE, and the
        input position whose value it holds (None for zeros)."""
        kinds, sources = zip(*(t.cell(u) for t, u in zip(self._tracks, position)))
        return combine_kinds(kinds), (None if None in sources else tuple(sources))  # type: ignore[arg-type]


# -- values ----------------------------------------------------------------------------------------------

def _check_input(layer: NumericLayer, x: Grid) -> None:
    if x.shape != layer.input_shape:
        raise ValueError(f"{layer.name or layer.kind}: the input has shape {x.shape}, the layer takes "
                         f"{layer.input_shape}")


def _kernel(layer: NumericLayer, w: Grid | None) -> Grid | None:
    """The kernel to use (the default one when None); None for pooling."""
    if not layer.has_weights:
        return None
    if w is None:
        return default_kernel(layer.kernel_shape)
    if w.shape != layer.kernel_shape:
        raise ValueError(f"{layer.name or layer.kind}: the kernel has shape {w.shape}, the layer's is "
                         f"{layer.kernel_shape}")
    return w


def forward(layer: NumericLayer, x: Grid, w: Grid | None = None) -> Grid:
    """The layer's output values. A convolution is o[y] = sum over taps t of w[t] * x_padded[y*s + t*d];
    a transposed convolution is computed as its equivalent direct convolution (relationships 8-14: unit
    stride, flipped kernel, over the stretched input padded by d(k - 1) - p and d(k - 1) - p + a); pooling
    takes the max or the average of each window as PyTorch does (ceil-mode windows clipped, the divisor
    following count_include_pad and divisor_override)."""
    _check_input(layer, x)
    w = _kernel(layer, w)
    tracks = layer._tracks
    x_strides = _strides(x.shape)
    if w is not None:
        w_strides = _strides(w.shape)
        # Per axis and output unit: (kernel offset, input offset) of the taps that read an input value.
        per_axis = [
            [[(wi * ws, src * xs) for _t, wi, _u, _k, src in track.taps(y) if src is not None] for y in range(g.o)]
            for track, g, ws, xs in zip(tracks, layer.geometry, w_strides, x_strides)
        ]
        out: list[Value] = []
        for y in positions(layer.output_shape):
            total: Value = 0
            for combo in product(*(per_axis[a][ya] for a, ya in enumerate(y))):
                total += w.values[sum(c[0] for c in combo)] * x.values[sum(c[1] for c in combo)]
            out.append(total)
        return Grid(layer.output_shape, tuple(out))
    data = [
        [[src * xs for _t, _wi, _u, kind, src in track.taps(y) if kind == DATA] for y in range(g.o)]
        for track, g, xs in zip(tracks, layer.geometry, x_strides)
    ]
    counted = [[sum(kind != OUTSIDE for *_, kind, _src in track.taps(y)) for y in range(g.o)]
               for track, g in zip(tracks, layer.geometry)]
    out = []
    for y in positions(layer.output_shape):
        values = [x.values[sum(c)] for c in product(*(data[a][ya] for a, ya in enumerate(y)))]
        if layer.kind == MAX_POOL:
            out.append(max(values) if values else EMPTY_MAX)
        else:
            divisor = _divisor(layer, len(values), prod(counted[a][ya] for a, ya in enumerate(y)))
            out.append(Fraction(sum(values)) / divisor)
    return Grid(layer.output_shape, tuple(out))


def _divisor(layer: NumericLayer, data_count: int, window_count: int) -> int:
    """Average pooling's divisor, PyTorch's rule: divisor_override if set; else with count_include_pad
    the window's units inside the padded input (a ceil-mode window hanging over the end is clipped there),
    without it only the input units."""
    if layer.divisor_override is not None:
        return layer.divisor_override
    return window_count if layer.count_include_pad else data_count


def forward_scatter(layer: NumericLayer, x: Grid, w: Grid | None = None, upto: int | None = None) -> Grid:
    """A transposed convolution's output by scattering: each input value times the kernel is added into
    the output at x*s - p + t*d (what falls outside is cropped; the output padding a extends the high side).
    ``upto``: only the first ``upto`` input positions (row-major) scattered, the output as it forms."""
    if layer.kind != TRANSPOSED:
        raise ValueError(f"{layer.name or layer.kind}: only a transposed convolution has a scatter view")
    _check_input(layer, x)
    w = _kernel(layer, w)
    assert w is not None
    w_strides = _strides(w.shape)
    o_strides = _strides(layer.output_shape)
    per_axis = [
        [[(t * ws, y * os) for t, _u, y in _scatter_axis(g, xa) if y is not None] for xa in range(g.i)]
        for g, ws, os in zip(layer.geometry, w_strides, o_strides)
    ]
    out: list[Value] = [0] * prod(layer.output_shape)
    count = x.size if upto is None else max(0, min(upto, x.size))
    for flat in range(count):
        source = _unravel(flat, x.shape)
        value = x.values[flat]
        for combo in product(*(per_axis[a][xa] for a, xa in enumerate(source))):
            out[sum(c[1] for c in combo)] += value * w.values[sum(c[0] for c in combo)]
    return Grid(layer.output_shape, tuple(out))


# -- explanations ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    """One kernel tap of the window that forms an output value.

    ``tap``: index in the drawn window (for a transposed convolution's direct view, of the flipped kernel);
    ``kernel_index``: the weight's index in the layer's kernel; ``position``: padded position on the grid
    the window slides over; ``kind``: DATA, PADDING, ZERO or OUTSIDE; ``input_position``: the input unit
    whose value lies there (None on zeros); ``value``: that value (0 on zeros, None where nothing is read:
    max pooling's padding, a ceil-mode window's overhang); ``counted``: whether the term enters the sum,
    max or divisor.
    """

    tap: Position
    kernel_index: Position
    position: Position
    kind: str
    input_position: Position | None
    value: Value | None
    weight: Value | None
    product: Value | None
    counted: bool


@dataclass(frozen=True)
class Explanation:
    """How output cell ``position`` is formed: its terms, its value and (average pooling) the divisor."""

    kind: str
    position: Position
    terms: tuple[Term, ...]
    value: Value
    divisor: int | None = None

    @property
    def counted(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.counted)

    def line(self, max_terms: int | None = None, decimals: int | None = None) -> str:
        """The sum written out, e.g. ``3·0 + 3·1 + 2·2 + ... = 12``; ``max_terms`` elides the rest with
        "...", ``decimals`` rounds an average (saying so) instead of writing it as an exact fraction."""
        terms = self.counted
        if self.kind in (CONVOLUTION, TRANSPOSED):
            parts = [f"{_factor(t.value)}·{_factor(t.weight)}" for t in terms]
            return f"{' + '.join(_elide(parts, max_terms))} = {format_number(self.value)}"
        if self.kind == MAX_POOL:
            if not terms:
                return "max(nothing: the window holds only padding) = -inf"
            parts = [format_number(t.value) for t in terms]  # type: ignore[arg-type]
            return f"max({', '.join(_elide(parts, max_terms))}) = {format_number(self.value)}"
        parts = [_factor(t.value) for t in terms]
        total = sum(t.value for t in terms)  # type: ignore[misc]
        steps = [f"{format_number(total)}/{self.divisor}" if isinstance(total, int) and self.divisor != 1 else None,
                 format_number(self.value, decimals)]
        shown = " = ".join(dict.fromkeys(s for s in steps if s is not None))
        return f"({' + '.join(_elide(parts, max_terms))}) / {self.divisor} = {shown}"

    @property
    def text(self) -> str:
        return self.line()


def _elide(parts: list[str], max_terms: int | None) -> list[str]:
    if max_terms is not None and len(parts) > max_terms:
        return [*parts[:max(1, max_terms)], "..."]
    return parts


def _factor(value: Value | None) -> str:
    """A value inside a product or sum: negative numbers and fractions in parentheses."""
    text = format_number(value) if value is not None else "?"
    return f"({text})" if text.startswith("-") or "/" in text else text


def explain(layer: NumericLayer, x: Grid, w: Grid | None, position: Sequence[int]) -> Explanation:
    """Every tap of output ``position``'s window with its value, weight and product, and the result (the
    same value `forward` gives)."""
    _check_input(layer, x)
    w = _kernel(layer, w)
    position = tuple(position)
    if len(position) != layer.ndim or any(not 0 <= y < o for y, o in zip(position, layer.output_shape)):
        raise IndexError(f"output position {position} is outside {layer.output_shape}")
    terms = []
    for combo in product(*(track.taps(y) for track, y in zip(layer._tracks, position))):
        tap, kernel_index, where, kinds, sources = (tuple(c[n] for c in combo) for n in range(5))
        kind = combine_kinds(kinds)
        source = None if kind in (OUTSIDE, ZERO) or None in sources else sources
        if kind == OUTSIDE or (kind == PADDING and layer.kind == MAX_POOL):
            value: Value | None = None
        else:
            value = x[source] if source is not None else 0
        if layer.kind == MAX_POOL:
            counted = kind == DATA
        elif layer.kind == AVG_POOL:
            counted = kind == DATA or (kind == PADDING and layer.count_include_pad)
        else:
            counted = kind != OUTSIDE
        weight = w[kernel_index] if w is not None else None
        product_ = value * weight if weight is not None and value is not None else None
        terms.append(Term(tap, kernel_index, where, kind, source, value, weight, product_, counted))
    counted_values = [t.value for t in terms if t.counted]
    divisor = None
    if layer.kind in (CONVOLUTION, TRANSPOSED):
        result: Value = sum(t.product for t in terms if t.counted)  # type: ignore[misc]
    elif layer.kind == MAX_POOL:
        result = max(counted_values) if counted_values else EMPTY_MAX  # type: ignore[type-var]
    else:
        data_count = sum(t.kind == DATA for t in terms)
        divisor = _divisor(layer, data_count, sum(t.kind != OUTSIDE for t in terms))
        result = Fraction(sum(counted_values)) / divisor  # type: ignore[arg-type]
    return Explanation(layer.kind, position, tuple(terms), result, divisor)


@dataclass(frozen=True)
class ScatterTerm:
    """One tap of an input value's scattered patch: the weight's kernel index and value, the uncropped
    position x*s + t*d, the output cell it lands on (None where the padding crops it) and the product."""

    kernel_index: Position
    weight: Value
    position: Position
    output: Position | None
    product: Value


@dataclass(frozen=True)
class ScatterExplanation:
    """Input cell ``source`` of a transposed convolution adding its value times the kernel into the output."""

    source: Position
    value: Value
    terms: tuple[ScatterTerm, ...]

    @property
    def kept(self) -> tuple[ScatterTerm, ...]:
        return tuple(t for t in self.terms if t.output is not None)

    def line(self, max_terms: int | None = None) -> str:
        """E.g. ``3 × kernel adds 0, 3, 6, 6, ... into the output; 2 of 9 cropped``."""
        parts = [format_number(t.product) for t in self.kept]
        cropped = len(self.terms) - len(parts)
        text = f"{_factor(self.value)} × kernel adds {', '.join(_elide(parts, max_terms)) or 'nothing'} into the output"
        if cropped:
            text += f"; {cropped} of {len(self.terms)} cropped by the padding"
        return text

    @property
    def text(self) -> str:
        return self.line()


def explain_scatter(layer: NumericLayer, x: Grid, w: Grid | None, source: Sequence[int]) -> ScatterExplanation:
    """What input cell ``source`` of a transposed convolution writes into the output (the scatter view)."""
    if layer.kind != TRANSPOSED:
        raise ValueError(f"{layer.name or layer.kind}: only a transposed convolution has a scatter view")
    _check_input(layer, x)
    w = _kernel(layer, w)
    assert w is not None
    source = tuple(source)
    value = x[source]
    terms = []
    for combo in product(*(_scatter_axis(g, xa) for g, xa in zip(layer.geometry, source))):
        kernel_index = tuple(c[0] for c in combo)
        outputs = tuple(c[2] for c in combo)
        weight = w[kernel_index]
        terms.append(ScatterTerm(kernel_index, weight, tuple(c[1] for c in combo),
                                 None if None in outputs else outputs, value * weight))  # type: ignore[arg-type]
    return ScatterExplanation(source, value, tuple(terms))


# -- the matrix view (section 4.1) -----------------------------------------------------------------------

@dataclass(frozen=True)
class Matrix:
    """A dense matrix of exact values, one tuple per row (small layers only: the canvas draws it)."""

    rows: tuple[tuple[Value, ...], ...]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0]) if self.rows else 0

    def transpose(self) -> Matrix:
        return Matrix(tuple(zip(*self.rows)))

    def apply(self, vector: Sequence[Value]) -> tuple[Value, ...]:
        """The product with a column vector (a flattened grid)."""
        if len(vector) != self.shape[1]:
            raise ValueError(f"a {self.shape[0]}x{self.shape[1]} matrix needs a vector of {self.shape[1]}")
        return tuple(sum(c * v for c, v in zip(row, vector) if c) for row in self.rows)

    def nonzero(self, row: int) -> tuple[int, ...]:
        """The columns of ``row`` that hold a weight (the sparse pattern the paper draws)."""
        return tuple(c for c, v in enumerate(self.rows[row]) if v)


def conv_matrix(layer: NumericLayer, w: Grid | None = None) -> Matrix:
    """Section 4.1's sparse matrix C, with the kernel's weights, such that C @ flatten(x) = flatten(y) for
    the direct convolution (row-major flattening). For a transposed convolution, C is the matrix of the
    direct convolution with the same k, s, p, d that maps the transposed layer's output size back to its
    input size: one row per input unit of the transposed layer, one column per output unit. The output
    padding a is the last a columns, the units that direct convolution leaves unvisited (relationship 14);
    when a >= s (allowed with dilation d > a) the direct convolution would have more outputs, and C keeps
    the first i' rows. The transposed layer is C transposed (`layer_matrix`)."""
    w = _kernel(layer, w)
    if w is None:
        raise ValueError(f"{layer.name or layer.kind}: pooling has no weights, so no matrix C")
    w_strides = _strides(w.shape)
    if layer.kind == CONVOLUTION:
        rows_shape, cols_shape = layer.output_shape, layer.input_shape
        c_strides = _strides(cols_shape)
        per_axis = [
            [[(wi * ws, src * cs) for _t, wi, _u, _k, src in track.taps(y) if src is not None] for y in range(g.o)]
            for track, g, ws, cs in zip(layer._tracks, layer.geometry, w_strides, c_strides)
        ]
    else:
        rows_shape, cols_shape = layer.input_shape, layer.output_shape
        c_strides = _strides(cols_shape)
        per_axis = [
            [[(t * ws, y * cs) for t, _u, y in _scatter_axis(g, xa) if y is not None] for xa in range(g.i)]
            for g, ws, cs in zip(layer.geometry, w_strides, c_strides)
        ]
    n_cols = prod(cols_shape)
    rows = []
    for r in positions(rows_shape):
        row: list[Value] = [0] * n_cols
        for combo in product(*(per_axis[a][ra] for a, ra in enumerate(r))):
            row[sum(c[1] for c in combo)] += w.values[sum(c[0] for c in combo)]
        rows.append(tuple(row))
    return Matrix(tuple(rows))


def layer_matrix(layer: NumericLayer, w: Grid | None = None) -> Matrix:
    """The matrix that maps this layer's flattened input to its flattened output: C for a convolution,
    C transposed for a transposed convolution (section 4.1)."""
    c = conv_matrix(layer, w)
    return c.transpose() if layer.kind == TRANSPOSED else c


def matrix_forward(layer: NumericLayer, x: Grid, w: Grid | None = None) -> Grid:
    """The output computed as a matrix product: `layer_matrix` times the flattened input."""
    _check_input(layer, x)
    return Grid(layer.output_shape, layer_matrix(layer, w).apply(x.values))


# -- the numbers the canvas shows ------------------------------------------------------------------------

@dataclass(frozen=True)
class NumericState:
    """The values of one layer's numbers mode: input, kernel (None for pooling) and what follows."""

    layer: NumericLayer
    input: Grid
    kernel: Grid | None

    def __post_init__(self) -> None:
        _check_input(self.layer, self.input)
        if self.layer.has_weights:
            if self.kernel is None:
                raise ValueError(f"{self.layer.name or self.layer.kind} needs a kernel")
            _kernel(self.layer, self.kernel)
        elif self.kernel is not None:
            raise ValueError(f"{self.layer.name or self.layer.kind} has no kernel weights")

    @classmethod
    def default(cls, layer: NumericLayer) -> NumericState:
        """The default values: fixed, so a figure looks the same every time."""
        return cls(layer, default_input(layer.input_shape),
                   default_kernel(layer.kernel_shape) if layer.has_weights else None)

    def reset(self) -> NumericState:
        return NumericState.default(self.layer)

    def randomised(self, seed: int) -> NumericState:
        """New small integers for the input and kernel, drawn from ``seed``."""
        return NumericState(self.layer, random_input(self.layer.input_shape, seed),
                            random_kernel(self.layer.kernel_shape, seed) if self.layer.has_weights else None)

    def with_layer(self, layer: NumericLayer) -> NumericState:
        """The state for an edited layer: values kept where the input or kernel shape still fits."""
        x = self.input if self.input.shape == layer.input_shape else default_input(layer.input_shape)
        w = None
        if layer.has_weights:
            w = self.kernel if self.kernel is not None and self.kernel.shape == layer.kernel_shape \
                else default_kernel(layer.kernel_shape)
        return NumericState(layer, x, w)

    def with_input_value(self, position: Sequence[int], value: Value) -> NumericState:
        return NumericState(self.layer, self.input.with_value(position, value), self.kernel)

    def with_kernel_value(self, position: Sequence[int], value: Value) -> NumericState:
        if self.kernel is None:
            raise ValueError(f"{self.layer.name or self.layer.kind} has no kernel weights")
        return NumericState(self.layer, self.input, self.kernel.with_value(position, value))

    @cached_property
    def output(self) -> Grid:
        return forward(self.layer, self.input, self.kernel)

    def cell_value(self, position: Sequence[int]) -> Value | None:
        """The value the canvas writes in a cell of the window's grid (padded coordinates): the input
        value (copied into the padding by reflect/replicate/circular modes), 0 on zero padding and on a
        stretched input's inserted zeros, None where there is nothing to write (past the padded input, and
        max pooling's padding, which takes no part in the max)."""
        kind, source = self.layer.cell(position)
        if kind == OUTSIDE or (kind == PADDING and self.layer.kind == MAX_POOL):
            return None
        return self.input[source] if source is not None else 0

    def explain(self, step: int | Sequence[int]) -> Explanation:
        """Output step (row-major index) or position ``step`` being formed."""
        position = self.layer.position(step) if isinstance(step, int) else tuple(step)
        return explain(self.layer, self.input, self.kernel, position)

    def explain_scatter(self, step: int | Sequence[int]) -> ScatterExplanation:
        """Scatter step (row-major input index) or input position ``step``."""
        source = self.layer.input_position(step) if isinstance(step, int) else tuple(step)
        return explain_scatter(self.layer, self.input, self.kernel, source)

    def scatter_output(self, upto: int | None = None) -> Grid:
        """The output after the first ``upto`` scatter steps (all of them when None)."""
        return forward_scatter(self.layer, self.input, self.kernel, upto)

    def matrix(self) -> Matrix:
        """The matrix of the layer's matrix view, with the weights: C, or C transposed."""
        return layer_matrix(self.layer, self.kernel)


# -- numbers as text -------------------------------------------------------------------------------------

def format_number(value: Value, decimals: int | None = None, state_rule: bool = True) -> str:
    """An exact value as text: integers as they are, fractions as ``17/9``, or, given ``decimals``,
    rounded half away from zero and said so: ``1.89 (rounded to 2 decimals)`` (``state_rule`` False
    leaves the note out, for a cell). A fraction with a short exact decimal form is written exactly."""
    if isinstance(value, float):
        if value == EMPTY_MAX:
            return "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if value.denominator == 1:
        return str(value.numerator)
    if decimals is None:
        return f"{value.numerator}/{value.denominator}"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    for digits in range(decimals + 1):
        scaled = magnitude * 10 ** digits
        if scaled.denominator == 1:
            return sign + _fixed(scaled.numerator, digits)
    rounded = int(magnitude * 10 ** decimals + Fraction(1, 2))
    text = sign + _fixed(rounded, decimals)
    if not state_rule:
        return text
    rule = "to a whole number" if decimals == 0 else f"to {decimals} decimal{'s' if decimals != 1 else ''}"
    return f"{text} (rounded {rule})"


def _fixed(scaled: int, digits: int) -> str:
    """``scaled`` / 10**digits written with ``digits`` decimals."""
    if digits == 0:
        return str(scaled)
    whole, part = divmod(scaled, 10 ** digits)
    return f"{whole}.{part:0{digits}d}"


#: The largest magnitude and denominator a cell takes (12 digits before the point, 6 after it): a window's
#: products and sums of such values stay short enough to show (Python writes at most 4,300 digits as text).
MAX_CELL_MAGNITUDE = 10**12
MAX_CELL_DENOMINATOR = 10**6


def parse_value(text: str) -> int | Fraction:
    """What a user typed into a cell: an integer (``-2``), a fraction (``1/3``) or a decimal (``0.5``),
    kept exact, of at most MAX_CELL_MAGNITUDE and with a denominator of at most MAX_CELL_DENOMINATOR. A
    ValueError with a readable message otherwise."""
    shown = text.strip()
    cleaned = shown.replace("\u2212", "-")
    try:
        value = Fraction(cleaned)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{shown!r} is not a number: type an integer such as 3, a fraction such as "
                         "1/3 or a decimal such as 0.5") from None
    if abs(value) > MAX_CELL_MAGNITUDE or value.denominator > MAX_CELL_DENOMINATOR:
        raise ValueError(f"{shown[:40]!r} is too large or too fine: a cell takes numbers of at most 12 digits "
                         "before the point and 6 after it (a fraction's denominator at most 1,000,000)")
    return value.numerator if value.denominator == 1 else value


# -- the numbers of a layer that copies values (pads, PixelShuffle, PixelUnshuffle) ------------------------------

def _exact(value: float) -> Value:
    """A pad's constant as the numbers mode writes it: an integer when it is one."""
    return int(value) if float(value).is_integer() else Fraction(value).limit_denominator(10**6)


@dataclass(frozen=True)
class CopyValues:
    """The numbers mode of a layer that copies values (`frames.CopyFrames`): the values of the input channels one
    output channel reads (``input``: channel, spatial...), and each output value, the input value it copies or
    the pad's constant. ``kernel`` is None: nothing is weighted."""

    frames: CopyFrames
    input: Grid
    kernel: None = None

    @property
    def input_shape(self) -> Position:
        return (self.frames.copies.shown_channels, *self.frames.input_size)

    def __post_init__(self) -> None:
        if self.input.shape != self.input_shape:
            raise ValueError(f"the input values have shape {self.input.shape}, the layer reads {self.input_shape}")

    @classmethod
    def default(cls, frames: CopyFrames) -> CopyValues:
        shape = (frames.copies.shown_channels, *frames.input_size)
        return cls(frames, random_input(shape))

    def reset(self) -> CopyValues:
        return type(self).default(self.frames)

    def randomised(self, seed: int) -> CopyValues:
        return type(self)(self.frames, random_input(self.input_shape, seed))

    def with_frames(self, frames: CopyFrames) -> CopyValues:
        """The values for an edited layer: kept while the input shape still fits."""
        kept = type(self)(frames, self.input) if self.input.shape == (frames.copies.shown_channels,
                                                                         *frames.input_size) else None
        return kept or type(self).default(frames)

    def with_input_value(self, position: Sequence[int], value: Value) -> CopyValues:
        return type(self)(self.frames, self.input.with_value(position, value))

    def output_value(self, output: Sequence[int]) -> Value:
        """The value of output element ``output`` (channel, spatial...; the channels of the first group)."""
        source = self.frames.copies.source(tuple(output))
        return _exact(self.frames.copies.value) if source is None else self.input[source]

    def line(self, output: Sequence[int]) -> str:
        """The numbers mode's line for one output element: ``output (0, 1, 0) = input (0, 0, 1) = 3``."""
        source = self.frames.copies.source(tuple(output))
        value = format_number(self.output_value(output))
        where = "(" + ", ".join(map(str, output)) + ")"
        if source is None:
            return f"output {where} = the padding's constant {value}"
        return f"output {where} = input {'(' + ', '.join(map(str, source)) + ')'} = {value}"


@dataclass(frozen=True)
class LandingValues(CopyValues):
    """The numbers mode of a layer whose values land in a window (`frames.LandingFrames`, MaxUnpool): its input's
    values and the output they make, each value where its pool found the first maximum of the values the numbers
    mode shows on the pool's input (`default_input`), zero elsewhere (`layers.pooling.UnpoolLanding`)."""

    @cached_property
    def pooled(self) -> Grid:
        """The pool's input values the landing follows: those the numbers mode shows when the pool is selected."""
        return default_input(self.frames.copies.pooled)

    @cached_property
    def output(self) -> Grid:
        return Grid(self.frames.landing_size, tuple(self.frames.copies.unpooled(self.pooled.values, self.input.values)))

    def lands(self, element: Sequence[int]) -> Position | None:
        """The output cell input element ``element`` (channel, spatial...) lands in (None: beyond the output)."""
        return self.frames.copies.lands(self.pooled.values, tuple(element[1:]))

    def output_value(self, output: Sequence[int]) -> Value:
        return self.output[tuple(output[1:])]

    def line(self, element: Sequence[int]) -> str:
        """The numbers mode's line for one input element: where its value lands and why."""
        value = format_number(self.input[tuple(element)])
        found = self.lands(element)
        where = "(" + ", ".join(map(str, element)) + ")"
        if found is None:
            return f"input {where} = {value}: its pool's index lies beyond the output (PyTorch refuses this data)"
        text = (f"input {where} = {value} lands in output (0, {', '.join(map(str, found))}): where its pool found "
                "the first maximum of its window")
        others = [cell for cell in positions(self.frames.input_size) if cell != tuple(element[1:])
                  and self.lands((0, *cell)) == found]
        if others:  # duplicate indices: PyTorch keeps one value, which one it does not specify (the numbers: the last)
            text += (f"; {len(others)} other value{'s' if len(others) > 1 else ''} land there too: PyTorch keeps one, "
                     "unspecified which")
        return text
