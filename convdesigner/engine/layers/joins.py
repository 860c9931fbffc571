"""Joins: Concat, Add and Mul combine two or more tensors, in the order the layer's ``from`` names them.

``Concat`` is ``torch.cat((a, b, ...), dim=1)``: channels add up and every spatial size must match. ``Add``
is ``a + b + ...`` and ``Mul`` the elementwise product ``a * b * ...`` (WaveNet's gate): shapes must be equal
(convdesigner does not broadcast). A join given one name reads the layer above, then that layer.

A size mismatch is refused with both ends named: the join (the diagnostic's layer, with ``argument`` set to
``from``) and the disagreeing operand (in the message). The usual cause is a down-sampling whose floor division
lost units (relationship 6: o = floor((i + 2p - k) / s) + 1) that the up-sampling path cannot restore, as
in a U-Net whose input size is not a multiple of 2^depth; the suggestion names the sizes tool and the exact
zero padding (negative values crop) that would make the incoming tensor fit. The lost units are at the high
end (the paper's caveat after relationship 6), so the padding goes on the high side.
"""

from __future__ import annotations

from ..design import axis_name
from ..evaluation import Evaluation, LayerContext, Refusal
from .common import AxisRule, LayerType, TorchSpec, shape_text


def _axis_differences(here: tuple[int, ...], there: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """(axis, incoming size, joined size) for every spatial axis where the two differ."""
    return [(axis, a, b) for axis, (a, b) in enumerate(zip(here[1:], there[1:])) if a != b]


def zero_pad_fix(here: tuple[int, ...], there: tuple[int, ...]) -> list[int]:
    """The ``ZeroPad{n}d`` padding that brings the incoming spatial sizes to the joined ones, in
    PyTorch's order (low and high of the last axis first); positive pads, negative crops, all on the
    high side."""
    ndim = len(here) - 1
    padding = []
    for axis in reversed(range(ndim)):
        padding += [0, there[axis + 1] - here[axis + 1]]
    return padding


def _size_mismatch(ctx: LayerContext, first: str, joined: str, here: tuple[int, ...], there: tuple[int, ...],
                   others: list[str]) -> Refusal:
    ndim = len(here) - 1
    differences = _axis_differences(here, there)
    parts = []
    for axis, a, b in differences:
        parts.append(f"axis {axis_name(axis, ndim)} by {abs(a - b)} ({a} here, {b} in {joined})")
    kind = ctx.layer.type
    also = f" (and {', '.join(others)} also differ{'s' if len(others) == 1 else ''})" if others else ""
    message = (f"{kind} cannot join {joined}{also}: {first} is {shape_text(here[1:])} but {joined}'s output "
               f"is {shape_text(there[1:])}; they differ on " + " and on ".join(parts))
    pad = zero_pad_fix(here, there)
    action = "pad" if all(v >= 0 for v in pad) else "crop" if all(v <= 0 for v in pad) else "pad or crop"
    pad_layer = f"{{type: ZeroPad{ndim}d, padding: [{', '.join(map(str, pad))}]"
    if len(ctx.layer.inputs) == 1:  # the layer above is the first operand: a pad just before the join reads it
        where = f"{pad_layer}}} just before {ctx.layer.name} to {action} the incoming tensor"
    else:
        where = f"{pad_layer}, from: {ctx.operands[0][0]}}} and join it in place of {ctx.operands[0][0]}, to {action} it"
    suggestion = (
        "feed an input size that every down-sampling divides exactly (`convdesigner sizes FILE` lists them), "
        f"or insert {where} to {shape_text(there[1:])}"
    )
    return Refusal("join-size", message, suggestion, differences[0][0], "from")


def _first_description(ctx: LayerContext) -> str:
    """How messages name the first operand: the incoming tensor (the layer above, format version 1's
    meaning of a one-name join), else that layer's output."""
    name = ctx.operands[0][0]
    return "the incoming tensor" if len(ctx.layer.inputs) == 1 else f"{name}'s output"


def _check_join(ctx: LayerContext, compare_channels: bool) -> None:
    here = ctx.input_shape
    first = _first_description(ctx)
    rest = ctx.operands[1:]
    for joined, there in rest:
        if len(here) != len(there):
            raise Refusal("join-rank", f"cannot join {shape_text(here)} with {joined}'s {shape_text(there)}: "
                          "they have different numbers of axes", f"join a layer whose output has {len(here) - 1} "
                          "spatial axes", argument="from")
    if compare_channels:
        differing = [(joined, there) for joined, there in rest if there[0] != here[0]]
        if differing:
            joined, there = differing[0]
            also = f" (and {', '.join(n for n, _ in differing[1:])} too)" if differing[1:] else ""
            raise Refusal("join-channels", f"{ctx.layer.type} needs equal channels, but {first} has {here[0]} and "
                          f"{joined}'s output has {there[0]}{also}",
                          f"use Concat (giving {sum(s[0] for _, s in ctx.operands)} channels), or give the layer "
                          f"before {ctx.layer.name} out_channels {there[0]}", argument="from")
    mismatched = [(joined, there) for joined, there in rest if _axis_differences(here, there)]
    if mismatched:
        joined, there = mismatched[0]
        raise _size_mismatch(ctx, first, joined, here, there, [n for n, _ in mismatched[1:]])


def _concat(ctx: LayerContext) -> Evaluation:
    """torch.cat((a, b, ...), dim=1): channels add up, every spatial size must match."""
    _check_join(ctx, compare_channels=False)
    return Evaluation((sum(shape[0] for _, shape in ctx.operands), *ctx.spatial))


def _elementwise(ctx: LayerContext) -> Evaluation:
    """a + b + ... and a * b * ...: equal shapes (convdesigner does not broadcast)."""
    _check_join(ctx, compare_channels=True)
    return Evaluation(ctx.input_shape)


def _joined_sizes(ctx: LayerContext, axis: int) -> AxisRule:
    """Every operand must have the same size on a spatial axis (the sizes scan; the rule words a mismatch)."""
    return lambda sizes, operands: ([n if len(set(each)) == 1 else None for n, each in zip(sizes, zip(*operands))],
                                    None)


def _mirror_concat(decoder, r, final: bool) -> None:  # type: ignore[no-untyped-def]
    """A Concat comes back as a 1x1 convolution to the channels it received from its first operand."""
    decoder.add(f"Conv{len(r.input_shape) - 1}d", {"out_channels": r.input_shape[0], "kernel_size": 1})


def layer_types() -> list[LayerType]:
    return [
        LayerType("Concat", "Skip connection", None, (), _concat,
                  "concatenates its inputs along the channels, in order", None, join=True,
                  axis_rule=_joined_sizes, mirror=_mirror_concat, torch=TorchSpec(operator="cat")),
        LayerType("Add", "Skip connection", None, (), _elementwise,
                  "adds its inputs (shapes must be equal)", None, join=True,
                  axis_rule=_joined_sizes, torch=TorchSpec(operator="+")),
        LayerType("Mul", "Skip connection", None, (), _elementwise,
                  "multiplies its inputs elementwise (a gate; shapes must be equal)", None, join=True,
                  axis_rule=_joined_sizes, torch=TorchSpec(operator="*"), version=2),
    ]
