"""The numbers mode on the canvas (issue 9), through its widgets with pytest-qt: the toggle, editing a value
by clicking a cell, Randomise and Reset, numbers hidden when the cells are too small, the paper gallery's
chapter 1 opening in numbers, and `convdesigner animate --numbers`.

The expected values are the paper's (Dumoulin & Visin, figures 1.1, 1.2, 1.5, 1.6; the same numbers its
repository's produce_figure draws) and, for edited values, the sums worked out by hand below.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import canvas_support
import pytest
from canvas_support import conv
from PySide6.QtCore import QPoint, QRectF, Qt

from convdesigner import figures
from convdesigner.engine.analysis import analyze
from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.engine.numeric import PAPER_INPUT, PAPER_KERNEL, forward
from convdesigner.gui.canvas import CanvasWidget
from convdesigner.gui.canvas.layout import NUMBER_CELL_PX, stage_rect
from convdesigner.gui.canvas.numbers import HIDDEN_NOTE

FIGURE_1_1 = [[12, 12, 17], [10, 17, 19], [9, 6, 14]]


def show_figure(canvas: CanvasWidget, number: str):
    figure = figures.paper_figure(number)
    analysis = analyze(figures.load_figure(figure))
    canvas.show_layer(analysis, [r.name for r in analysis.layers].index(figure.layer))
    return analysis


def cell_center(canvas: CanvasWidget, grid_name: str, row: int, col: int) -> QPoint:
    return canvas_support.cell_center(canvas, grid_name, row, col, vectors=True)


def design(*layers: Layer, size: tuple[int, ...] = (5, 5), channels: int = 1) -> Design:
    return canvas_support.design(*layers, size=size, channels=channels)


def cell_box(canvas: CanvasWidget, grid_name: str, row: int, col: int) -> QRectF:
    cam = canvas.view_widget.current_camera()
    grid = next(g for g in canvas.model.grids(canvas.view(), True) if g.name == grid_name)
    x, y = cam.px(grid.x + col, grid.y + row)
    return QRectF(x + 2, y + 2, cam.scale - 4, cam.scale - 4)


def colours_in(canvas: CanvasWidget, box: QRectF) -> set[tuple[int, int, int]]:
    image = canvas.view_widget.grab().toImage()
    return {image.pixelColor(x, y).getRgb()[:3] for x in range(int(box.left()), int(box.right()))
            for y in range(int(box.top()), int(box.bottom()))}


def test_toggling_numbers_writes_values_and_the_sum_line(canvas, qtbot) -> None:
    show_figure(canvas, "1.1")
    assert canvas.numbers() is None and canvas.sum_line() is None
    plain_stage = stage_rect(QRectF(canvas.view_widget.rect()), canvas.state).height()
    box = cell_box(canvas, "input", 4, 4)  # the input's last cell: value 1, outside the first window
    plain = colours_in(canvas, box)
    assert len(plain) == 1  # an empty light-blue cell

    qtbot.mouseClick(canvas.numbers_button, Qt.MouseButton.LeftButton)
    assert canvas.numbers_on() and canvas.numbers() is not None
    assert canvas.randomise_button.isVisible() and canvas.reset_button.isVisible()
    assert canvas.sum_line() == "output (0, 0) = 3·0 + 3·1 + 2·2 + 0·2 + 0·2 + 1·0 + 3·0 + 1·1 + 2·2 = 12"
    assert canvas.values().output.to_nested() == FIGURE_1_1
    # two caption lines under the canvas now, and the digit drawn in the cell
    assert stage_rect(QRectF(canvas.view_widget.rect()), canvas.state).height() < plain_stage
    assert len(colours_in(canvas, cell_box(canvas, "input", 4, 4))) > 3

    canvas.set_step(5)  # output (1, 2): 19
    assert canvas.sum_line().startswith("output (1, 2) = ") and canvas.sum_line().endswith("= 19")

    qtbot.mouseClick(canvas.numbers_button, Qt.MouseButton.LeftButton)
    assert not canvas.numbers_on() and canvas.numbers() is None
    assert not canvas.randomise_button.isVisible()
    assert colours_in(canvas, cell_box(canvas, "input", 4, 4)) == plain


def test_clicking_a_cell_under_the_kernel_edits_its_value_and_weight(canvas, qtbot) -> None:
    show_figure(canvas, "1.1")
    canvas.set_numbers(True)
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton, pos=cell_center(canvas, "input", 0, 0))
    editor = canvas.value_editor
    assert editor is not None and editor.isVisible()
    assert editor.input_edit.text() == "3" and editor.weight_edit.text() == "0"  # the paper's x and w at (0, 0)

    editor.input_edit.setText("seven")
    editor.accept()
    assert editor.isVisible() and "not a number" in editor.error.text()
    assert canvas.values().input[(0, 0)] == 3

    editor.input_edit.setText("5")
    editor.weight_edit.setText("1")
    editor.accept()
    assert not editor.isVisible()
    values = canvas.values()
    assert values.input[(0, 0)] == 5 and values.kernel[(0, 0)] == 1
    # output (0, 0) = 12 + 5·1 (the weight was 0); output (0, 1) does not read input (0, 0) but its window's
    # top-left weight is now 1 over input (0, 1) = 3: 12 + 3
    assert values.output.to_nested()[0] == [17, 15, 19]
    assert canvas.sum_line() == "output (0, 0) = 5·1 + 3·1 + 2·2 + 0·2 + 0·2 + 1·0 + 3·0 + 1·1 + 2·2 = 17"
    assert values.output == forward(values.layer, values.input, values.kernel)


def test_a_value_too_large_to_show_is_refused_in_the_editor(canvas, qtbot) -> None:
    """Typing 1e4400 into a cell was taken: the window's sum then had more digits than Python writes as text,
    which raised while the canvas painted and killed the app. The editor refuses it and stays open."""
    show_figure(canvas, "1.1")
    canvas.set_numbers(True)
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton, pos=cell_center(canvas, "input", 0, 0))
    editor = canvas.value_editor
    editor.input_edit.selectAll()
    qtbot.keyClicks(editor.input_edit, "1e4400")
    qtbot.keyClick(editor.input_edit, Qt.Key.Key_Return)
    assert editor.isVisible() and "at most 12 digits" in editor.error.text()
    assert canvas.values().input[(0, 0)] == 3
    canvas.view_widget.repaint()
    assert canvas.sum_line().endswith("= 12")


def test_a_cell_outside_the_kernel_edits_its_value_only_and_fractions_stay_exact(canvas, qtbot) -> None:
    show_figure(canvas, "1.1")
    canvas.set_numbers(True)
    canvas.view_widget.repaint()
    assert "rounded" not in canvas.numbers().notes(False)  # integers only (the answer is kept per overlay)
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton, pos=cell_center(canvas, "input", 4, 4))
    editor = canvas.value_editor
    assert editor.weight_edit is None
    editor.input_edit.setText("1/3")
    editor.accept()
    assert canvas.values().output[(2, 2)] == Fraction(38, 3)  # weight 2 on input (4, 4): 14 - 2 + 2/3
    canvas.set_step(8)
    assert canvas.sum_line().endswith("0·1 + (1/3)·2 = 38/3")
    assert "rounded to 1 decimal" in canvas.numbers().notes(False)


def test_padding_cells_are_not_editable(canvas, qtbot) -> None:
    show_figure(canvas, "1.2")  # 5x5 padded by 1
    canvas.set_numbers(True)
    assert canvas.editable_cell("input", 0, 0) == (None, (0, 0), "zero padding is always 0")
    assert canvas.editable_cell("input", 1, 1)[0] == (0, 0)  # padded (1, 1) is input (0, 0)
    assert canvas.values().output.to_nested() == [[6, 17, 3], [8, 17, 13], [6, 4, 4]]


def test_set_input_value_reports_what_is_not_a_number(canvas) -> None:
    show_figure(canvas, "1.1")
    canvas.set_numbers(True)
    assert "not a number" in canvas.set_input_value((0, 0), "x")
    assert canvas.set_kernel_value((1, 1), "-1") is None
    assert canvas.values().output[(0, 0)] == 12 - 2 * 0 + 0 * -1 - 0  # input (1, 1) is 0: unchanged
    assert canvas.values().output[(0, 1)] == 12 - 2 * 1 - 1  # input (1, 2) = 1 times (-1 instead of 2)


def test_randomise_and_reset(canvas, qtbot) -> None:
    show_figure(canvas, "1.1")
    canvas.set_numbers(True)
    qtbot.mouseClick(canvas.randomise_button, Qt.MouseButton.LeftButton)
    first = canvas.values()
    assert (first.input, first.kernel) != (PAPER_INPUT, PAPER_KERNEL)
    assert first.output == forward(first.layer, first.input, first.kernel)
    assert set(first.input.values) <= {0, 1, 2, 3} and set(first.kernel.values) <= {0, 1, 2}
    qtbot.mouseClick(canvas.randomise_button, Qt.MouseButton.LeftButton)
    assert canvas.values().input != first.input
    qtbot.mouseClick(canvas.reset_button, Qt.MouseButton.LeftButton)
    assert (canvas.values().input, canvas.values().kernel) == (PAPER_INPUT, PAPER_KERNEL)
    assert canvas.values().output.to_nested() == FIGURE_1_1


def test_values_survive_an_edit_of_the_layer_that_keeps_the_input_size(canvas) -> None:
    show_figure(canvas, "1.1")
    canvas.set_numbers(True)
    canvas.set_input_value((2, 2), "9")
    canvas.show_layer(analyze(design(conv(padding=1))), 0)  # the same layer, edited: padding 1
    values = canvas.values()
    assert values.input[(2, 2)] == 9 and values.output.shape == (5, 5)
    canvas.show_layer(analyze(design(conv(), size=(6, 6))), 0)  # another input size: default values
    assert canvas.values().input.shape == (6, 6)


def test_numbers_are_hidden_when_the_cells_are_too_small(canvas) -> None:
    canvas.show_layer(analyze(design(conv(), size=(64, 64))), 0)
    canvas.set_numbers(True)
    assert canvas.view_widget.current_camera().scale < NUMBER_CELL_PX
    assert canvas.numbers_hidden()
    image = canvas.view_widget.grab()  # paints the note under the canvas without drawing the numbers
    assert image.width() > 0
    assert canvas.numbers().notes(True).startswith(HIDDEN_NOTE)
    while canvas.view_widget.current_camera().scale < NUMBER_CELL_PX:
        canvas.view_widget.zoom(1.25)
    assert not canvas.numbers_hidden()


def test_a_layer_with_more_channels_says_which_channel_it_shows(canvas) -> None:
    show_figure(canvas, "1.3")  # two input maps to three output maps
    canvas.set_numbers(True)
    assert "input channel 1 of 2 and output channel 1 of 3" in canvas.numbers().notes(False)
    canvas.show_layer(analyze(design(Layer.make("MaxPool2d", "pool", {"kernel_size": 2}), channels=4)), 0)
    assert "channel 1 of 4" in canvas.numbers().notes(False)


def test_transposed_convolution_in_both_views_and_the_output_filling_up(canvas) -> None:
    show_figure(canvas, "4.5")  # i'=2, k=3, s=2: o'=5
    canvas.set_numbers(True)
    numbers = canvas.numbers()
    output = numbers.values.output
    assert canvas.sum_line().startswith("output (0, 0) = ")
    assert canvas.set_view("scatter")
    canvas.set_step(0)
    assert canvas.sum_line().startswith(f"input (0, 0) = {numbers.values.input[(0, 0)]}: ")
    # after the first input unit only its 3x3 patch holds values; after the last, every cell is the output
    assert numbers.scatter_value(0, 0, 0) is not None and numbers.scatter_value(0, 4, 4) is None
    last = canvas.step_count() - 1
    assert [[numbers.scatter_value(last, r, c) for c in range(5)] for r in range(5)] == output.to_nested()
    canvas.view_widget.grab()


def test_matrix_view_with_numbers_shows_x_and_y(canvas) -> None:
    show_figure(canvas, "1.1")
    canvas.set_numbers(True)
    assert canvas.set_view("matrix")
    canvas.set_step(4)
    names = [g.name for g in canvas.model.grids("matrix", True)]
    assert names == ["matrix", "x", "y"]
    assert canvas.sum_line() == "y[4] = row 4 of C · x = 0·0 + 1·1 + 2·3 + 2·1 + 2·2 + 0·2 + 0·0 + 1·0 + 2·2 = 17"
    assert canvas.editable_cell("x", 0, 7) == ((1, 2), None, "")
    canvas.view_widget.grab()
    show_figure(canvas, "4.5")
    assert canvas.set_view("matrix")
    assert "of Cᵀ · x" in canvas.sum_line()


@pytest.mark.parametrize("number", ["1.1", "1.2", "1.5", "1.6"])
def test_the_gallery_opens_chapter_1_in_numbers_with_the_papers_values(canvas, qtbot, number) -> None:
    from convdesigner.gui.canvas.gallery import PaperGallery
    from convdesigner.gui.canvas.numbers import cell_text

    def open_design(design, path, select=None):
        analysis = analyze(design)
        canvas.show_layer(analysis, [r.name for r in analysis.layers].index(select))

    gallery = PaperGallery(open_design, canvas)
    qtbot.addWidget(gallery)
    assert gallery.select_figure(number)
    gallery.open_selected()
    figure = figures.paper_figure(number)
    assert canvas.numbers_on() and canvas.view() == "direct"
    values = canvas.values()
    assert values.input.to_nested() == [list(row) for row in figure.values.input]
    # what the output cells write is what the paper prints (its average pooling with one decimal)
    written = [[cell_text(v) for v in row] for row in values.output.to_nested()]
    assert written == [[f"{v:.1f}" if number == "1.5" else str(v) for v in row] for row in figure.values.output]
    if number == "1.1":
        assert values.output.to_nested() == FIGURE_1_1


def test_the_gallery_turns_numbers_off_for_other_figures_and_stacks_figure_1_3(canvas, qtbot) -> None:
    from convdesigner.gui.canvas.gallery import PaperGallery

    def open_design(design, path, select=None):
        analysis = analyze(design)
        canvas.show_layer(analysis, [r.name for r in analysis.layers].index(select))

    gallery = PaperGallery(open_design, canvas)
    qtbot.addWidget(gallery)
    gallery.select_figure("1.1")
    gallery.open_selected()
    assert canvas.numbers_on()
    gallery.select_figure("1.3")
    gallery.open_selected()
    assert not canvas.numbers_on() and canvas.state.stacked


def test_animate_numbers_writes_one_frame_per_output_position(tmp_path: Path, qapp, capsys) -> None:
    from PIL import Image, ImageChops

    from convdesigner.cli import main

    figure = figures.paper_figure("1.1")
    source = tmp_path / "figure-1.1.yaml"
    source.write_bytes(figure.resource.read_bytes())
    out = tmp_path / "numbers.gif"
    assert main(["animate", str(source), "--layer", "conv", "-o", str(out), "--numbers"]) == 0
    assert "in numbers: 9 frames, one per step" in capsys.readouterr().out
    plain = tmp_path / "plain.gif"
    assert main(["animate", str(source), "--layer", "conv", "-o", str(plain)]) == 0
    with Image.open(out) as gif, Image.open(plain) as other:
        assert gif.n_frames == 9
        gif.seek(0)
        first = gif.convert("RGB")
        other.seek(0)
        assert ImageChops.difference(first, other.convert("RGB")).getbbox() is not None  # numbers drawn
        gif.seek(1)
        # the sum line changes from frame to frame (the bottom band of the frame)
        band = (0, first.height - 60, first.width, first.height)
        assert ImageChops.difference(first.crop(band), gif.convert("RGB").crop(band)).getbbox() is not None


def test_a_long_error_message_wraps_within_the_canvas() -> None:
    from convdesigner.gui.canvas.chrome import summary_layout

    message = "skip2: Concat cannot join enc2_relu2: the incoming tensor is 30×30 but " * 4
    rect = QRectF(0, 0, 500, 420)
    placed = summary_layout(rect, ["skip2  ·  Concat", "Not computed:", message])
    assert all(box.right() <= rect.right() for box, _line, _size in placed)
    assert placed[2][0].height() > 3 * placed[1][0].height()  # several rows
    assert placed[2][0].top() >= placed[1][0].bottom()


def test_1d_3d_and_ceil_mode_layers_paint_in_numbers(canvas) -> None:
    """A 1-D layer is one row of numbers; a 3-D layer gets the sum line only (and says so); a ceil-mode
    window hanging over the input's end counts only what it covers."""
    canvas.set_numbers(True)
    one_d = Design("t", InputSpec(1, (7,)), (Layer.make("Conv1d", "c", {"out_channels": 1, "kernel_size": 3,
                                                                         "stride": 2}),))
    canvas.show_layer(analyze(one_d), 0)
    numbers = canvas.numbers()
    assert canvas.sum_line() == f"output (0) = {canvas.values().explain(0).line(16)}"
    assert numbers.input_value(0, 6) == canvas.values().input[(6,)]
    canvas.view_widget.grab()
    three_d = Design("t", InputSpec(1, (4, 4, 4)), (Layer.make("Conv3d", "c", {"out_channels": 1,
                                                                               "kernel_size": 2}),))
    canvas.show_layer(analyze(three_d), 0)
    assert canvas.sum_line().startswith("output (0, 0, 0) = ")
    assert "1-D and 2-D layers" in canvas.numbers().notes(False)
    canvas.view_widget.grab()
    pool = Layer.make("AvgPool2d", "p", {"kernel_size": 2, "stride": 2, "ceil_mode": True})
    canvas.show_layer(analyze(design(pool)), 0)  # 5x5 -> 3x3, the last window covers one row
    canvas.set_step(8)
    assert canvas.sum_line() == "output (2, 2) = (1) / 1 = 1"  # input (4, 4) alone: count_include_pad
    canvas.view_widget.grab()


def test_hover_tooltips_carry_values_and_a_scatter_click_jumps_and_edits(canvas, qtbot) -> None:
    show_figure(canvas, "1.1")
    canvas.set_numbers(True)
    qtbot.mouseMove(canvas.view_widget, cell_center(canvas, "output", 2, 2))
    assert canvas.view_widget.toolTip() == "output (2, 2): value 14"
    show_figure(canvas, "4.5")
    assert canvas.set_view("scatter")
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton, pos=cell_center(canvas, "input", 1, 1))
    assert canvas.step() == 3
    editor = canvas.value_editor
    assert editor is not None and editor.source == (1, 1) and editor.weight_edit is None
    editor.input_edit.setText("1")
    editor.accept()
    values = canvas.values()
    assert values.input[(1, 1)] == 1
    assert values.scatter_output() == values.output  # both views agree after the edit


@pytest.mark.parametrize("number", ["1.1", "1.2", "4.5", "4.7"])
def test_the_matrix_the_canvas_writes_is_the_engines(canvas, number) -> None:
    """The matrix view's entries (the canvas's tap pattern with the kernel's weights) are numeric's C (Cᵀ
    for a transposed convolution), and y = Cx is the output."""
    from convdesigner.engine.numeric import layer_matrix

    show_figure(canvas, number)
    canvas.set_numbers(True)
    canvas.randomise_values()
    numbers, values = canvas.numbers(), canvas.values()
    matrix = layer_matrix(values.layer, values.kernel)
    rows, columns = matrix.shape
    assert [[numbers.matrix_entry(r, c) or 0 for c in range(columns)] for r in range(rows)] == [
        list(row) for row in matrix.rows]
    assert matrix.apply(values.input.values) == values.output.values


def test_numbers_are_refused_for_a_layer_too_large_to_compute_at_once(canvas) -> None:
    """A 1000x1000 input would take the pure-Python values engine minutes: the toggle says why instead."""
    from convdesigner.engine import Design, InputSpec, Layer, analyze
    from convdesigner.engine.numeric import NUMBERS_MAX_CELLS, numbers_unavailable

    big = analyze(Design("big", InputSpec(1, (1000, 1000)), (Layer.make("Conv2d", "conv", out_channels=1,
                                                                          kernel_size=3),)))
    canvas.show_layer(big, 0)
    canvas.set_numbers(True)
    assert canvas.values() is None
    reason = numbers_unavailable(big.layers[0])
    assert reason is not None and f"{NUMBERS_MAX_CELLS:,} input cells" in reason and "1,000,000" in reason
    assert canvas.numbers_action.toolTip() == reason
    small = analyze(Design("small", InputSpec(1, (128, 128)), (Layer.make("Conv2d", "conv", out_channels=1,
                                                                            kernel_size=3),)))
    canvas.show_layer(small, 0)
    assert canvas.values() is not None and numbers_unavailable(small.layers[0]) is None


def test_values_never_run_together_in_small_cells(qapp) -> None:
    from PySide6.QtGui import QFontMetricsF

    from convdesigner.gui.canvas.draw import font
    from convdesigner.gui.canvas.painter import TEXT_WIDTH_SHARE, fitted_font

    base = font(20 * 0.46, bold=True)
    for text in ("-12.5", "1.7", "-1234", "0"):
        for width in (16.0, 20.0, 28.0):
            fitted = fitted_font(base, text, width)
            assert QFontMetricsF(fitted).horizontalAdvance(text) <= width * TEXT_WIDTH_SHARE + 1
    assert fitted_font(base, "0", 28.0) is base  # what fits keeps its size
