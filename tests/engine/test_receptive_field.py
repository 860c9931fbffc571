"""Receptive fields: Araujo et al.'s published numbers, the exact fields of up-sampling layers, and the
per-position dependency intervals, against a brute force and against PyTorch's autograd.

The published numbers: Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional Neural
Networks" (Distill, 2019), computed with their library (google-research/receptive_field,
RECEPTIVE_FIELD_TABLE.md, the TF-Slim models alexnet_v2 and vgg_16): receptive field size r, effective
stride S and effective padding P per end-point. The engine's start is the centre of output unit 0's field,
so unit 0 covers [-P, -P + r - 1] and start = -P + (r - 1) / 2.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from convdesigner.engine import Analysis, Design, InputSpec, Layer, analyze, memo
from convdesigner.engine import analysis as analysis_module
from convdesigner.engine import receptive_field as rf


def conv(name: str, out: int, k: int, s: int = 1, p: int = 0, **kw: Any) -> Layer:
    return Layer.make("Conv2d", name, out_channels=out, kernel_size=k, stride=s, padding=p, **kw)


def maxpool(name: str, k: int, s: int) -> Layer:
    return Layer.make("MaxPool2d", name, kernel_size=k, stride=s)


def vgg16_features() -> list[Layer]:
    """VGG-16's convolutional part (TF-Slim's end-point names): 'SAME' 3x3 convolutions, 2x2 pools."""
    layers: list[Layer] = []
    for block, (count, width) in enumerate([(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)], start=1):
        for j in range(1, count + 1):
            layers += [conv(f"conv{block}_{j}", width, 3, p=1), Layer.make("ReLU", f"relu{block}_{j}")]
        layers.append(maxpool(f"pool{block}", 2, 2))
    return layers


def alexnet_v2_features() -> list[Layer]:
    """TF-Slim's alexnet_v2: conv1 11x11/4 'VALID', 3x3/2 pools, 'SAME' convolutions after."""
    return [
        conv("conv1", 64, 11, s=4), Layer.make("ReLU", "relu1"), maxpool("pool1", 3, 2),
        conv("conv2", 192, 5, p=2), Layer.make("ReLU", "relu2"), maxpool("pool2", 3, 2),
        conv("conv3", 384, 3, p=1), Layer.make("ReLU", "relu3"),
        conv("conv4", 384, 3, p=1), Layer.make("ReLU", "relu4"),
        conv("conv5", 256, 3, p=1), Layer.make("ReLU", "relu5"), maxpool("pool5", 3, 2),
    ]


# end-point, r, S, P (RECEPTIVE_FIELD_TABLE.md, resolution 224)
VGG16_PUBLISHED = [
    ("conv1_1", 3, 1, 1), ("pool1", 6, 2, 2), ("conv2_1", 10, 2, 4), ("pool2", 16, 4, 6),
    ("conv3_1", 24, 4, 10), ("conv3_2", 32, 4, 14), ("pool3", 44, 8, 18), ("conv4_1", 60, 8, 26),
    ("conv4_2", 76, 8, 34), ("pool4", 100, 16, 42), ("conv5_1", 132, 16, 58), ("conv5_2", 164, 16, 74),
    ("pool5", 212, 32, 90),
]
ALEXNET_V2_PUBLISHED = [
    ("conv1", 11, 4, 0), ("pool1", 19, 8, 0), ("conv2", 51, 8, 16), ("conv3", 99, 16, 32),
    ("conv4", 131, 16, 48), ("conv5", 163, 16, 64), ("pool5", 195, 32, 64),
]


@pytest.mark.parametrize("layers,published", [(vgg16_features, VGG16_PUBLISHED),
                                              (alexnet_v2_features, ALEXNET_V2_PUBLISHED)],
                         ids=["vgg_16", "alexnet_v2"])
def test_published_receptive_fields(layers: Any, published: list[tuple[str, int, int, int]]) -> None:
    analysis = analyze(Design("net", InputSpec(3, (224, 224)), tuple(layers())))
    assert analysis.ok
    for name, r, stride, padding in published:
        field = analysis.result(name).receptive_field
        assert field is not None
        assert field.size == (r, r), name
        assert field.jump == (stride, stride), name
        assert field.start == (Fraction(r - 1, 2) - padding,) * 2, name


def one_d(size: int, *layers: Layer) -> Analysis:
    return analyze(Design("axis", InputSpec(1, (size,)), tuple(layers)))


def test_transposed_after_conv_takes_the_widest_residue() -> None:
    """ConvTranspose(k=3, s=2, p=1) after a k=3 conv: even outputs read one unit (field 3), odd ones two
    neighbouring units (field 4); Araujo's single-path formula does not apply."""
    analysis = one_d(16, Layer.make("Conv1d", "conv", out_channels=1, kernel_size=3),
                     Layer.make("ConvTranspose1d", "up", out_channels=1, kernel_size=3, stride=2, padding=1))
    up = analysis.result("up")
    assert up.receptive_field.size == (4,)
    assert up.receptive_field.jump == (Fraction(1, 2),)
    assert up.receptive_field.start == (Fraction(1),)  # unit 0 reads input 0 of the conv: [0, 2]
    maps = up.field_maps[0]
    assert [maps.bounds(y) for y in range(4)] == [(0, 2), (0, 3), (1, 3), (1, 4)]


def test_transposed_2d_after_conv_2d() -> None:
    """The same stack in 2-D, per axis: ConvTranspose2d(k=3, s=2, p=1) after a 3x3 conv."""
    analysis = analyze(Design("2d", InputSpec(3, (16, 16)), (
        Layer.make("Conv2d", "conv", out_channels=8, kernel_size=3),
        Layer.make("ConvTranspose2d", "up", out_channels=4, kernel_size=3, stride=2, padding=1))))
    field = analysis.result("up").receptive_field
    assert field.size == (4, 4)
    assert field.jump == (Fraction(1, 2), Fraction(1, 2))
    assert field.start == (Fraction(1), Fraction(1))


def test_upsample_fields() -> None:
    nearest = one_d(8, Layer.make("Upsample", "up", scale_factor=2)).result("up").receptive_field
    assert (nearest.size, nearest.jump, nearest.start) == ((1,), (Fraction(1, 2),), (Fraction(0),))
    linear = one_d(8, Layer.make("Upsample", "up", scale_factor=2, mode="linear")).result("up").receptive_field
    assert (linear.size, linear.jump) == ((2,), (Fraction(1, 2),))
    # Up then down by the same factor: the jump returns to 1.
    both = one_d(8, Layer.make("Upsample", "up", scale_factor=2, mode="linear"),
                 Layer.make("Conv1d", "down", out_channels=1, kernel_size=2, stride=2)).result("down")
    assert both.receptive_field.jump == (Fraction(1),)
    assert both.receptive_field.size == (3,)


def test_a_whole_axis_normalisation_has_jump_zero() -> None:
    """Every unit of a softmax over the spatial axis reads all of it: their fields coincide, so the distance
    between neighbouring units' fields (the jump) is 0, and a convolution after it adds nothing to the field
    (found by the fuzz test on a one-unit axis, where the field is that unit)."""
    for size in (1, 6):
        analysis = one_d(size, Layer.make("Conv1d", "c", out_channels=2, kernel_size=1),
                         Layer.make("Softmax", "s", dim=-1), Layer.make("Conv1d", "after", out_channels=1,
                                                                      kernel_size=1 if size == 1 else 3))
        field = analysis.result("s").receptive_field
        assert (field.size, field.jump) == ((size,), (Fraction(0),))
        assert analysis.result("after").receptive_field.size == (size,)
        assert analysis.dependency_interval(2, (0,)) == ((0, size - 1),)


def test_flatten_ends_the_spatial_field() -> None:
    analysis = one_d(8, Layer.make("Conv1d", "c", out_channels=2, kernel_size=3), Layer.make("Flatten", "f"),
                     Layer.make("Linear", "fc", out_features=3))
    assert analysis.result("c").receptive_field is not None
    assert analysis.result("f").receptive_field is None
    assert analysis.result("fc").receptive_field is None
    assert analysis.dependency_interval(1, (0,)) is None


# ------------------------------------------------------------------------------- the brute-force reference

def dependencies(spec: tuple, y: int, i: int, o: int, clip: bool) -> set[int]:
    """The input positions output unit y of one 1-D layer reads, from the layer's definition in PyTorch.
    With ``clip`` the input is 0..i-1 as in PyTorch; without it the input is unbounded (no borders)."""
    kind = spec[0]
    if kind in ("Conv1d", "MaxPool1d", "AvgPool1d"):
        _, k, s, p, d = spec[:5]
        found = {y * s - p + t * d for t in range(k)}
    elif kind == "ConvTranspose1d":
        _, k, s, p, _a, d = spec
        found = {(y + p - t * d) // s for t in range(k) if (y + p - t * d) % s == 0}
    elif kind == "ZeroPad1d":
        found = {y - spec[1]}
    elif kind == "AdaptiveAvgPool1d":
        found = set(range((y * i) // o, -(-((y + 1) * i) // o)))
    elif kind == "ReLU":
        found = {y}
    else:  # Upsample
        _, mode, size, scale = spec
        ratio = Fraction(i, o) if size is not None else 1 / Fraction(scale)
        if mode == "nearest":
            found = {floor(y * ratio)}
        elif mode == "nearest-exact":
            found = {floor((y + Fraction(1, 2)) * ratio)}
        else:
            src = (y + Fraction(1, 2)) * ratio - Fraction(1, 2)
            if clip:
                src = max(src, Fraction(0))
            x0 = floor(src)
            found = {x0, x0 + 1} if src != x0 else {x0}
            if clip:
                found = {min(x, i - 1) for x in found}
        if clip:
            found = {min(x, i - 1) for x in found}
    return {x for x in found if 0 <= x < i} if clip else found


def brute_force(specs: list[tuple], sizes: list[int], index: int, position: int, clip: bool) -> set[int]:
    """The network-input positions output ``position`` of layer ``index`` depends on, by propagating
    explicit dependency sets back through every layer."""
    needed = {position}
    for j in range(index, -1, -1):
        needed = {x for y in needed for x in dependencies(specs[j], y, sizes[j], sizes[j + 1], clip)}
    return needed


def spec_layer(spec: tuple, name: str) -> Layer:
    kind = spec[0]
    if kind == "Conv1d":
        return Layer.make(kind, name, out_channels=1, kernel_size=spec[1], stride=spec[2], padding=spec[3],
                          dilation=spec[4])
    if kind == "MaxPool1d":
        return Layer.make(kind, name, kernel_size=spec[1], stride=spec[2], padding=spec[3], dilation=spec[4],
                          ceil_mode=spec[5])
    if kind == "AvgPool1d":
        return Layer.make(kind, name, kernel_size=spec[1], stride=spec[2], padding=spec[3], ceil_mode=spec[5])
    if kind == "ConvTranspose1d":
        return Layer.make(kind, name, out_channels=1, kernel_size=spec[1], stride=spec[2], padding=spec[3],
                          output_padding=spec[4], dilation=spec[5])
    if kind == "ZeroPad1d":
        return Layer.make(kind, name, padding=[spec[1], spec[2]])
    if kind == "AdaptiveAvgPool1d":
        return Layer.make(kind, name, output_size=spec[1])
    if kind == "ReLU":
        return Layer.make(kind, name)
    _, mode, size, scale = spec
    args = {"mode": mode, **({"size": size} if size is not None else {"scale_factor": scale})}
    return Layer.make("Upsample", name, args)


@st.composite
def axis_layer(draw: st.DrawFn, autograd: bool = False) -> tuple:
    kinds = ["Conv1d", "Conv1d", "AvgPool1d", "ConvTranspose1d", "ConvTranspose1d", "Upsample", "ZeroPad1d",
             "AdaptiveAvgPool1d", "ReLU"] + ([] if autograd else ["MaxPool1d"])
    kind = draw(st.sampled_from(kinds))
    if kind == "Conv1d":
        return (kind, draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(0, 2)),
                draw(st.integers(1, 3)))
    if kind in ("MaxPool1d", "AvgPool1d"):
        k = draw(st.integers(1, 4))
        d = draw(st.integers(1, 2)) if kind == "MaxPool1d" else 1
        return (kind, k, draw(st.integers(1, 3)), draw(st.integers(0, k // 2)), d, draw(st.booleans()))
    if kind == "ConvTranspose1d":
        s, d = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        return (kind, draw(st.integers(1, 5)), s, draw(st.integers(0, 2)), draw(st.integers(0, max(s, d) - 1)), d)
    if kind == "ZeroPad1d":
        return (kind, draw(st.integers(-2, 3)), draw(st.integers(-2, 3)))
    if kind == "AdaptiveAvgPool1d":
        return (kind, draw(st.integers(3, 20)))
    if kind == "ReLU":
        return (kind,)
    mode = draw(st.sampled_from(["nearest", "linear", "nearest-exact"]))
    if draw(st.booleans()):
        return ("Upsample", mode, draw(st.integers(4, 30)), None)
    return ("Upsample", mode, None, draw(st.sampled_from([2, 3])))


def analysed_prefix(size: int, specs: list[tuple]) -> tuple[list[tuple], Analysis]:
    """The longest prefix of the stack the engine accepts, with its analysis."""
    analysis = one_d(size, *(spec_layer(s, f"l{j}") for j, s in enumerate(specs)))
    computed = sum(1 for r in analysis.layers if r.computed)
    specs = specs[:computed]
    return specs, one_d(size, *(spec_layer(s, f"l{j}") for j, s in enumerate(specs)))


@given(size=st.integers(8, 40), specs=st.lists(axis_layer(), min_size=1, max_size=5))
def test_field_maps_match_brute_force(size: int, specs: list[tuple]) -> None:
    """Every output unit's field (ignoring borders) is the span of its unbounded dependency set, and the
    size is the largest span over the output positions."""
    specs, analysis = analysed_prefix(size, specs)
    assume(specs)
    sizes = [size] + [r.output_shape[1] for r in analysis.layers]
    last = analysis.layers[-1]
    if last.field_maps is None:  # the period grew past PERIOD_LIMIT: the engine says so
        assert any(d.rule == "field-period" for r in analysis.layers for d in r.warnings)
        return
    field_map = last.field_maps[0]
    spans = []
    for y in range(min(sizes[-1], 2 * field_map.period + 8)):
        found = brute_force(specs, sizes, len(specs) - 1, y, clip=False)
        bounds = field_map.bounds(y)
        if not found:
            assert bounds is None
            continue
        assert bounds == (min(found), max(found)), y
        spans.append(max(found) - min(found) + 1)
    if sizes[-1] >= field_map.period and spans:
        assert last.receptive_field.size == (max(spans),)
    # The jump: shifting the output by one period shifts every field by period * jump.
    period = field_map.period
    for y in range(min(period, sizes[-1] - period)):
        here = brute_force(specs, sizes, len(specs) - 1, y, clip=False)
        there = brute_force(specs, sizes, len(specs) - 1, y + period, clip=False)
        if here:
            assert min(there) - min(here) == last.receptive_field.jump[0] * period


@given(size=st.integers(4, 40), specs=st.lists(axis_layer(), min_size=1, max_size=5), data=st.data())
def test_dependency_interval_matches_brute_force(size: int, specs: list[tuple], data: st.DataObject) -> None:
    """With borders: the interval of real input positions (padding excluded) an output unit depends on."""
    specs, analysis = analysed_prefix(size, specs)
    assume(specs)
    sizes = [size] + [r.output_shape[1] for r in analysis.layers]
    index = data.draw(st.integers(0, len(specs) - 1), "layer")
    for y in range(sizes[index + 1]):
        found = brute_force(specs, sizes, index, y, clip=True)
        expected = ((min(found), max(found)),) if found else None
        assert analysis.dependency_interval(index, (y,)) == expected, (index, y)


def test_dependency_interval_in_two_dimensions() -> None:
    analysis = analyze(Design("2d", InputSpec(1, (9, 12)), (
        Layer.make("Conv2d", "c", out_channels=1, kernel_size=[3, 5], stride=[2, 1], padding=[1, 0]),
        Layer.make("ConvTranspose2d", "t", out_channels=1, kernel_size=3, stride=2, padding=1),
    )))
    assert analysis.ok
    assert analysis.dependency_interval(0, (0, 0)) == ((0, 1), (0, 4))
    assert analysis.dependency_interval(0, (4, 7)) == ((7, 8), (7, 11))
    # Output row 1 of the transposed layer reads conv rows 0 and 1, i.e. input rows 0..3.
    assert analysis.dependency_interval(1, (1, 0)) == ((0, 3), (0, 4))


# ------------------------------------------------------------------------------------ PyTorch's autograd

def torch_gradient_positions(specs: list[tuple], sizes: list[int], index: int, position: int) -> set[int]:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    modules = []
    for spec in specs[: index + 1]:
        kind = spec[0]
        if kind == "Conv1d":
            m = nn.Conv1d(1, 1, spec[1], stride=spec[2], padding=spec[3], dilation=spec[4], bias=False)
        elif kind == "AvgPool1d":
            m = nn.AvgPool1d(spec[1], stride=spec[2], padding=spec[3], ceil_mode=spec[5])
        elif kind == "ConvTranspose1d":
            m = nn.ConvTranspose1d(1, 1, spec[1], stride=spec[2], padding=spec[3], output_padding=spec[4],
                                   dilation=spec[5], bias=False)
        elif kind == "ZeroPad1d":
            m = nn.ZeroPad1d((spec[1], spec[2]))
        elif kind == "AdaptiveAvgPool1d":
            m = nn.AdaptiveAvgPool1d(spec[1])
        elif kind == "ReLU":
            m = nn.ReLU()
        else:
            _, mode, size, scale = spec
            m = nn.Upsample(size=size, scale_factor=scale, mode=mode)
        for p in m.parameters():
            nn.init.ones_(p)  # all-ones weights: no two paths cancel
        modules.append(m.double())
    x = torch.ones(1, 1, sizes[0], dtype=torch.float64, requires_grad=True)
    y = nn.Sequential(*modules)(x)
    y[0, 0, position].backward()
    return {int(j) for j in torch.nonzero(x.grad[0, 0]).flatten()}


@given(size=st.integers(4, 40), specs=st.lists(axis_layer(autograd=True), min_size=1, max_size=4),
       data=st.data())
def test_dependency_interval_matches_torch_autograd(size: int, specs: list[tuple], data: st.DataObject) -> None:
    """The gradient of one output unit with respect to the input is nonzero exactly on the positions the
    unit depends on; the engine's interval is their span."""
    pytest.importorskip("torch")
    specs, analysis = analysed_prefix(size, specs)
    assume(specs)
    sizes = [size] + [r.output_shape[1] for r in analysis.layers]
    index = len(specs) - 1
    position = data.draw(st.integers(0, sizes[-1] - 1), "position")
    found = torch_gradient_positions(specs, sizes, index, position)
    assert found == brute_force(specs, sizes, index, position, clip=True)
    expected = ((min(found), max(found)),) if found else None
    assert analysis.dependency_interval(index, (position,)) == expected


def test_dependency_interval_2d_matches_torch_autograd() -> None:
    """A 2-D stack with different arguments per axis: the nonzero gradient of each output unit spans
    exactly the engine's interval on both axes (all-ones weights and input, so nothing cancels)."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    layers = (
        Layer.make("Conv2d", "c1", out_channels=1, kernel_size=[3, 2], stride=[2, 1], padding=[1, 0], bias=False),
        Layer.make("ConvTranspose2d", "t", out_channels=1, kernel_size=[3, 4], stride=[2, 3], padding=[1, 0],
                   output_padding=[1, 2], bias=False),
        Layer.make("Upsample", "u", size=[13, 11], mode="bilinear"),
        Layer.make("AvgPool2d", "p", kernel_size=[2, 3], stride=[1, 2], padding=[1, 0]),
    )
    analysis = analyze(Design("2d", InputSpec(1, (9, 7)), layers))
    assert analysis.ok
    model = nn.Sequential(
        nn.Conv2d(1, 1, (3, 2), stride=(2, 1), padding=(1, 0), bias=False),
        nn.ConvTranspose2d(1, 1, (3, 4), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), bias=False),
        nn.Upsample(size=(13, 11), mode="bilinear"),
        nn.AvgPool2d((2, 3), stride=(1, 2), padding=(1, 0)),
    ).double()
    for p in model.parameters():
        nn.init.ones_(p)
    x = torch.ones(1, 1, 9, 7, dtype=torch.float64, requires_grad=True)
    y = model(x)
    assert tuple(y.shape[1:]) == analysis.output_shape
    for row in range(y.shape[2]):
        for col in range(y.shape[3]):
            x.grad = None
            y[0, 0, row, col].backward(retain_graph=True)
            rows, cols = torch.nonzero(x.grad[0, 0], as_tuple=True)
            expected = ((int(rows.min()), int(rows.max())), (int(cols.min()), int(cols.max())))
            assert analysis.dependency_interval(3, (row, col)) == expected, (row, col)



# ------------------------------------------------- dependency_runs against the per-position algorithm


def dependency_runs_per_position(sources: rf.AxisSources, outputs: rf.Runs, input_size: int) -> rf.Runs:
    """The former `dependency_runs`, kept as an oracle: every output position of a run shorter than
    RUN_LIMIT visited one by one (the module's RUN_LIMIT read at call time, so a test may lower it)."""
    limit = rf.RUN_LIMIT
    out: rf.Runs = []
    period = sources.period_out

    def add(positions: range) -> None:
        if positions.step == 1 or len(positions) > limit:
            out.append((positions[0], positions[-1]))
        else:
            out.extend((x, x) for x in positions)

    for a, b in outputs:
        if b - a < limit:
            for y in range(a, b + 1):
                for positions in rf.reads(sources.sources(y), input_size, sources.border):
                    if positions:
                        add(positions)
        else:
            ends = [p for y in (*range(a, a + period), *range(b - period + 1, b + 1))
                    if (p := sources.sources(y)) is not None]
            if ends:
                lo, hi = min(p[0] for p in ends), max(p[0] + p[1] * (p[2] - 1) for p in ends)
                for positions in rf.reads((lo, 1, hi - lo + 1), input_size, sources.border):
                    if positions:
                        add(positions)
    out = rf.coalesce(out)
    if len(out) > limit:
        out = [(out[0][0], out[-1][1])]
    return out


RESAMPLE_MODES = ("nearest", "nearest-exact", "linear", "cubic", "aligned-linear", "aligned-cubic", "adaptive")


@st.composite
def axis_sources(draw: st.DrawFn) -> rf.AxisSources:
    kind = draw(st.sampled_from(["window", "scatter", "resample"]))
    if kind == "window":
        return rf.Window(draw(st.integers(1, 9)), draw(st.integers(1, 6)), draw(st.integers(0, 12)),
                         draw(st.integers(1, 7)), draw(st.sampled_from(rf.BORDERS)))
    if kind == "scatter":
        return rf.Scatter(draw(st.integers(1, 9)), draw(st.integers(1, 6)), draw(st.integers(0, 12)),
                          draw(st.integers(1, 7)))
    return rf.Resample(Fraction(draw(st.integers(1, 7)), draw(st.integers(1, 7))), draw(st.sampled_from(RESAMPLE_MODES)))


@st.composite
def output_runs(draw: st.DrawFn) -> rf.Runs:
    starts = draw(st.lists(st.integers(-3, 80), min_size=1, max_size=4))
    return [(a, a + draw(st.integers(0, 60))) for a in starts]


@given(sources=axis_sources(), outputs=output_runs(), input_size=st.integers(1, 90), limit=st.sampled_from([2, 3, 5, 8, 4096]))
def test_dependency_runs_equal_the_per_position_algorithm(sources: rf.AxisSources, outputs: rf.Runs, input_size: int,
                                                          limit: int) -> None:
    """On random small layers, output runs and input sizes (outputs beyond the layer's own output
    included: the runs must agree wherever the per-position walk is defined), with RUN_LIMIT lowered so
    that the widening safeguards are exercised too."""
    with patch.object(rf, "RUN_LIMIT", limit):
        assert rf.dependency_runs(sources, list(outputs), input_size) == \
            dependency_runs_per_position(sources, list(outputs), input_size)


def counted(source: rf.AxisSources) -> Any:
    """The same sources, counting in ``source.asked`` how often they are asked."""
    ask = source.sources

    def sources(y: int) -> rf.Progression | None:
        source.__dict__["asked"] += 1
        return ask(y)

    source.__dict__.update(asked=0, sources=sources)
    return source


def test_dependency_runs_of_a_sparse_field_are_counted_by_runs() -> None:
    """1,000 outputs of a transposed convolution with kernel 1,000 and dilation 65,536 each read 1,000 single
    positions: 1,000 runs of 1,000, found from one period (its sources asked a few times, not once per output,
    and never 10^6 singletons); then a convolution with k = 3, d = 2 widens each run by 4, asking its sources a
    few times per run, not once per position (10^6)."""
    scatter = counted(rf.Scatter(1000, 1, 0, 65536))
    runs = rf.dependency_runs(scatter, [(70_000_000, 70_000_999)], 100_000_000)
    assert runs == [(70_000_000 - 65536 * j, 70_000_999 - 65536 * j) for j in range(999, -1, -1)]
    assert scatter.asked <= 4
    window = counted(rf.Window(3, 1, 0, 2))
    assert rf.dependency_runs(window, runs, 100_000_000) == [(lo, hi + 4) for lo, hi in runs]
    assert window.asked <= 4 * len(runs)


def composed_unit_by_unit(field: rf.FieldMap, sources: rf.AxisSources) -> rf.FieldMap:
    """A period-1 map through sources, each output unit of the sources' period from its own progression (the
    composition as it was before it was planned once per sources and shift)."""
    L, H, Q = field.low[0], field.high[0], field.shift
    low: list[int | None] = []
    high: list[int | None] = []
    for y in range(sources.period_out):
        prog = sources.sources(y)
        if prog is None or L is None or H is None:
            low.append(None)
            high.append(None)
        else:
            low.append(L + Q * prog[0])
            high.append(H + Q * (prog[0] + prog[1] * (prog[2] - 1)))
    return rf._reduce(sources.period_out, Q * sources.shift_in, low, high)


@given(sources=st.one_of(
    st.builds(rf.Scatter, st.integers(1, 7), st.integers(1, 6), st.integers(0, 6), st.integers(1, 3)),
    st.builds(rf.Resample, st.builds(Fraction, st.integers(1, 9), st.integers(1, 9)),
              st.sampled_from(["nearest", "nearest-exact", "linear", "cubic", "aligned-linear", "adaptive"]))),
    low=st.integers(-40, 40), width=st.integers(0, 30), shifts=st.lists(st.integers(0, 8), min_size=1, max_size=4))
def test_a_planned_composition_equals_the_composition_unit_by_unit(sources: rf.AxisSources, low: int, width: int,
                                                                   shifts: list[int]) -> None:
    """An up-sampling or transposed layer on a period-1 map: the map planned once per sources and incoming
    shift (and then shifted to where the field starts) is the one composed unit by unit, its shortest period
    included, for several fields through the same sources."""
    for shift in shifts:
        for start in (low, low + 7):
            field = rf.FieldMap(1, shift, (start,), (start + width,))
            assert rf.compose(field, sources) == composed_unit_by_unit(field, sources)


def test_fields_are_composed_when_asked() -> None:
    """`analyze` composes no receptive field (nor does asking whether the design is valid, or for its
    errors); asking for a layer's field composes the fields up to it, once."""
    layers = [conv(f"c{j}", 4, 3, s=1 + j % 2, p=1) for j in range(40)]
    design = Design("d", InputSpec(4, (4096, 4096)), tuple(layers))
    composed: list[int] = []  # the layers whose field was composed, in order
    original = analysis_module._FieldWalk._composed

    def counted(walk, j: int):  # type: ignore[no-untyped-def]
        composed.append(j)
        return original(walk, j)

    with patch.object(analysis_module._FieldWalk, "_composed", counted):
        analysis = analyze(design)
        assert analysis.ok and not analysis.errors and analysis.output_shape == (4, 1, 1)
        assert composed == []
        field = analysis.layers[9].receptive_field
        assert composed == list(range(10))
        assert analysis.layers[9].receptive_field is field and analysis.layers[3].field_maps is not None
        assert len(composed) == 10
        assert analysis.layers[-1].whole_input == (True, True)
        assert composed == list(range(40))
    eager = analyze(design)
    assert [r.receptive_field for r in reversed(eager.layers)][::-1] == [r.receptive_field for r in analysis.layers]


def test_every_field_builds_each_maps_fractions_once_and_shares_the_rest() -> None:
    """Asking every layer's field asks two fractions (jump and start) per map a layer composes, none for a
    square field's second axis (one map serves both) and none for a layer that reads its input unit by unit
    (normalisation, activations: it has its operand's field and ReceptiveField, the same objects); each
    distinct fraction is built once (they repeat down a stack). Before, every layer built four (two per axis),
    so a 1,000-layer stack built 4,000. The up-sampling layers' sources are asked once per period of theirs
    and shift of the incoming map, not once per layer."""
    block = [conv("c", 8, 3, p=1), Layer.make("BatchNorm2d", "bn"), Layer.make("ReLU", "relu"), maxpool("pool", 2, 2),
             Layer.make("ConvTranspose2d", "up", out_channels=8, kernel_size=4, stride=2, padding=1),
             conv("down", 8, 3, s=2, p=1), Layer.make("Upsample", "resize", scale_factor=2),
             Layer.make("LeakyReLU", "leaky")]
    layers = tuple(Layer.make(layer.type, f"{layer.name}{n}", dict(layer.args)) for n in range(12) for layer in block)
    analysis = analyze(Design("d", InputSpec(8, (64, 64)), layers))
    memo.clear_all()  # no fraction kept from before
    asked: list[tuple[int, int]] = []
    built: list[tuple[int, int]] = []
    sourced: list[int] = []
    fraction, scatter, resample = rf.fraction, rf.Scatter.sources, rf.Resample.sources

    def asking(numerator: int, denominator: int) -> Fraction:
        asked.append((numerator, denominator))
        return fraction(numerator, denominator)

    def building(numerator: int, denominator: int = 1) -> Fraction:
        built.append((numerator, denominator))
        return Fraction(numerator, denominator)

    with patch.object(rf, "fraction", asking), patch.object(rf, "Fraction", building), \
            patch.object(rf.Scatter, "sources", lambda s, y: sourced.append(y) or scatter(s, y)), \
            patch.object(rf.Resample, "sources", lambda s, y: sourced.append(y) or resample(s, y)):
        fields = [r.receptive_field for r in analysis.layers]
    pointwise = [r for r in analysis.layers if r.type in ("BatchNorm2d", "ReLU", "LeakyReLU")]
    assert len(asked) == 2 * (len(layers) - len(pointwise)) == 120
    assert sorted(built) == sorted(set(asked)) and len(built) < 20
    assert sourced == [0, 1, 0, 1]  # the transposed convolution's two phases, then the up-sampling's
    for r in pointwise:
        assert r.receptive_field is analysis.layers[r.inputs[0]].receptive_field
    assert fields == [r.receptive_field for r in analyze(Design("d", InputSpec(8, (64, 64)), layers)).layers]
    assert fields[-1].size == (fields[-1].size[0],) * 2 and fields[-1].jump == (1, 1)
    assert all(type(j) is Fraction and type(s) is Fraction for f in fields for j, s in zip(f.jump, f.start))


def test_a_field_composed_when_asked_holds_the_fields_of_the_values_a_layer_reads() -> None:
    """A MaxUnpool puts its input's values where its pool's indices say: its field holds the pool's field (the
    indices' values) as well as its input's. Here the input (a 1x1 convolution of stride 2) reads one pixel
    per unit and the pool two: the field walk merges the pool's in, each unit's field then spans exactly the
    positions it depends on, composed whichever layer is asked first."""
    design = Design("side", InputSpec(1, (8, 8)), (
        Layer.make("MaxPool2d", "pool", kernel_size=2),
        Layer.make("Conv2d", "side", out_channels=1, kernel_size=1, stride=2, inputs=["input"]),
        Layer.make("MaxUnpool2d", "unpool", kernel_size=2, indices="pool"),
    ))
    for first in (2, 0):
        analysis = analyze(design)
        assert analysis.layers[first].receptive_field is not None
        assert analysis.layers[1].receptive_field.size == (1, 1)
        unpool = analysis.layers[2]
        assert unpool.receptive_field.size == (2, 2)
        for p in range(8):
            bounds = unpool.field_maps[0].bounds(p)
            assert analysis.dependency_interval(2, (p, p)) == (bounds, bounds) == ((p - p % 2, p - p % 2 + 1),) * 2
