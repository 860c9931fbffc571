"""Valid input sizes: U-Net-like designs take multiples of 2^depth, checked against brute-force `analyze`
over the range; the compact descriptions; what happens when no size works or the other axes fail."""

from __future__ import annotations

import re
import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.tools.sizes import (
    MAX_SIZES,
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
            stride = draw(st.integers(1, 3))
            padding = draw(st.sampled_from([0, 1, 2, "same", "full", [[0, 1]] * n, [[2, 1]] * n]))
            if padding == "same":
                stride = 1
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


def test_input_size_suggestion_for_a_join_mismatch() -> None:
    assert input_size_suggestion(unet((100, 100), 3)) == "the nearest input sizes that work are 96 or 104 on H and W"
    assert input_size_suggestion(unet((100, 64), 3)) == "the nearest input sizes that work are 96 or 104 on H"
    assert input_size_suggestion(unet((100, 60), 3)) == ("the nearest input sizes that work are 96 or 104 on H; "
                                                          "56 or 64 on W")
    assert input_size_suggestion(unet((30,), 2)) == "the nearest input sizes that work are 28 or 32"
    assert input_size_suggestion(unet((64, 64), 3)) is None


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
