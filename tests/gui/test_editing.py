"""Editing flows through the widgets: build an encoder, edit arguments and see shapes, errors marked."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QTabBar

from convdesigner.engine.design import Design, InputSpec
from convdesigner.gui.stack_model import ARGUMENTS, NAME, OUTPUT, PARAMS, TYPE

EMPTY = Design("Scratch", InputSpec(3, (64, 64)))


def test_build_a_small_encoder_from_an_empty_design(make_ui, qtbot):
    ui = make_ui(EMPTY)
    palette = ui.window.palette_widget
    assert ui.model.rowCount() == 0
    assert not ui.window.properties.form_widget.isVisible() and ui.window.properties.empty.isVisibleTo(ui.window)

    # Add a Conv2d from the palette: search, then Enter adds the first match
    qtbot.keyClicks(palette.search, "conv2d")
    assert palette.visible_types() == ["Conv2d"]
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert ui.column(NAME) == ["conv1"]
    assert ui.cell(0, TYPE) == "Conv2d"
    # starting values: out_channels = incoming channels, kernel 3: 3×62×62, 3·3·9 + 3 parameters
    assert ui.cell(0, OUTPUT) == "3×62×62"
    assert ui.cell(0, PARAMS) == "84"
    assert ui.argument("in_channels").placeholder.text() == "inferred: 3"

    ui.type_into(ui.argument("out_channels").editor.spin, "16")
    assert ui.cell(0, OUTPUT) == "16×62×62"
    ui.type_into(ui.argument("kernel_size").editor.spins[0], "5")
    assert ui.cell(0, OUTPUT) == "16×60×60"
    ui.type_into(ui.argument("stride").editor.spins[0], "2")
    assert ui.cell(0, OUTPUT) == "16×30×30"  # floor((64 - 5) / 2) + 1
    ui.type_into(ui.argument("padding").editor.axes.spins[0], "2")
    assert ui.cell(0, OUTPUT) == "16×32×32"  # floor((64 + 4 - 5) / 2) + 1
    assert ui.cell(0, ARGUMENTS) == "16 ch, k5 s2 p2"
    assert ui.cell(0, PARAMS) == "1.22 k"  # 16·3·25 + 16 = 1216

    # ReLU from the Layer > Add menu, MaxPool2d from the palette by double-click
    ui.trigger(ui.menu_action(ui.window.add_menu, "Activation", "ReLU"))
    palette.search.clear()
    ui.window.palette_dock.raise_()  # the "Add layer" tab
    tree = palette.tree
    pooling = tree.findItems("MaxPool2d", Qt.MatchFlag.MatchRecursive | Qt.MatchFlag.MatchExactly)[0]
    tree.scrollToItem(pooling)
    rect = tree.visualItemRect(pooling)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert ui.column(NAME) == ["conv1", "relu1", "maxpool1"]
    assert ui.column(OUTPUT) == ["16×32×32", "16×32×32", "16×16×16"]
    assert ui.view.selected_rows() == [2]  # the new layer is selected
    assert "Output <b>16×16×16</b>" in ui.window.totals.text()

    # inserting goes after the selection: select conv1, add BatchNorm2d
    ui.click_row(0)
    ui.trigger(ui.menu_action(ui.window.add_menu, "Normalisation", "BatchNorm2d"))
    assert ui.column(NAME) == ["conv1", "batchnorm1", "relu1", "maxpool1"]
    assert ui.argument("num_features").placeholder.text() == "inferred: 16"


def test_padding_modes_and_per_axis_values(ui, qtbot):
    ui.click_row(2)  # conv2: 8×28×28 in, k3 s2 p1 -> 16×14×14
    assert ui.cell(2, OUTPUT) == "16×14×14"
    padding = ui.argument("padding").editor
    ui.choose(padding.mode, "Valid (no padding)")
    assert ui.window.document.design.layers[2].get("padding") == "valid"
    assert ui.cell(2, OUTPUT) == "16×13×13"
    ui.choose(padding.mode, "Low / high per axis")
    low_h, high_h = padding.pair_spins[0]
    ui.type_into(high_h, "3")
    assert ui.window.document.design.layers[2].get("padding") == ((0, 3), (0, 0))
    assert ui.cell(2, OUTPUT) == "16×15×13"  # H: floor((28 + 0 + 3 - 3) / 2) + 1; W: floor((28 - 3) / 2) + 1
    ui.choose(padding.mode, "Same (keep the size)")
    # the engine refuses 'same' with stride 2 (as PyTorch does): marked at once, with the rule's words
    row = ui.argument("padding")
    assert row.editor.property("refused") is True
    assert row.message.isVisibleTo(ui.window) and "needs stride 1" in row.message.text()
    assert ui.cell(2, OUTPUT) == "error"
    ui.type_into(ui.argument("stride").editor.spins[0], "1")
    assert ui.cell(2, OUTPUT) == "16×28×28"
    assert row.editor.property("refused") is False and not row.message.isVisibleTo(ui.window)
    assert padding.resolved.text() == "resolves to H 1+1, W 1+1"


def test_same_on_all_axes_link(ui, qtbot):
    ui.click_row(0)
    kernel = ui.argument("kernel_size").editor
    assert kernel.link.isChecked() and not kernel.spins[1].isVisibleTo(ui.window)
    qtbot.mouseClick(kernel.link, Qt.MouseButton.LeftButton)  # one value per axis
    assert kernel.spins[1].isVisibleTo(ui.window)
    ui.type_into(kernel.spins[1], "5")
    assert ui.window.document.design.layers[0].get("kernel_size") == (3, 5)
    assert ui.cell(0, OUTPUT) == "8×28×26"
    assert ui.cell(0, ARGUMENTS) == "8 ch, k3×5 p1"
    qtbot.mouseClick(kernel.link, Qt.MouseButton.LeftButton)  # same again: H's value on every axis
    assert ui.window.document.design.layers[0].get("kernel_size") == 3
    assert ui.cell(0, OUTPUT) == "8×28×28"


def test_refused_values_are_shown_not_clamped(ui, qtbot):
    ui.click_row(0)
    kernel = ui.argument("kernel_size")
    before = ui.window.document.design.layers[0].get("kernel_size")
    ui.type_into(kernel.editor.spins[0], "0")
    assert kernel.editor.spins[0].value() == 0  # not clamped to 1
    # a value the design file would refuse never reaches the design (issue 17: it could not be opened again)
    assert ui.window.document.design.layers[0].get("kernel_size") == before
    assert kernel.editor.property("refused") is True
    assert f"kernel_size must be at least 1, not 0: not applied (the design keeps {before})" in kernel.message.text()
    ui.type_into(kernel.editor.spins[0], "40")  # larger than the padded input 30
    assert "kernel 40 is larger than the padded input 30 on axis H" in kernel.message.text()
    # the row is marked: colour, icon and the engine's message as tooltip; later rows are not computed
    assert ui.cell(0, OUTPUT) == "error"
    assert ui.cell(0, 0, Qt.ItemDataRole.DecorationRole) is not None
    assert ui.cell(0, 0, Qt.ItemDataRole.BackgroundRole) is not None
    tooltip = ui.cell(0, NAME, Qt.ItemDataRole.ToolTipRole)
    assert "conv1: kernel 40 is larger than the padded input 30 on axis H" in tooltip
    assert ui.column(OUTPUT)[1:] == ["not computed"] * 3
    assert "conv1 above has an error" in ui.cell(2, NAME, Qt.ItemDataRole.ToolTipRole)
    assert ui.window.statusBar().currentMessage().startswith("conv1: kernel 40 is larger")
    assert "1 error" in ui.window.totals.text()
    # selecting another row and coming back shows the message in the status bar again
    ui.click_row(3)
    assert ui.window.statusBar().currentMessage().startswith("relu2 is not computed")
    ui.click_row(0)
    assert ui.window.statusBar().currentMessage().startswith("conv1: kernel 40")


def test_warnings_are_marked(make_ui, qtbot):
    from convdesigner.engine.design import Layer

    design = Design("W", InputSpec(1, (10,)), (Layer.make("Conv1d", "c", {"out_channels": 1, "kernel_size": 3,
                                                                          "stride": 2}),))
    ui = make_ui(design)  # (10 - 3) mod 2 = 1: the last input unit is never visited
    assert ui.cell(0, 0, Qt.ItemDataRole.DecorationRole) is not None
    assert "never visited" in ui.cell(0, NAME, Qt.ItemDataRole.ToolTipRole)
    ui.click_row(0)
    assert ui.window.properties.banner.isVisibleTo(ui.window)
    assert "Warning" in ui.window.properties.banner.text()
    message = ui.window.statusBar().currentMessage()
    assert message.startswith("Warning: c: the last input") and "never visited" in message


def test_inferred_width_can_be_set_and_reset(ui, qtbot):
    ui.click_row(2)
    row = ui.argument("in_channels")
    assert row.placeholder.text() == "inferred: 8"
    qtbot.mouseClick(row.placeholder, Qt.MouseButton.LeftButton)
    assert ui.window.document.design.layers[2].get("in_channels") == 8
    ui.type_into(row.editor.spin, "4")
    assert "in_channels is 4 but the incoming tensor has 8 channels" in row.message.text()
    qtbot.mouseClick(row.reset, Qt.MouseButton.LeftButton)
    assert "in_channels" not in ui.window.document.design.layers[2].arguments
    assert ui.cell(2, OUTPUT) == "16×14×14"


def test_input_shape_is_editable(ui, qtbot):
    editor = ui.window.stack.input_editor
    ui.type_into(editor.sizes[0], "32")
    assert ui.window.document.design.input.size == (32, 28)
    assert ui.cell(2, OUTPUT) == "16×16×14"
    ui.type_into(editor.channels, "0")  # the design file would refuse it: shown, not applied (issue 17)
    assert editor.problem.isVisibleTo(ui.window)
    assert editor.problem.text() == "input channels must be at least 1, not 0: not applied (the design keeps 1)"
    assert ui.window.document.design.input.channels == 1
    ui.type_into(editor.channels, "3")
    ui.choose(editor.rank, "1-D")
    assert ui.window.document.design.input.size == (32,)
    assert ui.cell(0, OUTPUT) == "error"  # Conv2d on a 1-D signal
    assert "use Conv1d" in ui.cell(0, NAME, Qt.ItemDataRole.ToolTipRole)


def open_name_editor(ui) -> QLineEdit:
    """The line edit the stack view opens on a name (the visible one: a closed editor may linger)."""
    editors = [e for e in ui.view.viewport().findChildren(QLineEdit) if e.isVisible()]
    assert len(editors) == 1
    return editors[0]


def test_rename_in_place_updates_joins(make_ui, qtbot):
    from convdesigner.engine.design import Layer

    design = Design("Skip", InputSpec(4, (8, 8)), (
        Layer.make("Conv2d", "a", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        Layer.make("ReLU", "r"),
        Layer.make("Add", "join", {"from": "a"}),
    ))
    ui = make_ui(design)
    assert ui.cell(2, ARGUMENTS) == "← a"
    assert ui.cell(0, ARGUMENTS).endswith("→ join")
    ui.click_row(0)
    ui.trigger(ui.window.rename_action)
    editor = open_name_editor(ui)
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, "stem")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next event loop turn
    qtbot.waitUntil(lambda: [layer.name for layer in ui.window.document.design.layers] == ["stem", "r", "join"])
    assert ui.window.document.design.layers[2].inputs == ("stem",)
    assert ui.cell(2, ARGUMENTS) == "← stem"
    assert ui.window.undo_action.text().replace("&", "") == "Undo Rename a to stem"
    # a name already used is refused with a message, nothing changes
    ui.view.edit(ui.model.index(1, NAME))
    editor = open_name_editor(ui)
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, "join")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "already used by layer 3" in ui.window.statusBar().currentMessage())
    assert ui.window.document.design.layers[1].name == "r"


def test_join_source_and_mismatch_marked_on_both_ends(make_ui, qtbot):
    from convdesigner.engine.design import Layer

    design = Design("Skip", InputSpec(4, (8, 8)), (
        Layer.make("Conv2d", "a", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        Layer.make("MaxPool2d", "pool", {"kernel_size": 2}),
        Layer.make("Conv2d", "b", {"out_channels": 4, "kernel_size": 1}),
    ))
    ui = make_ui(design)
    ui.click_row(2)
    ui.trigger(ui.menu_action(ui.window.add_menu, "Skip connection", "Concat"))
    # the join's starting source is the nearest earlier layer whose size fits (pool, 4×4), not a (8×8)
    assert ui.window.document.design.layers[3].inputs == ("pool",)
    assert ui.cell(3, OUTPUT) == "8×4×4"
    source = ui.window.properties.wiring.combo
    assert [source.itemText(i) for i in range(source.count())] == ["b", "pool", "a", "input"]
    assert source.currentText() == "pool"
    ui.choose(source, "a")
    assert ui.cell(3, OUTPUT) == "error"
    message = "Concat cannot join a: the incoming tensor is 4×4 but a's output is 8×8"
    assert message in ui.cell(3, NAME, Qt.ItemDataRole.ToolTipRole)
    assert message in ui.cell(0, ARGUMENTS, Qt.ItemDataRole.ToolTipRole)  # the source end is marked too
    assert ui.cell(0, ARGUMENTS, Qt.ItemDataRole.ForegroundRole) is not None
    assert ui.cell(0, ARGUMENTS).endswith("→ concat1")
    assert message in ui.window.properties.wiring.message.text()


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_every_offered_layer_type_is_added_ready_to_compute(make_ui, ndim):
    """Each type the palette offers for the design's rank arrives with starting values the engine accepts,
    and its properties form builds (one row per argument of its schema). Added after a MaxPool, so that a
    MaxUnpool finds the pool whose indices it uses."""
    from convdesigner.engine.layers import CATALOG
    from convdesigner.gui.palette import offered_types

    ui = make_ui(Design("Ranks", InputSpec(4, (12,) * ndim), ()))
    ui.window.add_layer("Conv1d" if ndim == 1 else f"Conv{ndim}d")
    ui.window.add_layer(f"MaxPool{ndim}d")
    names = [t.name for types in offered_types(ndim).values() for t in types]
    for name in names:
        ui.click_row(1)
        ui.window.add_layer(name)
        row = ui.view.selected_rows()[0]
        result = ui.window.document.analysis.layers[row]
        assert not result.errors, (name, [d.text for d in result.errors])
        assert set(ui.window.properties.rows) == set(CATALOG[name].argument_names)
        ui.trigger(ui.window.undo_action)


def test_skip_links_are_drawn_beside_the_stack(make_ui):
    from convdesigner.gui.link_gutter import lanes
    from convdesigner.io.design_file import load

    assert lanes([(0, 5), (1, 3), (4, 6), (3, 4)]) == {(3, 4): 0, (1, 3): 1, (4, 6): 1, (0, 5): 2}
    ui = make_ui(load("resources/examples/unet-small.yaml"))
    gutter = ui.view.gutter
    assert sorted(gutter.links()) == [(3, 21, False), (8, 15, False)]  # enc1_relu2 -> skip1, enc2_relu2 -> skip2
    assert gutter.isVisible() and gutter.width() == ui.view.viewportMargins().left() > 0
    ui.click_row(15)
    ui.choose(ui.window.properties.wiring.combo, "enc1_relu2")  # 64×64 cannot join the 32×32 tensor
    assert (3, 15, True) in gutter.links()


def test_the_palette_lists_the_types_when_its_tab_is_raised(make_window, qtbot):
    """Behind the Properties tab, as it starts, the palette lists nothing (nor imports every layer type's module);
    raised, it lists the design's rank's types; a rank changed while it is behind is listed when it is raised."""
    window = make_window(EMPTY)
    qtbot.waitUntil(lambda: window.docks_built)
    palette = window.palette_widget
    tree = palette.tree

    def listed() -> list[str]:
        return [tree.topLevelItem(i).child(j).text(0) for i in range(tree.topLevelItemCount())
                for j in range(tree.topLevelItem(i).childCount())]

    def click_tab(title: str) -> None:  # as the user raises a dock: a click on its tab
        bar = next(bar for bar in window.findChildren(QTabBar)
                   if title in [bar.tabText(i) for i in range(bar.count())])
        index = [bar.tabText(i) for i in range(bar.count())].index(title)
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())

    assert not window.properties_dock.visibleRegion().isEmpty() and listed() == []
    click_tab("Add layer")
    qtbot.waitUntil(lambda: listed() != [])
    assert "Conv2d" in listed() and "Conv1d" not in listed()
    click_tab("Properties")
    window.document.replace(Design("Signal", InputSpec(2, (128,))), None)
    qtbot.wait(20)
    assert "Conv2d" in listed()  # behind: not listed again yet
    click_tab("Add layer")
    qtbot.waitUntil(lambda: "Conv1d" in listed())
    assert "Conv2d" not in listed()
