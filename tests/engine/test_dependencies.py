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


# -- the property test: random layers and small graphs against torch's forward pass ----------------------------

SCALES = (0.5, 0.7, 1.05, 1.1, 1.3, 1.5, 1.6, 2.0, 2.04, 2.1, 2.5, 3.0)
#: Input sizes per rank, small enough to perturb every unit of the input.
SIZES = {1: st.integers(2, 12), 2: st.integers(2, 6), 3: st.integers(2, 4)}


def _axes(draw: st.DrawFn, ndim: int, values: st.SearchStrategy) -> Any:
    """One value for every axis, or a list with one per axis."""
    return draw(values) if draw(st.booleans()) else [draw(values) for _ in range(ndim)]


@st.composite
def random_layer(draw: st.DrawFn, ndim: int, name: str) -> Layer:
    kind = draw(st.sampled_from(["conv", "conv", "same", "transposed", "pad", "upsample", "upsample", "upsample",
                                 "pool"]))
    if kind == "conv":
        return Layer.make(f"Conv{ndim}d", name, out_channels=1, kernel_size=_axes(draw, ndim, st.integers(1, 4)),
                          stride=_axes(draw, ndim, st.integers(1, 3)), padding=_axes(draw, ndim, st.integers(0, 3)),
                          dilation=_axes(draw, ndim, st.integers(1, 2)), padding_mode=draw(st.sampled_from(BORDERS)))
    if kind == "same":
        return same_size_conv(draw, ndim, name)
    if kind == "transposed":
        stride = draw(st.integers(1, 3))
        return Layer.make(f"ConvTranspose{ndim}d", name, out_channels=1, kernel_size=draw(st.integers(1, 4)),
                          stride=stride, padding=draw(st.integers(0, 2)), dilation=draw(st.integers(1, 2)),
                          output_padding=draw(st.integers(0, stride - 1)))
    if kind == "pad":
        return Layer.make(f"ZeroPad{ndim}d", name, padding=[draw(st.integers(-1, 2)) for _ in range(2 * ndim)])
    if kind == "pool":
        k = draw(st.integers(1, 3))
        return Layer.make(f"AvgPool{ndim}d", name, kernel_size=k, stride=draw(st.integers(1, 2)),
                          padding=draw(st.integers(0, k // 2)), ceil_mode=draw(st.booleans()),
                          count_include_pad=draw(st.booleans()))
    modes = ["nearest", "nearest-exact", "area", {1: "linear", 2: "bilinear", 3: "trilinear"}[ndim]]
    if ndim == 2:
        modes.append("bicubic")
    mode = draw(st.sampled_from(modes))
    args: dict[str, Any] = {"mode": mode}
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


@st.composite
def random_design(draw: st.DrawFn) -> Design:
    """A chain of random layers with residual blocks (a same-size convolution added to, or concatenated
    with, what it reads), each layer kept only when the engine accepts it."""
    ndim = draw(st.sampled_from([1, 2, 3]))
    design = Design("p", InputSpec(1, tuple(draw(SIZES[ndim]) for _ in range(ndim))), ())
    for n in range(draw(st.integers(1, 4))):
        current = design.layers[-1].name if design.layers else "input"
        if draw(st.booleans()):
            join = draw(st.sampled_from(["Add", "Concat"]))
            added = (same_size_conv(draw, ndim, f"b{n}", **{"from": current}),
                     Layer.make(join, f"j{n}", {"from": [current, f"b{n}"]}))
        else:
            added = (draw(random_layer(ndim, f"l{n}")),)
        candidate = Design("p", design.input, design.layers + added)
        if analyze(candidate).ok and all(v <= 12 for v in analyze(candidate).layers[-1].output_shape[1:]):
            design = candidate
    assume(design.layers)
    return design


def torch_forward_dependencies(design: Design) -> dict[tuple[int, ...], set[tuple[int, ...]]]:
    """For each output unit of the design's last layer, the input units whose perturbation changes it (summed
    over channels), on the exported model with positive weights (no two paths cancel)."""
    torch = pytest.importorskip("torch")
    namespace: dict[str, Any] = {"__name__": "probe"}
    exec(compile(export_torch(design), "probe", "exec"), namespace)
    model = namespace[torch_plan(design).class_name]().double().eval()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.5 + torch.rand(p.shape, generator=generator, dtype=torch.float64))
        x = 0.5 + torch.rand((1, *design.input.shape), generator=generator, dtype=torch.float64)
        base = model(x)
        found: dict[tuple[int, ...], set[tuple[int, ...]]] = {}
        for unit in itertools.product(*(range(n) for n in design.input.size)):
            bumped = x.clone()
            bumped[(0, slice(None), *unit)] += 1.0
            changed = (model(bumped) - base).abs().sum(dim=(0, 1)) > 1e-7
            for out in torch.nonzero(changed).tolist():
                found.setdefault(tuple(out), set()).add(unit)
    return found


@st.composite
def random_single_layer(draw: st.DrawFn) -> Design:
    ndim = draw(st.sampled_from([1, 2, 3]))
    design = Design("p", InputSpec(1, tuple(draw(SIZES[ndim]) for _ in range(ndim))),
                    (draw(random_layer(ndim, "l")),))
    assume(analyze(design).ok)
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


def check_against_torch(design: Design) -> None:
    """Per axis, the engine's exact dependencies of every output unit are the projection of the input units
    whose perturbation changes it in PyTorch."""
    found = torch_forward_dependencies(design)
    analysis = analyze(design)
    index = len(design.layers) - 1
    out_size = analysis.layers[index].output_shape[1:]
    for unit in itertools.product(*(range(n) for n in out_size)):
        units = found.get(unit, set())
        expected = tuple(sorted({u[axis] for u in units}) for axis in range(len(out_size)))
        runs = analysis.dependencies(index, unit)
        assert runs is not None
        engine = tuple(sorted(x for lo, hi in axis_runs for x in range(lo, hi + 1)) for axis_runs in runs)
        assert engine == expected, (unit, dumps(design))
