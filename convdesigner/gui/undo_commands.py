"""Every edit of a design as one undoable command, each with the text the Edit menu shows.

A command keeps the design before and after (immutable values, so this is cheap and exact) and the layers
to select after redo and after undo. Subclasses only compute the new design and the text.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtGui import QUndoCommand

from ..engine.design import Design, InputSpec, Layer
from ..engine.graph import order_problem, with_reference_renamed, without_layers
from ..engine.layers import CATALOG
from ..engine.naming import copy_name
from .document import Document
from .formatting import shape_text, value_text

#: Consecutive edits of the same argument within this many seconds merge into one (typing "12" is one edit).
MERGE_SECONDS = 1.5


class DesignCommand(QUndoCommand):
    """Replace the document's design by ``after``; undo puts ``before`` back."""

    def __init__(self, document: Document, after: Design, text: str, select_after: Sequence[str] = (),
                 select_before: Sequence[str] | None = None) -> None:
        super().__init__(text)
        self.document = document
        self.before = document.design
        self.after = after
        self.select_after = list(select_after)
        self.select_before = list(select_before if select_before is not None else select_after)

    def redo(self) -> None:
        self.document.apply(self.after, self.select_after)

    def undo(self) -> None:
        self.document.apply(self.before, self.select_before)


def _names(layers: Sequence[Layer]) -> str:
    if len(layers) == 1:
        return layers[0].name
    if len(layers) == 2:
        return f"{layers[0].name} and {layers[1].name}"
    return f"{len(layers)} layers"


class InsertLayers(DesignCommand):
    """Insert layers at a position (0 = before the first)."""

    def __init__(self, document: Document, position: int, layers: Sequence[Layer], text: str | None = None) -> None:
        design = document.design
        new = list(design.layers)
        new[position:position] = layers
        before_selection = [design.layers[position - 1].name] if 0 < position <= len(design.layers) else []
        super().__init__(document, design.with_layers(new), text or f"Add {_names(layers)}",
                         [layer.name for layer in layers], before_selection)


class DeleteLayers(DesignCommand):
    """Delete layers; the layers that read them read what they read instead (``notes`` says which)."""

    def __init__(self, document: Document, indexes: Sequence[int]) -> None:
        design = document.design
        doomed = sorted(set(indexes))
        removed = [design.layers[i] for i in doomed]
        after, self.notes = without_layers(design, doomed)
        kept = after.layers
        after_index = min(doomed[0], len(kept) - 1)
        select = [kept[after_index].name] if kept else []
        super().__init__(document, after, f"Delete {_names(removed)}", select, [layer.name for layer in removed])


class DuplicateLayers(DesignCommand):
    """Copies of the layers (with unique names) right after the last of them."""

    def __init__(self, document: Document, indexes: Sequence[int]) -> None:
        design = document.design
        chosen = sorted(set(indexes))
        taken = {layer.name for layer in design.layers}
        copies = []
        for i in chosen:
            name = copy_name(design.layers[i].name, taken)
            taken.add(name)
            copies.append(design.layers[i].renamed(name))
        new = list(design.layers)
        new[chosen[-1] + 1:chosen[-1] + 1] = copies
        super().__init__(document, design.with_layers(new), f"Duplicate {_names([design.layers[i] for i in chosen])}",
                         [c.name for c in copies], [design.layers[i].name for i in chosen])


class MoveLayers(DesignCommand):
    """Move layers (kept in order) so they start before the layer now at ``destination`` (a drag's target
    row; len(layers) moves them to the end)."""

    def __init__(self, document: Document, indexes: Sequence[int], destination: int, text: str | None = None) -> None:
        design = document.design
        chosen = sorted(set(indexes))
        moving = [design.layers[i] for i in chosen]
        rest = [layer for i, layer in enumerate(design.layers) if i not in set(chosen)]
        at = destination - sum(1 for i in chosen if i < destination)
        new = rest[:at] + moving + rest[at:]
        names = [layer.name for layer in moving]
        after = design.with_layers(new)
        #: Why the move would break the wiring (a layer above the one it reads); push only when None.
        self.refusal = order_problem(after)
        super().__init__(document, after, text or f"Move {_names(moving)}", names, names)

    @classmethod
    def by_step(cls, document: Document, indexes: Sequence[int], step: int) -> MoveLayers | None:
        """Move up (step -1) or down (+1) by one row; None at the edge."""
        chosen = sorted(set(indexes))
        count = len(document.design.layers)
        if not chosen or (step < 0 and chosen[0] == 0) or (step > 0 and chosen[-1] >= count - 1):
            return None
        destination = chosen[0] - 1 if step < 0 else chosen[-1] + 2
        moving = [document.design.layers[i] for i in chosen]
        return cls(document, chosen, destination, f"Move {_names(moving)} {'up' if step < 0 else 'down'}")


class RenameLayer(DesignCommand):
    """Rename a layer and every join that refers to it."""

    def __init__(self, document: Document, index: int, name: str) -> None:
        design = document.design
        old = design.layers[index].name
        new = list(design.layers)
        new[index] = new[index].renamed(name)
        after = with_reference_renamed(design.with_layers(new), old, name)
        super().__init__(document, after, f"Rename {old} to {name}", [name], [old])


class SetArguments(DesignCommand):
    """Set (or, with None, reset to the default) some arguments of one layer."""

    def __init__(self, document: Document, index: int, changes: dict[str, Any], text: str | None = None) -> None:
        design = document.design
        layer = design.layers[index]
        new = list(design.layers)
        new[index] = layer.with_args(**changes)
        self.layer_name = layer.name
        self.keys = tuple(sorted(changes))
        self.time = time.monotonic()
        super().__init__(document, design.with_layers(new), text or self.describe(layer.name, changes),
                         [layer.name])

    @staticmethod
    def describe(name: str, changes: dict[str, Any]) -> str:
        if len(changes) == 1:
            key, value = next(iter(changes.items()))
            if value is None:
                return f"Reset {key} of {name} to its default"
            return f"Set {key} of {name} to {value_text(value)}"
        return f"Set {', '.join(changes)} of {name}"

    def id(self) -> int:
        return 1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (isinstance(other, SetArguments) and type(other) is SetArguments and type(self) is SetArguments):
            return False
        if (other.layer_name, other.keys) != (self.layer_name, self.keys) or other.time - self.time > MERGE_SECONDS:
            return False
        self.after = other.after
        self.time = other.time
        self.setText(other.text())
        return True


class SetWiring(DesignCommand):
    """Set which layers one layer reads (its ``from``; empty: the layer above)."""

    def __init__(self, document: Document, index: int, inputs: Sequence[str]) -> None:
        design = document.design
        layer = design.layers[index]
        new = list(design.layers)
        new[index] = layer.with_inputs(inputs)
        reads = ", ".join(inputs) if inputs else "the layer above"
        super().__init__(document, design.with_layers(new), f"Make {layer.name} read {reads}", [layer.name])


class SetInput(DesignCommand):
    def __init__(self, document: Document, spec: InputSpec) -> None:
        design = document.design
        self.time = time.monotonic()
        super().__init__(document, design.with_input(spec), f"Set the input to {shape_text(spec.shape)}")

    def redo(self) -> None:
        self.document.apply(self.after, None)  # keep the selection

    def undo(self) -> None:
        self.document.apply(self.before, None)

    def id(self) -> int:
        return 2

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetInput) or other.time - self.time > MERGE_SECONDS:
            return False
        self.after = other.after
        self.time = other.time
        self.setText(other.text())
        return True


class ReplaceLayers(DesignCommand):
    """Replace a run of layers by others in one step (what a tool such as Mirror or Solve produces)."""

    def __init__(self, document: Document, first: int, last: int, layers: Sequence[Layer], text: str,
                 select: Sequence[str] | None = None) -> None:
        design = document.design
        new = list(design.layers)
        before_names = [layer.name for layer in new[first:last + 1]]
        new[first:last + 1] = layers
        super().__init__(document, design.with_layers(new), text,
                         list(select) if select is not None else [layer.name for layer in layers], before_names)


class MirrorRun(InsertLayers):
    """Append the decoder that mirrors layers first..last at the end of the design (never in the middle,
    where it would cut the tensors a later layer or join expects)."""

    def __init__(self, document: Document, first: int, last: int, decoder: Sequence[Layer]) -> None:
        layers = document.design.layers
        run = f"{layers[first].name}…{layers[last].name}" if first != last else layers[first].name
        if decoder and last != len(layers) - 1:  # appended at the end, the decoder reads the run's output
            decoder = [decoder[0].with_inputs([layers[last].name]), *decoder[1:]]
        super().__init__(document, len(layers), decoder, f"Mirror {run} as decoder")
        self.select_before = [layer.name for layer in layers[first:last + 1]]


class SetDesignInfo(DesignCommand):
    """Rename the design or change its description (the export's class name comes from the name)."""

    def __init__(self, document: Document, name: str, description: str) -> None:
        design = document.design
        after = replace(design, name=name, description=description)
        what = "Rename the design to " + name if name != design.name else "Edit the design's description"
        super().__init__(document, after, what)

    def redo(self) -> None:
        self.document.apply(self.after, None)  # keep the selection

    def undo(self) -> None:
        self.document.apply(self.before, None)


def retyped(layer: Layer, type_name: str) -> Layer:
    """The layer as another type (Conv2d -> Conv1d after a rank change, Conv2d <-> ConvTranspose2d), keeping
    the arguments the new type has; a per-axis value whose axes no longer fit keeps one value when every
    axis had the same, and is dropped otherwise."""
    new_type = CATALOG[type_name]
    kept: dict[str, Any] = {}
    for key, value in layer.args:
        if key not in new_type.argument_names:
            continue
        if isinstance(value, tuple) and new_type.ndim is not None and len(value) != new_type.ndim:
            if len(set(value)) != 1 or isinstance(value[0], tuple):
                continue
            value = value[0]
        kept[key] = value
    return Layer.make(type_name, layer.name, kept)


class ChangeType(ReplaceLayers):
    """Change one layer's type in place (see `retyped`)."""

    def __init__(self, document: Document, index: int, type_name: str) -> None:
        layer = document.design.layers[index]
        super().__init__(document, index, index, [retyped(layer, type_name)],
                         f"Change {layer.name} to {type_name}")


class ApplySolution(SetArguments):
    """A padding solution chosen in the Solve dialog: one edit, never merged with typing."""

    def mergeWith(self, other: QUndoCommand) -> bool:
        return False
