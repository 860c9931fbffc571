"""Exact dependencies against PyTorch's *forward* pass: perturb one input unit and see which outputs change.

Autograd is not the oracle here: in torch 2.13 the backward of 1-D and 3-D ``nearest`` takes a shortcut its
forward does not, and bicubic's backward copies where its forward reads four taps (docs/torch-rules.md §12).
First the reported cases as plain reproducers, then a property test on random layers and small graphs.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.receptive_field import BORDERS
from convdesigner.io.design_file import dumps
from convdesigner.io.torch_export import export_torch, torch_plan


def single(size: tuple[int, ...], layer_type: str, **args: Any) -> Design:
    return Design("t", InputSpec(1, size), (Layer.make(layer_type, "l", **args),))


def runs_of(design: Design, unit: tuple[int, ...]) -> tuple[list[tuple[int, int]], ...] | None:
    return analyze(design).dependencies(0, unit)


# -- the reported cases ---------------------------------------------------------------------------------------

def test_circular_padding_reads_the_wrapped_units() -> None:
    """{input: [8], Conv1d k3 p1 padding_mode circular}: output unit 0 reads inputs {0, 1, 7}."""
    design = single((8,), "Conv1d", out_channels=1, kernel_size=3, padding=1, padding_mode="circular")
    assert runs_of(design, (0,)) == ([(0, 1), (7, 7)],)
    assert runs_of(design, (7,)) == ([(0, 0), (6, 7)],)
    assert analyze(design).dependency_interval(0, (0,)) == ((0, 7),)


def test_reflect_and_replicate_padding_read_the_units_they_copy() -> None:
    reflect = single((8,), "Conv1d", out_channels=1, kernel_size=5, padding=2, padding_mode="reflect")
    assert runs_of(reflect, (0,)) == ([(0, 2)],)  # padded -2, -1 copy 2, 1
    assert runs_of(reflect, (7,)) == ([(5, 7)],)
    replicate = single((8,), "Conv1d", out_channels=1, kernel_size=3, padding=4, dilation=3,
                       padding_mode="replicate")
    assert runs_of(replicate, (0,)) == ([(0, 0), (2, 2)],)  # -4 and -1 copy 0; then 2
    circular = single((8,), "Conv1d", out_channels=1, kernel_size=3, padding=4, stride=3, dilation=4,
                      padding_mode="circular")
    assert runs_of(circular, (0,)) == ([(0, 0), (4, 4)],)  # -4, 0, 4: -4 copies 4


def test_linear_upsample_to_the_same_size_copies() -> None:
    """{input: [3], Upsample scale_factor 1.1 linear}: unit u reads input u (PyTorch copies the axis)."""
    design = single((3,), "Upsample", scale_factor=1.1, mode="linear")
    assert [runs_of(design, (u,)) for u in range(3)] == [([(0, 0)],), ([(1, 1)],), ([(2, 2)],)]
    bilinear = single((3, 3), "Upsample", scale_factor=[1.1, 1.5], mode="bilinear")
    assert runs_of(bilinear, (1, 1)) == ([(1, 1)], [(0, 1)])  # per axis: rows copied, columns interpolated


def test_2d_nearest_at_exactly_1x_or_2x_shifts_instead_of_scaling() -> None:
    """{input: [2, 2], Upsample scale_factor 2.04 nearest}: output row 2 reads input row 1 (u >> 1)."""
    design = single((2, 2), "Upsample", scale_factor=2.04, mode="nearest")
    assert runs_of(design, (2, 2)) == ([(1, 1)], [(1, 1)])
    same = single((3, 3), "Upsample", scale_factor=[1.1, 2.04], mode="nearest")
    assert runs_of(same, (2, 2)) == ([(2, 2)], [(1, 1)])


def test_1d_and_3d_nearest_keep_the_scaled_index() -> None:
    """The 1-D and 3-D kernels compute floor(u / scale) even at exactly 1x or 2x."""
    assert runs_of(single((3,), "Upsample", scale_factor=1.1, mode="nearest"), (2,)) == ([(1, 1)],)
    assert runs_of(single((3,), "Upsample", scale_factor=2.04, mode="nearest"), (2,)) == ([(0, 0)],)
    assert runs_of(single((2, 2, 2), "Upsample", scale_factor=2.04, mode="nearest"), (2, 2, 2)) == \
        ([(0, 0)], [(0, 0)], [(0, 0)])


def test_a_path_that_reads_only_zero_padding_drops_out_on_every_axis() -> None:
    """Found by the property test: a residual block after a ZeroPad3d. Output (2, 0, 0) of the sum reads l2
    at (2, 0, 0), a zero of the padding, and through the convolution l2 at (1, 0, 1): the input (1, 0, 1)
    alone. Joining the two paths' positions axis by axis first would keep column 0 of the padded path."""
    design = Design("p", InputSpec(1, (2, 2, 2)), (
        Layer.make("ZeroPad3d", "l2", padding=[0, 0, 0, 0, 0, 1]),
        Layer.make("Conv3d", "b3", {"from": "l2"}, out_channels=1, kernel_size=[2, 1, 2], padding="same",
                   dilation=2),
        Layer.make("Add", "j3", {"from": ["l2", "b3"]})))
    assert analyze(design).dependencies(2, (2, 0, 0)) == ([(1, 1)], [(0, 0)], [(1, 1)])


def test_a_softmax_over_a_spatial_axis_reads_the_whole_axis() -> None:
    """Found by the property test: {input: [2], Softmax dim 2}: both outputs read both inputs (the engine said
    each reads its own unit). Over the channels, a unit reads only its own position."""
    for softmax in ("Softmax", "LogSoftmax"):
        design = single((2,), softmax, dim=2)
        assert [runs_of(design, (u,)) for u in range(2)] == [([(0, 1)],), ([(0, 1)],)]
        assert analyze(design).layers[0].receptive_field.size == (2,)
        across = single((3, 4), softmax, dim=-2)
        assert runs_of(across, (1, 2)) == ([(0, 2)], [(2, 2)])
        assert runs_of(single((3, 4), softmax, dim=1), (1, 2)) == ([(1, 1)], [(2, 2)])
        check_against_torch(Design("t", InputSpec(2, (3, 4)), (Layer.make(softmax, "l", dim=-1),)))


@pytest.mark.parametrize(("type_name", "args", "whole"), [
    ("GroupNorm", {"num_groups": 1}, True),
    ("InstanceNorm2d", {}, True),
    ("InstanceNorm2d", {"track_running_stats": True}, False),  # eval: the running statistics, a unit's own
    ("BatchNorm2d", {}, False),
])
def test_group_and_instance_norms_read_every_spatial_unit(type_name: str, args: dict, whole: bool) -> None:
    """Found by a review: GroupNorm and InstanceNorm (without running statistics, PyTorch's default) normalise
    by statistics over every spatial unit, so each output unit reads them all; the engine said each reads its
    own unit, and every field after them was a conv stack's (CycleGAN's, fast-neural-style's)."""
    design = single((3, 4), type_name, **args)
    assert runs_of(design, (1, 2)) == (([(0, 2)], [(0, 3)]) if whole else ([(1, 1)], [(2, 2)]))
    assert analyze(design).layers[0].receptive_field.size == ((3, 4) if whole else (1, 1))
    check_against_torch(Design("t", InputSpec(2, (3, 4)), (Layer.make(type_name, "l", args),)))


# -- the property test: random layers and small graphs against torch's forward pass ----------------------------

SCALES = (0.5, 0.7, 1.05, 1.1, 1.3, 1.5, 1.6, 2.0, 2.04, 2.1, 2.5, 3.0)
#: Input sizes per rank, small enough to perturb every unit of the input.
SIZES = {1: st.integers(2, 12), 2: st.integers(2, 6), 3: st.integers(2, 4)}


def _axes(draw: st.DrawFn, ndim: int, values: st.SearchStrategy) -> Any:
    """One value for every axis, or a list with one per axis."""
    return draw(values) if draw(st.booleans()) else [draw(values) for _ in range(ndim)]


ACTIVATIONS = ("Identity", "Hardswish", "Mish", "PReLU")
COPYING_PADS = ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad")


@st.composite
def random_layer(draw: st.DrawFn, shape: tuple[int, ...], name: str, normalising: bool = True) -> Layer:
    """A random layer for an incoming tensor of ``shape`` (channels first). The normalising layers (softmax
    over an axis, LayerNorm) only when ``normalising``, for a layer alone on the input (values 0.5 to 1.5):
    their outputs' sum over the normalised units is constant, so a later mean or pool over them reads none,
    which positive weights cannot prevent, and deeper an exponential can saturate below the probe's
    threshold. MaxPool reads data-dependently (see `check_against_torch`)."""
    ndim = len(shape) - 1
    kinds = ["conv", "conv", "same", "transposed", "pad", "pad", "upsample", "upsample", "upsample", "pool",
             "maxpool", "activation", "reshape", *(["normalise"] if normalising else []), *(["shuffle"] if ndim == 2 else [])]
    kind = draw(st.sampled_from(kinds))
    if kind == "conv":
        args: dict[str, Any] = {"kernel_size": _axes(draw, ndim, st.integers(1, 4)),
                                "stride": _axes(draw, ndim, st.integers(1, 3)),
                                "padding": _axes(draw, ndim, st.integers(0, 3)),
                                "dilation": _axes(draw, ndim, st.integers(1, 2)),
                                "padding_mode": draw(st.sampled_from(BORDERS))}
        if draw(st.booleans()):
            args["parametrization"] = draw(st.sampled_from(["weight_norm", "spectral_norm"]))
        return Layer.make(f"Conv{ndim}d", name, out_channels=1, **args)
    if kind == "same":
        return same_size_conv(draw, ndim, name)
    if kind == "transposed":
        stride = draw(st.integers(1, 3))
        return Layer.make(f"ConvTranspose{ndim}d", name, out_channels=1, kernel_size=draw(st.integers(1, 4)),
                          stride=stride, padding=draw(st.integers(0, 2)), dilation=draw(st.integers(1, 2)),
                          output_padding=draw(st.integers(0, stride - 1)))
    if kind == "pad":
        pad = draw(st.sampled_from(COPYING_PADS))
        extra = {"value": 1.5} if pad == "ConstantPad" else {}
        return Layer.make(f"{pad}{ndim}d", name, padding=[draw(st.integers(-1, 2)) for _ in range(2 * ndim)], **extra)
    if kind in ("pool", "maxpool"):
        k = draw(st.integers(1, 3))
        args = {"kernel_size": k, "stride": draw(st.integers(1, 2)), "padding": draw(st.integers(0, k // 2)),
                "ceil_mode": draw(st.booleans())}
        if kind == "maxpool":
            return Layer.make(f"MaxPool{ndim}d", name, args, dilation=draw(st.integers(1, 2)))
        return Layer.make(f"AvgPool{ndim}d", name, args, count_include_pad=draw(st.booleans()))
    if kind == "activation":
        activation = draw(st.sampled_from(ACTIVATIONS))
        return Layer.make(activation, name, {"num_parameters": shape[0]} if activation == "PReLU" else {})
    if kind == "reshape":  # the regroupings whose field the engine follows: those that keep the shape
        if draw(st.booleans()):
            return Layer.make("Unflatten", name, dim=draw(st.integers(1, ndim + 1)), unflattened_size=[-1])
        sizes = list(shape)
        sizes[draw(st.integers(0, ndim))] = -1
        return Layer.make("Reshape", name, shape=sizes)
    if kind == "normalise":  # over an axis of two units or more (over one unit, the output is constant)
        wide = [axis for axis in range(ndim + 1) if shape[axis] > 1]
        softmax = draw(st.sampled_from(["Softmax", "LogSoftmax", "LayerNorm"] + ["Softmax2d"] * (ndim == 2)))
        assume(wide and (softmax != "Softmax2d" or shape[0] > 1))
        if softmax == "LayerNorm":
            return Layer.make("LayerNorm", name, normalized_shape=list(shape[draw(st.integers(0, max(wide))):]))
        return Layer.make(softmax, name, dim=draw(st.sampled_from(wide)) + 1 - draw(st.sampled_from([0, ndim + 2])))
    if kind == "shuffle":
        if shape[0] % 4 == 0 and draw(st.booleans()):
            return Layer.make("PixelShuffle", name, upscale_factor=2)
        return Layer.make("PixelUnshuffle", name, downscale_factor=draw(st.sampled_from([1, 2])))
    modes = ["nearest", "nearest-exact", "area", {1: "linear", 2: "bilinear", 3: "trilinear"}[ndim]]
    if ndim == 2:
        modes.append("bicubic")
    mode = draw(st.sampled_from(modes))
    args = {"mode": mode}
    if draw(st.booleans()):
        args["scale_factor"] = _axes(draw, ndim, st.sampled_from(SCALES))
    else:
        args["size"] = _axes(draw, ndim, st.integers(1, 9))
    if mode not in ("nearest", "nearest-exact", "area") and draw(st.booleans()):
        args["align_corners"] = True
    return Layer.make("Upsample", name, args)


def same_size_conv(draw: st.DrawFn, ndim: int, name: str, **wiring: Any) -> Layer:
    """A stride-1 convolution whose output has its input's size ('same' padding), in any padding mode."""
    return Layer.make(f"Conv{ndim}d", name, out_channels=1, kernel_size=_axes(draw, ndim, st.integers(1, 4)),
                      padding="same", dilation=_axes(draw, ndim, st.integers(1, 2)),
                      padding_mode=draw(st.sampled_from(BORDERS)), **wiring)


def referring_layers(draw: st.DrawFn, ndim: int, n: int, current: str, earlier: list[str]) -> tuple[Layer, ...]:
    """Layers that name others: Upsample or CenterCrop to an earlier layer's size, or SegNet's step (a MaxPool,
    maybe a same-size convolution, the MaxUnpool with the pool's indices, sometimes sized like the pool's
    input); or a sub-pixel convolution (4 channels, then PixelShuffle)."""
    kind = draw(st.sampled_from(["crop", "resize", "unpool", "unpool"] + ["subpixel"] * (ndim == 2)))
    reference = draw(st.sampled_from(earlier))
    if kind == "crop":
        return (Layer.make("CenterCrop", f"c{n}", {"from": current, "size_from": reference}),)
    if kind == "resize":
        mode = draw(st.sampled_from(["nearest", "nearest-exact", "area", {1: "linear", 2: "bilinear", 3: "trilinear"}[ndim]]))
        return (Layer.make("Upsample", f"r{n}", {"from": current, "size_from": reference, "mode": mode}),)
    if kind == "subpixel":
        return (Layer.make("Conv2d", f"s{n}", {"from": current}, out_channels=4, kernel_size=draw(st.integers(1, 3)),
                           padding=draw(st.integers(0, 1))),
                Layer.make("PixelShuffle", f"x{n}", upscale_factor=2))
    k = draw(st.integers(1, 3))  # windows that do not overlap: where two values share an index, which one
    # the unpool keeps differs from run to run in torch 2.13 (a race between its threads)
    window = {"kernel_size": k, "stride": draw(st.integers(k, k + 1)), "padding": draw(st.integers(0, k // 2))}
    pool = Layer.make(f"MaxPool{ndim}d", f"p{n}", {"from": current, **window})
    between = (same_size_conv(draw, ndim, f"m{n}"),) if draw(st.booleans()) else ()
    sized = {"size_from": current} if draw(st.booleans()) else {}
    return (pool, *between, Layer.make(f"MaxUnpool{ndim}d", f"u{n}", {**window, "indices": f"p{n}", **sized}))


@st.composite
def random_design(draw: st.DrawFn) -> Design:
    """A chain of random layers with residual blocks (a same-size convolution added to, or concatenated
    with, what it reads) and layers that name others, each kept only when the engine accepts it and follows
    its field."""
    ndim = draw(st.sampled_from([1, 2, 3]))
    design = Design("p", InputSpec(draw(st.integers(1, 2)), tuple(draw(SIZES[ndim]) for _ in range(ndim))), ())
    for n in range(draw(st.integers(1, 4))):
        current = design.layers[-1].name if design.layers else "input"
        shape = analyze(design).layers[-1].output_shape if design.layers else design.input.shape
        kind = draw(st.sampled_from(["block", "layer", "layer", "refer"]))
        if kind == "block":
            join = draw(st.sampled_from(["Add", "Concat"]))
            added = (same_size_conv(draw, ndim, f"b{n}", **{"from": current}),
                     Layer.make(join, f"j{n}", {"from": [current, f"b{n}"]}))
        elif kind == "refer":
            added = referring_layers(draw, ndim, n, current, ["input", *(layer.name for layer in design.layers)])
        else:
            added = (draw(random_layer(shape, f"l{n}", normalising=False)),)
        candidate = Design("p", design.input, design.layers + added)
        analysis = analyze(candidate)
        last = analysis.layers[-1]
        runs_on = analysis.ok and not any(w.rule == "unpool-size" for w in analysis.warnings)  # torch may refuse
        if runs_on and all(v <= 12 for v in last.output_shape[1:]) and \
                analysis.dependencies(len(candidate.layers) - 1, (0,) * ndim) is not None:
            design = candidate
    assume(design.layers)
    return design


def torch_forward_dependencies(design: Design) -> dict[tuple[int, ...], set[tuple[int, ...]]]:
    """For each output unit of the design's last layer, the input units whose perturbation changes it (summed
    over channels), on the exported model with positive weights (no two paths cancel). Each channel of the
    unit moves by a different amount (1, 2, ...): a softmax over the channels ignores a shift of all of them.
    spectral_norm divides by the σ of vectors that its power iteration updates only in training mode: one
    forward there makes them the positive weights' (σ > 0) before the eval-mode probe. All the perturbed inputs
    run as one batch (every layer here treats the samples apart)."""
    torch = pytest.importorskip("torch")
    namespace: dict[str, Any] = {"__name__": "probe"}
    exec(compile(export_torch(design), "probe", "exec"), namespace)
    model = namespace[torch_plan(design).class_name]().double()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.5 + torch.rand(p.shape, generator=generator, dtype=torch.float64))
        x = 0.5 + torch.rand((1, *design.input.shape), generator=generator, dtype=torch.float64)
        model(x)
        model.eval()
        base = model(x)
        units = list(itertools.product(*(range(n) for n in design.input.size)))
        bumped = x.repeat(len(units), *(1 for _ in design.input.shape))  # one sample per perturbed unit
        steps = torch.arange(1.0, design.input.channels + 1, dtype=torch.float64)
        for sample, unit in enumerate(units):
            bumped[(sample, slice(None), *unit)] += steps
        changed = (model(bumped) - base).abs().sum(dim=1) > 1e-7
        found: dict[tuple[int, ...], set[tuple[int, ...]]] = {}
        for sample, *out in torch.nonzero(changed).tolist():
            found.setdefault(tuple(out), set()).add(units[sample])
    return found


@st.composite
def random_single_layer(draw: st.DrawFn) -> Design:
    ndim = draw(st.sampled_from([1, 2, 3]))
    spec = InputSpec(draw(st.integers(1, 2)), tuple(draw(SIZES[ndim]) for _ in range(ndim)))
    design = Design("p", spec, (draw(random_layer(spec.shape, "l")),))
    assume(analyze(design).ok and analyze(design).dependencies(0, (0,) * ndim) is not None)
    return design


@settings(max_examples=100)
@given(design=random_single_layer())
def test_single_layer_dependencies_match_torch_forward(design: Design) -> None:
    """Every padding mode, Upsample mode, size and factor, one layer at a time."""
    check_against_torch(design)


@pytest.mark.parametrize("design", [
    single((8,), "Conv1d", out_channels=1, kernel_size=3, padding=1, padding_mode="circular"),
    single((5, 4), "Conv2d", out_channels=1, kernel_size=3, padding=[2, 1], dilation=[1, 2], padding_mode="circular"),
    single((5, 3), "Conv2d", out_channels=1, kernel_size=[5, 3], padding=2, padding_mode="reflect"),
    single((3, 2, 4), "Conv3d", out_channels=1, kernel_size=2, padding=3, stride=2, padding_mode="replicate"),
    single((3,), "Upsample", scale_factor=1.1, mode="linear"),
    single((3, 4), "Upsample", scale_factor=[1.1, 1.5], mode="bilinear"),
    single((3, 3, 2), "Upsample", scale_factor=[1.1, 2.04, 1.3], mode="trilinear"),
    single((3, 3), "Upsample", scale_factor=1.1, mode="bicubic"),
    single((2, 2), "Upsample", scale_factor=2.04, mode="nearest"),
    single((3, 5), "Upsample", scale_factor=[1.1, 2.04], mode="nearest"),
    single((3,), "Upsample", scale_factor=1.1, mode="nearest"),
    single((3,), "Upsample", scale_factor=2.04, mode="nearest"),
    single((2, 3, 2), "Upsample", scale_factor=[2.04, 1.1, 2.04], mode="nearest"),
    single((4, 4), "Upsample", scale_factor=[1.05, 2.04], mode="nearest-exact"),
], ids=lambda d: f"{d.layers[0].type}-{d.layers[0].get('padding_mode') or d.layers[0].get('mode')}-{d.input.size}")
def test_the_reported_rules_against_torch_forward(design: Design) -> None:
    """Each rule of docs/torch-rules.md §12, measured again."""
    check_against_torch(design)


def test_dependencies_past_a_field_the_engine_stops_tracking() -> None:
    """Found by test_dependencies_match_torch_forward: three fractional nearest up-samplings make the field's
    period exceed PERIOD_LIMIT (the engine warns field-period and keeps no field map), but the dependencies
    walk the layers' sources, not the field maps: they are still exact, not None."""
    design = Design("p", InputSpec(1, (2,)), (
        Layer.make("Conv1d", "b0", out_channels=1, kernel_size=1, padding="same", inputs=("input",)),
        Layer.make("Add", "j0", inputs=("input", "b0")),
        Layer.make("Upsample", "l1", scale_factor=0.7),
        Layer.make("Upsample", "l2", scale_factor=1.05),
        Layer.make("Upsample", "l3", scale_factor=2.04),
    ))
    last = analyze(design).layers[-1]
    assert last.field_maps is None and [d.rule for d in last.diagnostics] == ["field-period"]
    check_against_torch(design)


@settings(max_examples=80)
@given(design=random_design())
def test_dependencies_match_torch_forward(design: Design) -> None:
    """The same through chains and residual blocks (Add, Concat) in 1-D, 2-D and 3-D."""
    check_against_torch(design)


#: Layers whose reads depend on the data (a maximum, or where the indices put a value): the engine's dependencies
#: are every unit the layer can read, PyTorch's forward pass on some data reads a part of them.
DATA_DEPENDENT = ("MaxPool", "MaxUnpool")


def check_against_torch(design: Design) -> None:
    """Per axis, the engine's exact dependencies of every output unit are the projection of the input units
    whose perturbation changes it in PyTorch; through a max pool or an unpool, they contain that projection."""
    found = torch_forward_dependencies(design)
    contains = any(layer.type.startswith(DATA_DEPENDENT) for layer in design.layers)
    analysis = analyze(design)
    index = len(design.layers) - 1
    out_size = analysis.layers[index].output_shape[1:]
    for unit in itertools.product(*(range(n) for n in out_size)):
        units = found.get(unit, set())
        expected = tuple(sorted({u[axis] for u in units}) for axis in range(len(out_size)))
        runs = analysis.dependencies(index, unit)
        assert runs is not None
        engine = tuple(sorted(x for lo, hi in axis_runs for x in range(lo, hi + 1)) for axis_runs in runs)
        if contains:
            assert all(set(e) <= set(a) for e, a in zip(expected, engine)), (unit, engine, expected, dumps(design))
        else:
            assert engine == expected, (unit, dumps(design))
