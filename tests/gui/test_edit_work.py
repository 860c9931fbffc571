"""An edit set back to a value shown before, an undo and a redo draw what the views drew before: the canvas's
frames (kept when a layer is selected) and the charts' pictures are kept by what they show, by value (and are
the very pixels of a paint afresh, in light and dark palettes)."""

from __future__ import annotations

import pytest
from test_app import settle
from test_row_cache import long_design
from test_select_work import assert_painted_as_afresh, canvas_shown, on_screen, painted_afresh

from convdesigner.gui.undo_commands import DesignCommand


@pytest.fixture(params=[False, True], ids=["light", "dark"])
def palette(request, qapp, monkeypatch):
    """The app in the light, then the dark palette."""
    from convdesigner.gui import theme

    original = qapp.palette()
    monkeypatch.setattr(theme, "system_prefers_dark", lambda: request.param)
    theme.apply_theme(qapp)
    yield request.param
    qapp.setPalette(original)


def test_an_edit_set_back_or_undone_draws_the_frame_kept_when_the_layer_was_selected(make_ui, qtbot, palette):
    """Frames are kept by what they show, by value: the shown layer's edits are painted on the canvas directly
    (not kept), and an edit set back, or undone, to the layer as it was when selected draws the frame kept then
    (the very pixels of a paint afresh); an edit above that leaves the layer's own result equal but changes its
    receptive field on the input is painted afresh."""
    window, view = canvas_shown(make_ui, qtbot, (4, 6))
    kept, painted, blitted = dict(view._frames), view.frames_painted, view.frames_blitted
    for kernel in (5, 3, 5, 3):  # 3: as when selected
        window.properties.set_argument("kernel_size", kernel)
        qtbot.wait(40)
    assert view.frames_painted == painted + 2 and view.frames_blitted == blitted + 2
    assert view._frames.keys() == kept.keys()
    assert_painted_as_afresh(qtbot, window, view)
    painted = view.frames_painted  # (and the one painted afresh)
    window.properties.set_argument("kernel_size", 7)
    qtbot.wait(40)
    window.document.undo_stack.undo()  # (the edits of one argument merge: back to kernel 3)
    qtbot.wait(40)
    assert window.canvas.model.result.layer.get("kernel_size") == 3
    assert view.frames_painted == painted + 1 and view.frames_blitted == blitted + 3
    assert_painted_as_afresh(qtbot, window, view)

    painted = view.frames_painted  # (and the one painted afresh)
    # conv1 (layer 2) reads a wider window with as much more padding: layer 6's shapes, counts and own geometry
    # stay, its receptive field on the input grows
    design, shown = window.document.design, window.canvas.model.result
    layers = list(design.layers)
    layers[2] = layers[2].with_args(kernel_size=5, padding=2)
    window.document.push(DesignCommand(window.document, design.with_layers(layers), "Widen conv1", ["conv3"]))
    qtbot.wait(40)
    assert window.canvas.model.result == shown and window.canvas.model.result is not shown
    assert window.canvas.model.index == 6 and view.frames_painted == painted + 1
    assert_painted_as_afresh(qtbot, window, view)


def test_a_deep_layer_edited_and_set_back_draws_the_frame_kept_with_its_field(make_ui, qtbot, palette):
    """A deep layer's field is composed after its frame, which is painted again then: an edit's two paints are
    painted directly, and the edit set back draws the frame kept when the layer was selected, its field in it
    (the very pixels of a paint afresh)."""
    window = make_ui(long_design(200)).window
    view = window.canvas.view_widget
    window.document.select([180])
    # its frame painted, its field composed and painted in it, the frame kept (however long a busy machine takes)
    qtbot.waitUntil(lambda: window.canvas.model.pending_field is None and any(key[1] == 180 for key in view._frames))
    qtbot.wait(40)
    kept, painted = dict(view._frames), view.frames_painted
    window.properties.set_argument("kernel_size", 5)
    qtbot.waitUntil(lambda: view.frames_painted == painted + 2)  # the frame, then with its field
    qtbot.wait(40)
    assert dict(view._frames) == kept and window.canvas.model.pending_field is None
    window.properties.set_argument("kernel_size", 3)
    qtbot.wait(200)
    assert view.frames_painted == painted + 2
    on_kept = on_screen(window, view)
    view.cache_frames = False  # painted afresh: the frame, then once its field is composed again
    try:
        view.update()
        qtbot.waitUntil(lambda: view.frames_painted == painted + 4)
        qtbot.wait(40)
        assert on_screen(window, view) == on_kept
    finally:
        view.cache_frames = True


def test_a_chart_draws_data_it_drew_before_from_its_kept_picture(make_ui, qtbot, qapp, monkeypatch, palette):
    """Each chart draws a picture of data not shown before (kernel 5: every field and layer 6's parameters
    change), and draws kernel 3 and 5 again from its kept pictures, the very pixels of a picture drawn afresh.
    A change of palette draws afresh."""
    from convdesigner.gui import theme

    window, _view = canvas_shown(make_ui, qtbot, (4, 6))
    window.load_plots()
    settle(qtbot, window)
    charts = [window.rf_panel.chart, window.params_panel.chart]
    drawn = [chart.pictures_drawn for chart in charts]
    for kernel in (5, 3, 5, 3):
        window.properties.set_argument("kernel_size", kernel)
        settle(qtbot, window)
        for chart in charts:
            def switch(on: bool, chart=chart) -> None:
                chart.keep_pictures = on
                chart._static = None  # (drawn again: afresh, then from the kept picture)
            assert on_screen(window, chart) == painted_afresh(qtbot, window, chart, switch)
    assert [chart.pictures_drawn - n for chart, n in zip(charts, drawn)] == [1 + 4, 1 + 4]  # (and 4 afresh each)
    drawn = [chart.pictures_drawn for chart in charts]
    monkeypatch.setattr(theme, "system_prefers_dark", lambda: not palette)
    theme.apply_theme(qapp)
    settle(qtbot, window)
    assert all(chart.pictures_drawn > n for chart, n in zip(charts, drawn))
