"""The paper-figure gallery: one design per numbered figure of Dumoulin & Visin (2016), chapters 1-5, each
layer with exactly the paper's numbers (/work/shared/reference/convolution-arithmetic.md), and the index the
canvas and the numbers mode read."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from convdesigner import figures
from convdesigner.engine.analysis import LayerResult, analyze
from convdesigner.engine.arithmetic import unvisited_data
from convdesigner.figures import PaperFigure, load_figure, paper_figure, paper_figures
from convdesigner.io.design_file import dumps, loads

#: The paper's direct convolutions and pooling: figure -> (i, k, s, p, d, o). Chapters 1, 2 and 5.
DIRECT = {
    "1.1": (5, 3, 1, 0, 1, 3), "1.2": (5, 3, 2, 1, 1, 3), "1.3": (5, 3, 1, 0, 1, 3), "1.4": (5, 3, 2, 0, 1, 2),
    "1.5": (5, 3, 1, 0, 1, 3), "1.6": (5, 3, 1, 0, 1, 3),
    "2.1": (4, 3, 1, 0, 1, 2), "2.2": (5, 4, 1, 2, 1, 6), "2.3": (5, 3, 1, 1, 1, 5), "2.4": (5, 3, 1, 2, 1, 7),
    "2.5": (5, 3, 2, 0, 1, 2), "2.6": (5, 3, 2, 1, 1, 3), "2.7": (6, 3, 2, 1, 1, 3),
    "2.8a": (5, 3, 1, 0, 1, 3), "2.8b": (5, 3, 2, 0, 1, 2),
    "5.1": (7, 3, 1, 0, 2, 3),
}
#: Chapter 4: figure -> (direct i, k, s, p), then the transposed layer's i', stretched input, p', a, o'.
TRANSPOSED = {
    "4.1": ((4, 3, 1, 0), 2, 2, 2, 0, 4),
    "4.2": ((5, 4, 1, 2), 6, 6, 1, 0, 5),
    "4.3": ((5, 3, 1, 1), 5, 5, 1, 0, 5),
    "4.4": ((5, 3, 1, 2), 7, 7, 0, 0, 5),
    "4.5": ((5, 3, 2, 0), 2, 3, 2, 0, 5),
    "4.6": ((5, 3, 2, 1), 3, 5, 1, 0, 5),
    "4.7": ((6, 3, 2, 1), 3, 5, 1, 1, 6),
}
#: Which relationship each figure illustrates, as its design's description cites it.
RELATIONSHIP = {
    "1.1": 1, "1.2": 6, "1.3": 1, "1.4": 5, "1.5": 7, "1.6": 7, "2.1": 1, "2.2": 2, "2.3": 3, "2.4": 4, "2.5": 5,
    "2.6": 6, "2.7": 6, "2.8a": 1, "2.8b": 5, "4.1": 8, "4.2": 9, "4.3": 10, "4.4": 11, "4.5": 12, "4.6": 13,
    "4.7": 14, "5.1": 15,
}
FIGURES = {figure.figure: figure for figure in paper_figures()}


def main_result(figure: PaperFigure) -> LayerResult:
    analysis = analyze(load_figure(figure))
    assert analysis.ok, [d.text for d in analysis.errors]
    return analysis.result(figure.layer)


def test_the_gallery_lists_every_numbered_figure_in_the_papers_order() -> None:
    assert list(FIGURES) == [*list(DIRECT)[:-1], *TRANSPOSED, "5.1"]
    assert [f.chapter for f in FIGURES.values()] == [int(n[0]) for n in FIGURES]
    assert len({f.file for f in FIGURES.values()}) == len(FIGURES)
    folder = Path(figures.assets.resource("examples", "paper"))  # type: ignore[arg-type]
    assert sorted(p.name for p in folder.glob("*.yaml") if p.name != "index.yaml") == sorted(
        f"figure-{n}.yaml" for n in FIGURES)


@pytest.mark.parametrize("number", list(DIRECT))
def test_direct_figure_has_the_papers_numbers(number: str) -> None:
    figure = FIGURES[number]
    i, k, s, p, d, o = DIRECT[number]
    result = main_result(figure)
    assert len(result.geometry) == 2
    for axis in result.geometry:
        assert (axis.i, axis.k, axis.s, axis.p_low, axis.p_high, axis.d, axis.o) == (i, k, s, p, p, d, o)
        assert not axis.transposed
    assert figure.view == "direct"


@pytest.mark.parametrize("number", list(TRANSPOSED))
def test_transposed_figure_has_the_papers_numbers(number: str) -> None:
    figure = FIGURES[number]
    (i, k, s, p), i_prime, stretched, p_prime, a, o_prime = TRANSPOSED[number]
    result = main_result(figure)
    assert result.type == "ConvTranspose2d" and figure.view == "transposed"
    assert result.input_shape == (1, i_prime, i_prime)
    assert result.output_shape == (1, o_prime, o_prime)
    assert o_prime == i  # the transpose returns to the direct convolution's input size
    for axis in result.geometry:
        assert axis.transposed
        assert (axis.i, axis.k, axis.s, axis.p_low, axis.p_high, axis.a, axis.o) == (i_prime, k, s, p, p, a, o_prime)
        eq = axis.equivalent
        assert (eq.input_size, eq.kernel_size, eq.stride, eq.dilation) == (stretched, k, 1, 1)
        assert (eq.pad_low, eq.pad_high) == (p_prime, p_prime + a)
        assert eq.output_size == o_prime
    # The direct convolution it transposes is the chapter-2 figure with the same numbers.
    direct = [n for n, numbers in DIRECT.items() if n.startswith("2.") and numbers[:4] == (i, k, s, p)]
    assert direct and DIRECT[direct[0]][5] == i_prime


def test_figure_2_7_never_visits_its_last_padded_row_and_column() -> None:
    seven, six = main_result(FIGURES["2.7"]), main_result(FIGURES["2.6"])
    for axis in seven.geometry:
        assert axis.unvisited == 1  # (i + 2p - k) mod s = (6 + 2 - 3) mod 2
        assert unvisited_data(axis.i, axis.k, axis.s, axis.p_low, axis.p_high, axis.d) == 0  # only padding
    assert all(axis.unvisited == 0 for axis in six.geometry)
    assert seven.output_shape == six.output_shape == (1, 3, 3)  # 5x5 and 6x6 inputs give the same output


def test_figure_5_1_dilated_kernel_spans_five() -> None:
    axis = main_result(FIGURES["5.1"]).geometry[0]
    assert axis.d * (axis.k - 1) + 1 == 5


@pytest.mark.parametrize("number", list(RELATIONSHIP))
def test_figure_design_is_one_named_layer_with_its_description(number: str) -> None:
    figure = FIGURES[number]
    design = load_figure(figure)
    assert design.name == figure.label
    assert len(design.layers) == 1 and design.layers[0].name == figure.layer
    expected_layer = {"ConvTranspose2d": "transposed", "Conv2d": "conv", "AvgPool2d": "pool", "MaxPool2d": "pool"}
    assert figure.layer == expected_layer[design.layers[0].type]
    assert f"relationship {RELATIONSHIP[number]})" in design.description
    assert design.description.startswith(f"{figure.label} of Dumoulin & Visin")
    channels = (2, 3) if number == "1.3" else (1, 1)
    result = main_result(figure)
    assert (result.input_shape[0], result.output_shape[0]) == channels
    if design.layers[0].type.startswith("Conv"):
        assert design.layers[0].get("bias") is False  # the paper's figures have no bias
    text = figure.resource.read_text(encoding="utf-8")
    assert dumps(loads(text)) == text


def test_pooling_figures_pool_as_the_paper_says() -> None:
    assert load_figure(FIGURES["1.5"]).layers[0].type == "AvgPool2d"
    assert load_figure(FIGURES["1.6"]).layers[0].type == "MaxPool2d"


def test_index_flags_for_the_canvas_and_the_numbers_mode() -> None:
    assert [n for n, f in FIGURES.items() if f.numbers] == ["1.1", "1.2", "1.5", "1.6"]
    assert [n for n, f in FIGURES.items() if f.channels_stacked] == ["1.3"]
    assert [n for n, f in FIGURES.items() if f.values is not None] == ["1.1", "1.2", "1.5", "1.6"]
    assert {f.view for f in FIGURES.values()} <= set(figures.VIEWS)
    assert FIGURES["2.1"].title == "No padding, unit strides"
    assert paper_figure("2.8a").label == "Figure 2.8 (a)" and paper_figure("4.7").label == "Figure 4.7"
    with pytest.raises(KeyError):
        paper_figure("3.1")  # chapter 3 has no figures
    with pytest.raises(dataclasses.FrozenInstanceError):
        FIGURES["2.1"].layer = "other"  # type: ignore[misc]


def _window_values(grid: tuple[tuple[int, ...], ...], k: int, s: int, p: int) -> list[list[list[int]]]:
    """Every window of a zero-padded grid, row-major: the definition, written out independently."""
    n = len(grid)
    padded = [[0] * (n + 2 * p) for _ in range(p)] + [[0] * p + list(row) + [0] * p for row in grid] + \
        [[0] * (n + 2 * p) for _ in range(p)]
    o = (n + 2 * p - k) // s + 1
    return [[[padded[r * s + dr][c * s + dc] for dr in range(k) for dc in range(k)] for c in range(o)]
            for r in range(o)]


@pytest.mark.parametrize("number", ["1.1", "1.2"])
def test_numerical_convolution_figures_print_the_right_sums(number: str) -> None:
    figure = FIGURES[number]
    values = figure.values
    axis = main_result(figure).geometry[0]
    assert values is not None and values.kernel == ((0, 1, 2), (2, 2, 0), (0, 1, 2))  # the paper's kernel
    weights = [w for row in values.kernel for w in row]
    windows = _window_values(values.input, axis.k, axis.s, axis.p_low)
    output = tuple(tuple(sum(x * w for x, w in zip(window, weights)) for window in row) for row in windows)
    assert output == values.output
    assert len(values.input) == axis.i and len(values.output) == axis.o


def test_numerical_pooling_figures_print_the_right_values() -> None:
    average, maximum = FIGURES["1.5"].values, FIGURES["1.6"].values
    assert average is not None and maximum is not None and average.input == maximum.input
    windows = _window_values(average.input, 3, 1, 0)
    assert maximum.output == tuple(tuple(max(w) for w in row) for row in windows)
    exact = [[Fraction(sum(w), len(w)) for w in row] for row in windows]
    assert average.output == tuple(tuple(round(float(v), 1) for v in row) for row in exact)  # as the paper prints


@pytest.mark.torch
@pytest.mark.parametrize("number", list(RELATIONSHIP))
def test_figure_shapes_match_pytorch(number: str) -> None:
    torch = pytest.importorskip("torch")
    design = load_figure(FIGURES[number])
    layer = design.layers[0]
    args = dict(layer.args)
    if layer.type.startswith("Conv"):
        args["in_channels"] = design.input.channels
    module = getattr(torch.nn, layer.type)(**args)
    output = module(torch.zeros((1, *design.input.shape)))
    assert tuple(output.shape[1:]) == analyze(design).output_shape


def test_a_broken_index_is_refused_naming_the_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "examples" / "paper").mkdir(parents=True)
    index = tmp_path / "examples" / "paper" / "index.yaml"
    monkeypatch.setattr(figures.assets, "resource_root", lambda: tmp_path)
    index.write_text('- {figure: "2.1", chapter: 2, title: t, file: f.yaml, layer: conv, view: sideways}\n')
    with pytest.raises(ValueError, match="entry 1: view must be one of direct, transposed, scatter"):
        paper_figures()
    index.write_text('- {figure: "2.1", chapter: 2, title: t, file: f.yaml, layer: conv, view: direct, zoom: 2}\n')
    with pytest.raises(ValueError, match="entry 1: unknown key 'zoom'"):
        paper_figures()


def test_the_figures_module_needs_no_qt() -> None:
    code = ("import sys\nfrom convdesigner import figures\nfigures.load_figure(figures.paper_figures()[0])\n"
            "figures.example_designs()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'torch')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
