"""What the table models and views share: which rows an edit changed, a cell's roles served at once, and
repainting only the cells on screen that changed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QModelRoleDataSpan, Qt
from PySide6.QtGui import QRegion
from PySide6.QtWidgets import QAbstractItemView, QTableView

from ..engine.analysis import LayerResult

TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)


def changed_rows(before: tuple[LayerResult, ...], after: tuple[LayerResult, ...]) -> tuple[int, int] | None:
    """The first and last row whose result is not the very object it was (None: none). The engine keeps the
    results of the unchanged layers above an edit, so an edit changes the rows from the edited layer on."""
    rows = [row for row, (old, new) in enumerate(zip(before, after)) if old is not new]
    rows += range(min(len(before), len(after)), max(len(before), len(after)))
    return (rows[0], rows[-1]) if rows else None


def fill_roles(span: QModelRoleDataSpan, cells: dict[int, Any] | None, uncached: Callable[[int], Any]) -> None:
    """A table model's ``multiData``: the roles a view asks for, from a cell's cached ``{role: value}``
    (a role not there is empty); the tooltip, asked for on hovering only, and every role of a cell without
    a cache (None) come from ``uncached(role)``."""
    for slot in span:
        role = slot.role()
        value = uncached(role) if cells is None or role == TOOLTIP else cells.get(role)
        if value is None:
            slot.clearData()
        else:
            slot.setData(value)


#: Sizing a column to its content reads at most this many rows (the visible ones first, then their
#: neighbours; Qt's default reads a thousand): wider text further down is elided, and whole in its tooltip.
CONTENT_ROWS = 64


def repaint_changed(view: QTableView, top: QModelIndex, bottom: QModelIndex) -> None:
    """A view's answer to its model's dataChanged (rows top..bottom): repaint the cells on screen whose
    content changed (the model's ``changed_columns``), nothing else (Qt would repaint the whole range)."""
    model = view.model()
    shown_first = view.rowAt(0)
    if shown_first < 0:
        return
    shown_last = view.rowAt(view.viewport().height() - 1)
    shown_last = model.rowCount() - 1 if shown_last < 0 else shown_last
    region = QRegion()
    for row in range(max(top.row(), shown_first), min(bottom.row(), shown_last) + 1):
        columns = [] if view.isRowHidden(row) else model.changed_columns(row, top.column(), bottom.column())
        if columns:
            region += view.visualRect(model.index(row, columns[0])).united(
                view.visualRect(model.index(row, columns[-1])))
    if not region.isEmpty():
        view.viewport().update(region)


class ChangedCellsView(QTableView):
    """A table view that repaints only the cells an edit changed (`repaint_changed`); a row being edited in
    place still updates its editor as Qt does."""

    def dataChanged(self, top: QModelIndex, bottom: QModelIndex, roles: Sequence[int] = ()) -> None:
        if self.state() == QAbstractItemView.State.EditingState:
            super().dataChanged(top, bottom, roles)
        else:
            repaint_changed(self, top, bottom)
