"""The numbers mode's values (convdesigner.engine.numeric): the paper's numerical figures, PyTorch's values on
random small layers, both views of a transposed convolution, and the matrix view of section 4.1.

The paper's numbers come from its repository (vdumoulin/conv_arithmetic): bin/produce_figure draws the input
with numpy seed 1234 (randint 0..3, 5x5) and the kernel (randint 0..2, 3x3); the outputs below were read from
the last frame of each committed animation (pdf/numerical_*_08.pdf), where every output cell is filled in.
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from itertools import product
from math import prod
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.numeric import (
    AVG_POOL,
    CONVOLUTION,
    DATA,
    EMPTY_MAX,
    MAX_POOL,
    OUTSIDE,
    PADDING,
    PAPER_INPUT,
    PAPER_KERNEL,
    TRANSPOSED,
    ZERO,
    Grid,
    NumericLayer,
    NumericState,
    channel_note,
    conv_matrix,
    explain,
    explain_scatter,
    format_number,
    forward,
    forward_scatter,
    layer_matrix,
    matrix_forward,
    parse_value,
    supports,
)


def analysed(type_name: str, size: tuple[int, ...], channels: int = 1, **args: Any):
    """The LayerResult of one layer applied to a (channels, *size) input."""
    design = Design("t", InputSpec(channels, tuple(size)), (Layer.make(type_name, "layer", args),))
    return analyze(design).layers[0]


def numeric(type_name: str, size: tuple[int, ...], **args: Any) -> NumericLayer:
    result = analysed(type_name, size, **args)
    assert not result.errors, [d.text for d in result.errors]
    return NumericLayer.from_result(result)


# ------------------------------------------------------------------------------------ the paper's figures

PAPER_FIGURES = {
    # figure: (layer type, arguments, output as the paper draws it)
    "1.1": ("Conv2d", {"out_channels": 1, "kernel_size": 3}, [[12, 12, 17], [10, 17, 19], [9, 6, 14]]),
    "1.2": ("Conv2d", {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1},
            [[6, 17, 3], [8, 17, 13], [6, 4, 4]]),
    "1.6": ("MaxPool2d", {"kernel_size": 3, "stride": 1}, [[3, 3, 3], [3, 3, 3], [3, 2, 3]]),
}
#: Figure 1.5 as printed (numpy's float32 mean, one decimal).
PAPER_AVERAGES = [[1.7, 1.7, 1.7], [1.0, 1.2, 1.8], [1.1, 0.8, 1.3]]


def test_paper_input_and_kernel() -> None:
    assert PAPER_KERNEL.to_nested() == [[0, 1, 2], [2, 2, 0], [0, 1, 2]]
    assert PAPER_INPUT.to_nested()[0] == [3, 3, 2, 1, 0]
    assert sum(PAPER_INPUT.values) == 34


@pytest.mark.parametrize("figure", sorted(PAPER_FIGURES))
def test_paper_figures_1_1_1_2_1_6(figure: str) -> None:
    type_name, args, expected = PAPER_FIGURES[figure]
    state = NumericState.default(numeric(type_name, (5, 5), **args))
    assert state.input == PAPER_INPUT
    assert state.output.to_nested() == expected
    assert all(type(v) is int for v in state.output.values)


def test_paper_figure_1_5_average_pooling_exactly() -> None:
    state = NumericState.default(numeric("AvgPool2d", (5, 5), kernel_size=3, stride=1))
    out = state.output
    assert out.to_nested() == [[Fraction(15, 9)] * 3, [1, Fraction(11, 9), Fraction(16, 9)],
                               [Fraction(10, 9), Fraction(7, 9), Fraction(12, 9)]]
    assert all(isinstance(v, Fraction) for v in out.values)
    printed = [[float(format_number(v, 1, state_rule=False)) for v in row] for row in out.to_nested()]
    assert printed == PAPER_AVERAGES
    assert state.explain(0).text == "(3 + 3 + 2 + 0 + 0 + 1 + 3 + 1 + 2) / 9 = 15/9 = 5/3"
    assert state.explain(4).line(decimals=2) == "(0 + 1 + 3 + 1 + 2 + 2 + 0 + 0 + 2) / 9 = 11/9 = 1.22 (rounded to 2 decimals)"


def test_paper_figure_1_1_step_by_step() -> None:
    state = NumericState.default(numeric("Conv2d", (5, 5), out_channels=1, kernel_size=3))
    first = state.explain(0)
    assert first.text == "3·0 + 3·1 + 2·2 + 0·2 + 0·2 + 1·0 + 3·0 + 1·1 + 2·2 = 12"
    assert first.line(max_terms=3) == "3·0 + 3·1 + 2·2 + ... = 12"
    assert [t.input_position for t in first.terms[:3]] == [(0, 0), (0, 1), (0, 2)]
    last = state.explain(8)
    assert last.position == (2, 2) and last.value == 14
    assert [t.value for t in last.terms] == [2, 2, 3, 0, 2, 2, 0, 0, 1]


def test_paper_figure_1_2_pads_with_zeros() -> None:
    state = NumericState.default(numeric("Conv2d", (5, 5), out_channels=1, kernel_size=3, stride=2, padding=1))
    first = state.explain(0)
    assert [t.kind for t in first.terms] == [PADDING] * 4 + [DATA] * 2 + [PADDING] + [DATA] * 2
    assert [t.position for t in first.terms[4:6]] == [(1, 1), (1, 2)]
    assert first.text == "0·0 + 0·1 + 0·2 + 0·2 + 3·2 + 3·0 + 0·0 + 0·1 + 0·2 = 6"


def test_paper_figure_1_6_max_line() -> None:
    state = NumericState.default(numeric("MaxPool2d", (5, 5), kernel_size=3, stride=1))
    assert state.explain(7).text == "max(1, 2, 2, 0, 0, 2, 0, 0, 0) = 2"
    assert state.explain(0).line(max_terms=3) == "max(3, 3, 2, ...) = 3"


# --------------------------------------------------------------------------- random layers against torch

def _axes(draw: st.DrawFn, n: int, lo: int, hi: int) -> list[int]:
    return draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n))


def _sizes(draw: st.DrawFn, needed: list[int], n: int) -> tuple[int, ...]:
    """Input sizes from the smallest each axis needs up to a few more (small 3-D layers)."""
    extra = 2 if n == 3 else 5
    return tuple(draw(st.integers(max(1, need), max(1, need) + extra)) for need in needed)


@st.composite
def conv_layers(draw: st.DrawFn) -> tuple[tuple[int, ...], dict[str, Any]]:
    n = draw(st.sampled_from([1, 1, 2, 2, 2, 3]))
    k, s, d = _axes(draw, n, 1, 4 if n < 3 else 3), _axes(draw, n, 1, 3), _axes(draw, n, 1, 3)
    form = draw(st.sampled_from(["int", "pairs", "valid", "same", "full"]))
    if form == "same":
        s = [1] * n
    pads: list[tuple[int, int]]
    if form == "int":
        padding: Any = draw(st.integers(0, 3))
        pads = [(padding, padding)] * n
    elif form == "pairs":
        pads = [tuple(draw(st.lists(st.integers(0, 3), min_size=2, max_size=2))) for _ in range(n)]  # type: ignore
        padding = [list(p) for p in pads]
    else:
        padding = form
        pads = [(0, 0)] * n  # the engine resolves these; sizes below are only a lower bound
    needed = [dd * (kk - 1) + 1 - lo - hi for kk, dd, (lo, hi) in zip(k, d, pads)]
    size = _sizes(draw, needed, n)
    args = {"out_channels": 1, "kernel_size": k, "stride": s, "padding": padding, "dilation": d, "bias": False}
    if draw(st.integers(0, 3)) == 0:
        args["padding_mode"] = draw(st.sampled_from(["reflect", "replicate", "circular"]))
    return size, args


@st.composite
def transposed_layers(draw: st.DrawFn) -> tuple[tuple[int, ...], dict[str, Any]]:
    n = draw(st.sampled_from([1, 1, 2, 2, 2, 3]))
    k, s, d = _axes(draw, n, 1, 4 if n < 3 else 3), _axes(draw, n, 1, 3), _axes(draw, n, 1, 3)
    a = [draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d)]
    p = _axes(draw, n, 0, 3)
    # The smallest input whose output survives the cropping: (i - 1)s >= 2p - d(k - 1) - a.
    needed = [1 + max(0, -(-(2 * pp - dd * (kk - 1) - aa) // ss)) for kk, ss, pp, dd, aa in zip(k, s, p, d, a)]
    size = _sizes(draw, needed, n)
    return size, {"out_channels": 1, "kernel_size": k, "stride": s, "padding": p, "output_padding": a,
                  "dilation": d, "bias": False}


@st.composite
def pool_layers(draw: st.DrawFn, type_prefix: str) -> tuple[str, tuple[int, ...], dict[str, Any]]:
    n = draw(st.sampled_from([1, 1, 2, 2, 2, 3]))
    k = _axes(draw, n, 1, 4 if n < 3 else 3)
    s = _axes(draw, n, 1, 3)
    p = [draw(st.integers(0, kk // 2)) for kk in k]
    d = _axes(draw, n, 1, 3) if type_prefix == "MaxPool" else [1] * n
    needed = [dd * (kk - 1) + 1 - 2 * pp for kk, dd, pp in zip(k, d, p)]
    if type_prefix == "AvgPool" and n == 3:
        needed = [max(need, kk) for need, kk in zip(needed, k)]  # AvgPool3d checks the unpadded input
    size = _sizes(draw, needed, n)
    args: dict[str, Any] = {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": draw(st.booleans())}
    if type_prefix == "MaxPool":
        args["dilation"] = d
    else:
        args["count_include_pad"] = draw(st.booleans())
        if n > 1 and draw(st.integers(0, 3)) == 0:
            args["divisor_override"] = draw(st.integers(1, 5))
    return f"{type_prefix}{n}d", size, args


def _values(draw: st.DrawFn, shape: tuple[int, ...], lo: int = -3, hi: int = 3) -> Grid:
    return Grid(shape, tuple(draw(st.lists(st.integers(lo, hi), min_size=prod(shape), max_size=prod(shape)))))


def _tensor(torch: Any, grid: Grid) -> Any:
    return torch.tensor(grid.to_nested(), dtype=torch.float64)


def _torch_padding(args: dict[str, Any], n: int) -> list[tuple[int, int]] | str:
    """The (low, high) padding per axis as PyTorch is given it, from the layer's arguments."""
    padding = args["padding"]
    if padding in ("same", "valid"):
        return padding
    if padding == "full":
        return [(dd * (kk - 1),) * 2 for kk, dd in zip(args["kernel_size"], args["dilation"])]
    if isinstance(padding, int):
        return [(padding, padding)] * n
    return [tuple(p) for p in padding]


def _torch_conv(torch: Any, x: Grid, w: Grid, args: dict[str, Any]) -> Any:
    n = x.ndim
    F = torch.nn.functional
    conv = (F.conv1d, F.conv2d, F.conv3d)[n - 1]
    xt = _tensor(torch, x)[None, None]
    wt = _tensor(torch, w)[None, None]
    padding = _torch_padding(args, n)
    mode = args.get("padding_mode", "zeros")
    if isinstance(padding, str):
        if mode == "zeros":
            with warnings.catch_warnings():  # 'same' with an even kernel: PyTorch warns it copies the input
                warnings.simplefilter("ignore", UserWarning)
                return conv(xt, wt, stride=args["stride"], padding=padding, dilation=args["dilation"])[0, 0]
        module = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)[n - 1](
            1, 1, args["kernel_size"], args["stride"], padding, args["dilation"], bias=False, padding_mode=mode,
            dtype=torch.float64)
        with torch.no_grad():
            module.weight.copy_(wt)
            return module(xt)[0, 0]
    flat = [v for lo_hi in reversed(padding) for v in lo_hi]  # F.pad: last axis first
    padded = F.pad(xt, flat, mode="constant" if mode == "zeros" else mode)
    return conv(padded, wt, stride=args["stride"], dilation=args["dilation"])[0, 0]


def _assert_same(mine: Grid, theirs: Any, tolerance: float = 0.0) -> None:
    assert tuple(theirs.shape) == mine.shape
    expected = theirs.flatten().tolist()
    for got, want in zip(mine.values, expected):
        if tolerance:
            assert abs(float(got) - want) <= tolerance, (mine.to_nested(), theirs)
        else:
            assert float(got) == want, (mine.to_nested(), theirs)


@pytest.mark.torch
@given(conv_layers(), st.data())
def test_convolution_equals_torch(layer: tuple[tuple[int, ...], dict[str, Any]], data: st.DataObject) -> None:
    torch = pytest.importorskip("torch")
    size, args = layer
    result = analysed(f"Conv{len(size)}d", size, **args)
    assume(not result.errors)
    num = NumericLayer.from_result(result)
    x, w = _values(data.draw, num.input_shape), _values(data.draw, num.kernel_shape)
    out = forward(num, x, w)
    assert all(type(v) is int for v in out.values)
    _assert_same(out, _torch_conv(torch, x, w, args))
    assert matrix_forward(num, x, w) == out


@pytest.mark.torch
@given(transposed_layers(), st.data())
def test_transposed_convolution_equals_torch(layer: tuple[tuple[int, ...], dict[str, Any]],
                                             data: st.DataObject) -> None:
    torch = pytest.importorskip("torch")
    size, args = layer
    n = len(size)
    result = analysed(f"ConvTranspose{n}d", size, **args)
    assume(not result.errors)
    num = NumericLayer.from_result(result)
    x, w = _values(data.draw, num.input_shape), _values(data.draw, num.kernel_shape)
    conv_t = (torch.nn.functional.conv_transpose1d, torch.nn.functional.conv_transpose2d,
              torch.nn.functional.conv_transpose3d)[n - 1]
    theirs = conv_t(_tensor(torch, x)[None, None], _tensor(torch, w)[None, None], stride=args["stride"],
                    padding=args["padding"], output_padding=args["output_padding"], dilation=args["dilation"])[0, 0]
    direct = forward(num, x, w)
    _assert_same(direct, theirs)
    assert forward_scatter(num, x, w) == direct
    assert matrix_forward(num, x, w) == direct


@pytest.mark.torch
@given(pool_layers("MaxPool"), st.data())
def test_max_pooling_equals_torch(layer: tuple[str, tuple[int, ...], dict[str, Any]], data: st.DataObject) -> None:
    torch = pytest.importorskip("torch")
    type_name, size, args = layer
    result = analysed(type_name, size, **args)
    assume(not result.errors)
    num = NumericLayer.from_result(result)
    x = _values(data.draw, num.input_shape)
    pool = (torch.nn.functional.max_pool1d, torch.nn.functional.max_pool2d,
            torch.nn.functional.max_pool3d)[len(size) - 1]
    theirs = pool(_tensor(torch, x)[None, None], args["kernel_size"], args["stride"], args["padding"],
                  args["dilation"], args["ceil_mode"])[0, 0]
    out = forward(num, x)
    _assert_same(out, theirs)
    assert all(type(v) is int or v == EMPTY_MAX for v in out.values)


@pytest.mark.torch
@given(pool_layers("AvgPool"), st.data())
def test_average_pooling_equals_torch(layer: tuple[str, tuple[int, ...], dict[str, Any]],
                                      data: st.DataObject) -> None:
    torch = pytest.importorskip("torch")
    type_name, size, args = layer
    result = analysed(type_name, size, **args)
    assume(not result.errors)
    num = NumericLayer.from_result(result)
    x = _values(data.draw, num.input_shape)
    n = len(size)
    F = torch.nn.functional
    extra = {"divisor_override": args.get("divisor_override")} if n > 1 else {}
    theirs = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[n - 1](
        _tensor(torch, x)[None, None], args["kernel_size"], args["stride"], args["padding"], args["ceil_mode"],
        args["count_include_pad"], **extra)[0, 0]
    out = forward(num, x)
    assert all(isinstance(v, Fraction) for v in out.values)
    _assert_same(out, theirs, tolerance=1e-9)


def test_ceil_mode_window_hanging_over_the_end_follows_torch_divisor() -> None:
    """AvgPool1d(3, 2, padding=1, ceil_mode=True) on 4 units: the last window covers input 3, the high
    padding and one unit past it; PyTorch divides by the part inside the padded input (2), or by the
    input units alone (1) without count_include_pad."""
    x = Grid((4,), (1, 2, 3, 4))
    with_pad = numeric("AvgPool1d", (4,), kernel_size=3, stride=2, padding=1, ceil_mode=True)
    without = numeric("AvgPool1d", (4,), kernel_size=3, stride=2, padding=1, ceil_mode=True,
                      count_include_pad=False)
    assert with_pad.output_shape == (3,)
    assert forward(with_pad, x).values == (Fraction(1), Fraction(3), Fraction(2))
    assert forward(without, x).values == (Fraction(3, 2), Fraction(3), Fraction(4))
    last = explain(with_pad, x, None, (2,))
    assert [t.kind for t in last.terms] == [DATA, PADDING, OUTSIDE]
    assert last.divisor == 2 and last.text == "(4 + 0) / 2 = 4/2 = 2"
    assert explain(without, x, None, (2,)).text == "(4) / 1 = 4"
    torch = pytest.importorskip("torch")
    xt = torch.tensor([[[1.0, 2.0, 3.0, 4.0]]], dtype=torch.float64)
    assert torch.nn.functional.avg_pool1d(xt, 3, 2, 1, True, True)[0, 0].tolist() == [1.0, 3.0, 2.0]
    assert torch.nn.functional.avg_pool1d(xt, 3, 2, 1, True, False)[0, 0].tolist() == [1.5, 3.0, 4.0]


def test_max_pool_window_of_padding_alone_is_minus_infinity() -> None:
    """MaxPool1d(2, padding=1, dilation=3) on 2 units: the one window's taps (-1 and 2) miss the input;
    PyTorch pads max pooling with -inf."""
    layer = numeric("MaxPool1d", (2,), kernel_size=2, stride=1, padding=1, dilation=3)
    x = Grid((2,), (5, 7))
    assert forward(layer, x).values == (EMPTY_MAX,)
    explanation = explain(layer, x, None, (0,))
    assert [t.kind for t in explanation.terms] == [PADDING, PADDING]
    assert explanation.text == "max(nothing: the window holds only padding) = -inf"
    torch = pytest.importorskip("torch")
    assert torch.nn.functional.max_pool1d(torch.tensor([[[5.0, 7.0]]]), 2, 1, 1, 3)[0, 0].tolist() == [float("-inf")]


# ----------------------------------------------------------------------- views, explanations and matrices

@given(transposed_layers(), st.data())
def test_both_transposed_views_and_their_explanations_agree(layer: tuple[tuple[int, ...], dict[str, Any]],
                                                            data: st.DataObject) -> None:
    size, args = layer
    result = analysed(f"ConvTranspose{len(size)}d", size, **args)
    assume(not result.errors)
    num = NumericLayer.from_result(result)
    x, w = _values(data.draw, num.input_shape), _values(data.draw, num.kernel_shape)
    direct = forward(num, x, w)
    assert forward_scatter(num, x, w) == direct
    assert forward_scatter(num, x, w, upto=0) == Grid.filled(num.output_shape)
    # Scattering one input cell adds exactly its explained products to the output.
    step = data.draw(st.integers(0, num.scatter_steps - 1))
    before, after = forward_scatter(num, x, w, upto=step), forward_scatter(num, x, w, upto=step + 1)
    scattered = explain_scatter(num, x, w, num.input_position(step))
    added = {pos: 0 for pos in before.positions()}
    for term in scattered.kept:
        added[term.output] += term.product  # type: ignore[index]
    assert all(after[pos] - before[pos] == added[pos] for pos in before.positions())
    # The direct view's explanation: the flipped kernel over the stretched, padded input.
    position = num.position(data.draw(st.integers(0, num.steps - 1)))
    explanation = explain(num, x, w, position)
    assert explanation.value == direct[position]
    for term in explanation.terms:
        assert term.weight == w[term.kernel_index]
        assert term.kernel_index == tuple(k - 1 - t for k, t in zip(num.kernel_shape, term.tap))
        assert term.kind in (DATA, ZERO, PADDING)
        assert (term.input_position is not None) == (term.kind == DATA)
        assert term.value == (x[term.input_position] if term.kind == DATA else 0)


@given(st.one_of(conv_layers().map(lambda c: ("Conv", c[0], c[1])),
                 transposed_layers().map(lambda c: ("ConvTranspose", c[0], c[1])),
                 pool_layers("MaxPool").map(lambda c: (c[0][:-2], c[1], c[2])),
                 pool_layers("AvgPool").map(lambda c: (c[0][:-2], c[1], c[2]))),
       st.data())
def test_every_explanation_gives_the_output_value(layer: tuple[str, tuple[int, ...], dict[str, Any]],
                                                  data: st.DataObject) -> None:
    prefix, size, args = layer
    result = analysed(f"{prefix}{len(size)}d", size, **args)
    assume(not result.errors)
    num = NumericLayer.from_result(result)
    state = NumericState.default(num)
    state = state.randomised(data.draw(st.integers(0, 10**6)))
    for step in range(num.steps):
        explanation = state.explain(step)
        assert explanation.position == num.position(step) and num.step_of(explanation.position) == step
        assert explanation.value == state.output[explanation.position]
        assert len(explanation.terms) == prod(num.kernel_shape)
        assert explanation.text.endswith(format_number(explanation.value)) or num.kind == AVG_POOL
        for term in explanation.terms:
            kind, source = num.cell(term.position)
            assert kind == term.kind
            if term.kind == DATA:
                assert source == term.input_position and term.value == state.input[source]


@given(st.one_of(conv_layers(), transposed_layers().map(lambda c: (c[0], {**c[1], "transposed": True}))),
       st.data())
def test_matrix_view(layer: tuple[tuple[int, ...], dict[str, Any]], data: st.DataObject) -> None:
    size, args = layer
    transposed = args.pop("transposed", False)
    n = len(size)
    result = analysed(f"ConvTranspose{n}d" if transposed else f"Conv{n}d", size, **args)
    assume(not result.errors)
    num = NumericLayer.from_result(result)
    x, w = _values(data.draw, num.input_shape), _values(data.draw, num.kernel_shape)
    c = conv_matrix(num, w)
    out = forward(num, x, w)
    if not transposed:
        assert c.shape == (prod(num.output_shape), prod(num.input_shape))
        assert c.apply(x.values) == out.values
        return
    assert layer_matrix(num, w) == c.transpose()
    assert c.transpose().apply(x.values) == out.values
    # C is the direct convolution with the same k, s, p, d from the transposed output size back to its
    # input size (its first i' rows when output padding a >= s lets the direct convolution overshoot).
    direct = analysed(f"Conv{n}d", num.output_shape, out_channels=1, kernel_size=args["kernel_size"],
                      stride=args["stride"], padding=args["padding"], dilation=args["dilation"])
    assume(not direct.errors)
    c_direct = conv_matrix(NumericLayer.from_result(direct), w)
    assert all(o >= i for o, i in zip(direct.output_shape[1:], num.input_shape))
    kept = [r for r, pos in enumerate(product(*(range(o) for o in direct.output_shape[1:])))
            if all(p < i for p, i in zip(pos, num.input_shape))]
    assert tuple(c_direct.rows[r] for r in kept) == c.rows


def test_transposed_figure_4_1_matrix_is_the_transpose_of_figure_2_1() -> None:
    """Section 4.1: the 3x3 convolution of a 4x4 input is a 4x16 matrix C; the transposed convolution
    (figure 4.1, 2x2 -> 4x4) is C transposed, with the same weights in it."""
    conv = numeric("Conv2d", (4, 4), out_channels=1, kernel_size=3)
    transposed = numeric("ConvTranspose2d", (2, 2), out_channels=1, kernel_size=3)
    c = conv_matrix(conv, PAPER_KERNEL)
    assert c.shape == (4, 16)
    assert c.rows[0] == (0, 1, 2, 0, 2, 2, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0)
    assert c.nonzero(3) == (6, 7, 9, 10, 14, 15)
    assert conv_matrix(transposed, PAPER_KERNEL) == c
    assert layer_matrix(transposed, PAPER_KERNEL).shape == (16, 4)
    x = Grid.from_nested([[1, 2], [3, 0]])
    assert matrix_forward(transposed, x, PAPER_KERNEL) == forward(transposed, x, PAPER_KERNEL)


def test_transposed_direct_view_grid() -> None:
    """Figure 4.6: ConvTranspose2d(k=3, s=2, p=1) on 3x3 slides over a 5x5 stretched input padded by 1."""
    layer = numeric("ConvTranspose2d", (3, 3), out_channels=1, kernel_size=3, stride=2, padding=1)
    assert layer.window_shape == (7, 7) and layer.output_shape == (5, 5)
    assert layer.cell((0, 0)) == (PADDING, None)
    assert layer.cell((1, 1)) == (DATA, (0, 0))
    assert layer.cell((1, 2)) == (ZERO, None)
    assert layer.cell((5, 3)) == (DATA, (2, 1))
    state = NumericState.default(layer)
    assert [state.cell_value((1, u)) for u in range(7)] == [0, state.input[(0, 0)], 0, state.input[(0, 1)], 0,
                                                           state.input[(0, 2)], 0]
    assert state.cell_value((7, 0)) is None
    pool = NumericState.default(numeric("MaxPool2d", (5, 5), kernel_size=3, padding=1))
    assert pool.cell_value((0, 0)) is None and pool.cell_value((1, 1)) == PAPER_INPUT[(0, 0)]
    # Negative padding d(k - 1) - p crops the stretched input: k=2, s=2, p=2 on 3 units pads by -1.
    cropped = numeric("ConvTranspose1d", (3,), out_channels=1, kernel_size=2, stride=2, padding=2)
    assert cropped.window_shape == (3,) and cropped.output_shape == (2,)
    assert [cropped.cell((u,)) for u in range(3)] == [(ZERO, None), (DATA, (1,)), (ZERO, None)]


def test_scatter_explanation_text() -> None:
    layer = numeric("ConvTranspose2d", (3, 3), out_channels=1, kernel_size=3, stride=2, padding=1)
    state = NumericState.default(layer)
    first = state.explain_scatter(0)
    assert first.source == (0, 0) and first.value == state.input[(0, 0)]
    assert [t.output for t in first.terms if t.output is not None] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert first.terms[0].position == (0, 0) and first.terms[0].output is None
    weights = [state.kernel[t.kernel_index] for t in first.kept]  # type: ignore[index]
    assert first.text == (f"{first.value} × kernel adds {', '.join(str(first.value * w) for w in weights)} "
                          "into the output; 5 of 9 cropped by the padding")


# ---------------------------------------------------------------------------------- the canvas's state

def test_state_editing_randomise_and_reset() -> None:
    layer = numeric("Conv2d", (5, 5), out_channels=1, kernel_size=3)
    state = NumericState.default(layer)
    edited = state.with_input_value((0, 2), 5)
    assert edited.output[(0, 0)] == 12 + 3 * 2  # the input unit under weight 2 went from 2 to 5
    assert edited.output[(2, 2)] == 14
    assert state.with_kernel_value((0, 0), 1).output[(0, 0)] == 12 + 3
    randomised = state.randomised(7)
    assert randomised == state.randomised(7) and randomised != state.randomised(8)
    assert set(randomised.input.values) <= {0, 1, 2, 3} and set(randomised.kernel.values) <= {0, 1, 2}  # type: ignore
    assert randomised.reset() == state
    assert randomised.output == forward(layer, randomised.input, randomised.kernel)
    # Editing the layer keeps the values where they still fit.
    strided = numeric("Conv2d", (5, 5), out_channels=1, kernel_size=3, stride=2)
    assert edited.with_layer(strided).input == edited.input
    bigger = numeric("Conv2d", (5, 5), out_channels=1, kernel_size=4)
    assert edited.with_layer(bigger).kernel.shape == (4, 4)  # type: ignore[union-attr]


def test_defaults_are_fixed_small_integers() -> None:
    layer = numeric("Conv1d", (9,), out_channels=1, kernel_size=4)
    state = NumericState.default(layer)
    assert state == NumericState.default(layer)
    assert set(state.input.values) <= {0, 1, 2, 3} and set(state.kernel.values) <= {0, 1, 2}  # type: ignore
    assert any(state.kernel.values)  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="kernel"):
        NumericState(layer, state.input, None)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        forward(layer, Grid((3,), (1, 2, 3)), state.kernel)


def test_from_result_refuses_layers_without_numbers() -> None:
    relu = analysed("ReLU", (5, 5))
    assert not supports(relu)
    with pytest.raises(ValueError, match="layer: ReLU has no sliding window"):
        NumericLayer.from_result(relu)
    broken = analysed("Conv2d", (2, 2), out_channels=1, kernel_size=5)
    assert broken.errors and not supports(broken)
    with pytest.raises(ValueError, match="layer: the layer has errors"):
        NumericLayer.from_result(broken)
    assert not supports(analysed("AdaptiveAvgPool2d", (5, 5), output_size=2))
    avg = numeric("AvgPool2d", (5, 5), kernel_size=3, count_include_pad=False, divisor_override=4)
    assert avg.kind == AVG_POOL and not avg.count_include_pad and avg.divisor_override == 4
    assert numeric("MaxPool1d", (5,), kernel_size=2).kind == MAX_POOL
    assert numeric("ConvTranspose1d", (5,), out_channels=1, kernel_size=2).kind == TRANSPOSED
    assert numeric("Conv3d", (3, 3, 3), out_channels=1, kernel_size=2).kind == CONVOLUTION
    with pytest.raises(ValueError, match="no weights"):
        conv_matrix(avg)


def test_channel_note() -> None:
    assert channel_note(analysed("Conv2d", (5, 5), out_channels=1, kernel_size=3)) is None
    assert channel_note(analysed("Conv2d", (5, 5), channels=2, out_channels=3, kernel_size=3)) == (
        "showing input channel 1 of 2 and output channel 1 of 3 (one kernel slice)")
    assert channel_note(analysed("MaxPool2d", (5, 5), channels=4, kernel_size=2)) == "showing channel 1 of 4"


@pytest.mark.parametrize(("value", "decimals", "text"), [
    (12, None, "12"),
    (Fraction(17, 9), None, "17/9"),
    (Fraction(17, 9), 2, "1.89 (rounded to 2 decimals)"),
    (Fraction(4, 3), 1, "1.3 (rounded to 1 decimal)"),
    (Fraction(-5, 3), 2, "-1.67 (rounded to 2 decimals)"),
    (Fraction(1, 8), 2, "0.13 (rounded to 2 decimals)"),  # half away from zero
    (Fraction(3, 2), 2, "1.5"),  # exact: no rounding to state
    (Fraction(5, 2), 0, "3 (rounded to a whole number)"),
    (Fraction(18, 9), None, "2"),
    (EMPTY_MAX, None, "-inf"),
])
def test_format_number(value: Any, decimals: int | None, text: str) -> None:
    assert format_number(value, decimals) == text


def test_parse_value() -> None:
    assert parse_value(" 3 ") == 3 and type(parse_value("3")) is int
    assert parse_value("\u22122") == -2
    assert parse_value("1/3") == Fraction(1, 3)
    assert parse_value("0.5") == Fraction(1, 2)
    assert parse_value("4/2") == 2 and type(parse_value("4/2")) is int
    for bad in ("", "abc", "1/0", "1e"):
        with pytest.raises(ValueError, match="is not a number"):
            parse_value(bad)
    assert parse_value("-1e12") == -10**12 and parse_value("0.000001") == Fraction(1, 10**6)


@pytest.mark.parametrize("text", ["1e4400", "-1000000000001", "1e13", "0.0000001", "1/1000001", "1e-4400"])
def test_parse_value_refuses_values_the_numbers_mode_cannot_show(text: str) -> None:
    """A cell holds at most 12 digits before the point and 6 after it (a denominator up to 10**6): beyond, the
    products and sums of a window grew past what Python writes as text (4,300 digits), which raised while the
    canvas painted and killed the app."""
    with pytest.raises(ValueError, match="at most"):
        parse_value(text)


def test_fractions_and_negatives_in_sum_lines() -> None:
    layer = numeric("Conv1d", (3,), out_channels=1, kernel_size=2)
    x = Grid((3,), (Fraction(1, 2), -1, 2))
    w = Grid((2,), (2, -3))
    explanation = explain(layer, x, w, (0,))
    assert explanation.value == Fraction(4) and explanation.text == "(1/2)·2 + (-1)·(-3) = 4"
    avg = numeric("AvgPool1d", (3,), kernel_size=2, stride=1)
    assert explain(avg, x, None, (0,)).text == "((1/2) + (-1)) / 2 = -1/4"


def test_grid_round_trip() -> None:
    nested = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    grid = Grid.from_nested(nested)
    assert grid.shape == (2, 2, 2) and grid.to_nested() == nested and grid[(1, 0, 1)] == 6
    assert grid.flipped().to_nested() == [[[8, 7], [6, 5]], [[4, 3], [2, 1]]]
    with pytest.raises(ValueError, match="ragged"):
        Grid.from_nested([[1, 2], [3]])
    with pytest.raises(IndexError, match="outside"):
        grid[(2, 0, 0)]


@given(st.one_of(conv_layers().map(lambda c: ("Conv", c[0], c[1])),
                 transposed_layers().map(lambda c: ("ConvTranspose", c[0], c[1])),
                 pool_layers("MaxPool").map(lambda c: (c[0][:-2], c[1], c[2])),
                 pool_layers("AvgPool").map(lambda c: (c[0][:-2], c[1], c[2]))))
def test_terms_sit_where_the_canvas_draws_the_taps(layer: tuple[str, tuple[int, ...], dict[str, Any]]) -> None:
    """The numbers overlay the canvas's frames (engine/frames.py): the same taps, padded positions, kinds,
    input units and kernel indices at every step, and the same scatter writes."""
    from convdesigner.engine.frames import LayerFrames

    prefix, size, args = layer
    result = analysed(f"{prefix}{len(size)}d", size, **args)
    assume(not result.errors)
    num = NumericLayer.from_result(result)
    frames = LayerFrames(result)
    state = NumericState.default(num)
    assert frames.step_count == num.steps
    for step in range(num.steps):
        frame, explanation = frames.frame(step), state.explain(step)
        assert frame.output == explanation.position
        expected = [(t.index, t.weight, t.position, t.kind) for t in frame.taps]
        assert [(t.tap, t.kernel_index, t.position, t.kind) for t in explanation.terms] == expected
        # The canvas names the input unit of data taps; a reflect/replicate/circular pad cell copies one too.
        assert [t.source for t in frame.taps] == [t.input_position if t.kind == DATA else None
                                                  for t in explanation.terms]
    for step in range(num.scatter_steps):
        writes = frames.scatter_frame(step).writes
        scattered = state.explain_scatter(step)
        assert [(w.weight, w.position, w.output) for w in writes] == [
            (t.kernel_index, t.position, t.output) for t in scattered.terms]


def test_copying_padding_modes_show_the_copied_value() -> None:
    """padding_mode reflect/replicate/circular: a pad cell holds a copy of an input unit (PyTorch's F.pad)."""
    x = Grid((3,), (1, 2, 3))
    w = Grid((3,), (1, 1, 1))
    expected = {"reflect": ((1,), 2, (1,), 2), "replicate": ((0,), 1, (2,), 3), "circular": ((2,), 3, (0,), 1)}
    for mode, (low_source, low_value, high_source, high_value) in expected.items():
        layer = numeric("Conv1d", (3,), out_channels=1, kernel_size=3, padding=1, padding_mode=mode)
        first, last = explain(layer, x, w, (0,)).terms[0], explain(layer, x, w, (2,)).terms[2]
        assert (first.kind, first.input_position, first.value) == (PADDING, low_source, low_value)
        assert (last.kind, last.input_position, last.value) == (PADDING, high_source, high_value)
        assert forward(layer, x, w).values == (low_value + 3, 6, 5 + high_value)
