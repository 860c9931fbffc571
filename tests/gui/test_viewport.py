"""Viewports made in Python (`gui.viewport.give_viewport`) are set up and paint as the ones Qt makes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QLabel, QScrollArea, QTableView

from convdesigner.gui.theme import dark_palette, light_palette
from convdesigner.gui.viewport import give_viewport


def setup_of(area) -> dict:
    """What a viewport's set-up decides: every widget attribute, its roles, filling, name and focus."""
    viewport = area.viewport()
    setup = {attribute.name: viewport.testAttribute(attribute) for attribute in Qt.WidgetAttribute
             if attribute != Qt.WidgetAttribute.WA_AttributeCount}
    setup.update(background=viewport.backgroundRole(), foreground=viewport.foregroundRole(),
                 fills=viewport.autoFillBackground(), name=viewport.objectName(),
                 focus_proxy=viewport.focusProxy() is area, focus=viewport.focusPolicy(),
                 tracking=viewport.hasMouseTracking(), parent=viewport.parentWidget() is area,
                 geometry=viewport.geometry())
    return setup


def table(qtbot, palette: QPalette, own: bool) -> QTableView:
    model = QStandardItemModel(6, 3)
    for row in range(6):
        for column in range(3):
            model.setItem(row, column, QStandardItem(f"{row}:{column}"))
    view = QTableView()
    view.setPalette(palette)
    if own:
        give_viewport(view, QPalette.ColorRole.Base)
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.resize(320, 260)  # more room than the rows need: the background shows beneath them
    qtbot.addWidget(view)
    view._model = model
    view.show()
    qtbot.waitExposed(view)
    return view


def scroll_area(qtbot, palette: QPalette, own: bool) -> QScrollArea:
    area = QScrollArea()
    area.setPalette(palette)
    if own:
        give_viewport(area)
    area.setWidget(QLabel("a few words\n" * 4))
    area.resize(240, 200)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    return area


@pytest.mark.parametrize("make", [table, scroll_area])
@pytest.mark.parametrize("palette", [light_palette, dark_palette])
def test_a_viewport_made_in_python_is_set_up_and_paints_as_qts_own(qtbot, make, palette):
    theirs, ours = make(qtbot, palette(), own=False), make(qtbot, palette(), own=True)
    assert setup_of(ours) == setup_of(theirs)
    assert ours.grab().toImage() == theirs.grab().toImage()


def test_the_viewport_given_is_the_one_the_area_returns(qtbot):
    area = QScrollArea()
    qtbot.addWidget(area)
    viewport = give_viewport(area)
    assert area.viewport() is viewport and viewport.parentWidget() is area
