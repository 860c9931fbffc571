"""Pieces every layer rule uses: the layer type record, rank and width checks, per-axis resolution."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from math import prod
from typing import Any, TypeVar

from ..arguments import Argument, Kind, per_axis
from ..evaluation import Evaluation, LayerContext, Refusal

Rule = Callable[[LayerContext], Evaluation]
T = TypeVar("T")
K = TypeVar("K")

#: How many (layer, rank, plan) entries `layer_plan` remembers before it starts afresh.
PLAN_MEMO_SIZE = 8192
_plans: dict[tuple[int, int, Any], tuple[Any, Any, Any]] = {}


def layer_plan(ctx: LayerContext, build: Callable[[LayerContext], T]) -> T:
    """What a rule derives from a layer's arguments alone (per-axis kernel, stride, padding, the field's
    sources, argument-only refusals), remembered per (layer object, rank): a Layer is immutable, so this
    never changes, and re-resolving it on every analysis was most of a layer's cost. Keyed on identity,
    as `analysis.prepared_arguments` is. ``build`` must not look at the incoming tensor's sizes."""
    layer = ctx.layer
    key = (id(layer), ctx.ndim, build)
    found = _plans.get(key)
    if found is not None and found[0] is layer and found[1] is ctx.args:
        return found[2]
    plan = build(ctx)
    if len(_plans) >= PLAN_MEMO_SIZE:
        _plans.clear()
    _plans[key] = (layer, ctx.args, plan)
    return plan


@dataclass(frozen=True)
class LayerType:
    """A layer type: its PyTorch class name, the kind it belongs to in menus, the spatial rank it needs
    (None: any), its constructor arguments and the rule that evaluates it. A join reads two or more
    tensors (its rule sees them all in ``LayerContext.operands``); every other type reads one."""

    name: str
    family: str
    ndim: int | None
    arguments: tuple[Argument, ...]
    rule: Rule
    summary: str = ""
    torch_name: str | None = None  # the torch.nn class; None for convdesigner's own joins
    join: bool = False

    def argument(self, name: str) -> Argument:
        for arg in self.arguments:
            if arg.name == name:
                return arg
        raise KeyError(name)

    @property
    def argument_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.arguments)


def int_arg(name: str, default: Any = None, minimum: int | None = 1, **kw: Any) -> Argument:
    return Argument(name, Kind.INT, default, minimum=minimum, **kw)


def axes_arg(name: str, default: Any = None, minimum: int = 1, **kw: Any) -> Argument:
    return Argument(name, Kind.AXES, default, minimum=minimum, **kw)


def bool_arg(name: str, default: Any, **kw: Any) -> Argument:
    return Argument(name, Kind.BOOL, default, **kw)


def float_arg(name: str, default: Any, **kw: Any) -> Argument:
    return Argument(name, Kind.FLOAT, default, **kw)


def dims_word(n: int) -> str:
    return {0: "no spatial axes", 1: "1 spatial axis"}.get(n, f"{n} spatial axes")


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as users read it: 64×56×56."""
    return "×".join(str(v) for v in shape)


def require_rank(ctx: LayerContext, ndim: int, type_name: str) -> None:
    """Refuse an input whose spatial rank does not match the layer (Conv2d on a 1-D signal, ...)."""
    if ctx.ndim != ndim:
        have = ctx.ndim
        family = type_name[:-2]
        hint = f"use {family}{have}d" if 1 <= have <= 3 and family else None
        raise Refusal(
            "rank",
            f"{type_name} needs an input with channels and {dims_word(ndim)}, but it receives "
            f"{shape_text(ctx.input_shape)} ({dims_word(have)})",
            hint,
        )


def inferred_width(ctx: LayerContext, name: str, incoming: int, what: str) -> int:
    """An argument the engine infers from the incoming tensor (in_channels, num_features, ...): when the
    design gives it, it must agree."""
    given = ctx.args.get(name)
    if given is None:
        return incoming
    if given != incoming:
        raise Refusal(
            "width",
            f"{name} is {given} but the incoming tensor has {incoming} {what}",
            f"remove {name} to infer it, or set it to {incoming}",
            argument=name,
        )
    return incoming


def check_groups(ctx: LayerContext, in_channels: int, out_channels: int) -> int:
    groups = ctx.args["groups"]
    if groups == 1:
        return 1
    for label, count in (("in_channels", in_channels), ("out_channels", out_channels)):
        if count % groups:
            raise Refusal(
                "groups",
                f"groups ({groups}) must divide {label} ({count})",
                f"choose groups among the common divisors of {in_channels} and {out_channels}",
                argument="groups",
            )
    return groups


def resolve_axes(ctx: LayerContext, name: str, fallback: str | None = None) -> tuple[int, ...]:
    """An AXES argument as one int per spatial axis (``fallback`` names the argument it defaults to,
    as pooling's stride defaults to its kernel size)."""
    value = ctx.args.get(name)
    if value is None and fallback is not None:
        value = ctx.args[fallback]
    return tuple(per_axis(value, ctx.ndim))


def per_distinct(axes: Iterable[K], make: Callable[[K], T]) -> tuple[T, ...]:
    """``make(arguments)`` for each axis's arguments, called once per distinct value: axes with equal
    arguments (a square kernel) share the same immutable object, which later steps recognise by identity
    (see analysis._compose_axes) instead of computing it again."""
    made: dict[K, T] = {}
    out = []
    for arguments in axes:
        if arguments not in made:
            made[arguments] = make(arguments)
        out.append(made[arguments])
    return tuple(out)


def volume(values: tuple[int, ...]) -> int:
    return prod(values)


def axis_unit(axis_letter: str, count: int) -> str:
    """'2 input rows' / '1 input column' / ... for an axis letter."""
    word = {"H": "row", "W": "column", "D": "slice", "L": "position"}.get(axis_letter, "unit")
    return f"{count} input {word}{'' if count == 1 else 's'}"
