"""The canvas of the layers that copy values (issue 13): a pad draws each padded cell with the input cell it
copies, PixelShuffle and PixelUnshuffle draw which input channel feeds which output cell. Driven through the
real widget (hover, clicks, steps) and checked against torch's F.pad and pixel_shuffle on arange tensors."""

from __future__ import annotations

import re
from itertools import product

import pytest
from canvas_support import cell_center, design
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from convdesigner.engine.analysis import analyze
from convdesigner.engine.design import Layer
from convdesigner.gui.canvas.chrome import _legend_items
from convdesigner.gui.canvas.palette import LIGHT, plane_color

torch = pytest.importorskip("torch")
F = torch.nn.functional


def pixel(canvas, point) -> QColor:
    return canvas.view_widget.grab().toImage().pixelColor(point)


def fill_point(canvas, grid: str, row: int, col: int):
    """A point inside a cell away from its centre and its label, where no dashed link to a copy runs (the link
    joins cell centres, left to right)."""
    offset = round(canvas.view_widget.current_camera().scale * 0.3)
    return cell_center(canvas, grid, row, col) - QPoint(offset, offset)


def hover_text(canvas, qtbot, grid: str, row: int, col: int) -> str:
    qtbot.mouseMove(canvas.view_widget, cell_center(canvas, grid, row, col))
    qtbot.waitUntil(lambda: canvas.state.hover == (grid, row, col))
    return canvas.view_widget.toolTip()


def test_a_reflection_pad_draws_the_input_cell_each_padded_cell_copies(canvas, qtbot) -> None:
    """Hover every output cell of ReflectionPad2d((2, 1, 2, 1)) on 4x5: the canvas names the input cell it
    copies, the one F.pad(mode='reflect') copies into it."""
    canvas.show_layer(analyze(design(Layer.make("ReflectionPad2d", "pad", {"padding": [2, 1, 2, 1]}), size=(4, 5))), 0)
    assert canvas.model.views() == ("direct",) and canvas.step_count() == 7 * 8
    expected = F.pad(torch.arange(20.0).view(1, 1, 4, 5), (2, 1, 2, 1), mode="reflect")[0, 0]
    for r, c in product(range(7), range(8)):
        copied = re.search(r"a copy of input \(0, (\d+), (\d+)\)", hover_text(canvas, qtbot, "output", r, c))
        assert copied is not None
        assert int(copied[1]) * 5 + int(copied[2]) == int(expected[r, c]), (r, c)
    labels = [label for label, _c, _d in _legend_items(canvas.model, "direct", LIGHT)]
    assert "padded: a copy of the input cell it names" in labels and "the input cell copied" in labels


def test_stepping_to_a_padded_cell_lights_up_the_input_cell_it_copies(canvas, qtbot) -> None:
    canvas.show_layer(analyze(design(Layer.make("ReplicationPad2d", "pad", {"padding": 2}), size=(3, 3))), 0)
    canvas.set_step(0)  # output (0, 0): the corner, a copy of input (0, 0)
    assert pixel(canvas, fill_point(canvas, "input", 0, 0)) == LIGHT.tap
    assert pixel(canvas, fill_point(canvas, "input", 2, 2)) == LIGHT.input
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton, pos=cell_center(canvas, "output", 6, 6))
    assert canvas.output_position() == (6, 6)  # a click on an output cell jumps to its step
    assert pixel(canvas, fill_point(canvas, "input", 2, 2)) == LIGHT.tap
    assert pixel(canvas, fill_point(canvas, "input", 0, 0)) == LIGHT.input
    assert pixel(canvas, fill_point(canvas, "output", 6, 6)) == LIGHT.current


def test_hovering_an_input_cell_lights_every_cell_that_holds_it(canvas, qtbot) -> None:
    canvas.show_layer(analyze(design(Layer.make("CircularPad1d", "pad", {"padding": [2, 2]}), size=(5,))), 0)
    # F.pad(arange(5), (2, 2), 'circular') = [3, 4, 0, 1, 2, 3, 4, 0, 1]: input 3 sits at outputs 0 and 5
    canvas.set_step(8)
    before = {col: pixel(canvas, fill_point(canvas, "output", 0, col)) for col in (0, 2, 5)}
    assert "held by 2 output cells" in hover_text(canvas, qtbot, "input", 0, 3)
    for col in (0, 5):
        after = pixel(canvas, fill_point(canvas, "output", 0, col))
        assert after.blue() < before[col].blue() - 40  # tinted amber
    assert pixel(canvas, fill_point(canvas, "output", 0, 2)) == before[2]


def test_numbers_mode_writes_the_copied_values(canvas, qtbot) -> None:
    """The numbers a constant and a reflection pad show are F.pad's on the input values shown."""
    for type_name, args, mode in (("ConstantPad2d", {"padding": [1, 2, 0, 1], "value": 2.5}, "constant"),
                                  ("ReflectionPad2d", {"padding": [1, 2, 0, 1]}, "reflect")):
        canvas.show_layer(analyze(design(Layer.make(type_name, "pad", args), size=(3, 4), channels=2)), 0)
        canvas.set_numbers(True)
        numbers = canvas.numbers()
        assert numbers is not None and not canvas.numbers_hidden()
        x = torch.tensor([float(v) for v in numbers.values.input.values]).view(1, 1, 3, 4)
        expected = F.pad(x, (1, 2, 0, 1), mode=mode, value=2.5 if mode == "constant" else None)[0, 0]
        for r, c in product(range(4), range(7)):
            assert float(numbers.value("output", (0, r, c))) == float(expected[r, c])
            assert hover_text(canvas, qtbot, "output", r, c).endswith(f"value {numbers.value('output', (0, r, c))}")
        canvas.set_step(0)
        assert canvas.sum_line() == (f"output (0, 0, 0) = input (0, 0, 1) = {numbers.value('input', (0, 0, 1))}"
                                     if mode == "reflect" else "output (0, 0, 0) = the padding's constant 5/2")
        assert "input channel 0 of 2" in numbers.notes(False)
        canvas.set_numbers(False)


def test_pixel_shuffle_colours_each_output_cell_by_the_channel_that_feeds_it(canvas, qtbot) -> None:
    """PixelShuffle(2) on 8x3x3: the four input planes of output channel 0 each in their colour, and each output
    cell drawn in the colour of the plane torch's pixel_shuffle takes it from."""
    canvas.show_layer(analyze(design(Layer.make("PixelShuffle", "shuffle", {"upscale_factor": 2}), size=(3, 3),
                                     channels=8)), 0)
    canvas.set_step(canvas.step_count() - 1)  # the current cells sit in the corner, out of the way
    source = F.pixel_shuffle(torch.arange(72.0).view(1, 8, 3, 3), 2)[0, 0]
    image = canvas.view_widget.grab().toImage()
    planes = canvas.model.planes()
    for plane, (y, x) in product(range(4), [(0, 0), (1, 2)]):
        assert image.pixelColor(cell_center(canvas, "input", *planes.place(plane, (y, x)))).name() == plane_color(plane).name()
    for r, c in product(range(6), range(6)):
        if (r, c) == (5, 5):
            continue
        plane = int(source[r, c]) // 9  # the input channel it copies
        assert image.pixelColor(cell_center(canvas, "output", r, c)).name() == plane_color(plane).name(), (r, c)
    labels = [label for label, _c, _d in _legend_items(canvas.model, "direct", LIGHT)]
    assert labels[:4] == ["input channel 0", "input channel 1", "input channel 2", "input channel 3"]


def test_a_pixel_shuffle_step_lights_one_input_cell_and_the_output_cell_it_lands_in(canvas, qtbot) -> None:
    canvas.show_layer(analyze(design(Layer.make("PixelShuffle", "shuffle", {"upscale_factor": 3}), size=(2, 2),
                                     channels=9)), 0)
    planes = canvas.model.planes()
    # click plane 5's cell (1, 0): pixel_shuffle puts it at output (1·3 + 5 // 3, 0·3 + 5 % 3) = (4, 2)
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton,
                     pos=cell_center(canvas, "input", *planes.place(5, (1, 0))))
    assert canvas.output_position() == (4, 2)
    x = torch.zeros(1, 9, 2, 2)
    x[0, 5, 1, 0] = 1
    assert F.pixel_shuffle(x, 3)[0, 0, 4, 2] == 1
    assert pixel(canvas, fill_point(canvas, "input", *planes.place(5, (1, 0)))) == LIGHT.tap
    assert pixel(canvas, fill_point(canvas, "output", 4, 2)) == LIGHT.current
    assert "copied to output (0, 4, 2)" in hover_text(canvas, qtbot, "input", *planes.place(5, (1, 0)))


def test_pixel_unshuffle_moves_each_input_cell_to_its_channel(canvas, qtbot) -> None:
    canvas.show_layer(analyze(design(Layer.make("PixelUnshuffle", "unshuffle", {"downscale_factor": 2}),
                                     size=(4, 6))), 0)
    assert canvas.step_count() == 24
    out = F.pixel_unshuffle(torch.arange(24.0).view(1, 1, 4, 6), 2)[0]
    for r, c in product(range(4), range(6)):
        found = re.search(r"copied to output \((\d+), (\d+), (\d+)\)", hover_text(canvas, qtbot, "input", r, c))
        assert found is not None and int(out[int(found[1]), int(found[2]), int(found[3])]) == r * 6 + c
    labels = [label for label, _c, _d in _legend_items(canvas.model, "direct", LIGHT)]
    assert labels[0] == "output channel 0"


def test_a_huge_sub_pixel_layer_paints_without_walking_its_cells(canvas, qtbot) -> None:
    """r = 64 on 2 x 2 planes (4,096 planes, a 128 x 128 fine grid) and a 4096-unit shuffle: a frame paints
    at once, and the fine grid's image is built from one row per distinct plane row."""
    canvas.show_layer(analyze(design(Layer.make("PixelShuffle", "shuffle", {"upscale_factor": 64}), size=(2, 2),
                                     channels=4096)), 0)
    canvas.set_step(12345)
    assert not canvas.render_image((640, 400)).isNull()


def test_the_animate_command_renders_a_pads_copies(tmp_path, qapp) -> None:
    """`convdesigner animate` draws a copying layer as the canvas does: one frame per output cell, with numbers."""
    from convdesigner.cli import main

    image = pytest.importorskip("PIL.Image")
    path = tmp_path / "pad.yaml"
    path.write_text("convdesigner: 1\nname: Pad\ninput: {channels: 1, size: [3, 3]}\nlayers:\n"
                    "  - {type: ReflectionPad2d, name: pad, padding: 1}\n", encoding="utf-8")
    out = tmp_path / "pad.gif"
    assert main(["animate", str(path), "--layer", "pad", "-o", str(out), "--numbers"]) == 0
    with image.open(out) as gif:
        assert gif.n_frames == 25


def test_numbers_mode_edits_an_input_cell_and_every_copy_follows(canvas, qtbot) -> None:
    """Click an input cell of PixelShuffle's planes in numbers mode, type a value: the output cell it lands in
    holds it (and a pad's copies all do)."""
    canvas.show_layer(analyze(design(Layer.make("PixelShuffle", "shuffle", {"upscale_factor": 2}), size=(2, 2),
                                     channels=4)), 0)
    canvas.set_numbers(True)
    planes = canvas.model.planes()
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton,
                     pos=cell_center(canvas, "input", *planes.place(3, (1, 0))))
    editor = canvas.value_editor
    assert editor is not None and editor.source == (3, 1, 0)
    editor.input_edit.setText("7/2")
    editor.accept()
    assert str(canvas.numbers().value("output", (0, 3, 1))) == "7/2"  # plane 3 at (1, 0) lands at (1·2+1, 0·2+1)
    assert "value 7/2" in hover_text(canvas, qtbot, "output", 3, 1)
    canvas.show_layer(analyze(design(Layer.make("ReplicationPad1d", "pad", {"padding": [2, 1]}), size=(3,))), 0)
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton, pos=cell_center(canvas, "input", 0, 0))
    canvas.value_editor.input_edit.setText("9")
    canvas.value_editor.accept()
    assert [canvas.numbers().value("output", (0, y)) for y in range(6)][:3] == [9, 9, 9]  # the edge, replicated
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton, pos=cell_center(canvas, "output", 0, 4))
    assert canvas.output_position() == (4,)  # an output cell jumps to its step, it is not edited


def test_numbers_mode_says_why_a_large_copying_layer_has_none(canvas) -> None:
    canvas.show_layer(analyze(design(Layer.make("ReflectionPad2d", "pad", {"padding": 1}), size=(200, 200))), 0)
    canvas.set_numbers(True)
    assert canvas.numbers() is None
    assert "up to 16,384 input cells; pad shows 40,000" in canvas.numbers_action.toolTip()
    canvas.set_numbers(False)


def test_a_center_crop_draws_the_input_cell_each_output_cell_holds(canvas, qtbot) -> None:
    """CenterCrop of 2x7x6 to a 4x3 layer's size: each output cell names the input cell it holds, the one torch's
    slicing x[..., 1:5, 1:4] (the low side loses (n - r) // 2) puts there; the cropped cells are tinted, the kept
    ones not; numbers mode shows the sliced values."""
    analysis = analyze(design(Layer.make("AdaptiveAvgPool2d", "like", {"output_size": [4, 3]}),
                              Layer.make("CenterCrop", "crop", {"from": "input", "size_from": "like"}),
                              size=(7, 6), channels=2))
    canvas.show_layer(analysis, 1)
    assert canvas.model.views() == ("direct",) and canvas.step_count() == 4 * 3
    expected = torch.arange(42.0).view(1, 1, 7, 6)[..., 1:5, 1:4][0, 0]
    for r, c in product(range(4), range(3)):
        copied = re.search(r"a copy of input \(0, (\d+), (\d+)\)", hover_text(canvas, qtbot, "output", r, c))
        assert copied is not None and int(copied[1]) * 6 + int(copied[2]) == int(expected[r, c]), (r, c)
    qtbot.mouseMove(canvas.view_widget, QPoint(1, 1))
    canvas.set_step(canvas.step_count() - 1)  # output (3, 2) <- input (4, 3)
    tints = {True: set(), False: set()}  # kept: the input colour; cropped: the input under the cropped tint
    for r, c in product(range(7), range(6)):
        if (r, c) != (4, 3):
            tints[1 <= r < 5 and 1 <= c < 4].add(pixel(canvas, fill_point(canvas, "input", r, c)).name())
    assert tints[True] == {LIGHT.input.name()} and tints[False] and LIGHT.input.name() not in tints[False]
    assert pixel(canvas, fill_point(canvas, "input", 4, 3)) == LIGHT.tap
    labels = [label for label, _c, _d in _legend_items(canvas.model, "direct", LIGHT)]
    assert labels[:3] == ["input", "cropped", "output: input cells in place"] and not any("padded" in t for t in labels)
    canvas.set_numbers(True)
    numbers = canvas.numbers()
    assert numbers is not None
    x = torch.tensor([float(v) for v in numbers.values.input.values]).view(7, 6)  # channel 0, as for a pad
    for r, c in product(range(4), range(3)):
        assert float(numbers.value("output", (0, r, c))) == float(x[1:5, 1:4][r, c])
    canvas.set_numbers(False)
