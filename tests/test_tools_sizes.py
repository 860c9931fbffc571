"""Valid input sizes: U-Net-like designs take multiples of 2^depth, checked against brute-force `analyze`
over the range; the compact descriptions; what happens when no size works or the other axes fail."""

from __future__ import annotations

import re
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.analysis import Analysis
from convdesigner.engine.layers import CATALOG
from convdesigner.engine.layers.common import identity_axis
from convdesigner.engine.tools.sizes import (
    MAX_SIZES,
    ShapeWalk,
    axis_sizes,
    describe_sizes,
    input_size_suggestion,
    input_sizes,
    nearest_valid_sizes,
    valid_input_sizes,
)


def unet(size: tuple[int, ...], depth: int, kernel: int = 3) -> Design:
    """An n-D U-Net: per level a conv block, max pooling by 2; back up with stride-2 transposed
    convolutions and a Concat from the matching level."""
    n = len(size)
    layers, skips, channels = [], [], 4
    for level in range(depth):
        layers += [Layer.make(f"Conv{n}d", f"enc{level}", {"out_channels": channels, "kernel_size": kernel,
                                                           "padding": kernel // 2}),
                   Layer.make("ReLU", f"relu{level}")]
        skips.append(f"relu{level}")
        layers.append(Layer.make(f"MaxPool{n}d", f"pool{level}", {"kernel_size": 2}))
        channels *= 2
    layers.append(Layer.make(f"Conv{n}d", "bottom", {"out_channels": channels, "kernel_size": kernel,
                                                     "padding": kernel // 2}))
    for level in reversed(range(depth)):
        channels //= 2
        layers += [Layer.make(f"ConvTranspose{n}d", f"up{level}", {"out_channels": channels, "kernel_size": 2,
                                                                   "stride": 2}),
                   Layer.make("Concat", f"cat{level}", {"from": skips[level]}),
                   Layer.make(f"Conv{n}d", f"dec{level}", {"out_channels": channels, "kernel_size": kernel,
                                                           "padding": kernel // 2})]
    return Design("unet", InputSpec(1, tuple(size)), tuple(layers))


def brute_force(design: Design, axis: int, low: int, high: int) -> list[int]:
    """The definition, with the full engine: analyse the design at every size."""
    valid = []
    for n in range(low, high + 1):
        size = list(design.input.size)
        size[axis] = n
        analysis = analyze(design.with_input(InputSpec(design.input.channels, tuple(size))))
        dropped = any(d.rule == "stride-drops-input" and d.axis == axis for d in analysis.warnings)
        if analysis.ok and not dropped:
            valid.append(n)
    return valid


@pytest.mark.parametrize(("size", "depth"), [((64, 48), 3), ((32,), 4), ((8, 8, 8), 2)])
def test_unet_takes_multiples_of_two_to_the_depth(size: tuple[int, ...], depth: int) -> None:
    design = unet(size, depth)
    assert analyze(design).ok
    step = 2 ** depth
    for axis in range(len(size)):
        assert valid_input_sizes(design, axis) == list(range(step, 1025, step))
        assert axis_sizes(design, axis).description == f"multiples of {step} from {step} to 1024"


@pytest.mark.parametrize("axis", [0, 1])
def test_sizes_match_brute_force_analysis(axis: int) -> None:
    design = unet((64, 40), 3)
    assert valid_input_sizes(design, axis, 1, 140) == brute_force(design, axis, 1, 140)


def test_sizes_match_brute_force_for_strided_unpadded_convolutions() -> None:
    # No padding, stride 2, k = 3 twice: (i - 3) must be even, then ((i - 3)/2 + 1 - 3) even too.
    design = Design("strided", InputSpec(1, (37,)), (
        Layer.make("Conv1d", "a", {"out_channels": 2, "kernel_size": 3, "stride": 2}),
        Layer.make("Conv1d", "b", {"out_channels": 2, "kernel_size": 3, "stride": 2}),
    ))
    sizes = valid_input_sizes(design, 0, 1, 200)
    assert sizes == brute_force(design, 0, 1, 200)
    assert sizes[:3] == [7, 11, 15]
    assert axis_sizes(design, 0).description == "7, 11, 15, ... (every 4 from 7 to 1023)"


def test_a_mismatched_square_unet_is_scanned_with_a_working_other_axis() -> None:
    # 100 is not a multiple of 8 on either axis: with W = 100 no height works, so W is set to 8.
    design = unet((100, 100), 3)
    assert not analyze(design).ok
    report = input_sizes(design)
    for axis in report:
        assert axis.sizes == tuple(range(8, 1025, 8))
        assert axis.others == (8, 8)
    assert nearest_valid_sizes(design, 0) == (96, 104)


def test_no_valid_size_says_why() -> None:
    design = Design("big kernel", InputSpec(1, (3,)), (Layer.make("Conv1d", "c", {"out_channels": 1,
                                                                               "kernel_size": 9}),))
    sizes = axis_sizes(design, 0, 1, 8)
    assert sizes.sizes == ()
    assert sizes.description.startswith("none from 1 to 8: at 3, c: kernel 9 is larger than the padded input 3")


def test_a_design_error_independent_of_size_is_the_reason() -> None:
    design = Design("typo", InputSpec(1, (16,)), (Layer.make("Conv1d", "c", {"out_channels": 1, "kernel": 3}),))
    sizes = axis_sizes(design, 0, 1, 32)
    assert sizes.sizes == () and re.search(r"Conv1d'? has no argument 'kernel'", sizes.reason or "")


def test_bad_axis_or_range_is_refused() -> None:
    design = unet((16,), 1)
    with pytest.raises(ValueError, match="no axis 1"):
        axis_sizes(design, 1)
    with pytest.raises(ValueError, match="1 <= low <= high"):
        axis_sizes(design, 0, 10, 5)


@pytest.mark.parametrize(("sizes", "low", "high", "text"), [
    ([], 1, 64, "none from 1 to 64"),
    (list(range(1, 65)), 1, 64, "every size from 1 to 64"),
    (list(range(7, 65)), 1, 64, "every size from 7 to 64"),
    ([16, 48, 80], 1, 100, "16, 48, 80"),
    (list(range(16, 1025, 16)), 1, 1024, "multiples of 16 from 16 to 1024"),
    (list(range(16, 1009, 32)), 1, 1024, "16, 48, 80, ... (every 32 from 16 to 1008)"),
    ([n for n in range(1, 41) if n % 4 in (1, 2)], 1, 40, "every size n with n mod 4 = 1 or 2, from 1 to 38"),
    ([1, 2, 3, 7, 8, 20, 21, 22, 30], 1, 40, "1-3, 7-8, 20-22, 30"),
])
def test_describe_sizes(sizes: list[int], low: int, high: int, text: str) -> None:
    assert describe_sizes(sizes, low, high) == text


# ------------------------------------------------------------------------- random designs, brute force

def _conv_stride_and_padding(draw: st.DrawFn, n: int) -> tuple[int, object]:
    """A convolution's stride and padding of every form (padding='same' needs stride 1)."""
    padding = draw(st.sampled_from([0, 1, 2, "same", "full", [[0, 1]] * n, [[2, 1]] * n]))
    return (1 if padding == "same" else draw(st.integers(1, 3))), padding


@st.composite
def designs(draw: st.DrawFn) -> Design:
    """Small 1-D or 2-D stacks of every kind of layer the per-axis filter models (and Softmax, which it
    does not), with joins back to earlier layers; valid or not."""
    ndim = draw(st.integers(1, 2))
    n = ndim
    layers: list[Layer] = []
    for j in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["conv", "conv", "transposed", "pool", "pool", "upsample", "pad", "adaptive",
                                     "join", "relu", "softmax"]))
        name = f"l{j}"
        if kind == "conv":
            stride, padding = _conv_stride_and_padding(draw, n)
            layers.append(Layer.make(f"Conv{n}d", name, {"out_channels": 2, "kernel_size": draw(st.integers(1, 4)),
                                                         "stride": stride, "padding": padding,
                                                         "dilation": draw(st.integers(1, 2))}))
        elif kind == "transposed":
            stride = draw(st.integers(1, 3))
            layers.append(Layer.make(f"ConvTranspose{n}d", name, {
                "out_channels": 2, "kernel_size": draw(st.integers(1, 4)), "stride": stride,
                "padding": draw(st.integers(0, 2)), "output_padding": draw(st.integers(0, stride - 1))}))
        elif kind == "pool":
            k = draw(st.integers(1, 3))
            layers.append(Layer.make(f"{draw(st.sampled_from(['Max', 'Avg']))}Pool{n}d", name, {
                "kernel_size": k, "stride": draw(st.integers(1, 3)), "padding": draw(st.integers(0, k // 2)),
                "ceil_mode": draw(st.booleans())}))
        elif kind == "upsample":
            layers.append(Layer.make("Upsample", name, {"scale_factor": draw(st.sampled_from([2, 1.5, 0.5]))}))
        elif kind == "pad":
            layers.append(Layer.make(f"ZeroPad{n}d", name, {"padding": draw(st.lists(
                st.integers(-2, 2), min_size=2 * n, max_size=2 * n))}))
        elif kind == "adaptive":
            layers.append(Layer.make(f"AdaptiveMaxPool{n}d", name, {"output_size": draw(st.integers(1, 6))}))
        elif kind == "join" and layers:
            source = draw(st.sampled_from([layer.name for layer in layers]))
            layers.append(Layer.make(draw(st.sampled_from(["Concat", "Add"])), name, {"from": source}))
        elif kind == "softmax":
            layers.append(Layer.make("Softmax", name, {"dim": 1}))
        else:
            layers.append(Layer.make("ReLU", name))
    size = tuple(draw(st.integers(1, 30)) for _ in range(ndim))
    return Design("random", InputSpec(2, size), tuple(layers))


@given(designs(), st.data())
def test_sizes_of_random_designs_match_brute_force(design: Design, data: st.DataObject) -> None:
    axis = data.draw(st.integers(0, design.input.ndim - 1))
    result = axis_sizes(design, axis, 1, 30)
    reference = design.with_input(InputSpec(design.input.channels, result.others))
    assert list(result.sizes) == brute_force(reference, axis, 1, 30)


@st.composite
def graphs(draw: st.DrawFn) -> Design:
    """1-D to 3-D graphs of every layer type with a size rule (and a few without: Flatten, Linear, Softmax),
    with branches (``from`` an earlier layer or the input) and joins of two or three operands; valid or not.
    Arguments stray past what the engine accepts now and then (output padding past the stride, pooling's
    padding past half the kernel), so that refusals that do not depend on the size are met too."""
    n = draw(st.sampled_from([1, 2, 2, 3]))
    names: list[str] = []
    layers: list[Layer] = []
    small = st.integers(-2, 3)
    for j in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["conv", "conv", "transposed", "pool", "pool", "upsample", "pad", "adaptive",
                                     "join", "join", "norm", "pointwise", "shuffle", "flatten"]))
        args: dict = {}
        if names and kind != "join" and draw(st.integers(0, 3)) == 0:
            args["from"] = draw(st.sampled_from(names + ["input"]))
        name = f"l{j}"
        if kind == "conv":
            stride, padding = _conv_stride_and_padding(draw, n)
            layer = Layer.make(f"Conv{n}d", name, {**args, "out_channels": draw(st.sampled_from([2, 2, 4])),
                                                   "kernel_size": draw(st.integers(1, 4)), "stride": stride,
                                                   "padding": padding, "dilation": draw(st.integers(1, 2)),
                                                   "padding_mode": draw(st.sampled_from(
                                                       ["zeros", "zeros", "reflect", "replicate", "circular"]))})
        elif kind == "transposed":
            stride = draw(st.integers(1, 3))
            dilation = draw(st.integers(1, 2))
            layer = Layer.make(f"ConvTranspose{n}d", name, {
                **args, "out_channels": 2, "kernel_size": draw(st.integers(1, 4)), "stride": stride,
                "padding": draw(st.integers(0, 2)), "dilation": dilation,
                "output_padding": draw(st.integers(0, max(stride, dilation)))})
        elif kind == "pool":
            k = draw(st.integers(1, 3))
            kind_name = draw(st.sampled_from(["Max", "Avg"]))
            pool = {**args, "kernel_size": k, "stride": draw(st.sampled_from([None, 1, 2, 3])),
                    "padding": draw(st.integers(0, k // 2 + 1)), "ceil_mode": draw(st.booleans())}
            if kind_name == "Max":
                pool["dilation"] = draw(st.integers(1, 2))
            layer = Layer.make(f"{kind_name}Pool{n}d", name, pool)
        elif kind == "upsample":
            mode = draw(st.sampled_from(["nearest", "interpolating", "area", "nearest-exact"]))
            mode = {1: "linear", 2: "bilinear", 3: "trilinear"}[n] if mode == "interpolating" else mode
            scale = draw(st.sampled_from([2, 1.5, 0.5, 0.3, 3]))
            how = {"size": draw(st.integers(1, 12))} if draw(st.integers(0, 3)) == 0 else {"scale_factor": scale}
            layer = Layer.make("Upsample", name, {**args, **how, "mode": mode})
        elif kind == "pad":
            family = draw(st.sampled_from(["Zero", "Constant", "Reflection", "Replication", "Circular"]))
            pad = {**args, "padding": draw(st.lists(small, min_size=2 * n, max_size=2 * n))}
            if family == "Constant":
                pad["value"] = 0.5
            layer = Layer.make(f"{family}Pad{n}d", name, pad)
        elif kind == "adaptive":
            layer = Layer.make(f"Adaptive{draw(st.sampled_from(['Avg', 'Max']))}Pool{n}d", name, {
                **args, "output_size": draw(st.integers(1, 6)) if n == 1 else
                draw(st.lists(st.sampled_from([None, 1, 3, 5]), min_size=n, max_size=n))})
        elif kind == "join" and names:
            operands = draw(st.lists(st.sampled_from(names + ["input"]), min_size=1, max_size=3))
            layer = Layer.make(draw(st.sampled_from(["Concat", "Add", "Mul"])), name,
                               {"from": operands[0] if len(operands) == 1 else operands})
        elif kind == "norm":
            norm = draw(st.sampled_from(["InstanceNorm", "BatchNorm", "LayerNorm", "GroupNorm"]))
            if norm == "LayerNorm":
                layer = Layer.make("LayerNorm", name, {**args, "normalized_shape": draw(st.lists(
                    st.integers(1, 12), min_size=1, max_size=2))})
            elif norm == "GroupNorm":
                layer = Layer.make("GroupNorm", name, {**args, "num_groups": 2})
            else:
                layer = Layer.make(f"{norm}{n}d", name, args)
        elif kind == "shuffle" and n == 2:
            layer = draw(st.sampled_from([Layer.make("PixelShuffle", name, {**args, "upscale_factor": 2}),
                                          Layer.make("PixelUnshuffle", name, {**args, "downscale_factor": 2})]))
        elif kind == "flatten":
            layer = Layer.make("Flatten", name, args)
            if draw(st.booleans()):
                layers.append(layer)
                names.append(name)
                name = f"l{j}_linear"
                layer = Layer.make("Linear", name, {"in_features": draw(st.sampled_from([None, 8, 36])),
                                                    "out_features": 3})
        else:
            layer = Layer.make(draw(st.sampled_from(["ReLU", "Softmax"])), name,
                               {**args, "dim": 1} if draw(st.booleans()) else args)
        layers.append(layer)
        names.append(name)
    size = tuple(draw(st.integers(1, 14 if n == 3 else 30)) for _ in range(n))
    return Design("graph", InputSpec(2, size), tuple(layers))


def _first_error(analysis: Analysis) -> tuple[str | None, str, str] | None:
    errors = analysis.errors
    return (errors[0].layer or "input", errors[0].rule, errors[0].message) if errors else None


@settings(max_examples=150, deadline=None)
@given(graphs(), st.data())
def test_sizes_of_random_graphs_match_brute_force(design: Design, data: st.DataObject) -> None:
    """The size-only pass against `analyze` at every size: branches, joins of several operands, every size
    rule (padding that copies the input, ceil_mode, output padding, dilation, interpolation, pads that crop,
    normalisation that fixes a size), and layers without one (Flatten, Linear)."""
    axis = data.draw(st.integers(0, design.input.ndim - 1))
    high = 16 if design.input.ndim == 3 else 30
    low = data.draw(st.integers(1, 8))  # the rules are asked at the smallest size alive: not always 1
    result = axis_sizes(design, axis, low, high)
    reference = design.with_input(InputSpec(design.input.channels, result.others))
    assert list(result.sizes) == brute_force(reference, axis, low, high)


@settings(max_examples=150, deadline=None)
@given(graphs(), st.data())
def test_the_shapes_only_pass_fails_where_analyze_does(design: Design, data: st.DataObject) -> None:
    """`ShapeWalk.run` at sizes it meets in any order (its memo of each rule's verdict per input channels
    must hold for every size): the same first error as `analyze`, the same dropped-input warnings per axis."""
    walk = ShapeWalk(design)
    for _ in range(4):
        size = tuple(data.draw(st.integers(1, 30)) for _ in range(design.input.ndim))
        analysis = analyze(design.with_input(InputSpec(design.input.channels, size)))
        failure, drops = walk.run(size)
        expected = _first_error(analysis)
        assert (None if failure is None else (failure.layer, failure.rule, failure.message)) == expected
        if failure is None:
            dropped = {d.axis for d in analysis.warnings if d.rule == "stride-drops-input"}
            assert set(drops) == dropped


def _one(type_name: str, **args: object) -> Layer:
    return Layer.make(type_name, type_name.lower(), args)


@pytest.mark.parametrize(("design", "low", "high", "expected"), [
    # Sizes refused in the middle of the range, which the rule, asked at the smallest size alive, accepts:
    # only the axis rules see them. A 1x1 stride-2 branch joins the input only where both have one unit.
    (Design("join", InputSpec(2, (8,)), (Layer.make("Conv1d", "a", {"out_channels": 2, "kernel_size": 1, "stride": 2}),
                                         Layer.make("Add", "b", {"from": ["input", "a"]}))), 1, 10, [1]),
    (Design("layer norm", InputSpec(2, (12,)), (_one("LayerNorm", normalized_shape=[2, 12]),)), 12, 30, [12]),
    (Design("layer norm, channels", InputSpec(2, (4, 12)), (_one("LayerNorm", normalized_shape=[2, 4, 12]),)),
     2, 30, [12]),
    (Design("unshuffle", InputSpec(4, (6, 6)), (_one("PixelUnshuffle", downscale_factor=2),)), 3, 12, [4, 6, 8, 10, 12]),
    (Design("instance norm", InputSpec(2, (1, 5)), (_one("InstanceNorm2d"),)), 1, 6, [2, 3, 4, 5, 6]),
    (Design("stride", InputSpec(1, (9,)), (_one("MaxPool1d", kernel_size=3, stride=2),)), 1, 12, [3, 5, 7, 9, 11]),
    (Design("reflect", InputSpec(1, (9,)), (_one("Conv1d", out_channels=1, kernel_size=3, padding=3,
                                                 padding_mode="reflect"),)), 1, 6, [4, 5, 6]),
    (Design("circular", InputSpec(1, (9,)), (_one("Conv1d", out_channels=1, kernel_size=3, padding=3,
                                                  padding_mode="circular"),)), 1, 6, [3, 4, 5, 6]),
    (Design("avgpool3d", InputSpec(1, (4, 4, 4)), (_one("AvgPool3d", kernel_size=3, stride=1, padding=1),)), 1, 6,
     [3, 4, 5, 6]),
])
def test_sizes_the_rules_refuse_by_size_are_not_listed(design: Design, low: int, high: int,
                                                        expected: list[int]) -> None:
    axis = design.input.ndim - 1
    assert valid_input_sizes(design, axis, low, high) == expected == brute_force(design, axis, low, high)


def _residual(layers: int) -> Design:
    """bench_huge's deep stack: conv / batch norm / ReLU / strided conv / transposed conv blocks, an Add every
    fifth block joining the block's input back in."""
    out = [Layer.make("Conv2d", "stem", {"out_channels": 4, "kernel_size": 3, "padding": 1})]
    block = 0
    while len(out) < layers:
        start, b = out[-1].name, f"b{block}_"
        out += [Layer.make("Conv2d", b + "conv", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
                Layer.make("BatchNorm2d", b + "bn", {}), Layer.make("ReLU", b + "relu", {}),
                Layer.make("Conv2d", b + "down", {"out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1}),
                Layer.make("ConvTranspose2d", b + "up", {"out_channels": 4, "kernel_size": 4, "stride": 2,
                                                         "padding": 1})]
        if block % 5 == 4:
            out.append(Layer.make("Add", b + "add", {"from": start}))
        out.append(Layer.make("ReLU", b + "out", {}))
        block += 1
    return Design("residual", InputSpec(3, (64, 64)), tuple(out[:layers]))


def test_a_scan_asks_each_layer_rule_once_not_once_per_size() -> None:
    """Issue 12: sizes ran every layer's rule for every size (1024 x 1000 evaluations on a 1,000-layer
    design). The size-only pass takes the sizes together through the axis rules and asks each rule once;
    only the sizes the axis rules cannot decide are walked on alone."""
    design = _residual(300)
    walk = ShapeWalk(design)
    result = axis_sizes(design, 1, 1, 1024, walk)
    assert result.sizes == tuple(range(2, 1025))  # 1 fails: the stride-2 convolution's kernel does not fit
    assert walk.walks == 1
    assert walk.evaluations <= len(design.layers) + 1


def test_sizes_refused_at_a_join_leave_the_pass_alone() -> None:
    design = unet((64, 48), 4)
    walk = ShapeWalk(design)
    assert axis_sizes(design, 0, 1, 1024, walk).sizes == tuple(range(16, 1025, 16))
    # Each size that is not a multiple of 16 is refused at one join (or dropped by a pooling, which needs no
    # rule): one rule evaluation and no more for each, besides one per layer.
    assert walk.walks <= 1024 - 64
    assert walk.evaluations <= len(design.layers) + walk.walks


def test_sizes_walk_on_alone_after_a_layer_without_size_rules() -> None:
    """Flatten has no axis rule: the sizes alive there are walked on alone from it, not from the start."""
    design = Design("classifier", InputSpec(1, (32,)), (
        _one("Conv1d", out_channels=2, kernel_size=3, padding=1), _one("MaxPool1d", kernel_size=4),
        Layer.make("Conv1d", "conv2", {"out_channels": 2, "kernel_size": 3, "padding": 1}), _one("Flatten"),
        _one("Linear", in_features=16, out_features=3)))
    assert valid_input_sizes(design, 0, 1, 1024) == [32] == brute_force(design, 0, 1, 64)
    walk = ShapeWalk(design)
    axis_sizes(design, 0, 1, 1024, walk)
    assert walk.walks == 256 + 3  # the multiples of 4 alive after the pooling; 1-3, where its kernel does not fit
    assert walk.evaluations <= 3 + 2 * walk.walks  # Flatten and Linear for each; one per layer before


def test_sizes_that_meet_go_on_as_one() -> None:
    """After a pooling by 2 (ceil_mode: nothing dropped) 2m - 1 and 2m are the same tensor: the sizes walked
    on alone from Flatten are walked once per pair."""
    design = Design("pairs", InputSpec(1, (32,)), (
        _one("MaxPool1d", kernel_size=2, ceil_mode=True), _one("Flatten"), _one("Linear", out_features=3)))
    walk = ShapeWalk(design)
    result = axis_sizes(design, 0, 1, 1024, walk)
    assert result.sizes == tuple(range(1, 1025))
    assert walk.walks == 512
    design = Design("pairs", InputSpec(1, (32,)), (
        _one("MaxPool1d", kernel_size=2, ceil_mode=True), _one("Flatten"), _one("Linear", in_features=7,
                                                                                 out_features=3)))
    assert valid_input_sizes(design, 0, 1, 40) == [13, 14] == brute_force(design, 0, 1, 40)


def test_an_axis_rule_that_disagrees_with_its_layer_rule_is_not_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A type whose axis rule is wrong (an identity for a stride-2 convolution) is caught where its rule is
    first asked: from then on the rule judges every size of that layer, and the answer stays exact."""
    monkeypatch.setitem(CATALOG, "Conv1d", replace(CATALOG["Conv1d"], axis_rule=identity_axis))
    design = Design("wrong", InputSpec(1, (16,)), (
        Layer.make("Conv1d", "down", {"out_channels": 1, "kernel_size": 3, "stride": 2}), _one("ReLU")))
    walk = ShapeWalk(design)
    assert axis_sizes(design, 0, 3, 40, walk).sizes == tuple(brute_force(design, 0, 3, 40)) == tuple(range(3, 41, 2))
    assert walk.rules[0] is None
    walk = ShapeWalk(design)
    assert walk.run((16,))[1] and walk.rules[0] is None  # 16: the last input unit is dropped


def test_the_shapes_only_pass_asks_each_rule_once_per_input_channels() -> None:
    """One size at a time (`ShapeWalk.run`, what the GUI's suggestions use): after the first size, a
    design's sizes come from the axis rules alone."""
    design = _residual(200)
    walk = ShapeWalk(design)
    for n in range(2, 200):
        assert walk.run((n, 64)) == (None, {})
    assert walk.evaluations == len(design.layers)


def test_input_size_suggestion_for_a_join_mismatch() -> None:
    assert input_size_suggestion(unet((100, 100), 3)) == "the nearest input sizes that work are 96 or 104 on H and W"
    assert input_size_suggestion(unet((100, 64), 3)) == "the nearest input sizes that work are 96 or 104 on H"
    assert input_size_suggestion(unet((100, 60), 3)) == ("the nearest input sizes that work are 96 or 104 on H; "
                                                          "56 or 64 on W")
    assert input_size_suggestion(unet((30,), 2)) == "the nearest input sizes that work are 28 or 32"
    assert input_size_suggestion(unet((64, 64), 3)) is None


def test_input_size_suggestion_scans_only_when_the_own_size_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """`sizes` asks for the suggestion after every report: a design whose own input size works gets its None
    from one walk at that size, no scan around it (a scan of 257 sizes per axis before), exactly where the
    scans would have found every axis's own size valid, at every size around a U-Net's working ones."""
    scans: list[int] = []
    scan = ShapeWalk.scan

    def counted(walk: ShapeWalk, axis: int, *args: Any) -> Any:
        scans.append(axis)
        return scan(walk, axis, *args)

    monkeypatch.setattr(ShapeWalk, "scan", counted)
    early = []
    for n in range(56, 74):
        for size in ((n, n), (n, 64), (n,)):
            design = unet(size, 3 if len(size) == 2 else 2)
            scans.clear()
            found = input_size_suggestion(design)
            if not scans:
                early.append(size)
            # the scans would have found every axis's own size valid (their answer then is None) exactly then
            own_valid = all(own in axis_sizes(design, axis, max(1, own - 128), own + 128).sizes
                            for axis, own in enumerate(size))
            assert own_valid == (size in early), (size, found)
            assert found is None if own_valid else found is not None
    assert early == [(56, 56), (56, 64), (56,), (60,), (64, 64), (64, 64), (64,), (68,), (72, 72), (72, 64), (72,)]


def test_sizes_whose_tensors_the_engine_refuses_are_not_listed() -> None:
    """A transposed convolution of stride 10^8 to 10^8 channels: its output holds 10^8 (10^8 (n - 1) + 1)
    values, 2^63 bytes or more (analyze's "tensor-size" rule) from n = 232 on."""
    design = Design("huge", InputSpec(1, (2,)), (Layer.make("ConvTranspose1d", "t", {
        "out_channels": 100_000_000, "kernel_size": 1, "stride": 100_000_000}),))
    sizes = axis_sizes(design, 0, 200, 1024)
    assert sizes.sizes == tuple(range(200, 232))
    assert analyze(design.with_input(InputSpec(1, (231,)))).ok
    assert [d.rule for d in analyze(design.with_input(InputSpec(1, (232,)))).errors] == ["tensor-size"]
    assert axis_sizes(design, 0, 1000, 1024).reason == (
        "at 1000, t: the output 100000000×99900000001 would hold 9.99e+18 values, more than PyTorch can "
        "address (2^63 bytes)")


def test_input_sizes_the_engine_refuses_are_not_listed() -> None:
    """Sizes beyond MAX_INT, or an input tensor of 2^63 bytes, fail like analyze's input check."""
    design = Design("wide", InputSpec(1, (8,)), (Layer.make("ReLU", "r"),))
    assert valid_input_sizes(design, 0, 99_999_998, 100_000_002) == [99_999_998, 99_999_999, 100_000_000]
    deep = Design("deep", InputSpec(100_000_000, (100_000_000, 8)), (Layer.make("ReLU", "r"),))
    assert valid_input_sizes(deep, 1, 228, 240) == [228, 229, 230]  # 10^16 x 231 x 4 bytes >= 2^63
    assert analyze(deep.with_input(InputSpec(100_000_000, (100_000_000, 230)))).ok
    assert not analyze(deep.with_input(InputSpec(100_000_000, (100_000_000, 231)))).ok


def test_every_branch_of_a_graph_counts() -> None:
    """The main path keeps any size; the branch pools by 4 (ceil_mode: nothing dropped) and up-samples by 4,
    so the Add only matches for multiples of 4: a scan that followed the main path alone would list all."""
    from convdesigner.engine.tools.sizes import valid_input_sizes

    design = Design("branch", InputSpec(1, (16,)), (
        Layer.make("Conv1d", "main", {"out_channels": 1, "kernel_size": 3, "padding": 1}),
        Layer.make("MaxPool1d", "pool", {"from": "input", "kernel_size": 4, "ceil_mode": True}),
        Layer.make("Upsample", "up", {"scale_factor": 4}),
        Layer.make("Add", "sum", {"from": ["main", "up"]}),
    ))
    assert valid_input_sizes(design, 0, 1, 40) == [4, 8, 12, 16, 20, 24, 28, 32, 36, 40]


def _deep_stack(layers: int) -> Design:
    """Blocks of conv 3x3 (padding 1) and ReLU, with a max pooling every 20 layers: every size works."""
    kinds = [("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}), ("ReLU", {})]
    stack = [Layer.make(kinds[n % 2][0], f"l{n}", kinds[n % 2][1]) if n % 20 != 19
             else Layer.make("MaxPool2d", f"l{n}", {"kernel_size": 2, "ceil_mode": True}) for n in range(layers)]
    return Design("deep", InputSpec(1, (64, 64)), tuple(stack))


def _peak_bytes(call: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_scan_memory_does_not_grow_with_the_range() -> None:
    """Issue 17: sizes kept every layer's result for every size tried (0.5 KB per layer and size: 4.8 GB
    for 10,000 layers over 1..1024). It keeps a few results per layer now, so the peak is the same over 512
    sizes as over 64."""
    design = _deep_stack(200)
    assert analyze(design).ok
    small = _peak_bytes(lambda: input_sizes(design, 1, 64))
    large = _peak_bytes(lambda: input_sizes(design, 1, 512))
    assert large < 1.5 * small + 100_000, (small, large)
    assert large < 3_000_000, large


def test_the_range_is_bounded() -> None:
    design = _deep_stack(3)
    with pytest.raises(ValueError, match="at most 100,000 sizes"):
        axis_sizes(design, 0, 1, 100_000_000)
    assert len(axis_sizes(design, 0, 1, MAX_SIZES).sizes) == MAX_SIZES
