"""Layers that keep the shape: normalisation, activations, dropout."""

from __future__ import annotations

from math import gcd, prod

from ..arguments import Argument, Kind, sizes_of
from ..evaluation import IDENTITY, Evaluation, LayerContext, Note, Refusal
from ..receptive_field import AxisSources, Window
from .common import (
    AxisRule,
    LayerType,
    TorchSpec,
    bool_arg,
    dims_word,
    float_arg,
    identity_axis,
    inferred_width,
    int_arg,
    shape_text,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is for type checkers: importing it costs every command ~2 ms
    from typing import Any


def _norm_arguments(affine: bool, track: bool) -> tuple[Argument, ...]:
    return (
        int_arg("num_features", inferred=True, help="taken from the previous layer"),
        float_arg("eps", 1e-5, minimum=0.0),
        float_arg("momentum", 0.1, minimum=0.0, maximum=1.0),
        bool_arg("affine", affine),
        bool_arg("track_running_stats", track),
    )


def _norm_rule(ndim: int, type_name: str):
    # BatchNorm1d takes (N, C) or (N, C, L); the others exactly (N, C, *spatial) with their rank.
    ranks = (0, 1) if type_name == "BatchNorm1d" else (ndim,)

    def evaluate(ctx: LayerContext) -> Evaluation:
        if ctx.ndim not in ranks:
            raise Refusal("rank", f"{type_name} needs an input with channels and {dims_word(ndim)}, but it "
                          f"receives {shape_text(ctx.input_shape)}",
                          f"use {type_name[:-2]}{ctx.ndim}d" if 1 <= ctx.ndim <= 3 else None)
        affine, tracking = ctx.args["affine"], ctx.args["track_running_stats"]
        notes = []
        given = ctx.args.get("num_features")
        if affine or tracking:
            channels = inferred_width(ctx, "num_features", ctx.channels, "channels")
        else:
            # Without affine weights or running statistics PyTorch never reads num_features.
            channels = ctx.channels
            if given is not None and given != channels:
                notes.append(Note("width", f"num_features is {given} but the incoming tensor has {channels} "
                                  "channels (unused here: affine and track_running_stats are off)",
                                  f"remove num_features, or set it to {channels}"))
        if type_name.startswith("BatchNorm") and not ctx.args["eps"] > 0:
            raise Refusal("eps", f"{type_name}'s eps must be positive, not {ctx.args['eps']} (PyTorch refuses it "
                          "when training: batch_norm divides by sqrt(variance + eps))", "use the default 1e-05",
                          argument="eps")
        instance = type_name.startswith("InstanceNorm")
        if instance and prod(ctx.spatial) == 1:
            raise Refusal("instance-norm-size", f"{type_name} needs more than one spatial unit per channel, but "
                          f"it receives {shape_text(ctx.input_shape)} (PyTorch refuses it when training)",
                          "normalise before the last down-sampling layer, or use GroupNorm")
        # InstanceNorm normalises by each sample's statistics over every spatial unit (in eval too, unless it
        # keeps running statistics): each output unit reads them all. BatchNorm in eval reads its own unit.
        sources = _whole_axes(ctx, range(ctx.ndim)) if instance and not tracking else IDENTITY
        return Evaluation(ctx.input_shape, 2 * channels if affine else 0, notes=notes, sources=sources)

    return evaluate


def _groupnorm(ctx: LayerContext) -> Evaluation:
    affine = ctx.args["affine"]
    groups = ctx.args["num_groups"]
    given = ctx.args.get("num_channels")
    notes = []
    if affine:
        channels = inferred_width(ctx, "num_channels", ctx.channels, "channels")
    else:
        # Without affine weights PyTorch checks num_channels only against num_groups.
        channels = ctx.channels
        if given is not None and given % groups:
            raise Refusal("groups", f"num_groups ({groups}) must divide num_channels ({given})",
                          "remove num_channels to infer it", argument="num_groups")
        if given is not None and given != channels:
            notes.append(Note("width", f"num_channels is {given} but the incoming tensor has {channels} channels "
                              "(unused here: affine is off)", f"remove num_channels, or set it to {channels}"))
    if channels % groups:
        raise Refusal("groups", f"num_groups ({groups}) must divide the {channels} channels",
                      "choose a divisor of the channel count", argument="num_groups")
    # by each group's statistics over every spatial unit: each output unit reads them all
    evaluation = Evaluation(ctx.input_shape, 2 * channels if affine else 0, notes=notes,
                            sources=_whole_axes(ctx, range(ctx.ndim)))
    if channels // groups * prod(ctx.spatial) == 1:
        evaluation.notes.append(Note("group-size", "each group holds a single value per sample, so the "
                                     "normalised output is all zeros (PyTorch refuses a batch of one sample)",
                                     "use fewer groups, or normalise where the tensor is larger"))
    return evaluation


def _layernorm(ctx: LayerContext) -> Evaluation:
    """nn.LayerNorm(normalized_shape): normalises over the trailing dimensions that normalized_shape names
    (the input must end with them). Left out, it is the feature width of a tensor without spatial axes
    (after Flatten or Linear). Each output unit reads every unit of the normalised spatial axes."""
    given = ctx.args["normalized_shape"]
    if given is None:
        if ctx.ndim:
            raise Refusal("layer-norm", f"LayerNorm needs normalized_shape on a tensor with spatial axes "
                          f"({shape_text(ctx.input_shape)})", f"give normalized_shape, e.g. {list(ctx.input_shape)} "
                          "for the whole sample", argument="normalized_shape")
        given = ctx.input_shape
    sizes = sizes_of(given)
    if -1 in sizes:
        raise Refusal("layer-norm", "normalized_shape cannot infer a size (-1)", "give every size",
                      argument="normalized_shape")
    if len(sizes) > len(ctx.input_shape) or ctx.input_shape[len(ctx.input_shape) - len(sizes):] != sizes:
        raise Refusal("layer-norm", f"normalized_shape {shape_text(sizes)} must be the last dimensions of the "
                      f"incoming tensor {shape_text(ctx.input_shape)} (the batch left out)",
                      f"use {list(ctx.input_shape[-len(sizes):]) if len(sizes) <= len(ctx.input_shape) else list(ctx.input_shape)}",
                      argument="normalized_shape")
    count = prod(sizes)
    params = (count * (2 if ctx.args["bias"] else 1)) if ctx.args["elementwise_affine"] else 0
    first = len(ctx.input_shape) - len(sizes)  # the first normalised dimension (0: the channels)
    return Evaluation(ctx.input_shape, params, sources=_whole_axes(ctx, range(max(first - 1, 0), ctx.ndim)))


def _whole_axes(ctx: LayerContext, axes: range) -> tuple[AxisSources, ...] | str:
    """The sources of a layer whose output unit reads every unit of the given spatial axes (a normalisation
    over them) and only its own position on the others; IDENTITY when it normalises no spatial axis."""
    if not axes or not ctx.ndim:
        return IDENTITY
    return tuple(Window(n, 0, 0) if axis in axes else Window(1, 1, 0) for axis, n in enumerate(ctx.spatial))


def _same_shape(ctx: LayerContext) -> Evaluation:
    return Evaluation(ctx.input_shape)


def _dropout_rule(ndim: int, type_name: str):
    def evaluate(ctx: LayerContext) -> Evaluation:
        if ctx.ndim != ndim:
            raise Refusal("rank", f"{type_name} drops whole channels of an input with {dims_word(ndim)}, "
                          f"but it receives {shape_text(ctx.input_shape)}", "use Dropout")
        return Evaluation(ctx.input_shape)

    return evaluate


def _softmax(ctx: LayerContext) -> Evaluation:
    dim = ctx.args["dim"]
    rank = len(ctx.input_shape) + 1  # with the batch axis
    if dim is not None and not -rank <= dim < rank:
        raise Refusal("dim", f"dim {dim} is out of range for a tensor of {rank} dimensions (batch included)",
                      f"use a dim from {-rank} to {rank - 1}", argument="dim")
    axis = dim % rank - 2 if dim is not None else -1  # the spatial axis it normalises over (torch's dim counts the batch)
    evaluation = Evaluation(ctx.input_shape, sources=_whole_axes(ctx, range(axis, axis + 1) if axis >= 0 else range(0)))
    if dim is None:
        implicit = 0 if rank in (0, 1, 3) else 1
        evaluation.notes.append(Note("softmax-dim", f"no dim given: PyTorch picks dim {implicit} for a "
                                     f"{rank}-dimensional input and warns that this is deprecated",
                                     "set dim explicitly (1 for channels)"))
    return evaluation


def _softmax2d(ctx: LayerContext) -> Evaluation:
    """nn.Softmax2d takes a 3-D or 4-D tensor (batch included) and normalises over dim -3: the channels of an
    image, but the batch axis of a 1-D signal."""
    if ctx.ndim not in (1, 2):
        raise Refusal("rank", f"Softmax2d needs an input of 3 or 4 dimensions (batch included), but it receives "
                      f"{shape_text(ctx.input_shape)} ({len(ctx.input_shape) + 1} dimensions)",
                      "use Softmax with dim=1")
    evaluation = Evaluation(ctx.input_shape)
    if ctx.ndim == 1:
        evaluation.notes.append(Note("softmax-dim", "Softmax2d normalises over dim -3, which for a 1-D signal "
                                     "is the batch axis, not the channels", "use Softmax with dim=1"))
    return evaluation


def _prelu(ctx: LayerContext) -> Evaluation:
    """nn.PReLU learns num_parameters slopes: one shared, or one per channel (dim 1, batch included)."""
    count = ctx.args["num_parameters"]
    if count not in (1, ctx.channels):
        raise Refusal("width", f"num_parameters is {count} but the incoming tensor has {ctx.channels} channels "
                      "(PReLU takes 1 shared slope or one per channel)",
                      f"set num_parameters to 1 or {ctx.channels}", argument="num_parameters")
    return Evaluation(ctx.input_shape, count)


INPLACE = bool_arg("inplace", False)
PROBABILITY = float_arg("p", 0.5, minimum=0.0, maximum=1.0)

ACTIVATIONS: tuple[tuple[str, tuple[Argument, ...], str], ...] = (
    ("ReLU", (INPLACE,), "max(0, x)"),
    ("ReLU6", (INPLACE,), "min(max(0, x), 6)"),
    ("LeakyReLU", (float_arg("negative_slope", 0.01), INPLACE), "x, or slope times x below zero"),
    ("ELU", (float_arg("alpha", 1.0), INPLACE), "exponential linear unit"),
    ("GELU", (Argument("approximate", Kind.CHOICE, "none", choices=("none", "tanh")),), "Gaussian error linear unit"),
    ("SiLU", (INPLACE,), "x times sigmoid(x)"),
    ("Sigmoid", (), "logistic function"),
    ("Tanh", (), "hyperbolic tangent"),
    ("Softmax", (Argument("dim", Kind.DIM, None),), "softmax along one dimension"),
    ("LogSoftmax", (Argument("dim", Kind.DIM, None),), "log of the softmax along one dimension"),
    ("Softmax2d", (), "softmax over the channels at every position"),
    ("Hardswish", (INPLACE,), "x times relu6(x + 3) / 6"),
    ("Mish", (INPLACE,), "x times tanh(softplus(x))"),
    ("PReLU", (int_arg("num_parameters", 1), float_arg("init", 0.25)),
     "x, or a learnt slope times x below zero (one slope, or one per channel)"),
    ("Identity", (), "passes its input on unchanged"),
)
#: The rules of the activations that check more than the shape.
ACTIVATION_RULES = {"Softmax": _softmax, "LogSoftmax": _softmax, "Softmax2d": _softmax2d, "PReLU": _prelu}


def _slopes_for(args: dict[str, Any], channels: int) -> dict[str, Any]:
    """A decoder's PReLU with one slope per channel has as many slopes as its channels."""
    return args if args.get("num_parameters", 1) == 1 else {**args, "num_parameters": channels}


def _groups_for(args: dict[str, Any], channels: int) -> dict[str, Any]:
    """A decoder's GroupNorm runs where the channels may differ: groups that divide them."""
    return {**args, "num_groups": gcd(args["num_groups"], channels)}


POINTWISE = {"pointwise": True, "axis_rule": identity_axis}


def _instance_axis(ctx: LayerContext, axis: int) -> AxisRule:
    """InstanceNorm keeps the size but refuses a single spatial unit: a size of 1 is left to the rule (the
    other axes decide)."""
    return lambda sizes, operands: ([n if n > 1 else None for n in sizes], None)


def _layernorm_axis(ctx: LayerContext, axis: int) -> AxisRule:
    """LayerNorm keeps the size; where normalized_shape covers the axis, only its size there is accepted (the
    rule words the others)."""
    given = ctx.args["normalized_shape"]
    normalized = sizes_of(given) if given is not None else ()
    covered = len(normalized) - (ctx.ndim - axis)  # the axis's place in normalized_shape, when not negative
    if covered < 0:
        return identity_axis(ctx, axis)
    wanted = normalized[covered]
    return lambda sizes, operands: ([n if n == wanted else None for n in sizes], None)


def layer_types() -> list[LayerType]:
    types = []
    for n in (1, 2, 3):
        name = f"BatchNorm{n}d"
        types.append(LayerType(name, "Normalisation", n, _norm_arguments(True, True), _norm_rule(n, name),
                               f"batch normalisation over {dims_word(n)}", f"nn.{name}", **POINTWISE,
                               torch=TorchSpec(positional=("num_features",))))
    for n in (1, 2, 3):
        name = f"InstanceNorm{n}d"
        types.append(LayerType(name, "Normalisation", n, _norm_arguments(False, False), _norm_rule(n, name),
                               f"instance normalisation over {dims_word(n)}", f"nn.{name}",
                               **{**POINTWISE, "axis_rule": _instance_axis},
                               torch=TorchSpec(positional=("num_features",))))
    types.append(LayerType("GroupNorm", "Normalisation", None, (
        int_arg("num_groups", required=True),
        int_arg("num_channels", inferred=True, help="taken from the previous layer"),
        float_arg("eps", 1e-5, minimum=0.0),
        bool_arg("affine", True),
    ), _groupnorm, "group normalisation", "nn.GroupNorm", **POINTWISE, copy_arguments=_groups_for,
        torch=TorchSpec(positional=("num_groups", "num_channels")), starting=lambda incoming: {"num_groups": 1}))
    types.append(LayerType("LayerNorm", "Normalisation", None, (
        Argument("normalized_shape", Kind.SHAPE, None, inferred=True,
                 help="the trailing sizes to normalise over; after Flatten or Linear, the feature width"),
        float_arg("eps", 1e-5, minimum=0.0),
        bool_arg("elementwise_affine", True),
        bool_arg("bias", True),
    ), _layernorm, "layer normalisation over the trailing dimensions", "nn.LayerNorm",
        **{**POINTWISE, "axis_rule": _layernorm_axis},
        torch=TorchSpec(positional=("normalized_shape",)),
        starting=lambda incoming: {"normalized_shape": list(incoming)} if incoming and len(incoming) > 1 else {}))
    for name, args, summary in ACTIVATIONS:
        positional = {"LeakyReLU": ("negative_slope",), "PReLU": ("num_parameters",)}.get(name, ())
        # Softmax2d is offered for images: on a 1-D signal PyTorch normalises over the batch (a warning).
        types.append(LayerType(name, "Activation", 2 if name == "Softmax2d" else None, args, ACTIVATION_RULES.get(name, _same_shape), summary,
                               f"nn.{name}", **POINTWISE,
                               torch=TorchSpec(positional=positional, aliases_input=name == "Identity"),
                               copy_arguments=_slopes_for if name == "PReLU" else None))
    dropout = TorchSpec(positional=("p",), aliases_input=True)
    types.append(LayerType("Dropout", "Dropout", None, (PROBABILITY, INPLACE), _same_shape,
                           "zeroes random units while training", "nn.Dropout", **POINTWISE, torch=dropout))
    for n in (1, 2, 3):
        name = f"Dropout{n}d"
        types.append(LayerType(name, "Dropout", n, (PROBABILITY, INPLACE), _dropout_rule(n, name),
                               "zeroes random whole channels while training", f"nn.{name}", **POINTWISE,
                               torch=dropout))
    return types
