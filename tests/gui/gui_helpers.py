"""Helpers for the GUI tests: a small encoder design and `Ui`, what a user sees and does in a window.

A module of its own (not conftest) so test modules import it by a name no other conftest shares.
"""

from __future__ import annotations

from convdesigner.engine.design import Design, InputSpec, Layer


def small_encoder() -> Design:
    return Design("Encoder", InputSpec(1, (28, 28)), (
        Layer.make("Conv2d", "conv1", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
        Layer.make("ReLU", "relu1"),
        Layer.make("Conv2d", "conv2", {"out_channels": 16, "kernel_size": 3, "stride": 2, "padding": 1}),
        Layer.make("ReLU", "relu2"),
    ))



class Ui:
    """What a user sees and does in a main window, through its widgets."""

    def __init__(self, window, qtbot) -> None:
        self.window = window
        self.qtbot = qtbot
        self.view = window.stack_view
        self.model = window.stack.model

    def cell(self, row: int, column: int, role=None):
        from PySide6.QtCore import Qt

        return self.model.index(row, column).data(role if role is not None else Qt.ItemDataRole.DisplayRole)

    def column(self, column: int) -> list[str]:
        return [self.cell(row, column) for row in range(self.model.rowCount())]

    def click_row(self, row: int, modifier=None) -> None:
        from PySide6.QtCore import Qt

        rect = self.view.visualRect(self.model.index(row, 2))
        self.qtbot.mouseClick(self.view.viewport(), Qt.MouseButton.LeftButton,
                              modifier or Qt.KeyboardModifier.NoModifier, rect.center())

    def argument(self, name: str):
        return self.window.properties.rows[name]

    def type_into(self, widget, text: str) -> None:
        """Select what a spin box or line edit holds and type ``text`` (then Enter)."""
        from PySide6.QtCore import Qt

        widget.setFocus()
        self.qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        self.qtbot.keyClicks(widget, text)
        self.qtbot.keyClick(widget, Qt.Key.Key_Return)

    def choose(self, combo, text: str) -> None:
        """Pick an entry of a combo box by its text, as a user would with the keyboard."""
        index = combo.findText(text)
        assert index >= 0, f"{text!r} not in {[combo.itemText(i) for i in range(combo.count())]}"
        combo.setFocus()
        combo.setCurrentIndex(index)
        combo.activated.emit(index)

    def trigger(self, action) -> None:
        assert action.isEnabled(), f"{action.text()} is disabled"
        action.trigger()

    def menu_action(self, menu, *path: str):
        """The action at a path of menu texts (submenus are filled as when they are shown)."""
        for text in path:
            menu.aboutToShow.emit()
            found = [a for a in menu.actions() if a.text().replace("&", "") == text]
            assert found, f"no {text!r} in {[a.text() for a in menu.actions()]}"
            action = found[0]
            menu = action.menu() or menu
        return action
