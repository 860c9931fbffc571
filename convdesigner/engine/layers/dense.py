"""Flatten and Linear: where the spatial layout (and the receptive field) ends."""

from __future__ import annotations

from math import prod

from ..arguments import Argument, Kind
from ..evaluation import Evaluation, LayerContext, Refusal
from .common import (
    LayerType,
    TorchSpec,
    bool_arg,
    inferred_width,
    int_arg,
    parametrization_arguments,
    parametrization_params,
)


def _flatten(ctx: LayerContext) -> Evaluation:
    full = (1, *ctx.input_shape)  # PyTorch's dims count the batch axis
    rank = len(full)
    start, end = ctx.args["start_dim"], ctx.args["end_dim"]
    lo = start + rank if start < 0 else start
    hi = end + rank if end < 0 else end
    for label, value, resolved in (("start_dim", start, lo), ("end_dim", end, hi)):
        if not 0 <= resolved < rank:
            raise Refusal("dim", f"{label} {value} is out of range for a tensor of {rank} dimensions "
                          "(batch included)", f"use a value from {-rank} to {rank - 1}", argument=label)
    if lo > hi:
        raise Refusal("dim", f"start_dim {start} comes after end_dim {end}", "swap them", argument="start_dim")
    if lo == 0:
        raise Refusal("dim", "Flatten with start_dim 0 would merge the batch axis",
                      "use start_dim 1", argument="start_dim")
    merged = full[:lo] + (prod(full[lo:hi + 1]),) + full[hi + 1:]
    output = merged[1:]
    keeps_layout = output == ctx.input_shape
    return Evaluation(output, sources="identity" if keeps_layout else None)


def _linear(ctx: LayerContext) -> Evaluation:
    features = ctx.input_shape[-1]
    in_features = inferred_width(ctx, "in_features", features, "features on its last axis")
    out_features = ctx.args["out_features"]
    leading = prod(ctx.input_shape[:-1])
    params = in_features * out_features + (out_features if ctx.args["bias"] else 0) + parametrization_params(
        ctx, (out_features, in_features))
    return Evaluation((*ctx.input_shape[:-1], out_features), params, leading * in_features * out_features,
                      sources=None)


def layer_types() -> list[LayerType]:
    return [
        LayerType("Flatten", "Linear", None, (
            Argument("start_dim", Kind.DIM, 1), Argument("end_dim", Kind.DIM, -1),
        ), _flatten, "flattens dimensions into one", "nn.Flatten", torch=TorchSpec(aliases_input=True)),
        LayerType("Linear", "Linear", None, (
            int_arg("in_features", inferred=True, help="taken from the previous layer"),
            int_arg("out_features", required=True),
            bool_arg("bias", True),
            *parametrization_arguments(),
        ), _linear, "fully connected layer on the last axis", "nn.Linear",
            torch=TorchSpec(positional=("in_features", "out_features")),
            starting=lambda incoming: {"out_features": incoming[-1] if incoming else 1}),
    ]
