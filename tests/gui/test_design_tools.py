"""Mirror appends at the end, a layer changes type in place, the design's name and description are edited
(each one undo step), and tooltips explain arguments and fields in the paper's terms."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.gui.stack_model import NAME


def test_mirror_without_a_selection_mirrors_the_whole_design_at_the_end(ui):
    window = ui.window
    window.document.select([])
    assert window.mirror_action.isEnabled()
    assert "end of the design" in window.mirror_action.toolTip()
    ui.trigger(window.mirror_action)
    design = window.document.design
    assert [layer.name for layer in design.layers[:4]] == ["conv1", "relu1", "conv2", "relu2"]
    assert design.layers[4].type == "ConvTranspose2d"
    assert window.document.analysis.output_shape == (1, 28, 28)


def test_mirror_of_a_run_is_appended_at_the_end_never_in_the_middle(make_ui):
    design = Design("Enc", InputSpec(1, (28, 28)), (
        Layer.make("Conv2d", "conv1", {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}),
        Layer.make("ReLU", "relu1"),
        Layer.make("Conv2d", "conv2", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
    ))
    ui = make_ui(design)
    ui.click_row(0)
    ui.trigger(ui.window.mirror_action)
    names = ui.column(NAME)
    assert names[:3] == ["conv1", "relu1", "conv2"]  # the design's own layers stay together, in order
    assert len(names) == 4
    decoder = ui.window.document.analysis.layers[3]  # it reads the mirrored run's output, not the layer above
    assert decoder.layer.inputs == ("conv1",) and decoder.output_shape == (1, 28, 28)


def test_change_a_layers_type_in_place_keeping_what_applies(ui):
    window = ui.window
    ui.click_row(2)  # conv2: 16 ch, k3 s2 p1
    ui.trigger(ui.menu_action(window.type_menu, "ConvTranspose2d"))
    layer = window.document.design.layers[2]
    assert (layer.type, layer.name) == ("ConvTranspose2d", "conv2")
    assert (layer.get("out_channels"), layer.get("kernel_size"), layer.get("stride"), layer.get("padding")) == \
        (16, 3, 2, 1)
    assert window.undo_action.text().replace("&", "") == "Undo Change conv2 to ConvTranspose2d"
    ui.trigger(window.undo_action)
    assert window.document.design.layers[2].type == "Conv2d"


def test_a_per_axis_value_survives_a_rank_change_when_the_axes_agree(make_ui):
    design = Design("Seq", InputSpec(1, (32,)), (
        Layer.make("Conv2d", "conv", {"out_channels": 4, "kernel_size": [3, 3], "stride": [2, 1]}),))
    ui = make_ui(design)
    ui.click_row(0)
    ui.trigger(ui.menu_action(ui.window.type_menu, "Conv1d"))
    layer = ui.window.document.design.layers[0]
    assert layer.type == "Conv1d" and layer.get("kernel_size") == 3 and "stride" not in layer.arguments
    assert ui.window.document.analysis.ok


def test_the_design_name_and_description_are_editable_and_undoable(ui, qtbot):
    window = ui.window
    ui.trigger(ui.menu_action(window.menuBar().actions()[1].menu(), "Design Name and Description…"))
    dialog = window.design_dialog
    qtbot.waitExposed(dialog)
    dialog.name.setFocus()
    qtbot.keyClick(dialog.name, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(dialog.name, Qt.Key.Key_Delete)
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)  # an empty name is refused and the dialog stays
    assert dialog.isVisible() and not dialog.problem.isHidden()
    qtbot.keyClicks(dialog.name, "TinyEncoder")
    dialog.description.setPlainText("Two strided convolutions.")
    qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    design = window.document.design
    assert (design.name, design.description) == ("TinyEncoder", "Two strided convolutions.")
    ui.trigger(window.undo_action)
    assert window.document.design.name == "Encoder"


def test_argument_and_field_tooltips_speak_the_papers_terms(ui):
    ui.click_row(2)
    for name, symbol in (("kernel_size", "k"), ("stride", "s"), ("padding", "p"), ("dilation", "d")):
        tip = ui.argument(name).label.toolTip()
        assert f" {symbol}:" in tip and len(tip.splitlines()) == 1
    header = ui.window.rf_panel.table.model().headerData
    size, jump, start = (header(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) for c in (1, 2, 3))
    assert "d(k − 1)·j" in size and "stay the same" in size
    assert "stride s" in jump and "fraction" in jump
    assert "((k − 1)/2 − p)·j" in start


def test_the_app_says_when_an_encoder_edit_makes_the_mirrored_decoder_miss(ui):
    window = ui.window
    window.document.select([])
    ui.trigger(window.mirror_action)
    assert "mirror again" not in window.totals.text()
    ui.type_into(window.stack.input_editor.sizes[0], "27")  # the encoder now sees 27 rows
    assert window.document.analysis.ok
    assert window.document.analysis.output_shape != (1, 27, 28)
    assert "the mirrored decoder now ends at" in window.totals.text() and "not 1×27×28" in window.totals.text()
