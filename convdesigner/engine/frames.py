"""The sliding window, frame by frame: what the canvas draws for one layer, from the engine's numbers.

Every size here comes from the layer's resolved geometry (`AxisGeometry`, filled in by the layer rules
through `arithmetic`) or from `arithmetic` itself; this module only enumerates positions. Coordinates:

* **padded coordinates** ``u``: position in the input *with* its zero padding, 0 at the first padded
  unit. Data unit ``x`` sits at ``u = x + p_low``. For a transposed convolution's equivalent direct view
  the "input" is the stretched input (s - 1 zeros between units, section 4.5 of Dumoulin & Visin) and its
  padding d(k - 1) - p may be negative (cropping): then ``u = 0`` is the first *kept* unit.
* **steps**: one per output position, in row-major order (the paper's animations), or, in a transposed
  convolution's scatter view, one per input position.

The frames are the same for 1-, 2- and 3-D layers; the canvas draws the last two axes and a depth control.

Bounded by what is drawn (issue 17): a window's taps on one axis are an arithmetic progression, kept as a
``range`` (``AxisTrack.window``, ``ScatterAxis.writes``), so a frame costs O(axes) however large the kernel
(10^8 taps per axis load fine); the questions the canvas asks of one cell (who reads it, who writes it, how
many taps reach it) are answered in O(1) by solving a linear congruence (`congruent`). Only ``Frame.taps``,
``ScatterFrame.writes``, `LayerFrames.overlap` and `LayerFrames.matrix` list taps or cells one by one: for
small layers (tests, the numbers mode, the matrix view).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import product
from math import gcd, prod

from .analysis import LayerResult
from .arithmetic import conv_output_size, effective_kernel, pool_output_size, stretched_size, transposed_output_size
from .evaluation import AxisGeometry
from .layers import CATALOG
from .layers.common import AVG_POOL, CONVOLUTION, MAX_POOL, TRANSPOSED

DATA = "data"
PADDING = "padding"
ZERO = "zero"  # a zero inserted between the units of a transposed convolution's stretched input
OUTSIDE = "outside"  # past the padded input: a ceil-mode pooling window clipped at the border
#: The kind of a layer that copies values (`CopyFrames`), beside the sliding-window kinds.
COPY = "copies"

#: Largest matrix C (rows x columns) the engine builds for the section 4.1 view.
MATRIX_CELL_LIMIT = 64 * 256

DIRECT = "direct"
SCATTER = "scatter"
OVERLAP = "overlap"
MATRIX = "matrix"
VIEWS = (DIRECT, SCATTER, OVERLAP, MATRIX)


def congruent(a: int, c: int, m: int, lo: int, hi: int) -> range:
    """The integers v in [lo, hi) with a*v = c (mod m), as a range (empty when there are none): the taps,
    readers and writers of one cell, found without walking the kernel."""
    if hi <= lo:
        return range(0)
    g = gcd(a, m)
    if c % g:
        return range(0)
    period = m // g
    if period == 1:
        return range(lo, hi)
    first = (c // g) * pow(a // g, -1, period) % period
    return range(lo + (first - lo) % period, hi, period)


def within(positions: range, lo: int, hi: int) -> range:
    """The part of an increasing progression that lies in [lo, hi) (a range slice: O(1))."""
    step = positions.step
    start = max(0, -((positions.start - lo) // step))
    stop = max(0, -((positions.start - hi) // step))
    return positions[start:stop]


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class AxisTrack:
    """One axis of the grid a window slides over, with stride ``s`` and the window's taps ``d`` apart.

    ``size`` data units (the stretched size for a transposed convolution's direct view, where only every
    ``stretch``-th unit is real), padded by ``pad_low``/``pad_high`` (negative: cropped), ``o`` outputs.
    ``flipped``: the kernel is applied flipped (a transposed convolution as a direct one).
    """

    size: int
    pad_low: int
    pad_high: int
    k: int
    s: int
    d: int
    o: int
    stretch: int = 1
    unvisited: int = 0
    flipped: bool = False

    @property
    def cells(self) -> int:
        """Units of the padded input."""
        return self.size + self.pad_low + self.pad_high

    @property
    def reach(self) -> int:
        """The dilated kernel's extent (relationship 15)."""
        return effective_kernel(self.k, self.d)

    def kind(self, u: int) -> str:
        """DATA, PADDING, ZERO (inserted by stretching) or OUTSIDE for padded position ``u``."""
        if u < 0 or u >= self.cells:
            return OUTSIDE
        x = u - self.pad_low
        if x < 0 or x >= self.size:
            return PADDING
        return DATA if x % self.stretch == 0 else ZERO

    def source(self, u: int) -> int | None:
        """The input unit at padded position ``u`` (None on padding and inserted zeros)."""
        if self.kind(u) != DATA:
            return None
        return (u - self.pad_low) // self.stretch

    def position(self, x: int) -> int:
        """Padded position of input unit ``x``."""
        return x * self.stretch + self.pad_low

    def window(self, y: int) -> range:
        """Padded positions of output ``y``'s taps, t = 0..k-1: y*s + t*d."""
        return range(y * self.s, y * self.s + self.k * self.d, self.d)

    def spans(self, positions: range) -> list[tuple[range, str]]:
        """``positions`` (increasing) split by what lies there: at most five (progression, kind) pairs, the
        inserted zeros' span listed before the DATA units inside it (so a painter drawing in order leaves
        the data on top)."""
        lo, hi = self.pad_low, self.pad_low + self.size
        out = [(within(positions, min(positions.start, 0), 0), OUTSIDE),
               (within(positions, 0, max(0, min(lo, self.cells))), PADDING)]
        data = within(positions, max(0, lo), min(hi, self.cells))
        if self.stretch > 1 and data:
            out.append((data, ZERO))
            found = congruent(data.step, self.pad_low - data.start, self.stretch, 0, len(data))
            data = range(data.start + found.start * data.step, data.start + found.stop * data.step,
                          found.step * data.step) if found else range(0)
        out += [(data, DATA), (within(positions, max(0, hi), self.cells), PADDING),
                (within(positions, self.cells, max(self.cells, positions.stop)), OUTSIDE)]
        return [(r, kind) for r, kind in out if r]

    def best_kind(self, positions: range) -> str:
        """The kind of a tap among ``positions`` that ranks first (DATA, then ZERO, PADDING, OUTSIDE): a 3-D
        window's depth seen from above shows a cell as data when any of its depth taps is."""
        kinds = {kind for _r, kind in self.spans(positions)}
        return next((k for k in (DATA, ZERO, PADDING, OUTSIDE) if k in kinds), OUTSIDE)

    def readers(self, u: int) -> range:
        """The outputs y whose window covers padded position ``u`` (u = y*s + t*d, 0 <= t < k)."""
        lo = max(0, _ceil_div(u - (self.k - 1) * self.d, self.s))
        hi = min(self.o, u // self.s + 1) if u >= 0 else 0
        return congruent(self.s, u, self.d, lo, hi)

    def weight(self, t: int) -> int:
        """The kernel index tap ``t`` multiplies (reversed when the kernel is applied flipped)."""
        return self.k - 1 - t if self.flipped else t

    def unvisited_range(self) -> range:
        """Padded positions no window reaches (the paper's caveat after relationship 6, figure 2.7)."""
        return range(self.cells - self.unvisited, self.cells)


@dataclass(frozen=True)
class ScatterAxis:
    """One axis of a transposed convolution seen as scattering: input unit x writes x*s + t*d in the
    uncropped output, t = 0..k-1; the layer keeps uncropped positions ``offset`` .. ``offset + o - 1``
    (``offset`` = padding p crops each side, output padding a adds back at the high side)."""

    i: int
    k: int
    s: int
    d: int
    offset: int
    o: int

    @property
    def full(self) -> int:
        """Uncropped extent drawn: every written unit and every kept unit."""
        written = transposed_output_size(self.i, self.k, self.s, 0, 0, self.d)
        return max(written, self.offset + self.o)

    def writes(self, x: int) -> range:
        """Uncropped positions input ``x`` writes, one per tap."""
        return range(x * self.s, x * self.s + self.k * self.d, self.d)

    def sources(self, u: int) -> range:
        """The inputs x that write uncropped position ``u`` (u = x*s + t*d, 0 <= t < k)."""
        lo = max(0, _ceil_div(u - (self.k - 1) * self.d, self.s))
        hi = min(self.i, u // self.s + 1) if u >= 0 else 0
        return congruent(self.s, u, self.d, lo, hi)

    def count(self, u: int) -> int:
        """How many (input, tap) pairs write uncropped position ``u``."""
        return len(self.sources(u))

    def kept_range(self) -> range:
        """The uncropped positions the layer keeps."""
        return range(self.offset, self.offset + self.o)

    def kept(self, u: int) -> bool:
        return self.offset <= u < self.offset + self.o

    def output(self, u: int) -> int | None:
        """The layer's output index of uncropped position ``u`` (None where cropped)."""
        return u - self.offset if self.kept(u) else None

    def count_values(self, limit: int = 1 << 16) -> tuple[tuple[int, ...], bool]:
        """The distinct counts over the kept output units, smallest first, and whether every unit was
        counted: an axis longer than ``limit`` is sampled (its ends and ``limit`` units spread evenly)."""
        if self.o <= limit:
            return tuple(sorted({self.count(u) for u in self.kept_range()})), True
        ends = min(self.o, limit // 4)
        picks = [*range(ends), *range(self.o - ends, self.o), *(n * (self.o - 1) // limit for n in range(limit))]
        return tuple(sorted({self.count(self.offset + y) for y in picks})), False


@dataclass(frozen=True)
class Tap:
    """One kernel tap at one step: its index t per axis (in the drawn window), the weight it multiplies,
    its padded position, what lies there (DATA, PADDING, ZERO, OUTSIDE) and the input unit if DATA."""

    index: tuple[int, ...]
    weight: tuple[int, ...]
    position: tuple[int, ...]
    kind: str
    source: tuple[int, ...] | None


@dataclass(frozen=True)
class Frame:
    """One step of the direct view: the output cell being produced and, per axis, the padded positions of
    the window's taps (O(axes) to build; ``taps`` lists them one by one, for small layers)."""

    step: int
    output: tuple[int, ...]
    windows: tuple[range, ...]
    tracks: tuple[AxisTrack, ...] = field(repr=False, compare=False)

    @cached_property
    def taps(self) -> tuple[Tap, ...]:
        """Every tap, in the kernel's row-major order."""
        return tuple(self.tap_at(position) for position in product(*self.windows))  # type: ignore[misc]

    @property
    def data_taps(self) -> tuple[Tap, ...]:
        return tuple(t for t in self.taps if t.kind == DATA)

    def tap_at(self, position: Sequence[int]) -> Tap | None:
        """The tap at padded ``position`` (None where the window does not reach): O(axes)."""
        if not all(u in w for u, w in zip(position, self.windows)):
            return None
        index = tuple((u - w.start) // w.step for u, w in zip(position, self.windows))
        kind = combine_kinds([track.kind(u) for track, u in zip(self.tracks, position)])
        source = tuple(track.source(u) for track, u in zip(self.tracks, position)) if kind == DATA else None
        weight = tuple(track.weight(t) for track, t in zip(self.tracks, index))
        return Tap(index, weight, tuple(position), kind, source)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Write:
    """One tap of a scatter step: the weight, the uncropped output position and the output cell (None
    when the layer's padding crops it)."""

    weight: tuple[int, ...]
    position: tuple[int, ...]
    output: tuple[int, ...] | None


@dataclass(frozen=True)
class ScatterFrame:
    """One step of the scatter view: input unit ``source`` writes a kernel-sized patch, per axis the
    uncropped positions ``patch`` (O(axes) to build; ``writes`` lists them one by one, for small layers)."""

    step: int
    source: tuple[int, ...]
    patch: tuple[range, ...]
    axes: tuple[ScatterAxis, ...] = field(repr=False, compare=False)

    @cached_property
    def writes(self) -> tuple[Write, ...]:
        writes = []
        for index in product(*(range(len(w)) for w in self.patch)):
            position = tuple(w[t] for w, t in zip(self.patch, index))
            outs = tuple(axis.output(u) for axis, u in zip(self.axes, position))
            writes.append(Write(index, position, None if any(y is None for y in outs) else outs))  # type: ignore
        return tuple(writes)


@dataclass(frozen=True)
class Matrix:
    """The sparse matrix of section 4.1: ``rows`` output cells by ``columns`` input cells (row-major),
    ``entries`` maps (row, column) to the flat kernel tap index (row-major over the kernel).
    ``transposed``: this is C transposed, the matrix of a transposed convolution."""

    rows: int
    columns: int
    entries: dict[tuple[int, int], int]
    transposed: bool = False

    def row(self, r: int) -> dict[int, int]:
        return {c: t for (rr, c), t in self.entries.items() if rr == r}

    def dense(self) -> list[list[int | None]]:
        table: list[list[int | None]] = [[None] * self.columns for _ in range(self.rows)]
        for (r, c), t in self.entries.items():
            table[r][c] = t
        return table


def _unravel(step: int, shape: Sequence[int]) -> tuple[int, ...]:
    out = []
    for n in reversed(shape):
        step, r = divmod(step, n)
        out.append(r)
    return tuple(reversed(out))


def _ravel(position: Sequence[int], shape: Sequence[int]) -> int:
    flat = 0
    for p, n in zip(position, shape):
        flat = flat * n + p
    return flat


def _flat_tap(index: Sequence[int], kernel: Sequence[int]) -> int:
    return _ravel(index, kernel)


class Steps:
    """One step per cell of ``output_size``, in row-major order (the paper's animations)."""

    output_size: tuple[int, ...]

    @property
    def ndim(self) -> int:
        return len(self.output_size)

    @property
    def step_count(self) -> int:
        return prod(self.output_size)

    def output_of(self, step: int) -> tuple[int, ...]:
        return _unravel(step, self.output_size)

    def step_of(self, output: Sequence[int]) -> int:
        return _ravel(output, self.output_size)

    def slice_steps(self, depth: int) -> range:
        """The steps of output depth slice ``depth`` of a 3-D layer (contiguous in row-major order); every
        step of a 1-D or 2-D layer."""
        if self.ndim < 3:
            return range(self.step_count)
        plane = prod(self.output_size[1:])
        return range(depth * plane, (depth + 1) * plane)


class LayerFrames(Steps):
    """The frames of one sliding-window layer (convolution, transposed convolution, pooling)."""

    def __init__(self, result: LayerResult) -> None:
        geometry = result.geometry
        if geometry is None or result.input_shape is None or result.output_shape is None:
            raise ValueError(f"{result.name} has no sliding window")
        self.result = result
        self.geometry: tuple[AxisGeometry, ...] = geometry
        self.transposed = any(g.transposed for g in geometry)
        layer_type = CATALOG.get(result.type)
        self.kind = layer_type.window if layer_type is not None and layer_type.window else CONVOLUTION
        self.pooling = self.kind in (MAX_POOL, AVG_POOL)
        self.tracks: tuple[AxisTrack, ...] = tuple(direct_track(g) for g in geometry)
        self.scatter_axes: tuple[ScatterAxis, ...] | None = (
            tuple(scatter_axis(g) for g in geometry) if self.transposed else None
        )
        self.input_size = tuple(g.i for g in geometry)
        self.output_size = tuple(g.o for g in geometry)
        self.kernel = tuple(g.k for g in geometry)

    # -- the direct view -------------------------------------------------------------------------
    def frame(self, step: int) -> Frame:
        """The direct view's frame ``step``: output cell and taps in padded coordinates."""
        output = self.output_of(step)
        return Frame(step, output, tuple(track.window(y) for track, y in zip(self.tracks, output)), self.tracks)

    def frames(self) -> Iterator[Frame]:
        for step in range(self.step_count):
            yield self.frame(step)

    def users(self, position: Sequence[int]) -> tuple[tuple[int, ...], ...]:
        """Every output cell whose window covers padded ``position``, listed (for small layers: the canvas's
        hover asks per axis, `AxisTrack.readers`, and draws the visible ones)."""
        return tuple(product(*(track.readers(u) for track, u in zip(self.tracks, position))))

    # -- the scatter view (transposed convolutions) ------------------------------------------------
    @property
    def scatter_step_count(self) -> int:
        return prod(self.input_size) if self.transposed else 0

    def input_of(self, scatter_step: int) -> tuple[int, ...]:
        """The input position of a scatter step."""
        return _unravel(scatter_step, self.input_size)

    def scatter_frame(self, step: int) -> ScatterFrame:
        """Scatter step ``step`` (input position, row-major): the output cells its patch writes."""
        axes = self._scatter_axes()
        source = _unravel(step, self.input_size)
        return ScatterFrame(step, source, tuple(axis.writes(x) for axis, x in zip(axes, source)), axes)

    def writers(self, position: Sequence[int]) -> tuple[tuple[int, ...], ...]:
        """Every input unit whose patch reaches uncropped output ``position``, listed (for small layers: the
        scatter view's hover asks per axis, `ScatterAxis.sources`, and draws the visible ones)."""
        return tuple(product(*(a.sources(u) for a, u in zip(self._scatter_axes(), position))))

    def scatter_step_for(self, step: int) -> int:
        """The scatter step that corresponds to direct ``step``: an input unit the output cell reads
        (its first data tap), so switching views keeps the step."""
        frame = self.frame(step)
        firsts = [next((r[0] for r, kind in track.spans(w) if kind == DATA), None)
                  for track, w in zip(self.tracks, frame.windows)]
        if all(u is not None for u in firsts):
            return _ravel([track.source(u) for track, u in zip(self.tracks, firsts)], self.input_size)  # type: ignore
        axes = self._scatter_axes()
        nearest = tuple(min(a.i - 1, max(0, (y + a.offset) // a.s)) for a, y in zip(axes, frame.output))
        return _ravel(nearest, self.input_size)

    def direct_step_for(self, scatter_step: int) -> int:
        """The direct step that corresponds to scatter ``scatter_step``: the first output cell its patch
        writes (or the nearest output cell when every write is cropped)."""
        frame = self.scatter_frame(scatter_step)
        axes = self._scatter_axes()
        kept = [within(w, a.offset, a.offset + a.o) for a, w in zip(axes, frame.patch)]
        if all(kept):
            return self.step_of([r[0] - a.offset for a, r in zip(axes, kept)])
        nearest = tuple(min(a.o - 1, max(0, x * a.s - a.offset)) for a, x in zip(axes, frame.source))
        return self.step_of(nearest)

    def overlap(self) -> dict[tuple[int, ...], int]:
        """How many kernel taps reach each output cell of a transposed convolution (every cell: for small
        layers; the canvas asks `ScatterAxis.count` of the cells it draws): uneven (a checkerboard) when k
        is not a multiple of s; 0 marks output cells no input reaches."""
        axes = self._scatter_axes()
        per_axis = [[a.count(a.offset + y) for y in range(a.o)] for a in axes]
        return {cell: prod(c[y] for c, y in zip(per_axis, cell)) for cell in product(*(range(o) for o in
                                                                                         self.output_size))}

    def _scatter_axes(self) -> tuple[ScatterAxis, ...]:
        if self.scatter_axes is None:
            raise ValueError(f"{self.result.name} is not a transposed convolution")
        return self.scatter_axes

    # -- unvisited units and the matrix of section 4.1 ---------------------------------------------
    def unvisited(self) -> tuple[range, ...]:
        """Per axis, the padded positions no window reaches."""
        return tuple(track.unvisited_range() for track in self.tracks)

    def matrix_fits(self) -> bool:
        return prod(self.input_size) * prod(self.output_size) <= MATRIX_CELL_LIMIT

    def matrix(self) -> Matrix | None:
        """C (rows: output cells, columns: input cells; section 4.1) for a convolution or pooling, C
        transposed for a transposed convolution (rows: its output cells, columns: its input cells).
        None when the layer is too large to draw it."""
        if not self.matrix_fits():
            return None
        entries: dict[tuple[int, int], int] = {}
        if self.transposed:
            for x_step in range(self.scatter_step_count):
                frame = self.scatter_frame(x_step)
                for write in frame.writes:
                    if write.output is not None:
                        entries[(self.step_of(write.output), x_step)] = _flat_tap(write.weight, self.kernel)
        else:
            for frame in self.frames():
                for tap in frame.data_taps:
                    entries[(frame.step, _ravel(tap.source, self.input_size))] = _flat_tap(tap.index,  # type: ignore
                                                                                            self.kernel)
        return Matrix(prod(self.output_size), prod(self.input_size), entries, self.transposed)


class CopyFrames(Steps):
    """The frames of a layer whose every output value is a copy of one input value or a constant (the pads,
    PixelShuffle, PixelUnshuffle): the layer type's copy record (`LayerType.copies`), one step per cell of its
    ``step_shape`` (a pad's output; the sub-pixel layers' fine grid). Nothing slides: no scatter, no matrix."""

    transposed = False
    scatter_axes = None
    scatter_step_count = 0
    kind = COPY

    def __init__(self, result: LayerResult, copies) -> None:  # type: ignore[no-untyped-def]
        assert result.input_shape is not None and result.output_shape is not None
        self.result = result
        self.copies = copies
        self.input_size = tuple(result.input_shape[1:])
        self.output_size = tuple(copies.step_shape)

    def matrix_fits(self) -> bool:
        return False

    def output_element(self, step: int) -> tuple[int, ...]:
        """The output element (channel, spatial...) step ``step`` produces."""
        return tuple(self.copies.element(self.output_of(step)))

    def field_output(self, step: int) -> tuple[int, ...]:
        """The output cell (spatial) step ``step`` produces: its receptive field is drawn."""
        return self.output_element(step)[1:]


def copy_frames(result: LayerResult) -> CopyFrames | None:
    """The frames of a computed layer that copies values (`LayerType.copies`); None for every other layer."""
    layer_type = CATALOG.get(result.type)
    if (layer_type is None or layer_type.copies is None or not result.computed or result.input_shape is None
            or result.output_shape is None):
        return None
    return CopyFrames(result, layer_type.copies(result.layer, result.input_shape,
                                                          result.output_shape))


class LandingFrames(CopyFrames):
    """The frames of a layer that puts each input value in one cell of a window of its output, which one depending
    on other data (MaxUnpool: `LayerType.landing`, `layers.pooling.UnpoolLanding` in ``copies``): one step per
    input cell, row-major. The canvas draws the window each value may land in; its numbers mode, where it lands."""

    def __init__(self, result: LayerResult, landing) -> None:  # type: ignore[no-untyped-def]
        self.result = result
        self.copies = landing
        self.input_size = tuple(landing.cells)
        self.output_size = tuple(landing.cells)  # the steps walk the input
        self.landing_size = tuple(landing.output)

    def may_land(self, step: int) -> list[tuple[int, ...]]:
        """The output cells step ``step``'s input value may land in."""
        return self.copies.may_land(self.output_of(step))

    def output_element(self, step: int) -> tuple[int, ...]:
        """The input element (channel, spatial...) step ``step`` puts back."""
        return (0, *self.output_of(step))

    def field_output(self, step: int) -> tuple[int, ...]:
        """An output cell the step's value may land in (its first): its receptive field is drawn."""
        cells = self.may_land(step)
        return cells[0] if cells else tuple(0 for _ in self.landing_size)


def landing_frames(result: LayerResult, analysis) -> LandingFrames | None:  # type: ignore[no-untyped-def]
    """The frames of a computed layer whose values land in a window (`LayerType.landing`); None otherwise."""
    layer_type = CATALOG.get(result.type)
    if layer_type is None or layer_type.landing is None or not result.computed or result.output_shape is None:
        return None
    landing = layer_type.landing(result, analysis)
    return None if landing is None else LandingFrames(result, landing)


def combine_kinds(kinds: Sequence[str]) -> str:
    """A cell's kind from its per-axis kinds: outside wins, then padding, then inserted zeros."""
    for kind in (OUTSIDE, PADDING, ZERO):
        if kind in kinds:
            return kind
    return DATA


def scatter_axis(g: AxisGeometry) -> ScatterAxis:
    """A transposed convolution's axis as scattering (the padding p crops the low side)."""
    return ScatterAxis(g.i, g.k, g.s, g.d, g.p_low, g.o)


def direct_track(g: AxisGeometry) -> AxisTrack:
    """The grid the direct view slides over on one axis, checked against the engine's output size (the
    numbers mode, `numeric`, slides over the same tracks)."""
    if g.transposed:
        eq = g.equivalent
        assert eq is not None
        track = AxisTrack(eq.input_size, eq.pad_low, eq.pad_high, eq.kernel_size, eq.stride, eq.dilation,
                          g.o, stretch=g.s, flipped=True)
        assert eq.input_size == stretched_size(g.i, g.s) and eq.output_size == g.o
        return track
    if g.ceil_mode:
        expected = pool_output_size(g.i, g.k, g.s, g.p_low, g.d, True)
    else:
        expected = conv_output_size(g.i, g.k, g.s, g.p_low, g.p_high, g.d)
    assert expected == g.o, (expected, g)
    return AxisTrack(g.i, g.p_low, g.p_high, g.k, g.s, g.d, g.o, unvisited=g.unvisited)


def layer_frames(result: LayerResult) -> LayerFrames | None:
    """The frames of a computed sliding-window layer; None for every other layer (activations, Linear,
    joins, up-sampling, adaptive pooling, ...) or a layer the engine could not compute."""
    if result.geometry is None or not result.computed or result.input_shape is None:
        return None
    return LayerFrames(result)


def kernel_shape(result: LayerResult) -> tuple[int, ...] | None:
    """The weight tensor's shape as PyTorch stores it: out x in/groups x k... for a convolution,
    in x out/groups x k... for a transposed one; None for pooling and window-less layers."""
    layer_type = CATALOG.get(result.type)
    if (result.geometry is None or result.input_shape is None or result.output_shape is None or layer_type is None
            or layer_type.window not in (CONVOLUTION, TRANSPOSED)):
        return None
    groups = result.layer.get("groups", 1) or 1
    kernel = tuple(g.k for g in result.geometry)
    cin, cout = result.input_shape[0], result.output_shape[0]
    if any(g.transposed for g in result.geometry):
        return (cin, cout // groups, *kernel)
    return (cout, cin // groups, *kernel)
