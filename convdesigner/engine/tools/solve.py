"""Solve padding: which paddings (and output paddings) bring one convolution to a target output size.

A direct convolution's output depends on its padding only through the total P = p_low + p_high
(relationships 2 and 6: o = floor((i + P - d(k - 1) - 1) / s) + 1), which is non-decreasing in P, so the
totals that reach a target o form one run of s consecutive values:
(o - 1) s + d(k - 1) + 1 - i <= P <= o s + d(k - 1) - i. Symmetric paddings take the even totals, and
asymmetric [low, high] pairs (the engine supports them for direct convolutions) take the odd ones.

A transposed convolution's output is o' = (i' - 1) s - 2p + d(k - 1) + a + 1 (relationship 14 with
dilation): each unit of padding removes two units of output and the output padding a adds up to
max(s, d) - 1 (PyTorch's rule a < max(s, d)), so a target is reachable only when it is at most the
output at p = 0 with the largest a, and with the right parity when a must be 0.

Every candidate is checked by recomputing its output size with `arithmetic` before it is listed, and
none beyond the arguments' range (``MAX_INT`` on a side) or a padding mode's limit is listed: the tools
never suggest what the engine refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..analysis import Analysis
from ..arguments import MAX_INT, per_axis
from ..arithmetic import conv_output_size, transposed_output_size, unvisited_data
from ..checks import check_arguments, check_tensor_size, resolved_arguments
from ..design import axis_name
from ..evaluation import Refusal
from ..layers import CATALOG
from ..layers.common import TRANSPOSED
from . import solvable

#: Why no padding beyond MAX_INT is listed.
RANGE_TEXT = f"the engine accepts at most {MAX_INT:,} on a side"

#: At most this many solutions of each kind (symmetric, asymmetric) per axis are listed: a huge stride
#: has as many solutions as its size, and the smallest are the useful ones.
MAX_SOLUTIONS = 12



class SolveError(ValueError):
    """The question cannot be asked of this layer (not a convolution, not reached, wrong target)."""


@dataclass(frozen=True)
class AxisSolution:
    """One way to reach the target on one axis: the padding on each side and, for a transposed
    convolution, the output padding. ``dropped`` counts the real input units no window reaches (the
    paper's caveat after relationship 6), for direct convolutions."""

    p_low: int
    p_high: int
    output_padding: int | None = None
    dropped: int = 0

    @property
    def symmetric(self) -> bool:
        return self.p_low == self.p_high

    @property
    def padding(self) -> int | tuple[int, int]:
        """The padding as the design file writes it on this axis: an int, or a (low, high) pair."""
        return self.p_low if self.symmetric else (self.p_low, self.p_high)

    @property
    def text(self) -> str:
        pad = f"padding {self.p_low}" if self.symmetric else f"padding [{self.p_low}, {self.p_high}]"
        if self.output_padding is not None:
            pad += f", output_padding {self.output_padding}"
        if self.dropped:
            pad += " (drops the last input unit)" if self.dropped == 1 else f" (drops the last {self.dropped} input units)"
        return pad


@dataclass(frozen=True)
class AxisOptions:
    """The solutions on one axis, smallest first, or the reason there are none."""

    solutions: tuple[AxisSolution, ...]
    reason: str | None = None


def conv_padding_options(
    i: int, k: int, s: int, d: int, target: int, limit: int | None = None, limit_text: str = ""
) -> AxisOptions:
    """Paddings of a direct convolution (input ``i``, kernel ``k``, stride ``s``, dilation ``d``) whose
    output is ``target``: symmetric ones first, then asymmetric pairs differing by one, each group by
    increasing total. ``limit``: the largest padding one side may have (reflect/circular modes)."""
    if target < 1:
        return AxisOptions((), f"the target {target} is not a size: it must be at least 1")
    reach = d * (k - 1)
    smallest = max(0, (target - 1) * s + reach + 1 - i)
    largest = target * s + reach - i
    if largest < 0:
        unpadded = conv_output_size(i, k, s, 0, 0, d)
        return AxisOptions((), f"even without padding the output is {unpadded}, more than {target}, and padding only "
                               "makes it larger: a larger stride, kernel or dilation would shrink it")
    if limit is not None and (smallest + 1) // 2 > limit:
        return AxisOptions((), f"it needs a padding of at least {(smallest + 1) // 2} on a side, but {limit_text}")

    def solution(low: int, high: int) -> AxisSolution | None:
        if limit is not None and max(low, high) > limit:
            return None
        if conv_output_size(i, k, s, low, high, d) != target:
            return None
        return AxisSolution(low, high, None, unvisited_data(i, k, s, low, high, d))

    symmetric = [solution(p, p) for p in range((smallest + 1) // 2, largest // 2 + 1)[:MAX_SOLUTIONS]]
    odd_totals = range(smallest | 1, largest + 1, 2)[:MAX_SOLUTIONS // 2]
    asymmetric = [solution(low, high) for total in odd_totals
                  for low, high in ((total // 2, total - total // 2), (total - total // 2, total // 2))]
    found = tuple(x for x in symmetric + asymmetric if x is not None)
    if not found:
        return AxisOptions((), f"it needs a padding of at least {(smallest + 1) // 2} on a side, but {limit_text}")
    return AxisOptions(found)


def transposed_padding_options(i: int, k: int, s: int, d: int, target: int, limit: int = MAX_INT) -> AxisOptions:
    """Padding and output padding of a transposed convolution (input ``i``, kernel ``k``, stride ``s``,
    dilation ``d``) whose output is ``target``, by increasing padding then output padding; ``limit``: the
    largest padding (the arguments' range)."""
    if target < 1:
        return AxisOptions((), f"the target {target} is not a size: it must be at least 1")
    largest_a = max(s, d) - 1
    unpadded = transposed_output_size(i, k, s, 0, 0, d)
    if target > unpadded + largest_a:
        extra = f" and output_padding {largest_a}" if largest_a else ""
        return AxisOptions((), f"the target {target} is too large: with padding 0{extra} the output is "
                               f"{unpadded + largest_a}, the most this stride and kernel can give "
                               f"(PyTorch needs output_padding < max(stride, dilation) = {largest_a + 1}); "
                               "a larger stride or kernel would reach it")
    found = []
    least_a = max(0, target - unpadded)
    for a in range(least_a, min(largest_a, least_a + 2 * MAX_SOLUTIONS) + 1):
        twice_p = unpadded + a - target
        if twice_p < 0 or twice_p % 2:
            continue
        p = twice_p // 2
        if transposed_output_size(i, k, s, p, a, d) == target:
            found.append(AxisSolution(p, p, a))
    found.sort(key=lambda x: (x.p_low, x.output_padding))
    if found and found[0].p_low > limit:
        return AxisOptions((), f"it needs a padding of at least {found[0].p_low}, but {RANGE_TEXT}")
    found = [x for x in found if x.p_low <= limit]
    if not found:
        near = " or ".join(str(n) for n in (target - 1, target + 1) if n >= 1)
        return AxisOptions((), f"each unit of padding removes 2 from the output ({unpadded} with padding 0) and "
                               "output_padding must be 0 here (PyTorch needs it smaller than max(stride, dilation) "
                               f"= 1), so only {unpadded}, {unpadded - 2}, {unpadded - 4}, ... are reachable "
                               f"({near} would be)")
    return AxisOptions(tuple(found[:MAX_SOLUTIONS]))


@dataclass(frozen=True)
class AxisSolve:
    """One axis of a solve: its name, the input size the layer sees, the target and the options."""

    axis: int
    name: str
    input_size: int
    target: int
    options: AxisOptions

    @property
    def solutions(self) -> tuple[AxisSolution, ...]:
        return self.options.solutions

    @property
    def reason(self) -> str | None:
        return self.options.reason


@dataclass(frozen=True)
class LayerSolution:
    """One choice per axis, and the argument values that set it on the layer."""

    axes: tuple[AxisSolution, ...]
    transposed: bool

    @property
    def arguments(self) -> dict[str, Any]:
        """What to set on the layer, as the design file writes it: ``{"padding": 1}``,
        ``{"padding": [[0, 1], [0, 1]]}``, ``{"padding": 1, "output_padding": 1}``, ..."""
        if all(x.symmetric for x in self.axes):
            padding: Any = _compact([x.p_low for x in self.axes])
        else:
            padding = [[x.p_low, x.p_high] for x in self.axes]
        if not self.transposed:
            return {"padding": padding}
        return {"padding": padding, "output_padding": _compact([x.output_padding or 0 for x in self.axes])}

    @property
    def text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.arguments.items())


def _compact(values: list[int]) -> int | list[int]:
    return values[0] if len(set(values)) == 1 else values


@dataclass(frozen=True)
class SolveResult:
    """The solve of one layer: per axis, its solutions or why there are none."""

    layer: str
    type: str
    transposed: bool
    axes: tuple[AxisSolve, ...]

    @property
    def ok(self) -> bool:
        return all(a.solutions for a in self.axes)

    @property
    def solutions(self) -> tuple[LayerSolution, ...]:
        """Whole-layer choices, smallest first: the n-th solution of every axis (the last one where an
        axis has fewer). Empty when some axis has none."""
        if not self.ok:
            return ()
        count = max(len(a.solutions) for a in self.axes)
        return tuple(LayerSolution(tuple(a.solutions[min(n, len(a.solutions) - 1)] for a in self.axes),
                                   self.transposed) for n in range(count))

    @property
    def message(self) -> str:
        """A plain summary: the first solution, or why some axis has none."""
        failed = [a for a in self.axes if not a.solutions]
        if failed:
            return "; ".join(f"{self.layer}: no padding reaches {a.target} on axis {a.name} (input {a.input_size}): "
                             f"{a.reason}" for a in failed)
        target = "×".join(str(a.target) for a in self.axes)
        return f"{self.layer}: {self.solutions[0].text} gives {target}"


def solve_padding(analysis: Analysis, index: int, target: tuple[int, ...]) -> SolveResult:
    """The paddings with which layer ``index`` of an analysed design reaches the spatial size ``target``
    (one value per axis). Raises SolveError when the layer is not a (transposed) convolution, was not
    reached because an earlier layer fails, or the target has the wrong number of axes."""
    if not 0 <= index < len(analysis.layers):
        raise SolveError(f"there is no layer {index + 1}: the design has {len(analysis.layers)}")
    result = analysis.layers[index]
    layer = result.layer
    layer_type = CATALOG.get(layer.type)
    if layer_type is None or not solvable(layer.type):
        raise SolveError(f"{layer.name} is a {layer.type}: padding can be solved for convolutions and transposed "
                         "convolutions only")
    if result.input_shape is None:
        first = next((d.text for d in analysis.errors), "an earlier layer fails")
        raise SolveError(f"{layer.name} is not reached, so its input size is unknown: {first}")
    ndim = len(result.input_shape) - 1
    if ndim != layer_type.ndim:
        raise SolveError(f"{layer.name} ({layer.type}) receives {ndim} spatial axes; fix that first")
    if len(target) != ndim:
        raise SolveError(f"the target needs {ndim} size{'s' if ndim > 1 else ''} (one per spatial axis), "
                         f"not {len(target)}")
    problems = check_arguments(layer_type, layer, ndim)
    if problems:
        raise SolveError(f"{layer.name}: {problems[0].message}")
    args = resolved_arguments(layer_type, layer)
    kernel, stride, dilation = (per_axis(args[name], ndim) for name in ("kernel_size", "stride", "dilation"))
    transposed = layer_type.window == TRANSPOSED
    axes = []
    for axis, (i, k, s, d, t) in enumerate(zip(result.input_shape[1:], kernel, stride, dilation, target)):
        if transposed:
            options = transposed_padding_options(i, k, s, d, t)
        else:
            limit, limit_text = _mode_limit(args["padding_mode"], i)
            if limit is None or limit > MAX_INT:
                limit, limit_text = MAX_INT, RANGE_TEXT
            options = conv_padding_options(i, k, s, d, t, limit, limit_text)
        axes.append(AxisSolve(axis, axis_name(axis, ndim), i, t, options))
    try:
        check_tensor_size((args["out_channels"], *target), "output")
    except Refusal as refusal:
        raise SolveError(f"{layer.name}: {refusal.message}") from None
    return SolveResult(layer.name, layer.type, transposed, tuple(axes))


def _mode_limit(mode: str, i: int) -> tuple[int | None, str]:
    """PyTorch's limit on one side's padding for the non-zero padding modes (docs/torch-rules.md §1)."""
    if mode == "reflect":
        return i - 1, f"reflect padding must be smaller than the input size {i}"
    if mode == "circular":
        return i, f"circular padding must be at most the input size {i}"
    return None, ""
