"""The checks every pass over a design shares: the input's shape, a layer's arguments (type, range, unknown
names) with PyTorch's defaults filled in, and the tensor size PyTorch can address; and the diagnostics they
produce. `analysis` (the full walk) and `tools.sizes` (the size-only scan) both build on this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from .arguments import MAX_INT, check_value, describe, quoted
from .design import Design, Layer, axis_name
from .evaluation import Refusal
from .layers import did_you_mean
from .layers.common import LayerType
from .memo import Memo

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is for type checkers: importing it costs every command ~2 ms
    from typing import Any

ERROR = "error"
WARNING = "warning"
INFO = "info"  # true of the layout and worth knowing, not a problem (a join's fields centred apart)


@dataclass(frozen=True)
class Diagnostic:
    """An error, warning or information about one layer (``layer`` None: about the design's input)."""

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
        where = self.layer if self.layer is not None else ("outputs" if self.rule == "outputs" else "input")
        hint = f"; {self.suggestion}" if self.suggestion else ""
        return f"{where}: {self.message}{hint}"


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


_argument_memo = Memo()


def prepared_arguments(layer_type: LayerType, layer: Layer, ndim: int
                       ) -> tuple[tuple[Refusal, ...], dict[str, Any]]:
    """`check_arguments` and `resolved_arguments` of a layer, remembered per (layer value, rank).

    They depend only on the layer's type and arguments, so a layer equal to one seen before (a design loaded
    again, a block repeated down a stack) is checked once. The memo is keyed on `Layer.rule_key`, which tags
    every argument with its type: Python finds 3 == 3.0 and 1 == True, which the checks must tell apart.
    Rules only read the returned dictionary. Everything that depends on the incoming tensor (shapes, counts,
    fields, diagnostics) is worked out by `analysis` (see its own memo of evaluations).
    """
    key = layer.rule_key
    if key is not None:
        found = _argument_memo.get((key, ndim))
        if found is not None:
            return found
    prepared = tuple(check_arguments(layer_type, layer, ndim)), resolved_arguments(layer_type, layer)
    if key is not None:
        _argument_memo.put((key, ndim), prepared)
    return prepared
