"""Every kind of edit is one undo step: Edit > Undo puts the design back exactly, Redo does it again."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from convdesigner.gui.stack_model import NAME, OUTPUT


def undo_redo_round_trip(ui, edit, expected_text: str) -> None:
    """Do ``edit`` through the widgets, then check Undo restores the design and Redo repeats the edit."""
    document = ui.window.document
    before = document.design
    edit()
    after = document.design
    assert after != before, "the edit changed nothing"
    assert ui.window.undo_action.text().replace("&", "") == f"Undo {expected_text}"
    assert ui.window.isWindowModified()
    ui.trigger(ui.window.undo_action)
    assert document.design == before
    assert ui.window.redo_action.text().replace("&", "") == f"Redo {expected_text}"
    assert ui.column(NAME) == [layer.name for layer in before.layers]
    ui.trigger(ui.window.redo_action)
    assert document.design == after
    assert ui.column(NAME) == [layer.name for layer in after.layers]


def test_insert(ui):
    ui.click_row(1)
    undo_redo_round_trip(ui, lambda: ui.trigger(ui.menu_action(ui.window.add_menu, "Pooling", "MaxPool2d")),
                         "Add maxpool1")
    assert ui.column(NAME) == ["conv1", "relu1", "maxpool1", "conv2", "relu2"]


def test_delete_with_the_key(ui, qtbot):
    ui.click_row(2)
    ui.view.setFocus()

    def delete():
        qtbot.keyClick(ui.view, Qt.Key.Key_Delete)

    undo_redo_round_trip(ui, delete, "Delete conv2")
    assert ui.column(NAME) == ["conv1", "relu1", "relu2"]
    assert ui.view.selected_rows() == [2]  # the next layer is selected


def test_delete_in_a_spin_box_edits_the_number_not_the_layer(ui, qtbot):
    ui.click_row(0)
    spin = ui.argument("out_channels").editor.spin
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_Home)
    qtbot.keyClick(spin, Qt.Key.Key_Delete)
    assert len(ui.window.document.design.layers) == 4


def test_duplicate(ui):
    ui.click_row(0)
    ui.click_row(1, Qt.KeyboardModifier.ShiftModifier)
    undo_redo_round_trip(ui, lambda: ui.trigger(ui.window.duplicate_action), "Duplicate conv1 and relu1")
    assert ui.column(NAME) == ["conv1", "relu1", "conv3", "relu3", "conv2", "relu2"]


def test_move_up_and_down(ui):
    ui.click_row(2)
    undo_redo_round_trip(ui, lambda: ui.trigger(ui.window.move_up_action), "Move conv2 up")
    assert ui.column(NAME) == ["conv1", "conv2", "relu1", "relu2"]
    assert ui.view.selected_rows() == [1]
    undo_redo_round_trip(ui, lambda: ui.trigger(ui.window.move_down_action), "Move conv2 down")
    ui.click_row(3)
    assert not ui.window.move_down_action.isEnabled()


def test_drag_to_reorder(ui, qtbot):
    """A drop on the stack view (the view's own drop handling, as at the end of a drag) moves the rows."""
    ui.click_row(3)
    mime = ui.model.mimeData([ui.model.index(3, 0)])
    target = ui.view.visualRect(ui.model.index(0, NAME)).topLeft() + QPoint(5, 1)  # above row 0's middle

    def drop():
        event = QDropEvent(target.toPointF(), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
        ui.view.dropEvent(event)

    undo_redo_round_trip(ui, drop, "Move relu2")
    assert ui.column(NAME) == ["relu2", "conv1", "relu1", "conv2"]
    assert ui.view.selected_rows() == [0]


def test_rename(ui, qtbot):
    ui.click_row(0)

    def rename():
        ui.trigger(ui.window.rename_action)
        editor = [e for e in ui.view.viewport().findChildren(QLineEdit) if e.isVisible()][0]
        qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(editor, "stem")
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: ui.window.document.design.layers[0].name == "stem")

    undo_redo_round_trip(ui, rename, "Rename conv1 to stem")


def test_set_an_argument_typed_as_one_edit(ui):
    ui.click_row(2)
    spin = ui.argument("kernel_size").editor.spins[0]
    undo_redo_round_trip(ui, lambda: ui.type_into(spin, "11"), "Set kernel_size of conv2 to 11")
    assert spin.value() == 11  # the form follows undo and redo
    ui.trigger(ui.window.undo_action)
    assert spin.value() == 3 and ui.cell(2, OUTPUT) == "16×14×14"


def test_set_a_choice_and_a_boolean(ui, qtbot):
    ui.click_row(0)
    bias = ui.argument("bias").editor.check
    undo_redo_round_trip(ui, lambda: qtbot.mouseClick(bias, Qt.MouseButton.LeftButton, pos=QPoint(6, bias.height() // 2)),
                         "Set bias of conv1 to false")
    mode = ui.argument("padding_mode").editor.combo
    undo_redo_round_trip(ui, lambda: ui.choose(mode, "reflect"), "Set padding_mode of conv1 to reflect")


def test_reset_to_default(ui, qtbot):
    ui.click_row(2)
    reset = ui.argument("stride").reset
    assert reset.isVisibleTo(ui.window)
    undo_redo_round_trip(ui, lambda: qtbot.mouseClick(reset, Qt.MouseButton.LeftButton),
                         "Reset stride of conv2 to its default")
    assert ui.cell(2, OUTPUT) == "16×28×28"


def test_set_input(ui):
    spin = ui.window.stack.input_editor.sizes[1]
    undo_redo_round_trip(ui, lambda: ui.type_into(spin, "64"), "Set the input to 1×28×64")
    assert ui.cell(2, OUTPUT) == "16×14×32"


def test_mirror_a_run(ui):
    pytest.importorskip("convdesigner.engine.tools.mirror")
    ui.click_row(0)
    ui.click_row(3, Qt.KeyboardModifier.ShiftModifier)
    undo_redo_round_trip(ui, lambda: ui.trigger(ui.window.mirror_action), "Mirror conv1…relu2 as decoder")
    design = ui.window.document.design
    assert [layer.type for layer in design.layers[4:]] == ["ConvTranspose2d", "ReLU", "ConvTranspose2d"]
    # the decoder returns to the encoder's input shape exactly (relationship 14's output padding)
    assert ui.cell(len(design.layers) - 1, OUTPUT) == "1×28×28"
    assert ui.window.document.analysis.ok


def test_solve_padding(ui, qtbot):
    ui.click_row(2)  # conv2: 8×28×28 -> 16×14×14 with k3 s2 p1
    ui.trigger(ui.window.solve_action)
    dialog = ui.window.solve_dialog
    qtbot.waitExposed(dialog)
    ui.type_into(dialog.targets[0], "14")
    ui.type_into(dialog.targets[1], "14")
    texts = [dialog.solutions.item(i).text() for i in range(dialog.solutions.count())]
    assert "padding=1    — current" in texts  # what conv2 has now: floor((28 + 2 - 3) / 2) + 1 = 14
    ui.type_into(dialog.targets[0], "15")
    ui.type_into(dialog.targets[1], "15")
    assert dialog.solutions.count() > 0
    first = dialog.solutions.item(0).text()
    assert first.startswith("padding=2")  # floor((28 + 4 - 3) / 2) + 1 = 15

    def apply():
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Apply), Qt.MouseButton.LeftButton)

    undo_redo_round_trip(ui, apply, "Solve padding of conv2 for 15×15")
    assert ui.cell(2, OUTPUT) == "16×15×15"


def test_solve_explains_an_unreachable_target(ui, qtbot):
    ui.click_row(2)
    ui.trigger(ui.window.solve_action)
    dialog = ui.window.solve_dialog
    ui.type_into(dialog.targets[0], "1")
    assert dialog.solutions.count() == 0
    assert "no padding reaches 1 on axis H (input 28): even without padding the output is 13" in dialog.reason.text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Apply).isEnabled()
    dialog.reject()


def test_mirror_refuses_a_run_it_cannot_invert(make_ui, message_boxes):
    pytest.importorskip("convdesigner.engine.tools.mirror")
    from convdesigner.engine.design import Design, InputSpec, Layer

    design = Design("Head", InputSpec(1, (8, 8)), (
        Layer.make("Conv2d", "c", {"out_channels": 2, "kernel_size": 3}),
        Layer.make("Flatten", "f"),
        Layer.make("Linear", "fc", {"out_features": 4}),
    ))
    ui = make_ui(design)
    ui.click_row(0)
    ui.click_row(2, Qt.KeyboardModifier.ShiftModifier)
    ui.trigger(ui.window.mirror_action)
    kind, title, text = message_boxes.calls[-1]
    assert (kind, title) == ("warning", "Cannot mirror these layers")
    assert "it ends the spatial layout" in text
    assert ui.window.document.design == design
    assert not ui.window.document.undo_stack.canUndo()
