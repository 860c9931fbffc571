"""A design's wiring: which earlier layers each layer reads, and the rules its names follow.

A design is a graph written as a list in computation order. Layer i reads the layer just above it unless its
``inputs`` (the file's ``from``) name other layers above it, or ``input``, the network input. A join reads two
or more tensors in order; given a single name it reads the layer above and then that one (format version 1).
Operands are indices into the design's layers, with ``INPUT_INDEX`` for the network input.

A layer may also name earlier layers in arguments (`Kind.LAYER`: Upsample's and CenterCrop's ``size_from``,
MaxUnpool's ``indices``): its references. They follow ``from``'s rules (a layer above, or ``input``), count as
reading that layer, and are renamed and rewired with it (format version 2).

A name that is a dotted module path (``layer1.0.conv1``: parts of letters, digits and ``_`` between dots) is
hierarchical, as PyTorch's module paths are: the app groups such layers by their blocks and the export nests
them. No name is the block of another (``layer1`` cannot be both a layer and a block). Any other text is a
plain name, as in format version 1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from .design import NETWORK_INPUT, Design, Layer
from .evaluation import Refusal
from .layers import CATALOG, did_you_mean

#: The operand index that stands for the network input.
INPUT_INDEX = -1

_MODULE_PATH = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+")


def is_module_path(name: str) -> bool:
    """Whether a name is hierarchical: a dotted module path such as ``layer1.0.conv1``."""
    return "." in name and _MODULE_PATH.fullmatch(name) is not None


def operand_indices(layer: Layer, index: int, is_join: bool, seen: Mapping[str, int]) -> tuple[int, ...]:
    """The indices of the tensors layer ``index`` reads, in order, given the names of the layers above it
    (``seen``: name -> index). Raises a Refusal naming the rule when the wiring is impossible."""
    above = index - 1 if index > 0 else INPUT_INDEX
    names = layer.inputs
    if is_join:
        if not names:
            raise Refusal("from", f"{layer.type} needs the layers it joins: 'from' names them",
                          "write from: [a, b] (in order), or from: NAME to join NAME to the layer above",
                          argument="from")
        operands = (above,) + tuple(_lookup(layer, n, seen) for n in names) if len(names) == 1 else \
            tuple(_lookup(layer, n, seen) for n in names)
        return operands
    if not names:
        return _one(above)
    if len(names) > 1:
        raise Refusal("from", f"{layer.type} reads one tensor, but 'from' names {len(names)}",
                      "name one earlier layer, or use a join (Concat, Add, Mul) to combine several",
                      argument="from")
    return _one(_lookup(layer, names[0], seen))


#: ``(i,)`` for every index seen so far (``INPUT_INDEX`` first): most layers read one tensor, and sharing the
#: tuple spares every analysis an allocation per layer for the cycle collector to count.
_ONE: list[tuple[int]] = []


def _one(index: int) -> tuple[int]:
    while len(_ONE) <= index + 1:
        _ONE.append((len(_ONE) + INPUT_INDEX,))
    return _ONE[index + 1]


def reference_arguments(layer: Layer) -> tuple[tuple[str, str], ...]:
    """The (argument, layer name) pairs of the layer's references, in its type's argument order: the
    `Kind.LAYER` arguments it gives (none for an unknown type)."""
    layer_type = CATALOG.get(layer.type)
    if layer_type is None or not layer_type.layer_arguments:
        return ()
    found = []
    for argument in layer_type.layer_arguments:
        name = layer.get(argument)
        if isinstance(name, str):
            found.append((argument, name))
    return tuple(found)


def reference_indices(layer: Layer, seen: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    """Each reference's argument and the index of the layer it names (``INPUT_INDEX``: the network input),
    given the names above the layer; a Refusal naming the argument when it names no layer above."""
    named = reference_arguments(layer)
    return tuple([(argument, _lookup(layer, name, seen, argument)) for argument, name in named]) if named else ()


def _lookup(layer: Layer, name: str, seen: Mapping[str, int], argument: str = "from") -> int:
    found = seen.get(name)
    if found is not None:
        return found
    if name == NETWORK_INPUT:
        return INPUT_INDEX
    shown = name if len(name) <= 40 else name[:40] + "…"
    if name == layer.name:
        raise Refusal(argument, f"'{shown}' cannot read itself", "name a layer above this one", argument=argument)
    earlier = list(seen)
    guess = did_you_mean(name, earlier) if earlier else None
    what = "to read" if argument == "from" else f"for {argument}"
    raise Refusal(argument, f"there is no layer named '{shown}' above {layer.name} {what}",
                  f"did you mean '{guess}'?" if guess else "name a layer above this one, or 'input'",
                  argument=argument)


def name_problem(name: str, prefixes: set[str], seen: Mapping[str, int]) -> Refusal | None:
    """What is wrong with a layer's name given the names above it (``seen``) and their blocks: the reserved
    ``input``, or a name that is also another's block."""
    if name == NETWORK_INPUT:
        return Refusal("name", "'input' is reserved for the network input", "rename the layer")
    if name in prefixes:
        return Refusal("name", f"'{name}' is also the block of dotted names above it ({name}.…)",
                       "rename the layer, or its block")
    if not is_module_path(name):
        return None
    parts = name.split(".")
    for end in range(1, len(parts)):
        block = ".".join(parts[:end])
        if block in seen:
            return Refusal("name", f"'{block}' above is a layer, so it cannot also be the block of '{name}'",
                           "rename one of them")
    return None


def add_prefixes(name: str, prefixes: set[str]) -> None:
    """Record a dotted module path's blocks (``a.b.c``: ``a`` and ``a.b``) for `name_problem`."""
    if not is_module_path(name):
        return
    parts = name.split(".")
    for end in range(1, len(parts)):
        prefixes.add(".".join(parts[:end]))


# -- edits that keep the wiring valid (the GUI's commands build on these) -----------------------------------

def with_reference_renamed(design: Design, old: str, new: str) -> Design:
    """The design with every ``from``, reference argument and output that names ``old`` naming ``new``
    instead."""
    layers = tuple(_with_names_replaced(layer, {old: new}) for layer in design.layers)
    outputs = tuple(new if n == old else n for n in design.outputs)
    return replace(design, layers=layers, outputs=outputs)


def _with_names_replaced(layer: Layer, replacement: Mapping[str, str]) -> Layer:
    """The layer with the names ``replacement`` maps replaced in its ``from`` and its reference arguments
    (the very same object when none is named)."""
    if any(n in replacement for n in layer.inputs):
        layer = layer.with_inputs(replacement.get(n, n) for n in layer.inputs)
    changed = {argument: replacement[name] for argument, name in reference_arguments(layer) if name in replacement}
    return layer.with_args(**changed) if changed else layer


def _source_name(design: Design, index: int) -> str:
    """The name of the tensor layer ``index`` reads first (the layer above, ``input``, or its ``from``)."""
    layer = design.layers[index]
    if layer.inputs and not (_is_join(layer) and len(layer.inputs) == 1):
        return layer.inputs[0]
    return design.layers[index - 1].name if index > 0 else NETWORK_INPUT


def _is_join(layer: Layer) -> bool:
    layer_type = CATALOG.get(layer.type)
    return layer_type is not None and layer_type.join


def without_layers(design: Design, indexes: Sequence[int]) -> tuple[Design, list[str]]:
    """The design without those layers; every layer that read a deleted one reads what it read instead
    (its first input), so the graph stays wired, and a reference to a deleted one names that instead (the
    analysis then says whether it still fits: a MaxUnpool's indices must name a MaxPool). Also returns what
    was rewired, in words."""
    doomed = set(indexes)
    replacement: dict[str, str] = {}
    for index in sorted(doomed):
        source = _source_name(design, index)
        replacement[design.layers[index].name] = replacement.get(source, source)
    kept: list[Layer] = []
    notes: list[str] = []
    for index, layer in enumerate(design.layers):
        if index in doomed:
            continue
        above_deleted = index > 0 and index - 1 in doomed
        inputs = layer.inputs
        if above_deleted and (not inputs or (_is_join(layer) and len(inputs) == 1)):
            # it read the layer above: keep reading what that layer read, unless that is now the layer above
            source = replacement[design.layers[index - 1].name]
            new_above = kept[-1].name if kept else NETWORK_INPUT
            if source != new_above:
                inputs = (source,) if not inputs else (source, inputs[0])
        inputs = tuple(replacement.get(n, n) for n in inputs)
        if inputs != layer.inputs:
            notes.append(f"{layer.name} now reads {', '.join(inputs) or 'the layer above'}")
            layer = layer.with_inputs(inputs)
        rewired = _with_names_replaced(layer, replacement)
        notes += [f"{layer.name}'s {argument} now names {name}" for (argument, name), (_, old)
                  in zip(reference_arguments(rewired), reference_arguments(layer)) if name != old]
        kept.append(rewired)
    outputs = tuple(dict.fromkeys(replacement.get(n, n) for n in design.outputs if replacement.get(n, n) != NETWORK_INPUT))
    return replace(design, layers=tuple(kept), outputs=outputs), notes


def order_problem(design: Design) -> str | None:
    """Why a new order of the layers breaks the wiring (a layer would read one below it), or None."""
    position = {layer.name: index for index, layer in enumerate(design.layers)}
    for index, layer in enumerate(design.layers):
        for name in (*layer.inputs, *(name for _, name in reference_arguments(layer))):
            found = position.get(name)
            if found is not None and found >= index:
                return f"{layer.name} reads {name}, which would then come after it: a layer reads only layers above it"
    return None
