"""Dotted names group into collapsible blocks in the layer list (issue 12): clicks on the disclosure mark and
the Left/Right keys collapse and expand a block; selecting a layer inside a collapsed block opens it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from convdesigner.assets import example
from convdesigner.gui.stack_model import NAME, OUTPUT, PARAMS, TYPE
from convdesigner.io.design_file import load

EXAMPLES = Path(str(example("resnet18"))).parent



def test_a_block_collapses_and_expands_by_click_and_by_keys(make_ui, qtbot):
    ui = make_ui(load(EXAMPLES / "resnet18.yaml"))
    view, model = ui.view, ui.model
    head = ui.window.document.design.index_of("layer1.0.conv1")
    members = [r for r in range(model.rowCount()) if model.block_of(r) == "layer1"]
    assert len(members) == 14 and members[0] == head
    assert ui.cell(head, NAME) == "▾ layer1.0.conv1" and ui.cell(head + 1, NAME) == "   layer1.0.bn1"
    assert model.block_head(0) is None and ui.cell(0, NAME) == "conv1"  # plain names stay as they are
    rect = view.visualRect(model.index(head, NAME))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() + 4, rect.center().y()))
    assert ui.cell(head, NAME) == "▸ layer1 (14 layers)"
    assert ui.cell(head, TYPE) == "block" and ui.cell(head, OUTPUT) == "64×56×56"  # what its last layer gives
    assert ui.cell(head, PARAMS) == "148 k"  # 4 convolutions of 36,864 and 4 batch norms of 128
    assert all(view.isRowHidden(r) for r in members[1:]) and not view.isRowHidden(head)
    assert not view.isRowHidden(members[-1] + 1)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() + 4, rect.center().y()))
    assert not any(view.isRowHidden(r) for r in members)
    ui.click_row(head + 3)
    qtbot.keyClick(view, Qt.Key.Key_Left)  # from inside the block: it closes and its first row is selected
    assert view.isRowHidden(head + 3) and view.selected_rows() == [head]
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert not view.isRowHidden(head + 3)


def test_selecting_a_layer_in_a_collapsed_block_opens_it(make_ui):
    ui = make_ui(load(EXAMPLES / "resnet18.yaml"))
    view, model = ui.view, ui.model
    model.set_collapsed("layer3", True)
    inside = ui.window.document.design.index_of("layer3.1.conv2")
    assert view.isRowHidden(inside)
    view.select_rows([inside])
    assert not view.isRowHidden(inside) and "layer3" not in model.collapsed


def test_a_layer_selected_inside_a_collapsed_block_is_scrolled_into_view(make_ui, qtbot):
    """Opening the block moves the rows below its head down: the selected row is shown where it lands, not
    where the collapsed block had left it."""
    ui = make_ui(load(EXAMPLES / "resnet18.yaml"))
    view, model = ui.view, ui.model
    for block in ("layer2", "layer3", "layer4"):
        model.set_collapsed(block, True)
    qtbot.wait(10)
    inside = ui.window.document.design.index_of("layer2.0.add")
    ui.window.document.select([inside])
    qtbot.wait(10)  # the table lays out its rows again
    assert view.viewport().rect().contains(view.visualRect(model.index(inside, NAME)))
