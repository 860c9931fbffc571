"""Skip connections: Concat and Add join an earlier layer's output back into the stack.

``Concat`` is ``torch.cat((x, joined), dim=1)``: the running tensor first, then the joined layer's output,
so channels add up and every spatial size must match. ``Add`` is ``x + joined``: shapes must be equal.
"""

from __future__ import annotations

from ..arguments import Argument, Kind
from ..evaluation import Evaluation, LayerContext, Refusal
from .common import LayerType, shape_text


def _mismatch(ctx: LayerContext, compare_channels: bool) -> None:
    here, there = ctx.input_shape, ctx.joined_shape
    assert there is not None
    joined = ctx.joined_name
    if len(here) != len(there):
        raise Refusal("join-rank", f"cannot join {shape_text(here)} with {joined}'s {shape_text(there)}: "
                      "they have different numbers of axes", argument="from")
    if compare_channels and here[0] != there[0]:
        raise Refusal("join-channels", f"Add needs equal channels, but the incoming tensor has {here[0]} and "
                      f"{joined} has {there[0]}", "use Concat, or match the channel counts", argument="from")
    for axis, (a, b) in enumerate(zip(here[1:], there[1:])):
        if a != b:
            bigger = "incoming tensor" if a > b else joined
            raise Refusal(
                "join-size",
                f"sizes differ on axis {ctx.axis(axis)}: the incoming tensor has {a}, {joined} has {b} "
                f"({abs(a - b)} more in the {bigger})",
                "choose an input size the down-sampling divides exactly (see `convdesigner sizes`), "
                "or crop or pad one branch",
                axis, "from",
            )


def _concat(ctx: LayerContext) -> Evaluation:
    _mismatch(ctx, compare_channels=False)
    assert ctx.joined_shape is not None
    return Evaluation((ctx.channels + ctx.joined_shape[0], *ctx.spatial))


def _add(ctx: LayerContext) -> Evaluation:
    _mismatch(ctx, compare_channels=True)
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
