"""The design: an input shape and a list of layers in computation order, as immutable values.

A `Layer` keeps its arguments exactly as the user wrote them (an int or one value per axis, a padding
mode string, ...), so that saving writes back what was typed; the engine resolves them per axis when it
analyses the design. Every edit makes a new value, which is what undo and caching rely on.

A design is a graph written as a list: each layer reads the layer just above it, unless its ``inputs``
name other layers above it (or ``input``, the network input). `engine.graph` resolves that wiring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is for type checkers: importing it costs every command ~2 ms
    from typing import Any

#: The reserved name that ``inputs`` use for the network input.
NETWORK_INPUT = "input"

AXIS_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def axis_name(axis: int, ndim: int) -> str:
    """The conventional letter of a spatial axis (L for 1-D; H, W for 2-D; D, H, W for 3-D)."""
    names = AXIS_NAMES.get(ndim)
    return names[axis] if names and 0 <= axis < len(names) else f"axis {axis}"


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


#: Argument types whose values are their own keys once their type is beside them.
_PLAIN = frozenset((int, str, bool, type(None)))


def _kind(value: Any) -> Any:
    """What tells a value apart from equal values of other types: its type; per item for a tuple; the repr
    for a float (-0.0 is not 0.0)."""
    kind = type(value)
    if kind is tuple:
        return tuple([_kind(v) for v in value])
    return repr(value) if kind is float else kind


@dataclass(frozen=True)
class Layer:
    """One layer: its PyTorch class name (or a join: ``Concat``, ``Add``, ``Mul``), a unique name, its
    arguments, and its wiring: ``inputs`` names the layers it reads, as written in the design file's
    ``from`` (empty: the layer just above). A join given a single name reads the layer above, then that
    one (format version 1's meaning)."""

    type: str
    name: str
    args: tuple[tuple[str, Any], ...] = ()
    inputs: tuple[str, ...] = ()

    @classmethod
    def make(cls, type: str, name: str, args: Mapping[str, Any] | None = None, *,
             inputs: Iterable[str] = (), **kwargs: Any) -> Layer:
        """Build a layer from a mapping of arguments (lists become tuples so the value stays hashable). A
        ``from`` among them, as the design file spells the wiring, sets ``inputs`` (a name or a list)."""
        merged = dict(args or {}, **kwargs)
        wiring = merged.pop("from", None)
        if wiring is not None:
            inputs = (wiring,) if isinstance(wiring, str) else wiring
        return cls(type, name, tuple((k, _freeze(v)) for k, v in merged.items()), tuple(inputs))

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(self.args)

    @property
    def rule_key(self) -> tuple[Any, ...] | None:
        """What the layer rules read of a layer, its type and arguments (not its name or wiring), with the
        type of every argument beside them (Python finds 3 == 3.0 == True, which the argument checks must tell
        apart): the key of the engine's memos (`engine.memo`). None when an argument cannot be a key (an
        unhashable value, which the checks refuse). Worked out once per object."""
        known = self.__dict__
        if "_rule_key" in known:
            return known["_rule_key"]
        args = self.args
        found: tuple[Any, ...] | None = (
            self.type, args, tuple([kind if (kind := type(v)) in _PLAIN else _kind(v) for _, v in args]))
        try:
            hash(found)
        except TypeError:
            found = None
        known["_rule_key"] = found
        return found

    def get(self, key: str, default: Any = None) -> Any:
        for k, v in self.args:
            if k == key:
                return v
        return default

    def with_args(self, **changes: Any) -> Layer:
        """A copy with some arguments set; an argument set to None is removed (back to its default)."""
        merged = self.arguments
        for k, v in changes.items():
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = _freeze(v)
        return replace(self, args=tuple(merged.items()))

    def renamed(self, name: str) -> Layer:
        return replace(self, name=name)

    def with_inputs(self, inputs: Iterable[str]) -> Layer:
        return replace(self, inputs=tuple(inputs))


@dataclass(frozen=True)
class InputSpec:
    """The network input without its batch axis: channels and one size per spatial axis (1 to 3)."""

    channels: int
    size: tuple[int, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.channels, *self.size)

    @property
    def ndim(self) -> int:
        return len(self.size)


@dataclass(frozen=True)
class Design:
    """A named list of layers applied to one input. ``outputs`` names the design's outputs in order
    (empty: the last layer)."""

    name: str
    input: InputSpec
    layers: tuple[Layer, ...] = field(default_factory=tuple)
    description: str = ""
    outputs: tuple[str, ...] = ()

    @property
    def output_names(self) -> tuple[str, ...]:
        """The design's outputs: the ones it names, else its last layer (none for an empty design)."""
        if self.outputs:
            return self.outputs
        return (self.layers[-1].name,) if self.layers else ()

    def index_of(self, name: str) -> int:
        for index, layer in enumerate(self.layers):
            if layer.name == name:
                return index
        raise KeyError(name)

    def with_layers(self, layers: Iterable[Layer]) -> Design:
        return replace(self, layers=tuple(layers))

    def with_input(self, input: InputSpec) -> Design:
        return replace(self, input=input)

    def with_outputs(self, outputs: Iterable[str]) -> Design:
        return replace(self, outputs=tuple(outputs))
