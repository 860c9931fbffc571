"""The properties' From field (WiringRow) as a user reads it: a long list of names shows from its start, and a
layer whose own From is wrong says so (not "a layer above has an error")."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel

from convdesigner.assets import example
from convdesigner.io.design_file import load

EXAMPLES = Path(str(example("resnet18"))).parent


def test_a_long_from_list_shows_its_first_names(make_ui, qtbot):
    ui = make_ui(load(EXAMPLES / "resnet18.yaml"))
    ui.window.resize(1024, 700)
    ui.window.document.select([ui.window.document.design.index_of("layer2.0.add")])
    combo = ui.window.properties.findChild(QComboBox, "fromSource")
    assert combo.currentText() == "layer2.0.bn2, layer2.0.downsample.1"
    assert combo.lineEdit().cursorPosition() == 0  # the field shows "layer2.0.bn2, ..." from its start
    assert combo.measures == 0  # measured when the list opens, not when a layer is shown
    combo.showPopup()  # the list is wide enough for its longest entry: nothing elided
    longest = max(combo.view().fontMetrics().horizontalAdvance(combo.itemText(i)) for i in range(combo.count()))
    assert combo.view().viewport().width() >= longest + 4
    combo.hidePopup()
    combo.showPopup()  # the same choices: not measured again
    assert combo.measures == 1
    combo.hidePopup()


def test_a_wrong_from_is_this_layers_error(make_ui, qtbot):
    ui = make_ui(load(EXAMPLES / "resnet18.yaml"))
    window = ui.window
    window.document.select([window.document.design.index_of("layer2.0.add")])
    combo = window.properties.findChild(QComboBox, "fromSource")
    combo.lineEdit().selectAll()
    qtbot.keyClicks(combo.lineEdit(), "layer2.0.bn2, nosuch")
    qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Return)
    assert window.properties.findChild(QLabel, "problem_from").text().startswith("there is no layer named 'nosuch'")
    shapes = window.properties.findChild(QLabel, "propertiesShapes").text()
    assert shapes == "Not computed: this layer has an error (below)."
