"""Each view does the work a change asks of it, once, and none for a change it does not show."""

from __future__ import annotations

from test_row_cache import long_design


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
