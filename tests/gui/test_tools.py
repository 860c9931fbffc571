"""Tools inside the app: valid input sizes (the engine's `input_sizes`), messages that point at the app's
menus (never at a command), and suggested fixes as one-click, one-undo-step buttons."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from convdesigner.engine.design import InputSpec
from convdesigner.engine.tools.sizes import input_sizes
from convdesigner.io.design_file import load

ROOT = Path(__file__).resolve().parents[2]
LEFT = Qt.MouseButton.LeftButton


def unet(size: int = 64):
    design = load(ROOT / "resources" / "examples" / "unet-small.yaml")
    return design.with_input(InputSpec(design.input.channels, (size, size)))


def test_the_valid_sizes_dialog_shows_the_engines_sizes_and_sets_one(make_ui, qtbot):
    ui = make_ui(unet(66))
    window = ui.window
    ui.trigger(ui.menu_action(window.menuBar().actions()[2].menu(), "Valid Input Sizes…"))
    dialog = window.sizes_dialog
    qtbot.waitExposed(dialog)
    expected = input_sizes(window.document.design)
    assert [text.text() for text, _button in dialog.rows] == [axis.description for axis in expected]
    assert "does not work" in dialog.note.text() and "64" in dialog.note.text()
    button = dialog.rows[0][1]
    assert button is not None and button.text() == "Use 64"
    qtbot.mouseClick(button, LEFT)
    assert window.document.design.input.size == (64, 66)
    assert window.undo_action.text().replace("&", "") == "Undo Set the input to 1×64×66"
    qtbot.waitUntil(lambda: dialog.rows[0][1] is None)  # the dialog follows the design
    dialog.close()


def test_no_message_of_the_app_tells_a_user_to_run_a_command(make_ui):
    ui = make_ui(unet(66))
    window = ui.window
    window.select_layer("skip2")
    texts = [window.properties.banner.text(), window.statusBar().currentMessage(), window.totals.toolTip(),
             ui.cell(window.document.design.index_of("skip2"), 0, Qt.ItemDataRole.ToolTipRole)]
    texts += [row.message.text() for row in window.properties.rows.values()] + [
        window.properties.wiring.message.text()]
    assert any("Layer &gt; Valid Input Sizes" in t or "Layer > Valid Input Sizes" in t for t in texts)
    for text in texts:
        assert "convdesigner " not in text and "`" not in text


def test_a_join_fix_inserts_the_zero_padding_in_one_undo_step(make_ui, qtbot):
    ui = make_ui(unet(66))
    window = ui.window
    window.select_layer("skip2")
    buttons = {b.accessibleName(): b for b in window.properties.fix_buttons}
    label = "Insert ZeroPad2d [0, 1, 0, 1] before skip2"
    assert label in buttons, list(buttons)
    before = window.document.design
    qtbot.mouseClick(buttons[label], LEFT)
    design = window.document.design
    position = design.index_of("skip2")
    assert design.layers[position - 1].type == "ZeroPad2d"
    assert design.layers[position - 1].get("padding") == (0, 1, 0, 1)
    assert not any(d.layer == "skip2" for d in window.document.analysis.errors)
    ui.trigger(window.undo_action)
    assert window.document.design == before


def test_a_pooling_that_drops_input_gets_a_ceil_mode_button(make_ui, qtbot):
    ui = make_ui(unet(66))
    window = ui.window
    window.select_layer("down2")
    assert "or set ceil_mode" in window.properties.banner.text()  # the warning names the fix
    buttons = {b.accessibleName(): b for b in window.properties.fix_buttons}
    assert "Set ceil_mode" in buttons
    qtbot.mouseClick(buttons["Set ceil_mode"], LEFT)
    assert window.document.design.layers[window.document.design.index_of("down2")].get("ceil_mode") is True
    assert window.undo_action.text().replace("&", "") == "Undo Set ceil_mode of down2"


def test_bundled_examples_open_without_a_warning_a_newcomer_would_misread(make_ui):
    from convdesigner.gui.formatting import warnings_of

    for path in sorted((ROOT / "resources" / "examples").glob("*.yaml")):
        ui = make_ui(load(path))
        window = ui.window
        for row in range(ui.model.rowCount()):
            assert ui.cell(row, 0, Qt.ItemDataRole.DecorationRole) is None, (path.name, row)
            assert ui.cell(row, 0, Qt.ItemDataRole.BackgroundRole) is None, (path.name, row)
        assert not warnings_of(window.document.analysis.warnings), path.name
        window.close()
    # the U-Net's misaligned fields are true of its layout, and say so where they are shown
    ui = make_ui(load(ROOT / "resources" / "examples" / "unet-small.yaml"))
    ui.window.select_layer("skip2")
    banner = ui.window.properties.banner.text()
    assert "Note:" in banner and "Warning" not in banner and "not a mistake" in banner
    assert "Note:" in ui.cell(ui.window.document.design.index_of("skip2"), 0, Qt.ItemDataRole.ToolTipRole)


def test_a_shrinking_stride_1_convolution_before_a_mismatched_join_offers_same_padding(make_ui, qtbot):
    from convdesigner.engine.design import Design, Layer

    design = Design("Skip", InputSpec(1, (8, 8)), (
        Layer.make("Conv2d", "a", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        Layer.make("Conv2d", "b", {"out_channels": 4, "kernel_size": 3}),
        Layer.make("Add", "join", {"from": "a"}),
    ))
    ui = make_ui(design)
    window = ui.window
    ui.click_row(1)
    buttons = {b.accessibleName(): b for b in window.properties.fix_buttons}
    assert "Use padding 'same'" in buttons
    qtbot.mouseClick(buttons["Use padding 'same'"], LEFT)
    assert window.document.design.layers[1].get("padding") == "same"
    assert window.document.analysis.ok
    assert window.properties.fixes_row.isHidden()


def test_a_fix_button_fits_a_narrow_properties_panel(make_ui, qtbot):
    ui = make_ui(unet(66))
    window = ui.window
    window.select_layer("skip2")
    window.resizeDocks([window.properties_dock], [240], Qt.Orientation.Horizontal)
    button = window.properties.fix_buttons[0]
    qtbot.waitUntil(lambda: button.text() != button.accessibleName())
    assert "…" in button.text() and button.width() <= window.properties.width()
    assert button.accessibleName() == "Insert ZeroPad2d [0, 1, 0, 1] before skip2"
