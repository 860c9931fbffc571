"""Receptive fields, exactly, through down- and up-sampling layers.

For a stack of convolutions and pooling, Araujo et al., "Computing Receptive Fields of Convolutional
Neural Networks" (Distill, 2019) give the recurrences r_l = r_{l-1} + (k_l - 1) d_l j_{l-1} (size),
j_l = j_{l-1} s_l (jump, the effective stride) and u_l = u_{l-1} + ((k_l - 1) d_l / 2 - p_l) j_{l-1}
(start: centre of output unit 0's field). They assume every output unit sees the same number of inputs,
which up-sampling layers break: after a stride-2 transposed convolution with k = 3, even output units read
two input units and odd ones read one.

So convdesigner tracks, per axis and ignoring the borders, the exact interval of network-input positions
[low(y), high(y)] that output unit y can depend on. That map is periodic: low(y + P) = low(y) + Q for a
period P and shift Q, so it is stored as P values of low and high. Definitions used throughout:

* **size**: the largest span high(y) - low(y) + 1 over all output positions y (ignoring borders). For
  down-sampling stacks this is exactly Araujo's r; for up-sampling it is the widest field any unit has.
* **jump**: Q / P, the distance in input units between neighbouring output units (a fraction after
  up-sampling).
* **start**: (low(0) + high(0)) / 2, the centre of output unit 0's field in input coordinates.

`dependency_runs` gives, for output positions, the exact input positions they depend on *with* the borders,
as runs: zero padding is excluded, and a padded cell that copies an input unit (a reflect, replicate or
circular border, `border_source`) counts as that unit. `Analysis.dependencies` walks a design back with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import gcd

from .memo import Memo

#: The longest period a field map may have before the engine stops tracking that field (and says so).
PERIOD_LIMIT = 4096
#: The most terms one layer's field composition may scan before the engine stops tracking the field.
WORK_LIMIT = 1 << 20
#: Runs of positions a dependency set may hold before it is widened to its hull (see `dependency_runs`).
RUN_LIMIT = 4096

Progression = tuple[int, int, int]  # first, step, count: the positions first, first + step, ...

#: What the padded cells around an input hold, as PyTorch's ``padding_mode`` (and F.pad's modes) fill them:
#: zeros (any constant alike: such a cell reads no input), or a copy of an input unit (see `border_source`).
#: A padding layer is ``Window(1, 1, low, 1, border)``.
BORDERS = ("zeros", "reflect", "replicate", "circular")


class AxisSources:
    """Which input units output unit y reads on one axis, ignoring borders, as an arithmetic
    progression; periodic: sources(y + period_out) = sources(y) + shift_in. ``border`` (one of BORDERS)
    says what the positions outside the input hold."""

    period_out: int = 1
    shift_in: int = 1
    border: str = "zeros"
    #: (first, count): the units the layer keeps of its input before it pads, when it also crops (circular
    #: padding wraps what is left: PyTorch crops first); None: all of them.
    extent: tuple[int, int] | None = None

    def sources(self, y: int) -> Progression | None:
        raise NotImplementedError


@dataclass(frozen=True, init=False)
class Window(AxisSources):
    """A sliding window (convolution, pooling, padding): unit y reads y*s - p_low + t*d for t in 0..k-1,
    over an input whose padded cells hold what ``border`` says (a padding layer is a window of one; one
    that also crops keeps only its ``extent`` of the input, and its copies wrap around that)."""

    k: int
    s: int
    p_low: int
    d: int = 1
    border: str = "zeros"
    extent: tuple[int, int] | None = None

    def __init__(self, k: int, s: int, p_low: int, d: int = 1, border: str = "zeros",
                 extent: tuple[int, int] | None = None) -> None:
        # frozen, filled through __dict__ for speed (see AxisGeometry)
        self.__dict__.update(k=k, s=s, p_low=p_low, d=d, border=border, extent=extent)

    @property
    def period_out(self) -> int:  # type: ignore[override]
        return 1

    @property
    def shift_in(self) -> int:  # type: ignore[override]
        return self.s

    def sources(self, y: int) -> Progression | None:
        return (y * self.s - self.p_low, self.d, self.k)


@dataclass(frozen=True, init=False)
class Scatter(AxisSources):
    """A transposed convolution: input unit x writes to x*s - p + t*d, so output unit y reads the x
    with x*s = y + p - t*d for some tap t in 0..k-1 (the taps that fall on a stretched input's real
    unit in the paper's equivalent convolution)."""

    k: int
    s: int
    p: int
    d: int = 1

    def __init__(self, k: int, s: int, p: int, d: int = 1) -> None:
        self.__dict__.update(k=k, s=s, p=p, d=d)  # frozen, filled through __dict__ for speed (see AxisGeometry)
        # Output y reads taps t = t0 + n * (s / g) with t0 = (y + p) / g * inverse(d / g) mod (s / g).
        g = gcd(d, s)
        tap_period = s // g
        inverse = pow((d // g) % tap_period, -1, tap_period) if tap_period > 1 else 0
        self.__dict__["_taps"] = (g, tap_period, inverse)

    @property
    def period_out(self) -> int:  # type: ignore[override]
        return self.s

    @property
    def shift_in(self) -> int:  # type: ignore[override]
        return 1

    def sources(self, y: int) -> Progression | None:
        s, d, k = self.s, self.d, self.k
        g, period, inverse = self.__dict__["_taps"]
        base = y + self.p
        if base % g:
            return None
        t0 = ((base // g) * inverse) % period if period > 1 else 0
        if t0 >= k:
            return None
        count = (k - 1 - t0) // period + 1
        t_last = t0 + (count - 1) * period
        return ((base - t_last * d) // s, d // g, count)


@dataclass(frozen=True, init=False)
class Resample(AxisSources):
    """Up-sampling and adaptive pooling: unit y reads a run of neighbouring input units whose position
    follows the ratio ``ratio`` = in / out (a fraction).

    ``mode`` is one of 'nearest' (floor(y r)), 'nearest-exact' (floor((y + 1/2) r)), 'linear'
    ((y + 1/2) r - 1/2: the two neighbours, or one when it falls on a unit), 'cubic' (four neighbours),
    'aligned-linear' / 'aligned-cubic' (y r with r = (in - 1)/(out - 1), align_corners) and 'adaptive'
    (PyTorch's adaptive window floor(y r) .. ceil((y + 1) r) - 1).
    """

    ratio: Fraction
    mode: str

    def __init__(self, ratio: Fraction, mode: str) -> None:
        self.__dict__.update(ratio=ratio, mode=mode)  # frozen, filled through __dict__ for speed

    @property
    def period_out(self) -> int:  # type: ignore[override]
        return self.ratio.denominator

    @property
    def shift_in(self) -> int:  # type: ignore[override]
        return self.ratio.numerator

    def sources(self, y: int) -> Progression | None:
        r = self.ratio
        mode = self.mode
        if mode == "adaptive":
            start = (y * r.numerator) // r.denominator
            end = -(-((y + 1) * r.numerator) // r.denominator)
            return (start, 1, max(1, end - start))
        if mode == "nearest":
            return ((y * r.numerator) // r.denominator, 1, 1)
        if mode == "nearest-exact":
            return (((2 * y + 1) * r.numerator) // (2 * r.denominator), 1, 1)
        if mode.startswith("aligned"):
            src = y * r
        else:
            src = (y + Fraction(1, 2)) * r - Fraction(1, 2)
        x0 = src.numerator // src.denominator
        if src.denominator == 1:
            return (x0, 1, 1)
        if mode.endswith("cubic"):
            return (x0 - 1, 1, 4)
        return (x0, 1, 2)


@dataclass(frozen=True, init=False)
class FieldMap:
    """The interval [low(y), high(y)] of network-input positions output unit y depends on, ignoring
    borders, stored over one period: low(y + period) = low(y) + shift. An entry is None for a unit that
    reads no input at all (possible after a sparse transposed convolution)."""

    period: int
    shift: int
    low: tuple[int | None, ...]
    high: tuple[int | None, ...]

    def __init__(self, period: int, shift: int, low: tuple[int | None, ...], high: tuple[int | None, ...]) -> None:
        self.__dict__.update(period=period, shift=shift, low=low, high=high)  # frozen; see AxisGeometry

    def __hash__(self) -> int:
        """By value, worked out once per map (the composed fields are memoised on their operand's maps)."""
        found = self.__dict__.get("_hash")
        if found is None:
            found = self.__dict__["_hash"] = hash((self.period, self.shift, self.low, self.high))
        return found

    @classmethod
    def identity(cls) -> FieldMap:
        return cls(1, 1, (0,), (0,))

    def bounds(self, y: int) -> tuple[int, int] | None:
        q, r = divmod(y, self.period)
        lo = self.low[r]
        if lo is None:
            return None
        hi = self.high[r]
        assert hi is not None
        return lo + self.shift * q, hi + self.shift * q

    def range_extreme(self, first: int, count: int, lowest: bool) -> int | None:
        """min of low(x) (max of high(x)) over the run x = first .. first + count - 1, count <= period,
        from sparse tables built once per map (for long periods only)."""
        tables = self.__dict__.get("_tables")
        if tables is None:
            tables = (_sparse_table(self.low, self.shift, True), _sparse_table(self.high, self.shift, False))
            object.__setattr__(self, "_tables", tables)
        q, r = divmod(first, self.period)
        levels = tables[0 if lowest else 1]
        level = (count).bit_length() - 1
        row = levels[level]
        a, b = row[r], row[r + count - (1 << level)]
        value = min(a, b) if lowest else max(a, b)
        if value in (_INF, -_INF):
            return None
        return int(value) + self.shift * q

    @property
    def size(self) -> int:
        return self.summary()[0]

    @property
    def jump(self) -> Fraction:
        return self.summary()[1]

    @property
    def start(self) -> Fraction | None:
        return self.summary()[2]

    def summary(self) -> tuple[int, Fraction, Fraction | None]:
        """(size, jump, start), worked out once per map: the maps of a square field's axes, and of the layers
        that read their input unit by unit (activations, normalisation), are the same object."""
        found = self.__dict__.get("_summary")
        if found is None:
            low, high = self.low, self.high
            if self.period == 1:
                size = 0 if low[0] is None else high[0] - low[0] + 1  # type: ignore[operator]
            else:
                size = max([h - lo + 1 for lo, h in zip(low, high) if lo is not None and h is not None], default=0)
            lo, hi = low[0], high[0]
            found = (size, fraction(self.shift, self.period), None if lo is None or hi is None else fraction(lo + hi, 2))
            self.__dict__["_summary"] = found
        return found


#: Fractions by (numerator, denominator): the jumps and starts of a design's fields repeat (1, 2, 1/2, ...)
_fractions = Memo()


def fraction(numerator: int, denominator: int) -> Fraction:
    """Fraction(numerator, denominator), shared (a Fraction is immutable; building one costs several times a
    lookup)."""
    key = (numerator, denominator)
    found = _fractions.get(key)
    if found is None:
        found = Fraction(numerator, denominator)
        _fractions.put(key, found)
    return found


def _extreme_over(field: FieldMap, first: int, step: int, count: int, lowest: bool) -> int | None:
    """min of low(x) (or max of high(x)) over x = first + step * n, n in 0..count-1.

    Because low(x + P) = low(x) + Q with Q >= 0, the minimum is reached within the first P / gcd(step, P)
    terms and the maximum within the last as many, so long kernels cost no more than short ones; a long
    contiguous run over a long period is answered from the map's range tables in constant time.
    """
    P = field.period
    if P == 1:
        value = field.low[0] if lowest else field.high[0]
        if value is None:
            return None
        return value + field.shift * (first if lowest else first + step * (count - 1))
    terms = min(count, P // gcd(step, P) if step else 1)
    if step == 1 and terms > _SCAN_LIMIT:
        start = first if lowest else first + count - terms
        return field.range_extreme(start, terms, lowest)
    best: int | None = None
    for n in range(terms):
        b = field.bounds(first + step * (n if lowest else count - 1 - n))
        if b is None:
            continue
        value = b[0] if lowest else b[1]
        if best is None or (value < best if lowest else value > best):
            best = value
    return best


_SCAN_LIMIT = 32  # runs longer than this over a long period use the range tables
_INF = float("inf")


def _sparse_table(values: tuple[int | None, ...], shift: int, lowest: bool) -> list[list[float]]:
    """Range-minimum (or maximum) tables over two periods of a map's low (or high) values."""
    blank = _INF if lowest else -_INF
    row: list[float] = [blank if v is None else v for v in values]
    row += [blank if v is None else v + shift for v in values]
    pick = min if lowest else max
    levels = [row]
    width = 1
    while 2 * width <= len(values):
        prev = levels[-1]
        levels.append([pick(prev[j], prev[j + width]) for j in range(len(prev) - width)])
        width *= 2
    return levels


def _reduce(period: int, shift: int, low: list[int | None], high: list[int | None]) -> FieldMap:
    """The same map with its shortest period."""
    for q in range(1, period):
        if period % q or (shift * q) % period:
            continue
        step = shift * q // period
        if all(
            _shifted(low[r], step) == low[r + q] and _shifted(high[r], step) == high[r + q]
            for r in range(period - q)
        ):
            return FieldMap(q, step, tuple(low[:q]), tuple(high[:q]))
    return FieldMap(period, shift, tuple(low), tuple(high))


def _shifted(value: int | None, step: int) -> int | None:
    return None if value is None else value + step


def compose(field: FieldMap, sources: AxisSources) -> FieldMap | None:
    """The field map of a layer's output from its input's map and what each output unit reads.

    Returns None when the combined period would exceed PERIOD_LIMIT.
    """
    P, Q = field.period, field.shift
    if P == 1 and type(sources) is Window:
        # The common case (every down-sampling stack): Araujo's recurrences, in closed form.
        lo, hi = field.low[0], field.high[0]
        if lo is None or hi is None:
            return field
        first = -sources.p_low
        return FieldMap(1, Q * sources.s, (lo + Q * first,), (hi + Q * (first + sources.d * (sources.k - 1)),))
    if P == 1 and sources.period_out <= PERIOD_LIMIT:
        return _compose_linear(field, sources)
    repeat = P // gcd(P, sources.shift_in)
    period = sources.period_out * repeat
    if period > PERIOD_LIMIT:
        return None
    shift = Q * sources.shift_in * repeat // P
    if P > _SCAN_LIMIT:
        probe = sources.sources(0) or sources.sources(period - 1)
        if probe and probe[1] != 1 and period * min(probe[2], P // gcd(probe[1], P)) > WORK_LIMIT:
            return None  # a dilated kernel over a very long period: too costly to follow exactly
    low: list[int | None] = []
    high: list[int | None] = []
    if type(sources) is Window and min(sources.k, P // gcd(sources.d, P)) <= _SCAN_LIMIT:
        _compose_window(field, sources, period, low, high)
    else:
        for y in range(period):
            prog = sources.sources(y)
            if prog is None:
                low.append(None)
                high.append(None)
                continue
            first, step, count = prog
            lo = _extreme_over(field, first, step, count, lowest=True)
            hi = _extreme_over(field, first, step, count, lowest=False)
            low.append(lo)
            high.append(hi if lo is not None else None)
    if period == 1:
        return FieldMap(1, shift, tuple(low), tuple(high))
    return _reduce(period, shift, low, high)


def _compose_window(field: FieldMap, window: Window, period: int, low: list[int | None],
                    high: list[int | None]) -> None:
    """`compose`'s loop for a short sliding window over a periodic map (the layers after an up-sampling
    one), written out: output y reads x = y s - p + t d, and the extremes sit within the first (for low)
    and last (for high) P / gcd(d, P) taps."""
    P, Q = field.period, field.shift
    lows, highs = field.low, field.high
    k, s, p, d = window.k, window.s, window.p_low, window.d
    terms = min(k, P // gcd(d, P))
    reach = d * (k - 1)
    for y in range(period):
        first = y * s - p
        lo = hi = None
        for n in range(terms):
            q, r = divmod(first + n * d, P)
            v = lows[r]
            if v is not None:
                v += Q * q
                if lo is None or v < lo:
                    lo = v
            q, r = divmod(first + reach - n * d, P)
            v = highs[r]
            if v is not None:
                v += Q * q
                if hi is None or v > hi:
                    hi = v
        low.append(lo)
        high.append(hi if lo is not None else None)


def _compose_linear(field: FieldMap, sources: AxisSources) -> FieldMap:
    """`compose` for a period-1 map, low(x) = L + Q x and high(x) = H + Q x: each output unit's field
    runs from its first source's low to its last source's high, L + Q first(y) to H + Q last(y). Which of
    them repeat, so the shortest period, depends on Q and the sources alone, not on L and H: worked out
    once per sources and Q (`_linear_plan`; the sources of equal layers on equal shapes are one object)."""
    L, H, Q = field.low[0], field.high[0], field.shift
    if L is None or H is None:  # no unit reads any input
        nothing: list[int | None] = [None] * sources.period_out
        return _reduce(sources.period_out, Q * sources.shift_in, nothing, nothing)
    period, shift, firsts, lasts = _linear_plan(sources, Q)
    return FieldMap(period, shift, tuple([None if f is None else L + Q * f for f in firsts]),
                    tuple([None if f is None else H + Q * f for f in lasts]))


def _linear_plan(sources: AxisSources, Q: int) -> tuple[int, int, tuple[int | None, ...], tuple[int | None, ...]]:
    """The shortest period and shift of `_compose_linear`'s map through ``sources`` for a shift of ``Q``, and
    per output unit of that period its first and last source (None: it reads none)."""
    plans = sources.__dict__.setdefault("_linear_plans", {})
    found = plans.get(Q)
    if found is None:
        ends = []
        for y in range(sources.period_out):
            prog = sources.sources(y)
            ends.append(None if prog is None else (prog[0], prog[0] + prog[1] * (prog[2] - 1)))
        firsts = [None if e is None else e[0] for e in ends]
        lasts = [None if e is None else e[1] for e in ends]
        # the map with L = H = 0 repeats exactly where any other does
        shape = _reduce(len(ends), Q * sources.shift_in, [None if f is None else Q * f for f in firsts],
                        [None if f is None else Q * f for f in lasts])
        found = (shape.period, shape.shift, tuple(firsts[:shape.period]), tuple(lasts[:shape.period]))
        plans[Q] = found
    return found


def merge(a: FieldMap, b: FieldMap) -> FieldMap | None:
    """The field of a join (Concat, Add) whose inputs have fields a and b with equal jumps: each
    output unit depends on the union of both intervals. None when the jumps differ."""
    if a.jump != b.jump:
        return None
    period = a.period * b.period // gcd(a.period, b.period)
    if period > PERIOD_LIMIT:
        return None
    low: list[int | None] = []
    high: list[int | None] = []
    for y in range(period):
        ba, bb = a.bounds(y), b.bounds(y)
        both = [x for x in (ba, bb) if x is not None]
        low.append(min(x[0] for x in both) if both else None)
        high.append(max(x[1] for x in both) if both else None)
    shift = a.jump.numerator * period // a.jump.denominator
    return _reduce(period, shift, low, high)


Runs = list[tuple[int, int]]  # sorted, disjoint, non-adjacent inclusive intervals of positions


def clipped(prog: Progression | None, size: int) -> range:
    """The positions of a progression that fall inside 0..size-1 (the real input, not its padding)."""
    if prog is None:
        return range(0)
    first, step, count = prog
    if step == 0:
        return range(first, first + 1) if 0 <= first < size else range(0)
    lo_n = -(first // step) if first < 0 else 0
    hi_n = min(count - 1, (size - 1 - first) // step)
    if hi_n < lo_n:
        return range(0)
    return range(first + lo_n * step, first + hi_n * step + 1, step)


def border_source(z: int, size: int, border: str) -> int | None:
    """The input unit that padded position ``z`` (below 0 or beyond size - 1) holds a copy of, as PyTorch's
    F.pad fills it; None for zero padding, and beyond one fold (PyTorch refuses reflect padding of ``size``
    or more and circular padding of more than ``size``)."""
    if border == "replicate":
        return 0 if z < 0 else size - 1
    if border == "reflect":
        x = -z if z < 0 else 2 * (size - 1) - z
    elif border == "circular":
        x = z + size if z < 0 else z - size
    else:
        return None
    return x if 0 <= x < size else None


def _between(positions: range, lo: int, hi: int) -> range:
    """The positions (an increasing range) with lo <= x <= hi."""
    if not positions:
        return positions
    first, step = positions[0], positions.step
    start = 0 if first >= lo else -((first - lo) // step)
    stop = len(positions) if positions[-1] <= hi else (hi - first) // step + 1
    return positions[start:max(start, stop)]


def reads(prog: Progression | None, size: int, border: str = "zeros") -> list[range]:
    """The input positions a progression of padded positions reads: those inside 0..size-1 and, with a
    border that copies the input, the units its padded positions on each side copy (each side an
    arithmetic progression again: the copies are affine on a side)."""
    found = [clipped(prog, size)]
    if border == "zeros" or prog is None:
        return found
    first, step, count = prog
    every = range(first, first + step * count, step) if step > 0 else range(first, first + min(count, 1))
    for side in (_between(every, first, -1), _between(every, size, first + step * count)):
        if side and border == "replicate":
            found.append(range(0, 1) if side[0] < 0 else range(size - 1, size))
        elif side:
            reach = size if border == "circular" else size - 1  # the farthest padded position copied
            side = _between(side, -reach, size - 1 + reach)
            if side:
                a, b = border_source(side[0], size, border), border_source(side[-1], size, border)
                assert a is not None and b is not None
                found.append(range(min(a, b), max(a, b) + 1, side.step))
    return found


def source_reads(sources: AxisSources, prog: Progression | None, size: int) -> list[range]:
    """`reads` of a layer's progression over an input of ``size`` units, within the layer's ``extent`` when
    it crops before it pads (the kept units are an input of their own, shifted)."""
    extent = sources.extent
    if extent is None:
        return reads(prog, size, sources.border)
    if prog is None:
        return []
    first, count = extent
    return [range(r.start + first, r.stop + first, r.step)
            for r in reads((prog[0] - first, prog[1], prog[2]), count, sources.border)]


def coalesce(runs: Runs) -> Runs:
    """Sort runs and merge those that overlap or touch."""
    runs.sort()
    merged: Runs = []
    for lo, hi in runs:
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def hull(runs: Runs) -> tuple[int, int] | None:
    """The interval from the first to the last position of sorted runs (None for no positions): what a
    rectangle can show of a set that wraps around a circular border."""
    return (runs[0][0], runs[-1][1]) if runs else None


def _add_positions(out: Runs, positions: range) -> None:
    if not positions:
        return
    if positions.step == 1 or len(positions) > RUN_LIMIT:
        out.append((positions[0], positions[-1]))  # contiguous, or so many gaps that only the hull is kept
    else:
        out.extend((x, x) for x in positions)


def dependency_runs(sources: AxisSources, outputs: Runs, input_size: int) -> Runs:
    """The input positions (borders included, zero padding excluded, a copying border's cells counted as
    the units they copy: `reads`) the given output runs read, as runs.

    Exact for every realistic layer; two safeguards keep absurd sizes fast, at the price of widening a
    set to its hull: an output run longer than RUN_LIMIT is taken from its ends' sources (exact whenever
    neighbouring windows overlap or touch, as they do when the kernel covers the stride), and a set of
    more than RUN_LIMIT separate runs is replaced by its hull. Output unit y reads `reads` of the progression
    sources(y) (each part's hull when it has more than RUN_LIMIT separate positions).

    The cost is proportional to the runs read, not to the output positions: a shorter run is walked one
    period at a time (see `_periodic_reads`); positions are visited one by one only in a run shorter than
    two periods, or for one period at a border.
    """
    out: Runs = []
    period = sources.period_out
    for a, b in outputs:
        if b - a < RUN_LIMIT:
            y = a
            while y <= b:
                done = 0
                if b - y + 1 >= 2 * period:
                    done = _periodic_reads(sources, y, (b - y + 1) // period, input_size, out)
                if not done:  # a short run, or a border: one period, position by position
                    done = min(period, b - y + 1)
                    for z in range(y, y + done):
                        for part in source_reads(sources, sources.sources(z), input_size):
                            _add_positions(out, part)
                y += done
        else:  # the padded positions from the first end's first read to the last end's last one
            ends = [p for y in (*range(a, a + period), *range(b - period + 1, b + 1))
                    if (p := sources.sources(y)) is not None]
            if ends:
                lo, hi = min(p[0] for p in ends), max(p[0] + p[1] * (p[2] - 1) for p in ends)
                for part in source_reads(sources, (lo, 1, hi - lo + 1), input_size):
                    _add_positions(out, part)
        if len(out) > 4 * RUN_LIMIT:
            out = coalesce(out)
    out = coalesce(out)
    if len(out) > RUN_LIMIT:
        out = [(out[0][0], out[-1][1])]
    return out


def _periodic_reads(sources: AxisSources, y: int, periods: int, input_size: int, out: Runs) -> int:
    """Add to ``out`` what the outputs y .. y + n P - 1 read, for up to ``periods`` whole periods P, and
    return how many outputs that covers (0: none, visit y alone).

    sources(y + m P) = sources(y) + m Q (Q = shift_in), so the period's reads A, repeated m = 0 .. n - 1
    times, give the Minkowski sum A + {0, Q, ..., (n - 1) Q}: a run of A at least Q long becomes one run,
    a shorter one n runs. Clipping to the input and copying a border (`reads`, position by position)
    commute with the union, except where a unit's clipped progression has more than RUN_LIMIT separate
    positions and is widened to its hull: such units must lie wholly inside the input for all n periods
    (else 0 is returned, or n is cut short)."""
    P, Q = sources.period_out, sources.shift_in
    last_inside = input_size - 1
    period_reads: Runs = []
    for r in range(P):
        prog = sources.sources(y + r)
        if prog is None:
            continue
        first, step, count = prog
        if count < 1:
            continue
        if step == 0 or count == 1:
            period_reads.append((first, first))
            continue
        last = first + step * (count - 1)
        if step == 1 or count > RUN_LIMIT:
            if step != 1:  # widened to its hull: exact only while wholly inside the input
                if first < 0 or last > last_inside:
                    return 0
                periods = min(periods, (last_inside - last) // Q + 1)
            period_reads.append((first, last))
        else:
            period_reads.extend((x, x) for x in range(first, last + 1, step))
    padded: Runs = []
    for lo, hi in coalesce(period_reads):
        if hi - lo + 1 >= Q:
            padded.append((lo, hi + (periods - 1) * Q))
        else:
            padded.extend((lo + m * Q, hi + m * Q) for m in range(periods))
    for lo, hi in padded:
        out.extend((part[0], part[-1]) for part in source_reads(sources, (lo, 1, hi - lo + 1), input_size) if part)
    return periods * P


def dependency_positions(sources: AxisSources, outputs: Iterable[int], input_size: int) -> set[int]:
    """Every input position (as `dependency_runs` counts them) that the given output positions read."""
    needed: set[int] = set()
    for y in outputs:
        for part in source_reads(sources, sources.sources(y), input_size):
            needed.update(part)
    return needed


def span(positions: Sequence[int] | set[int]) -> tuple[int, int] | None:
    return (min(positions), max(positions)) if positions else None
