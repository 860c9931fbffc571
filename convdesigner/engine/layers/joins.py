"""Skip connections: Concat and Add join an earlier layer's output back into the stack.

``Concat`` is ``torch.cat((x, joined), dim=1)``: the running tensor first, then the joined layer's output,
so channels add up and every spatial size must match. ``Add`` is ``x + joined``: shapes must be equal
(convdesigner does not broadcast).

A size mismatch is refused with both ends named: the join (the diagnostic's layer, with ``argument`` set to
``from``) and the joined layer (in the message). The usual cause is a down-sampling whose floor division
lost units (relationship 6: o = floor((i + 2p - k) / s) + 1) that the up-sampling path cannot restore, as
in a U-Net whose input size is not a multiple of 2^depth; the suggestion names the sizes tool and the exact
zero padding (negative values crop) that would make the incoming tensor fit. The lost units are at the high
end (the paper's caveat after relationship 6), so the padding goes on the high side.
"""

from __future__ import annotations

from ..arguments import Argument, Kind
from ..design import axis_name
from ..evaluation import Evaluation, LayerContext, Refusal
from .common import LayerType, shape_text


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


def _size_mismatch(ctx: LayerContext, joined: str, here: tuple[int, ...], there: tuple[int, ...]) -> Refusal:
    ndim = len(here) - 1
    differences = _axis_differences(here, there)
    parts = []
    for axis, a, b in differences:
        parts.append(f"axis {axis_name(axis, ndim)} by {abs(a - b)} ({a} here, {b} in {joined})")
    kind = ctx.layer.type
    message = (f"{kind} cannot join {joined}: the incoming tensor is {shape_text(here[1:])} but {joined}'s output "
               f"is {shape_text(there[1:])}; they differ on " + " and on ".join(parts))
    pad = zero_pad_fix(here, there)
    action = "pad" if all(v >= 0 for v in pad) else "crop" if all(v <= 0 for v in pad) else "pad or crop"
    suggestion = (
        "feed an input size that every down-sampling divides exactly (`convdesigner sizes FILE` lists them), "
        f"or insert {{type: ZeroPad{ndim}d, padding: [{', '.join(map(str, pad))}]}} just before "
        f"{ctx.layer.name} to {action} the incoming tensor to {shape_text(there[1:])}"
    )
    return Refusal("join-size", message, suggestion, differences[0][0], "from")


def _check_join(ctx: LayerContext, compare_channels: bool) -> None:
    here, there = ctx.input_shape, ctx.joined_shape
    assert there is not None
    joined = ctx.joined_name or "the joined layer"
    if len(here) != len(there):
        raise Refusal("join-rank", f"cannot join {shape_text(here)} with {joined}'s {shape_text(there)}: "
                      "they have different numbers of axes", f"join a layer whose output has {len(here) - 1} "
                      "spatial axes", argument="from")
    if compare_channels and here[0] != there[0]:
        raise Refusal("join-channels", f"Add needs equal channels, but the incoming tensor has {here[0]} and "
                      f"{joined}'s output has {there[0]}",
                      f"use Concat (giving {here[0] + there[0]} channels), or give the layer before "
                      f"{ctx.layer.name} out_channels {there[0]}", argument="from")
    if _axis_differences(here, there):
        raise _size_mismatch(ctx, joined, here, there)


def _concat(ctx: LayerContext) -> Evaluation:
    _check_join(ctx, compare_channels=False)
    assert ctx.joined_shape is not None
    return Evaluation((ctx.channels + ctx.joined_shape[0], *ctx.spatial))


def _add(ctx: LayerContext) -> Evaluation:
    _check_join(ctx, compare_channels=True)
    return Evaluation(ctx.input_shape)


def _from_arg() -> Argument:
    return Argument("from", Kind.LAYER_REF, None, required=True, help="the earlier layer to join")


def layer_types() -> list[LayerType]:
    return [
        LayerType("Concat", "Skip connection", None, (_from_arg(),), _concat,
                  "concatenates an earlier layer's output along the channels", None),
        LayerType("Add", "Skip connection", None, (_from_arg(),), _add,
                  "adds an earlier layer's output (shapes must be equal)", None),
    ]
