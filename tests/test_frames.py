"""Frame geometry of the canvas (convdesigner.engine.frames) for every figure of Dumoulin & Visin, chapters
2-5, with the figures' numbers taken from the paper (docs: /work/shared/reference/convolution-arithmetic.md):
tap and output positions per step, both views of a transposed convolution, overlap counts, unvisited units
and the sparse matrix C of section 4.1."""

from __future__ import annotations

from itertools import product

import pytest

from convdesigner.engine.analysis import analyze
from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.engine.frames import DATA, OUTSIDE, PADDING, ZERO, kernel_shape, layer_frames

# figure: (i, k, s, p, d, o), chapter 2 and 5
DIRECT_FIGURES = {
    "2.1": (4, 3, 1, 0, 1, 2),
    "2.2": (5, 4, 1, 2, 1, 6),
    "2.3": (5, 3, 1, 1, 1, 5),
    "2.4": (5, 3, 1, 2, 1, 7),
    "2.5": (5, 3, 2, 0, 1, 2),
    "2.6": (5, 3, 2, 1, 1, 3),
    "2.7": (6, 3, 2, 1, 1, 3),
    "2.8a": (5, 3, 1, 0, 1, 3),
    "2.8b": (5, 3, 2, 0, 1, 2),
    "5.1": (7, 3, 1, 0, 2, 3),
}
# figure: direct (i, k, s, p) -> o, then i', stretched size, p', a, o' (chapter 4's table)
TRANSPOSED_FIGURES = {
    "4.1": ((4, 3, 1, 0), 2, 2, 2, 2, 0, 4),
    "4.2": ((5, 4, 1, 2), 6, 6, 6, 1, 0, 5),
    "4.3": ((5, 3, 1, 1), 5, 5, 5, 1, 0, 5),
    "4.4": ((5, 3, 1, 2), 7, 7, 7, 0, 0, 5),
    "4.5": ((5, 3, 2, 0), 2, 2, 3, 2, 0, 5),
    "4.6": ((5, 3, 2, 1), 3, 3, 5, 1, 0, 5),
    "4.7": ((6, 3, 2, 1), 3, 3, 5, 1, 1, 6),
}


def _analysis(layer: Layer, size: tuple[int, ...], channels: int = 1):
    analysis = analyze(Design("figure", InputSpec(channels, size), (layer,)))
    assert analysis.ok, [d.text for d in analysis.errors]
    return analysis


def conv(i: int, k: int, s: int, p: int, d: int = 1, ndim: int = 2):
    layer = Layer.make(f"Conv{ndim}d", "conv", {"out_channels": 1, "kernel_size": k, "stride": s, "padding": p,
                                                "dilation": d})
    return layer_frames(_analysis(layer, (i,) * ndim).layers[0])


def transposed(i: int, k: int, s: int, p: int, a: int = 0):
    layer = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": k, "stride": s, "padding": p,
                                                 "output_padding": a})
    return layer_frames(_analysis(layer, (i, i)).layers[0])


@pytest.mark.parametrize("figure", DIRECT_FIGURES)
def test_direct_figure_taps_and_output_per_step(figure: str) -> None:
    i, k, s, p, d, o = DIRECT_FIGURES[figure]
    f = conv(i, k, s, p, d)
    assert f.output_size == (o, o)
    assert f.step_count == o * o
    assert [t.cells for t in f.tracks] == [i + 2 * p] * 2
    for step in range(o * o):
        frame = f.frame(step)
        assert frame.output == divmod(step, o)  # row-major, as the paper's animations
        y0, y1 = frame.output
        expected = {(y0 * s + t0 * d, y1 * s + t1 * d) for t0, t1 in product(range(k), repeat=2)}
        assert {tap.position for tap in frame.taps} == expected
        for tap in frame.taps:
            inside = all(p <= u < p + i for u in tap.position)
            assert tap.kind == (DATA if inside else PADDING)
            assert tap.source == (tuple(u - p for u in tap.position) if inside else None)
            assert tap.weight == tap.index


def test_figure_2_1_steps() -> None:
    f = conv(4, 3, 1, 0)
    last = f.frame(3)
    assert last.output == (1, 1)
    assert min(t.position for t in last.taps) == (1, 1) and max(t.position for t in last.taps) == (3, 3)
    assert all(t.kind == DATA for t in last.taps)


def test_figure_2_7_last_padded_row_and_column_are_never_visited() -> None:
    f = conv(6, 3, 2, 1)
    assert f.unvisited() == (range(7, 8), range(7, 8))
    visited = {t.position[0] for frame in f.frames() for t in frame.taps}
    assert visited == set(range(7))


@pytest.mark.parametrize("figure", DIRECT_FIGURES)
def test_visited_and_unvisited_units_cover_the_padded_input(figure: str) -> None:
    i, k, s, p, d, o = DIRECT_FIGURES[figure]
    f = conv(i, k, s, p, d)
    visited = {t.position[1] for frame in f.frames() for t in frame.taps}
    unvisited = set(f.unvisited()[1])
    assert visited | unvisited == set(range(i + 2 * p)) and not visited & unvisited
    assert len(unvisited) == (1 if figure == "2.7" else 0)


def test_figure_5_1_dilated_taps_are_spaced() -> None:
    f = conv(7, 3, 1, 0, d=2)
    assert sorted({t.position[1] for t in f.frame(0).taps}) == [0, 2, 4]
    assert f.tracks[0].reach == 5  # relationship 15: k^ = k + (k - 1)(d - 1)
    assert sorted({t.position[1] for t in f.frame(8).taps}) == [2, 4, 6]


@pytest.mark.parametrize("figure", TRANSPOSED_FIGURES)
def test_transposed_figure_equivalent_direct_view(figure: str) -> None:
    (_i, k, s, p), _o, i_t, stretched, p_t, a, o_t = TRANSPOSED_FIGURES[figure]
    f = transposed(i_t, k, s, p, a)
    assert f.output_size == (o_t, o_t) and f.step_count == o_t * o_t
    for track in f.tracks:
        assert (track.size, track.pad_low, track.pad_high, track.s, track.k) == (stretched, p_t, p_t + a, 1, k)
        for u in range(track.cells):
            x = u - p_t
            expected = PADDING if not 0 <= x < stretched else DATA if x % s == 0 else ZERO
            assert track.kind(u) == expected
            assert track.source(u) == (x // s if expected == DATA else None)
    for step in range(f.step_count):
        frame = f.frame(step)
        y0, y1 = frame.output
        assert {t.position for t in frame.taps} == {(y0 + a0, y1 + a1) for a0, a1 in product(range(k), repeat=2)}
        for tap in frame.taps:  # the equivalent convolution applies the kernel flipped
            assert tap.weight == tuple(k - 1 - t for t in tap.index)


@pytest.mark.parametrize("figure", TRANSPOSED_FIGURES)
def test_transposed_figure_scatter_view_agrees_with_direct_view(figure: str) -> None:
    (_i, k, s, p), _o, i_t, _stretched, _p_t, a, o_t = TRANSPOSED_FIGURES[figure]
    f = transposed(i_t, k, s, p, a)
    assert f.scatter_step_count == i_t * i_t
    scattered = set()
    for step in range(f.scatter_step_count):
        frame = f.scatter_frame(step)
        assert frame.source == divmod(step, i_t)
        for write in frame.writes:
            assert write.position == tuple(x * s + t for x, t in zip(frame.source, write.weight))
            expected = tuple(u - p for u in write.position)
            inside = all(0 <= y < o_t for y in expected)
            assert write.output == (expected if inside else None)
            if inside:
                scattered.add((frame.source, write.weight, write.output))
    gathered = {(t.source, t.weight, frame.output) for frame in f.frames() for t in frame.data_taps}
    assert gathered == scattered


@pytest.mark.parametrize("figure", TRANSPOSED_FIGURES)
def test_switching_views_maps_steps_to_related_cells(figure: str) -> None:
    (_i, k, s, p), _o, i_t, _stretched, _p_t, a, _o_t = TRANSPOSED_FIGURES[figure]
    f = transposed(i_t, k, s, p, a)
    for step in range(f.step_count):
        frame = f.frame(step)
        sources = {t.source for t in frame.data_taps}
        mapped = f.input_of(f.scatter_step_for(step))
        assert mapped in sources or not sources
    for step in range(f.scatter_step_count):
        outputs = {w.output for w in f.scatter_frame(step).writes if w.output is not None}
        back = f.output_of(f.direct_step_for(step))
        assert back in outputs or not outputs


@pytest.mark.parametrize("figure", TRANSPOSED_FIGURES)
def test_overlap_counts_the_data_taps_of_each_output_cell(figure: str) -> None:
    (_i, k, s, p), _o, i_t, _stretched, _p_t, a, _o_t = TRANSPOSED_FIGURES[figure]
    f = transposed(i_t, k, s, p, a)
    overlap = f.overlap()
    for frame in f.frames():
        assert overlap[frame.output] == len(frame.data_taps)


def test_figure_4_5_overlap_is_a_checkerboard() -> None:
    f = transposed(2, 3, 2, 0)  # k = 3 is not a multiple of s = 2
    row = [f.overlap()[(0, x)] for x in range(5)]
    assert row == [1, 1, 2, 1, 1]
    assert f.overlap()[(2, 2)] == 4
    even = transposed(4, 4, 2, 1)  # k = 4 a multiple of s = 2: even overlap away from the border
    inner = {n for (y, x), n in even.overlap().items() if 0 < y < 7 and 0 < x < 7}
    assert even.output_size == (8, 8) and inner == {4}
    uneven = transposed(4, 3, 2, 1)
    assert {n for (y, x), n in uneven.overlap().items() if 0 < y < 6 and 0 < x < 6} == {1, 2, 4}


def test_units_no_input_reaches_have_overlap_zero() -> None:
    f = transposed(3, 2, 3, 0)  # stride larger than the kernel: gaps
    row = [f.overlap()[(0, x)] for x in range(f.output_size[1])]
    assert row == [1, 1, 0, 1, 1, 0, 1, 1]


def test_figure_2_1_matrix_is_the_papers_c() -> None:
    m = conv(4, 3, 1, 0).matrix()
    assert (m.rows, m.columns, m.transposed) == (4, 16, False)
    dense = m.dense()
    # section 4.1: the first row of C is w00 w01 w02 0 w10 w11 w12 0 w20 w21 w22 0 0 0 0 0
    assert dense[0] == [0, 1, 2, None, 3, 4, 5, None, 6, 7, 8, None, None, None, None, None]
    assert dense[3] == [None] * 5 + [0, 1, 2, None, 3, 4, 5, None, 6, 7, 8]
    assert len(m.entries) == 4 * 9


@pytest.mark.parametrize("figure", TRANSPOSED_FIGURES)
def test_transposed_matrix_is_c_transposed(figure: str) -> None:
    (i, k, s, p), o, i_t, _stretched, _p_t, a, o_t = TRANSPOSED_FIGURES[figure]
    c = conv(i, k, s, p).matrix()
    ct = transposed(i_t, k, s, p, a).matrix()
    assert (c.rows, c.columns) == (o * o, i * i)
    assert (ct.rows, ct.columns, ct.transposed) == (o_t * o_t, i_t * i_t, True)
    assert ct.entries == {(col, row): tap for (row, col), tap in c.entries.items()}


def test_large_layers_have_no_matrix() -> None:
    f = conv(224, 3, 1, 1)
    assert not f.matrix_fits() and f.matrix() is None


def test_ceil_mode_pooling_window_is_clipped() -> None:
    layer = Layer.make("MaxPool2d", "pool", {"kernel_size": 3, "stride": 2, "ceil_mode": True})
    f = layer_frames(_analysis(layer, (6, 6)).layers[0])
    assert f.output_size == (3, 3) and f.kind == "max pooling"
    last = f.frame(8)
    assert {t.position[1] for t in last.taps} == {4, 5, 6}
    assert {t.kind for t in last.taps if t.position[1] == 6 or t.position[0] == 6} == {OUTSIDE}
    assert f.unvisited() == (range(6, 6), range(6, 6))


def test_average_pooling_figure_1_5() -> None:
    layer = Layer.make("AvgPool2d", "pool", {"kernel_size": 3, "stride": 1})
    f = layer_frames(_analysis(layer, (5, 5)).layers[0])
    assert f.kind == "average pooling" and f.step_count == 9
    assert kernel_shape(f.result) is None


def test_one_and_three_dimensional_layers() -> None:
    f1 = conv(9, 3, 2, 1, ndim=1)
    assert f1.output_size == (5,) and [t.position for t in f1.frame(2).taps] == [(4,), (5,), (6,)]
    f3 = conv(4, 3, 1, 0, ndim=3)
    assert f3.output_size == (2, 2, 2) and f3.output_of(5) == (1, 0, 1)
    assert len(f3.frame(5).taps) == 27
    assert f3.slice_steps(1) == range(4, 8) and {f3.output_of(s)[0] for s in f3.slice_steps(1)} == {1}
    assert {t.position[0] for t in f3.frame(5).taps} == {1, 2, 3}  # the window's depth taps


def test_layers_without_a_window_have_no_frames() -> None:
    design = Design("d", InputSpec(3, (8, 8)), (
        Layer.make("ReLU", "relu"), Layer.make("Upsample", "up", {"scale_factor": 2}),
        Layer.make("AdaptiveAvgPool2d", "gap", {"output_size": 1}), Layer.make("Flatten", "flat"),
        Layer.make("Linear", "fc", {"out_features": 10}),
    ))
    analysis = analyze(design)
    assert analysis.ok
    assert [layer_frames(r) for r in analysis.layers] == [None] * 5


def test_kernel_shape_follows_pytorch() -> None:
    layer = Layer.make("Conv2d", "c", {"out_channels": 6, "kernel_size": 3, "groups": 2})
    assert kernel_shape(_analysis(layer, (8, 8), channels=4).layers[0]) == (6, 2, 3, 3)
    up = Layer.make("ConvTranspose2d", "u", {"out_channels": 6, "kernel_size": 4, "groups": 2})
    assert kernel_shape(_analysis(up, (8, 8), channels=4).layers[0]) == (4, 3, 4, 4)


def test_bundled_paper_figures_match_the_paper() -> None:
    figures = pytest.importorskip("convdesigner.figures")
    checked = 0
    for figure in figures.paper_figures():
        if figure.chapter < 2:
            continue
        analysis = analyze(figures.load_figure(figure))
        result = analysis.result(figure.layer)
        f = layer_frames(result)
        assert f is not None, figure.figure
        if figure.figure in DIRECT_FIGURES:
            i, k, s, p, d, o = DIRECT_FIGURES[figure.figure]
            g = f.geometry[0]
            assert (g.i, g.k, g.s, g.p_low, g.d, g.o) == (i, k, s, p, d, o), figure.figure
        else:
            (_i, k, s, p), _o, i_t, stretched, p_t, a, o_t = TRANSPOSED_FIGURES[figure.figure]
            track = f.tracks[0]
            assert (f.geometry[0].i, track.size, track.pad_low, f.geometry[0].a, f.output_size[0]) == (
                i_t, stretched, p_t, a, o_t), figure.figure
        checked += 1
    assert checked == len(DIRECT_FIGURES) + len(TRANSPOSED_FIGURES)


def test_asymmetric_padding_is_kept_as_it_is() -> None:
    layer = Layer.make("Conv2d", "conv", {"out_channels": 1, "kernel_size": 3, "stride": 2,
                                          "padding": [[0, 1], [2, 1]]})
    f = layer_frames(_analysis(layer, (6, 6)).layers[0])
    rows, cols = f.tracks
    assert (rows.pad_low, rows.pad_high, cols.pad_low, cols.pad_high) == (0, 1, 2, 1)
    assert f.output_size == (3, 4)  # floor((6 + 1 - 3) / 2) + 1, floor((6 + 3 - 3) / 2) + 1
    assert [rows.kind(u) for u in range(7)] == [DATA] * 6 + [PADDING]
    assert [cols.kind(u) for u in range(9)] == [PADDING] * 2 + [DATA] * 6 + [PADDING]


def test_negative_equivalent_padding_crops_the_stretched_input() -> None:
    f = transposed(5, 3, 2, 3)  # p = 3 > d(k - 1) = 2: the equivalent convolution crops one unit per side
    track = f.tracks[0]
    assert (track.size, track.pad_low, track.pad_high, track.cells) == (9, -1, -1, 7)
    assert f.output_size == (5, 5)
    assert [track.kind(u) for u in range(7)] == [DATA if (u + 1) % 2 == 0 else ZERO for u in range(7)]
    gathered = {(t.source, t.weight, fr.output) for fr in f.frames() for t in fr.data_taps}
    scattered = {(sf.source, w.weight, w.output) for s in range(f.scatter_step_count)
                 for sf in [f.scatter_frame(s)] for w in sf.writes if w.output is not None}
    assert gathered == scattered
