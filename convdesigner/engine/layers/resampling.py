"""Upsample (size or scale factor, nearest and the interpolating modes) and ZeroPad1d/2d/3d."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..arguments import Argument, Kind, per_axis
from ..arithmetic import upsample_output_size
from ..evaluation import Evaluation, LayerContext, Refusal
from ..receptive_field import Resample, Window
from .common import AxisRule, LayerType, TorchSpec, compact, dims_word, layer_plan, per_distinct, require_rank

UPSAMPLE_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "nearest-exact", "area")
#: The interpolating modes and the one spatial rank each accepts.
MODE_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
#: Largest denominator kept when a float scale factor becomes a fraction for the receptive field.
RATIO_DENOMINATOR_LIMIT = 1000


def _upsample_arguments() -> tuple[Argument, ...]:
    return (
        Argument("size", Kind.OPTIONAL_AXES, None, minimum=1, help="the output size, one per axis"),
        Argument("scale_factor", Kind.SCALE, None, help="or the factor, one per axis"),
        Argument("mode", Kind.CHOICE, "nearest", choices=UPSAMPLE_MODES),
        Argument("align_corners", Kind.BOOL, None, help="for the interpolating modes"),
        Argument("recompute_scale_factor", Kind.BOOL, None),
    )


@dataclass(frozen=True)
class UpsamplePlan:
    """What an Upsample layer derives from its arguments alone (see `layer_plan`)."""

    refusal: Refusal | None
    sizes: tuple[int | None, ...] = ()
    scales: tuple[float | None, ...] = ()
    fixed_sources: tuple[Resample | None, ...] = ()  # per axis, when the ratio does not depend on the size


def _upsample_plan(ctx: LayerContext) -> UpsamplePlan:
    args = ctx.args
    size, scale = args["size"], args["scale_factor"]
    mode = args["mode"]
    ndim = ctx.ndim
    if ndim < 1:
        return UpsamplePlan(Refusal("rank", "Upsample needs an input with at least one spatial axis"))
    if (size is None) == (scale is None):
        return UpsamplePlan(Refusal("upsample-size", "Upsample needs exactly one of size and scale_factor",
                                    "give size (the output size) or scale_factor, not both" if size is not None
                                    else "give size or scale_factor", argument="size"))
    if size is not None and args["recompute_scale_factor"]:
        return UpsamplePlan(Refusal("upsample-size", "recompute_scale_factor has no meaning with an explicit "
                                    "size (PyTorch refuses it)", "remove recompute_scale_factor",
                                    argument="recompute_scale_factor"))
    if mode in MODE_RANK and MODE_RANK[mode] != ndim:
        return UpsamplePlan(Refusal(
            "upsample-mode", f"mode '{mode}' works on {dims_word(MODE_RANK[mode])}, but the input has "
            f"{dims_word(ndim)}", {1: "use mode 'linear'", 2: "use mode 'bilinear'", 3: "use mode 'trilinear'"}[ndim],
            argument="mode"))
    align = args["align_corners"]
    if align is not None and mode not in MODE_RANK:
        return UpsamplePlan(Refusal("align-corners", f"align_corners only applies to the interpolating modes, "
                                    f"not '{mode}'", "remove align_corners", argument="align_corners"))
    sizes = per_axis(size, ndim)
    scales = per_axis(scale, ndim)
    fixed = per_distinct(zip(sizes, scales), lambda size_scale: (
        None if size_scale[0] is not None or mode == "area" or align or args["recompute_scale_factor"]
        else _resample_sources(1, 1, None, size_scale[1], mode, False, None)))
    return UpsamplePlan(None, sizes, scales, fixed)


def _upsample(ctx: LayerContext) -> Evaluation:
    plan = layer_plan(ctx, _upsample_plan)
    if plan.refusal is not None:
        raise plan.refusal
    args = ctx.args
    out = []
    sources = []
    for axis, (i, sz, sf, fixed) in enumerate(zip(ctx.spatial, plan.sizes, plan.scales, plan.fixed_sources)):
        o = upsample_output_size(i, sz, sf)
        if o < 1:
            raise Refusal("upsample-size", f"the output size on axis {ctx.axis(axis)} would be {o}: "
                          f"floor({i} × {sf}) is zero", "use a larger scale_factor", axis, "scale_factor")
        out.append(o)
        sources.append(_kernel_shortcut(i, o, args["mode"], ctx.ndim, bool(args["align_corners"])) or fixed
                       or _resample_sources(i, o, sz, sf, args["mode"], bool(args["align_corners"]),
                                            args["recompute_scale_factor"]))
    return Evaluation((ctx.channels, *out), 0, 0, tuple(sources))


#: Output unit u reads input unit u (ratio 1), or u >> 1 (ratio 1/2, nearest).
_COPY = Resample(Fraction(1), "nearest")
_HALVE = Resample(Fraction(1, 2), "nearest")


def _kernel_shortcut(i: int, o: int, mode: str, ndim: int, align: bool) -> Resample | None:
    """Where PyTorch's kernels skip the scale factor on an axis (measured on torch 2.13, docs/torch-rules.md
    §12): the linear modes copy an axis whose output size equals its input size (bicubic does not), and
    the 2-D nearest kernel maps u to u at exactly 1x and to u >> 1 at exactly 2x (the 1-D and 3-D ones do
    not). With the size given the ratio is already 1 or 1/2; with a scale factor it may not be (1.1, 2.04)."""
    if o == i and mode in MODE_RANK and mode != "bicubic" and not align:
        return _COPY
    if mode == "nearest" and ndim == 2 and o in (i, 2 * i):
        return _COPY if o == i else _HALVE
    return None


def _resample_sources(i: int, o: int, size, scale, mode: str, align: bool, recompute) -> Resample:
    """What each output unit reads, for the receptive field: PyTorch maps output y to the input
    coordinate y * r, with r = in/out when the size is given (or the factor recomputed) and
    r = 1/scale_factor otherwise."""
    if mode == "area":
        return Resample(Fraction(i, o), "adaptive")
    if size is not None or recompute:
        ratio = Fraction(i, o)
    else:
        # The nearest short fraction (the float 0.3 means 3/10), with room for factors far below 1.
        factor = Fraction(scale)
        ratio = 1 / factor.limit_denominator(RATIO_DENOMINATOR_LIMIT * max(1, math.ceil(1 / factor)))
    if mode in MODE_RANK:
        kind = "cubic" if mode == "bicubic" else "linear"
        if align:
            return Resample(Fraction(i - 1, o - 1) if o > 1 else Fraction(0), f"aligned-{kind}")
        return Resample(ratio, kind)
    return Resample(ratio, mode)


def _zeropad_rule(ndim: int, type_name: str):
    def evaluate(ctx: LayerContext) -> Evaluation:
        require_rank(ctx, ndim, type_name)
        value = ctx.args["padding"]
        flat = per_axis(value, 2 * ndim)
        # PyTorch's order: (left, right) of the last axis first, then the axis before it, ...
        pairs = [(flat[2 * j], flat[2 * j + 1]) for j in range(ndim)][::-1]
        out = []
        for axis, (i, (lo, hi)) in enumerate(zip(ctx.spatial, pairs)):
            o = i + lo + hi
            if i + min(lo, 0) + min(hi, 0) < 0:
                raise Refusal("zeropad-size", f"padding ({lo}, {hi}) crops more than the {i} units on axis "
                              f"{ctx.axis(axis)} (PyTorch crops before it pads)", "crop less", axis, "padding")
            if o < 1:
                raise Refusal("zeropad-size", f"padding ({lo}, {hi}) crops all of the {i} units on axis "
                              f"{ctx.axis(axis)}", "crop less", axis, "padding")
            out.append(o)
        return Evaluation((ctx.channels, *out), 0, 0, tuple(Window(1, 1, lo, 1) for lo, _ in pairs))

    return evaluate


# -- the sizes scan, the mirror, the export and the app --------------------------------------------------------

def _upsample_axis(ctx: LayerContext, axis: int) -> AxisRule | None:
    args = ctx.args
    if (args["size"] is None) == (args["scale_factor"] is None):
        return None  # refused by the rule: not modelled here
    size, scale = per_axis(args["size"], ctx.ndim)[axis], per_axis(args["scale_factor"], ctx.ndim)[axis]

    def upsample(n: int, sizes: list[int]) -> tuple[int | None, bool]:
        o = upsample_output_size(n, size, scale)
        return (o if o >= 1 else None), False
    return upsample


def _zeropad_axis(ctx: LayerContext, axis: int) -> AxisRule:
    ndim = ctx.ndim
    flat = per_axis(ctx.args["padding"], 2 * ndim)
    lo, hi = flat[2 * (ndim - 1 - axis)], flat[2 * (ndim - 1 - axis) + 1]  # last axis first

    def zeropad(n: int, sizes: list[int]) -> tuple[int | None, bool]:
        o = n + lo + hi
        return (o if o >= 1 and n + min(lo, 0) + min(hi, 0) >= 0 else None), False
    return zeropad


def _mirror_upsample(decoder, r, final: bool) -> None:  # type: ignore[no-untyped-def]
    """An up-sampling comes back as average pooling by the factor when its output is a whole multiple of its
    input on every axis, else as adaptive average pooling to the exact size it saw."""
    seen, made = r.input_shape[1:], r.output_shape[1:]
    ndim = len(seen)
    if seen == made:
        return
    if all(o % i == 0 for i, o in zip(seen, made)):
        decoder.add(f"AvgPool{ndim}d", {"kernel_size": compact(o // i for i, o in zip(seen, made))})
    else:
        decoder.add(f"AdaptiveAvgPool{ndim}d", {"output_size": compact(seen)})


def _mirror_zeropad(decoder, r, final: bool) -> None:  # type: ignore[no-untyped-def]
    """A pad comes back as the crop of the same amounts (ZeroPad with the padding negated), and vice versa."""
    padding = r.layer.get("padding")
    decoder.add(r.layer.type, {"padding": -padding if isinstance(padding, int) else [-v for v in padding]})


def layer_types() -> list[LayerType]:
    types = [LayerType("Upsample", "Up-sampling", None, _upsample_arguments(), _upsample,
                       "up-sampling by size or factor (nearest, linear modes)", "nn.Upsample",
                       axis_rule=_upsample_axis, mirror=_mirror_upsample,
                       starting=lambda incoming: {"scale_factor": 2})]
    for n in (1, 2, 3):
        name = f"ZeroPad{n}d"
        types.append(LayerType(name, "Padding", n,
                               (Argument("padding", Kind.PAD_LIST, None, required=True,
                                         help="int, or (left, right[, top, bottom[, front, back]])"),),
                               _zeropad_rule(n, name), f"{n}-D zero padding (negative values crop)", f"nn.{name}",
                               axis_rule=_zeropad_axis, mirror=_mirror_zeropad,
                               torch=TorchSpec(positional=("padding",), aliases_input=True),
                               starting=lambda incoming: {"padding": 1}))
    return types
