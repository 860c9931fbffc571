"""Upsample (a size, a scale factor or another layer's size, nearest and the interpolating modes), CenterCrop
(to another layer's size) and the pad layers: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad and
CircularPad, 1-D to 3-D."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..arguments import Argument, Kind, per_axis
from ..arithmetic import upsample_output_size
from ..evaluation import Evaluation, LayerContext, Refusal
from ..receptive_field import BORDERS, Resample, Window, border_source
from .common import (
    AxisRule,
    LayerType,
    TorchSpec,
    compact,
    dims_word,
    float_arg,
    layer_plan,
    per_distinct,
    referenced_size,
    require_rank,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is for type checkers: importing it costs every command ~2 ms
    from typing import Any

    from .common import CopyRule, Starting

UPSAMPLE_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "nearest-exact", "area")
#: The interpolating modes and the one spatial rank each accepts.
MODE_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
#: Largest denominator kept when a float scale factor becomes a fraction for the receptive field.
RATIO_DENOMINATOR_LIMIT = 1000


def _upsample_arguments() -> tuple[Argument, ...]:
    return (
        Argument("size", Kind.OPTIONAL_AXES, None, minimum=1, help="the output size, one per axis"),
        Argument("scale_factor", Kind.SCALE, None, help="or the factor, one per axis"),
        Argument("size_from", Kind.LAYER, None, constructor=False,
                 help="or the spatial size of an earlier layer's output (F.interpolate to it)"),
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
    size, scale, size_from = args["size"], args["scale_factor"], args["size_from"]
    mode = args["mode"]
    ndim = ctx.ndim
    if ndim < 1:
        return UpsamplePlan(Refusal("rank", "Upsample needs an input with at least one spatial axis"))
    if size is not None and size_from is not None:
        return UpsamplePlan(Refusal("upsample-size", f"size_from ({size_from}) gives the output size, so size "
                                    "cannot be given too", "remove size or size_from", argument="size"))
    given = size if size is not None else size_from
    if (given is None) == (scale is None):
        return UpsamplePlan(Refusal("upsample-size", "Upsample needs exactly one of size (or size_from) and "
                                    "scale_factor", "give the size or scale_factor, not both" if given is not None
                                    else "give size, size_from or scale_factor", argument="size"))
    if given is not None and args["recompute_scale_factor"]:
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
        None if size_scale[1] is None or mode == "area" or align or args["recompute_scale_factor"]
        else _resample_sources(1, 1, None, size_scale[1], mode, False, None)))
    return UpsamplePlan(None, sizes, scales, fixed)


def _upsample(ctx: LayerContext) -> Evaluation:
    plan = layer_plan(ctx, _upsample_plan)
    if plan.refusal is not None:
        raise plan.refusal
    args = ctx.args
    out = []
    sources = []
    sizes = referenced_size(ctx, "Upsample")[1] if args["size_from"] is not None else plan.sizes
    for axis, (i, sz, sf, fixed) in enumerate(zip(ctx.spatial, sizes, plan.scales, plan.fixed_sources)):
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


def _center_crop(ctx: LayerContext) -> Evaluation:
    """U-Net's crop before concatenating: each spatial axis cut to the size of ``size_from``'s output, the
    low side losing (n - r) // 2 and the high side the rest; each output unit reads the input unit that far
    along (a window of one shifted by the offset)."""
    reference, size = referenced_size(ctx, "CenterCrop")
    sources = []
    for axis, (n, r) in enumerate(zip(ctx.spatial, size)):
        if n < r:
            raise Refusal("crop-size", f"axis {ctx.axis(axis)} has {n} units, fewer than the {r} of {reference.name} "
                          "that it is cropped to", f"crop to a layer of at most {n} units on axis {ctx.axis(axis)}, "
                          "or crop the other tensor instead", axis, "size_from")
        sources.append(Window(1, 1, -((n - r) // 2)))
    return Evaluation((ctx.channels, *size), 0, 0, tuple(sources))


def center_crop_pads(n: int, r: int) -> tuple[int, int]:
    """What a CenterCrop from n units to r takes off the low and the high side."""
    return (n - r) // 2, n - r - (n - r) // 2


#: The pad layers by what their padded cells hold (F.pad's mode): ZeroPad and ConstantPad fill a value,
#: the others copy an input unit (mirrored without the edge, the edge repeated, or wrapped around).
PAD_TYPES = {"ZeroPad": "zeros", "ConstantPad": "constant", "ReflectionPad": "reflect",
             "ReplicationPad": "replicate", "CircularPad": "circular"}


def pad_problem(mode: str, i: int, lo: int, hi: int, where: str = "") -> tuple[str, str, str] | None:
    """Why PyTorch (or the engine, for an empty output) refuses padding (lo, hi) of an axis of i units in
    that mode, as (rule, message, suggestion), the axis named by ``where``; None when it pads. Negative values
    crop first (docs/torch-rules.md, section 13)."""
    cropped = i + min(lo, 0) + min(hi, 0)
    if mode == "reflect" and max(lo, hi) >= i:
        return ("padding-mode", f"reflect padding of {max(lo, hi)} must be smaller than the input size {i}{where} "
                "(it mirrors without repeating the edge unit)", f"pad by at most {i - 1}")
    if mode in ("zeros", "constant", "circular") and cropped < 0:
        return ("pad-size", f"padding ({lo}, {hi}) crops more than the {i} units{where} "
                "(PyTorch crops before it pads)",
                "crop less")
    if mode == "circular" and max(lo, hi) > cropped:
        left = "" if cropped == i else " left after cropping"
        return ("padding-mode", f"circular padding of {max(lo, hi)} wraps around more than once: at most the "
                f"{cropped} units{left}{where}", f"pad by at most {cropped}")
    if i + lo + hi < 1:
        return ("pad-size", f"padding ({lo}, {hi}) crops all of the {i} units{where}", "crop less")
    return None


def pad_pairs(padding, ndim: int) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """A pad layer's (low, high) per axis, first axis first, from PyTorch's order (the last axis first)."""
    flat = per_axis(padding, 2 * ndim)
    return [(flat[2 * j], flat[2 * j + 1]) for j in range(ndim)][::-1]


def _pad_sources(mode: str, i: int, lo: int, hi: int) -> Window:
    """What each unit of a pad layer's output reads on one axis: the input unit ``lo`` before it, a padded cell
    the unit it copies (reflect, replicate, circular: receptive_field.border_source) or none (a value). Circular
    padding that crops one side wraps what is left (PyTorch crops first), the window's ``extent``."""
    if mode not in BORDERS:
        return Window(1, 1, lo, 1, "zeros")
    if mode == "circular" and min(lo, hi) < 0:
        return Window(1, 1, lo, 1, mode, (max(0, -lo), i + min(lo, 0) + min(hi, 0)))
    return Window(1, 1, lo, 1, mode)


def _pad_rule(ndim: int, type_name: str, mode: str):
    def evaluate(ctx: LayerContext) -> Evaluation:
        require_rank(ctx, ndim, type_name)
        pairs = pad_pairs(ctx.args["padding"], ndim)
        out = []
        for axis, (i, (lo, hi)) in enumerate(zip(ctx.spatial, pairs)):
            problem = pad_problem(mode, i, lo, hi, f" on axis {ctx.axis(axis)}")
            if problem is not None:
                rule, message, suggestion = problem
                raise Refusal("zeropad-size" if mode == "zeros" else rule, message, suggestion, axis, "padding")
            out.append(i + lo + hi)
        return Evaluation((ctx.channels, *out), 0, 0, tuple(
            _pad_sources(mode, i, lo, hi) for i, (lo, hi) in zip(ctx.spatial, pairs)))

    return evaluate


@dataclass(frozen=True)
class PadAxis:
    """One axis of a pad layer as copies: ``size`` input units padded by ``low`` and ``high`` (negative: cropped)
    in F.pad's ``mode``. Output unit y holds input unit `source` (y), measured against F.pad on torch 2.13
    (tests/engine/test_pad_copies.py): reflect and replicate index the input as given, circular wraps the units
    left after cropping (docs/torch-rules.md, section 13)."""

    size: int
    low: int
    high: int
    mode: str

    @property
    def copying(self) -> bool:
        """Whether a padded cell holds a copy of an input unit (else the constant)."""
        return self.mode in ("reflect", "replicate", "circular")

    @property
    def out(self) -> int:
        return self.size + self.low + self.high

    def _frame(self) -> tuple[int, int, int]:
        """(first input unit of the reference, units in it, output unit of its first unit)."""
        if self.mode == "circular":
            first = max(0, -self.low)
            return first, self.size - first - max(0, -self.high), max(0, self.low)
        return 0, self.size, self.low

    def source(self, y: int) -> int | None:
        """The input unit output unit ``y`` holds (None: the constant of zero or constant padding)."""
        first, n, at = self._frame()
        z = y - at
        if 0 <= z < n:
            return first + z
        copied = border_source(z, n, self.mode)
        return None if copied is None else first + copied

    def kept(self) -> range:
        """The output units that are input units in place (the rest are padding)."""
        _first, n, at = self._frame()
        return range(max(0, at), min(self.out, at + n))

    def holders(self, x: int) -> list[range]:
        """The output units that hold input unit ``x``: where it stays and the padded cells that copy it (a
        replicated edge fills a whole side: a range; a reflection or a wrap adds at most one unit a side)."""
        first, n, at = self._frame()
        z = x - first
        if self.mode == "replicate":
            found = [range(at + z, at + z + 1)] if 0 <= z < n and 0 <= at + z < self.out else []
            if x == 0:
                found.append(range(0, min(self.low, self.out)))
            if x == self.size - 1:
                found.append(range(max(0, self.low + self.size), self.out))
            return sorted((r for r in found if r), key=lambda r: r.start)
        candidates = {z, -z, 2 * (n - 1) - z} if self.mode == "reflect" else {z, z - n, z + n}
        return [range(at + c, at + c + 1) for c in sorted(candidates) if 0 <= at + c < self.out
                and self.source(at + c) == x]


@dataclass(frozen=True)
class PadCopies:
    """A pad layer as copies, per axis (`PadAxis`; the first spatial axis first): output cell (y, ...) of each
    channel holds input cell (source per axis), or ``value`` where any axis pads with a constant."""

    axes: tuple[PadAxis, ...]
    value: float

    @property
    def step_shape(self) -> tuple[int, ...]:
        """The output's spatial shape: the canvas steps through its cells."""
        return tuple(a.out for a in self.axes)

    #: The input channels one output channel reads: its own.
    shown_channels = 1

    def source(self, output: tuple[int, ...]) -> tuple[int, ...] | None:
        """The input element (channel, spatial...) output element ``output`` holds (None: the constant)."""
        found = tuple(a.source(y) for a, y in zip(self.axes, output[1:]))
        return None if None in found else (output[0], *found)  # type: ignore[return-value]

    def element(self, step_cell: tuple[int, ...]) -> tuple[int, ...]:
        """The output element (channel, spatial...) a step produces: the step's cell of the first channel."""
        return (0, *step_cell)


def _pad_copies(mode: str) -> CopyRule:
    def copies(layer, incoming: tuple[int, ...], outgoing: tuple[int, ...]) -> PadCopies:  # type: ignore[no-untyped-def]
        pairs = pad_pairs(layer.get("padding"), len(incoming) - 1)
        return PadCopies(tuple(PadAxis(i, lo, hi, mode) for i, (lo, hi) in zip(incoming[1:], pairs)),
                         float(layer.get("value") or 0.0) if mode == "constant" else 0.0)
    return copies


def _center_crop_copies(layer, incoming: tuple[int, ...], outgoing: tuple[int, ...]) -> PadCopies:  # type: ignore[no-untyped-def]
    """A crop is an offset selection: the pad copy view with the padding negated, what `center_crop_pads` takes
    off each side of the incoming size to reach the output size the analysis found (``size_from``'s)."""
    return PadCopies(tuple(PadAxis(n, -lo, -hi, "zeros") for n, r in zip(incoming[1:], outgoing[1:])
                           for lo, hi in (center_crop_pads(n, r),)), 0.0)


# -- the sizes scan, the mirror, the export and the app --------------------------------------------------------

def _upsample_axis(ctx: LayerContext, axis: int) -> AxisRule | None:
    args = ctx.args
    if (args["size"] is None) == (args["scale_factor"] is None):
        return None  # refused by the rule, or the size of another layer (size_from): not modelled here
    size, scale = per_axis(args["size"], ctx.ndim)[axis], per_axis(args["scale_factor"], ctx.ndim)[axis]

    def upsample(sizes: list[int], operands: list[list[int]]) -> tuple[list[int | None], list[bool] | None]:
        return [o if (o := upsample_output_size(n, size, scale)) >= 1 else None for n in sizes], None
    return upsample


def _pad_axis(mode: str):
    def build(ctx: LayerContext, axis: int) -> AxisRule:
        lo, hi = pad_pairs(ctx.args["padding"], ctx.ndim)[axis]

        def pad(sizes: list[int], operands: list[list[int]]) -> tuple[list[int | None], list[bool] | None]:
            return [None if pad_problem(mode, n, lo, hi) else n + lo + hi for n in sizes], None
        return pad
    return build


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


def _mirror_pad(decoder, r, final: bool) -> None:  # type: ignore[no-untyped-def]
    """A pad (of any mode) comes back as the crop of the same amounts (ZeroPad with the padding negated), and a
    crop as zero padding."""
    padding = r.layer.get("padding")
    decoder.add(f"ZeroPad{len(r.input_shape) - 1}d",
                {"padding": -padding if isinstance(padding, int) else [-v for v in padding]})


def _mirror_center_crop(decoder, r, final: bool) -> None:  # type: ignore[no-untyped-def]
    """A crop comes back as the zero padding of what it took off each side."""
    pairs = [center_crop_pads(n, o) for n, o in zip(r.input_shape[1:], r.output_shape[1:])]
    if any(lo or hi for lo, hi in pairs):
        decoder.add(f"ZeroPad{len(pairs)}d", {"padding": [v for pair in reversed(pairs) for v in pair]})


def _upsample_functional(operand: str, args: dict[str, Any]) -> str:
    """Upsample to another tensor's size, as ``forward`` writes it (``args["size_from"]`` holds that tensor's
    variable): F.interpolate, which takes the size at run time."""
    align = args.get("align_corners")
    extra = f", align_corners={align!r}" if align is not None else ""
    return (f"nn.functional.interpolate({operand}, size={args['size_from']}.shape[2:], "
            f'mode="{args.get("mode", "nearest")}"{extra})')


#: The export's helper for CenterCrop (a top-level function of the exported module).
CENTER_CROP_HELPER = '''@torch.fx.wrap  # one node when traced: torch.fx cannot loop over a traced tensor's axes
def center_crop(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """x cut on its spatial axes to like's size, the low side losing (n - r) // 2 (U-Net's crop)."""
    for axis in range(2, x.dim()):
        n, r = x.size(axis), like.size(axis)
        x = x.narrow(axis, (n - r) // 2, r)
    return x'''


def layer_types() -> list[LayerType]:
    types = [LayerType("Upsample", "Up-sampling", None, _upsample_arguments(), _upsample,
                       "up-sampling by size or factor (nearest, linear modes)", "nn.Upsample",
                       axis_rule=_upsample_axis, mirror=_mirror_upsample,
                       torch=TorchSpec(functional=_upsample_functional),
                       starting=lambda incoming: {"scale_factor": 2}),
             LayerType("CenterCrop", "Padding", None,
                       (Argument("size_from", Kind.LAYER, None, required=True, constructor=False,
                                 help="the earlier layer whose spatial size to crop to"),),
                       _center_crop, "crop the spatial axes to another layer's size (U-Net's crop-and-concatenate)",
                       mirror=_mirror_center_crop, copies=_center_crop_copies, version=2,
                       torch=TorchSpec(expression=lambda operand, args: f"center_crop({operand}, {args['size_from']})",
                                       helper=CENTER_CROP_HELPER, aliases_input=True))]
    for prefix, mode in PAD_TYPES.items():
        for n in (1, 2, 3):
            name = f"{prefix}{n}d"
            arguments = (Argument("padding", Kind.PAD_LIST, None, required=True,
                                  help="int, or (left, right[, top, bottom[, front, back]])"),)
            if mode == "constant":
                arguments += (float_arg("value", None, required=True, infinite=True,
                                        help="what the padded cells hold (may be -inf or inf)"),)
            types.append(LayerType(name, "Padding", n, arguments, _pad_rule(n, name, mode),
                                   f"{n}-D {PAD_SUMMARY[mode]}; negative values crop", f"nn.{name}",
                                   axis_rule=_pad_axis(mode), mirror=_mirror_pad, copies=_pad_copies(mode),
                                   torch=TorchSpec(positional=("padding", "value")[:len(arguments)],
                                                   aliases_input=True),
                                   starting=_pad_starting(mode)))
    return types


PAD_SUMMARY = {"zeros": "zero padding", "constant": "constant padding", "reflect": "reflection padding, a mirror "
               "without the edge", "replicate": "replication padding, the edge repeated",
               "circular": "circular padding, wrapping around"}


def _pad_starting(mode: str) -> Starting:
    """One unit on every side (and the value 0 for ConstantPad)."""
    return lambda incoming: {"padding": 1, "value": 0.0} if mode == "constant" else {"padding": 1}
