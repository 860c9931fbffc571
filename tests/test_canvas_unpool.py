"""The canvas of MaxUnpool (issue 13: "the canvas shows where each value lands"): each input value drawn with the
window of its pool it may land in, and, in numbers mode, the cell it lands in, from the values the numbers mode
shows on the pool's input, as torch's max_pool(return_indices) and max_unpool place it. Driven through the real
widget (steps, clicks, hover) and checked against torch 2.13."""

from __future__ import annotations

import re
from itertools import product

import pytest
from canvas_support import cell_center, design
from PySide6.QtCore import QPoint, Qt

from convdesigner.engine.analysis import analyze
from convdesigner.engine.design import Layer
from convdesigner.engine.numeric import default_input
from convdesigner.gui.canvas.chrome import _legend_items
from convdesigner.gui.canvas.palette import LIGHT

torch = pytest.importorskip("torch")
F = torch.nn.functional

POOL = {"kernel_size": 3, "stride": 2, "padding": 1}


def segnet(size: tuple[int, int] = (7, 8)):  # type: ignore[no-untyped-def]
    """A pool, a convolution between, and the unpool back to the input's size (SegNet's decoder)."""
    return analyze(design(Layer.make("MaxPool2d", "pool", POOL),
                          Layer.make("Conv2d", "mid", {"out_channels": 2, "kernel_size": 3, "padding": 1}),
                          Layer.make("MaxUnpool2d", "unpool", {**POOL, "indices": "pool", "size_from": "input"}),
                          size=size, channels=2))


def pixel(canvas, grid: str, row: int, col: int):  # type: ignore[no-untyped-def]
    offset = round(canvas.view_widget.current_camera().scale * 0.3)
    point = cell_center(canvas, grid, row, col) - QPoint(offset, offset)
    return canvas.view_widget.grab().toImage().pixelColor(point)


def test_each_step_tints_the_window_its_value_may_land_in(canvas, qtbot) -> None:
    """Without numbers: step through every input cell of the unpool; exactly the cells of its pool window (k=3,
    s=2, p=1, on the data) are tinted in the output, and the legend names the parts."""
    canvas.show_layer(segnet(), 2)
    assert canvas.model.views() == ("direct",) and canvas.step_count() == 4 * 4
    for step in (0, 5, 15):
        canvas.set_step(step)
        y, x = divmod(step, 4)
        window = {(r, c) for r in range(2 * y - 1, 2 * y + 2) for c in range(2 * x - 1, 2 * x + 2)
                  if 0 <= r < 7 and 0 <= c < 8}
        for r, c in product(range(7), range(8)):
            assert (pixel(canvas, "output", r, c) == LIGHT.copied) == ((r, c) in window), (step, r, c)
        assert pixel(canvas, "input", y, x) == LIGHT.tap
    labels = [label for label, _c, _d in _legend_items(canvas.model, "direct", LIGHT)]
    assert labels[:5] == ["input", "output: zero where no value lands", "the value put back",
                          "the window it may land in", "where it lands (numbers mode)"]
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton,
                     pos=cell_center(canvas, "input", 2, 1))
    assert canvas.state.step == 2 * 4 + 1  # a click on an input cell jumps to its step
    qtbot.mouseMove(canvas.view_widget, cell_center(canvas, "input", 0, 0))
    qtbot.waitUntil(lambda: canvas.state.hover == ("input", 0, 0))
    assert "lands in one of 4 output cells" in canvas.view_widget.toolTip()


def test_numbers_mode_lands_each_value_where_torch_puts_it(canvas, qtbot) -> None:
    """Numbers mode: the values shown on the pool's input decide, as torch's max_pool2d(return_indices) does, the
    cell each value lands in (lit), and the output is torch's max_unpool2d of the unpool's input values shown."""
    analysis = segnet()
    canvas.show_layer(analysis, 0)  # the pool: the values its input shows in numbers mode
    canvas.set_numbers(True)
    pooled = canvas.numbers().values.input
    x = torch.tensor([float(v) for v in pooled.values]).view(1, 1, 7, 8)
    assert pooled.values == default_input((7, 8)).values
    canvas.show_layer(analysis, 2)
    canvas.set_numbers(True)
    numbers = canvas.numbers()
    assert numbers is not None
    _values, indices = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    shown = torch.tensor([float(v) for v in numbers.values.input.values]).view(1, 1, 4, 4)
    expected = F.max_unpool2d(shown, indices, 3, 2, 1, output_size=[7, 8])[0, 0]
    writers: dict[int, set[float]] = {}
    for flat, value in zip(indices.flatten().tolist(), shown.flatten().tolist()):
        writers.setdefault(flat, set()).add(value)
    for r, c in product(range(7), range(8)):
        drawn = float(numbers.value("output", (0, r, c)))
        if len(writers.get(r * 8 + c, ())) > 1:  # duplicate indices: torch keeps one of the values, unspecified
            assert drawn in writers[r * 8 + c] and float(expected[r, c]) in writers[r * 8 + c]
        else:
            assert drawn == float(expected[r, c]), (r, c)
    assert any(len(values) > 1 for values in writers.values())  # the case where torch's choice is unspecified
    for step in range(16):
        canvas.set_step(step)
        flat = int(indices[0, 0].flatten()[step])
        lands = divmod(flat, 8)
        assert pixel(canvas, "output", *lands) == LIGHT.current, step
        found = re.search(r"lands in output \(0, (\d+), (\d+)\)", canvas.sum_line())
        assert found is not None and (int(found[1]), int(found[2])) == lands
        shared = (indices.flatten() == flat).sum().item() > 1
        assert ("PyTorch keeps one, unspecified which" in canvas.sum_line()) == shared
    canvas.set_numbers(False)


def test_a_1d_unpool_without_size_from(canvas) -> None:
    """MaxUnpool1d(2) after MaxPool1d(2) on 7 units: output 6, each value's window its two cells."""
    canvas.show_layer(analyze(design(Layer.make("MaxPool1d", "pool", {"kernel_size": 2}),
                                     Layer.make("MaxUnpool1d", "unpool", {"kernel_size": 2, "indices": "pool"}),
                                     size=(7,))), 1)
    canvas.set_step(2)
    assert [pixel(canvas, "output", 0, c) == LIGHT.copied for c in range(6)] == [False] * 4 + [True] * 2


def test_the_animate_command_renders_an_unpool(tmp_path, qapp) -> None:
    """`convdesigner animate` draws an unpool as the canvas does: one frame per input cell, with numbers."""
    from convdesigner.cli import main

    image = pytest.importorskip("PIL.Image")
    path = tmp_path / "unpool.yaml"
    path.write_text("convdesigner: 2\nname: U\ninput: {channels: 1, size: [4, 6]}\nlayers:\n"
                    "  - {type: MaxPool2d, name: pool, kernel_size: 2}\n"
                    "  - {type: MaxUnpool2d, name: unpool, kernel_size: 2, indices: pool}\n", encoding="utf-8")
    out = tmp_path / "unpool.gif"
    assert main(["animate", str(path), "--layer", "unpool", "-o", str(out), "--numbers"]) == 0
    with image.open(out) as gif:
        assert gif.n_frames == 6
