"""A selection paints only what changed: the canvas draws a frame it painted before from its kept pixels,
the analysis tables' headers are not repainted when what they show of the selection is the same, their
scroll bars draw positions shown before from kept pixels, and the properties' title and shapes line lay out
the form again only when their height changes."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QImage
from test_app import LayoutRequests
from test_row_cache import long_design

from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.gui.canvas.widget import CACHED_FRAMES
from convdesigner.gui.undo_commands import RenameLayer


def on_screen(window, widget) -> QImage:
    """The widget's pixels as the window painted them (its backing store, not a new paint)."""
    corner = widget.mapTo(window, QPoint(0, 0))
    image = window.screen().grabWindow(window.winId(), corner.x(), corner.y(), widget.width(),
                                       widget.height()).toImage()
    return image.convertToFormat(QImage.Format.Format_RGB32)


def painted_afresh(qtbot, window, widget, switch) -> QImage:
    """The widget's pixels once it painted itself with ``switch`` (its cache) off."""
    switch(False)
    try:
        widget.update()
        qtbot.wait(30)
        return on_screen(window, widget)
    finally:
        switch(True)


class Paints(LayoutRequests):
    """Counts the paint events a widget receives."""

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def canvas_shown(make_ui, qtbot, rows: tuple[int, ...]):
    """A window on 40 layers whose canvas showed these rows in turn, and its canvas view."""
    window = make_ui(long_design(40)).window
    for row in rows:
        window.document.select([row])
        qtbot.wait(40)
    return window, window.canvas.view_widget


def assert_painted_as_afresh(qtbot, window, view) -> None:
    assert on_screen(window, view) == painted_afresh(qtbot, window, view,
                                                     lambda on: setattr(view, "cache_frames", on))


def test_a_layer_selected_again_draws_the_frame_it_painted_before(make_ui, qtbot):
    window, view = canvas_shown(make_ui, qtbot, (4, 6, 30))
    painted = view.frames_painted
    for row in (4, 6, 30, 4):  # each shown before, the same size, view and step: no frame painted
        window.document.select([row])
        qtbot.wait(40)
        assert view.frames_painted == painted
    assert_painted_as_afresh(qtbot, window, view)
    painted = view.frames_painted  # (and the one painted afresh)
    blitted = view.frames_blitted
    window.canvas.set_step(3)  # another frame of the layer: painted, and kept
    qtbot.wait(40)
    assert view.frames_painted == painted + 1
    window.canvas.set_step(0)
    qtbot.wait(40)
    assert view.frames_painted == painted + 1 and view.frames_blitted > blitted
    window.properties.set_argument("kernel_size", 5)  # the layer's new result: painted afresh
    qtbot.wait(40)
    assert view.frames_painted == painted + 2
    assert window.canvas.model.result.layer.get("kernel_size") == 5
    assert_painted_as_afresh(qtbot, window, view)


def test_a_frame_painted_again_under_a_key_it_kept_is_kept_as_the_newest(make_ui, qtbot):
    """Reproducer: a layer whose result is unchanged but a layer above it renamed keeps its frame's key and is
    painted again; the new pixels replaced the kept ones in their place, the oldest, so the next frame kept
    evicted the frame just painted and the layer, selected again, was painted a third time."""
    window, view = canvas_shown(make_ui, qtbot, (4, 30, 6, 8, 10, 12, 14, 16))
    assert len(view._frames) == CACHED_FRAMES
    window.document.push(RenameLayer(window.document, 0, "stem"))  # selects it: its frame kept, 4's evicted
    qtbot.wait(40)
    painted = view.frames_painted
    window.document.select([30])  # its key kept (its result the same), what it shows not (a name above it)
    qtbot.wait(40)
    assert view.frames_painted == painted + 1
    window.document.select([18])  # one more frame kept: the least recently shown, 6's, goes
    qtbot.wait(40)
    window.document.select([30])
    qtbot.wait(40)
    assert view.frames_painted == painted + 2  # 18's; 30's drawn from the pixels kept a moment ago
    assert_painted_as_afresh(qtbot, window, view)


def test_a_canvas_frame_kept_is_not_drawn_in_another_font(make_ui, qtbot):
    window, view = canvas_shown(make_ui, qtbot, (4, 6, 4))
    painted = view.frames_painted
    font = view.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    view.setFont(font)  # the titles and legend in larger text: the same layer painted afresh
    view.update()
    qtbot.wait(40)
    assert view.frames_painted == painted + 1
    assert_painted_as_afresh(qtbot, window, view)


def test_the_canvas_keeps_a_few_frames_and_none_while_playing(make_ui, qtbot, monkeypatch):
    from convdesigner.gui.canvas import widget

    window = make_ui(long_design(40)).window
    view = window.canvas.view_widget
    for row in range(0, 40, 2):  # every convolution
        window.document.select([row])
        qtbot.wait(20)
    assert len(view._frames) == CACHED_FRAMES
    frame = view.width() * view.height() * view.devicePixelRatio() ** 2
    monkeypatch.setattr(widget, "MAX_FRAME_PIXELS", int(2.5 * frame))  # (a large canvas, a dense screen)
    for row in (0, 2, 4, 6):
        window.document.select([row])
        qtbot.wait(20)
    assert len(view._frames) == 2 and view.kept_pixels <= 2.5 * frame
    monkeypatch.undo()
    window.document.select([2])
    qtbot.wait(20)
    kept = dict(view._frames)
    window.canvas.play()
    qtbot.waitUntil(lambda: window.canvas.step() >= 2)
    window.canvas.pause()
    assert dict(view._frames) == kept  # the animation's frames were painted, not kept


def test_a_selection_repaints_no_table_header_unless_its_marks_change(make_ui, qtbot):
    window = make_ui(long_design(200)).window
    window.load_plots()
    window.document.select([3])
    qtbot.wait(60)
    headers = [panel.table.horizontalHeader() for panel in (window.rf_panel, window.params_panel)]
    paints = [Paints(header.viewport()) for header in headers]
    before = [h.mark_updates for h in headers]  # (those before the headers' first paint)
    for row in (150, 5, 199, 4, None, 6):  # near, far, none: the sections show nothing of the selection
        window.document.select([] if row is None else [row])
        qtbot.wait(40)
    assert [p.count for p in paints] == [0, 0]
    assert [h.mark_updates for h in headers] == before
    for header in headers:  # highlighted sections (some row selected) do show it
        header.setHighlightSections(True)
        header.viewport().update()
    qtbot.wait(40)
    for rows, updates in (([150], 0), ([4], 0), ([], 1), ([7], 2)):
        window.document.select(rows)
        qtbot.wait(40)
        assert [h.mark_updates - b for h, b in zip(headers, before)] == [updates, updates]
        for header in headers:
            assert on_screen(window, header) == painted_afresh(qtbot, window, header, lambda _on: None)


def test_the_tables_scroll_bars_draw_positions_shown_before_from_kept_pixels(make_ui, qtbot, qapp, monkeypatch):
    from convdesigner.gui import theme

    original = qapp.palette()
    try:
        for dark in (False, True):
            monkeypatch.setattr(theme, "system_prefers_dark", lambda dark=dark: dark)
            theme.apply_theme(qapp)
            window = make_ui(long_design(200)).window
            window.load_plots()
            qtbot.wait(200)  # the docks laid out
            bars = [view.verticalScrollBar() for view in (window.stack_view, window.rf_panel.table,
                                                          window.params_panel.table)]
            for rows in ((150,), (3,), (199,), (150,), (3,), (199,)):
                window.document.select(list(rows))
                qtbot.wait(60)
                for bar in bars:
                    assert on_screen(window, bar) == painted_afresh(qtbot, window, bar,
                                                                    lambda on, bar=bar: setattr(bar, "keep_pixels", on))
            painted = [bar.painted for bar in bars]
            for row in (150, 3, 199):  # each position shown before
                window.document.select([row])
                qtbot.wait(60)
            assert [bar.painted for bar in bars] == painted
            assert all(bar.reused >= 3 for bar in bars)
            window.close()
    finally:
        qapp.setPalette(original)


class Sizes(LayoutRequests):
    """The sizes a widget is painted at."""

    def __init__(self, widget) -> None:
        super().__init__(widget)
        self.painted: list[tuple[int, int]] = []

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted.append(watched.size().toTuple())
        return False


def named_design() -> Design:
    """Like layers, one of them dilated: its title's second line is shorter and takes one line fewer."""
    layers = [Layer.make("Conv2d", name, {"out_channels": 8, "kernel_size": 3, "padding": 1,
                                          **({"dilation": 2} if name == "dilated" else {})})
              for name in ("c1", "c2", "c3", "dilated", "c5")]
    return Design("Named", InputSpec(8, (16, 16)), tuple(layers))


def test_a_new_title_of_the_same_height_lays_out_nothing_of_the_form(make_ui, qtbot):
    window = make_ui(named_design()).window
    panel = window.properties
    window.document.select([0])
    qtbot.wait(200)  # the window laid out
    form = panel.title.parentWidget().parentWidget()  # the scroll area's content: title, shapes, From, form
    requests = LayoutRequests(form)
    holders = [panel.title.parentWidget(), panel.shapes.parentWidget()]
    refits = [h.refits for h in holders]
    for row in (1, 2, 0, 2):  # other names, the same height (and nothing else of the form changes)
        window.document.select([row])
        qtbot.wait(40)
        assert panel.title.text().count(window.document.design.layers[row].name)
    assert requests.count == 0 and [h.refits for h in holders] == refits
    measures = [h.measures for h in holders]
    for row in (1, 2, 0, 2):  # each title and shapes line measured before
        window.document.select([row])
        qtbot.wait(40)
    assert [h.measures for h in holders] == measures
    window.document.select([3])  # a title on fewer lines: the form is laid out again
    qtbot.wait(40)
    assert requests.count >= 1 and holders[0].refits > refits[0]
    assert panel.title.height() == panel.title.heightForWidth(panel.title.width())


def test_a_title_of_another_height_is_painted_laid_out(make_ui, qtbot):
    """Another type whose title takes another number of lines: the form is laid out before its first paint
    (never a frame with the title at the height of the layer before)."""
    layers = (Layer.make("Conv2d", "c1", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
              Layer.make("ConvTranspose2d", "t2", {"out_channels": 8, "kernel_size": 4, "stride": 2, "padding": 1}),
              Layer.make("Conv2d", "c3", {"out_channels": 8, "kernel_size": 3, "padding": 1, "stride": 2}))
    window = make_ui(Design("Types", InputSpec(8, (16, 16)), layers)).window
    title = window.properties.title
    for row in (0, 1, 2, 1, 0):
        window.document.select([row])
        qtbot.wait(200)
        height = title.height()
        sizes = Sizes(title)
        window.document.select([(row + 1) % 3])
        qtbot.wait(60)
        assert sizes.painted and set(sizes.painted) == {title.size().toTuple()}
        title.removeEventFilter(sizes)
    assert height != title.height()  # (the titles did change height)


def test_the_form_is_laid_out_as_after_a_whole_new_layout_after_any_selection(make_ui, qtbot):
    """The properties as a layout from nothing shows them (the window resized, every size asked again)."""
    window = make_ui(named_design()).window
    window.document.select([1])
    qtbot.wait(200)
    width, height = window.width(), window.height()
    for row in (0, 3, 1, 3, 4, 2):
        window.document.select([row])
        qtbot.wait(60)
        shown = on_screen(window, window.properties)
        places = [(label.mapTo(window, QPoint(0, 0)), label.size())
                  for label in (window.properties.title, window.properties.shapes)]
        window.resize(width + 40, height)
        qtbot.wait(60)
        window.resize(width, height)
        qtbot.wait(60)
        assert on_screen(window, window.properties) == shown
        assert places == [(label.mapTo(window, QPoint(0, 0)), label.size())
                          for label in (window.properties.title, window.properties.shapes)]


def test_a_table_paint_reads_the_rows_the_fill_before_it_read(make_ui, qtbot, monkeypatch):
    """The window's paint follows its update request, where each table filled its row cache: the paint
    takes the rows on screen and their keys from there instead of reading every row's cells again."""
    from convdesigner.gui import cells

    painted = []
    paint = cells.ChangedCellsView.paintEvent  # (Qt calls the method the class had when the view was made)
    monkeypatch.setattr(cells.ChangedCellsView, "paintEvent",
                        lambda view, event: painted.append(view) or paint(view, event))
    window = make_ui(long_design(200)).window
    window.load_plots()
    window.document.select([3])
    qtbot.wait(200)
    reads = []
    keys = cells.ChangedCellsView._keys
    monkeypatch.setattr(cells.ChangedCellsView, "_keys", lambda view, rows: reads.append(view) or keys(view, rows))
    painted.clear()
    window.document.select([150])  # far: all three tables scroll and paint every row on screen
    qtbot.wait(60)
    views = [window.stack_view, window.rf_panel.table, window.params_panel.table]
    assert all(view in painted for view in views)
    assert [reads.count(view) for view in views] == [1, 1, 1]
