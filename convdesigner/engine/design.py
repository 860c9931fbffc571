"""The design: an input shape and a stack of layers, as immutable values.

A `Layer` keeps its arguments exactly as the user wrote them (an int or one value per axis, a padding
mode string, ...), so that saving writes back what was typed; the engine resolves them per axis when it
analyses the design. Every edit makes a new value, which is what undo and caching rely on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

AXIS_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def axis_name(axis: int, ndim: int) -> str:
    """The conventional letter of a spatial axis (L for 1-D; H, W for 2-D; D, H, W for 3-D)."""
    names = AXIS_NAMES.get(ndim)
    return names[axis] if names and 0 <= axis < len(names) else f"axis {axis}"


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


@dataclass(frozen=True)
class Layer:
    """One layer: its PyTorch class name (or ``Concat``/``Add``), a unique name, and its arguments."""

    type: str
    name: str
    args: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def make(cls, type: str, name: str, args: Mapping[str, Any] | None = None, **kwargs: Any) -> Layer:
        """Build a layer from a mapping of arguments (lists become tuples so the value stays hashable)."""
        merged = dict(args or {}, **kwargs)
        return cls(type, name, tuple((k, _freeze(v)) for k, v in merged.items()))

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(self.args)

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
    """A named stack of layers applied to one input."""

    name: str
    input: InputSpec
    layers: tuple[Layer, ...] = field(default_factory=tuple)
    description: str = ""

    def index_of(self, name: str) -> int:
        for index, layer in enumerate(self.layers):
            if layer.name == name:
                return index
        raise KeyError(name)

    def with_layers(self, layers: Iterable[Layer]) -> Design:
        return replace(self, layers=tuple(layers))

    def with_input(self, input: InputSpec) -> Design:
        return replace(self, input=input)
