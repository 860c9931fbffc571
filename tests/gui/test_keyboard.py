"""The keyboard: Undo/Redo keys (each registered once, reaching the design from a field), one Tab order through
every dock, the canvas's shortcuts and Help > Keyboard shortcuts. Keys are sent as real key events."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication

from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.gui.keyboard import menu_actions

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def activate(window, qtbot) -> None:
    """Shortcuts reach the active window only (as for a user): make the test's window the active one."""
    with qtbot.waitActive(window):
        window.activateWindow()


def all_shortcuts(window) -> Counter:
    actions = {id(a): a for a in window.findChildren(QAction)}
    return Counter(s.toString() for a in actions.values() for s in a.shortcuts())


def test_no_key_is_registered_twice_and_redo_has_every_binding(window):
    counts = all_shortcuts(window)
    assert [key for key, n in counts.items() if n > 1] == []
    redo = [s.toString() for s in window.redo_action.shortcuts()]
    standard = [s.toString() for s in QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)]
    assert set(standard) | {"Ctrl+Shift+Z", "Ctrl+Y"} <= set(redo)


def test_undo_and_redo_keys_from_the_layer_table(ui, qtbot):
    document = ui.window.document
    activate(ui.window, qtbot)
    ui.click_row(2)
    before = document.design
    qtbot.keyClick(ui.view, Qt.Key.Key_Delete)
    after = document.design
    assert after != before
    qtbot.keyClick(ui.view, Qt.Key.Key_Z, CTRL)
    assert document.design == before
    qtbot.keyClick(ui.view, Qt.Key.Key_Z, CTRL | SHIFT)
    assert document.design == after
    qtbot.keyClick(ui.view, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(ui.view, Qt.Key.Key_Y, CTRL)
    assert document.design == after


def test_ctrl_z_in_a_property_field_undoes_the_design_edit(ui, qtbot):
    document = ui.window.document
    activate(ui.window, qtbot)
    ui.click_row(0)
    before = document.design
    spin = ui.argument("out_channels").editor.spin
    ui.type_into(spin, "12")
    assert document.design.layers[0].get("out_channels") == 12
    assert spin.hasFocus()
    qtbot.keyClick(spin, Qt.Key.Key_Z, CTRL)
    assert document.design == before
    assert spin.value() == 8  # the field shows the design again
    qtbot.keyClick(spin, Qt.Key.Key_Z, CTRL | SHIFT)
    assert document.design.layers[0].get("out_channels") == 12


def test_ctrl_z_in_the_input_size_box_undoes_the_design_edit(ui, qtbot):
    document = ui.window.document
    activate(ui.window, qtbot)
    before = document.design
    box = ui.window.stack.input_editor.sizes[0]
    ui.type_into(box, "32")
    assert document.design.input.size[0] == 32
    qtbot.keyClick(box, Qt.Key.Key_Z, CTRL)
    assert document.design == before


def tab_walk(qtbot, start, presses: int, key=Qt.Key.Key_Tab) -> list:
    start.setFocus()
    seen = [start]
    for _ in range(presses):
        qtbot.keyClick(QApplication.focusWidget(), key)
        seen.append(QApplication.focusWidget())
    return seen


def test_tab_goes_through_input_table_properties_and_canvas_and_comes_back(ui, qtbot):
    window = ui.window
    activate(window, qtbot)
    ui.click_row(0)
    editor = window.stack.input_editor
    seen = tab_walk(qtbot, editor.channels, 60)
    assert seen[1] is editor.sizes[0] and seen[2] is editor.sizes[1] and seen[3] is editor.rank
    assert seen[4] is window.stack_view
    assert seen[5] is not window.stack_view  # one Tab leaves the table: no walk through its cells
    out_channels = ui.argument("out_channels").editor.spin
    assert out_channels in seen
    assert seen.index(window.stack_view) < seen.index(out_channels) < seen.index(window.canvas.play_button)
    assert window.canvas.numbers_button in seen and window.canvas in seen
    assert window.rf_panel.table in seen and window.params_panel.table in seen
    assert editor.channels in seen[5:]  # and round again
    back = tab_walk(qtbot, window.stack_view, 1, Qt.Key.Key_Backtab)
    assert back[1] is editor.rank


def test_canvas_shortcuts_work_from_anywhere_in_the_window(make_ui, qtbot):
    design = Design("Up", InputSpec(1, (4, 4)), (
        Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2}),))
    ui = make_ui(design)
    window = ui.window
    canvas = window.canvas
    activate(window, qtbot)
    ui.click_row(0)
    ui.view.setFocus()
    qtbot.keyClick(ui.view, Qt.Key.Key_Right, CTRL)
    assert canvas.step() == 1
    qtbot.keyClick(ui.view, Qt.Key.Key_End, CTRL)
    assert canvas.step() == canvas.step_count() - 1
    qtbot.keyClick(ui.view, Qt.Key.Key_Home, CTRL)
    assert canvas.step() == 0
    qtbot.keyClick(ui.view, Qt.Key.Key_4, CTRL)
    assert canvas.view() == "matrix"
    qtbot.keyClick(ui.view, Qt.Key.Key_1, CTRL)
    assert canvas.view() == "direct"
    qtbot.keyClick(ui.view, Qt.Key.Key_N, CTRL | SHIFT)
    assert canvas.numbers_on()
    qtbot.keyClick(ui.view, Qt.Key.Key_Space, CTRL)
    assert canvas.is_playing()
    qtbot.keyClick(ui.view, Qt.Key.Key_Space, CTRL)
    assert not canvas.is_playing()


def test_help_lists_every_shortcut(ui, qtbot):
    window = ui.window
    action = ui.menu_action(window.menuBar().actions()[-1].menu(), "Keyboard Shortcuts")
    ui.trigger(action)
    dialog = window.shortcuts_dialog
    qtbot.waitExposed(dialog)
    text = dialog.text.text()
    for item in menu_actions(window):
        for sequence in item.shortcuts():
            assert sequence.toString(QKeySequence.SequenceFormat.NativeText).replace("&", "&amp;") in text
    for key in ("Ctrl+Shift+Z", "Ctrl+Y", "Ctrl+1", "Ctrl+Space", "Space"):
        assert key in text
    assert window.canvas.view_actions["matrix"] in menu_actions(window)
    dialog.close()
