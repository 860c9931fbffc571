"""Per-axis convolution arithmetic.

Every function works on one spatial axis and implements one relationship of Dumoulin & Visin,
"A guide to convolution arithmetic for deep learning" (2016), in the general form PyTorch computes
(any dilation, asymmetric padding, output padding). Notation: input size ``i``, kernel ``k``, stride
``s``, padding ``p`` (``p_low``/``p_high`` when the two sides differ), dilation ``d``, the transposed
convolution's output padding ``a``, output size ``o``.

These are the only places in convdesigner where an output size is computed; everything else calls them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def effective_kernel(k: int, d: int = 1) -> int:
    """The dilated kernel's extent, relationship 15: k^ = k + (k - 1)(d - 1)."""
    return k + (k - 1) * (d - 1)


def padded_size(i: int, p_low: int, p_high: int) -> int:
    """The input size with its zero padding added on both sides."""
    return i + p_low + p_high


def conv_output_size(i: int, k: int, s: int = 1, p_low: int = 0, p_high: int = 0, d: int = 1) -> int:
    """Output size of a convolution: o = floor((i + p_low + p_high - d(k - 1) - 1) / s) + 1.

    Relationships 1-6 of the paper (and 15 for dilation) in PyTorch's general form. The result may be
    zero or negative when the dilated kernel does not fit into the padded input; callers decide.
    """
    return (i + p_low + p_high - d * (k - 1) - 1) // s + 1


def unvisited_size(i: int, k: int, s: int = 1, p_low: int = 0, p_high: int = 0, d: int = 1) -> int:
    """How many units at the high end of the padded input no window reaches.

    The paper's caveat after relationship 6: when (i + p_low + p_high - d(k - 1) - 1) is not a multiple
    of s, the last rows or columns of the padded input are never visited (figure 2.7).
    """
    return (i + p_low + p_high - d * (k - 1) - 1) % s


def unvisited_data(i: int, k: int, s: int = 1, p_low: int = 0, p_high: int = 0, d: int = 1) -> int:
    """How many units of real input (not padding) no window reaches: the part of `unvisited_size`
    that lies beyond the high padding."""
    return max(0, unvisited_size(i, k, s, p_low, p_high, d) - p_high)


def pool_output_size(
    i: int, k: int, s: int, p: int = 0, d: int = 1, ceil_mode: bool = False
) -> int:
    """Output size of max or average pooling, relationship 7 with padding and dilation.

    PyTorch's rule (``pooling_output_shape``): o = floor or ceil((i + 2p - d(k - 1) - 1) / s) + 1; in
    ceil mode the last window must start inside the input or its low padding, so when
    (o - 1) s >= i + p the last output is dropped.
    """
    span = i + 2 * p - d * (k - 1) - 1
    if ceil_mode:
        o = -(-span // s) + 1
        if (o - 1) * s >= i + p:
            o -= 1
        return o
    return span // s + 1


def transposed_output_size(i: int, k: int, s: int = 1, p: int = 0, a: int = 0, d: int = 1) -> int:
    """Output size of a transposed convolution: o' = (i' - 1)s - 2p + d(k - 1) + a + 1.

    Relationships 8-14 of the paper (rel. 14 with a = output padding) in PyTorch's dilated form.
    """
    return (i - 1) * s - 2 * p + d * (k - 1) + a + 1


def stretched_size(i: int, s: int) -> int:
    """Size of the input stretched with s - 1 zeros between units (section 4.5): i + (i - 1)(s - 1)."""
    return i + (i - 1) * (s - 1)


def output_padding_for(i: int, k: int, s: int, p: int, d: int = 1) -> int:
    """Relationship 14's a = (i + 2p - d(k - 1) - 1) mod s: the output padding with which the
    transposed convolution returns exactly to the size i its direct convolution saw."""
    return unvisited_size(i, k, s, p, p, d)


@dataclass(frozen=True, init=False)
class EquivalentConvolution:
    """A transposed convolution as the paper draws it: a unit-stride direct convolution, with the
    kernel flipped, over the input stretched by s - 1 zeros between units and padded by d(k - 1) - p
    on the low side and d(k - 1) - p + a on the high side (negative padding crops)."""

    input_size: int
    pad_low: int
    pad_high: int
    kernel_size: int
    dilation: int
    stride: int = 1

    def __init__(self, input_size: int, pad_low: int, pad_high: int, kernel_size: int, dilation: int,
                 stride: int = 1) -> None:
        # Frozen, but filled through __dict__: one is made per axis of every transposed layer analysed.
        self.__dict__.update(input_size=input_size, pad_low=pad_low, pad_high=pad_high, kernel_size=kernel_size,
                             dilation=dilation, stride=stride)

    @property
    def output_size(self) -> int:
        return conv_output_size(
            self.input_size, self.kernel_size, self.stride, self.pad_low, self.pad_high, self.dilation
        )


def equivalent_convolution(i: int, k: int, s: int = 1, p: int = 0, a: int = 0, d: int = 1) -> EquivalentConvolution:
    """The direct convolution equivalent to a transposed one (relationships 8-14, section 4)."""
    reach = d * (k - 1)
    return EquivalentConvolution(stretched_size(i, s), reach - p, reach - p + a, k, d)


def same_padding(k: int, d: int = 1) -> tuple[int, int]:
    """PyTorch's ``padding='same'`` for a unit-stride convolution: the total d(k - 1) is split with the
    extra zero on the high side. With odd k and d = 1 this is the paper's half padding (rel. 3)."""
    total = d * (k - 1)
    return total // 2, total - total // 2


def full_padding(k: int, d: int = 1) -> int:
    """The paper's full padding (relationship 4), generalised to dilation: p = d(k - 1)."""
    return d * (k - 1)


def upsample_output_size(i: int, size: int | None, scale_factor: float | None) -> int:
    """Output size of ``nn.Upsample`` on one axis: the given size, or floor(i * scale_factor) computed
    in double precision as PyTorch's ``interpolate`` does."""
    if size is not None:
        return size
    assert scale_factor is not None
    return math.floor(float(i) * float(scale_factor))


def adaptive_window(o_index: int, i: int, o: int) -> tuple[int, int]:
    """The input window [start, end) of adaptive pooling's output unit ``o_index``: PyTorch's
    start = floor(o_index * i / o), end = ceil((o_index + 1) * i / o)."""
    start = (o_index * i) // o
    end = -(-((o_index + 1) * i) // o)
    return start, end


def conv_relationship(k: int, s: int, p_low: int, p_high: int, d: int = 1) -> str:
    """The paper's relationship that covers a direct convolution with these arguments on one axis."""
    if d != 1:
        return "relationship 15 (dilated)"
    if p_low != p_high:
        return "relationship 6 (asymmetric padding)"
    p = p_low
    if s == 1:
        if p == 0:
            return "relationship 1 (no padding, unit stride)"
        if k % 2 == 1 and p == (k - 1) // 2:
            return "relationship 3 (half padding)"
        if p == k - 1:
            return "relationship 4 (full padding)"
        return "relationship 2 (padding, unit stride)"
    if p == 0:
        return "relationship 5 (no padding, stride)"
    return "relationship 6 (padding and stride)"


def transposed_relationship(k: int, s: int, p: int, a: int, d: int = 1) -> str:
    """The paper's relationship that covers a transposed convolution with these arguments."""
    if d != 1:
        return "relationship 15's transposed form (dilated)"
    if a:
        return "relationship 14 (output padding)"
    if s == 1:
        if p == 0:
            return "relationship 8 (transpose of no padding)"
        if k % 2 == 1 and p == (k - 1) // 2:
            return "relationship 10 (transpose of half padding)"
        if p == k - 1:
            return "relationship 11 (transpose of full padding)"
        return "relationship 9 (transpose of padding)"
    if p == 0:
        return "relationship 12 (transpose of stride)"
    return "relationship 13 (transpose of padding and stride)"


# -- undoing a convolution's shape (the mirror tool) ------------------------------------------------------

@dataclass(frozen=True)
class TransposedInverse:
    """How a transposed convolution returns exactly to the size i its direct convolution saw, on one
    axis: its padding and output padding, then a crop of ``crop_low``/``crop_high`` units."""

    padding: int
    output_padding: int
    crop_low: int = 0
    crop_high: int = 0


def transposed_inverse(i: int, k: int, s: int, p_low: int, p_high: int, d: int = 1) -> TransposedInverse:
    """The transposed convolution that undoes, shape for shape, the direct convolution (i, k, s,
    p_low, p_high, d). Symmetric padding: relationship 14 exactly. Asymmetric: the smallest crop (see
    the mirror tool's docstring); the result is checked against `transposed_output_size`."""
    o = conv_output_size(i, k, s, p_low, p_high, d)
    if p_low == p_high:
        answer = TransposedInverse(p_low, output_padding_for(i, k, s, p_low, d))
    else:
        answer = _asymmetric_inverse(i, k, s, p_low, p_high, d, o)
    restored = transposed_output_size(o, k, s, answer.padding, answer.output_padding, d)
    assert restored - answer.crop_low - answer.crop_high == i, (i, k, s, p_low, p_high, d, answer)
    return answer


def _asymmetric_inverse(i: int, k: int, s: int, p_low: int, p_high: int, d: int, o: int) -> TransposedInverse:
    """The smallest crop for asymmetric padding, in O(1). With output padding a (PyTorch allows
    0 <= a < max(s, d)) the padding is q = min(p_low, p_high - u + a) (u: the unvisited units, so q >= 0
    needs a >= u - p_high) and the crop totals |p_low - p_high + u - a|: it is smallest, ties going to
    the smaller a, for the a that makes the transposed convolution with padding p_low return exactly to i
    (no crop), clamped to the allowed range."""
    unvisited = unvisited_size(i, k, s, p_low, p_high, d)
    exact = i - transposed_output_size(o, k, s, p_low, 0, d)  # = p_low - p_high + unvisited
    a = min(max(exact, unvisited - p_high, 0), max(s, d) - 1)
    q = min(p_low, p_high - unvisited + a)
    return TransposedInverse(q, a, p_low - q, p_high - unvisited + a - q)
