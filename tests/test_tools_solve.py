"""Solve padding: every listed solution reaches the target (recomputed with the engine), none is missed
(brute force over paddings), and "none" comes with the right reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.arguments import MAX_INT
from convdesigner.engine.arithmetic import conv_output_size, transposed_output_size
from convdesigner.engine.tools.solve import (
    MAX_SOLUTIONS,
    SolveError,
    conv_padding_options,
    solve_padding,
    transposed_padding_options,
)


def _design(ndim: int, size: int, *layers: Layer) -> Design:
    return Design("t", InputSpec(2, (size,) * ndim), layers)


# ------------------------------------------------------------------------------------------- per axis

def test_paper_figure_2_6_padding_one_reaches_three() -> None:
    # Figure 2.6: i = 5, k = 3, s = 2, p = 1 gives o = 3.
    options = conv_padding_options(5, 3, 2, 1, 3)
    assert [(s.p_low, s.p_high) for s in options.solutions] == [(1, 1), (1, 2), (2, 1)]
    assert all(s.dropped == 0 for s in options.solutions)


def test_paper_figure_2_7_asymmetric_alternatives_come_after_symmetric() -> None:
    # Figure 2.7: i = 6, k = 3, s = 2, p = 1 gives 3; total padding 1 does too, as [0, 1] or [1, 0].
    options = conv_padding_options(6, 3, 2, 1, 3)
    assert [(s.p_low, s.p_high) for s in options.solutions] == [(1, 1), (0, 1), (1, 0)]
    # With p = 1 the last padded row is never visited (the figure's point), but no real one is.
    assert [s.dropped for s in options.solutions] == [0, 0, 0]


def test_solutions_say_when_a_real_input_row_is_dropped() -> None:
    # i = 7, k = 3, s = 2 -> 3: with [1, 0], (7 + 1 - 2 - 1) mod 2 = 1 real row is never visited.
    options = conv_padding_options(7, 3, 2, 1, 3)
    assert [((s.p_low, s.p_high), s.dropped) for s in options.solutions] == [((0, 0), 0), ((0, 1), 0), ((1, 0), 1)]
    assert options.solutions[2].text == "padding [1, 0] (drops the last input unit)"


def test_paper_figure_4_7_transposed_needs_output_padding_one() -> None:
    # Figure 4.7: i' = 3, k = 3, s = 2, p = 1, a = 1 gives o' = 6, the only way to reach 6.
    options = transposed_padding_options(3, 3, 2, 1, 6)
    assert [(s.p_low, s.output_padding) for s in options.solutions] == [(1, 1)]
    # 5 is reached with a = 0: figure 4.6.
    assert [(s.p_low, s.output_padding) for s in transposed_padding_options(3, 3, 2, 1, 5).solutions] == [(1, 0)]


def test_conv_target_smaller_than_the_unpadded_output_has_no_solution() -> None:
    options = conv_padding_options(10, 3, 1, 1, 5)
    assert options.solutions == ()
    assert "even without padding the output is 8, more than 5" in (options.reason or "")


def test_transposed_target_too_large_names_the_largest_output() -> None:
    # (4 - 1) 2 + 3 = 9 with p = 0; a can add 1 more (a < max(s, d) = 2): 10 is the most.
    assert [(s.p_low, s.output_padding) for s in transposed_padding_options(4, 3, 2, 1, 10).solutions] == [(0, 1)]
    options = transposed_padding_options(4, 3, 2, 1, 11)
    assert options.solutions == ()
    assert "too large" in (options.reason or "") and "the output is 10" in (options.reason or "")


def test_transposed_unit_stride_reaches_one_parity_only() -> None:
    # s = d = 1: a must be 0 (a < max(s, d)), and padding removes 2 at a time from 5 + 3 - 1 = 7.
    options = transposed_padding_options(5, 3, 1, 1, 6)
    assert options.solutions == ()
    assert "output_padding must be 0" in (options.reason or "") and "7, 5, 3" in (options.reason or "")
    assert [s.p_low for s in transposed_padding_options(5, 3, 1, 1, 5).solutions] == [1]
    # With dilation 2, a may be 1, so 6 is reachable.
    assert [(s.p_low, s.output_padding) for s in transposed_padding_options(5, 3, 1, 2, 6).solutions] == [(2, 1)]


def test_target_below_one_is_refused() -> None:
    assert "at least 1" in (conv_padding_options(5, 3, 1, 1, 0).reason or "")
    assert "at least 1" in (transposed_padding_options(5, 3, 1, 1, 0).reason or "")


@given(i=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 5), d=st.integers(1, 3), target=st.integers(1, 40))
def test_conv_solutions_are_exact_and_complete(i: int, k: int, s: int, d: int, target: int) -> None:
    options = conv_padding_options(i, k, s, d, target)
    for solution in options.solutions:
        assert conv_output_size(i, k, s, solution.p_low, solution.p_high, d) == target
        assert abs(solution.p_low - solution.p_high) <= 1
    bound = target * s + d * (k - 1) + 2
    symmetric = [p for p in range(bound) if conv_output_size(i, k, s, p, p, d) == target]
    found = [x.p_low for x in options.solutions if x.symmetric]
    assert found == symmetric[:MAX_SOLUTIONS]
    near = [(lo, lo + 1) for lo in range(bound) if conv_output_size(i, k, s, lo, lo + 1, d) == target]
    assert [(x.p_low, x.p_high) for x in options.solutions if x.p_low < x.p_high] == near[:MAX_SOLUTIONS // 2]
    assert bool(options.solutions) == bool(symmetric or near)
    assert (options.reason is None) == bool(options.solutions)


@given(i=st.integers(1, 30), k=st.integers(1, 7), s=st.integers(1, 5), d=st.integers(1, 3), target=st.integers(1, 80))
def test_transposed_solutions_are_exact_and_complete(i: int, k: int, s: int, d: int, target: int) -> None:
    options = transposed_padding_options(i, k, s, d, target)
    for solution in options.solutions:
        assert solution.output_padding is not None and solution.output_padding < max(s, d)
        assert transposed_output_size(i, k, s, solution.p_low, solution.output_padding, d) == target
    brute = sorted((p, a) for p in range(200) for a in range(max(s, d))
                   if transposed_output_size(i, k, s, p, a, d) == target)
    assert [(x.p_low, x.output_padding) for x in options.solutions] == brute[:MAX_SOLUTIONS]
    assert (options.reason is None) == bool(brute)


# --------------------------------------------------------------------------------------- on a design

@pytest.mark.parametrize(("layer", "target", "expected"), [
    (Layer.make("Conv2d", "c", {"out_channels": 4, "kernel_size": 3}), (16, 16), {"padding": 1}),
    (Layer.make("Conv2d", "c", {"out_channels": 4, "kernel_size": 4}), (16, 16), {"padding": [[1, 2], [1, 2]]}),
    (Layer.make("Conv2d", "c", {"out_channels": 4, "kernel_size": 3, "stride": 2}), (8, 9), {"padding": [1, 2]}),
    (Layer.make("ConvTranspose2d", "c", {"out_channels": 4, "kernel_size": 3, "stride": 2}), (32, 32),
     {"padding": 1, "output_padding": 1}),
    (Layer.make("ConvTranspose1d", "c", {"out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 5}), (32,),
     {"padding": 1, "output_padding": 0}),
])
def test_applying_the_first_solution_reaches_the_target(layer: Layer, target: tuple[int, ...],
                                                        expected: dict) -> None:
    design = _design(len(target), 16, layer)
    result = solve_padding(analyze(design), 0, target)
    assert result.ok, result.message
    assert result.solutions[0].arguments == expected
    for choice in result.solutions:
        solved = design.with_layers([layer.with_args(**choice.arguments)])
        analysis = analyze(solved)
        assert analysis.ok and analysis.output_shape[1:] == target


def test_solve_on_a_layer_that_is_refused_uses_its_input_size() -> None:
    # The kernel does not fit the 4-unit input: the layer has an error, and solving pads it to fit.
    design = _design(1, 4, Layer.make("Conv1d", "c", {"out_channels": 2, "kernel_size": 7}))
    assert not analyze(design).ok
    result = solve_padding(analyze(design), 0, (4,))
    assert result.solutions[0].arguments == {"padding": 3}


def test_reflect_padding_limit_is_the_reason_for_none() -> None:
    layer = Layer.make("Conv1d", "c", {"out_channels": 2, "kernel_size": 3, "padding_mode": "reflect"})
    result = solve_padding(analyze(_design(1, 3, layer)), 0, (10,))
    assert not result.ok and result.solutions == ()
    assert "reflect padding must be smaller than the input size 3" in result.message
    assert result.message.startswith("c: no padding reaches 10 on axis L (input 3)")


def test_solve_refuses_layers_it_cannot_solve() -> None:
    design = _design(2, 8, Layer.make("MaxPool2d", "pool", {"kernel_size": 2}),
                     Layer.make("Conv2d", "c", {"out_channels": 2, "kernel_size": 9}),
                     Layer.make("Conv2d", "after", {"out_channels": 2, "kernel_size": 3}))
    analysis = analyze(design)
    with pytest.raises(SolveError, match="pool is a MaxPool2d"):
        solve_padding(analysis, 0, (4, 4))
    with pytest.raises(SolveError, match="2 sizes"):
        solve_padding(analysis, 1, (4,))
    with pytest.raises(SolveError, match="after is not reached"):
        solve_padding(analysis, 2, (4, 4))


def _refusals(design: Design, result_arguments: list[dict]) -> list[list[str]]:
    """The engine's errors for each listed solution set on the design's only layer (all empty: accepted)."""
    layer = design.layers[0]
    return [[d.text for d in analyze(design.with_layers((layer.with_args(**args),))).errors]
            for args in result_arguments]


def test_no_padding_beyond_the_arguments_range_is_listed() -> None:
    """Dilation 10^8, kernel 5, input 1: reaching 1 needs 4 * 10^8 of padding, 2 * 10^8 on a side, beyond
    MAX_INT; at dilation MAX_INT / 2 and stride 2 the symmetric 10^8 is listed but not [10^8, 10^8 + 1]."""
    design = _design(1, 1, Layer.make("Conv1d", "c", {"out_channels": 1, "kernel_size": 5, "dilation": MAX_INT}))
    result = solve_padding(analyze(design), 0, (1,))
    assert result.solutions == ()
    assert result.message == ("c: no padding reaches 1 on axis L (input 1): it needs a padding of at least "
                              "200000000 on a side, but the engine accepts at most 100,000,000 on a side")
    edge = _design(1, 1, Layer.make("Conv1d", "c", {"out_channels": 1, "kernel_size": 5, "stride": 2,
                                                    "dilation": MAX_INT // 2}))
    result = solve_padding(analyze(edge), 0, (1,))
    assert [x.arguments for x in result.solutions] == [{"padding": MAX_INT}]
    assert _refusals(edge, [x.arguments for x in result.solutions]) == [[]]


def test_no_transposed_padding_beyond_the_arguments_range_is_listed() -> None:
    """Stride 10^8 on 4 units: the unpadded output is 3 * 10^8 + 1 (+ a up to 10^8 - 1); reaching 1 needs
    a padding of 1.5 * 10^8 at least; reaching 10^8 + 1 needs exactly 10^8."""
    design = _design(1, 4, Layer.make("ConvTranspose1d", "t", {"out_channels": 1, "kernel_size": 1,
                                                               "stride": MAX_INT}))
    result = solve_padding(analyze(design), 0, (1,))
    assert result.solutions == () and "at least 150000000, but the engine accepts at most 100,000,000" in \
        result.message
    result = solve_padding(analyze(design), 0, (MAX_INT + 1,))
    assert result.solutions[0].arguments == {"padding": MAX_INT, "output_padding": 0}
    assert all(x.axes[0].p_low <= MAX_INT for x in result.solutions)
    assert _refusals(design, [x.arguments for x in result.solutions]) == [[]] * len(result.solutions)


def test_a_target_whose_tensor_the_engine_refuses_is_a_solve_error() -> None:
    design = _design(1, 8, Layer.make("Conv1d", "c", {"out_channels": MAX_INT, "kernel_size": 1, "stride": 1}))
    with pytest.raises(SolveError, match=r"c: the output 100000000×100000000000 would hold 1e\+19 values, more than "
                                         r"PyTorch can address"):
        solve_padding(analyze(design), 0, (10**11,))
