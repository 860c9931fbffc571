"""Analyse a design: every layer's shapes, counts, receptive field and diagnostics, in one pass.

The design is a graph written in computation order (see `graph`): each layer is evaluated on the outputs of
the layers it reads. Diagnostics, never exceptions: whatever a user typed, `analyze` returns an `Analysis`.
An error names the layer and the rule it breaks; every layer that reads a failed layer, directly or through
others, is marked as not computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cached_property
from math import prod

from .arguments import quoted
from .checks import ERROR, INFO, WARNING, Diagnostic, check_input, check_tensor_size, prepared_arguments
from .collector import collector_paused
from .design import NETWORK_INPUT, Design, Layer, axis_name
from .evaluation import IDENTITY, AxisGeometry, Evaluation, LayerContext, Reference, Refusal
from .graph import INPUT_INDEX, add_prefixes, name_problem, operand_indices, reference_arguments, reference_indices
from .layers import CATALOG, did_you_mean
from .layers.common import LayerType
from .memo import Memo
from .memo import fit as fit_memos
from .receptive_field import AxisSources, FieldMap, Runs, coalesce, compose, dependency_runs, hull, merge

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is for type checkers: importing it costs every command ~2 ms
    from typing import Any


@dataclass(frozen=True, init=False)
class ReceptiveField:
    """A layer output's receptive field on the network input, per spatial axis (see receptive_field)."""

    size: tuple[int, ...]
    jump: tuple[Fraction, ...]
    start: tuple[Fraction | None, ...]
    #: Per axis, whether every output unit depends on the whole network input along it (after global pooling,
    #: or a field wider than the input on both sides): the field is then the whole input, whatever its size.
    whole: tuple[bool, ...] = ()

    def __init__(self, size: tuple[int, ...], jump: tuple[Fraction, ...], start: tuple[Fraction | None, ...],
                 whole: tuple[bool, ...] = ()) -> None:
        # frozen, filled through __dict__ (one per layer whose field is asked: see AxisGeometry)
        self.__dict__.update(size=size, jump=jump, start=start, whole=whole)


class _ResultSlots:
    """The storage of a `LayerResult`: one small object per layer, no attribute dictionary (an analysis makes
    one per layer, so fewer and smaller objects keep the time per layer flat as designs grow). Filled by
    plain assignment, then frozen by becoming a LayerResult (`_made`). Private slots: ``_own`` the
    diagnostics of the layer's rule, ``_tail`` those found after the walk (unread), ``_field`` the field
    (`Field`: maps, whole input, its warnings, the ReceptiveField) once known, else the walk that finds it
    (`_FieldWalk`), else None."""

    __slots__ = ("index", "layer", "input_shape", "output_shape", "params", "macs", "geometry", "sources",
                 "inputs", "references", "_own", "_tail", "_field", "__weakref__")


@dataclass(frozen=True, init=False)
class LayerResult(_ResultSlots):
    """Everything the engine knows about one layer of an analysed design.

    Its receptive field (``field_maps``, ``whole_input``, ``receptive_field``) and the warnings that come
    with it (in ``diagnostics``) are worked out when first asked, for this layer and the layers before it
    (see `_FieldWalk`): re-analysing after an edit, `Analysis.ok` or the shapes alone never compose them.
    ``inputs``: the indices of the tensors the layer reads, in order (graph.INPUT_INDEX: the network input);
    empty when its wiring could not be resolved. ``whole_input``: see ReceptiveField.whole. ``references``:
    each reference argument and the index of the layer it names (graph.reference_indices).
    """

    __slots__ = ()  # the fields are _ResultSlots' slots (no defaults here: they would hide the slots)

    index: int
    layer: Layer
    input_shape: tuple[int, ...] | None
    output_shape: tuple[int, ...] | None
    params: int | None
    macs: int | None
    geometry: tuple[AxisGeometry, ...] | None
    sources: tuple[AxisSources, ...] | str | None
    inputs: tuple[int, ...]
    references: tuple[tuple[str, int], ...]

    def __init__(
        self, index: int, layer: Layer, input_shape: tuple[int, ...] | None = None,
        output_shape: tuple[int, ...] | None = None, params: int | None = None, macs: int | None = None,
        geometry: tuple[AxisGeometry, ...] | None = None, diagnostics: tuple[Diagnostic, ...] = (),
        sources: tuple[AxisSources, ...] | str | None = None, field_maps: tuple[FieldMap, ...] | None = None,
        inputs: tuple[int, ...] = (), whole_input: tuple[bool, ...] = (),
        references: tuple[tuple[str, int], ...] = (),
    ) -> None:
        made = _made(index, layer, input_shape, output_shape, params, macs, geometry, sources, inputs,
                     diagnostics, references, _known(field_maps, whole_input, ()))
        self.__setstate__((None, {name: getattr(made, name) for name in _ResultSlots.__slots__[:-1]}))

    def __setstate__(self, state: tuple[None, dict[str, Any]]) -> None:
        """Fill the slots (copy and pickle restore a result through here: it is frozen)."""
        for name, value in state[1].items():
            object.__setattr__(self, name, value)

    def _known_field(self) -> Field:
        found = self._field
        if type(found) is _FieldWalk:
            found = found.field(self.index)
            object.__setattr__(self, "_field", found)
        return found

    @property
    def field_maps(self) -> tuple[FieldMap, ...] | None:
        """The exact field map of the output on the network input, per axis (see receptive_field.FieldMap);
        None when the layer was not computed, its output is no longer spatial, or the field is not tracked."""
        return self._known_field()[0]

    @property
    def whole_input(self) -> tuple[bool, ...]:
        """Per axis, whether every output unit reads the whole network input along it (ReceptiveField.whole)."""
        return self._known_field()[1]

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """The layer's errors, warnings and information: its rule's, its receptive field's, then whether it
        is read."""
        if self.output_shape is None:
            return self._own + self._tail
        return self._own + self._known_field()[2] + self._tail

    @property
    def receptive_field(self) -> ReceptiveField | None:
        """The output's receptive field on the network input, per axis; None when the layer was not
        computed or its output is no longer spatial (after Flatten or Linear). Derived from the exact
        field maps with them."""
        found = self._field
        return (found if type(found) is tuple else self._known_field())[3]

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
        """The layer's errors (a receptive field only ever warns: asking for errors does not compose it)."""
        own = self._own
        return tuple(d for d in own if d.severity == ERROR) if own else ()

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == WARNING)

    @property
    def infos(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == INFO)

    def _anew(self) -> LayerResult:
        """The same result for an analysis whose layers above may give it another receptive field: its field
        composed again when asked (a result not computed has none), the diagnostics found after the walk
        dropped."""
        return _made(self.index, self.layer, self.input_shape, self.output_shape, self.params, self.macs,
                     self.geometry, self.sources, self.inputs, self._own, self.references,
                     None if self.output_shape is not None else self._field)

    def _copy(self, own: tuple[Diagnostic, ...] | None = None, tail: tuple[Diagnostic, ...] = ()
              ) -> LayerResult:
        """The same result with other diagnostics of its rule (``own``, None: the same) or found after the
        walk (``tail``), sharing its field."""
        return _made(self.index, self.layer, self.input_shape, self.output_shape, self.params, self.macs,
                     self.geometry, self.sources, self.inputs, self._own if own is None else own,
                     self.references, self._field, tail)


def _made(index: int, layer: Layer, input_shape: tuple[int, ...] | None, output_shape: tuple[int, ...] | None,
          params: int | None, macs: int | None, geometry: tuple[AxisGeometry, ...] | None,
          sources: tuple[AxisSources, ...] | str | None, inputs: tuple[int, ...], own: tuple[Diagnostic, ...],
          references: tuple[tuple[str, int], ...], field: Field | _FieldWalk | None,
          tail: tuple[Diagnostic, ...] = ()) -> LayerResult:
    """A LayerResult, filled by plain assignment to its slots and then frozen (an analysis makes one per
    layer: the frozen class's checked assignment would cost more than the rest of a layer's work)."""
    result = _ResultSlots()
    result.index, result.layer, result.input_shape, result.output_shape = index, layer, input_shape, output_shape
    result.params, result.macs, result.geometry, result.sources = params, macs, geometry, sources
    result.inputs, result.references, result._own, result._tail = inputs, references, own, tail
    result._field = field
    result.__class__ = LayerResult
    return result  # type: ignore[return-value]


#: A layer's receptive field: its maps per axis (None: not tracked), whether each axis reads the whole input,
#: the warnings composing it gave, and the ReceptiveField the maps give (None without maps).
Field = tuple[tuple[FieldMap, ...] | None, tuple[bool, ...], tuple[Diagnostic, ...], ReceptiveField | None]
#: The field of a layer whose output is not spatial, or whose field is not tracked.
_UNTRACKED: Field = (None, (), (), None)


def _known(maps: tuple[FieldMap, ...] | None, whole: tuple[bool, ...], notes: tuple[Diagnostic, ...]) -> Field:
    """A Field, with the ReceptiveField its maps give (each map's size, jump and start are worked out once
    per map: `FieldMap.summary`)."""
    if maps is None:
        return (None, whole, notes, None)
    if len(maps) == 2 and maps[0] is maps[1]:  # a square field: one map for both axes
        size, jump, start = maps[0].summary()
        return (maps, whole, notes, ReceptiveField((size, size), (jump, jump), (start, start), whole))
    if not maps:
        return (maps, whole, notes, ReceptiveField((), (), (), whole))
    sizes, jumps, starts = zip(*[m.summary() for m in maps])
    return (maps, whole, notes, ReceptiveField(sizes, jumps, starts, whole))


class _FieldWalk:
    """The receptive fields of one analysis's layers, composed in computation order up to the layer first
    asked for (a layer's field is composed from its operands' and those of the layers whose values it reads,
    `Argument.values`). It keeps what it needs of each layer, not the results, which refer to it until they
    know their field: no reference cycle, so an analysis is freed as soon as it is dropped. A result shared with the analysis before an edit (see `_reusable`) that does not
    know its field yet is handed to the newer walk: the same operands give the same field."""

    def __init__(self, network_input: tuple[int, ...], input_field: Field, results: list[LayerResult]) -> None:
        self.network_input = network_input
        self.input_field = input_field
        self.fields: list[Field | None] = [None] * len(results)
        # per layer, in lists rather than a tuple each: nothing per layer for the cycle collector to follow
        self.inputs = [r.inputs for r in results]
        self.sources = [r.sources for r in results]
        self.shapes = [r.output_shape for r in results]
        self.layers = [r.layer for r in results]
        self.values: dict[int, tuple[int, ...]] = {}  # by layer: the layers whose values it reads, if any
        self.done = 0  # the layers before this one have their field
        fields = self.fields
        for index, result in enumerate(results):
            found = result._field
            if found is None or type(found) is _FieldWalk:
                object.__setattr__(result, "_field", self)
            else:
                fields[index] = found
            if result.references:
                self.values[index] = _value_references(result)

    def field(self, index: int) -> Field:
        """The field of layer ``index``, composing those up to it that are not known yet."""
        fields = self.fields
        found = fields[index]
        if found is None:  # then no layer from ``done`` on is known but those a previous analysis gave
            for j in range(self.done, index + 1):
                if fields[j] is None:
                    fields[j] = self._composed(j)
            self.done = index + 1
            found = fields[index]
        return found  # type: ignore[return-value]

    def _composed(self, j: int) -> Field:
        """Layer ``j``'s field from those of the layers it reads (known by now)."""
        fields, layers, inputs, sources = self.fields, self.layers, self.inputs[j], self.sources[j]
        if len(inputs) == 1 and j not in self.values:  # one operand
            read = inputs[0]
            operand: Field = self.input_field if read == INPUT_INDEX else fields[read]  # type: ignore[assignment]
            maps = operand[0]
            if maps is None or sources is None:
                return _UNTRACKED
            if sources == IDENTITY:
                if read != INPUT_INDEX and self.shapes[j][1:] == self.shapes[read][1:]:  # type: ignore[index]
                    # unit by unit on a layer's output of the same size: its field (not its warnings)
                    return operand if not operand[2] else (maps, operand[1], (), operand[3])
            else:
                key = (maps, sources, self.shapes[j][1:], self.network_input)  # type: ignore[index]
                found = _fields.get(key)
                if found is not None:
                    return found
                composed = _through(maps, sources)  # type: ignore[arg-type]
                if _tracked(composed):
                    found = _known(composed, _whole_input(composed, self.shapes[j], self.network_input),  # type: ignore
                                   ())
                    _fields.put(key, found)
                    return found
        operands = [self.input_field if i == INPUT_INDEX else fields[i] for i in inputs]
        names = [NETWORK_INPUT if i == INPUT_INDEX else layers[i].name for i in inputs]
        value_maps = [(self.input_field[0], NETWORK_INPUT) if i == INPUT_INDEX else
                      (fields[i][0], layers[i].name) for i in self.values.get(j, ())]  # type: ignore[index]
        found, notes = _next_field(layers[j], sources, [o[0] for o in operands], names, value_maps)  # type: ignore
        if found is None:
            return (None, (), tuple(notes), None)
        return _known(found, _whole_input(found, self.shapes[j], self.network_input), tuple(notes))  # type: ignore


#: The field of a layer that reads one layer through its sources (a window, a scatter, a resampling: most
#: layers but joins), by what it depends on, by value: the operand's field maps, the sources, the layer's spatial
#: output size (and the network input's: whether the field is the whole input). An edit that leaves the
#: geometry above a layer as it was (channels, counts, a value set back or undone) finds its field, and the
#: fields below it, instead of composing them again.
_fields = Memo()


@dataclass(frozen=True)
class Analysis:
    """The analysed design."""

    design: Design
    layers: tuple[LayerResult, ...]
    input_diagnostics: tuple[Diagnostic, ...] = ()

    # What is derived from every layer is worked out once per analysis (it is immutable), when first asked:
    # the views ask for the errors and totals several times per edit, the warnings only on demand (they
    # compose every receptive field).

    @property
    def ok(self) -> bool:
        return not self.errors

    @cached_property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Every error, in order (without composing a receptive field: fields only warn)."""
        return tuple(d for d in self.input_diagnostics if d.severity == ERROR) + tuple(
            d for r in self.layers if r._own for d in r.errors)

    @cached_property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == WARNING)

    @cached_property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.input_diagnostics + tuple(d for r in self.layers for d in r.diagnostics)

    @property
    def output_shape(self) -> tuple[int, ...] | None:
        """The first output's shape; None when it is not computed (it reads a layer with an error: an error on
        a branch it does not read leaves it computed)."""
        outputs = self.outputs
        return outputs[0][1] if outputs else self.design.input.shape

    @property
    def outputs(self) -> tuple[tuple[str, tuple[int, ...] | None], ...]:
        """Each of the design's outputs, in order, with its shape (None when it was not computed)."""
        found = []
        for name in self.design.output_names:
            try:
                found.append((name, self.result(name).output_shape))
            except KeyError:
                found.append((name, None))
        return tuple(found)

    @cached_property
    def total_params(self) -> int:
        return sum(r.params or 0 for r in self.layers)

    @cached_property
    def total_macs(self) -> int:
        return sum(r.macs or 0 for r in self.layers)

    @cached_property
    def total_activations(self) -> int:
        return sum(r.activations or 0 for r in self.layers)

    def result(self, name: str) -> LayerResult:
        index = self.__dict__.get("_by_name")
        if index is None:
            index = {}
            for r in self.layers:
                index.setdefault(r.name, r)
            object.__setattr__(self, "_by_name", index)
        return index[name]

    def dependencies(self, index: int, position: tuple[int, ...]) -> tuple[Runs, ...] | None:
        """The exact network-input positions that output ``position`` of layer ``index`` depends on, per
        axis, as sorted disjoint runs: the borders included, zero padding excluded, and a padded cell that
        copies an input unit (reflect, replicate, circular) counted as that unit, so a circular border gives
        a wrapped set such as [(0, 1), (7, 7)]. Every axis is empty when the unit reads no input at all.
        None when the layer's field is not spatial (after Flatten or Linear) or it was not computed.

        Each layer reads per axis, so what a layer needs of its operand is a box (one set of runs per axis)
        for each box it must provide; a join hands its boxes to every operand, and boxes reaching a layer
        along different paths are kept apart (a box that another contains, or that differs from it on one
        axis only, merges with it exactly), so that a later layer reading only zero padding for one of them
        on some axis drops that box on every axis. The result is each axis's projection of the boxes reaching
        the input: exact, unless more than BOX_LIMIT separate boxes meet at one layer (then they are joined
        into one, which can only add positions)."""
        target = self.layers[index]
        if not target.computed or (target.field_maps is None and not self._spatial(index)):
            return None
        ndim = len(target.output_shape) - 1  # type: ignore[arg-type]
        needed: dict[int, list[Box]] = {index: [tuple([(p, p)] for p in position)]}
        for j in range(index, -1, -1):  # operands always come before their readers
            boxes = needed.pop(j, None)
            if boxes is None:
                continue
            r = self.layers[j]
            assert r.input_shape is not None
            value_references = _value_references(r)
            for box in boxes:
                if r.sources == IDENTITY or r.sources is None:
                    for source in r.inputs:  # a join reads the same positions of every operand
                        _add_box(needed, source, box)
                else:
                    read = tuple(dependency_runs(src, axis_runs, size)
                                 for src, axis_runs, size in zip(r.sources, box, r.input_shape[1:]))
                    for source in (r.inputs[0], *value_references):  # MaxUnpool: its pool's indices there too
                        _add_box(needed, source, read)
        boxes = needed.get(INPUT_INDEX, [])
        return tuple(coalesce([run for box in boxes for run in box[axis]]) for axis in range(ndim))

    def _spatial(self, index: int) -> bool:
        """Whether layer ``index``'s output units still lie along the input's axes: no layer it reads, directly
        or through others, ends the spatial layout (Flatten, Linear: no sources). Its field map answers that
        too, except where the engine stopped tracking the field (field-period), which does not end it."""
        pending, seen = [index], {index}
        while pending:
            r = self.layers[pending.pop()]
            if r.sources is None:
                return False
            for source in (*r.inputs, *_value_references(r)):
                if source != INPUT_INDEX and source not in seen:
                    seen.add(source)
                    pending.append(source)
        return True

    def dependency_interval(self, index: int, position: tuple[int, ...]) -> tuple[tuple[int, int], ...] | None:
        """The hull of `dependencies` per axis: the interval from the first to the last input position
        the unit depends on (with a circular border, it spans the wrapped units too). None also when the
        unit reads no input at all."""
        found = self.dependencies(index, position)
        hulls = tuple(hull(axis_runs) for axis_runs in found or ())
        return None if not hulls or None in hulls else hulls  # type: ignore[return-value]


def _value_references(r: LayerResult) -> tuple[int, ...]:
    """The layers whose values ``r`` reads at the positions it reads its input (`Argument.values`)."""
    if not r.references:
        return ()
    layer_type = CATALOG[r.type]
    return tuple(index for argument, index in r.references if layer_type.argument(argument).values)


Box = tuple[Runs, ...]  # positions of a layer's output: the product of one set of runs per axis
#: The separate boxes a dependency walk keeps at one layer before joining them into one (see
#: `Analysis.dependencies`); real designs need one or two (a residual block's boxes nest).
BOX_LIMIT = 64


def _add_box(needed: dict[int, list[Box]], key: int, box: Box) -> None:
    """Add a box of positions that layer ``key`` must provide to what it must provide already: nothing when
    the box is empty on some axis; merged with a box that contains it, that it contains, or that differs
    from it on one axis only (each exact); otherwise kept apart."""
    if any(not axis_runs for axis_runs in box):
        return
    boxes = needed.setdefault(key, [])
    for n, other in enumerate(boxes):
        differing = [axis for axis, (mine, theirs) in enumerate(zip(box, other)) if mine != theirs]
        if all(_covers(other[axis], box[axis]) for axis in differing):
            return
        if len(differing) == 1 or all(_covers(box[axis], other[axis]) for axis in differing):
            boxes[n] = tuple(coalesce(mine + theirs) if axis in differing else mine
                             for axis, (mine, theirs) in enumerate(zip(box, other)))
            return
    boxes.append(box)
    if len(boxes) > BOX_LIMIT:
        needed[key] = [tuple(coalesce([run for b in boxes for run in b[axis]]) for axis in range(len(box)))]


def _covers(big: Runs, small: Runs) -> bool:
    """Whether every position of the sorted runs ``small`` lies in the sorted runs ``big``."""
    n = 0
    for lo, hi in small:
        while n < len(big) and big[n][1] < lo:
            n += 1
        if n == len(big) or big[n][0] > lo or big[n][1] < hi:
            return False
    return True


def _error(layer: Layer, refusal: Refusal) -> Diagnostic:
    return Diagnostic(ERROR, layer.name, refusal.rule, refusal.message, refusal.suggestion, refusal.axis,
                      refusal.argument)


def analyze(design: Design, previous: Analysis | None = None) -> Analysis:
    """Evaluate every layer of a design in computation order.

    ``previous``, the analysis of an earlier version of the design (the editor passes the one before an
    edit), lets the unchanged leading layers keep their results: a layer's result depends only on the input
    and the layers up to it, so with the same input and the very same Layer objects it cannot differ. The
    unchanged layers below an edit keep theirs too from where the shapes they read are those of before (an
    edit of channels, say, changes the shapes down to the next convolution only).
    Receptive fields are composed when first asked (see `LayerResult`). The cycle collector is paused over
    the walk (`collector`): it makes no reference cycle (the sizes scan behind a join-size hint, on designs of
    at most HINT_MAX_LAYERS layers, may leave a few for the first collection after it).
    """
    with collector_paused():
        return _analyze(design, previous)


def _analyze(design: Design, previous: Analysis | None) -> Analysis:
    fit_memos(len(design.layers))
    input_problems = check_input(design)
    comparable = previous is not None and _comparable(design, previous)
    results: list[LayerResult] = _reusable(design, previous) if comparable else []  # type: ignore[arg-type]
    changed = len(results)  # the first layer that is not the very one it was
    standing = _standing_from(design, previous, changed) if comparable else len(design.layers)  # type: ignore
    input_result = None if input_problems else LayerResult(
        INPUT_INDEX, Layer("Input", NETWORK_INPUT), design.input.shape, design.input.shape,
        field_maps=(FieldMap.identity(),) * design.input.ndim)
    seen: dict[str, int] = {}
    for result in results:
        seen.setdefault(result.layer.name, result.index)
    # A layer's name is checked against the names above it: one named, with every layer above it, as in the
    # previous analysis, where its name passed (it was computed), passes again unchecked.
    passed = _names_passed(design, previous) if previous else ()
    prefixes: set[str] = set()  # the blocks of the dotted names above, filled when a name is checked
    prefixed = 0
    # Below the edited layers (from ``standing`` on) the layers are those of before: once every result that
    # differs from before (the edited layers', and those that read a different shape) is read by no layer
    # further down, the results of before stand for the rest (the shapes reconverge, after a change of channels
    # say); their receptive fields are composed again, from the fields above.
    before = previous.layers if previous is not None else ()
    differing: list[int] = []
    readers: list[int] | None = None  # per layer of before, the last layer that reads it (worked out when needed)
    reach = -1  # the last layer that reads a differing result (once the readers are known)
    for index in range(len(results), len(design.layers)):
        if index > standing and differing[-1] != index - 1:  # the layer above reads as before: look further
            if readers is None:
                readers = _last_readers(previous)  # type: ignore[arg-type]
                reach = max(readers[i] for i in differing)
            if reach < index:
                results += [r._anew() for r in before[index:]]
                for below in range(index, len(design.layers)):
                    seen.setdefault(design.layers[below].name, below)
                break
        layer = design.layers[index]
        if index >= standing and before[index].output_shape is not None:  # the same layer, named and wired
            results.append(_evaluate_layer(index, layer, input_result, seen, None, results,  # as before
                                           (before[index].inputs, before[index].references)))
        elif index < len(passed) and passed[index]:
            results.append(_evaluate_layer(index, layer, input_result, seen, None, results))
        else:
            for above in design.layers[prefixed:index]:
                add_prefixes(above.name, prefixes)
            prefixed = index
            results.append(_evaluate_layer(index, layer, input_result, seen, prefixes, results))
        seen.setdefault(layer.name, index)
        if index < standing:
            differing.append(index)
        else:  # the same layer as before: do the layers that read it read another result than before?
            new, old = results[index], before[index]
            if new.output_shape != old.output_shape or new.input_shape != old.input_shape:  # all they read of it
                differing.append(index)
                if readers is not None and readers[index] > reach:
                    reach = readers[index]
    results = _with_unread_warnings(design, results)
    if any(d.rule == "join-size" for r in results if r._own for d in r.errors):
        results = _with_input_size_hint(design, results)
    if input_result is not None:
        _FieldWalk(design.input.shape, input_result._field, results)
    return Analysis(design, tuple(results), tuple(input_problems) + _output_problems(design, seen))


def _names_passed(design: Design, previous: Analysis) -> list[bool]:
    """Per leading layer named, with every layer above it, as in ``previous``: whether its name passed the
    check there (it was computed; a layer that failed, or read a failed layer, is checked again)."""
    passed = []
    for layer, result in zip(design.layers, previous.layers):
        if layer.name != result.layer.name:
            break
        passed.append(result.output_shape is not None)
    return passed


def _comparable(design: Design, previous: Analysis) -> bool:
    """Whether results of ``previous`` may stand for ``design``: the same input, and no join-size hint in
    ``previous`` (it depends on the whole design)."""
    return previous.design.input == design.input and not any(
        d.rule == "join-size" for r in previous.layers for d in r.errors)


def _reusable(design: Design, previous: Analysis) -> list[LayerResult]:
    """The leading results of ``previous`` that stand unchanged for ``design``: the same Layer objects
    (identity, not equality: 3 and 3.0 are equal but not the same argument). The unread-layer warnings depend
    on the layers below, so they are dropped and found again."""
    kept = []
    for new, result in zip(design.layers, previous.layers):
        if new is not result.layer:
            break
        kept.append(result._copy() if result._tail else result)
    return kept


def _standing_from(design: Design, previous: Analysis, changed: int) -> int:
    """The position from which every layer is the very Layer object it was in ``previous``, when the layers
    above it from ``changed`` on keep their names (later layers find the same layers by name); else, or when
    layers were added or removed, the design's length."""
    layers, before = design.layers, previous.layers
    if len(layers) != len(before):
        return len(layers)
    position = len(layers)
    for new, old in zip(reversed(layers[changed:]), reversed(before[changed:])):
        if new is not old.layer:
            break
        position -= 1
    if any(layers[i].name != before[i].layer.name for i in range(changed, position)):
        return len(layers)
    return position


def _last_readers(analysis: Analysis) -> list[int]:
    """Per layer, the position of the last layer that reads it, as an operand or by a reference argument (-1:
    none)."""
    last = [-1] * len(analysis.layers)
    for r in analysis.layers:
        for read in r.inputs:
            if read != INPUT_INDEX:
                last[read] = r.index
        for _, named in r.references:
            last[named] = r.index
    return last


UNREAD = "unread"


def _with_unread_warnings(design: Design, results: list[LayerResult]) -> list[LayerResult]:
    """Warn about each computed layer whose result nobody reads and that is not one of the design's outputs:
    its work is thrown away (usually a wiring mistake)."""
    outputs = set(design.output_names)
    # per layer, whether a layer reads it (the last entry stands for the network input, INPUT_INDEX = -1): a
    # flag per layer rather than a set of indices, so that what this touches per layer stays small
    read = bytearray(len(results) + 1)
    index_of: dict[str, int] = {}  # filled only for a layer whose wiring could not be resolved
    for r in results:
        sources = r.inputs
        if not sources:
            if not index_of:
                for other in results:
                    index_of.setdefault(other.name, other.index)
            sources = _named(r, index_of)
        for source in sources:
            read[source] = 1
        for _, index in r.references:  # a named layer is read too
            read[index] = 1
    for index, result in enumerate(results):
        if read[index] or result.name in outputs or not result.computed:
            continue
        results[index] = result._copy(tail=(Diagnostic(
            WARNING, result.name, UNREAD, "no layer reads this layer's result and it is not an output",
            "read it from a later layer, list it in the design's outputs, or delete it"),))
    return results


def _named(result: LayerResult, index_of: dict[str, int]) -> tuple[int, ...]:
    """What a layer whose wiring could not be resolved (a `from` or a reference naming an unknown layer) reads,
    as far as it is known: the layers it names and, where it reads it, the layer above. They count as read,
    so that only the unknown name is reported."""
    layer = result.layer
    layer_type = CATALOG.get(layer.type)
    reads_above = not layer.inputs or (len(layer.inputs) == 1 and layer_type is not None and layer_type.join)
    names = (*layer.inputs, *(name for _, name in reference_arguments(layer)))
    return ((result.index - 1,) if reads_above and result.index > 0 else ()) + tuple(
        index_of[n] for n in names if n in index_of and n != layer.name)


def _output_problems(design: Design, seen: dict[str, int]) -> tuple[Diagnostic, ...]:
    problems = []
    for name in dict.fromkeys(design.outputs):
        if name not in seen:
            guess = did_you_mean(name, list(seen)) if seen else None
            shown = name if len(name) <= 40 else name[:40] + "…"
            problems.append(Diagnostic(ERROR, None, "outputs", f"there is no layer named '{shown}' to output",
                                       f"did you mean '{guess}'?" if guess else "name a layer of the design"))
    if len(set(design.outputs)) != len(design.outputs):
        problems.append(Diagnostic(ERROR, None, "outputs", "a layer is listed twice among the outputs",
                                   "list each output once"))
    return tuple(problems)


#: The largest design whose join-size errors get the nearest working input sizes (a scan of the design
#: over a range of input sizes: about 257 walks of its shapes).
HINT_MAX_LAYERS = 300


def _with_input_size_hint(design: Design, results: list[LayerResult]) -> list[LayerResult]:
    """A skip connection whose sizes differ usually means an input size the down-sampling does not divide
    (the U-Net case): name the nearest input sizes that work in the join error's suggestion. Only computed
    when that error is present (it walks the design's shapes for a range of input sizes)."""
    if len(design.layers) > HINT_MAX_LAYERS:
        return results  # the scan over ~257 input sizes would hold up every edit of a huge design
    from .tools.sizes import input_size_suggestion  # the scan's module is loaded when a join needs it

    hint = input_size_suggestion(design)
    if hint is None:
        return results
    return [
        r._copy(own=tuple(
            replace(d, suggestion=f"{hint}; or {d.suggestion}" if d.suggestion else hint)
            if d.rule == "join-size" else d for d in r._own), tail=r._tail)
        if any(d.rule == "join-size" for d in r.errors) else r
        for r in results
    ]


#: Each (layer value, rank, incoming shape) the rules evaluated: the Evaluation, or the Refusals (the argument
#: problems, or the one the rule raised). A join's entry also names the layer, its wiring and its operands; the
#: entry of a layer that names others also holds what it sees of them (`_reference_key`).
_evaluations = Memo()


def _evaluated(layer_type: LayerType, layer: Layer, ndim: int, shape: tuple[int, ...],
               joined: tuple[tuple[str, tuple[int, ...]], ...], references: dict[str, Reference]
               ) -> Evaluation | tuple[Refusal, ...]:
    """What the layer's rule gives on an incoming tensor of that shape: it depends on nothing else (a join's
    also on its name, wiring and operands, a layer's that names others also on those layers), so an equal
    layer on an equal shape is evaluated once."""
    key: Any = layer.rule_key
    if key is not None:
        key = (key, ndim, shape, layer.name, layer.inputs, joined) if layer_type.join else (key, ndim, shape)
        if references:
            named = _reference_key(references)
            key = None if named is None else (key, named)
    if key is not None:
        found = _evaluations.get(key)
        if found is not None:
            return found
    problems, args = prepared_arguments(layer_type, layer, ndim)
    outcome: Evaluation | tuple[Refusal, ...] = problems
    if not problems:
        try:
            outcome = layer_type.rule(LayerContext(layer, args, shape, joined, references))
            check_tensor_size(outcome.output_shape, "output")
        except Refusal as refusal:
            outcome = (refusal.with_traceback(None),)
    if key is not None:
        _evaluations.put(key, outcome)
    return outcome


def _reference_key(references: dict[str, Reference]) -> tuple[Any, ...] | None:
    """What a rule may read of the layers a layer names beyond their names (which are the layer's own
    arguments), by value: per argument the named layer's rule key (MaxUnpool reads its pool's type and
    arguments), the shape it reads and the shape it makes. None when a named layer's arguments cannot be a key."""
    found = []
    for argument, reference in references.items():
        rule_key = None if reference.layer is None else reference.layer.rule_key
        if reference.layer is not None and rule_key is None:
            return None
        found.append((argument, rule_key, reference.input_shape, reference.output_shape))
    return tuple(found)


def _evaluate_layer(
    index: int, layer: Layer, input_result: LayerResult | None, seen: dict[str, int], prefixes: set[str] | None,
    results: list[LayerResult], wiring: tuple[tuple[int, ...], tuple[tuple[str, int], ...]] | None = None,
) -> LayerResult:
    """Layer ``index``'s result on the results above it. ``prefixes`` None: its name is known to pass;
    ``wiring``: its operands and named layers, known (as resolved before an edit that kept every name)."""
    layer_type = CATALOG.get(layer.type)
    if wiring is not None:
        inputs, references = wiring
    else:
        try:
            inputs = operand_indices(layer, index, layer_type is not None and layer_type.join, seen)
            references = reference_indices(layer, seen) if layer_type is not None and layer_type.layer_arguments \
                else ()
        except Refusal as refusal:
            return LayerResult(index, layer, diagnostics=(_error(layer, refusal),))
    operands = [input_result if i == INPUT_INDEX else results[i] for i in inputs]
    for operand in operands:
        if operand is None or operand.output_shape is None:
            return LayerResult(index, layer, inputs=inputs, references=references)  # it reads a layer that failed
    named: dict[str, Reference] = {}
    if references:
        for argument, i in references:
            r = input_result if i == INPUT_INDEX else results[i]
            if r is None or r.output_shape is None:
                return LayerResult(index, layer, inputs=inputs, references=references)  # it names a failed layer
            named[argument] = Reference(r.name, r.layer if i != INPUT_INDEX else None,
                                        r.input_shape, r.output_shape)  # type: ignore[arg-type]
    shape: tuple[int, ...] = operands[0].output_shape  # type: ignore[union-attr,assignment]
    problem = None if prefixes is None else _name_refusal(layer.name, seen, prefixes)  # None: known to pass
    if problem is None and layer_type is None:
        guess = did_you_mean(layer.type, list(CATALOG))
        problem = Refusal("type", f"unknown layer type {quoted(layer.type)}",
                          f"did you mean '{guess}'?" if guess else None)
    if problem is not None:
        return LayerResult(index, layer, shape, diagnostics=(_error(layer, problem),), inputs=inputs,
                           references=references)
    assert layer_type is not None
    joined = tuple((r.name, r.output_shape) for r in operands) if layer_type.join else ()  # type: ignore[union-attr]
    evaluation = _evaluated(layer_type, layer, layer_type.ndim or max(1, len(shape) - 1), shape, joined, named)
    if type(evaluation) is tuple:
        return LayerResult(index, layer, shape, diagnostics=tuple(_error(layer, p) for p in evaluation),
                           inputs=inputs, references=references)
    assert isinstance(evaluation, Evaluation)
    notes = tuple([Diagnostic(WARNING, layer.name, n.rule, n.message, n.suggestion, n.axis)
                   for n in evaluation.notes]) if evaluation.notes else ()
    # A computed layer's field is composed when asked: its ``_field`` is set to the analysis's _FieldWalk.
    return _made(index, layer, shape, evaluation.output_shape, evaluation.params, evaluation.macs,
                 evaluation.geometry, evaluation.sources, inputs, notes, references, None)


def _whole_input(maps: tuple[FieldMap, ...], output_shape: tuple[int, ...], network_input: tuple[int, ...]
                 ) -> tuple[bool, ...]:
    """`ReceptiveField.whole`: the field maps are periodic and move with the unit, so the first and the last
    output unit decide whether every unit reads the whole input along an axis."""
    if len(maps) == 2 and maps[0] is maps[1] and output_shape[1] == output_shape[2] and \
            network_input[1] == network_input[2]:  # a square field on a square input: one answer for both axes
        both = _reads_whole(maps[0], output_shape[1], network_input[1])
        return (both, both)
    return tuple([_reads_whole(field_map, outputs, inputs)
                  for field_map, outputs, inputs in zip(maps, output_shape[1:], network_input[1:])])


def _reads_whole(field_map: FieldMap, outputs: int, inputs: int) -> bool:
    """Whether each of ``outputs`` units with this field map reads the whole input of ``inputs`` units."""
    if field_map.period == 1:  # the first and the last unit's bounds, written out
        low, high = field_map.low[0], field_map.high[0]
        return low is not None and low + field_map.shift * (outputs - 1) <= 0 and high >= inputs - 1  # type: ignore
    first, last = field_map.bounds(0), field_map.bounds(outputs - 1)
    return first is not None and last is not None and last[0] <= 0 and first[1] >= inputs - 1


def _name_refusal(name: str, seen: dict[str, int], prefixes: set[str]) -> Refusal | None:
    if name in seen:
        return Refusal("name", f"the name '{name}' is already used by layer {seen[name] + 1}",
                       "give every layer its own name")
    return name_problem(name, prefixes, seen)


def _next_field(
    layer: Layer, sources: tuple[AxisSources, ...] | str | None, operand_maps: list[tuple[FieldMap, ...] | None],
    names: list[str], value_maps: Sequence[tuple[tuple[FieldMap, ...] | None, str]] = (),
) -> tuple[tuple[FieldMap, ...] | None, list[Diagnostic]]:
    """The layer's field maps from its operands' and what its output units read (a join's field is the union
    over every operand: each output unit depends on what the same unit of every operand depends on).
    ``value_maps``: the fields of the layers whose values it reads where it reads its input (`Argument.values`),
    merged in the same way after the layer's own sources (without the join's note on fields centred apart)."""
    notes: list[Diagnostic] = []
    maps = operand_maps[0]
    if maps is None or sources is None:
        return None, notes
    extra: list[tuple[tuple[FieldMap | None, ...] | None, str, bool]] = [
        (m, n, True) for m, n in zip(operand_maps[1:], names[1:])]
    if sources == IDENTITY:
        new = maps
        extra += [(m, n, False) for m, n in value_maps]
    else:
        composed = _through(maps, sources)  # type: ignore[arg-type]
        extra += [(None if m is None else _through(m, sources), n, False)  # type: ignore[arg-type]
                  for m, n in value_maps]
        if not _tracked(composed) or any(m is not None and not _tracked(m) for m, _, _ in extra):
            notes.append(Diagnostic(WARNING, layer.name, "field-period",
                                    "the receptive field is not tracked past this layer: its up-sampling "
                                    "pattern repeats too rarely to compute exactly"))
            return None, notes
        new = composed  # type: ignore[assignment]
    for joined, joined_name, is_operand in extra:
        if joined is None or len(joined) != len(new):
            return None, notes
        merged = []
        for axis, (a, b) in enumerate(zip(new, joined)):
            m = merge(a, b) if a is not b else a
            name = axis_name(axis, len(new))
            if m is None:
                notes.append(Diagnostic(WARNING, layer.name, "field-misaligned",
                                        f"the joined fields step differently on axis {name} (jumps {a.jump} and "
                                        f"{b.jump} in {joined_name}): the larger field is kept", axis=axis))
                m = a if a.size >= b.size else b
            elif a.start != b.start and is_operand:
                notes.append(Diagnostic(INFO, layer.name, "field-offset",
                                        f"the joined fields are centred differently on axis {name} "
                                        f"({_num(a.start)} and {_num(b.start)} in {joined_name})", axis=axis))
            merged.append(m)
        new = tuple(merged)
    return new, notes


def _tracked(maps: tuple[FieldMap | None, ...]) -> bool:
    """Whether every axis's map is known (``None in maps`` would ask each FieldMap whether it equals None)."""
    for field_map in maps:
        if field_map is None:
            return False
    return True


def _through(maps: tuple[FieldMap, ...], sources: tuple[AxisSources, ...]) -> tuple[FieldMap | None, ...]:
    """Field maps through a layer's sources (two equal axes composed once)."""
    if len(sources) == 2 and maps[0] is maps[1] and sources[0] is sources[1]:
        shared_map = compose(maps[0], sources[0])
        return (shared_map, shared_map)
    return _compose_axes(maps, sources)


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
