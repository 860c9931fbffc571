"""One axis of a sliding window (convolution or pooling): output size, fit check, unvisited units."""

from __future__ import annotations

from ..arithmetic import (
    conv_output_size,
    conv_relationship,
    effective_kernel,
    padded_size,
    pool_output_size,
    unvisited_data,
    unvisited_size,
)
from ..evaluation import AxisGeometry, LayerContext, Note, Refusal
from .common import axis_unit

POOLING_RELATIONSHIP = "relationship 7 (pooling)"


def window_axis(
    ctx: LayerContext, axis: int, k: int, s: int, p_low: int, p_high: int, d: int,
    ceil_mode: bool | None = None, relationship: str | None = None,
) -> AxisGeometry:
    """Evaluate one axis of a window layer; refuse it when the dilated kernel does not fit.

    ``ceil_mode`` None means a convolution (floor only, relationship 1-6/15); a bool means pooling
    (relationship 7 with PyTorch's ceil rule).
    """
    i = ctx.input_shape[axis + 1]
    if ceil_mode is None:
        o = conv_output_size(i, k, s, p_low, p_high, d)
    else:
        o = pool_output_size(i, k, s, p_low, d, ceil_mode)
    if o < 1:
        name = ctx.axis(axis)
        k_eff = effective_kernel(k, d)
        padded = padded_size(i, p_low, p_high)
        dilated = f" (dilated {k_eff})" if d != 1 else ""
        shortfall = k_eff - padded
        if ceil_mode is None:
            suggestion = (
                f"pad by {shortfall} more in total on axis {name}, use a kernel of at most "
                f"{max(1, (padded - 1) // d + 1)}"
                + (f" or a dilation of at most {max(1, (padded - 1) // (k - 1))}" if d > 1 and k > 1 else "")
                + f", or feed an input of at least {i + shortfall}"
            )
        else:
            suggestion = f"use a smaller kernel or feed an input of at least {i + shortfall} on axis {name}"
        raise Refusal(
            "kernel-fits",
            f"kernel {k}{dilated} is larger than the padded input {padded} on axis {name}",
            suggestion,
            axis,
            "kernel_size",
        )
    unvisited = 0 if ceil_mode else unvisited_size(i, k, s, p_low, p_high, d)
    if relationship is None:
        relationship = conv_relationship(k, s, p_low, p_high, d) if ceil_mode is None else POOLING_RELATIONSHIP
    return AxisGeometry(i, k, s, p_low, p_high, d, o, 0, False, bool(ceil_mode), unvisited, relationship)


def window_axes(
    ctx: LayerContext, kernel: tuple[int, ...], stride: tuple[int, ...], pads: tuple[tuple[int, int], ...],
    dilation: tuple[int, ...], ceil_mode: bool | None, relationships: tuple[str, ...],
) -> tuple[AxisGeometry, ...]:
    """`window_axis` for every axis; an axis identical to the one before it (same input size and
    arguments: a square kernel on a square map) shares its geometry, which is immutable."""
    geometry: list[AxisGeometry] = []
    spatial = ctx.input_shape[1:]
    for axis, k in enumerate(kernel):
        (lo, hi), s, d = pads[axis], stride[axis], dilation[axis]
        if axis:
            g = geometry[-1]
            if (g.i, g.k, g.s, g.p_low, g.p_high, g.d) == (spatial[axis], k, s, lo, hi, d):
                geometry.append(g)
                continue
        geometry.append(window_axis(ctx, axis, k, s, lo, hi, d, ceil_mode, relationships[axis]))
    return tuple(geometry)


def dropped_input(i: int, k: int, s: int, p_low: int, p_high: int, d: int = 1) -> int:
    """The real input units past the last window (the paper's caveat after relationship 6), or 0 when they are
    no more than the gap a window narrower than its stride leaves between every two positions anyway
    (s - d(k - 1) - 1 units: a 1x1 stride-2 projection, as in ResNet's shortcuts, skips every other unit by
    design, and its last gap is no different)."""
    dropped = unvisited_data(i, k, s, p_low, p_high, d)
    return dropped if dropped > s - d * (k - 1) - 1 else 0


def may_drop_input(k: int, s: int, p_low: int, p_high: int, d: int = 1) -> bool:
    """Whether `dropped_input` is above 0 for some input size: the units past the last window repeat with
    period s in the size, reaching s - 1 - p_high at most (so a stride of 1 never drops input)."""
    return s - 1 - p_high > max(s - d * (k - 1) - 1, 0)


def dropped_input_note(ctx: LayerContext, g: AxisGeometry, axis: int) -> Note | None:
    """The paper's caveat after relationship 6: real input units past the last window are dropped."""
    if g.ceil_mode or g.unvisited <= g.p_high:
        return None
    dropped = dropped_input(g.i, g.k, g.s, g.p_low, g.p_high, g.d)
    if not dropped:
        return None
    name = ctx.axis(axis)
    remainder = unvisited_size(g.i, g.k, g.s, g.p_low, g.p_high, g.d)
    units = axis_unit(name, dropped)
    what = units.split(" ", 1)[1] if dropped == 1 else units  # "input row", "2 input rows"
    return Note(
        "stride-drops-input",
        f"the last {what} on axis {name} {'is' if dropped == 1 else 'are'} never visited: "
        f"(i + p_low + p_high - d(k - 1) - 1) mod s = {remainder} with stride {g.s}",
        f"give this layer an input of {g.i - dropped} or {g.i - dropped + g.s} on axis {name}, or pad by {g.s - remainder} more",
        axis,
    )
