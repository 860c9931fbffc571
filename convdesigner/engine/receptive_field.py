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

`dependency_intervals` gives, for one output position, the exact interval of input positions it depends
on *with* the borders (padding excluded), for the GUI's highlight.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import gcd

#: The longest period a field map may have before the engine stops tracking that field (and says so).
PERIOD_LIMIT = 4096

Progression = tuple[int, int, int]  # first, step, count: the positions first, first + step, ...


class AxisSources:
    """Which input units output unit y reads on one axis, ignoring borders, as an arithmetic
    progression; periodic: sources(y + period_out) = sources(y) + shift_in."""

    period_out: int = 1
    shift_in: int = 1

    def sources(self, y: int) -> Progression | None:
        raise NotImplementedError


@dataclass(frozen=True)
class Window(AxisSources):
    """A sliding window (convolution, pooling): unit y reads y*s - p_low + t*d for t in 0..k-1."""

    k: int
    s: int
    p_low: int
    d: int = 1

    @property
    def period_out(self) -> int:  # type: ignore[override]
        return 1

    @property
    def shift_in(self) -> int:  # type: ignore[override]
        return self.s

    def sources(self, y: int) -> Progression | None:
        return (y * self.s - self.p_low, self.d, self.k)


@dataclass(frozen=True)
class Scatter(AxisSources):
    """A transposed convolution: input unit x writes to x*s - p + t*d, so output unit y reads the x
    with x*s = y + p - t*d for some tap t in 0..k-1 (the taps that fall on a stretched input's real
    unit in the paper's equivalent convolution)."""

    k: int
    s: int
    p: int
    d: int = 1

    @property
    def period_out(self) -> int:  # type: ignore[override]
        return self.s

    @property
    def shift_in(self) -> int:  # type: ignore[override]
        return 1

    def sources(self, y: int) -> Progression | None:
        s, d, k = self.s, self.d, self.k
        g = gcd(d, s)
        base = y + self.p
        if base % g:
            return None
        period = s // g
        t0 = ((base // g) * pow((d // g) % period, -1, period)) % period if period > 1 else 0
        if t0 >= k:
            return None
        count = (k - 1 - t0) // period + 1
        t_last = t0 + (count - 1) * period
        return ((base - t_last * d) // s, d // g, count)


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class FieldMap:
    """The interval [low(y), high(y)] of network-input positions output unit y depends on, ignoring
    borders, stored over one period: low(y + period) = low(y) + shift. An entry is None for a unit that
    reads no input at all (possible after a sparse transposed convolution)."""

    period: int
    shift: int
    low: tuple[int | None, ...]
    high: tuple[int | None, ...]

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

    @property
    def size(self) -> int:
        return max((h - lo + 1 for lo, h in zip(self.low, self.high) if lo is not None and h is not None), default=0)

    @property
    def jump(self) -> Fraction:
        return Fraction(self.shift, self.period)

    @property
    def start(self) -> Fraction | None:
        lo, hi = self.low[0], self.high[0]
        if lo is None or hi is None:
            return None
        return Fraction(lo + hi, 2)


def _extreme_over(field: FieldMap, first: int, step: int, count: int, lowest: bool) -> int | None:
    """min of low(x) (or max of high(x)) over x = first + step * n, n in 0..count-1.

    Because low(x + P) = low(x) + Q with Q >= 0, the minimum is reached within the first P / gcd(step, P)
    terms and the maximum within the last as many, so long kernels cost no more than short ones.
    """
    P = field.period
    terms = min(count, P // gcd(step, P) if step else 1)
    best: int | None = None
    for n in range(terms):
        x = first + step * (n if lowest else count - 1 - n)
        b = field.bounds(x)
        if b is None:
            continue
        value = b[0] if lowest else b[1]
        if best is None or (value < best if lowest else value > best):
            best = value
    return best


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
    repeat = P // gcd(P, sources.shift_in)
    period = sources.period_out * repeat
    if period > PERIOD_LIMIT:
        return None
    shift = Q * sources.shift_in * repeat // P
    low: list[int | None] = []
    high: list[int | None] = []
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
    return _reduce(period, shift, low, high)


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


def clipped(prog: Progression | None, size: int) -> Iterable[int]:
    """The positions of a progression that fall inside 0..size-1 (the real input, not its padding)."""
    if prog is None:
        return range(0)
    first, step, count = prog
    if step == 0:
        return range(first, first + 1) if 0 <= first < size else range(0)
    lo_n = max(0, -(first // step)) if first < 0 else 0
    hi_n = min(count - 1, (size - 1 - first) // step)
    if hi_n < lo_n:
        return range(0)
    return range(first + lo_n * step, first + hi_n * step + 1, step)


def dependency_positions(sources: AxisSources, outputs: Iterable[int], input_size: int) -> set[int]:
    """Every input position (borders included, padding excluded) that the given output positions read."""
    needed: set[int] = set()
    for y in outputs:
        needed.update(clipped(sources.sources(y), input_size))
    return needed


def span(positions: Sequence[int] | set[int]) -> tuple[int, int] | None:
    return (min(positions), max(positions)) if positions else None
