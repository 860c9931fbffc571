"""The property form edits the arguments issue 13 added: a Reshape's shape typed as sizes, and a
convolution's parametrization chosen from its menu (real key events, one undoable edit each)."""

from __future__ import annotations

from gui_helpers import Ui

from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.gui.stack_model import OUTPUT


def design() -> Design:
    return Design("Head", InputSpec(2, (4, 4)), (
        Layer.make("Conv2d", "conv", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        Layer.make("Flatten", "flat"),
        Layer.make("Reshape", "to_map", {"shape": [-1]}),
    ))


def test_a_reshape_shape_is_typed_as_sizes(make_ui) -> None:
    ui: Ui = make_ui(design())
    ui.click_row(2)
    line = ui.argument("shape").editor.line
    ui.type_into(line, "4, 4, -1")
    ui.qtbot.waitUntil(lambda: ui.window.document.design.layers[2].get("shape") == (4, 4, -1))
    assert ui.cell(2, OUTPUT) == "4×4×4"
    ui.trigger(ui.window.undo_action)
    assert ui.window.document.design.layers[2].get("shape") == (-1,)


def test_weight_norm_is_chosen_and_counted(make_ui) -> None:
    ui: Ui = make_ui(design())
    ui.click_row(0)
    ui.choose(ui.argument("parametrization").editor.combo, "weight_norm")
    ui.qtbot.waitUntil(lambda: ui.window.document.design.layers[0].get("parametrization") == "weight_norm")
    assert ui.window.document.analysis.layers[0].params == 4 * 2 * 9 + 4 + 4  # v, bias and one g per output


def test_a_constant_pad_value_of_minus_infinity_is_typed_and_shown(make_ui) -> None:
    """-inf (what an ONNX max pool's asymmetric pads import as) is typed like any number and shown back."""
    import math

    ui: Ui = make_ui(Design("Pad", InputSpec(2, (4, 4)), (
        Layer.make("ConstantPad2d", "pad", {"padding": [0, 1, 0, 1], "value": 0.0}),
        Layer.make("MaxPool2d", "pool", {"kernel_size": 2}))))
    ui.click_row(0)
    line = ui.argument("value").editor.line
    ui.type_into(line, "-inf")
    ui.qtbot.waitUntil(lambda: ui.window.document.design.layers[0].get("value") == -math.inf)
    assert line.text() == "-inf" and ui.cell(1, OUTPUT) == "2×2×2"
    ui.type_into(line, "nan")
    assert ui.window.document.design.layers[0].get("value") == -math.inf  # refused: the value stays
