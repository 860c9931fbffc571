"""The layer list keeps each row's last two formattings: a value set back, an undo or a redo formats no row
but the edited layer's (a new layer object), and every cell (every role a view reads) is exactly what a model
formatting afresh gives."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPalette
from test_row_cache import long_design

from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.gui.stack_model import HEADERS, StackModel

ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.DecorationRole,
         Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.FontRole,
         Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.ToolTipRole)


def comparable(value):
    if isinstance(value, QIcon):
        return value.pixmap(16, 16).toImage()
    if isinstance(value, QColor | QFont):
        return value.toString() if isinstance(value, QFont) else value.name(QColor.NameFormat.HexArgb)
    return value


def cells(model: StackModel) -> list:
    return [[comparable(model.index(row, column).data(role)) for role in ROLES]
            for row in range(model.rowCount()) for column in range(len(HEADERS))]


def assert_as_formatted_afresh(window) -> None:
    fresh = StackModel(window.document)
    fresh.collapsed = set(window.stack.model.collapsed)  # (a view's state, not the design's)
    assert cells(window.stack.model) == cells(fresh)
    fresh.deleteLater()


def blocks_design() -> Design:
    """Convolutions, one of them joined further down, and a block of dotted names."""
    layers = [Layer.make("Conv2d", "c1", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
              Layer.make("ReLU", "block.r1"), Layer.make("ReLU", "block.r2"),
              Layer.make("Conv2d", "c2", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
              Layer.make("Add", "sum", inputs=("c2", "c1"))]
    return Design("Blocks", InputSpec(4, (16, 16)), tuple(layers))


def test_a_value_set_back_an_undo_and_a_redo_format_the_edited_row_alone(make_ui, qtbot):
    window = make_ui(long_design(40)).window
    window.document.select([0])
    model = window.stack.model
    properties = window.properties
    for size in (5, 3, 5, 3):  # each shape below the edit shown once as a 3 and once as a 5
        properties.set_argument("kernel_size", size)
        qtbot.wait(20)
    steps = [lambda size=size: properties.set_argument("kernel_size", size) for size in (5, 3, 5)]
    steps += [window.document.undo_stack.undo, window.document.undo_stack.redo]
    for step in steps:  # every row below the edit shows what it showed two steps before
        formatted = model.formatted_rows
        step()
        qtbot.wait(20)
        assert model.formatted_rows - formatted <= 1  # the first layer's row (its layer a new object)
    assert window.document.design.layers[0].get("kernel_size") == 5
    assert_as_formatted_afresh(window)
    formatted = model.formatted_rows
    properties.set_argument("kernel_size", 7)  # values not shown before: the rows on screen formatted
    qtbot.wait(20)
    assert model.formatted_rows - formatted > 10
    assert_as_formatted_afresh(window)


def test_kept_formattings_equal_a_fresh_model_through_edits(make_ui, qtbot, qapp):
    """Through edits, an error and its fix, a rename, a join's source changed, an insertion, a removal, a
    block collapsed and a new palette, the model's cells equal those of a model formatting them afresh."""
    window = make_ui(blocks_design()).window
    document = window.document
    model = window.stack.model
    window.document.select([0])
    steps = [
        lambda: window.properties.set_argument("kernel_size", 5),
        lambda: window.properties.set_argument("kernel_size", 99),  # an error: the rows below not computed
        lambda: window.properties.set_argument("kernel_size", 3),
        lambda: document.undo_stack.undo(),
        lambda: document.undo_stack.undo(),
        lambda: document.undo_stack.redo(),
        lambda: model.setData(model.index(3, 1), "c2renamed"),
        lambda: document.undo_stack.undo(),
        lambda: window.properties.set_argument("out_channels", 4),  # the join below refuses the channels
        lambda: document.undo_stack.undo(),
        lambda: model.set_collapsed("block", True),
        lambda: model.set_collapsed("block", False),
    ]
    for step in steps:
        step()
        qtbot.wait(20)
        assert_as_formatted_afresh(window)
    original = qapp.palette()
    try:
        dark = QPalette(original)
        dark.setColor(QPalette.ColorRole.Base, Qt.GlobalColor.black)
        qapp.setPalette(dark)
        model.refresh_colours()
        window.properties.set_argument("kernel_size", 5)  # shown before, in the old colours
        qtbot.wait(20)
        assert_as_formatted_afresh(window)
    finally:
        qapp.setPalette(original)
        model.refresh_colours()
