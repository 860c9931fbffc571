"""Selection lives in the document: a click in any view (layer table, analysis tables, chart, plot) selects
that layer everywhere; the plots name what the pointer is over. Clicks are real mouse events."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolTip

from convdesigner.gui.stack_model import NAME

LEFT = Qt.MouseButton.LeftButton


def click_table_row(qtbot, table, row: int) -> None:
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, rect.center())


def shown_everywhere(window, row: int) -> None:
    assert window.document.selection == [row]
    assert window.stack_view.selected_rows() == [row]
    name = window.document.design.layers[row].name
    assert window.properties.title.text().count(name)
    assert window.canvas.model.result.name == name
    for panel in (window.rf_panel, window.params_panel):
        assert [i.row() for i in panel.table.selectionModel().selectedRows()] == [row]


def loaded(window, qtbot, panel):
    """The panel's plot built, laid out and drawn, as a user sees it after the window's first paint."""
    window.load_plots()
    qtbot.waitUntil(lambda: panel.host.plot.width() > 150 and panel.host.plot.height() > 100)
    panel.host.refresh_now()
    qtbot.wait(10)
    return panel


def test_a_row_of_the_receptive_field_table_selects_the_layer_everywhere(ui, qtbot):
    window = ui.window
    ui.click_row(0)
    click_table_row(qtbot, window.rf_panel.table, 2)
    shown_everywhere(window, 2)


def test_a_row_of_the_parameters_table_selects_the_layer_everywhere(ui, qtbot):
    window = ui.window
    ui.click_row(0)
    click_table_row(qtbot, window.params_panel.table, 3)
    shown_everywhere(window, 3)
    click_table_row(qtbot, window.params_panel.table, 4)  # the totals row selects no layer
    shown_everywhere(window, 3)  # and the table keeps showing the selected layer (it highlighted the totals)


def test_a_multi_selection_survives_the_panels_following_it(ui):
    window = ui.window
    ui.click_row(0)
    ui.click_row(2, Qt.KeyboardModifier.ShiftModifier)
    assert window.document.selection == [0, 1, 2]
    assert ui.view.selected_rows() == [0, 1, 2]


def test_a_bar_of_the_chart_selects_its_layer_and_names_it_on_hover(ui, qtbot):
    window = ui.window
    panel = loaded(window, qtbot, window.params_panel)
    chart = panel.chart
    heights = chart.panes[0].bars
    point = chart.point_at(0, 3, heights[2] / 2)  # conv2's bar (x = position + 1)
    qtbot.mouseMove(chart, point)
    qtbot.waitUntil(lambda: QToolTip.isVisible() and "conv2" in QToolTip.text())
    assert "1\u2009168" in QToolTip.text()
    qtbot.mouseClick(chart, LEFT, Qt.KeyboardModifier.NoModifier, point)
    shown_everywhere(window, 2)


def test_a_point_of_the_receptive_field_plot_selects_its_layer_and_names_it_on_hover(ui, qtbot):
    window = ui.window
    panel = loaded(window, qtbot, window.rf_panel)
    chart = panel.chart
    point = chart.point_at(0, 4, 5)  # relu2: field 5
    qtbot.mouseMove(chart, point)
    qtbot.waitUntil(lambda: QToolTip.isVisible() and "relu2" in QToolTip.text())
    assert "size 5" in QToolTip.text() and "jump 2" in QToolTip.text()
    qtbot.mouseClick(chart, LEFT, Qt.KeyboardModifier.NoModifier, point)
    shown_everywhere(window, 3)
    assert ui.column(NAME)[3] == "relu2"
