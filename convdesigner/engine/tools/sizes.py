"""Valid input sizes: for which input sizes, per axis, a whole design works cleanly.

A size n is valid on an axis when the design, fed n on that axis (the other axes keeping their sizes), has
no error, no stride drops input rows or columns on that axis (no ``stride-drops-input`` warning: the
paper's caveat after relationship 6) and every skip connection matches.

One size-only pass of the engine's own layer rules keeps it fast and exact (`ShapeWalk`, on the same graph
wiring as `analyze`, with its input and tensor-size checks, so the same refusals). Each layer type declares
its size rule per axis (`LayerType.axis_rule`: the `arithmetic` functions, conv_output_size,
pool_output_size, transposed_output_size, dropped_input, ...), exact wherever it gives a size and leaving the
rest to the layer's rule; nothing else a rule refuses depends on the spatial sizes. So the pass takes every
size of the range through a layer's axis rule together (an identity at no cost), asks the layer's rule once
for the channels (and for any refusal that does not depend on sizes), and walks a size on alone, with the full
rules, only from where the axis rules cannot decide it (a kernel that may not fit, a join whose operands
differ, a layer without axis rules such as Flatten). A size leaves the pass where a stride drops input on the
scanned axis or a tensor grows too large, and sizes whose tensors still to be read have become equal go on as
one. On bench_huge's 1,000-layer residual stack a 1..1024 scan asks 1,001 layer rules (it asked 1,024,000) and
takes ~0.1 s of CPU (4.7 s before; the whole `sizes` command ~0.35 s, 12.9 s before: bench/bench_sizes.py);
the memory is bounded by the layers times CHUNK sizes, whatever the range (a range holds at most MAX_SIZES
sizes). Walking one size (`ShapeWalk.run`) reads the sizes from the axis rules too, with each rule asked once
per input channels.

When the other axes' own sizes make the design fail whatever this axis is (a square input that no size
fits on either axis, say), they are set for the scan to the smallest size at which every axis works, and
`AxisSizes.others` says which sizes were used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..checks import check_arguments, check_input, check_tensor_size, resolved_arguments
from ..design import NETWORK_INPUT, Design, InputSpec, Layer, axis_name
from ..evaluation import LayerContext, Reference, Refusal
from ..graph import INPUT_INDEX, add_prefixes, name_problem, operand_indices, reference_arguments, reference_indices
from ..layers import CATALOG
from ..layers.common import AxisRule, LayerType, identity_axis

DEFAULT_LOW = 1
DEFAULT_HIGH = 1024
#: The most sizes one scan tries (HIGH - LOW + 1): the time grows with the range (the memory does not).
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


#: What a layer's rule decided for some input channels, when its axis rules accept the sizes: its output
#: channels, or this: its rule judges every size (it refuses whatever the sizes, in words that name them, or it
#: disagreed with its axis rules).
REFUSED = -1
#: Input sizes one scan carries through the layers together: the memory of the size-only pass is at most the
#: layers still to be read times this, whatever the range.
CHUNK = 4096


@dataclass
class ShapeWalk:
    """The design's layer rules run on shapes only: each layer's axis rules (`LayerType.axis_rule`) give its
    sizes and its rule is asked once per (layer, input channels), as nothing else in its verdict depends on the
    sizes; the rule itself judges whatever the axis rules leave to it, with its results for its RECENT_STEPS
    most recent input shapes remembered (memory bounded by the layers, never by the sizes tried).

    ``evaluations`` counts the layer rules run (the full confirmation), ``walks`` the sizes walked one by
    one instead of together (see `scan`)."""

    design: Design
    evaluations: int = 0
    walks: int = 0
    _recent: dict[int, dict[tuple, _Step]] = field(default_factory=dict)
    _checked: dict[tuple[int, int], Refusal | None] = field(default_factory=dict)
    _arguments: dict[int, dict] = field(default_factory=dict)
    _channels: dict[tuple[int, ...], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.static: list[tuple[Layer, LayerType | None, tuple[int, ...], Refusal | None]] = []
        self._references: list[tuple[tuple[str, int], ...]] = []  # per layer: graph.reference_indices
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
        ndim = self.design.input.ndim
        #: Per layer its axis rules at the input's rank, or None where its rule judges every size (also where
        #: it names other layers: its sizes then depend on theirs).
        self.rules = [_axis_rules(layer, layer_type, ndim)
                      if problem is None and layer_type is not None and not self._references[index] else None
                      for index, (layer, layer_type, _, problem) in enumerate(self.static)]
        #: Per layer whether it keeps every size (its axis rules are identities: nothing to compute).
        self.identities = [rules is not None and self.static[i][1].axis_rule is identity_axis  # type: ignore[union-attr]
                           for i, rules in enumerate(self.rules)]
        #: Per tensor (INPUT_INDEX for the input) the last layer that reads it, or reads the shape of a layer
        #: it is the input of (a layer named in an argument: its input and output shapes).
        self.last_use: dict[int, int] = {}
        for index, (_, _, operands, _) in enumerate(self.static):
            for i in operands or (INPUT_INDEX,):
                self.last_use[i] = index
            for _, i in self._references[index]:
                self.last_use[i] = self.last_use[self._incoming(i)] = index

    def _incoming(self, index: int) -> int:
        """The tensor layer ``index`` reads first (INPUT_INDEX for the input itself)."""
        return INPUT_INDEX if index == INPUT_INDEX else (self.static[index][2] or (INPUT_INDEX,))[0]

    def run(self, size: tuple[int, ...], stop_on_drop: int | None = None) -> tuple[Failure | None, dict[int, str]]:
        """Walk the design with this input size: the first failure (None when every layer works) and,
        per spatial axis of the input, the first dropped-input warning on it. With ``stop_on_drop`` the
        walk ends at the first warning on that axis (the size is invalid there anyway)."""
        refused = check_input(self.design.with_input(InputSpec(self.design.input.channels, size)))
        if refused:
            return Failure("input", refused[0].rule, refused[0].message, None), {}
        return self._walk({INPUT_INDEX: (self.design.input.channels, *size)}, 0, len(size) + 1, stop_on_drop)

    def _walk(self, outputs: dict[int, tuple[int, ...]], start: int, rank: int, stop_on_drop: int | None
              ) -> tuple[Failure | None, dict[int, str]]:
        """`run` from layer ``start`` on, given the outputs of the layers above that later layers read (the
        input's rank is ``rank``)."""
        drops: dict[int, str] = {}
        for index in range(start, len(self.static)):
            layer, layer_type, operands, problem = self.static[index]
            shape = outputs[operands[0]] if operands else outputs[INPUT_INDEX]
            if problem is None:
                assert layer_type is not None
                rules = self.rules[index]
                shapes = [outputs[i] for i in operands] if layer_type.join else [shape]
                if rules is not None and (len(shape) == rank if len(shapes) == 1 else
                                          all(len(s) == rank for s in shapes)):
                    output = self._sized(index, rules, shapes)
                    if output is not None:
                        outputs[index] = output
                        continue
                step = self._full(index, shapes, outputs)
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
        return None, drops

    def _sized(self, index: int, rules: tuple[AxisRule, ...], shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
        """The layer's output from its axis rules, or None where its rule must judge (a size the axis rules
        leave to it, a refusal, dropped input, a tensor too large)."""
        shape = shapes[0]
        if self.identities[index]:
            sizes: Sequence[int] = shape[1:]
        else:
            sizes = []
            for axis, rule in enumerate(rules, 1):
                one = [shape[axis]]
                got, drops = rule(one, [one] if len(shapes) == 1 else [[s[axis]] for s in shapes])
                if got[0] is None or (drops and drops[0]):
                    return None
                sizes.append(got[0])
        channels = self._channels_of(index, shapes, sizes, ())
        if channels == REFUSED:
            return None
        output = (channels, *sizes)
        try:
            check_tensor_size(output, "output")
        except Refusal:
            return None
        return output

    def _channels_of(self, index: int, shapes: list[tuple[int, ...]], sizes: Sequence[int], dropped: Sequence[bool]
                     ) -> int:
        """The layer's output channels for inputs with these channels, whose spatial sizes its axis rules
        accept (giving ``sizes`` and dropping input on the ``dropped`` axes), or REFUSED: the rule asked once
        per input channels, at these shapes. Where it disagrees with its axis rules (a type whose axis rule is
        wrong) its rule judges every size of this layer from then on."""
        key = (index, shapes[0][0]) if len(shapes) == 1 else (index, *(s[0] for s in shapes))
        found = self._channels.get(key)
        if found is None:
            step = self._full(index, shapes)
            found = REFUSED
            if step.refusal is None and step.output is not None:
                wanted = tuple(axis for axis, flag in enumerate(dropped) if flag)
                if step.output[1:] == tuple(sizes) and step.dropped_axes == wanted:
                    found = step.output[0]
                else:
                    self.rules[index] = None
            self._channels[key] = found
        return found

    def _full(self, index: int, shapes: list[tuple[int, ...]], outputs: dict[int, tuple[int, ...]] | None = None
              ) -> _Step:
        """The layer's own rule at these input shapes (a join's operands, else the one input), with the shapes
        of the layers it names in ``outputs`` (a layer with axis rules names none)."""
        layer, layer_type, operands, _ = self.static[index]
        assert layer_type is not None
        joined = tuple((self.static[i][0].name if i != INPUT_INDEX else NETWORK_INPUT, s)
                       for i, s in zip(operands, shapes)) if layer_type.join else ()
        named = tuple((argument, outputs[self._incoming(i)], outputs[i])
                      for argument, i in self._references[index]) if outputs is not None else ()
        return self._step(index, layer, layer_type, shapes[0], joined, named)

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
        self.evaluations += 1
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

    def works(self, size: tuple[int, ...], axis: int | None = None) -> bool:
        """True when the design works with this input size and drops no input on ``axis`` (on any
        axis when None)."""
        failure, drops = self.run(size, stop_on_drop=axis)
        if failure is not None:
            return False
        return not drops if axis is None else axis not in drops

    def scan(self, axis: int, low: int, high: int, others: tuple[int, ...]) -> tuple[list[int], bool]:
        """The sizes in [low, high] that work on ``axis`` with the other axes at ``others``, and whether some
        size failed because of another axis (see `_scan_together`), CHUNK sizes at a time."""
        valid: list[int] = []
        blocked = False
        for first in range(low, high + 1, CHUNK):
            found, failed = self._scan_together(axis, list(range(first, min(first + CHUNK - 1, high) + 1)), others)
            valid += found
            blocked = blocked or failed
        return valid, blocked

    def _scan_together(self, axis: int, sizes: list[int], others: tuple[int, ...]) -> tuple[list[int], bool]:
        """`run` for many sizes on one axis at once, the other axes at ``others``: each layer's axis rule takes
        the sizes still alive together (an identity at no cost) and its rule is asked once for their channels.
        A size leaves the pass where it certainly fails (a stride drops input on this axis, a tensor too large)
        or where the axis rules leave it to the rule, which then judges it and walks it on alone (from the first
        layer without axis rules on, every size alive is walked on alone). Sizes whose tensors still to be read
        have become equal (64 and 65 after a pooling by 2) go on as one, as their walks are the same from there.
        The answer is `run`'s for every size: valid when it fails nowhere and drops no input on ``axis``;
        blocked when some size fails on another axis."""
        ndim = len(others)
        if self._input_fails(others, axis, sizes[-1]):  # the input check is monotone in the size
            sizes = [n for n in sizes if not self._input_fails(others, axis, n)]
        fixed: dict[int, tuple[int, ...]] = {INPUT_INDEX: (self.design.input.channels, *others)}  # per tensor
        varying: dict[int, list[int]] = {INPUT_INDEX: sizes}  # per tensor: its size on ``axis`` per class alive
        members = [[n] for n in sizes]  # per class alive: the input sizes it stands for
        valid: list[int] = []
        blocked = False

        def walk_alone(j: int, start: int) -> None:
            """Class ``j`` walked on alone from layer ``start``, with the full rules."""
            nonlocal blocked
            self.walks += 1
            failure, drops = self._walk(self._outputs_at(fixed, varying, axis, j), start, ndim + 1, axis)
            if failure is None and axis not in drops:
                valid.extend(members[j])
            blocked = blocked or (failure is not None and failure.axis not in (None, axis))

        index = 0
        while index < len(self.static) and members:
            rules = self.rules[index]
            operands = self.static[index][2] or (INPUT_INDEX,)
            decided = rules is not None and all(len(fixed[i]) == ndim + 1 for i in operands)
            if decided:
                assert rules is not None
                shapes = [fixed[i] for i in operands]
                out = list(shapes[0][1:])
                dropped = [False] * ndim
                for a, rule in enumerate(rules):
                    if a != axis:  # the same for every size: once
                        got, drops = rule([out[a]], [[s[a + 1]] for s in shapes])
                        decided = decided and got[0] is not None
                        out[a] = got[0] if got[0] is not None else out[a]
                        dropped[a] = bool(drops and drops[0])
                got, drops = rules[axis](varying[operands[0]], [varying[i] for i in operands])
                first = 0 if got[0] is not None else next((j for j, n in enumerate(got) if n is not None), None)
                decided = decided and first is not None
            if not decided:
                break
            assert first is not None
            out[axis] = got[first]
            dropped[axis] = bool(drops and drops[first])
            sample = [_with_size(s, axis + 1, varying[i][first]) for i, s in zip(operands, shapes)]
            channels = self._channels_of(index, sample, out, dropped)
            if channels == REFUSED:
                break
            keep = range(len(got))
            if None in got or (drops is not None and any(drops)):
                for j in (j for j, n in enumerate(got) if n is None):
                    walk_alone(j, index)
                keep = [j for j, n in enumerate(got) if n is not None and not (drops and drops[j])]
            shape = (channels, *out)
            largest = max(got) if len(keep) == len(got) else max((got[j] for j in keep), default=0)
            if _too_large(_with_size(shape, axis + 1, largest)):  # type: ignore[arg-type]
                keep = [j for j in keep if not _too_large(_with_size(shape, axis + 1, got[j]))]  # fail on no axis
            fixed[index], varying[index] = shape, got  # type: ignore[assignment]
            for i in {*operands, index}:
                if self.last_use.get(i, index) == index:  # read no more (or never)
                    del fixed[i], varying[i]
            if len(keep) < len(members):
                members = [members[j] for j in keep]
                varying = _kept(varying, list(keep))
            index += 1
            # The sizes out grow with the sizes in: fewer distinct values than sizes means some met.
            if keep and got[keep[-1]] - got[keep[0]] < len(keep) - 1 and index < len(self.static):  # type: ignore[operator]
                members, varying = _merged(members, varying)
        if index < len(self.static):  # a layer the axis rules cannot take: walk every size alive on alone
            for j in range(len(members)):
                walk_alone(j, index)
        else:
            valid += [n for sizes in members for n in sizes]
        return sorted(valid), blocked

    def _input_fails(self, others: tuple[int, ...], axis: int, n: int) -> bool:
        return bool(check_input(self.design.with_input(InputSpec(self.design.input.channels,
                                                                 _with_size(others, axis, n)))))

    @staticmethod
    def _outputs_at(fixed: dict[int, tuple[int, ...]], varying: dict[int, list[int]], axis: int, j: int
                    ) -> dict[int, tuple[int, ...]]:
        """The outputs still to be read, for the ``j``-th size alive."""
        return {i: _with_size(shape, axis + 1, varying[i][j]) for i, shape in fixed.items()}


def _axis_rules(layer: Layer, layer_type: LayerType, ndim: int) -> tuple[AxisRule, ...] | None:
    """The type's own size rules on every axis (see `LayerType.axis_rule`); None for a layer whose rule judges
    every size (no axis rule, another rank, arguments it refuses)."""
    if layer_type.axis_rule is None or (layer_type.ndim is not None and layer_type.ndim != ndim) or \
            check_arguments(layer_type, layer, ndim):
        return None
    ctx = LayerContext(layer, resolved_arguments(layer_type, layer), (1,) + (1,) * ndim)
    rules = []
    for axis in range(ndim):
        try:
            rule = layer_type.axis_rule(ctx, axis)
        except (Refusal, TypeError, IndexError, KeyError):
            rule = None
        if rule is None:
            return None
        rules.append(rule)
    return tuple(rules)


def _too_large(shape: tuple[int, ...]) -> bool:
    try:
        check_tensor_size(shape, "output")
    except Refusal:
        return True
    return False


def _merged(members: list[list[int]], varying: dict[int, list[int]]) -> tuple[list[list[int]], dict[int, list[int]]]:
    """The classes of sizes with every tensor still to be read alike, merged into one."""
    lists = list({id(values): values for values in varying.values()}.values())
    first: dict[tuple[int, ...], int] = {}
    keep = []
    merged: list[list[int]] = []
    for j, key in enumerate(zip(*lists)):
        at = first.get(key)
        if at is None:
            first[key] = len(merged)
            keep.append(j)
            merged.append(list(members[j]))
        else:
            merged[at] += members[j]
    return (merged, _kept(varying, keep)) if len(keep) < len(members) else (members, varying)


def _kept(varying: dict[int, list[int]], keep: list[int]) -> dict[int, list[int]]:
    """Every tensor's sizes for the sizes kept (a list that tensors share, as identities do, is copied once)."""
    copies: dict[int, list[int]] = {}
    for values in varying.values():
        if id(values) not in copies:
            copies[id(values)] = [values[j] for j in keep]
    return {i: copies[id(values)] for i, values in varying.items()}


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


def _all_axes_size(walk: ShapeWalk, ndim: int, low: int, high: int) -> tuple[int, ...] | None:
    """The smallest size that works on every axis at once, if any in [low, high]."""
    return next(((m,) * ndim for m in range(low, high + 1) if walk.works((m,) * ndim)), None)


def axis_sizes(design: Design, axis: int, low: int = DEFAULT_LOW, high: int = DEFAULT_HIGH,
               walk: ShapeWalk | None = None) -> AxisSizes:
    """The valid input sizes on ``axis`` within [low, high], with a reason when there are none."""
    ndim = design.input.ndim
    if not 0 <= axis < ndim:
        raise ValueError(f"the design's input has {ndim} spatial axes: there is no axis {axis}")
    check_range(low, high)
    walk = walk or ShapeWalk(design)
    others = tuple(design.input.size)
    valid, blocked = walk.scan(axis, low, high, others)
    if blocked and ndim > 1:
        fallback = _all_axes_size(walk, ndim, low, high)
        if fallback is not None:
            others = fallback
            valid, _ = walk.scan(axis, low, high, others)
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
    ``span`` does). For the suggestion of a skip-connection mismatch (rule ``join-size``), and `sizes` asks
    after every scan: one walk at the design's own size answers first (a size that fails nowhere and drops no
    input is valid on every axis), and only an input that does not work is scanned around."""
    walk = ShapeWalk(design)
    if walk.works(tuple(design.input.size)):
        return None
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
