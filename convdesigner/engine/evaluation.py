"""What a layer type's rule receives and returns when the engine evaluates one layer."""

from __future__ import annotations

from dataclasses import dataclass, field

from .arithmetic import EquivalentConvolution
from .design import Layer, axis_name
from .receptive_field import AxisSources

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is for type checkers: importing it costs every command ~2 ms
    from typing import Any


class Refusal(Exception):
    """A layer breaks a rule: raised inside a layer rule, turned into an error diagnostic by the engine
    (users never see it as an exception)."""

    def __init__(
        self, rule: str, message: str, suggestion: str | None = None, axis: int | None = None,
        argument: str | None = None,
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.suggestion = suggestion
        self.axis = axis
        self.argument = argument


@dataclass(frozen=True)
class Note:
    """A warning a layer rule raises without refusing the layer."""

    rule: str
    message: str
    suggestion: str | None = None
    axis: int | None = None


@dataclass(frozen=True, init=False)
class AxisGeometry:
    """One axis of a sliding-window layer, resolved: what the canvas draws and the arithmetic used.

    For a transposed convolution ``a`` is the output padding, ``p_low == p_high`` is its ``padding`` and
    ``equivalent`` its direct-convolution form.
    """

    i: int
    k: int
    s: int
    p_low: int
    p_high: int
    d: int
    o: int
    a: int = 0
    transposed: bool = False
    ceil_mode: bool = False
    unvisited: int = 0  # units of the padded input at the high end that no window reaches
    relationship: str = ""
    equivalent: EquivalentConvolution | None = None

    def __init__(
        self, i: int, k: int, s: int, p_low: int, p_high: int, d: int, o: int, a: int = 0,
        transposed: bool = False, ceil_mode: bool = False, unvisited: int = 0, relationship: str = "",
        equivalent: EquivalentConvolution | None = None,
    ) -> None:
        # Still frozen (assignment raises), but filled through __dict__: the generated frozen __init__
        # sets every field through object.__setattr__, which dominated the cost of analysing a layer.
        self.__dict__.update(i=i, k=k, s=s, p_low=p_low, p_high=p_high, d=d, o=o, a=a, transposed=transposed,
                             ceil_mode=ceil_mode, unvisited=unvisited, relationship=relationship,
                             equivalent=equivalent)


#: Marks a layer that keeps every unit where it is (activations, normalisation, dropout).
IDENTITY = "identity"


@dataclass
class Evaluation:
    """A layer rule's result."""

    output_shape: tuple[int, ...]
    params: int = 0
    macs: int = 0
    sources: tuple[AxisSources, ...] | str | None = IDENTITY  # None: the spatial field ends here
    geometry: tuple[AxisGeometry, ...] | None = None
    notes: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class Reference:
    """A layer that another names in an argument (``size_from: enc1``, ``indices: pool1``): its name, its
    layer (None for the network input), the shape it reads and the shape it makes (channels first)."""

    name: str
    layer: Layer | None
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


@dataclass(frozen=True, init=False)
class LayerContext:
    """What a layer rule sees: the layer, its arguments with defaults filled in, the incoming shape
    (channels first, no batch axis), for a join every operand's name and output shape in order (the
    first operand's shape is ``input_shape``), and the layers its arguments name (`Reference`, by argument:
    ``size_from``, ``indices``)."""

    layer: Layer
    args: dict[str, Any]
    input_shape: tuple[int, ...]
    operands: tuple[tuple[str, tuple[int, ...]], ...] = ()
    references: dict[str, Reference] = field(default_factory=dict)
    ndim: int = field(init=False, repr=False, compare=False)  # spatial axes of the incoming tensor
    channels: int = field(init=False, repr=False, compare=False)
    spatial: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __init__(self, layer: Layer, args: dict[str, Any], input_shape: tuple[int, ...],
                 operands: tuple[tuple[str, tuple[int, ...]], ...] = (),
                 references: dict[str, Reference] | None = None) -> None:
        # Frozen, filled through __dict__ for speed (see AxisGeometry); ndim, channels and spatial are
        # derived from input_shape once, as every rule reads them.
        self.__dict__.update(layer=layer, args=args, input_shape=input_shape, operands=operands,
                             references=references or {}, ndim=len(input_shape) - 1, channels=input_shape[0],
                             spatial=input_shape[1:])

    def axis(self, axis: int) -> str:
        return axis_name(axis, self.ndim)
