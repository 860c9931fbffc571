"""Analyse a design: every layer's shapes, counts, receptive field and diagnostics, in one pass.

Diagnostics, never exceptions: whatever a user typed, `analyze` returns an `Analysis`. An error names the
layer and the rule it breaks; every layer after the first error is marked as not computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from math import prod
from typing import Any

from .arguments import MAX_INT, check_value, describe, quoted
from .design import Design, Layer, axis_name
from .evaluation import IDENTITY, AxisGeometry, Evaluation, LayerContext, Refusal
from .layers import CATALOG, did_you_mean
from .layers.common import LayerType
from .receptive_field import AxisSources, FieldMap, Runs, coalesce, compose, dependency_runs, merge

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """An error or warning about one layer (``layer`` None: about the design's input)."""

    severity: str
    layer: str | None
    rule: str
    message: str
    suggestion: str | None = None
    axis: int | None = None
    argument: str | None = None

    @property
    def text(self) -> str:
        """The message as users read it: 'conv3: kernel 7 ... on axis H; pad by 2 more ...'."""
        where = self.layer if self.layer is not None else "input"
        hint = f"; {self.suggestion}" if self.suggestion else ""
        return f"{where}: {self.message}{hint}"


@dataclass(frozen=True)
class ReceptiveField:
    """A layer output's receptive field on the network input, per spatial axis (see receptive_field)."""

    size: tuple[int, ...]
    jump: tuple[Fraction, ...]
    start: tuple[Fraction | None, ...]


_UNSET: Any = object()


@dataclass(frozen=True, init=False)
class LayerResult:
    """Everything the engine knows about one layer of an analysed design."""

    index: int
    layer: Layer
    input_shape: tuple[int, ...] | None = None
    output_shape: tuple[int, ...] | None = None
    params: int | None = None
    macs: int | None = None
    geometry: tuple[AxisGeometry, ...] | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    sources: tuple[AxisSources, ...] | str | None = None
    field_maps: tuple[FieldMap, ...] | None = field(default=None, repr=False)
    joined_index: int | None = None

    def __init__(
        self, index: int, layer: Layer, input_shape: tuple[int, ...] | None = None,
        output_shape: tuple[int, ...] | None = None, params: int | None = None, macs: int | None = None,
        geometry: tuple[AxisGeometry, ...] | None = None, diagnostics: tuple[Diagnostic, ...] = (),
        sources: tuple[AxisSources, ...] | str | None = None, field_maps: tuple[FieldMap, ...] | None = None,
        joined_index: int | None = None,
    ) -> None:
        # Frozen, filled through __dict__ for speed (see evaluation.AxisGeometry).
        self.__dict__.update(index=index, layer=layer, input_shape=input_shape, output_shape=output_shape,
                             params=params, macs=macs, geometry=geometry, diagnostics=diagnostics, sources=sources,
                             field_maps=field_maps, joined_index=joined_index)

    @property
    def receptive_field(self) -> ReceptiveField | None:
        """The output's receptive field on the network input, per axis; None when the layer was not
        computed or its output is no longer spatial (after Flatten or Linear). Derived from the exact
        field maps on first use."""
        cached = self.__dict__.get("_receptive_field", _UNSET)
        if cached is _UNSET:
            maps = self.field_maps
            cached = None if maps is None else ReceptiveField(
                tuple(m.size for m in maps), tuple(m.jump for m in maps), tuple(m.start for m in maps))
            object.__setattr__(self, "_receptive_field", cached)
        return cached

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def type(self) -> str:
        return self.layer.type

    @property
    def computed(self) -> bool:
        return self.output_shape is not None

    @property
    def activations(self) -> int | None:
        """Elements of the output tensor for one sample (times 4 bytes in float32)."""
        return prod(self.output_shape) if self.output_shape is not None else None

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == ERROR)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == WARNING)


@dataclass(frozen=True)
class Analysis:
    """The analysed design."""

    design: Design
    layers: tuple[LayerResult, ...]
    input_diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == ERROR)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == WARNING)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.input_diagnostics + tuple(d for r in self.layers for d in r.diagnostics)

    @property
    def output_shape(self) -> tuple[int, ...] | None:
        if not self.ok:
            return None
        return self.layers[-1].output_shape if self.layers else self.design.input.shape

    @property
    def total_params(self) -> int:
        return sum(r.params or 0 for r in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(r.macs or 0 for r in self.layers)

    @property
    def total_activations(self) -> int:
        return sum(r.activations or 0 for r in self.layers)

    def result(self, name: str) -> LayerResult:
        for r in self.layers:
            if r.name == name:
                return r
        raise KeyError(name)

    def dependency_interval(self, index: int, position: tuple[int, ...]) -> tuple[tuple[int, int], ...] | None:
        """The exact interval of network-input positions, per axis, that output ``position`` of layer
        ``index`` depends on, borders included (padding excluded). None when the layer's field is not
        spatial (after Flatten or Linear) or the layer was not computed."""
        target = self.layers[index]
        if not target.computed or target.field_maps is None:
            return None
        ndim = len(target.output_shape) - 1  # type: ignore[arg-type]
        needed: dict[int, list[Runs]] = {index: [[(p, p)] for p in position]}
        for j in range(index, -1, -1):
            runs = needed.pop(j, None)
            if runs is None:
                continue
            r = self.layers[j]
            assert r.input_shape is not None
            if r.sources == IDENTITY or r.sources is None:
                prev = runs
            else:
                prev = [dependency_runs(src, axis_runs, size)
                        for src, axis_runs, size in zip(r.sources, runs, r.input_shape[1:])]
            _union_into(needed, j - 1, prev)
            if r.joined_index is not None:
                _union_into(needed, r.joined_index, runs)
        found = needed.get(-1, [[]] * ndim)
        if any(not axis_runs for axis_runs in found):
            return None
        return tuple((axis_runs[0][0], axis_runs[-1][1]) for axis_runs in found)


def _union_into(needed: dict[int, list[Runs]], key: int, runs: list[Runs]) -> None:
    if key in needed:
        needed[key] = [coalesce(mine + more) for mine, more in zip(needed[key], runs)]
    else:
        needed[key] = [list(axis_runs) for axis_runs in runs]


#: PyTorch cannot describe a float32 tensor of this many bytes or more (its sizes are int64).
MAX_TENSOR_BYTES = 2**63


def check_tensor_size(shape: tuple[int, ...], what: str) -> None:
    """Refuse a tensor too large for PyTorch to even describe (numel x 4 bytes >= 2^63)."""
    if len(shape) <= 4 and max(shape) < 1 << 15:
        return  # at most 2^60 values: nowhere near the limit
    if prod(shape) * 4 >= MAX_TENSOR_BYTES:
        raise Refusal("tensor-size", f"the {what} {'×'.join(map(str, shape))} would hold {float(prod(shape)):.3g} "
                      "values, more than PyTorch can address (2^63 bytes)", "use smaller sizes")


def check_input(design: Design) -> list[Diagnostic]:
    """Problems with the design's input shape."""
    spec = design.input
    problems = []
    if not 1 <= len(spec.size) <= 3:
        problems.append(f"the input needs 1, 2 or 3 spatial sizes, not {len(spec.size)}")
    for label, value in [("channels", spec.channels)] + [(f"size on axis {axis_name(a, len(spec.size))}", v)
                                                          for a, v in enumerate(spec.size)]:
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{label} must be an integer, not {describe(value)}")
        elif value < 1:
            problems.append(f"{label} must be at least 1, not {value}")
        elif value > MAX_INT:
            problems.append(f"{label} is out of range: {describe(value)} is larger than {MAX_INT:,}")
    if not problems:
        try:
            check_tensor_size(spec.shape, "input")
        except Refusal as refusal:
            problems.append(refusal.message)
    return [Diagnostic(ERROR, None, "input", p) for p in problems]


def check_arguments(layer_type: LayerType, layer: Layer, ndim: int) -> list[Refusal]:
    """Type and range problems with a layer's arguments (unknown names, missing required ones, values
    of the wrong kind), each naming the argument."""
    problems = []
    known = layer_type.argument_names
    for key, _value in layer.args:
        if key not in known:
            guess = did_you_mean(key, known)
            problems.append(Refusal("argument", f"{layer.type} has no argument {quoted(key)}",
                                    f"did you mean '{guess}'?" if guess else
                                    f"its arguments are {', '.join(known)}", argument=key))
    given = layer.arguments
    for arg in layer_type.arguments:
        if arg.name not in given:
            if arg.required:
                problems.append(Refusal("argument", f"{arg.name} is required", argument=arg.name))
            continue
        problem = check_value(arg, given[arg.name], ndim)
        if problem:
            problems.append(Refusal("argument", problem, argument=arg.name))
    return problems


def resolved_arguments(layer_type: LayerType, layer: Layer) -> dict[str, Any]:
    """The layer's arguments with PyTorch's defaults filled in."""
    given = layer.arguments
    return {a.name: given.get(a.name, a.default) for a in layer_type.arguments}


#: How many (layer, rank) argument checks `prepared_arguments` remembers.
ARGUMENT_MEMO_SIZE = 8192
_argument_memo: dict[tuple[int, int], tuple[Layer, tuple[tuple[Refusal, ...], dict[str, Any]]]] = {}


def prepared_arguments(layer_type: LayerType, layer: Layer, ndim: int
                       ) -> tuple[tuple[Refusal, ...], dict[str, Any]]:
    """`check_arguments` and `resolved_arguments` of a layer, remembered per (layer object, rank).

    A Layer is immutable, so its argument problems and resolved arguments never change; an edit makes a
    new Layer. The memo is keyed on the object's identity, not its value: Python finds 3 == 3.0 and
    1 == True, which the checks must tell apart. Rules only read the returned dictionary. Everything
    that depends on the incoming tensor (shapes, counts, fields, diagnostics) is recomputed every time.
    """
    key = (id(layer), ndim)
    found = _argument_memo.get(key)
    if found is not None and found[0] is layer:
        return found[1]
    prepared = tuple(check_arguments(layer_type, layer, ndim)), resolved_arguments(layer_type, layer)
    if len(_argument_memo) >= ARGUMENT_MEMO_SIZE:
        _argument_memo.clear()
    _argument_memo[key] = (layer, prepared)
    return prepared


def _refused(index: int, layer: Layer, shape: tuple[int, ...], problems: list[Refusal] | tuple[Refusal, ...]
             ) -> LayerResult:
    return LayerResult(index, layer, shape, diagnostics=tuple(_error(layer, p) for p in problems))


def _error(layer: Layer, refusal: Refusal) -> Diagnostic:
    return Diagnostic(ERROR, layer.name, refusal.rule, refusal.message, refusal.suggestion, refusal.axis,
                      refusal.argument)


def analyze(design: Design, previous: Analysis | None = None) -> Analysis:
    """Evaluate every layer of a design in order.

    ``previous``, the analysis of an earlier version of the design (the editor passes the one before an
    edit), lets the unchanged leading layers keep their results: a layer's result depends only on the input
    and the layers up to it, so with the same input and the very same Layer objects it cannot differ.
    """
    input_problems = check_input(design)
    results: list[LayerResult] = list(previous.layers[:_reusable_prefix(design, previous)]) if previous else []
    failed = bool(input_problems)
    shape: tuple[int, ...] | None = None if failed else design.input.shape
    maps: tuple[FieldMap, ...] | None = None if failed else (FieldMap.identity(),) * design.input.ndim
    seen: dict[str, int] = {}
    for result in results:
        seen.setdefault(result.layer.name, result.index)
    if results:
        shape, maps = results[-1].output_shape, results[-1].field_maps
        failed = failed or shape is None
    for index in range(len(results), len(design.layers)):
        layer = design.layers[index]
        if failed or shape is None:
            results.append(LayerResult(index, layer))
            continue
        result = _evaluate_layer(index, layer, shape, maps, seen, results)
        seen.setdefault(layer.name, index)
        results.append(result)
        if result.output_shape is None:
            failed = True
            continue
        shape = result.output_shape
        maps = result.field_maps
    if failed and any(d.rule == "join-size" for r in results for d in r.diagnostics):
        results = _with_input_size_hint(design, results)
    return Analysis(design, tuple(results), tuple(input_problems))


def _reusable_prefix(design: Design, previous: Analysis) -> int:
    """How many leading results of ``previous`` stand unchanged for ``design``: the same input and the same
    Layer objects (identity, not equality: 3 and 3.0 are equal but not the same argument). None when the
    previous analysis carries a join-size hint, which depends on the whole design."""
    if previous.design.input != design.input or any(
            d.rule == "join-size" for r in previous.layers for d in r.diagnostics):
        return 0
    count = 0
    for new, old in zip(design.layers, previous.design.layers):
        if new is not old:
            break
        count += 1
    return count


#: The largest design whose join-size errors get the nearest working input sizes (a scan of the design
#: over a range of input sizes: about 257 walks of its shapes).
HINT_MAX_LAYERS = 300


def _with_input_size_hint(design: Design, results: list[LayerResult]) -> list[LayerResult]:
    """A skip connection whose sizes differ usually means an input size the down-sampling does not divide
    (the U-Net case): name the nearest input sizes that work in the join error's suggestion. Only computed
    when that error is present (it walks the design's shapes for a range of input sizes)."""
    from .tools.sizes import input_size_suggestion  # the tool builds on this module

    if len(design.layers) > HINT_MAX_LAYERS:
        return results  # the scan over ~257 input sizes would hold up every edit of a huge design
    hint = input_size_suggestion(design)
    if hint is None:
        return results
    return [
        replace(r, diagnostics=tuple(
            replace(d, suggestion=f"{hint}; or {d.suggestion}" if d.suggestion else hint)
            if d.rule == "join-size" else d for d in r.diagnostics))
        if any(d.rule == "join-size" for d in r.diagnostics) else r
        for r in results
    ]


def _evaluate_layer(
    index: int, layer: Layer, shape: tuple[int, ...], maps: tuple[FieldMap, ...] | None,
    seen: dict[str, int], results: list[LayerResult],
) -> LayerResult:
    if layer.name in seen:
        return _refused(index, layer, shape, [Refusal(
            "name", f"the name '{layer.name}' is already used by layer {seen[layer.name] + 1}",
            "give every layer its own name")])
    layer_type = CATALOG.get(layer.type)
    if layer_type is None:
        guess = did_you_mean(layer.type, list(CATALOG))
        return _refused(index, layer, shape, [Refusal(
            "type", f"unknown layer type {quoted(layer.type)}", f"did you mean '{guess}'?" if guess else None)])
    ndim = layer_type.ndim or max(1, len(shape) - 1)
    problems, args = prepared_arguments(layer_type, layer, ndim)
    if problems:
        return _refused(index, layer, shape, problems)
    joined_index = joined_shape = None
    if "from" in args:
        source = args["from"]
        joined_index = seen.get(source)
        if joined_index is None:
            earlier = list(seen)
            guess = did_you_mean(source, earlier) if earlier else None
            return _refused(index, layer, shape, [Refusal(
                "from", f"there is no earlier layer named '{source}' to join",
                f"did you mean '{guess}'?" if guess else "name a layer above this one", argument="from")])
        joined_shape = results[joined_index].output_shape
    ctx = LayerContext(layer, args, shape, results[joined_index].name if joined_index is not None else None,
                       joined_shape)
    try:
        evaluation = layer_type.rule(ctx)
        check_tensor_size(evaluation.output_shape, "output")
    except Refusal as refusal:
        return _refused(index, layer, shape, (refusal,))
    new_maps, field_notes = _next_field(layer, evaluation, maps,
                                        results[joined_index].field_maps if joined_index is not None else None)
    diagnostics: tuple[Diagnostic, ...] = ()
    if evaluation.notes or field_notes:
        diagnostics = tuple([Diagnostic(WARNING, layer.name, n.rule, n.message, n.suggestion, n.axis)
                             for n in evaluation.notes] + field_notes)
    return LayerResult(
        index, layer, shape, evaluation.output_shape, evaluation.params, evaluation.macs,
        evaluation.geometry, diagnostics, evaluation.sources, new_maps, joined_index,
    )


def _next_field(
    layer: Layer, evaluation: Evaluation, maps: tuple[FieldMap, ...] | None,
    joined: tuple[FieldMap, ...] | None,
) -> tuple[tuple[FieldMap, ...] | None, list[Diagnostic]]:
    notes: list[Diagnostic] = []
    sources = evaluation.sources
    if maps is None or sources is None:
        return None, notes
    if sources == IDENTITY:
        new = maps
    else:
        if len(sources) == 2 and maps[0] is maps[1] and sources[0] is sources[1]:  # type: ignore[index]
            shared_map = compose(maps[0], sources[0])  # type: ignore[index,arg-type]
            composed = (shared_map, shared_map)
        else:
            composed = _compose_axes(maps, sources)  # type: ignore[arg-type]
        if None in composed:
            notes.append(Diagnostic(WARNING, layer.name, "field-period",
                                    "the receptive field is not tracked past this layer: its up-sampling "
                                    "pattern repeats too rarely to compute exactly"))
            return None, notes
        new = composed  # type: ignore[assignment]
    if joined is None:
        return new, notes
    if len(joined) != len(new):
        return None, notes
    merged = []
    for axis, (a, b) in enumerate(zip(new, joined)):
        m = merge(a, b)
        name = axis_name(axis, len(new))
        if m is None:
            notes.append(Diagnostic(WARNING, layer.name, "field-misaligned",
                                    f"the joined fields step differently on axis {name} (jumps {a.jump} and "
                                    f"{b.jump}): the larger field is kept", axis=axis))
            m = a if a.size >= b.size else b
        elif a.start != b.start:
            notes.append(Diagnostic(WARNING, layer.name, "field-misaligned",
                                    f"the joined fields are centred differently on axis {name} "
                                    f"({_num(a.start)} and {_num(b.start)})", axis=axis))
        merged.append(m)
    return tuple(merged), notes


def _compose_axes(maps: tuple[FieldMap, ...], sources: tuple[AxisSources, ...]) -> tuple[FieldMap | None, ...]:
    """Each axis's field map through the layer; an axis with the same map and the same sources as the
    one before it (a square kernel on a square field) shares its result instead of recomputing it."""
    composed: list[FieldMap | None] = []
    previous: tuple[FieldMap, AxisSources] | None = None
    for field_map, source in zip(maps, sources):
        if previous is not None and field_map is previous[0] and source is previous[1]:
            composed.append(composed[-1])
        else:
            composed.append(compose(field_map, source))
        previous = (field_map, source)
    return tuple(composed)


def _num(value: Fraction | None) -> str:
    if value is None:
        return "none"
    return str(value.numerator) if value.denominator == 1 else str(float(value))
