"""A read-only table model over the analysis (one row per layer, optional totals row) and the plot host.

Both docks show engine numbers per layer in a table and a chart (chart.py). `PlotHost` builds the chart when
`load` is called, after the window's first paint (the first frame shows what it needs first); until then the
plot area says it is loading.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...engine.analysis import Analysis, LayerResult
from ..cells import CONTENT_ROWS, ChangedCellsView, changed_rows, fill_roles, on_dock_shown, shown
from ..document import Document
from ..theme import StateColours


@dataclass(frozen=True)
class Column:
    header: str
    cell: Callable[[LayerResult], str]
    total: Callable[[Analysis], str] | None = None
    numeric: bool = True
    tooltip: str = ""


class AnalysisTableModel(QAbstractTableModel):
    """Rows = the document's layers (plus a totals row when any column has a total)."""

    def __init__(self, document: Document, columns: list[Column], parent=None) -> None:
        super().__init__(parent)
        self._document = document
        self._columns = columns
        self._totals = any(c.total for c in columns)
        self._rows = self._count()
        #: the analysis rows as last shown (their identity tells which rows an edit changed)
        self._shown = document.analysis.layers
        #: row -> (the result its cells were formatted from, per column {role: value})
        self._cells: dict[int, tuple[LayerResult, tuple[dict[int, Any], ...]]] = {}
        self._bold = QFont()
        self._bold.setBold(True)
        #: (the analysis, the totals row's texts): what the row cache keys the totals row on
        self._totals_key: tuple[Analysis | None, tuple[str, ...]] = (None, ())
        #: how many rows' cells were formatted (a work count the tests read: an edit formats the rows it changed)
        self.formatted_rows = 0
        document.changed.connect(self._changed)
        document.replaced.connect(self._replaced)

    @property
    def columns(self) -> list[Column]:
        return self._columns

    def _count(self) -> int:
        layers = len(self._document.analysis.layers)
        return layers + (1 if self._totals and layers else 0)

    def _replaced(self) -> None:
        self._cells.clear()
        self._changed()

    def _changed(self, *_args) -> None:
        """Rows come or go: start over; else the rows whose result changed, and the totals row, are shown
        again (an edit changes the rows from the edited layer on)."""
        shown, self._shown = self._shown, self._document.analysis.layers
        count = self._count()
        if count != self._rows:
            self.beginResetModel()
            self._rows = count
            self._cells.clear()
            self.endResetModel()
            return
        changed = changed_rows(shown, self._shown)
        if changed is not None and count:
            last = count - 1 if self._totals else changed[1]
            self.dataChanged.emit(self.index(changed[0], 0), self.index(last, len(self._columns) - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        column = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(column)
        return None

    def longest_name(self) -> int:
        return max(map(len, [layer.name for layer in self._document.design.layers]), default=0)

    def uncounted(self) -> list[str]:
        """The layers the totals leave out (not computed: an error at or above them)."""
        return [r.name for r in self._document.analysis.layers if not r.computed]

    def is_totals(self, row: int) -> bool:
        return self._totals and row == len(self._document.analysis.layers)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        """The totals row is no layer: it cannot be selected (a click left the table showing it selected while
        every other view showed the selected layer)."""
        flags = super().flags(index)
        return flags & ~Qt.ItemFlag.ItemIsSelectable if index.isValid() and self.is_totals(index.row()) else flags

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        analysis = self._document.analysis
        if self.is_totals(index.row()):
            return self._totals_data(index.column(), role)
        if index.row() >= len(analysis.layers):
            return None
        result = analysis.layers[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            column = self._columns[index.column()]
            text = column.cell(result)  # the whole value, however narrow the column
            return "\n".join(t for t in (text, column.tooltip) if t) or None
        return self._row_cells(result)[index.column()].get(role)

    def multiData(self, index: QModelIndex | QPersistentModelIndex, span: QModelRoleDataSpan) -> None:
        """Every role a view asks for at once (it asks for about ten of every cell it paints): one call
        instead of one per role."""
        layers = self._document.analysis.layers
        row = index.row() if index.isValid() else -1
        cells = self._row_cells(layers[row])[index.column()] if 0 <= row < len(layers) else None  # else totals
        fill_roles(span, cells, lambda role: self.data(index, role))

    def changed_columns(self, row: int, first: int, last: int) -> list[int]:
        """The columns ``first``..``last`` of a row whose cells differ from those formatted before (all of them
        for a row not formatted since the last reset, and for the totals row): what a view repaints of it."""
        before = self._cells.get(row)
        layers = self._document.analysis.layers
        if before is None or row >= len(layers):
            return list(range(first, last + 1))
        after = self._row_cells(layers[row])
        return [column for column in range(first, last + 1) if before[1][column] != after[column]]

    def row_key(self, row: int) -> object:
        """What a view's row cache keys a row's pixels on: its formatted cells (the same object while they
        stand), the totals row's texts."""
        analysis = self._document.analysis
        if row < len(analysis.layers):
            return self._row_cells(analysis.layers[row])
        if self._totals_key[0] is not analysis:
            self._totals_key = (analysis, tuple(self._totals_data(c, Qt.ItemDataRole.DisplayRole)
                                                for c in range(len(self._columns))))
        return self._totals_key[1]

    def _row_cells(self, result: LayerResult) -> tuple[dict[int, Any], ...]:
        """A row's cells (every role but the tooltip), formatted once per result: a view asks for about ten
        roles of every cell it paints, on every paint."""
        cached = self._cells.get(result.index)
        if cached is not None and cached[0] is result:
            return cached[1]
        self.formatted_rows += 1
        foreground = None if result.computed else StateColours().error if result.errors else StateColours().muted
        cells = tuple({_DISPLAY: column.cell(result), _ALIGNMENT: _alignment(column)} for column in self._columns)
        if foreground is not None:
            for cell in cells:
                cell[_FOREGROUND] = foreground
        self._cells[result.index] = (result, cells)
        return cells

    def _totals_data(self, number: int, role: int) -> Any:
        column = self._columns[number]
        analysis = self._document.analysis
        if role == Qt.ItemDataRole.DisplayRole:
            if number == 0:
                return "Total (partial)" if self.uncounted() else "Total"
            return column.total(analysis) if column.total else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            missing = self.uncounted()
            if not missing:
                return "Totals over every layer"
            return (f"Totals over the computed layers only: {len(missing)} not computed "
                    f"({', '.join(missing[:6])}{', …' if len(missing) > 6 else ''}); fix the first error to "
                    "count them")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(column)
        if role == Qt.ItemDataRole.FontRole:
            return self._bold
        return None


_DISPLAY, _ALIGNMENT, _FOREGROUND = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole,
                                     Qt.ItemDataRole.ForegroundRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def _alignment(column: Column) -> int:
    return _RIGHT if column.numeric else _LEFT


def analysis_table(model: AnalysisTableModel, parent: QWidget, object_name: str) -> QTableView:
    view = ChangedCellsView(parent)
    view.setObjectName(object_name)
    view.setModel(model)
    view.horizontalHeader().setResizeContentsPrecision(CONTENT_ROWS)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 6)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setTabKeyNavigation(False)  # Tab leaves the table (arrows move between rows)
    view.setShowGrid(False)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    fit_columns(view)
    model.modelReset.connect(lambda: fit_columns(view))
    longest = [model.longest_name()]

    def changed(*_args) -> None:  # an edit refits only when the longest name changed (not per keystroke)
        if model.longest_name() != longest[0]:
            longest[0] = model.longest_name()
            fit_columns(view)

    model.dataChanged.connect(changed)
    return view


#: An analysis column is at most this many pixels wide when sized to its content (wider text is elided in
#: the middle, whole in its tooltip).
MAX_COLUMN_PX = 260


def fit_columns(view: QTableView) -> None:
    """Every column as wide as its header and its content (the rows on screen and around them, up to
    CONTENT_ROWS), within MAX_COLUMN_PX."""
    metrics = view.fontMetrics()
    model = view.model()
    for number in range(model.columnCount()):
        header = metrics.horizontalAdvance(str(model.headerData(number, Qt.Orientation.Horizontal))) + 24
        view.setColumnWidth(number, min(MAX_COLUMN_PX, max(header, view.sizeHintForColumn(number) + 12, 48)))


class TableSelection(QObject):
    """Keeps an analysis table's selected row and the document's selection one: a click on a layer's row
    selects that layer everywhere, and the table shows whatever the document selects."""

    def __init__(self, table: QTableView, document: Document) -> None:
        super().__init__(table)
        self._table = table
        self._document = document
        self._showing = False
        table.selectionModel().selectionChanged.connect(self._clicked)
        document.selectionChanged.connect(self.show)
        table.model().modelReset.connect(lambda: self.show(document.selection))

    def _clicked(self, *_args) -> None:
        if self._showing:
            return
        rows = [i.row() for i in self._table.selectionModel().selectedRows()
                if i.row() < len(self._document.design.layers)]  # the totals row selects nothing
        if rows:
            self._document.select(rows)
        else:  # a click on the totals row (which cannot be selected) cleared the table's selection
            self.show(self._document.selection)

    def show(self, rows: list[int]) -> None:
        self._showing = True
        try:
            if rows:
                self._table.selectRow(rows[0])
            else:
                self._table.clearSelection()
        finally:
            self._showing = False


class PlotHost(QWidget):
    """Holds a plot that is built after the window's first paint and refreshed at most once per event loop
    turn, however many edits arrive. ``update`` gives the plot its data; ``mark`` only moves the selected
    layer's marker (a selection changes nothing else), so the series are not rebuilt for it. While the host
    is not visible (its dock closed or tabbed away) nothing is done: it is brought up to date when shown."""

    def __init__(self, build: Callable[[QWidget], QWidget], update: Callable[[], None], mark: Callable[[], None],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self._build = build
        self._update = update
        self._mark = mark
        self.plot: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._loading = QLabel("Loading the plot…", self)
        self._loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._loading.setEnabled(False)
        self._layout.addWidget(self._loading)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(30)  # coalesces a burst of edits into one redraw
        self._timer.timeout.connect(self.refresh_now)
        self._pending = False  # changed while hidden: brought up to date when shown

    @property
    def loaded(self) -> bool:
        return self.plot is not None

    @property
    def pending(self) -> bool:
        """The plot missed changes while hidden (it is brought up to date when shown)."""
        return self._pending

    def showEvent(self, event) -> None:
        super().showEvent(event)
        on_dock_shown(self, self._shown)
        self._shown()

    def _shown(self) -> None:
        if self._pending:
            self.refresh_now()

    def load(self) -> None:
        if self.plot is not None:
            return
        self.plot = self._build(self)
        self._loading.hide()
        self._layout.addWidget(self.plot)
        self.refresh_now()

    def refresh(self) -> None:
        if self.plot is None:
            return
        if shown(self):
            self._timer.start()
        else:
            self._pending = True

    def refresh_now(self) -> None:
        if self.plot is not None:
            self._timer.stop()
            self._pending = False
            self._update()
            self._mark()

    def mark(self) -> None:
        """The selection moved: move the marker now (a data refresh still pending moves it too)."""
        if self.plot is None or self._timer.isActive() or self._pending:
            return
        if shown(self):
            self._mark()
        else:
            self._pending = True
