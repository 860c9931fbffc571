"""The sliding-window canvas through its widgets (pytest-qt): clicks, hover, keys, slider, views, edits."""

from __future__ import annotations

import pytest
from canvas_support import cell_center, conv, design
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPicture
from PySide6.QtWidgets import QToolButton

from convdesigner.engine.analysis import analyze
from convdesigner.engine.design import Design, Layer
from convdesigner.gui.canvas import CanvasWidget
from convdesigner.gui.canvas.layout import CanvasModel, PaintState, stage_rect
from convdesigner.gui.canvas.painter import MIN_CELL_PX
from convdesigner.gui.canvas.palette import LIGHT


def pixel(widget: CanvasWidget, point: QPoint) -> QColor:
    return widget.view_widget.grab().toImage().pixelColor(point)


def test_click_an_output_cell_jumps_to_its_step(canvas, qtbot) -> None:
    canvas.show_layer(analyze(design(conv(stride=2, padding=1))), 0)  # figure 2.7: 3x3 output
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton, pos=cell_center(canvas, "output", 2, 1))
    assert canvas.step() == 7 and canvas.output_position() == (2, 1)
    assert canvas.slider.value() == 7 and canvas.step_label.text() == "8 / 9"


def test_hover_an_input_cell_highlights_every_output_that_uses_it(canvas, qtbot) -> None:
    canvas.show_layer(analyze(design(conv(padding=1))), 0)  # 8x8 padded input, 6x6 output
    target = cell_center(canvas, "output", 3, 3)
    far = cell_center(canvas, "output", 0, 5)
    before, before_far = pixel(canvas, target), pixel(canvas, far)
    qtbot.mouseMove(canvas.view_widget, cell_center(canvas, "input", 4, 4))
    qtbot.waitUntil(lambda: canvas.state.hover == ("input", 4, 4))
    # padded (4, 4) is covered by outputs rows 2..4, cols 2..4
    assert set(canvas.model.frames.users((4, 4))) == {(r, c) for r in (2, 3, 4) for c in (2, 3, 4)}
    after, after_far = pixel(canvas, target), pixel(canvas, far)
    assert after != before
    assert after.red() > before.red()  # tinted amber
    assert after_far == before_far  # an output that does not use it stays as it was


def test_space_plays_and_pauses_and_arrows_step(canvas, qtbot) -> None:
    canvas.show_layer(analyze(design(conv())), 0)  # 4x4 output: 16 steps
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    assert canvas.step() == 1
    qtbot.keyClick(canvas, Qt.Key.Key_Left)
    qtbot.keyClick(canvas, Qt.Key.Key_Left)  # loops round to the last step
    assert canvas.step() == 15
    qtbot.keyClick(canvas, Qt.Key.Key_Home)
    assert canvas.step() == 0
    canvas.speed_box.setCurrentIndex(canvas.speed_box.count() - 1)  # 30 steps per second
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert canvas.is_playing()
    qtbot.waitUntil(lambda: canvas.step() >= 2, timeout=3000)
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert not canvas.is_playing()
    stopped = canvas.step()
    qtbot.wait(150)
    assert canvas.step() == stopped


def test_play_without_loop_stops_at_the_last_step(canvas, qtbot) -> None:
    canvas.show_layer(analyze(design(conv(), size=(4, 4))), 0)  # 2x2 output
    canvas.loop_box.setChecked(False)
    canvas.speed_box.setCurrentIndex(canvas.speed_box.count() - 1)
    canvas.play()
    qtbot.waitUntil(lambda: not canvas.is_playing(), timeout=3000)
    assert canvas.step() == 3


def test_slider_scrubs_every_output_position(canvas) -> None:
    canvas.show_layer(analyze(design(conv(stride=2, padding=1))), 0)
    assert canvas.slider.maximum() == 8
    canvas.slider.setValue(5)
    assert canvas.step() == 5 and canvas.output_position() == (1, 2)


def test_view_toggle_keeps_the_step(canvas, qtbot) -> None:
    up = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1,
                                               "output_padding": 1})
    canvas.show_layer(analyze(design(up, size=(3, 3))), 0)  # figure 4.7
    assert canvas.views() == ("direct", "scatter", "overlap", "matrix")
    canvas.set_step(14)  # output (2, 2)
    qtbot.mouseClick(canvas._view_buttons["scatter"], Qt.MouseButton.LeftButton)
    assert canvas.view() == "scatter" and canvas.slider.maximum() == 8
    source = canvas.model.frames.input_of(canvas.step())
    reads = {t.source for t in canvas.model.frames.frame(14).data_taps}
    assert source in reads
    qtbot.mouseClick(canvas._view_buttons["direct"], Qt.MouseButton.LeftButton)
    assert canvas.view() == "direct" and canvas.step() == 14
    canvas.set_view("overlap")
    assert canvas.step() == 14
    canvas.set_view("matrix")
    assert canvas.step() == 14
    assert not canvas.set_view("nonsense") and canvas.view() == "matrix"


def test_scatter_and_overlap_buttons_hidden_for_a_direct_convolution(canvas) -> None:
    canvas.show_layer(analyze(design(conv())), 0)
    assert canvas.views() == ("direct", "matrix")
    assert not canvas.set_view("scatter") and canvas.view() == "direct"
    assert canvas._view_buttons["scatter"].isHidden()


def test_show_layer_after_an_edit_keeps_the_step(canvas) -> None:
    canvas.show_layer(analyze(design(conv(), Layer.make("ReLU", "relu"))), 0)  # 4x4 output
    canvas.set_step(9)  # output (2, 1)
    canvas.show_layer(analyze(design(conv(padding=1), Layer.make("ReLU", "relu"))), 0)  # now 6x6
    assert canvas.output_position() == (2, 1)
    canvas.set_step(canvas.model.frames.step_of((5, 4)))
    canvas.show_layer(analyze(design(conv(), Layer.make("ReLU", "relu"))), 0)  # back to 4x4: clamped
    assert canvas.output_position() == (3, 3)
    canvas.show_layer(analyze(design(conv(), Layer.make("ReLU", "relu"))), 1)  # another layer
    assert canvas.model.frames is None and not canvas.slider.isEnabled()
    canvas.show_layer(analyze(design(conv(), Layer.make("ReLU", "relu"))), 0)
    assert canvas.step() == 0


def test_the_view_survives_an_edit(canvas) -> None:
    up = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2})
    canvas.show_layer(analyze(design(up, size=(2, 2))), 0)
    canvas.set_view("scatter")
    canvas.set_step(3)
    canvas.show_layer(analyze(design(up.with_args(padding=1), size=(2, 2))), 0)
    assert canvas.view() == "scatter" and canvas.step() == 3


def test_a_layer_without_a_window_shows_a_summary(canvas, qtbot) -> None:
    canvas.show_layer(analyze(design(conv(), Layer.make("ReLU", "relu"))), 1)
    from convdesigner.gui.canvas.chrome import summary_lines

    lines = summary_lines(canvas.model)
    assert lines[0].startswith("relu") and "1×4×4  →  1×4×4" in lines
    assert not canvas.play_button.isEnabled()
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert not canvas.is_playing()
    canvas.show_layer(None, None)
    assert summary_lines(canvas.model) == ["Select a layer to see its sliding window."]


def test_a_layer_with_errors_says_so(canvas) -> None:
    from convdesigner.gui.canvas.chrome import summary_lines

    analysis = analyze(design(conv(kernel_size=9)))
    assert not analysis.ok
    canvas.show_layer(analysis, 0)
    lines = summary_lines(canvas.model)
    assert "Not computed:" in lines and any("kernel 9" in line for line in lines)


def test_click_a_matrix_row_jumps_there(canvas, qtbot) -> None:
    canvas.show_layer(analyze(design(conv(), size=(4, 4))), 0)  # section 4.1: C is 4 x 16
    canvas.set_view("matrix")
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton, pos=cell_center(canvas, "matrix", 2, 7))
    assert canvas.step() == 2


def test_zoom_and_pan(canvas, qtbot) -> None:
    canvas.show_layer(analyze(design(conv())), 0)
    fitted = canvas.view_widget.current_camera().scale
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.view_widget.current_camera().scale == pytest.approx(fitted * 1.25)
    before = canvas.view_widget.current_camera().x
    view = canvas.view_widget
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(300, 300))
    qtbot.mouseMove(view, QPoint(340, 310))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(340, 310))
    assert canvas.view_widget.current_camera().x == pytest.approx(before + 40)
    assert canvas.step() == 0  # a drag is not a click
    qtbot.keyClick(canvas, Qt.Key.Key_0)
    assert canvas.view_widget.current_camera().scale == pytest.approx(fitted)


def recorded_paint_bytes(canvas: CanvasWidget) -> int:
    """The size of the paint commands one frame of the canvas records (a QPicture): its drawing work."""
    picture = QPicture()
    canvas.view_widget.render(picture)
    return picture.size()


def test_large_224_layer_paints_with_merged_cells_at_the_cost_of_a_small_one(canvas) -> None:
    """A frame's drawing grows with a grid's side on screen, not its area (merged blocks, one drawLines
    call): a 224x224 or 512x512 layer records no more paint commands than twice a 32x32 one's."""
    recorded = {}
    for size in (32, 224, 512):
        canvas.show_layer(analyze(design(conv(out_channels=64, padding=1), size=(size, size), channels=3)), 0)
        canvas.set_step(canvas.model.frames.step_of((size // 2, size // 2)))
        recorded[size] = recorded_paint_bytes(canvas)
    assert recorded[224] <= 2 * recorded[32] and recorded[512] <= 2 * recorded[32], recorded
    canvas.show_layer(analyze(design(conv(out_channels=64, padding=1), size=(224, 224), channels=3)), 0)
    assert canvas.view_widget.current_camera().scale < MIN_CELL_PX  # cells merge into blocks
    canvas.set_step(canvas.model.frames.step_of((100, 100)))
    image = canvas.view_widget.grab().toImage()
    assert image.pixelColor(cell_center(canvas, "input", 116, 44)) == LIGHT.input  # data, between block lines
    assert image.pixelColor(cell_center(canvas, "output", 100, 100)) == LIGHT.current


def test_3d_layer_has_a_depth_control(canvas) -> None:
    layer = Layer.make("Conv3d", "c3", {"out_channels": 2, "kernel_size": 3})
    canvas.show_layer(analyze(design(layer, size=(5, 5, 5))), 0)
    assert canvas.depth_spin.isVisibleTo(canvas) and canvas.depth_spin.maximum() == 3
    canvas.depth_spin.setValue(2)
    assert canvas.output_position() == (1, 0, 0)


def test_numbers_hooks_draw_text_and_caption(canvas) -> None:
    canvas.show_layer(analyze(design(conv(), size=(4, 4))), 0)
    seen = []

    def text(grid: str, row: int, col: int) -> str:
        seen.append(grid)
        return "7"

    canvas.set_cell_text(text)
    canvas.set_caption("3·0 + 3·1 = 3")
    canvas.view_widget.grab()
    assert {"input", "output"} <= set(seen)
    assert stage_rect(canvas.view_widget.rect(), canvas.state).height() < stage_rect(
        canvas.view_widget.rect(), PaintState()).height()


def test_render_image_of_the_current_frame(canvas) -> None:
    canvas.show_layer(analyze(design(conv())), 0)
    image = canvas.render_image((640, 400))
    assert (image.width(), image.height()) == (640, 400)


def test_gallery_opens_a_figure_in_its_view(canvas, qtbot) -> None:
    figures = pytest.importorskip("convdesigner.figures")
    try:
        listed = figures.paper_figures()
    except Exception as error:  # the gallery's index is another module's; report, don't hide
        pytest.fail(f"paper_figures() failed: {error}")
    from convdesigner.gui.canvas.gallery import PaperGallery

    opened = []

    def open_design(design, path, select=None):
        opened.append((design, path, select))
        analysis = analyze(design)
        canvas.show_layer(analysis, [r.name for r in analysis.layers].index(select))

    gallery = PaperGallery(open_design, canvas)
    qtbot.addWidget(gallery)
    scatter = next((f for f in listed if f.view == "scatter"), None)
    target = scatter or next(f for f in listed if f.chapter == 4)
    assert gallery.select_figure(target.figure)
    gallery.open_selected()
    assert opened and opened[0][1] is None and opened[0][2] == target.layer
    assert canvas.view() == ("scatter" if scatter else "direct")


def test_adaptive_pooling_summary_shows_its_windows(canvas) -> None:
    from convdesigner.gui.canvas.chrome import summary_lines

    pool = Layer.make("AdaptiveAvgPool2d", "gap", {"output_size": [3, 4]})
    canvas.show_layer(analyze(design(pool, size=(14, 20))), 0)
    lines = summary_lines(canvas.model)
    # PyTorch's adaptive windows: floor(y * i / o) .. ceil((y + 1) * i / o) - 1
    assert "axis H: output ← input  0←0–4, 1←4–9, 2←9–13" in lines
    assert "axis W: output ← input  0←0–4, 1←5–9, 2←10–14, 3←15–19" in lines


def test_the_step_survives_an_edit_that_breaks_the_layer_for_a_while(canvas) -> None:
    canvas.show_layer(analyze(design(conv())), 0)  # 4x4 output
    canvas.set_step(6)  # output (1, 2)
    broken = analyze(design(conv(kernel_size=9)))
    canvas.show_layer(broken, 0)
    assert canvas.model.frames is None
    canvas.show_layer(analyze(design(conv(kernel_size=5))), 0)  # 2x2 output now: clamped
    assert canvas.output_position() == (1, 1)
    canvas.show_layer(analyze(design(conv())), 0)
    assert canvas.output_position() == (1, 1)


def test_dark_palette_switches_the_canvas_chrome(canvas) -> None:
    from PySide6.QtGui import QPalette

    from convdesigner.gui.canvas.palette import DARK

    canvas.show_layer(analyze(design(conv())), 0)
    assert not canvas.state.dark
    palette = canvas.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    canvas.setPalette(palette)
    assert canvas.state.dark
    assert canvas.view_widget.grab().toImage().pixelColor(QPoint(5, 70)) == DARK.background


def test_scatter_hover_shows_patches_and_writers(canvas, qtbot) -> None:
    up = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2})
    canvas.show_layer(analyze(design(up, size=(2, 2))), 0)  # figure 4.5
    canvas.set_view("scatter")
    # uncropped output (2, 2) is written by all four input units (k = 3 > s = 2: overlap 4)
    assert set(canvas.model.frames.writers((2, 2))) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert set(canvas.model.frames.writers((0, 3))) == {(0, 1)}
    far = cell_center(canvas, "input", 1, 1)
    before = pixel(canvas, far)
    qtbot.mouseMove(canvas.view_widget, cell_center(canvas, "output", 0, 3))
    qtbot.waitUntil(lambda: canvas.state.hover == ("output", 0, 3))
    assert pixel(canvas, far) == before  # (1, 1) does not write (0, 3)
    assert pixel(canvas, cell_center(canvas, "input", 0, 1)) != pixel(canvas, cell_center(canvas, "input", 1, 0))


def test_export_gif_from_the_canvas_with_its_progress_dialog(canvas, tmp_path) -> None:
    from PIL import Image

    canvas.show_layer(analyze(design(conv(), size=(5, 5))), 0)
    result = canvas.export_gif(str(tmp_path / "c.gif"), fps=5, size=(320, 200))
    assert (result.frames, result.sampled) == (9, False)
    with Image.open(tmp_path / "c.gif") as image:
        assert (image.n_frames, image.size, image.info["duration"]) == (9, (320, 200), 200)


def test_keys_work_after_clicking_the_painted_area(canvas, qtbot) -> None:
    canvas.show_layer(analyze(design(conv())), 0)
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton, pos=QPoint(8, 120))  # background
    assert canvas.step() == 0
    qtbot.keyClick(canvas.view_widget, Qt.Key.Key_Right)
    assert canvas.step() == 1


def test_scatter_history_is_what_earlier_units_wrote() -> None:
    from convdesigner.gui.canvas.painter import _written_before

    up = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1})
    f = CanvasModel(analyze(design(up, size=(3, 3))), 0).frames
    rows, cols = f.scatter_axes
    visible = (0, rows.full, 0, cols.full)
    for step in range(f.scatter_step_count):
        replayed = {w.position for earlier in range(step) for w in f.scatter_frame(earlier).writes
                    if w.output is not None}
        blocks = _written_before(f.scatter_axes, f.input_of(step), visible, 1)
        assert {(r, c) for row_runs, col_runs in blocks for r0, nr in row_runs for c0, nc in col_runs
                for r in range(r0, r0 + nr) for c in range(c0, c0 + nc)} == replayed


def test_overlap_and_matrix_views_paint_their_numbers(canvas) -> None:
    up = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2})
    canvas.show_layer(analyze(design(up, size=(2, 2))), 0)  # figure 4.5: overlap 1, 2 or 4
    canvas.set_view("overlap")
    assert canvas.model.overlap_values() == [1, 2, 4]
    image = canvas.view_widget.grab().toImage()

    def at(row: int, col: int, dx: int = -12) -> QColor:  # off the count's digits
        center = cell_center(canvas, "output", row, col)
        return image.pixelColor(center.x() + dx, center.y())

    one, two, four = at(0, 1), at(0, 2), at(2, 2)
    assert one.lightness() > two.lightness() > four.lightness()  # more taps: darker
    assert at(4, 4) == one and at(1, 2) == two
    canvas.set_view("matrix")
    canvas.set_step(6)  # Cᵀ row 6: output (1, 1), written by input (0, 0) only
    image = canvas.view_widget.grab().toImage()
    corner = round(canvas.view_widget.current_camera().scale / 2) - 3  # off the tap's label

    def near_corner(c: int) -> QColor:
        center = cell_center(canvas, "matrix", 6, c)
        return image.pixelColor(center.x() - corner, center.y() - corner)

    row = [near_corner(c) for c in range(4)]
    assert row[0] == LIGHT.tap and row[1] == row[2] == row[3] == LIGHT.output


def test_hover_tooltip_names_the_cell(canvas, qtbot) -> None:
    up = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1})
    canvas.show_layer(analyze(design(up, size=(3, 3))), 0)  # figure 4.6: stretched 5, padded 1
    view = canvas.view_widget
    qtbot.mouseMove(view, cell_center(canvas, "input", 0, 0))
    qtbot.waitUntil(lambda: canvas.state.hover == ("input", 0, 0))
    assert view.toolTip() == "zero padding at (0, 0)"
    qtbot.mouseMove(view, cell_center(canvas, "input", 1, 2))
    qtbot.waitUntil(lambda: canvas.state.hover == ("input", 1, 2))
    assert view.toolTip() == "inserted zero at (1, 2)"
    qtbot.mouseMove(view, cell_center(canvas, "input", 3, 5))
    qtbot.waitUntil(lambda: canvas.state.hover == ("input", 3, 5))
    assert view.toolTip() == "input at (3, 5) = input unit (1, 2)"


def test_the_canvas_shrinks_and_every_control_stays_reachable(canvas, qtbot) -> None:
    up = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2})
    canvas.show_layer(analyze(design(up, size=(3, 3))), 0)  # all four views
    canvas.set_numbers(True)  # Randomise and Reset shown too
    assert canvas.minimumSizeHint().width() <= 420
    names = [a.text() for a in canvas.control_actions() if a.isVisible()]
    assert names == ["Direct", "Scatter", "Overlap", "Matrix", "Numbers", "Randomise", "Reset", "Receptive field",
                     "Channel planes", "−", "+", "Fit", "Export"]
    canvas.resize(canvas.minimumSizeHint().width(), 640)
    qtbot.waitUntil(lambda: canvas.width() <= 420)
    canvas.toolbar.layout().activate()
    shown = {a.text() for a in canvas.control_actions()
             if any(isinstance(w, QToolButton) and w.isVisible() for w in a.associatedObjects())}
    extension = canvas.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert extension is not None and extension.isVisible()
    overflow = {a.text() for a in extension.menu().actions() if a.isVisible() and not a.isSeparator()}
    assert "Channel planes" in overflow and "Direct" in shown
    assert {"−", "+", "Fit", "Export"} <= shown  # zoom and export stay at hand, never split by the overflow
    assert shown | overflow == set(names)  # each control either a button or an entry of the » menu
    entry = next(a for a in extension.menu().actions() if a.text() == "Channel planes")
    entry.trigger()  # the menu entry is the same action: it toggles the stacked planes
    assert canvas.state.stacked
    assert [a.text() for a in canvas.export_action.menu().actions()] == ["Animation as GIF…", "Frame as PNG…",
                                                                        "Frame as SVG…"]


def test_the_depth_control_sits_in_the_playback_row(canvas) -> None:
    layer = Layer.make("Conv3d", "c3", {"out_channels": 2, "kernel_size": 3})
    canvas.show_layer(analyze(design(layer, size=(5, 5, 5))), 0)
    assert canvas.depth_spin.isVisibleTo(canvas)
    assert canvas.depth_spin.parentWidget() is canvas  # not in the toolbar: never lost in its overflow
    canvas.show_layer(analyze(design(conv())), 0)
    assert not canvas.depth_spin.isVisibleTo(canvas)


def deep_design(blocks: int, size=(12, 12)) -> Design:
    layers = []
    for n in range(blocks):
        layers += [conv(f"c{n}", padding=1), Layer.make("ReLU", f"r{n}")]
    return design(*layers, size=size)


def test_a_deep_layer_paints_first_and_computes_its_receptive_field_after(canvas, qtbot, monkeypatch) -> None:
    from convdesigner.gui.canvas.layout import DEFER_FIELD_DEPTH, FIELDS

    analysis = analyze(deep_design(DEFER_FIELD_DEPTH))
    deep = 2 * DEFER_FIELD_DEPTH - 2  # the last convolution: its field grows by 2 per convolution
    calls = []
    original = type(analysis).dependencies

    def counted(self, index, position):
        calls.append((index, position))
        return original(self, index, position)

    monkeypatch.setattr(type(analysis), "dependencies", counted)
    canvas.show_layer(analysis, deep)
    canvas.view_widget.repaint()  # the frame: the miniature says "computing…", nothing computed yet
    assert calls == [] and canvas.model.pending_field == (0, 0)
    qtbot.waitUntil(lambda: calls == [(deep, (0, 0))])  # then, once the event loop is free
    assert canvas.model.field((0, 0)) == ((0, 11), (0, 11))
    canvas.set_step(1)
    canvas.view_widget.repaint()
    qtbot.waitUntil(lambda: len(calls) == 2)
    canvas.set_step(canvas.model.frames.step_of((1, 0)))  # row 1 is new, column 0 known: one more call
    canvas.view_widget.repaint()
    qtbot.waitUntil(lambda: len(calls) == 3)
    canvas.set_step(canvas.model.frames.step_of((1, 1)))  # both coordinates known: no call, no wait
    canvas.view_widget.repaint()
    assert len(calls) == 3 and canvas.model.pending_field is None
    canvas.show_layer(analysis, 0)
    canvas.show_layer(analysis, deep)  # selected again: its fields are still known
    canvas.view_widget.repaint()
    assert len(calls) == 3 and canvas.model.pending_field is None
    FIELDS.clear()
    canvas.set_field_shown(False)  # hidden miniature: nothing computed at all
    canvas.set_step(5)
    canvas.view_widget.repaint()
    qtbot.wait(20)
    assert len(calls) == 3 and canvas.model.pending_field is None


def test_exports_compute_a_deep_layers_field_before_painting(canvas) -> None:
    from convdesigner.gui.canvas.layout import DEFER_FIELD_DEPTH, FIELDS

    FIELDS.clear()
    analysis = analyze(deep_design(DEFER_FIELD_DEPTH // 2 + 1))
    canvas.show_layer(analysis, DEFER_FIELD_DEPTH)
    assert canvas.model.field_is_slow((0, 0))
    canvas.render_image((640, 400))
    assert not canvas.model.field_is_slow((0, 0)) and canvas.model.pending_field is None


def test_field_cache_matches_the_engine_on_every_position() -> None:
    from convdesigner.gui.canvas.layout import FieldCache

    pool = Layer.make("MaxPool2d", "pool", {"kernel_size": 2, "stride": 2})
    up = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1})
    analysis = analyze(design(conv(padding=1, dilation=2), pool, up, conv("last", stride=2), size=(17, 21)))
    cache = FieldCache()
    last = len(analysis.layers) - 1
    rows, cols = analysis.layers[last].output_shape[1:]
    for r in range(rows):
        for c in range(cols):
            assert cache.get(analysis, last, (r, c)) == analysis.dependency_interval(last, (r, c))
    assert rows > 2 and cache.computed == cols + rows - 1  # the first row, then one call per row


def test_a_narrow_canvas_wraps_its_legend_instead_of_dropping_items(canvas) -> None:
    from PySide6.QtCore import QRectF

    from convdesigner.gui.canvas.chrome import _legend_items, legend_rows
    from convdesigner.gui.canvas.painter import stage_for

    up = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1})
    canvas.show_layer(analyze(design(up, size=(3, 3))), 0)  # figure 4.6: padding, inserted zeros
    labels = [label for label, _color, _dashed in _legend_items(canvas.model, "direct", LIGHT)]
    assert {"taps on zeros", "being produced", "hover: outputs using it"} <= set(labels)
    wide, narrow = QRectF(0, 0, 1200, 500), QRectF(0, 0, 420, 500)
    assert len(legend_rows(wide, canvas.model, "direct", LIGHT)) == 1
    rows = legend_rows(narrow, canvas.model, "direct", LIGHT)
    assert len(rows) >= 2 and [label for row in rows for _x, label, _c, _d in row] == labels
    assert all(x + 19 < narrow.right() for row in rows for x, _label, _c, _d in row)
    # the grids make room for the extra rows
    assert stage_for(narrow, canvas.model, canvas.state).bottom() == pytest.approx(
        stage_for(wide, canvas.model, canvas.state).bottom() - 20 * (len(rows) - 1))


@pytest.mark.parametrize("size", [(900, 537), (901, 540), (877, 523), (1000, 640)])
def test_a_grids_border_lies_on_its_cell_lines(qapp, size) -> None:
    """The border of a grid and its cell lines round to the same pixels: each border is two pixels thick
    on every side (a line rounded apart from it made a 3-pixel bottom edge in figure 4.7)."""
    from PySide6.QtCore import QRectF

    from convdesigner.gui.canvas.export import render_frame
    from convdesigner.gui.canvas.painter import stage_for

    up = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1,
                                               "output_padding": 1})
    model = CanvasModel(analyze(design(up, size=(3, 3))), 0)  # figure 4.7: a 6x6 output
    state = PaintState(step=0, show_field=False)
    image = render_frame(model, state, size)
    cam = model.fit(stage_for(QRectF(0, 0, *size), model, state), "direct")
    out = next(g for g in model.grids("direct") if g.name == "output")
    x, _ = cam.px(out.x + 3.5, 0)
    _, top = cam.px(0, out.y)
    _, bottom = cam.px(0, out.y + out.height)
    line = LIGHT.output_line

    def thickness(y0: float) -> int:
        return sum(image.pixelColor(round(x), y) == line for y in range(round(y0) - 4, round(y0) + 5))

    assert thickness(top) == thickness(bottom) == 2


def test_the_step_label_is_as_wide_as_the_widest_step(canvas) -> None:
    canvas.show_layer(analyze(design(conv(out_channels=4, padding=1), size=(224, 224), channels=3)), 0)
    canvas.set_step(canvas.step_count() - 1)
    label = canvas.step_label
    assert label.text() == "50176 / 50176"
    assert label.minimumWidth() >= label.fontMetrics().horizontalAdvance(label.text())
    canvas.set_step(0)  # "1 / 50176": the same width, so the slider does not move as digits change
    assert label.minimumWidth() >= label.fontMetrics().horizontalAdvance("50176 / 50176")


def test_a_burst_of_steps_computes_only_the_last_steps_field(canvas, qtbot, monkeypatch) -> None:
    from convdesigner.gui.canvas.layout import DEFER_FIELD_DEPTH, FIELDS
    from convdesigner.gui.canvas.widget import FIELD_DELAY_MS

    FIELDS.clear()
    analysis = analyze(deep_design(DEFER_FIELD_DEPTH // 2 + 1))
    calls = []
    original = type(analysis).dependencies
    monkeypatch.setattr(type(analysis), "dependencies",
                        lambda self, index, position: calls.append(position) or original(self, index, position))
    assert canvas._field_timer.interval() == FIELD_DELAY_MS
    canvas._field_timer.setInterval(1000)  # a wide margin against a loaded machine's late timers
    canvas.show_layer(analysis, DEFER_FIELD_DEPTH)
    canvas.view_widget.repaint()
    for row in range(1, 5):  # held arrow keys: a frame every 30 ms, the event loop free in between
        qtbot.wait(30)
        canvas.set_step(canvas.model.frames.step_of((row, row)))
        canvas.view_widget.repaint()
    assert calls == []
    qtbot.waitUntil(lambda: calls == [(4, 4)])


def test_a_padded_or_stretched_input_is_captioned_with_the_layers_own_input(canvas) -> None:
    canvas.show_layer(analyze(design(conv(padding=1), size=(5, 5))), 0)
    grid = canvas.model.grids("direct")[0]
    assert (grid.title, grid.note) == ("padded input", "(input 5×5)")
    canvas.show_layer(analyze(design(conv(), size=(5, 5))), 0)
    grid = canvas.model.grids("direct")[0]
    assert (grid.title, grid.note) == ("input", "")
    one = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3})  # stride 1: not stretched
    canvas.show_layer(analyze(design(one, size=(4, 4))), 0)
    grid = canvas.model.grids("direct")[0]
    assert grid.title == "padded input" and grid.note == "(input 4×4)"
    from convdesigner.gui.canvas.chrome import _axis_labels

    assert "stretched" not in " ".join(_axis_labels(canvas.model, "direct"))
    two = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2})
    canvas.show_layer(analyze(design(two, size=(3, 3))), 0)
    assert canvas.model.grids("direct")[0].title == "stretched, padded input"


def test_the_conv_subtitle_stops_suggesting_dilation_once_it_is_set() -> None:
    from convdesigner.gui.formatting import subtitle

    assert "set dilation" in subtitle("Conv2d", {})
    assert subtitle("Conv2d", {"dilation": 2}) == "2-D convolution, dilated (d = 2)"
    assert "set dilation" in subtitle("Conv2d", {"dilation": 1})


def test_the_overlap_view_has_a_colour_scale_and_the_legend_names_the_previous_window(canvas) -> None:
    from convdesigner.gui.canvas.chrome import _legend_items
    from convdesigner.gui.canvas.palette import heat

    up = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2})
    canvas.show_layer(analyze(design(up, size=(3, 3))), 0)
    items = _legend_items(canvas.model, "overlap", LIGHT)
    values = canvas.model.overlap_values()
    assert [label for label, _c, _d in items[:len(values)]] == [f"{v} tap{'s' if v != 1 else ''}" for v in values]
    assert [c.name() for _l, c, _d in items[:len(values)]] == [heat(LIGHT, v, max(values)).name() for v in values]
    assert "previous window" in [label for label, _c, _d in _legend_items(canvas.model, "direct", LIGHT)]
    pool = Layer.make("MaxPool2d", "pool", {"kernel_size": 2})
    canvas.show_layer(analyze(design(pool, size=(5, 5))), 0)
    assert "never visited (ceil_mode visits them)" in [label for label, _c, _d in
                                                       _legend_items(canvas.model, "direct", LIGHT)]


def test_the_field_miniature_says_when_the_field_is_the_whole_input() -> None:
    from convdesigner.gui.canvas.chrome import field_lines

    assert field_lines((1, 1), 1, 1, (0, 0), (0, 0)) == ["the input is one unit:", "every output sees it"]
    assert field_lines((5, 5), 5, 5, (0, 4), (0, 4)) == ["the whole input"]
    assert field_lines((5, 5), 5, 5, (0, 2), (1, 3)) == ["rows 0–2", "cols 1–3"]


def test_merged_cells_are_never_silent_and_zoom_reaches_single_cells(canvas, qtbot) -> None:
    from convdesigner.gui.canvas.painter import merge_note

    canvas.resize(700, 480)
    canvas.show_layer(analyze(design(conv(kernel_size=3), size=(66, 66))), 0)
    qtbot.waitUntil(lambda: canvas.view_widget.current_camera().scale < MIN_CELL_PX)
    scale = canvas.view_widget.current_camera().scale
    assert merge_note(scale, False).startswith("1 square = ") and "×" in merge_note(scale, False)
    image = canvas.render_image((700, 480))  # an export states the merge in the image too
    assert not image.isNull()
    for _ in range(12):
        qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.view_widget.current_camera().scale >= MIN_CELL_PX and merge_note(
        canvas.view_widget.current_camera().scale, False) == ""


def test_fit_fills_and_the_matrix_numbers_of_figure_2_6_are_readable(qtbot) -> None:
    """Figure 2.6 (5x5, k3 s2 p1) in the matrix view with numbers, in the default window: Fit leaves the
    cells large enough for their numbers."""
    from pathlib import Path

    from convdesigner.gui.main_window import MainWindow
    from convdesigner.io.design_file import load

    root = Path(__file__).resolve().parents[1]
    window = MainWindow(load(root / "resources" / "examples" / "paper" / "figure-2.6.yaml"), persistent=False)
    qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
    window.show()
    qtbot.waitExposed(window)
    window.document.select([0])
    window.canvas.set_view("matrix")
    window.canvas.set_numbers(True)
    qtbot.waitUntil(lambda: not window.canvas.numbers_hidden())


def test_ceil_modes_overhanging_window_is_in_the_legend(canvas) -> None:
    from convdesigner.gui.canvas.chrome import _legend_items

    pool = Layer.make("MaxPool2d", "pool", {"kernel_size": 2, "ceil_mode": True})
    canvas.show_layer(analyze(design(pool, size=(5, 5))), 0)  # the last window hangs one unit past the border
    labels = [label for label, _c, _d in _legend_items(canvas.model, "direct", LIGHT)]
    assert "window past the border (ceil_mode)" in labels
    canvas.show_layer(analyze(design(Layer.make("MaxPool2d", "pool", {"kernel_size": 2}), size=(4, 4))), 0)
    assert "window past the border (ceil_mode)" not in [label for label, _c, _d in
                                                        _legend_items(canvas.model, "direct", LIGHT)]


def test_a_zoomed_up_canvas_still_hits_the_cell_under_the_pointer(canvas, qtbot) -> None:
    """Presentation mode draws everything larger: clicks and hover still land on the cell drawn there."""
    canvas.set_presenting(True)
    canvas.show_layer(analyze(design(conv(stride=2, padding=1))), 0)
    qtbot.mouseClick(canvas.view_widget, Qt.MouseButton.LeftButton, pos=cell_center(canvas, "output", 2, 1))
    assert canvas.output_position() == (2, 1)
    canvas.set_presenting(False)


def test_a_grid_title_near_the_stages_edge_is_moved_inside_it(qapp) -> None:
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QFontMetricsF

    from convdesigner.gui.canvas.chrome import _inside
    from convdesigner.gui.canvas.draw import font

    metrics = QFontMetricsF(font(12))
    stage = QRectF(0, 0, 290, 300)
    x = _inside(250, "output 16×16", stage, metrics)
    assert x + metrics.horizontalAdvance("output 16×16") <= stage.right() and x >= stage.left()
    assert _inside(20, "output", stage, metrics) == 20  # a title that fits stays where its grid starts


def window_at_1024x700(qtbot, shown: Design):
    """A main window of 1024x700 on ``shown``, its first layer selected (the canvas then is about 420x335)."""
    from convdesigner.gui.main_window import MainWindow

    window = MainWindow(shown, persistent=False)
    qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    window.document.select([0])
    return window


@pytest.mark.parametrize("size", [(96, 96), (6, 300), (8, 8)])
def test_at_1024x700_no_title_touches_a_locator_ring_of_tiny_cells(qtbot, size) -> None:
    """Issue 16: in a 1024x700 window a 96x96 layer (or a wide 6x300 one, or an 8x8 one) draws cells under 12 px,
    so the current cells and the receptive field get locator rings; whatever the step along the top row, no ring touches a grid
    title, no title touches another, and none is clipped at the stage's top."""
    from convdesigner.gui.canvas.chrome import field_rects, title_boxes
    from convdesigner.gui.canvas.draw import at_least, cell_rect, locator_rect
    from convdesigner.gui.canvas.painter import _titled, stage_for

    widget = window_at_1024x700(qtbot, design(conv(padding=1), size=size)).canvas
    view = widget.view_widget
    for col in sorted({0, 1, 5, min(40, size[1] - 1), size[1] - 1}):
        widget.set_step(col)  # output (0, col): a cell of the top row
        cam = view.current_camera()
        assert cam.scale < 12
        grids = _titled(widget.model, "direct", False, col, cam)
        stage = stage_for(view._rect(), widget.model, widget.state)
        boxes = title_boxes(stage, cam, grids)
        output = next(g for g in grids if g.name == "output")
        rings = [locator_rect(at_least(cell_rect(cam, output, 0, col))),
                 locator_rect(cell_rect(cam, grids[0], 0, col, 3, 3))]
        interval = widget.model.field((0, col))
        miniature, field = field_rects(stage, size, interval)
        field_ring = locator_rect(field)
        assert rings[0] is not None  # the current output cell's
        if field_ring is not None:
            assert field_ring.left() > stage.right()  # the field's ring stays in its column
        rings = [ring for ring in [*rings, field_ring] if ring is not None]
        for box, text in boxes:
            assert stage.contains(box), text
            for ring in rings:
                assert not box.intersects(ring), (col, text)
        assert all(not a.intersects(b) for n, (a, _t) in enumerate(boxes) for b, _u in boxes[n + 1:])


def test_figure_2_6_matrix_numbers_are_readable_after_fit_at_1024x700(qtbot) -> None:
    """Issue 16: in a 1024x700 window the canvas is far smaller than the 9x25 matrix at readable cells; Fit keeps
    the numbers readable and shows the current row's entries, and follows the row as the steps go."""
    from pathlib import Path

    from convdesigner.gui.canvas.draw import cell_rect
    from convdesigner.gui.canvas.painter import stage_for
    from convdesigner.io.design_file import load

    root = Path(__file__).resolve().parents[1]
    canvas = window_at_1024x700(qtbot, load(root / "resources" / "examples" / "paper" / "figure-2.6.yaml")).canvas
    canvas.set_view("matrix")
    canvas.set_numbers(True)
    qtbot.mouseClick(canvas.zoom_bar.widgetForAction(canvas.fit_action), Qt.MouseButton.LeftButton)
    for step in (0, 4, 8):
        canvas.set_step(step)
        assert not canvas.numbers_hidden()
        view = canvas.view_widget
        cam = view.current_camera()
        stage = stage_for(view._rect(), canvas.model, canvas.state)
        matrix = canvas.model.grids("matrix", True)[0]
        for column in canvas.model.matrix().row(step):
            assert stage.contains(cell_rect(cam, matrix, step, column)), (step, column)


def test_grid_titles_stand_clear_of_the_stacked_channel_planes(canvas) -> None:
    """Channel planes stacked behind the grids (up and to the right) never cover their titles, for a
    convolution and for a pad."""
    from convdesigner.gui.canvas.chrome import title_boxes
    from convdesigner.gui.canvas.draw import cell_rect
    from convdesigner.gui.canvas.painter import STACKED_PLANES, _stack_lift, _titled, plane_offset, stage_for

    pad = Layer.make("ReplicationPad2d", "pad", {"padding": 1})
    for layer in (conv(out_channels=3), pad):
        canvas.show_layer(analyze(design(layer, channels=3)), 0)
        canvas.set_planes(True)
        view = canvas.view_widget
        cam = view.current_camera()
        stage = stage_for(view._rect(), canvas.model, canvas.state)
        grids = _titled(canvas.model, "direct", False, 0, cam)
        boxes = title_boxes(stage, cam, grids, _stack_lift(canvas.model, "direct", canvas.state, cam))
        for g in grids:
            back = STACKED_PLANES * plane_offset(cam.scale)
            plane = cell_rect(cam, g, 0, 0, g.height, g.width).translated(back, -back)
            for box, text in boxes:
                assert not box.intersects(plane), (layer.type, text)
        canvas.set_planes(False)


def _drawn_box(image) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the pixels that differ from the image's corner (its background)."""
    background = image.pixel(0, 0)
    xs, ys = [], []
    for y in range(image.height()):
        for x in range(image.width()):
            if image.pixel(x, y) != background:
                xs.append(x)
                ys.append(y)
    return min(xs), min(ys), max(xs), max(ys)


@pytest.mark.parametrize("number", ["1.1", "2.6", "4.1", "5.1"])
def test_a_gallery_thumbnail_fills_its_frame_with_the_grids(number: str, qtbot) -> None:
    """Help > Paper Figures' thumbnails (160×96) showed each figure's grids about 20 px tall, low in the frame and
    ringed as too small to find: the fit kept room above them for titles, which a thumbnail does not draw."""
    from convdesigner import figures
    from convdesigner.gui.canvas.export import render_frame
    from convdesigner.gui.canvas.gallery import THUMBNAIL, figure_model, thumbnail_state

    figure = figures.paper_figure(number)
    left, top, right, bottom = _drawn_box(render_frame(figure_model(figure), thumbnail_state(figure), THUMBNAIL))
    width, height = THUMBNAIL
    assert right - left >= 0.6 * width or bottom - top >= 0.5 * height  # filled along one side at least
    assert abs(top - (height - 1 - bottom)) <= 6 and abs(left - (width - 1 - right)) <= 6  # centred
