"""MaxPool, AvgPool and their adaptive forms, and MaxUnpool (which puts a MaxPool's values back where its
indices say), 1-D to 3-D."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import product

from ..arguments import Argument, Kind, per_axis
from ..arithmetic import pool_output_size
from ..evaluation import Evaluation, LayerContext, Note, Refusal
from ..receptive_field import Resample, Scatter, Window
from .common import (
    AVG_POOL,
    MAX_POOL,
    AxisRule,
    LayerType,
    TorchSpec,
    axes_arg,
    bool_arg,
    compact,
    layer_plan,
    per_distinct,
    referenced_size,
    require_rank,
    resolve_axes,
    shape_text,
    volume,
)
from .windows import POOLING_RELATIONSHIP, dropped_input, dropped_input_note, may_drop_input, window_axes

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is for type checkers: importing it costs every command ~2 ms
    from typing import Any


def _stride_arg() -> Argument:
    return Argument("stride", Kind.OPTIONAL_AXES, None, minimum=1, help="defaults to kernel_size",
                    follows="kernel_size")


def _max_arguments() -> tuple[Argument, ...]:
    return (
        axes_arg("kernel_size", required=True),
        _stride_arg(),
        axes_arg("padding", 0, minimum=0),
        axes_arg("dilation", 1),
        bool_arg("ceil_mode", False),
    )


def _avg_arguments(ndim: int) -> tuple[Argument, ...]:
    args = (
        axes_arg("kernel_size", required=True),
        _stride_arg(),
        axes_arg("padding", 0, minimum=0),
        bool_arg("ceil_mode", False),
        bool_arg("count_include_pad", True),
    )
    if ndim > 1:  # AvgPool1d has no divisor_override
        args += (Argument("divisor_override", Kind.OPTIONAL_INT, None, minimum=1),)
    return args


@dataclass(frozen=True)
class PoolPlan:
    """A pooling layer's per-axis arguments, resolved once per layer (see `layer_plan`)."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    refusal: Refusal | None  # padding more than half the kernel
    sources: tuple[Window, ...]
    pads: tuple[tuple[int, int], ...]


def _pool_plan(ctx: LayerContext) -> PoolPlan:
    kernel = resolve_axes(ctx, "kernel_size")
    stride = resolve_axes(ctx, "stride", fallback="kernel_size")
    padding = resolve_axes(ctx, "padding")
    dilation = resolve_axes(ctx, "dilation") if "dilation" in ctx.args else (1,) * ctx.ndim
    refusal = None
    for axis, (k, p) in enumerate(zip(kernel, padding)):
        if p > k // 2:
            refusal = Refusal(
                "pool-padding",
                f"padding {p} is more than half the kernel {k} on axis {ctx.axis(axis)} "
                "(PyTorch allows at most kernel_size // 2)",
                f"use a padding of at most {k // 2}",
                axis,
                "padding",
            )
            break
    sources = per_distinct(zip(kernel, stride, padding, dilation), lambda a: Window(*a))
    return PoolPlan(kernel, stride, padding, dilation, refusal, sources, tuple((p, p) for p in padding))


def pool_rule(ndim: int, type_name: str):
    def evaluate(ctx: LayerContext) -> Evaluation:
        require_rank(ctx, ndim, type_name)
        plan = layer_plan(ctx, _pool_plan)
        if plan.refusal is not None:
            raise plan.refusal
        if type_name == "AvgPool3d":
            # PyTorch's avg_pool3d alone compares the unpadded input with the kernel.
            for axis, (i, k) in enumerate(zip(ctx.spatial, plan.kernel)):
                if i < k:
                    raise Refusal("kernel-fits", f"kernel {k} is larger than the unpadded input {i} on axis "
                                  f"{ctx.axis(axis)} (AvgPool3d checks before padding)",
                                  f"feed an input of at least {k} on axis {ctx.axis(axis)}", axis, "kernel_size")
        ceil_mode = ctx.args["ceil_mode"]
        geometry = window_axes(ctx, plan.kernel, plan.stride, plan.pads, plan.dilation, ceil_mode,
                               (POOLING_RELATIONSHIP,) * len(plan.kernel))
        notes = [n for axis, g in enumerate(geometry) if g.unvisited and (n := dropped_input_note(ctx, g, axis))]
        return Evaluation((ctx.channels, *(g.o for g in geometry)), 0, 0, plan.sources, geometry, notes)

    return evaluate


def adaptive_rule(ndim: int, type_name: str):
    def evaluate(ctx: LayerContext) -> Evaluation:
        require_rank(ctx, ndim, type_name)
        wanted = per_axis(ctx.args["output_size"], ndim)
        out = tuple(i if o is None else o for i, o in zip(ctx.spatial, wanted))
        sources = tuple(Resample(Fraction(i, o), "adaptive") for i, o in zip(ctx.spatial, out))
        return Evaluation((ctx.channels, *out), 0, 0, sources)

    return evaluate


def _unpool_arguments() -> tuple[Argument, ...]:
    return (
        axes_arg("kernel_size", required=True),
        _stride_arg(),
        axes_arg("padding", 0, minimum=0),
        Argument("indices", Kind.LAYER, None, required=True, constructor=False, values=True,
                 help="the MaxPool whose indices say where each value goes"),
        Argument("size_from", Kind.LAYER, None, constructor=False,
                 help="output_size: the spatial size of an earlier layer's output"),
    )


def unpool_output_size(i: int, k: int, s: int, p: int) -> int:
    """MaxUnpool's default output size on one axis, PyTorch's (i - 1) s - 2p + k."""
    return (i - 1) * s - 2 * p + k


def unpool_rule(ndim: int, type_name: str):
    def evaluate(ctx: LayerContext) -> Evaluation:
        """PyTorch's checks of max_unpool (docs/torch-rules.md §14): the indices of a MaxPool of the same
        rank whose output has the input's shape, the output size (i - 1) s - 2p + k or ``size_from``'s within
        s of it; values go where the pool took them from (Scatter over the pool's window)."""
        require_rank(ctx, ndim, type_name)
        pool = ctx.references["indices"]
        pool_type = f"MaxPool{ndim}d"
        if pool.layer is None or pool.layer.type != pool_type:
            what = "the network input" if pool.layer is None else f"a {pool.layer.type}"
            raise Refusal("unpool-indices", f"indices names {pool.name}, {what}: {type_name} puts back the values "
                          f"of a {pool_type} where its indices say", f"name the {pool_type} whose indices to use",
                          argument="indices")
        if pool.output_shape != ctx.input_shape:
            raise Refusal("unpool-indices", f"the indices of {pool.name} have the shape {shape_text(pool.output_shape)}, "
                          f"but the input has {shape_text(ctx.input_shape)} (PyTorch: they must be the same)",
                          f"unpool a tensor of the shape {pool.name} makes", argument="indices")
        kernel, stride, padding = (resolve_axes(ctx, "kernel_size"), resolve_axes(ctx, "stride", "kernel_size"),
                                   resolve_axes(ctx, "padding"))
        out = [unpool_output_size(i, k, s, p) for i, k, s, p in zip(ctx.spatial, kernel, stride, padding)]
        if ctx.args["size_from"] is not None:
            reference, wanted = referenced_size(ctx, type_name)
            for axis, (o, w, s) in enumerate(zip(out, wanted, stride)):
                if not o - s < w < o + s:
                    raise Refusal("unpool-size", f"output size {w} from {reference.name} on axis {ctx.axis(axis)} is "
                                  f"not strictly between {o - s} and {o + s} (PyTorch's rule: the default {o} ± the "
                                  f"stride {s})", "name a layer whose size is within the stride of the default",
                                  axis, "size_from")
            out = list(wanted)
        for axis, o in enumerate(out):
            if o < 1:
                raise Refusal("unpool-size", f"the output size on axis {ctx.axis(axis)} would be {o} "
                              "((i - 1) × stride - 2 × padding + kernel_size)", "use a smaller padding", axis, "padding")
        pooled = pool.input_shape[1:]
        # the last window's taps hold the largest indices the pool can give: the smallest of them (its first
        # tap, what every window gives when its values are equal) and the largest
        last = _pool_landing(pool.layer.arguments, ndim, ctx.spatial, pooled, out).window(
            tuple(c - 1 for c in ctx.spatial))
        if last and last[0] >= volume(tuple(out)):
            raise Refusal("unpool-size", f"{pool.name}'s last window holds the indices {last[0]} to {last[-1]} of its "
                          f"{shape_text(pooled)} input, beyond the {volume(tuple(out))} cells of the output "
                          f"{shape_text(tuple(out))} for any data (PyTorch: \"Found an invalid max index\")",
                          f"unpool to the size {pool.name} reads (size_from: the layer before {pool.name})",
                          argument="indices")
        notes = []
        sources: tuple[Scatter, ...] | None = _pool_scatter(pool.layer.arguments, ndim)
        if (ndim > 1 and tuple(out) != pooled) or (ndim == 1 and out[0] < pooled[0]):
            beyond = bool(last) and last[-1] >= volume(tuple(out))
            notes.append(Note("unpool-size", f"{pool.name}'s indices address its {shape_text(pooled)} input, but the "
                              f"output is {shape_text(tuple(out))}: " + (
                                  "PyTorch refuses the run if a value's index falls beyond the output (that depends "
                                  "on the data)" if beyond else "the values land at other places than the pool took "
                                  "them from (the index is read with the output's sizes)"),
                              f"unpool to the size {pool.name} reads (size_from: the layer before {pool.name})"))
            if ndim > 1:
                sources = None  # where a value lands no longer follows the axes: the field is not tracked on
        return Evaluation((ctx.channels, *out), 0, 0, sources, None, notes)

    return evaluate


def _pool_scatter(given: dict, ndim: int) -> tuple[Scatter, ...]:
    """Where a MaxPool's values can land when unpooled: input unit x (a window of the pool) goes to one of
    its window's taps x s - p + t d, which is the scatter of a transposed window (as many writes as taps)."""
    kernel = per_axis(given["kernel_size"], ndim)
    stride = per_axis(given.get("stride") if given.get("stride") is not None else given["kernel_size"], ndim)
    padding = per_axis(given.get("padding", 0), ndim)
    dilation = per_axis(given.get("dilation", 1), ndim)
    return per_distinct(zip(kernel, stride, padding, dilation), lambda a: Scatter(*a))


@dataclass(frozen=True)
class UnpoolLanding:
    """Where a MaxUnpool puts each value of its input (docs/torch-rules.md §14). Input cell x is window x of the
    pool whose indices it uses; the pool recorded, per channel, the flat index in its input plane of the first
    maximum of that window in row-major order (max_pool with return_indices), and the unpool writes x's value at
    that flat index read with the output's sizes, zero everywhere else. Without the data the engine knows the
    window a value may land in (`may_land`); given the pool's input values, the cell (`lands`)."""

    cells: tuple[int, ...]  # the unpool's input spatial size (the pool's output): one window per cell
    pooled: tuple[int, ...]  # the pool's input spatial size: what its indices address
    output: tuple[int, ...]  # the unpool's output spatial size
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]

    def window(self, cell: tuple[int, ...]) -> list[int]:
        """The flat indices in the pool's input plane of window ``cell``'s taps on the data (not its padding),
        in row-major order."""
        taps = [[u for t in range(k) if 0 <= (u := y * s - p + t * d) < n] for y, n, k, s, p, d in
                zip(cell, self.pooled, self.kernel, self.stride, self.padding, self.dilation)]
        return [_flat(position, self.pooled) for position in product(*taps)]

    def _cell(self, flat: int) -> tuple[int, ...] | None:
        """The output cell a flat index names (None beyond the output: PyTorch refuses that run)."""
        if flat >= volume(self.output):
            return None
        cell = []
        for n in reversed(self.output):
            flat, r = divmod(flat, n)
            cell.append(r)
        return tuple(reversed(cell))

    #: The input channels one output channel reads: its own (for the numbers mode, as `CopyFrames` reads it).
    shown_channels = 1

    def may_land(self, cell: tuple[int, ...]) -> list[tuple[int, ...]]:
        """The output cells input cell ``cell``'s value may land in, which depends on the pool's data: its window,
        as the output's sizes read it."""
        return [found for i in self.window(cell) if (found := self._cell(i)) is not None]

    def lands(self, pooled_values: Sequence[Any], cell: tuple[int, ...]) -> tuple[int, ...] | None:
        """The output cell input cell ``cell``'s value lands in, given one channel of the pool's input (its values
        flat, row-major): the first maximum of its window, as the pool picks it."""
        best = None
        for i in self.window(cell):
            if best is None or pooled_values[i] > pooled_values[best]:
                best = i
        return None if best is None else self._cell(best)

    def unpooled(self, pooled_values: Sequence[Any], values: Sequence[Any]) -> list[Any]:
        """One channel of the output, flat: each input value (flat, row-major) where it lands, zero elsewhere. Where
        several values land in one cell (overlapping windows) PyTorch keeps one of them, which one unspecified
        (duplicate indices; measured on torch 2.13 it is not always the first or the last): this keeps the last."""
        out: list[Any] = [0] * volume(self.output)
        for n, cell in enumerate(product(*(range(i) for i in self.cells))):
            found = self.lands(pooled_values, cell)
            if found is not None:
                out[_flat(found, self.output)] = values[n]
        return out


def _flat(position: Sequence[int], shape: Sequence[int]) -> int:
    flat = 0
    for p, n in zip(position, shape):
        flat = flat * n + p
    return flat


def unpool_landing(unpool: Any, pool: Any) -> UnpoolLanding:
    """Where the analysed MaxUnpool ``unpool`` puts its values, ``pool`` being the analysed MaxPool its indices
    name: the pool's window (kernel, stride, padding, dilation) over the pool's input."""
    return _pool_landing(pool.layer.arguments, len(pool.input_shape) - 1, unpool.input_shape[1:],
                         pool.input_shape[1:], unpool.output_shape[1:])


def _pool_landing(given: dict, ndim: int, cells: Sequence[int], pooled: Sequence[int],
                  output: Sequence[int]) -> UnpoolLanding:
    """Where an unpool of ``cells`` to ``output`` puts the values of the MaxPool of arguments ``given`` over
    ``pooled``."""
    stride = given.get("stride")
    return UnpoolLanding(tuple(cells), tuple(pooled), tuple(output), tuple(per_axis(given["kernel_size"], ndim)),
                         tuple(per_axis(given["kernel_size"] if stride is None else stride, ndim)),
                         tuple(per_axis(given.get("padding", 0), ndim)), tuple(per_axis(given.get("dilation", 1), ndim)))


def _landing(result: Any, analysis: Any) -> UnpoolLanding | None:
    """Where an analysed MaxUnpool's values land, for the canvas: 1-D and 2-D (a 3-D window spans depth slices)."""
    if len(result.input_shape) > 3:
        return None
    return unpool_landing(result, analysis.layers[dict(result.references)["indices"]])


def _unpool_call(operand: str, args: dict) -> str:
    """MaxUnpool's call in forward: its input, the pool's indices and the output size of size_from."""
    size = f", output_size={args['size_from']}.shape[2:]" if args.get("size_from") else ""
    return f"{operand}, {args['indices']}{size}"


# -- the sizes scan, the mirror, the export and the app --------------------------------------------------------

def _pool_axis(ctx: LayerContext, axis: int) -> AxisRule:
    """Relationships 7-8 with PyTorch's ceil_mode and dilation on one axis (the sizes scan). AvgPool3d also
    compares the unpadded input with the kernel: sizes below the kernel are left to the rule."""
    args, ndim = ctx.args, ctx.ndim
    k = per_axis(args["kernel_size"], ndim)[axis]
    s = per_axis(args["stride"] if args["stride"] is not None else args["kernel_size"], ndim)[axis]
    p = per_axis(args["padding"], ndim)[axis]
    d = per_axis(args.get("dilation", 1), ndim)[axis]
    ceil = args["ceil_mode"]
    least = k if ctx.layer.type == "AvgPool3d" else 1
    drops = not ceil and may_drop_input(k, s, p, p, d)

    def pool(sizes: list[int], operands: list[list[int]]) -> tuple[list[int | None], list[bool] | None]:
        outs = [o if n >= least and (o := pool_output_size(n, k, s, p, d, ceil)) >= 1 else None for n in sizes]
        return outs, ([dropped_input(n, k, s, p, p, d) > 0 for n in sizes] if drops else None)
    return pool


def _adaptive_axis(ctx: LayerContext, axis: int) -> AxisRule:
    wanted = per_axis(ctx.args["output_size"], ctx.ndim)[axis]
    return lambda sizes, operands: (sizes if wanted is None else [wanted] * len(sizes), None)


def mirror_size_change(decoder, r, final: bool) -> None:  # type: ignore[no-untyped-def]
    """A pooling (or any down-sizing) comes back as a nearest ``Upsample``: by ``scale_factor`` when the size
    it saw is a whole multiple of its output on every axis (the decoder then follows a change of input
    size), else to that exact ``size``."""
    seen, made = r.input_shape[1:], r.output_shape[1:]
    if seen == made:
        return  # it kept the size: nothing to undo
    if all(i % o == 0 for i, o in zip(seen, made)):
        decoder.add("Upsample", {"scale_factor": compact(i // o for i, o in zip(seen, made))})
    else:
        decoder.add("Upsample", {"size": compact(seen)})


TORCH = TorchSpec(positional=("kernel_size",))


def layer_types() -> list[LayerType]:
    types = []
    for n in (1, 2, 3):
        for kind, window, arguments in (("Max", MAX_POOL, _max_arguments()), ("Avg", AVG_POOL, _avg_arguments(n))):
            name = f"{kind}Pool{n}d"
            types.append(LayerType(name, "Pooling", n, arguments, pool_rule(n, name),
                                   f"{n}-D {window}", f"nn.{name}", window=window, axis_rule=_pool_axis,
                                   mirror=mirror_size_change, torch=TORCH,
                                   starting=lambda incoming: {"kernel_size": 2}))
    for n in (1, 2, 3):
        name = f"MaxUnpool{n}d"
        types.append(LayerType(name, "Pooling", n, _unpool_arguments(), unpool_rule(n, name),
                               f"{n}-D max unpooling: a MaxPool{n}d's values put back where its indices say",
                               f"nn.{name}", version=2, landing=_landing,
                               torch=TorchSpec(positional=("kernel_size",), call=_unpool_call, indices_from="indices"),
                               starting=lambda incoming: {"kernel_size": 2}))
    for kind in ("Avg", "Max"):
        for n in (1, 2, 3):
            name = f"Adaptive{kind}Pool{n}d"
            output_size = Argument("output_size", Kind.OPTIONAL_AXES, None, minimum=1, required=True,
                                   none_entries=n > 1, help="one size per axis; null keeps that axis")
            types.append(LayerType(name, "Pooling", n, (output_size,), adaptive_rule(n, name),
                                   f"{n}-D adaptive {kind.lower()} pooling to a fixed size", f"nn.{name}",
                                   axis_rule=_adaptive_axis, mirror=mirror_size_change,
                                   torch=TorchSpec(positional=("output_size",)),
                                   starting=lambda incoming: {"output_size": 1}))
    return types
