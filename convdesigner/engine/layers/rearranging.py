"""Layers that move values without computing: PixelShuffle and PixelUnshuffle (the sub-pixel rearrangement of
Shi et al., 2016)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..evaluation import Evaluation, LayerContext, Refusal
from ..receptive_field import Resample, Window
from .common import AxisRule, LayerType, TorchSpec, int_arg, require_rank, shape_text

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


# -- the sizes scan, the mirror and the app --------------------------------------------------------------------

def _shuffle_axis(ctx: LayerContext, axis: int) -> AxisRule:
    r = ctx.args["upscale_factor"]
    return lambda n, sizes: (n * r, False)


def _unshuffle_axis(ctx: LayerContext, axis: int) -> AxisRule:
    r = ctx.args["downscale_factor"]
    return lambda n, sizes: (None if n % r else n // r, False)


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
                  axis_rule=_shuffle_axis, mirror=_mirror_shuffle,
                  torch=TorchSpec(positional=("upscale_factor",)), starting=_shuffle_starting),
        LayerType("PixelUnshuffle", FAMILY, 2, (int_arg("downscale_factor", required=True),), _pixel_unshuffle,
                  "sub-pixel down-sampling: C × rH × rW to C·r² × H × W", "nn.PixelUnshuffle",
                  axis_rule=_unshuffle_axis, mirror=_mirror_shuffle,
                  torch=TorchSpec(positional=("downscale_factor",)), starting=_unshuffle_starting),
    ]
