"""Each view does the work a change asks of it, once, and none for a change it does not show."""

from __future__ import annotations

from test_row_cache import long_design

from convdesigner.engine.design import Layer


def test_the_canvas_shows_an_edit_once(make_ui, qtbot):
    """An edit of the layer shown repaints the canvas once; an undo that selects another layer builds and
    paints it once (the window shows the layer on the change and again on the selection: the second finds
    the very result shown)."""
    ui = make_ui(long_design(20))
    window = ui.window
    canvas = window.canvas
    ui.click_row(4)  # conv2
    qtbot.wait(60)
    paints = []
    canvas.view_widget.painted.connect(lambda: paints.append(1))
    model = canvas.model
    window.document.select([4])
    ui.type_into(ui.argument("out_channels").editor.spin, "9")  # the layer shown: a new frame
    qtbot.waitUntil(lambda: len(paints) >= 1)
    qtbot.wait(60)
    assert len(paints) == 1 and canvas.model is not model
    assert canvas.model.result.layer.get("out_channels") == 9
    window.document.select([10])
    ui.type_into(ui.argument("out_channels").editor.spin, "5")  # conv5
    window.document.select([4])
    qtbot.wait(60)
    built = []
    window.document.changed.connect(lambda _before: built.append(canvas.model))  # after the window's own slot
    paints.clear()
    window.document.undo_stack.undo()  # conv5 back, and selected: the canvas shows it once
    qtbot.wait(60)
    assert window.document.selection == [10] and canvas.model.index == 10
    assert built == [canvas.model]  # the selection that follows the edit builds nothing again
    assert len(paints) == 1
    assert canvas.model.analysis is window.document.analysis  # later queries read the analysis of now


def test_the_status_bar_composes_no_receptive_field_until_its_tooltip_is_asked_for(make_ui, qtbot, monkeypatch):
    """The totals' tooltip lists every warning, which composes every layer's receptive field: an edit updates
    the totals and composes no field for them (the receptive-field dock, which asks for every field, is
    closed; the layer list asks for the warnings of the rows it shows); the tooltip, read or shown, is that of
    the design as it is then."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    from convdesigner.engine import analysis
    from convdesigner.gui.formatting import note_text

    design = long_design(200)
    pool = Layer.make("MaxPool2d", "pool", {"kernel_size": 3, "stride": 2})  # drops the input's last row: warns
    ui = make_ui(design.with_layers((*design.layers, pool)))
    window = ui.window
    window.load_plots()
    window.rf_dock.hide()
    ui.click_row(0)
    qtbot.wait(60)
    composed = []
    walk = analysis._FieldWalk._composed
    monkeypatch.setattr(analysis._FieldWalk, "_composed", lambda self, j: composed.append(j) or walk(self, j))
    ui.type_into(ui.argument("kernel_size").editor.spins[0], "5")
    qtbot.wait(60)
    assert window.document.design.layers[0].get("kernel_size") == 5
    assert "Output <b>8×14×14</b>" in window.totals.text()  # 32 - 2 = 30 -> pooled (30 - 3) // 2 + 1 = 14
    assert composed and max(composed) < 100  # the rows on screen in the layer list, not the last layer's
    warnings = window.document.analysis.warnings
    assert max(composed) == 200 and any(d.layer == "pool" for d in warnings)
    tip = "\n".join(note_text(d) for d in warnings)
    assert window.totals.toolTip() == tip
    at = window.totals.rect().center()
    QApplication.sendEvent(window.totals, QHelpEvent(QEvent.Type.ToolTip, at, window.totals.mapToGlobal(at)))
    assert QToolTip.text() == tip
    QToolTip.hideText()
