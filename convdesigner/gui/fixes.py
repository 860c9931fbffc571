"""Suggested fixes a user applies with one click (one undo step): the engine's diagnostics say what would
fix a layer; where that is a concrete edit, this builds it from engine values (no arithmetic of its own).

- a skip connection whose sizes differ (rule ``join-size``): insert the ``ZeroPad{n}d`` the engine's own
  `zero_pad_fix` gives, just before the join;
- a pooling window that never visits the last input rows (rule ``stride-drops-input``): set ``ceil_mode``;
- a stride-1 convolution that shrinks its input before a join that then mismatches: ``padding='same'``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QUndoCommand

from ..engine.analysis import Diagnostic, LayerResult
from ..engine.design import Layer
from ..engine.layers import CATALOG
from ..engine.layers.common import TRANSPOSED
from ..engine.layers.joins import zero_pad_fix
from ..engine.naming import generated_name
from .document import Document
from .undo_commands import InsertLayers, SetArguments


@dataclass(frozen=True)
class Fix:
    """A button's label and the edit it makes."""

    label: str
    command: Callable[[Document], QUndoCommand]


def fixes_for(document: Document, index: int) -> list[Fix]:
    """The one-click fixes for the diagnostics of layer ``index``."""
    result = document.analysis.layers[index]
    found: list[Fix] = []
    for diagnostic in result.diagnostics:
        fix = _join_fix(document, result, diagnostic) or _ceil_fix(result, diagnostic)
        if fix is not None and fix.label not in {f.label for f in found}:
            found.append(fix)
    same = _same_padding_fix(document, index)
    if same is not None:
        found.append(same)
    return found


def _join_fix(document: Document, result: LayerResult, diagnostic: Diagnostic) -> Fix | None:
    # a pad just before the join pads what it reads from the layer above: the join's one-name form
    if diagnostic.rule != "join-size" or result.input_shape is None or len(result.layer.inputs) != 1:
        return None
    design = document.design
    joined = document.analysis.layers[result.inputs[1]].output_shape if len(result.inputs) == 2 else None
    if joined is None:
        return None
    padding = zero_pad_fix(result.input_shape, joined)
    type_name = f"ZeroPad{len(padding) // 2}d"
    if type_name not in CATALOG:
        return None
    name = generated_name(type_name, [layer.name for layer in design.layers])
    layer = Layer.make(type_name, name, {"padding": padding})
    position = result.index
    label = f"Insert {type_name} [{', '.join(map(str, padding))}] before {result.name}"
    return Fix(label, lambda doc: InsertLayers(doc, position, [layer], label))


def _ceil_fix(result: LayerResult, diagnostic: Diagnostic) -> Fix | None:
    layer_type = CATALOG.get(result.type)
    if (diagnostic.rule != "stride-drops-input" or layer_type is None
            or "ceil_mode" not in layer_type.argument_names or result.layer.get("ceil_mode")):
        return None
    index = result.index
    return Fix("Set ceil_mode", lambda doc: SetArguments(doc, index, {"ceil_mode": True},
                                                        f"Set ceil_mode of {result.name}"))


def _same_padding_fix(document: Document, index: int) -> Fix | None:
    """A stride-1 convolution that shrinks its input, when a later join refuses the sizes."""
    analysis = document.analysis
    result = analysis.layers[index]
    layer_type = CATALOG.get(result.type)
    if (layer_type is None or "padding" not in layer_type.argument_names or result.geometry is None
            or layer_type.window == TRANSPOSED or not result.computed):
        return None
    if any(g.s != 1 or g.transposed for g in result.geometry) or all(g.o == g.i for g in result.geometry):
        return None
    if not any(d.rule == "join-size" for d in analysis.errors):
        return None
    return Fix("Use padding 'same'", lambda doc: SetArguments(doc, index, {"padding": "same"},
                                                             f"Set padding of {result.name} to 'same'"))
