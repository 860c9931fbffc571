"""Layers that move values without computing: PixelShuffle and PixelUnshuffle (the sub-pixel rearrangement of
Shi et al., 2016), Unflatten and Reshape.

``Reshape`` is convdesigner's name for ``x.view(x.size(0), *shape)`` (the VAE's and DCGAN's reshape of a
Linear's features into a map): ``shape`` is the target without the batch axis, one size may be -1."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import prod

from ..arguments import Argument, Kind, sizes_of
from ..evaluation import IDENTITY, Evaluation, LayerContext, Refusal
from ..receptive_field import Resample, Window
from .common import AxisRule, LayerType, TorchSpec, int_arg, require_rank, shape_text

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is for type checkers: importing it costs every command ~2 ms
    from typing import Any

    from .common import CopyRule

#: The most dimensions (channels and spatial axes, batch left out) a tensor may have in a design.
MAX_AXES = 4

FAMILY = "Rearranging"


def _pixel_shuffle(ctx: LayerContext) -> Evaluation:
    """C·r² × H × W -> C × rH × rW: output unit (y, x) of channel c reads input channel c·r² + (y mod r)·r +
    (x mod r) at (y // r, x // r); per axis, output unit y reads input unit y // r."""
    require_rank(ctx, 2, "PixelShuffle")
    r = ctx.args["upscale_factor"]
    if ctx.channels % (r * r):
        raise Refusal("pixel-shuffle", f"PixelShuffle needs channels divisible by upscale_factor² = {r * r}, but "
                      f"the incoming tensor has {ctx.channels}", f"give the layer before it a multiple of {r * r} "
                      "channels, or use another upscale_factor",
                      argument="upscale_factor")
    source = Resample(Fraction(1, r), "nearest")
    return Evaluation((ctx.channels // (r * r), *(n * r for n in ctx.spatial)), sources=(source, source))


def _pixel_unshuffle(ctx: LayerContext) -> Evaluation:
    """C × rH × rW -> C·r² × H × W: the inverse of PixelShuffle; per axis, output unit y (over its channels)
    reads the input units y·r .. y·r + r - 1, a window of r with stride r."""
    require_rank(ctx, 2, "PixelUnshuffle")
    r = ctx.args["downscale_factor"]
    for axis, (n, word) in enumerate(zip(ctx.spatial, ("height", "width"))):
        if n % r:
            raise Refusal("pixel-shuffle", f"PixelUnshuffle needs the {word} divisible by downscale_factor {r}, "
                          f"but the incoming tensor is {shape_text(ctx.input_shape)}",
                          f"feed a {word} that is a multiple of {r}, or use another downscale_factor", axis,
                          "downscale_factor")
    window = Window(r, r, 0)
    return Evaluation((ctx.channels * r * r, *(n // r for n in ctx.spatial)), sources=(window, window))


@dataclass(frozen=True)
class SubPixel:
    """PixelShuffle (``up``) or PixelUnshuffle by ``factor`` r as copies, between the *fine* grid (rH × rW, the
    shuffle's output, the unshuffle's input) and r² *planes* (H × W channels: the shuffle's input, the
    unshuffle's output). Fine cell (Y, X) is plane (Y mod r)·r + (X mod r) at (Y // r, X // r), in each group of
    r² channels (Shi et al., 2016; measured against torch's pixel_shuffle, tests/engine/test_pad_copies.py).
    Positions here are (channel, row, column)."""

    factor: int
    up: bool
    planes_size: tuple[int, int]

    @property
    def step_shape(self) -> tuple[int, int]:
        """The fine grid: the canvas steps through its cells (one per output cell either way)."""
        return self.planes_size[0] * self.factor, self.planes_size[1] * self.factor

    @property
    def plane_count(self) -> int:
        return self.factor * self.factor

    @property
    def shown_channels(self) -> int:
        """The input channels one output channel reads (r² planes up; one fine grid down)."""
        return self.plane_count if self.up else 1

    def plane(self, fine: tuple[int, int]) -> tuple[int, tuple[int, int]]:
        """The plane (0 .. r² - 1 in its group) and its cell that fine cell ``fine`` sits at."""
        r = self.factor
        return (fine[0] % r) * r + fine[1] % r, (fine[0] // r, fine[1] // r)

    def fine(self, plane: int, cell: tuple[int, int]) -> tuple[int, int]:
        """The fine cell of plane ``plane``'s cell ``cell`` (the inverse of `plane`)."""
        r = self.factor
        return cell[0] * r + plane // r, cell[1] * r + plane % r

    def source(self, output: tuple[int, int, int]) -> tuple[int, int, int]:
        """The input element (channel, row, column) output element ``output`` holds."""
        r2 = self.plane_count
        if self.up:
            plane, cell = self.plane(output[1:])  # type: ignore[arg-type]
            return (output[0] * r2 + plane, *cell)
        group, plane = divmod(output[0], r2)
        return (group, *self.fine(plane, output[1:]))  # type: ignore[arg-type]

    def element(self, fine: tuple[int, int]) -> tuple[int, int, int]:
        """The output element (channel, row, column) a step on fine cell ``fine`` produces."""
        if self.up:
            return (0, *fine)
        plane, cell = self.plane(fine)
        return (plane, *cell)


def _sub_pixel(argument: str, up: bool) -> CopyRule:
    def copies(layer, incoming: tuple[int, ...], outgoing: tuple[int, ...]) -> SubPixel:  # type: ignore[no-untyped-def]
        r = layer.get(argument)
        height, width = incoming[1:]
        return SubPixel(r, up, (height, width) if up else (height // r, width // r))
    return copies


def _filled(sizes: tuple[int, ...], count: int, what: str, argument: str) -> tuple[int, ...]:
    """``sizes`` with its -1 inferred so that they hold ``count`` elements, refused (naming both counts) when
    they cannot."""
    known = prod(v for v in sizes if v != -1)
    shown = shape_text(sizes)
    if -1 in sizes:
        if count % known:
            raise Refusal("reshape", f"{argument} {shown} cannot hold {what}: {count} is not a multiple of {known}",
                          f"choose sizes whose product divides {count}", argument=argument)
        sizes = tuple(count // known if v == -1 else v for v in sizes)
    elif known != count:
        raise Refusal("reshape", f"{argument} {shown} holds {known} elements but {what} has {count}",
                      f"choose sizes whose product is {count}, or put -1 for one of them", argument=argument)
    return sizes


def _rearranged(ctx: LayerContext, shape: tuple[int, ...]) -> Evaluation:
    """A layer that only regroups the axes: the field runs on when the shape is unchanged, else it ends (a
    regrouping mixes positions the field would follow per axis)."""
    if len(shape) > MAX_AXES:
        raise Refusal("rank", f"the output {shape_text(shape)} has {len(shape)} dimensions besides the batch; "
                      f"a design holds at most {MAX_AXES} (channels and 3 spatial axes)", "use fewer sizes")
    return Evaluation(shape, sources=IDENTITY if shape == ctx.input_shape else None)


def _unflatten(ctx: LayerContext) -> Evaluation:
    """nn.Unflatten(dim, unflattened_size): dimension ``dim`` (the batch counted, as in PyTorch) becomes the
    given sizes."""
    full = (1, *ctx.input_shape)
    rank = len(full)
    dim = ctx.args["dim"]
    resolved = dim + rank if dim < 0 else dim
    if not 0 <= resolved < rank:
        raise Refusal("dim", f"dim {dim} is out of range for a tensor of {rank} dimensions (batch included)",
                      f"use a dim from {-rank} to {rank - 1}", argument="dim")
    if resolved == 0:
        raise Refusal("dim", "Unflatten with dim 0 would split the batch axis", "use dim 1 or later", argument="dim")
    sizes = _filled(sizes_of(ctx.args["unflattened_size"]), full[resolved], f"dim {dim} of {full[resolved]} units",
                    "unflattened_size")
    return _rearranged(ctx, (*full[1:resolved], *sizes, *full[resolved + 1:]))


def _reshape(ctx: LayerContext) -> Evaluation:
    """x.view(x.size(0), *shape): the sample's elements in a new shape."""
    count = prod(ctx.input_shape)
    return _rearranged(ctx, _filled(sizes_of(ctx.args["shape"]), count,
                                    f"the incoming tensor {shape_text(ctx.input_shape)}", "shape"))


def _view(operand: str, args: dict[str, Any]) -> str:
    """Reshape as PyTorch users write it."""
    return f"{operand}.view({operand}.size(0), {', '.join(str(v) for v in sizes_of(args['shape']))})"


# -- the sizes scan, the mirror and the app --------------------------------------------------------------------

def _shuffle_axis(ctx: LayerContext, axis: int) -> AxisRule:
    r = ctx.args["upscale_factor"]
    return lambda sizes, operands: ([n * r for n in sizes], None)


def _unshuffle_axis(ctx: LayerContext, axis: int) -> AxisRule:
    r = ctx.args["downscale_factor"]
    return lambda sizes, operands: ([None if n % r else n // r for n in sizes], None)


def _mirror_shuffle(decoder, r, final: bool) -> None:  # type: ignore[no-untyped-def]
    """PixelShuffle and PixelUnshuffle undo each other exactly."""
    if r.type == "PixelShuffle":
        decoder.add("PixelUnshuffle", {"downscale_factor": r.layer.get("upscale_factor")})
    else:
        decoder.add("PixelShuffle", {"upscale_factor": r.layer.get("downscale_factor")})


def _shuffle_starting(incoming: tuple[int, ...] | None) -> dict[str, Any]:
    """2 where the channels allow it (a multiple of 4), else 1."""
    return {"upscale_factor": 2 if incoming and incoming[0] % 4 == 0 else 1}


def _unshuffle_starting(incoming: tuple[int, ...] | None) -> dict[str, Any]:
    """2 where every spatial size is even, else 1."""
    return {"downscale_factor": 2 if incoming and all(n % 2 == 0 for n in incoming[1:]) else 1}


def layer_types() -> list[LayerType]:
    return [
        LayerType("PixelShuffle", FAMILY, 2, (int_arg("upscale_factor", required=True),), _pixel_shuffle,
                  "sub-pixel up-sampling: C·r² × H × W to C × rH × rW", "nn.PixelShuffle",
                  axis_rule=_shuffle_axis, mirror=_mirror_shuffle, copies=_sub_pixel("upscale_factor", True),
                  torch=TorchSpec(positional=("upscale_factor",)), starting=_shuffle_starting),
        LayerType("PixelUnshuffle", FAMILY, 2, (int_arg("downscale_factor", required=True),), _pixel_unshuffle,
                  "sub-pixel down-sampling: C × rH × rW to C·r² × H × W", "nn.PixelUnshuffle",
                  axis_rule=_unshuffle_axis, mirror=_mirror_shuffle, copies=_sub_pixel("downscale_factor", False),
                  torch=TorchSpec(positional=("downscale_factor",)), starting=_unshuffle_starting),
        LayerType("Unflatten", FAMILY, None, (
            Argument("dim", Kind.DIM, None, required=True, help="the dimension to split (the batch is dim 0)"),
            Argument("unflattened_size", Kind.SHAPE, None, required=True, help="its new sizes; one may be -1"),
        ), _unflatten, "splits one dimension into several", "nn.Unflatten",
            torch=TorchSpec(positional=("dim", "unflattened_size"), aliases_input=True),
            starting=lambda incoming: {"dim": 1, "unflattened_size": [incoming[0] if incoming else -1]}),
        LayerType("Reshape", FAMILY, None, (
            Argument("shape", Kind.SHAPE, None, required=True, help="the shape without the batch; one size may be -1"),
        ), _reshape, "x.view(x.size(0), *shape): the same elements in a new shape", None,
            torch=TorchSpec(aliases_input=True, expression=_view),
            starting=lambda incoming: {"shape": [-1]}),
    ]
