"""The convolution arithmetic against Dumoulin & Visin (2016): relationships 1-15, every figure's numbers
(/work/shared/reference/convolution-arithmetic.md), padding forms and PyTorch's ceil_mode rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.arithmetic import (
    conv_output_size,
    conv_relationship,
    effective_kernel,
    equivalent_convolution,
    full_padding,
    output_padding_for,
    pool_output_size,
    same_padding,
    stretched_size,
    transposed_output_size,
    transposed_relationship,
    unvisited_data,
    unvisited_size,
)

# Chapters 2 and 5: figure, i, k, s, p, d, o, relationship number.
DIRECT_FIGURES = [
    ("1.1", 5, 3, 1, 0, 1, 3, 1),
    ("1.2", 5, 3, 2, 1, 1, 3, 6),
    ("1.4", 5, 3, 2, 0, 1, 2, 5),
    ("2.1", 4, 3, 1, 0, 1, 2, 1),
    ("2.2", 5, 4, 1, 2, 1, 6, 2),
    ("2.3", 5, 3, 1, 1, 1, 5, 3),
    ("2.4", 5, 3, 1, 2, 1, 7, 4),
    ("2.5", 5, 3, 2, 0, 1, 2, 5),
    ("2.6", 5, 3, 2, 1, 1, 3, 6),
    ("2.7", 6, 3, 2, 1, 1, 3, 6),
    ("2.8a", 5, 3, 1, 0, 1, 3, 1),
    ("2.8b", 5, 3, 2, 0, 1, 2, 5),
    ("5.1", 7, 3, 1, 0, 2, 3, 15),
]

# Chapter 4: figure, the direct convolution (i, k, s, p) -> o, then i', stretched i', p', a, o', relationship.
TRANSPOSED_FIGURES = [
    ("4.1", (4, 3, 1, 0), 2, 2, 2, 2, 0, 4, 8),
    ("4.2", (5, 4, 1, 2), 6, 6, 6, 1, 0, 5, 9),
    ("4.3", (5, 3, 1, 1), 5, 5, 5, 1, 0, 5, 10),
    ("4.4", (5, 3, 1, 2), 7, 7, 7, 0, 0, 5, 11),
    ("4.5", (5, 3, 2, 0), 2, 2, 3, 2, 0, 5, 12),
    ("4.6", (5, 3, 2, 1), 3, 3, 5, 1, 0, 5, 13),
    ("4.7", (6, 3, 2, 1), 3, 3, 5, 1, 1, 6, 14),
]


def design_2d(i: int, *layers: Layer, channels: int = 1) -> Design:
    return Design("figure", InputSpec(channels, (i, i)), tuple(layers))


@pytest.mark.parametrize("figure,i,k,s,p,d,o,rel", DIRECT_FIGURES, ids=[f[0] for f in DIRECT_FIGURES])
def test_direct_figures(figure: str, i: int, k: int, s: int, p: int, d: int, o: int, rel: int) -> None:
    assert conv_output_size(i, k, s, p, p, d) == o
    assert conv_relationship(k, s, p, p, d).startswith(f"relationship {rel} ")
    # The same numbers through analyze(), on a square 2-D input as in the paper.
    result = analyze(design_2d(i, Layer.make("Conv2d", "conv", out_channels=1, kernel_size=k, stride=s,
                                             padding=p, dilation=d))).layers[0]
    assert result.output_shape == (1, o, o)
    for g in result.geometry:
        assert (g.i, g.k, g.s, g.p_low, g.p_high, g.d, g.o) == (i, k, s, p, p, d, o)
        assert g.relationship.startswith(f"relationship {rel} ")


def test_relationships_1_to_6_by_formula() -> None:
    for i in range(1, 12):
        for k in range(1, i + 1):
            assert conv_output_size(i, k) == i - k + 1  # 1
            for p in range(4):
                assert conv_output_size(i, k, 1, p, p) == i - k + 2 * p + 1  # 2
                for s in range(1, 4):
                    assert conv_output_size(i, k, s) == (i - k) // s + 1  # 5
                    assert conv_output_size(i, k, s, p, p) == (i + 2 * p - k) // s + 1  # 6
            if k % 2:
                assert conv_output_size(i, k, 1, k // 2, k // 2) == i  # 3, half padding
            assert conv_output_size(i, k, 1, k - 1, k - 1) == i + k - 1  # 4, full padding


def test_relationship_7_pooling() -> None:
    # Figures 1.5 and 1.6: 3x3 pooling of a 5x5 input with unit stride.
    assert pool_output_size(5, 3, 1) == 3
    for i in range(1, 12):
        for k in range(1, i + 1):
            for s in range(1, 4):
                assert pool_output_size(i, k, s) == (i - k) // s + 1
    result = analyze(design_2d(5, Layer.make("MaxPool2d", "pool", kernel_size=3, stride=1))).layers[0]
    assert result.output_shape == (1, 3, 3)
    assert result.geometry[0].relationship == "relationship 7 (pooling)"


def test_relationship_15_dilation() -> None:
    assert effective_kernel(3, 2) == 5  # figure 5.1's k^ = 5
    for k in range(1, 6):
        for d in range(1, 4):
            assert effective_kernel(k, d) == k + (k - 1) * (d - 1)
            for i in range(effective_kernel(k, d), 15):
                for s in (1, 2, 3):
                    for p in range(3):
                        assert conv_output_size(i, k, s, p, p, d) == (i + 2 * p - k - (k - 1) * (d - 1)) // s + 1


@pytest.mark.parametrize("row", TRANSPOSED_FIGURES, ids=[f[0] for f in TRANSPOSED_FIGURES])
def test_transposed_figures(row: tuple) -> None:
    figure, (i, k, s, p), o, i_t, stretched, p_t, a, o_t, rel = row
    assert conv_output_size(i, k, s, p, p) == o and i_t == o
    assert output_padding_for(i, k, s, p) == a  # relationship 14's a
    assert stretched_size(i_t, s) == stretched
    assert transposed_output_size(i_t, k, s, p, a) == o_t == i
    eq = equivalent_convolution(i_t, k, s, p, a)
    assert (eq.input_size, eq.pad_low, eq.pad_high, eq.kernel_size, eq.stride, eq.dilation) == (
        stretched, p_t, p_t + a, k, 1, 1)
    assert eq.output_size == o_t
    assert transposed_relationship(k, s, p, a).startswith(f"relationship {rel} ")
    # Through analyze(): PyTorch's ConvTranspose2d with the figure's arguments on an i' x i' input.
    result = analyze(design_2d(i_t, Layer.make("ConvTranspose2d", "up", out_channels=1, kernel_size=k, stride=s,
                                               padding=p, output_padding=a))).layers[0]
    assert result.output_shape == (1, o_t, o_t)
    for g in result.geometry:
        assert g.transposed and (g.i, g.k, g.s, g.p_low, g.a, g.o) == (i_t, k, s, p, a, o_t)
        assert g.equivalent == eq
        assert g.relationship.startswith(f"relationship {rel} ")


def test_relationships_8_to_13_by_formula() -> None:
    for i_t in range(1, 9):
        for k in range(1, 6):
            assert transposed_output_size(i_t, k, 1, 0) == i_t + (k - 1)  # 8
            for p in range(k):
                assert transposed_output_size(i_t, k, 1, p) == i_t + (k - 1) - 2 * p  # 9
            if k % 2:
                assert transposed_output_size(i_t, k, 1, k // 2) == i_t  # 10
            assert transposed_output_size(i_t, k, 1, k - 1) == i_t - (k - 1)  # 11
            for s in range(1, 4):
                assert transposed_output_size(i_t, k, s, 0) == s * (i_t - 1) + k  # 12
                for p in range(k):
                    assert transposed_output_size(i_t, k, s, p) == s * (i_t - 1) + k - 2 * p  # 13


@given(i=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 5), p=st.integers(0, 4), d=st.integers(1, 4))
def test_relationship_14_returns_to_the_input_size(i: int, k: int, s: int, p: int, d: int) -> None:
    """Rel. 14: with a = (i + 2p - d(k - 1) - 1) mod s, the transposed convolution maps the direct one's
    output size back to exactly i, and a < s as PyTorch requires."""
    o = conv_output_size(i, k, s, p, p, d)
    if o < 1:
        return
    a = output_padding_for(i, k, s, p, d)
    assert 0 <= a < s
    assert transposed_output_size(o, k, s, p, a, d) == i
    # The equivalent direct convolution (stretched input, d(k-1)-p low, d(k-1)-p+a high) agrees.
    eq = equivalent_convolution(o, k, s, p, a, d)
    assert eq.output_size == i
    assert eq.pad_low == d * (k - 1) - p and eq.pad_high == d * (k - 1) - p + a


def test_stretched_size_inserts_s_minus_1_zeros() -> None:
    assert [stretched_size(i, 2) for i in (1, 2, 3, 4)] == [1, 3, 5, 7]
    assert stretched_size(3, 3) == 7
    assert stretched_size(5, 1) == 5


def test_same_padding_puts_the_extra_zero_on_the_high_side() -> None:
    assert same_padding(3) == (1, 1)  # the paper's half padding
    assert same_padding(4) == (1, 2)
    assert same_padding(6) == (2, 3)
    assert same_padding(2, 3) == (1, 2)
    assert same_padding(3, 2) == (2, 2)
    for k in range(1, 8):
        for d in range(1, 4):
            lo, hi = same_padding(k, d)
            for i in range(1, 10):
                assert conv_output_size(i, k, 1, lo, hi, d) == i


def test_full_padding_is_relationship_4_dilated() -> None:
    assert full_padding(3) == 2 and full_padding(3, 2) == 4
    for i in range(1, 9):
        for k in range(1, 5):
            for d in range(1, 3):
                p = full_padding(k, d)
                assert conv_output_size(i, k, 1, p, p, d) == i + d * (k - 1)


def test_padding_forms_through_analyze() -> None:
    def out(padding: object, kernel: object = 3, dilation: object = 1, stride: object = 1) -> tuple:
        layer = Layer.make("Conv2d", "conv", out_channels=2, kernel_size=kernel, padding=padding, dilation=dilation,
                           stride=stride)
        result = analyze(design_2d(7, layer)).layers[0]
        return result.output_shape, tuple((g.p_low, g.p_high) for g in result.geometry)

    assert out("valid") == ((2, 5, 5), ((0, 0), (0, 0)))
    assert out("same", kernel=4) == ((2, 7, 7), ((1, 2), (1, 2)))
    assert out("same", kernel=[3, 2], dilation=[2, 3]) == ((2, 7, 7), ((2, 2), (1, 2)))
    assert out("full") == ((2, 9, 9), ((2, 2), (2, 2)))
    assert out("full", dilation=2) == ((2, 11, 11), ((4, 4), (4, 4)))
    assert out([1, 2]) == ((2, 7, 9), ((1, 1), (2, 2)))
    assert out([[0, 2], [3, 1]], stride=2) == ((2, 4, 5), ((0, 2), (3, 1)))
    assert out([[0, 2], 1]) == ((2, 7, 7), ((0, 2), (1, 1)))
    geometry = analyze(design_2d(7, Layer.make("Conv2d", "c", out_channels=1, kernel_size=3,
                                               padding=[[0, 2], [1, 1]]))).layers[0].geometry
    assert geometry[0].relationship == "relationship 6 (asymmetric padding)"
    assert geometry[1].relationship == "relationship 3 (half padding)"


def test_asymmetric_padding_output_size() -> None:
    for i in range(1, 10):
        for lo in range(3):
            for hi in range(3):
                for s in (1, 2, 3):
                    assert conv_output_size(i, 3, s, lo, hi) == (i + lo + hi - 3) // s + 1


def test_ceil_mode_follows_pytorch() -> None:
    assert pool_output_size(5, 2, 2) == 2
    assert pool_output_size(5, 2, 2, ceil_mode=True) == 3
    # The last window would start in the high padding: PyTorch drops it.
    assert pool_output_size(4, 2, 2, p=1, ceil_mode=True) == 3
    assert pool_output_size(4, 2, 2, p=1) == 3
    assert pool_output_size(6, 3, 2, ceil_mode=True) == 3
    assert pool_output_size(7, 3, 2, ceil_mode=True) == 3
    assert pool_output_size(8, 3, 2, ceil_mode=True) == 4
    assert pool_output_size(5, 3, 2, p=1, d=2, ceil_mode=True) == 2
    # Ceil never gives fewer outputs than floor, nor more than one extra.
    for i in range(1, 12):
        for k in range(1, 5):
            for s in range(1, 4):
                for p in range(k // 2 + 1):
                    floor = pool_output_size(i, k, s, p)
                    if floor >= 1:
                        assert floor <= pool_output_size(i, k, s, p, ceil_mode=True) <= floor + 1
    result = analyze(design_2d(5, Layer.make("MaxPool2d", "pool", kernel_size=2, ceil_mode=True))).layers[0]
    assert result.output_shape == (1, 3, 3)
    assert result.geometry[0].ceil_mode and result.geometry[0].unvisited == 0
    assert not result.warnings


def test_unvisited_units_figure_2_7_and_2_8() -> None:
    # Figure 2.7: the last padded column is never visited; it is padding, so no data is lost.
    assert unvisited_size(6, 3, 2, 1, 1) == 1
    assert unvisited_data(6, 3, 2, 1, 1) == 0
    # Figure 2.8: inputs 5 and 6 give the same output with stride 2; the 6th unit is never read.
    assert conv_output_size(5, 3, 2) == conv_output_size(6, 3, 2) == 2
    assert unvisited_data(5, 3, 2) == 0
    assert unvisited_data(6, 3, 2) == 1
    assert unvisited_data(8, 3, 3) == 2


def test_transposed_with_dilation_and_output_padding() -> None:
    assert transposed_output_size(5, 3, 2, 0, 2, 3) == 17  # docs/torch-rules.md's checked example
    eq = equivalent_convolution(5, 3, 2, 0, 2, 3)
    assert (eq.input_size, eq.pad_low, eq.pad_high, eq.dilation) == (9, 6, 8, 3)
    assert eq.output_size == 17
    # Padding larger than d(k-1) crops the stretched input: negative equivalent padding.
    eq = equivalent_convolution(4, 3, 2, 3)
    assert eq.pad_low == eq.pad_high == -1
    assert eq.output_size == transposed_output_size(4, 3, 2, 3) == 3
