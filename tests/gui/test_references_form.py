"""The property form names another layer for ``size_from`` and ``indices`` as the From field does (a choice of the
layers above, nearest first, and the input; one undoable edit), the link gutter draws those references, and a new
MaxUnpool or CenterCrop starts naming the nearest layer above that fits."""

from __future__ import annotations

from gui_helpers import Ui

from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.gui.palette import new_layer
from convdesigner.gui.stack_model import OUTPUT


def design() -> Design:
    return Design("SegNet", InputSpec(1, (8, 8)), (
        Layer.make("Conv2d", "enc", {"out_channels": 2, "kernel_size": 3, "padding": 1}),
        Layer.make("MaxPool2d", "pool", {"kernel_size": 2}),
        Layer.make("Conv2d", "mid", {"out_channels": 2, "kernel_size": 3, "padding": 1}),
        Layer.make("MaxUnpool2d", "unpool", {"kernel_size": 2, "indices": "pool"}),
        Layer.make("Conv2d", "dec", {"out_channels": 2, "kernel_size": 3}),
        Layer.make("CenterCrop", "crop", {"size_from": "dec"}, inputs=["enc"]),
    ))


def test_size_from_is_chosen_among_the_layers_above_and_undone(make_ui) -> None:
    ui: Ui = make_ui(design())
    ui.click_row(5)
    combo = ui.argument("size_from").editor.combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["dec", "unpool", "mid", "pool", "enc", "input"]
    assert combo.currentText() == "dec"
    ui.choose(combo, "mid")
    ui.qtbot.waitUntil(lambda: ui.window.document.design.layers[5].get("size_from") == "mid")
    assert ui.cell(5, OUTPUT) == "2×4×4"
    ui.trigger(ui.window.undo_action)
    assert ui.window.document.design.layers[5].get("size_from") == "dec"
    assert ui.cell(5, OUTPUT) == "2×6×6"


def test_a_typed_name_that_is_no_layer_above_shows_the_engines_refusal(make_ui) -> None:
    ui: Ui = make_ui(design())
    ui.click_row(3)
    editor = ui.argument("indices").editor
    ui.type_into(editor.combo.lineEdit(), "crop")
    ui.qtbot.waitUntil(lambda: ui.window.document.design.layers[3].get("indices") == "crop")
    row = ui.argument("indices")
    assert "there is no layer named 'crop' above unpool for indices" in row.message.text()
    ui.trigger(ui.window.undo_action)
    assert ui.window.document.design.layers[3].get("indices") == "pool"


def test_links_show_the_layers_an_argument_names() -> None:
    from convdesigner.gui.document import Document
    from convdesigner.gui.stack_model import StackModel

    model = StackModel(Document(design()))
    assert [link.join for link in model.links(1)] == ["unpool"]  # the pool, through indices
    assert sorted(link.join for link in model.links(4)) == ["crop"]  # dec, through size_from
    assert [link.join for link in model.links(0)] == ["crop"]  # enc, through from


def test_a_new_unpool_names_the_pool_that_fits() -> None:
    from convdesigner.engine.analysis import analyze

    analysis = analyze(design())
    layer = new_layer("MaxUnpool2d", analysis, 3)
    assert layer.get("indices") == "pool"
    crop = new_layer("CenterCrop", analysis, 5)
    assert crop.get("size_from") == "dec"


def test_renaming_and_deleting_a_named_layer_keep_the_argument(make_ui, qtbot) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit

    ui: Ui = make_ui(design())
    ui.click_row(1)
    ui.trigger(ui.window.rename_action)
    (editor,) = [e for e in ui.view.viewport().findChildren(QLineEdit) if e.isVisible()]
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, "pool1")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ui.window.document.design.layers[1].name == "pool1")
    assert ui.window.document.design.layers[3].get("indices") == "pool1"
    assert ui.window.document.analysis.ok
    ui.click_row(4)  # dec, which crop's size_from names
    ui.trigger(ui.window.delete_action)
    layers = ui.window.document.design.layers
    assert [layer.name for layer in layers] == ["enc", "pool1", "mid", "unpool", "crop"]
    assert layers[4].get("size_from") == "unpool"  # what dec read
    ui.trigger(ui.window.undo_action)
    assert ui.window.document.design.layers[5].get("size_from") == "dec"
