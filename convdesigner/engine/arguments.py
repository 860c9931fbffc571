"""Layer arguments: what each may hold, its default, and how a typed value is checked and resolved.

One `Argument` describes one constructor argument of a layer type, with PyTorch's name and default. The
same description drives the design file's schema check, the engine's per-axis resolution, the GUI's
property form and the exporter's "leave out what equals the default".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is for type checkers: importing it costs every command ~2 ms
    from typing import Any

#: The largest number any size or argument may hold: beyond it a value is refused as out of range. Far beyond
#: any real layer (10^8 channels or units per axis) and below PyTorch's int32 limits; the design file uses the
#: same bound, so whatever the editor accepts saves and reopens.
MAX_INT = 100_000_000

PADDING_MODES = ("valid", "same", "full")


class Kind:
    """The kinds of value an argument takes."""

    INT = "int"  # one integer
    AXES = "axes"  # one integer, or one per spatial axis
    CONV_PADDING = "conv_padding"  # int | per axis | 'valid'/'same'/'full' | [[low, high], ...]
    PAD_LIST = "pad_list"  # ZeroPad: int or 2 per axis, last axis first (PyTorch's order); may be negative
    BOOL = "bool"
    FLOAT = "float"
    CHOICE = "choice"
    OPTIONAL_AXES = "optional_axes"  # None | int | per axis (entries may be None where allowed)
    SCALE = "scale"  # None | number | one number per axis
    OPTIONAL_INT = "optional_int"
    DIM = "dim"  # a tensor dimension index, may be negative
    SHAPE = "shape"  # a size or a list of sizes, each at least 1 or -1 (at most one: inferred), as view takes
    LAYER = "layer"  # the name of an earlier layer (or 'input') whose output the layer reads beside its input


@dataclass(frozen=True)
class Argument:
    """One constructor argument of a layer type."""

    name: str
    kind: str
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    inferred: bool = False  # taken from the previous layer when absent, checked when given
    required: bool = False
    none_entries: bool = False  # OPTIONAL_AXES: an entry may be None (adaptive pooling keeps that axis)
    help: str = ""
    follows: str | None = None  # the argument whose value this one takes when unset (pooling's stride)
    constructor: bool = True  # False: not the module's (a parametrization's, which the export writes around it)
    infinite: bool = False  # FLOAT: may also be inf or -inf (ConstantPad's value: -inf before a max pool)
    #: LAYER: the layer reads the named layer's values at the positions it reads its input (MaxUnpool's
    #: indices), not only its size (``size_from``); the dependencies and the receptive field follow it.
    values: bool = False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float))) and not isinstance(value, bool)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _check_int(value: Any, minimum: float | None, what: str) -> str | None:
    if not _is_int(value):
        return f"{what} must be an integer, not {describe(value)}"
    if value > MAX_INT:
        return f"{what} is out of range: {describe(value)} is larger than {MAX_INT:,}"
    if minimum is not None and value < minimum:
        return f"{what} must be at least {int(minimum)}, not {value}"
    return None


def describe(value: Any) -> str:
    """A short, safe description of a value for an error message."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, int):
        text = str(value) if abs(value) < 10**12 else f"a {len(str(abs(value)))}-digit number"
        return text
    if value is None:
        return "nothing (null)"
    if isinstance(value, (list, tuple)):
        return f"a list of {_plural(len(value), 'item')}"
    if isinstance(value, dict):
        return "a mapping"
    return f"a value of type {type(value).__name__}"


def quoted(text: str, limit: int = 40) -> str:
    """User text inside a message, quoted and cut to ``limit`` characters (a 10,000-character name must not
    make a 10,000-character message)."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit - 3]!r}... ({len(text):,} characters)"


def check_value(arg: Argument, value: Any, ndim: int) -> str | None:
    """Check a typed value against its argument's kind; return a plain-words problem or None.

    ``ndim`` is the number of spatial axes the layer works on (it fixes how many per-axis values a
    list must hold).
    """
    what = arg.name
    kind = arg.kind
    if value is None:
        if (arg.default is None or kind == Kind.OPTIONAL_INT) and not arg.required:  # null is a value of its own
            return None
        return f"{what} must be given"
    if kind == Kind.INT:
        return _check_int(value, arg.minimum, what)
    if kind == Kind.DIM:
        return _check_int(value, -MAX_INT, what)
    if kind == Kind.OPTIONAL_INT:
        return None if value is None else _check_int(value, arg.minimum, what)
    if kind == Kind.BOOL:
        return None if isinstance(value, bool) else f"{what} must be true or false, not {describe(value)}"
    if kind == Kind.FLOAT:
        if not _is_number(value):
            return f"{what} must be a number, not {describe(value)}"
        if isinstance(value, float) and not math.isfinite(value) and (math.isnan(value) or not arg.infinite):
            return f"{what} must be a {'number or ±inf' if arg.infinite else 'finite number'}, not {value}"
        if isinstance(value, int) and abs(value) > MAX_INT:
            return f"{what} is out of range: {describe(value)}"
        if arg.minimum is not None and value < arg.minimum:
            return f"{what} must be at least {arg.minimum}, not {value}"
        if arg.maximum is not None and value > arg.maximum:
            return f"{what} must be at most {arg.maximum}, not {value}"
        return None
    if kind == Kind.CHOICE:
        if value not in arg.choices:
            return f"{what} must be one of {', '.join(map(repr, arg.choices))}, not {describe(value)}"
        return None
    if kind in (Kind.AXES, Kind.OPTIONAL_AXES):
        if value is None:
            return None if kind == Kind.OPTIONAL_AXES else f"{what} must be given"
        return _check_axes(arg, value, ndim)
    if kind == Kind.CONV_PADDING:
        return _check_conv_padding(arg, value, ndim)
    if kind == Kind.PAD_LIST:
        if _is_int(value):
            return _check_int(value, -MAX_INT, what)
        if isinstance(value, (list, tuple)):
            if len(value) != 2 * ndim:
                return (
                    f"{what} must be one integer or {2 * ndim} integers "
                    f"(low and high for each axis, last axis first), not {describe(value)}"
                )
            for v in value:
                problem = _check_int(v, -MAX_INT, what)
                if problem:
                    return problem
            return None
        return f"{what} must be an integer or a list of {2 * ndim} integers, not {describe(value)}"
    if kind == Kind.SCALE:
        if value is None:
            return None
        values = value if isinstance(value, (list, tuple)) else [value]
        if isinstance(value, (list, tuple)) and len(value) != ndim:
            return f"{what} must be one number or {ndim} (one per spatial axis), not {describe(value)}"
        for v in values:
            if not _is_number(v) or (isinstance(v, float) and not math.isfinite(v)):
                return f"{what} must be a positive number, not {describe(v)}"
            if v <= 0:
                return f"{what} must be a positive number, not {v}"
            if v > MAX_INT:
                return f"{what} is out of range: {describe(v)}"
        return None
    if kind == Kind.SHAPE:
        return _check_shape(value, what)
    if kind == Kind.LAYER:
        if not isinstance(value, str) or not value.strip():
            return f"{what} names an earlier layer (or 'input'), not {describe(value)}"
        return None
    raise AssertionError(f"unknown argument kind {kind}")


def sizes_of(value: Any) -> tuple[Any, ...]:
    """A SHAPE argument's sizes: one size, or the list's."""
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _check_shape(value: Any, what: str) -> str | None:
    if not _is_int(value) and (not isinstance(value, (list, tuple)) or not value):
        return f"{what} must be a size or a list of sizes (one may be -1), not {describe(value)}"
    for v in sizes_of(value):
        if _is_int(v) and v == -1:
            continue
        problem = _check_int(v, 1, what)
        if problem:
            return f"{problem} (a size is at least 1, or -1 to infer it)"
    if sizes_of(value).count(-1) > 1:
        return f"{what} may infer only one size (-1), not {describe(value)}"
    return None


def _check_axes(arg: Argument, value: Any, ndim: int) -> str | None:
    if _is_int(value):
        return _check_int(value, arg.minimum, arg.name)
    if isinstance(value, (list, tuple)):
        if len(value) != ndim:
            return (
                f"{arg.name} must be one integer or {ndim} (one per spatial axis), "
                f"not {describe(value)}"
            )
        for v in value:
            if v is None and arg.none_entries:
                continue
            problem = _check_int(v, arg.minimum, arg.name)
            if problem:
                return problem
        return None
    return f"{arg.name} must be an integer or a list of {ndim} integers, not {describe(value)}"


def _check_conv_padding(arg: Argument, value: Any, ndim: int) -> str | None:
    if isinstance(value, str):
        if value not in PADDING_MODES:
            return f"padding must be an integer, 'valid', 'same' or 'full', not {describe(value)}"
        return None
    if _is_int(value):
        return _check_int(value, 0, "padding")
    if isinstance(value, (list, tuple)):
        if len(value) != ndim:
            return (
                f"padding must be one integer, one per spatial axis ({ndim}), or one [low, high] "
                f"pair per axis, not {describe(value)}"
            )
        for v in value:
            if isinstance(v, (list, tuple)):
                if len(v) != 2:
                    return f"each padding pair must be [low, high], not {describe(v)}"
                for w in v:
                    problem = _check_int(w, 0, "padding")
                    if problem:
                        return problem
            else:
                problem = _check_int(v, 0, "padding")
                if problem:
                    return problem
        return None
    return f"padding must be an integer, a list, 'valid', 'same' or 'full', not {describe(value)}"


def per_axis(value: Any, ndim: int) -> tuple[Any, ...]:
    """An int (or None) repeated for every axis, or the per-axis list as a tuple."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * ndim


def is_uniform(value: Any) -> bool:
    """True when a value is one scalar or a list whose entries are all equal."""
    if isinstance(value, (list, tuple)):
        return len(set(map(repr, value))) <= 1
    return True
