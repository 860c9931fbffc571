"""View > Playground: one layer on sliders, the canvas and the numbers following each move, and "add this
layer to my design" as one undo step."""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_the_playground_follows_its_sliders_and_adds_its_layer(ui, qtbot):
    window = ui.window
    ui.trigger(ui.menu_action(window.view_menu, "Playground…"))
    playground = window.playground
    qtbot.waitExposed(playground)
    assert "1×5×5 → <b>1×3×3</b>" in playground.summary.text()  # i=5 k=3 s=1 p=0: relationship 1
    (_slider, p_spin), _w = playground.controls["p"]
    p_spin.setFocus()
    qtbot.keyClick(p_spin, Qt.Key.Key_Up)  # p = 1 on both axes: half padding
    assert playground.value("p") == (1, 1)
    assert "1×5×5 → <b>1×5×5</b>" in playground.summary.text()
    assert "half padding" in playground.summary.text()
    assert playground.canvas.model.result.output_shape == (1, 5, 5)
    playground.same.setChecked(False)
    (_slider, w_spin) = playground.controls["s"][1]
    w_spin.setFocus()
    qtbot.keyClick(w_spin, Qt.Key.Key_Up)  # stride 2 on W only
    assert playground.layer().get("stride") == (1, 2)
    assert "1×5×5 → <b>1×5×3</b>" in playground.summary.text()
    playground.type_box.setCurrentText("ConvTranspose2d")
    a_spin = playground.controls["a"][0][1]
    assert a_spin.isEnabled()
    ui.click_row(1)
    before = len(window.document.design.layers)
    qtbot.mouseClick(playground.add_button, Qt.MouseButton.LeftButton)
    design = window.document.design
    assert len(design.layers) == before + 1
    added = design.layers[2]
    assert added.type == "ConvTranspose2d" and added.get("stride") == (1, 2) and added.get("padding") == 1
    assert added.get("out_channels") == 8  # the channels flowing in there
    ui.trigger(window.undo_action)
    assert len(window.document.design.layers) == before


def test_the_playground_shows_the_engines_refusal(ui, qtbot):
    ui.window.show_playground()
    playground = ui.window.playground
    (_slider, k_spin), _w = playground.controls["k"]
    k_spin.setValue(9)  # larger than the 5-unit input
    assert "kernel" in playground.summary.text() and not playground.add_button.isEnabled()
