"""Valid input sizes: for which input sizes, per axis, a whole design works cleanly.

A size n is valid on an axis when the design, fed n on that axis (the other axes keeping their sizes), has
no error, no stride drops input rows or columns on that axis (no ``stride-drops-input`` warning: the
paper's caveat after relationship 6) and every skip connection matches.

Two passes over the same rules keep it fast and exact. A per-axis filter first propagates the one size
through the layers with each type's own size rule on that axis (`LayerType.axis_rule`: the `arithmetic`
functions, conv_output_size, pool_output_size, transposed_output_size, unvisited_data, ...) and drops the
sizes that certainly fail: an output below 1, input dropped by a stride, a join whose operands differ. It
only ever rejects what the engine rejects, and stops judging at the first layer whose type has no axis rule.
The sizes left are then confirmed by a size-only pass of the engine's own layer rules (the same ones
`analyze` runs, on the same graph wiring, with its input and tensor-size checks, so the same refusals),
without receptive fields, remembering each layer's results for its last few input shapes (RECENT_STEPS: the
memory is bounded by the layers, whatever the range; a range holds at most MAX_SIZES sizes). Measured on a
33-layer 2-D U-Net of depth 4 (on 2 busy cores): a 1..1024 scan takes about 0.05 s per axis, where 1024 full
analyses take about 1.5 s.

When the other axes' own sizes make the design fail whatever this axis is (a square input that no size
fits on either axis, say), they are set for the scan to the smallest size at which every axis works, and
`AxisSizes.others` says which sizes were used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..checks import check_arguments, check_input, check_tensor_size, resolved_arguments
from ..design import NETWORK_INPUT, Design, InputSpec, Layer, axis_name
from ..evaluation import LayerContext, Reference, Refusal
from ..graph import INPUT_INDEX, add_prefixes, name_problem, operand_indices, reference_arguments, reference_indices
from ..layers import CATALOG
from ..layers.common import AxisRule, LayerType

DEFAULT_LOW = 1
DEFAULT_HIGH = 1024
#: The most sizes one scan tries (HIGH - LOW + 1): each walks the design, so the time grows with the range
#: (the memory does not).
MAX_SIZES = 100_000
#: Sizes listed one by one when there are at most this many.
SHORT_LIST = 6
#: Runs shown before "..." when the sizes follow no pattern.
MAX_RUNS = 8
DROPS_INPUT = "stride-drops-input"
#: Results remembered per layer: neighbouring sizes meet again after a stride (64 and 65 both pool to 32),
#: so the last few input shapes catch nearly every repeat.
RECENT_STEPS = 4


@dataclass(frozen=True)
class Failure:
    """Why one input size does not work: the layer and the engine's refusal or warning."""

    layer: str
    rule: str
    message: str
    axis: int | None

    @property
    def text(self) -> str:
        return f"{self.layer}: {self.message}"


@dataclass(frozen=True)
class _Step:
    """One layer's shape-only result for one input shape."""

    output: tuple[int, ...] | None
    refusal: Refusal | None = None
    dropped_axes: tuple[int, ...] = ()
    drop_messages: tuple[str, ...] = ()


@dataclass
class ShapeWalk:
    """The design's layer rules run on shapes only, with each layer's results for its RECENT_STEPS most
    recent input shapes remembered (memory bounded by the layers, never by the sizes tried)."""

    design: Design
    _recent: dict[int, dict[tuple, _Step]] = field(default_factory=dict)
    _checked: dict[tuple[int, int], Refusal | None] = field(default_factory=dict)
    _arguments: dict[int, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.static: list[tuple[Layer, LayerType | None, tuple[int, ...], Refusal | None]] = []
        self._references: list[tuple[tuple[str, int], ...]] = []  # per layer: graph.reference_indices
        self._filters: dict[int, AxisFilter] = {}
        seen: dict[str, int] = {}
        prefixes: set[str] = set()
        for index, layer in enumerate(self.design.layers):
            problem = None
            operands: tuple[int, ...] = ()
            layer_type = CATALOG.get(layer.type)
            references: tuple[tuple[str, int], ...] = ()
            try:
                operands = operand_indices(layer, index, layer_type is not None and layer_type.join, seen)
                references = reference_indices(layer, seen)
            except Refusal as refusal:
                problem = refusal
            self._references.append(references)
            if problem is None:
                if layer.name in seen:
                    problem = Refusal("name", f"the name '{layer.name}' is already used by layer {seen[layer.name] + 1}")
                elif layer_type is None:
                    problem = Refusal("type", f"unknown layer type '{layer.type}'")
                else:
                    problem = name_problem(layer.name, prefixes, seen)
            seen.setdefault(layer.name, index)
            add_prefixes(layer.name, prefixes)
            self.static.append((layer, layer_type, operands, problem))

    def run(self, size: tuple[int, ...], stop_on_drop: int | None = None) -> tuple[Failure | None, dict[int, str]]:
        """Walk the design with this input size: the first failure (None when every layer works) and,
        per spatial axis of the input, the first dropped-input warning on it. With ``stop_on_drop`` the
        walk ends at the first warning on that axis (the size is invalid there anyway)."""
        rank = len(size) + 1
        outputs: dict[int, tuple[int, ...]] = {INPUT_INDEX: (self.design.input.channels, *size)}
        incoming: dict[int, tuple[int, ...]] = {INPUT_INDEX: outputs[INPUT_INDEX]}
        drops: dict[int, str] = {}
        refused = check_input(self.design.with_input(InputSpec(self.design.input.channels, size)))
        if refused:
            return Failure("input", refused[0].rule, refused[0].message, None), drops
        for index, (layer, layer_type, operands, problem) in enumerate(self.static):
            shape = outputs[operands[0]] if operands else outputs[INPUT_INDEX]
            if problem is None:
                assert layer_type is not None
                joined = tuple((self.static[i][0].name if i != INPUT_INDEX else NETWORK_INPUT, outputs[i])
                               for i in operands) if layer_type.join else ()
                named = tuple((argument, incoming[i], outputs[i]) for argument, i in self._references[index])
                step = self._step(index, layer, layer_type, shape, joined, named)
                problem = step.refusal
            if problem is not None:
                aligned = len(shape) == rank
                return Failure(layer.name, problem.rule, problem.message, problem.axis if aligned else None), drops
            if len(shape) == rank:
                for axis, message in zip(step.dropped_axes, step.drop_messages):
                    drops.setdefault(axis, f"{layer.name}: {message}")
                if stop_on_drop is not None and stop_on_drop in drops:
                    return None, drops
            assert step.output is not None
            outputs[index] = step.output
            incoming[index] = shape
        return None, drops

    def _step(self, index: int, layer: Layer, layer_type: LayerType, shape: tuple[int, ...],
              joined: tuple[tuple[str, tuple[int, ...]], ...], named: tuple[tuple[str, tuple[int, ...],
                                                                                    tuple[int, ...]], ...]) -> _Step:
        key = (shape, joined, named)
        recent = self._recent.setdefault(index, {})
        step = recent.get(key)
        if step is None:
            step = self._evaluate(index, layer, layer_type, shape, joined, named)
            if len(recent) >= RECENT_STEPS:
                del recent[next(iter(recent))]  # the oldest
            recent[key] = step
        return step

    def _evaluate(self, index: int, layer: Layer, layer_type: LayerType, shape: tuple[int, ...],
                  joined: tuple[tuple[str, tuple[int, ...]], ...],
                  named: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...]) -> _Step:
        ndim = layer_type.ndim or max(1, len(shape) - 1)
        if (index, ndim) not in self._checked:
            problems = check_arguments(layer_type, layer, ndim)
            self._checked[(index, ndim)] = problems[0] if problems else None
        problem = self._checked[(index, ndim)]
        if problem is not None:
            return _Step(None, problem)
        args = self._arguments.get(index)
        if args is None:
            args = self._arguments[index] = resolved_arguments(layer_type, layer)
        layers = self.design.layers
        ctx = LayerContext(layer, args, shape, joined, {
            argument: Reference(name, layers[i] if i != INPUT_INDEX else None, seen_shape, made)
            for (argument, seen_shape, made), (_, name), (_, i)
            in zip(named, reference_arguments(layer), self._references[index])})
        try:
            evaluation = layer_type.rule(ctx)
            check_tensor_size(evaluation.output_shape, "output")  # analyze's "tensor-size" rule
        except Refusal as refusal:
            return _Step(None, refusal)
        drops = [n for n in evaluation.notes if n.rule == DROPS_INPUT and n.axis is not None]
        return _Step(evaluation.output_shape, None, tuple(n.axis for n in drops),  # type: ignore[misc]
                     tuple(n.message for n in drops))

    def axis_filter(self, axis: int) -> AxisFilter:
        if axis not in self._filters:
            self._filters[axis] = AxisFilter(self, axis)
        return self._filters[axis]

    def works(self, size: tuple[int, ...], axis: int | None = None) -> bool:
        """True when the design works with this input size and drops no input on ``axis`` (on any
        axis when None)."""
        failure, drops = self.run(size, stop_on_drop=axis)
        if failure is not None:
            return False
        return not drops if axis is None else axis not in drops


def _axis_rule(layer: Layer, layer_type: LayerType, ndim: int, axis: int) -> AxisRule | None:
    """The type's own size rule on one axis (see `LayerType.axis_rule`); None for a layer the filter does not
    model (from there on it judges nothing)."""
    if layer_type.axis_rule is None or (layer_type.ndim is not None and layer_type.ndim != ndim):
        return None
    ctx = LayerContext(layer, resolved_arguments(layer_type, layer), (1,) + (1,) * ndim)
    return layer_type.axis_rule(ctx, axis)


class AxisFilter:
    """Sizes on one axis that certainly fail, found with the arithmetic alone (see the module docstring)."""

    def __init__(self, walk: ShapeWalk, axis: int) -> None:
        ndim = walk.design.input.ndim
        self.rules: list[tuple[AxisRule, tuple[int, ...]]] = []
        for layer, layer_type, operands, problem in walk.static:
            if problem is not None or layer_type is None or check_arguments(layer_type, layer, ndim):
                break
            try:
                rule = _axis_rule(layer, layer_type, ndim, axis)
            except (Refusal, TypeError, IndexError, KeyError):
                rule = None
            if rule is None:
                break
            self.rules.append((rule, operands))

    def may_work(self, n: int) -> bool:
        sizes: list[int] = []  # per layer
        for rule, operands in self.rules:
            given = [n if i == INPUT_INDEX else sizes[i] for i in operands]
            out, drops = rule(given[0], given)
            if out is None or drops:
                return False
            sizes.append(out)
        return True


@dataclass(frozen=True)
class AxisSizes:
    """The valid input sizes on one axis within [low, high], with the other axes at ``others``."""

    axis: int
    name: str
    low: int
    high: int
    sizes: tuple[int, ...]
    others: tuple[int, ...]
    reason: str | None = None  # when there are none: what fails at the design's own size

    @property
    def description(self) -> str:
        text = describe_sizes(self.sizes, self.low, self.high)
        return f"{text}: {self.reason}" if not self.sizes and self.reason else text


def _with_size(size: tuple[int, ...], axis: int, n: int) -> tuple[int, ...]:
    return size[:axis] + (n,) + size[axis + 1:]


def _scan(walk: ShapeWalk, axis: int, low: int, high: int, others: tuple[int, ...]) -> tuple[list[int], bool]:
    """The valid sizes with the other axes at ``others``; also whether some size failed because of
    another axis (so the other axes' sizes should change)."""
    valid = []
    blocked = False
    may_work = walk.axis_filter(axis).may_work
    for n in range(low, high + 1):
        if not may_work(n):
            continue
        failure, drops = walk.run(_with_size(others, axis, n), stop_on_drop=axis)
        if failure is None:
            if axis not in drops:
                valid.append(n)
        elif failure.axis is not None and failure.axis != axis:
            blocked = True
    return valid, blocked


def _all_axes_size(walk: ShapeWalk, ndim: int, low: int, high: int) -> tuple[int, ...] | None:
    """The smallest size that works on every axis at once, if any in [low, high]."""
    filters = [walk.axis_filter(axis) for axis in range(ndim)]
    for m in range(low, high + 1):
        if all(f.may_work(m) for f in filters) and walk.works((m,) * ndim):
            return (m,) * ndim
    return None


def axis_sizes(design: Design, axis: int, low: int = DEFAULT_LOW, high: int = DEFAULT_HIGH,
               walk: ShapeWalk | None = None) -> AxisSizes:
    """The valid input sizes on ``axis`` within [low, high], with a reason when there are none."""
    ndim = design.input.ndim
    if not 0 <= axis < ndim:
        raise ValueError(f"the design's input has {ndim} spatial axes: there is no axis {axis}")
    check_range(low, high)
    walk = walk or ShapeWalk(design)
    others = tuple(design.input.size)
    valid, blocked = _scan(walk, axis, low, high, others)
    if blocked and ndim > 1:
        fallback = _all_axes_size(walk, ndim, low, high)
        if fallback is not None:
            others = fallback
            valid, _ = _scan(walk, axis, low, high, others)
    reason = None
    if not valid:
        own = min(max(design.input.size[axis], low), high)
        failure, drops = walk.run(_with_size(others, axis, own))
        reason = failure.text if failure is not None else drops.get(axis)
        if reason:
            reason = f"at {own}, {reason}"
    return AxisSizes(axis, axis_name(axis, ndim), low, high, tuple(valid), others, reason)


def check_range(low: int, high: int) -> None:
    """ValueError unless 1 <= low <= high and the range holds at most MAX_SIZES sizes."""
    if low < 1 or high < low:
        raise ValueError(f"the range must be 1 <= low <= high, not {low}..{high}")
    if high - low + 1 > MAX_SIZES:
        raise ValueError(f"the range {low}..{high} holds {high - low + 1:,} sizes; at most {MAX_SIZES:,} sizes are "
                         "tried at once (each walks the whole design)")


def valid_input_sizes(design: Design, axis: int, low: int = DEFAULT_LOW, high: int = DEFAULT_HIGH) -> list[int]:
    """The input sizes on ``axis`` within [low, high] for which every layer is valid, no stride drops
    input on that axis and every skip connection matches."""
    return list(axis_sizes(design, axis, low, high).sizes)


def input_sizes(design: Design, low: int = DEFAULT_LOW, high: int = DEFAULT_HIGH) -> tuple[AxisSizes, ...]:
    """`axis_sizes` for every spatial axis of the design's input."""
    walk = ShapeWalk(design)
    return tuple(axis_sizes(design, axis, low, high, walk) for axis in range(design.input.ndim))


def nearest_valid_sizes(design: Design, axis: int, span: int = 256) -> tuple[int | None, int | None]:
    """The valid sizes on ``axis`` nearest to the design's own size: the largest below it and the
    smallest above it, within ``span`` of it (None where there is none). For messages like "an input of
    96 or 112 would work"."""
    own = design.input.size[axis]
    found = axis_sizes(design, axis, max(1, own - span), own + span).sizes
    below = max((n for n in found if n < own), default=None)
    above = min((n for n in found if n > own), default=None)
    return below, above


def input_size_suggestion(design: Design, span: int = 128) -> str | None:
    """The nearest input sizes that work, for the axes where the design's own size does not: "the nearest
    input sizes that work are 96 or 104 on H and W". None when every axis's size works (or no size within
    ``span`` does). For the suggestion of a skip-connection mismatch (rule ``join-size``)."""
    walk = ShapeWalk(design)
    ndim = design.input.ndim
    phrases: dict[str, list[str]] = {}
    for axis in range(ndim):
        own = design.input.size[axis]
        valid = axis_sizes(design, axis, max(1, own - span), own + span, walk).sizes
        if own in valid:
            continue
        found = [n for n in (max((n for n in valid if n < own), default=None),
                             min((n for n in valid if n > own), default=None)) if n is not None]
        if found:
            phrases.setdefault(" or ".join(map(str, found)), []).append(axis_name(axis, ndim))
    if not phrases:
        return None
    parts = [f"{sizes} on {' and '.join(names)}" if ndim > 1 else sizes for sizes, names in phrases.items()]
    return "the nearest input sizes that work are " + "; ".join(parts)


def describe_sizes(sizes: tuple[int, ...] | list[int], low: int, high: int) -> str:
    """A compact description of a sorted list of sizes within [low, high]: "multiples of 16 from 16 to
    1024", "17, 49, 81, ... (every 32 from 17 to 1009)", "every size from 7 to 1024", an explicit short
    list, a pattern modulo a period, or runs."""
    sizes = list(sizes)
    if not sizes:
        return f"none from {low} to {high}"
    first, last = sizes[0], sizes[-1]
    if len(sizes) <= SHORT_LIST:
        return ", ".join(map(str, sizes))
    steps = {b - a for a, b in zip(sizes, sizes[1:])}
    if len(steps) == 1:
        step = steps.pop()
        if step == 1:
            return f"every size from {first} to {last}"
        if first % step == 0:
            return f"multiples of {step} from {first} to {last}"
        return f"{first}, {first + step}, {first + 2 * step}, ... (every {step} from {first} to {last})"
    period = _period(sizes)
    if period is not None:
        residues = sorted({n % period for n in sizes})
        listed = ", ".join(map(str, residues[:-1])) + f" or {residues[-1]}"
        return f"every size n with n mod {period} = {listed}, from {first} to {last}"
    runs: list[tuple[int, int]] = []
    for n in sizes:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    shown = [str(a) if a == b else f"{a}-{b}" for a, b in runs[:MAX_RUNS]]
    more = f", ... ({len(sizes)} sizes up to {last})" if len(runs) > MAX_RUNS else ""
    return ", ".join(shown) + more


def _period(sizes: list[int]) -> int | None:
    """The smallest period t (at most a third of the span) with which membership repeats between the
    first and the last size, when the sizes take few residues modulo t."""
    members = set(sizes)
    first, last = sizes[0], sizes[-1]
    for t in range(2, (last - first) // 3 + 1):
        if all((n in members) == (n + t in members) for n in range(first, last - t + 1)):
            residues = {n % t for n in sizes}
            return t if len(residues) <= 4 else None
    return None
