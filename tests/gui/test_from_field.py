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


def test_the_from_list_changed_in_place_lists_what_a_new_list_lists(make_ui, qtbot):
    """Selecting layers further down or up inserts or removes the names between (no reset of the list, which
    set the field's text again and repainted it); the list, its texts and what each entry reads, and the
    field's text are those of a list made afresh, through joins (another head) and a rename."""
    from convdesigner.gui.properties import SourceChoices

    ui = make_ui(load(EXAMPLES / "resnet18.yaml"))
    window = ui.window
    properties = window.properties
    combo = window.properties.findChild(QComboBox, "fromSource")
    choices = properties.wiring.choices
    design = window.document.design
    rows = [3, 9, 4, 30, 2, design.index_of("layer2.0.add"), 40, 12, design.index_of("layer1.1.add"), 5]
    for step, row in enumerate(rows):
        if step == 5:  # a rename above: the names differ, the list is made again
            window.document.select([1])
            window.stack.model.setData(window.stack.model.index(1, 1), "renamed")
        window.document.select([row])
        qtbot.wait(10)
        fresh = SourceChoices(combo)
        fresh.set_choices(list(choices._head), properties.earlier_names())
        listed = [(combo.itemText(i), combo.itemData(i, Qt.ItemDataRole.UserRole)) for i in range(combo.count())]
        assert listed == [fresh.choice(i) for i in range(fresh.rowCount())]
        assert combo.currentText() == fresh.choice(fresh.row_of(tuple(window.document.design.layers[row].inputs)))[0]
        fresh.deleteLater()
    assert choices.resets < len(rows) - 1  # (most selections changed the list in place)


def test_selecting_like_layers_repaints_nothing_of_the_from_field(make_ui, qtbot):
    from test_select_work import Paints

    from convdesigner.engine.design import Design, InputSpec, Layer

    convs = tuple(Layer.make("Conv2d", f"c{n}", {"out_channels": 8, "kernel_size": 3, "padding": 1}) for n in range(4))
    window = make_ui(Design("Convs", InputSpec(8, (16, 16)), convs)).window
    combo = window.properties.findChild(QComboBox, "fromSource")
    window.document.select([3])
    qtbot.wait(60)
    paints = [Paints(combo), Paints(combo.lineEdit())]
    for row in (1, 2, 3, 0, 2):  # each reads the layer above: the field shows the same text
        window.document.select([row])
        qtbot.wait(30)
        assert combo.currentText() == "the layer above" and combo.count() == row + 2
    assert [p.count for p in paints] == [0, 0]
