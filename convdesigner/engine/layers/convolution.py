"""Conv1d/2d/3d and ConvTranspose1d/2d/3d."""

from __future__ import annotations

from dataclasses import dataclass

from ..arguments import Argument, Kind, per_axis
from ..arithmetic import (
    conv_output_size,
    conv_relationship,
    equivalent_convolution,
    full_padding,
    same_padding,
    transposed_inverse,
    transposed_output_size,
    transposed_relationship,
)
from ..evaluation import AxisGeometry, Evaluation, LayerContext, Refusal
from ..receptive_field import Scatter, Window
from .common import (
    CONVOLUTION,
    TRANSPOSED,
    AxisRule,
    LayerType,
    TorchSpec,
    axes_arg,
    bool_arg,
    check_groups,
    inferred_width,
    int_arg,
    layer_plan,
    nonzero,
    parametrization_arguments,
    parametrization_params,
    per_distinct,
    require_rank,
    resolve_axes,
    shape_text,
    volume,
)
from .windows import dropped_input, dropped_input_note, may_drop_input, window_axes

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is for type checkers: importing it costs every command ~2 ms
    from typing import Any

PADDING_MODE_CHOICES = ("zeros", "reflect", "replicate", "circular")


def _conv_arguments() -> tuple[Argument, ...]:
    return (
        int_arg("in_channels", inferred=True, help="taken from the previous layer"),
        int_arg("out_channels", required=True),
        axes_arg("kernel_size", required=True),
        axes_arg("stride", 1),
        Argument("padding", Kind.CONV_PADDING, 0,
                 help="an int, one per axis, [low, high] per axis, 'valid', 'same' or 'full'"),
        axes_arg("dilation", 1),
        int_arg("groups", 1),
        bool_arg("bias", True),
        Argument("padding_mode", Kind.CHOICE, "zeros", choices=PADDING_MODE_CHOICES),
        *parametrization_arguments(),
    )


def _transposed_arguments() -> tuple[Argument, ...]:
    return (
        int_arg("in_channels", inferred=True, help="taken from the previous layer"),
        int_arg("out_channels", required=True),
        axes_arg("kernel_size", required=True),
        axes_arg("stride", 1),
        axes_arg("padding", 0, minimum=0),
        axes_arg("output_padding", 0, minimum=0, help="the paper's a: extra units on the high side"),
        int_arg("groups", 1),
        bool_arg("bias", True),
        axes_arg("dilation", 1),
        Argument("padding_mode", Kind.CHOICE, "zeros", choices=("zeros",)),
        *parametrization_arguments(),
    )


def resolve_conv_padding(ctx: LayerContext, kernel: tuple[int, ...], stride: tuple[int, ...],
                         dilation: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """The (low, high) padding per axis of a convolution's ``padding`` argument."""
    value = ctx.args["padding"]
    ndim = ctx.ndim
    if value == "valid":
        return ((0, 0),) * ndim
    if value == "same":
        if any(s != 1 for s in stride):
            raise Refusal("same-padding", "padding='same' needs stride 1 on every axis (PyTorch refuses "
                          "it for strided convolutions)", "set the padding explicitly", argument="padding")
        return tuple(same_padding(k, d) for k, d in zip(kernel, dilation))
    if value == "full":
        return tuple((full_padding(k, d),) * 2 for k, d in zip(kernel, dilation))
    if isinstance(value, int):
        return ((value, value),) * ndim
    return tuple((v[0], v[1]) if isinstance(v, tuple) else (v, v) for v in value)


def _check_padding_mode(ctx: LayerContext, pads: tuple[tuple[int, int], ...]) -> None:
    """PyTorch's limits on padding that copies the input: reflect needs less than the input size on each
    side (it mirrors without repeating the edge), circular at most the input size (it wraps once)."""
    mode = ctx.args["padding_mode"]
    if mode in ("zeros", "replicate"):  # replicate copies the edge unit as often as asked
        return
    for axis, ((lo, hi), i) in enumerate(zip(pads, ctx.spatial)):
        limit_ok = max(lo, hi) < i if mode == "reflect" else max(lo, hi) <= i
        if not limit_ok:
            bound = "smaller than" if mode == "reflect" else "at most"
            raise Refusal(
                "padding-mode",
                f"{mode} padding of {max(lo, hi)} must be {bound} the input size {i} on axis {ctx.axis(axis)}",
                "use less padding or padding_mode 'zeros'",
                axis,
                "padding",
            )


@dataclass(frozen=True)
class ConvPlan:
    """A convolution's per-axis arguments, resolved once per layer (see `layer_plan`)."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    refusal: Refusal | None  # an argument-only problem (padding='same' with a stride)
    sources: tuple[Window, ...]
    relationships: tuple[str, ...]
    kernel_volume: int


def _conv_plan(ctx: LayerContext) -> ConvPlan:
    kernel = resolve_axes(ctx, "kernel_size")
    stride = resolve_axes(ctx, "stride")
    dilation = resolve_axes(ctx, "dilation")
    try:
        pads = resolve_conv_padding(ctx, kernel, stride, dilation)
    except Refusal as refusal:
        return ConvPlan(kernel, stride, dilation, (), refusal, (), (), volume(kernel))
    axes = tuple(zip(kernel, stride, pads, dilation))
    border = ctx.args["padding_mode"]  # reflect, replicate and circular padding copy input units
    return ConvPlan(
        kernel, stride, dilation, pads, None,
        per_distinct(axes, lambda a: Window(a[0], a[1], a[2][0], a[3], border)),
        per_distinct(axes, lambda a: conv_relationship(a[0], a[1], a[2][0], a[2][1], a[3])),
        volume(kernel),
    )


def conv_rule(ndim: int, type_name: str):
    def evaluate(ctx: LayerContext) -> Evaluation:
        require_rank(ctx, ndim, type_name)
        in_channels = inferred_width(ctx, "in_channels", ctx.channels, "channels")
        out_channels = ctx.args["out_channels"]
        groups = check_groups(ctx, in_channels, out_channels)
        plan = layer_plan(ctx, _conv_plan)
        if plan.refusal is not None:
            raise plan.refusal
        if ctx.args["padding_mode"] != "zeros":
            _check_padding_mode(ctx, plan.pads)
        geometry = window_axes(ctx, plan.kernel, plan.stride, plan.pads, plan.dilation, None, plan.relationships)
        out_spatial = tuple([g.o for g in geometry])
        weights = out_channels * (in_channels // groups) * plan.kernel_volume
        params = weights + (out_channels if ctx.args["bias"] else 0) + parametrization_params(
            ctx, (out_channels, in_channels // groups, *plan.kernel))
        macs = volume(out_spatial) * weights
        notes = [n for axis, g in enumerate(geometry) if g.unvisited and (n := dropped_input_note(ctx, g, axis))]
        return Evaluation((out_channels, *out_spatial), params, macs, plan.sources, geometry, notes)

    return evaluate


@dataclass(frozen=True)
class TransposedPlan:
    """A transposed convolution's per-axis arguments, resolved once per layer (see `layer_plan`)."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    sources: tuple[Scatter, ...]
    relationships: tuple[str, ...]
    kernel_volume: int


def _transposed_plan(ctx: LayerContext) -> TransposedPlan:
    kernel = resolve_axes(ctx, "kernel_size")
    stride = resolve_axes(ctx, "stride")
    padding = resolve_axes(ctx, "padding")
    out_pad = resolve_axes(ctx, "output_padding")
    dilation = resolve_axes(ctx, "dilation")
    axes = tuple(zip(kernel, stride, padding, out_pad, dilation))
    return TransposedPlan(
        kernel, stride, padding, out_pad, dilation,
        per_distinct(axes, lambda a: Scatter(a[0], a[1], a[2], a[4])),
        per_distinct(axes, lambda a: transposed_relationship(*a)),
        volume(kernel),
    )


def transposed_rule(ndim: int, type_name: str):
    def evaluate(ctx: LayerContext) -> Evaluation:
        require_rank(ctx, ndim, type_name)
        in_channels = inferred_width(ctx, "in_channels", ctx.channels, "channels")
        out_channels = ctx.args["out_channels"]
        groups = check_groups(ctx, in_channels, out_channels)
        plan = layer_plan(ctx, _transposed_plan)
        geometry: list[AxisGeometry] = []
        for axis, (i, k, s, p, a, d, rel) in enumerate(zip(
                ctx.spatial, plan.kernel, plan.stride, plan.padding, plan.output_padding, plan.dilation,
                plan.relationships)):
            if geometry:
                g = geometry[-1]
                if (g.i, g.k, g.s, g.p_low, g.a, g.d) == (i, k, s, p, a, d):
                    geometry.append(g)  # an axis like the one before it shares its (immutable) geometry
                    continue
            if a >= max(s, d):
                raise Refusal(
                    "output-padding",
                    f"output_padding {a} must be smaller than the stride {s} or the dilation {d} on axis "
                    f"{ctx.axis(axis)}",
                    f"use an output_padding of at most {max(s, d) - 1}",
                    axis,
                    "output_padding",
                )
            o = transposed_output_size(i, k, s, p, a, d)
            if o < 1:
                raise Refusal(
                    "transposed-size",
                    f"padding {p} crops the whole output on axis {ctx.axis(axis)}: "
                    f"(i' - 1)s - 2p + d(k - 1) + a + 1 = {o}",
                    f"use a padding of at most {(transposed_output_size(i, k, s, 0, a, d) - 1) // 2}",
                    axis,
                    "padding",
                )
            geometry.append(AxisGeometry(i, k, s, p, p, d, o, a, True, False, 0, rel,
                                         equivalent_convolution(i, k, s, p, a, d)))
        out_spatial = tuple([g.o for g in geometry])
        weights = in_channels * (out_channels // groups) * plan.kernel_volume
        # The weight is (in, out / groups, *kernel): weight_norm's dim 0 is the input channel.
        params = weights + (out_channels if ctx.args["bias"] else 0) + parametrization_params(
            ctx, (in_channels, out_channels // groups, *plan.kernel))
        macs = volume(ctx.spatial) * weights
        return Evaluation((out_channels, *out_spatial), params, macs, plan.sources, tuple(geometry))

    return evaluate


# -- the sizes scan, the mirror, the export and the app --------------------------------------------------------

def _conv_axis(ctx: LayerContext, axis: int) -> AxisRule:
    """Relationship 6 in PyTorch's form on one axis, with the stride's dropped units (the sizes scan). Padding
    that copies the input (reflect, circular) needs enough input: sizes up to the padding are left to the rule."""
    kernel, stride, dilation = (per_axis(ctx.args[key], ctx.ndim) for key in ("kernel_size", "stride", "dilation"))
    lo, hi = resolve_conv_padding(ctx, kernel, stride, dilation)[axis]
    k, s, d = kernel[axis], stride[axis], dilation[axis]
    least = 1 if ctx.args["padding_mode"] in ("zeros", "replicate") else max(lo, hi) + 1
    drops = may_drop_input(k, s, lo, hi, d)

    def conv(sizes: list[int], operands: list[list[int]]) -> tuple[list[int | None], list[bool] | None]:
        outs = [o if n >= least and (o := conv_output_size(n, k, s, lo, hi, d)) >= 1 else None for n in sizes]
        return outs, ([dropped_input(n, k, s, lo, hi, d) > 0 for n in sizes] if drops else None)
    return conv


def _transposed_axis(ctx: LayerContext, axis: int) -> AxisRule:
    """Relationship 14 in PyTorch's form on one axis (the sizes scan)."""
    k, s, p, a, d = (per_axis(ctx.args[key], ctx.ndim)[axis]
                     for key in ("kernel_size", "stride", "padding", "output_padding", "dilation"))

    def transposed(sizes: list[int], operands: list[list[int]]) -> tuple[list[int | None], list[bool] | None]:
        return [o if (o := transposed_output_size(n, k, s, p, a, d)) >= 1 else None for n in sizes], None
    return transposed


def _mirror_convolution(decoder, r, final: bool) -> None:  # type: ignore[no-untyped-def]
    """A convolution comes back as the transposed convolution with the same kernel, stride, dilation and groups
    and the output padding of relationship 14 for the exact size it saw (asymmetric padding: a crop after)."""
    ndim = len(r.input_shape) - 1
    layer = r.layer
    inverses = [transposed_inverse(g.i, g.k, g.s, g.p_low, g.p_high, g.d) for g in r.geometry]
    decoder.add(f"ConvTranspose{ndim}d", {
        "out_channels": r.input_shape[0],
        "kernel_size": layer.get("kernel_size"),
        "stride": layer.get("stride"),
        "padding": nonzero(x.padding for x in inverses),
        "output_padding": nonzero(x.output_padding for x in inverses),
        "groups": layer.get("groups"),
        "bias": None if final else layer.get("bias"),
        "dilation": layer.get("dilation"),
    })
    decoder.crop(ndim, [(x.crop_low, x.crop_high) for x in inverses])


def _mirror_transposed(decoder, r, final: bool) -> None:  # type: ignore[no-untyped-def]
    """A transposed convolution comes back as the convolution with the same arguments (and a crop of what a
    large output padding added beyond what the convolution returns)."""
    ndim = len(r.input_shape) - 1
    layer = r.layer
    decoder.add(f"Conv{ndim}d", {
        "out_channels": r.input_shape[0],
        "kernel_size": layer.get("kernel_size"),
        "stride": layer.get("stride"),
        "padding": layer.get("padding"),
        "dilation": layer.get("dilation"),
        "groups": layer.get("groups"),
        "bias": None if final else layer.get("bias"),
    })
    crops = []
    for g, o in zip(r.geometry, r.output_shape[1:]):
        back = conv_output_size(o, g.k, g.s, g.p_low, g.p_low, g.d)
        crops.append((0, back - g.i))
    decoder.crop(ndim, crops)


def _starting(incoming: tuple[int, ...] | None) -> dict[str, Any]:
    return {"out_channels": incoming[0] if incoming else 1, "kernel_size": 3}


TORCH = TorchSpec(positional=("in_channels", "out_channels"))


def layer_types() -> list[LayerType]:
    types = []
    for n in (1, 2, 3):
        name = f"Conv{n}d"
        types.append(LayerType(name, "Convolution", n, _conv_arguments(), conv_rule(n, name),
                               f"{n}-D convolution (set dilation for a dilated convolution)", f"nn.{name}",
                               window=CONVOLUTION, axis_rule=_conv_axis, mirror=_mirror_convolution, torch=TORCH,
                               starting=_starting))
    for n in (1, 2, 3):
        name = f"ConvTranspose{n}d"
        types.append(LayerType(name, "Transposed convolution", n, _transposed_arguments(),
                               transposed_rule(n, name), f"{n}-D transposed convolution", f"nn.{name}",
                               window=TRANSPOSED, axis_rule=_transposed_axis, mirror=_mirror_transposed,
                               torch=TORCH, starting=_starting))
    return types


__all__ = ["layer_types", "resolve_conv_padding", "shape_text"]
