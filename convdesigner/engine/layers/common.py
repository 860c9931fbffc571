"""Pieces every layer rule uses: the layer type record, rank and width checks, per-axis resolution."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from math import prod

from ..arguments import Argument, Kind, per_axis
from ..evaluation import Evaluation, LayerContext, Reference, Refusal
from ..memo import Memo

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is for type checkers: importing it costs every command ~2 ms
    from typing import Any, TypeVar

    T = TypeVar("T")
    K = TypeVar("K")

Rule = Callable[[LayerContext], Evaluation]

_plans = Memo()


def layer_plan(ctx: LayerContext, build: Callable[[LayerContext], T]) -> T:
    """What a rule derives from a layer's arguments alone (per-axis kernel, stride, padding, the field's
    sources, argument-only refusals), remembered per (layer value, rank): re-resolving it for every layer of
    every analysis was most of a layer's cost. Keyed on `Layer.rule_key`, as `checks.prepared_arguments` is,
    so ``ctx.args`` must be the layer's resolved arguments (`checks.resolved_arguments`), and ``build`` must
    read nothing but them and the rank (not the incoming tensor's sizes)."""
    key = ctx.layer.rule_key
    if key is None:
        return build(ctx)
    key = (key, ctx.ndim, build)
    found = _plans.get(key)
    if found is None:
        found = build(ctx)
        _plans.put(key, found)
    return found


#: The sliding-window kinds the canvas animates and the numbers mode computes (`LayerType.window`).
CONVOLUTION = "convolution"
TRANSPOSED = "transposed convolution"
MAX_POOL = "max pooling"
AVG_POOL = "average pooling"

#: One layer's effect on one spatial axis for many input sizes at once, for the size-only pass of `sizes`:
#: (the sizes in, per operand its sizes (a join's operands; else just the sizes in)) -> (per size the size
#: out, or None where the layer's rule itself must judge the size; per size whether a stride drops input, or
#: None when none does). Exact where it gives a size: the rule accepts that size on that axis, gives that
#: output and drops input exactly there (its other refusals do not depend on spatial sizes).
AxisRule = Callable[[list[int], list[list[int]]], tuple[list[int | None], list[bool] | None]]
#: Builds a type's AxisRule from (the layer's context at rank ndim with its resolved arguments, axis); None
#: where the type is not modelled (its rule then judges every size).
AxisRuleBuilder = Callable[[LayerContext, int], AxisRule | None]
if TYPE_CHECKING:  # the rules' types, which name Any
    #: How the mirror tool undoes a layer: (the decoder being built, the layer's analysed result, whether it is
    #: the run's first layer, so the decoder's last) -> None; the decoder offers ``add(type, args)`` and
    #: ``crop(ndim, [(low, high), ...])``.
    MirrorRule = Callable[[Any, Any, bool], None]
    #: A decoder's copy of a pointwise layer: (its arguments without the inferred widths, the channels where the
    #: copy runs) -> the copy's arguments.
    CopyArguments = Callable[[dict[str, Any], int], dict[str, Any]]
    #: The arguments a layer of this type starts with in the app, given the incoming shape (None: unknown).
    Starting = Callable[[tuple[int, ...] | None], dict[str, Any]]
    #: What a layer that only copies values says about the copies, for the canvas and its numbers mode: (the layer,
    #: its incoming shape, its output shape as the analysis found it) -> a record with ``step_shape`` (the cells the canvas steps through), ``element`` (the
    #: output element a step produces), ``source`` (the input element an output element holds, None for a constant),
    #: ``shown_channels`` and, where source can be None, ``value`` (`resampling.PadCopies`, `rearranging.SubPixel`).
    CopyRule = Callable[[Any, tuple[int, ...], tuple[int, ...]], Any]


@dataclass(frozen=True)
class TorchSpec:
    """How the PyTorch export writes a type: its leading constructor arguments written positionally (as
    PyTorch users write ``nn.Conv2d(3, 64, kernel_size=3)``), whether its output may share storage with its
    input in eval mode (dropout, Flatten's view, padding: an in-place layer after it would change the input),
    for a join the operator that combines the operands (``cat``, ``+``, ``*``), and for a type that is no
    ``torch.nn`` module the tensor expression ``forward`` writes instead: (the operand's variable, the
    layer's arguments) -> code (Reshape's ``x.view(...)``).

    For the layers that name others (`Kind.LAYER` arguments), ``forward`` keeps each named tensor in a
    variable and these callables receive the arguments with the names replaced by those variables:
    ``functional``, the expression written instead of the module when such a layer names one (Upsample's
    ``size_from``: F.interpolate); ``call``, the arguments of a module's call after its input (MaxUnpool's
    indices and output size); ``helper``, a top-level function the expression calls (CenterCrop's); and
    ``indices_from``, the argument naming a layer whose module then returns its indices as well
    (``return_indices=True``: ``forward`` keeps both)."""

    positional: tuple[str, ...] = ()
    aliases_input: bool = False
    operator: str | None = None
    expression: Callable[[str, dict[str, Any]], str] | None = None
    functional: Callable[[str, dict[str, Any]], str] | None = None
    call: Callable[[str, dict[str, Any]], str] | None = None
    helper: str | None = None
    indices_from: str | None = None


def _no_starting_arguments(incoming: tuple[int, ...] | None) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class LayerType:
    """A layer type: everything convdesigner knows about it, in one record that its module builds.

    ``name`` is the PyTorch class name, ``family`` the kind it belongs to in menus, ``ndim`` the spatial rank
    it needs (None: any), ``arguments`` its constructor arguments and ``rule`` the rule that evaluates it
    (shapes, counts, receptive-field sources, geometry). A join reads two or more tensors (its rule sees them
    all in ``LayerContext.operands``); every other type reads one. The rest serves the tools and views:

    - ``window``: the sliding-window kind the canvas animates and the numbers mode computes (None: none);
    - ``pointwise``: keeps the shape unit for unit (normalisation, activations, dropout);
    - ``axis_rule``: its per-axis size rule for the sizes scan's filter (None: not modelled);
    - ``mirror``: how the mirror tool undoes it (None: it keeps the shape, or cannot be mirrored);
      ``copy_arguments``: how a decoder's copy of a pointwise layer adapts its arguments (None: unchanged);
    - ``copies``: for a layer whose every output value is a copy of one input value (or a constant), which
      one (the pads, CenterCrop, PixelShuffle and PixelUnshuffle: the canvas draws the copies; None: not such a
      layer);
    - ``landing``: for a layer that puts each input value in one cell of a window of its output, which cell
      depending on other data (MaxUnpool: its pool's input), (its analysed result, the analysis) -> the record
      that says where (`pooling.UnpoolLanding`; None where the canvas does not draw it);
    - ``torch``: how the export writes it; ``starting``: the app's starting arguments; ``version``: the
      design-file format version that introduced it (a file using it is written in that version at least).
    """

    name: str
    family: str
    ndim: int | None
    arguments: tuple[Argument, ...]
    rule: Rule
    summary: str = ""
    torch_name: str | None = None  # the torch.nn class; None for convdesigner's own joins and Reshape
    join: bool = False
    window: str | None = None
    pointwise: bool = False
    axis_rule: AxisRuleBuilder | None = None
    mirror: MirrorRule | None = None
    copy_arguments: CopyArguments | None = None
    copies: CopyRule | None = None
    landing: Callable[[Any, Any], Any] | None = None
    torch: TorchSpec = TorchSpec()
    starting: Starting = _no_starting_arguments
    version: int = 1

    def argument(self, name: str) -> Argument:
        for arg in self.arguments:
            if arg.name == name:
                return arg
        raise KeyError(name)

    @property
    def argument_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.arguments)

    @cached_property
    def layer_arguments(self) -> tuple[str, ...]:
        """The names of its arguments that name other layers (`Kind.LAYER`), in order; most types have none,
        which the analysis asks of every layer."""
        return tuple(a.name for a in self.arguments if a.kind == Kind.LAYER)


def int_arg(name: str, default: Any = None, minimum: int | None = 1, **kw: Any) -> Argument:
    return Argument(name, Kind.INT, default, minimum=minimum, **kw)


def axes_arg(name: str, default: Any = None, minimum: int = 1, **kw: Any) -> Argument:
    return Argument(name, Kind.AXES, default, minimum=minimum, **kw)


def bool_arg(name: str, default: Any, **kw: Any) -> Argument:
    return Argument(name, Kind.BOOL, default, **kw)


def float_arg(name: str, default: Any, **kw: Any) -> Argument:
    return Argument(name, Kind.FLOAT, default, **kw)


#: What ``parametrization`` may name: torch.nn.utils.parametrizations applied to the weight (or nothing).
PARAMETRIZATIONS = ("none", "weight_norm", "spectral_norm")


def parametrization_arguments() -> tuple[Argument, ...]:
    """``parametrization`` and its ``dim`` (PyTorch's, default 0), for the layers with a weight: convolutions,
    transposed convolutions and Linear. Not constructor arguments: the export wraps the module."""
    return (
        Argument("parametrization", Kind.CHOICE, "none", choices=PARAMETRIZATIONS, constructor=False,
                 help="weight_norm (g and v) or spectral_norm of the weight"),
        Argument("dim", Kind.OPTIONAL_INT, 0, constructor=False,
                 help="the parametrization's dim of the weight; -1 or null: one g for the whole weight"),
    )


def parametrization_params(ctx: LayerContext, weight: tuple[int, ...]) -> int:
    """The parameters a parametrization adds to a weight of that shape, as PyTorch counts them: weight_norm
    keeps v (the weight's size) and adds g, one per index of dim (one in all for dim -1 or null); spectral_norm
    adds none (its u and v are buffers)."""
    kind, dim = ctx.args["parametrization"], ctx.args["dim"]
    if kind == "none":
        if "dim" in ctx.layer.arguments:
            raise Refusal("parametrization", "dim belongs to a parametrization, but parametrization is 'none'",
                          "set parametrization to weight_norm or spectral_norm, or remove dim", argument="dim")
        return 0
    rank = len(weight)
    if dim is not None and not -rank <= dim < rank:
        raise Refusal("parametrization", f"{kind}'s dim {dim} is out of range for the weight of shape "
                      f"{shape_text(weight)}", f"use a dim from {-rank} to {rank - 1}, or null", argument="dim")
    if kind == "spectral_norm" or dim is None or dim == -1:
        return 1 if kind == "weight_norm" else 0
    return weight[dim]


def dims_word(n: int) -> str:
    return {0: "no spatial axes", 1: "1 spatial axis"}.get(n, f"{n} spatial axes")


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as users read it: 64×56×56."""
    return "×".join(str(v) for v in shape)


def require_rank(ctx: LayerContext, ndim: int, type_name: str) -> None:
    """Refuse an input whose spatial rank does not match the layer (Conv2d on a 1-D signal, ...)."""
    if ctx.ndim != ndim:
        have = ctx.ndim
        family = type_name.removesuffix(f"{ndim}d")  # the same family at the input's rank, for a type named by its rank
        hint = f"use {family}{have}d" if 1 <= have <= 3 and family != type_name else None
        raise Refusal(
            "rank",
            f"{type_name} needs an input with channels and {dims_word(ndim)}, but it receives "
            f"{shape_text(ctx.input_shape)} ({dims_word(have)})",
            hint,
        )


def referenced_size(ctx: LayerContext, type_name: str) -> tuple[Reference, tuple[int, ...]]:
    """The layer ``size_from`` names and its spatial size, which must have as many axes as the input (PyTorch:
    'Input and output must have the same number of spatial dimensions')."""
    reference = ctx.references["size_from"]
    size = reference.output_shape[1:]
    if len(size) != ctx.ndim:
        raise Refusal("rank", f"size_from names {reference.name}, of shape {shape_text(reference.output_shape)} "
                      f"({dims_word(len(size))}), but {type_name} receives {shape_text(ctx.input_shape)} "
                      f"({dims_word(ctx.ndim)})", "name a layer whose output has as many spatial axes",
                      argument="size_from")
    return reference, size


def inferred_width(ctx: LayerContext, name: str, incoming: int, what: str) -> int:
    """An argument the engine infers from the incoming tensor (in_channels, num_features, ...): when the
    design gives it, it must agree."""
    given = ctx.args.get(name)
    if given is None:
        return incoming
    if given != incoming:
        raise Refusal(
            "width",
            f"{name} is {given} but the incoming tensor has {incoming} {what}",
            f"remove {name} to infer it, or set it to {incoming}",
            argument=name,
        )
    return incoming


def check_groups(ctx: LayerContext, in_channels: int, out_channels: int) -> int:
    groups = ctx.args["groups"]
    if groups == 1:
        return 1
    for label, count in (("in_channels", in_channels), ("out_channels", out_channels)):
        if count % groups:
            raise Refusal(
                "groups",
                f"groups ({groups}) must divide {label} ({count})",
                f"choose groups among the common divisors of {in_channels} and {out_channels}",
                argument="groups",
            )
    return groups


def resolve_axes(ctx: LayerContext, name: str, fallback: str | None = None) -> tuple[int, ...]:
    """An AXES argument as one int per spatial axis (``fallback`` names the argument it defaults to,
    as pooling's stride defaults to its kernel size)."""
    value = ctx.args.get(name)
    if value is None and fallback is not None:
        value = ctx.args[fallback]
    return tuple(per_axis(value, ctx.ndim))


def per_distinct(axes: Iterable[K], make: Callable[[K], T]) -> tuple[T, ...]:
    """``make(arguments)`` for each axis's arguments, called once per distinct value: axes with equal
    arguments (a square kernel) share the same immutable object, which later steps recognise by identity
    (see analysis._compose_axes) instead of computing it again."""
    made: dict[K, T] = {}
    out = []
    for arguments in axes:
        if arguments not in made:
            made[arguments] = make(arguments)
        out.append(made[arguments])
    return tuple(out)


def compact(values: Iterable[Any]) -> Any:
    """One value when every axis has the same, else the list (as a design file writes per-axis values)."""
    values = list(values)
    return values[0] if len(set(values)) == 1 else values


def nonzero(values: Iterable[int]) -> Any:
    """`compact`, or None (the default) when every value is 0."""
    values = list(values)
    return compact(values) if any(values) else None


def identity_axis(ctx: LayerContext, axis: int) -> AxisRule:
    """The axis rule of a layer that keeps every size: the sizes in are the sizes out, at no cost."""
    return lambda sizes, operands: (sizes, None)


def volume(values: tuple[int, ...]) -> int:
    return prod(values)


def axis_unit(axis_letter: str, count: int) -> str:
    """'2 input rows' / '1 input column' / ... for an axis letter."""
    word = {"H": "row", "W": "column", "D": "slice", "L": "position"}.get(axis_letter, "unit")
    return f"{count} input {word}{'' if count == 1 else 's'}"
