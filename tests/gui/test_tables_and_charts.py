"""Tables and charts read as written: whole names and arguments (elided in the middle, whole in tooltips),
chart axes labelled in the panel's own words without rounded-away ticks, one way of writing jumps, partial
totals."""

from __future__ import annotations

from gui_helpers import small_encoder
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLineEdit

from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.gui.stack_model import ARGUMENTS, NAME, TYPE

LONG = "convtranspose_decoder_up1"


def long_names() -> Design:
    return Design("Decoder", InputSpec(4, (4, 4)), (
        Layer.make("ConvTranspose2d", LONG, {"out_channels": 8, "kernel_size": 4, "stride": 2, "padding": 1}),
        Layer.make("ReLU", "relu"),
    ))


def loaded(window, qtbot, panel):
    window.load_plots()
    qtbot.waitUntil(lambda: panel.host.plot.width() > 150 and panel.host.plot.height() > 100)
    panel.host.refresh_now()
    return panel


def test_names_and_types_are_whole_and_arguments_keep_their_room(make_ui):
    ui = make_ui(long_names())
    view = ui.view
    metrics = view.fontMetrics()
    assert view.columnWidth(NAME) >= metrics.horizontalAdvance(LONG)
    assert view.columnWidth(TYPE) >= metrics.horizontalAdvance("ConvTranspose2d")
    assert view.textElideMode() == Qt.TextElideMode.ElideMiddle
    assert ui.cell(0, NAME, Qt.ItemDataRole.ToolTipRole).startswith(LONG)
    assert ui.cell(0, ARGUMENTS, Qt.ItemDataRole.ToolTipRole).startswith("8 ch, k4 s2 p1")
    window = ui.window
    window.resizeDocks([window.layers_dock], [240], Qt.Orientation.Horizontal)  # a narrow dock scrolls
    ui.qtbot.waitUntil(lambda: view.viewport().width() < 380)  # sideways, never cuts Arguments to nothing
    assert view.columnWidth(ARGUMENTS) >= metrics.horizontalAdvance("8 ch, k4 s2 p1")


def test_analysis_cells_are_sized_to_content_and_whole_in_tooltips(make_ui):
    ui = make_ui(long_names())
    for panel in (ui.window.rf_panel, ui.window.params_panel):
        table = panel.table
        assert table.columnWidth(0) >= table.fontMetrics().horizontalAdvance(LONG)
        assert table.textElideMode() == Qt.TextElideMode.ElideMiddle
        assert table.model().index(0, 0).data(Qt.ItemDataRole.ToolTipRole).startswith(LONG)


def test_the_chart_axes_carry_no_scale_of_their_own_and_no_rounded_ticks(make_ui, qtbot):
    ui = make_ui(small_encoder())
    panel = loaded(ui.window, qtbot, ui.window.params_panel)
    ui.choose(panel.metric, "MACs")
    panel.host.refresh_now()
    pane = panel.chart.panes[0]
    assert pane.title == "MACs" and pane.whole
    ticks = panel.chart.y_ticks(0)
    assert ticks and all(value == int(value) for value, _text in ticks)  # no "0 0 0 0" from fractions
    assert [pane.tick_text(v) for v in (0, 500_000, 1_000_000)] == ["0", "500 k", "1.00 M"]


def test_layer_ticks_are_whole_numbers_that_do_not_collide(make_ui, qtbot):
    layers = tuple(Layer.make("ReLU", f"relu{n}") for n in range(120))
    ui = make_ui(Design("Deep", InputSpec(1, (8, 8)), layers))
    for panel in (ui.window.params_panel, ui.window.rf_panel):
        chart = loaded(ui.window, qtbot, panel).chart
        ticks = chart.x_ticks()
        assert ticks and all(isinstance(x, int) for x in ticks)
        rect = chart.plot_rects()[-1]
        pixels = [chart.x_at(rect, x) for x in ticks]
        label = QFontMetrics(chart.font()).horizontalAdvance("120")
        assert min(b - a for a, b in zip(pixels, pixels[1:])) > label


def test_file_new_clears_the_chart(make_ui, qtbot):
    ui = make_ui(small_encoder())
    panel = loaded(ui.window, qtbot, ui.window.params_panel)
    ui.trigger(ui.window.new_action)
    panel.host.refresh_now()
    assert panel.chart.panes[0].bars == ()
    assert panel.chart.x_ticks() == []
    assert panel.chart.y_ticks(0) == []


def test_jumps_are_written_as_fractions_everywhere(make_ui, qtbot):
    ui = make_ui(long_names())
    panel = loaded(ui.window, qtbot, ui.window.rf_panel)
    model = panel.table.model()
    assert model.index(0, 2).data() == "1/2"  # jump after a stride-2 transposed convolution
    jump = panel.chart.panes[1]
    assert [jump.tick_text(v) for v in (0.25, 0.5, 1.0)] == ["1/4", "1/2", "1"]
    assert [text for _value, text in panel.chart.y_ticks(1)][-1] == "1"


def test_the_total_row_says_when_it_is_partial(ui):
    model = ui.window.params_panel.table.model()
    total = model.rowCount() - 1
    assert model.index(total, 0).data() == "Total"
    ui.click_row(2)
    ui.type_into(ui.argument("kernel_size").editor.spins[0], "99")  # conv2 now has an error
    assert model.index(total, 0).data() == "Total (partial)"
    tip = model.index(total, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "conv2" in tip and "relu2" in tip and "not computed" in tip


def test_a_longer_name_widens_its_columns_after_a_rename(ui, qtbot):
    view = ui.view
    ui.click_row(0)
    ui.trigger(ui.window.rename_action)  # F2
    editor = [e for e in view.viewport().findChildren(QLineEdit) if e.isVisible()][0]
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, LONG)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ui.window.document.design.layers[0].name == LONG)
    width = view.fontMetrics().horizontalAdvance(LONG)
    qtbot.waitUntil(lambda: view.columnWidth(NAME) >= width)
    table = ui.window.params_panel.table
    assert table.columnWidth(0) >= table.fontMetrics().horizontalAdvance(LONG)


def test_layer_ticks_are_evenly_spaced_at_every_width(qtbot):
    """Whatever step the width allows, the labelled layers are that step apart (never 1 beside 2)."""
    from convdesigner.gui.panels.chart import LayerChart, Pane

    chart = LayerChart(lambda _index: None, "layer")
    qtbot.addWidget(chart)
    chart.set_data([Pane("value", bars=tuple(range(11)))], 1, 11, 11)
    chart.show()
    for width in range(120, 520, 20):
        chart.resize(width, 200)
        qtbot.waitUntil(lambda w=width: abs(chart.width() - w) <= 1)
        ticks = chart.x_ticks()
        assert ticks and len({b - a for a, b in zip(ticks, ticks[1:])}) <= 1, (width, ticks)


def test_a_line_is_drawn_through_exactly_its_points(qapp) -> None:
    """The charts read a line's points from their coordinates at once (`chart.polygon`): the same points,
    in order, as made one by one, for no point, one, and a thousand with negative and fractional values."""
    import random

    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QPolygonF

    from convdesigner.gui.panels.chart import polygon

    generator = random.Random(15)
    for count in (0, 1, 1000):
        xs = [generator.uniform(-5, 400) for _ in range(count)]
        ys = [generator.uniform(-1e6, 1e6) for _ in range(count)]
        assert polygon(xs, ys) == QPolygonF([QPointF(x, y) for x, y in zip(xs, ys)])
        assert [(p.x(), p.y()) for p in polygon(xs, ys)] == list(zip(xs, ys))
