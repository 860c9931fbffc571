"""The layer-stack editor: the network input (editable) above a table of the layers.

Selecting rows selects those layers in the document (which the properties, panels and canvas follow); rows
are renamed in place and reordered by dragging.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QRegion
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..engine.arguments import MAX_INT
from ..engine.checks import check_arguments
from ..engine.design import Design, InputSpec, axis_name
from ..engine.layers import CATALOG
from .cells import CONTENT_ROWS, ChangedCellsView
from .document import Document
from .link_gutter import LinkGutter
from .stack_model import ARGUMENTS, INDEX, NAME, OUTPUT, PARAMS, TYPE, StackModel
from .theme import StateColours
from .undo_commands import SetInput

#: Spin-box range for sizes: wide on purpose, so the engine (not the widget) refuses what it must.
SPIN_MIN, SPIN_MAX = -MAX_INT, MAX_INT


def wide_spin_box(parent: QWidget | None = None) -> QSpinBox:
    """A spin box that accepts any int the engine might refuse, with typing tracked at once."""
    spin = QSpinBox(parent)
    spin.setRange(SPIN_MIN, SPIN_MAX)
    spin.setAccelerated(True)
    spin.setKeyboardTracking(True)
    spin.setButtonSymbols(QSpinBox.ButtonSymbols.UpDownArrows)
    spin.setMinimumWidth(spin.fontMetrics().horizontalAdvance("0000") + 28)  # not the width of MAX_INT: a
    # window must fit an 800-pixel-wide screen (1600 at a scale factor of 2)
    return spin


class InputEditor(QWidget):
    """Channels × size per axis, and the number of spatial axes; every change is one SetInput command."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._updating = False
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        title = QLabel("<b>Input</b>", self)
        title.setToolTip("The network input for one sample: channels, then one size per spatial axis")
        layout.addWidget(title)
        self.channels = wide_spin_box(self)
        self.channels.setObjectName("inputChannels")
        self.channels.setToolTip("Input channels")
        self.channels.setSuffix(" ch")
        layout.addWidget(self.channels)
        self._times = QLabel("×", self)
        layout.addWidget(self._times)
        self.sizes: list[QSpinBox] = []
        self._size_layout = QHBoxLayout()
        self._size_layout.setSpacing(4)
        layout.addLayout(self._size_layout)
        self.rank = QComboBox(self)
        self.rank.setObjectName("inputRank")
        self.rank.addItems(["1-D", "2-D", "3-D"])
        self.rank.setToolTip("Number of spatial axes (1-D signals, 2-D images, 3-D volumes)")
        layout.addWidget(self.rank)
        layout.addStretch(1)
        self.problem = QLabel(self)
        self.problem.setObjectName("inputProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.channels.valueChanged.connect(self._edited)
        self.rank.currentIndexChanged.connect(self._rank_edited)
        document.changed.connect(self.refresh)
        document.replaced.connect(self.refresh)
        self.refresh()

    def _ensure_axes(self, count: int) -> None:
        while len(self.sizes) < count:
            spin = wide_spin_box(self)
            spin.setObjectName(f"inputSize{len(self.sizes)}")
            spin.valueChanged.connect(self._edited)
            self._size_layout.addWidget(spin)
            self.sizes.append(spin)
        while len(self.sizes) > count:
            spin = self.sizes.pop()
            self._size_layout.removeWidget(spin)
            spin.deleteLater()

    def refresh(self, *_args) -> None:
        spec = self._document.design.input
        self._updating = True
        try:
            if self.channels.value() != spec.channels:
                self.channels.setValue(spec.channels)
            self._ensure_axes(spec.ndim)
            for axis, (spin, value) in enumerate(zip(self.sizes, spec.size)):
                tip = f"Input size on axis {axis_name(axis, spec.ndim)}"
                if spin.toolTip() != tip:
                    spin.setToolTip(tip)
                if spin.value() != value:
                    spin.setValue(value)
            self.rank.setCurrentIndex(max(0, min(2, spec.ndim - 1)))
        finally:
            self._updating = False
        self._show_problems([d.text for d in self._document.analysis.input_diagnostics])

    def _show_problems(self, problems: list[str]) -> None:
        """The problems under the editor and the spin boxes framed in red, set only where they change (an edit
        of any layer refreshes the editor, and a style sheet set again repolishes its widget)."""
        colours = StateColours()
        self.problem.setText("\n".join(problems))
        _set_style(self.problem, f"color: {colours.error.name()};")
        if self.problem.isHidden() == bool(problems):
            self.problem.setVisible(bool(problems))
        style = f"QSpinBox {{ border: 1px solid {colours.error.name()}; }}" if problems else ""
        for spin in [self.channels, *self.sizes]:
            _set_style(spin, style)

    def _edited(self, *_args) -> None:
        if self._updating:
            return
        spec = InputSpec(self.channels.value(), tuple(s.value() for s in self.sizes))
        current = self._document.design.input
        # The design file needs positive sizes: a value below 1 never reaches the design (it could not be
        # opened again); the editor shows it, in red, with why.
        refused = [f"input {what} must be at least 1, not {new}: not applied (the design keeps {old})"
                   for what, new, old in (("channels", spec.channels, current.channels),
                                          *(("size", n, o) for n, o in zip(spec.size, current.size))) if new < 1]
        if refused:
            self._show_problems(refused)
        elif spec != current:
            self._document.push(SetInput(self._document, spec))
        else:
            self.refresh()

    def _rank_edited(self, index: int) -> None:
        if self._updating:
            return
        design = self._document.design
        ndim = index + 1
        refused = _rank_refusals(design, ndim)
        if refused:  # the design file would refuse these layers' per-axis values at the new rank
            self.refresh()
            self._show_problems([f"the input cannot become {ndim}-D: {text}: not applied" for text in refused])
            return
        sizes = list(design.input.size)
        sizes = sizes[:ndim] + [sizes[-1]] * (ndim - len(sizes))
        self._document.push(SetInput(self._document, InputSpec(design.input.channels, tuple(sizes))))


def _set_style(widget: QWidget, style: str) -> None:
    if widget.styleSheet() != style:
        widget.setStyleSheet(style)


def _rank_refusals(design: Design, ndim: int) -> list[str]:
    """What the design file would refuse in the layers that take the input's rank (Upsample's per-axis size,
    ...) were the input ``ndim``-D: the loader's check (`check_arguments`)."""
    refused = []
    for layer in design.layers:
        layer_type = CATALOG.get(layer.type)
        if layer_type is not None and layer_type.ndim is None:
            refused += [f"{layer.name}: {refusal.message}" for refusal in check_arguments(layer_type, layer, ndim)]
    return refused


class StackView(ChangedCellsView):
    """The table of layers."""

    #: The selected rows changed (sorted row numbers) or the current row moved.
    rowsSelected = Signal(list)

    def __init__(self, model: StackModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stackView")
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        # DragDrop rather than InternalMove: the model accepts only its own rows (so a dropped file goes on to
        # the window, which opens it), and a drop needs no QDrag source (so tests can drop like a user).
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDragDropOverwriteMode(False)
        self.setDropIndicatorShown(True)
        self.setAlternatingRowColors(True)
        self.setTabKeyNavigation(False)  # Tab leaves the table (arrows move between rows)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # "convt…e2d_up1": both ends of a name stay
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(INDEX, QHeaderView.ResizeMode.Fixed)  # sized by fit_index_column, not per row
        for column in (NAME, TYPE, OUTPUT, PARAMS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(ARGUMENTS, QHeaderView.ResizeMode.Interactive)  # sized by fit_columns
        header.setResizeContentsPrecision(CONTENT_ROWS)  # sizing a column reads a sample of rows
        self._fit_pending = False
        self._widest = model.widest_texts()
        self._content_widths: dict[int, int] | None = None  # what the columns hold, measured once per change
        self.fit_columns()
        self.selectionModel().selectionChanged.connect(self._selection_changed)
        model.modelReset.connect(self.fit_columns)
        model.rowsInserted.connect(self.fit_columns)  # a longer name or type: its column grows
        model.dataChanged.connect(self._fit_later)
        model.rowsInserted.connect(self.fit_index_column)
        model.rowsRemoved.connect(self.fit_index_column)
        model.blocksChanged.connect(self.show_blocks)
        self.gutter = LinkGutter(self, model)
        self.show_blocks()

    # -- blocks of dotted names (see StackModel) ----------------------------------------------------------

    def show_blocks(self) -> None:
        """Hide the rows of collapsed blocks, show the others."""
        model = self.model()
        hidden = model.hidden_rows()
        for row in range(model.rowCount()):
            if self.isRowHidden(row) != (row in hidden):
                self.setRowHidden(row, row in hidden)

    def toggle_block(self, row: int) -> bool:
        """Collapse or expand the block whose first row this is; False when it is no block's first row."""
        model = self.model()
        block = model.block_head(row)
        if block is None:
            return False
        model.set_collapsed(block, block not in model.collapsed)
        return True

    def mousePressEvent(self, event) -> None:
        """A click on a block's disclosure mark (the start of its first row's name) collapses or expands it."""
        index = self.indexAt(event.position().toPoint())
        if index.isValid() and index.column() == NAME and self.model().block_head(index.row()) is not None:
            rect = self.visualRect(index)
            if event.position().x() < rect.left() + self.fontMetrics().horizontalAdvance("▾ ") + 6:
                self.toggle_block(index.row())
                return
        super().mousePressEvent(event)

    def keyPressEvent(self, event) -> None:
        """Left collapses the current row's block, Right expands it (as in a tree)."""
        current = self.currentIndex()
        key = event.key()
        if current.isValid() and key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and not event.modifiers():
            model = self.model()
            block = model.block_of(current.row())
            if block is not None and (key == Qt.Key.Key_Left) != (block in model.collapsed):
                model.set_collapsed(block, key == Qt.Key.Key_Left)
                if key == Qt.Key.Key_Left:
                    self.select_rows([model.block_rows(block)[0]])
                return
        super().keyPressEvent(event)

    def updateGeometries(self) -> None:
        super().updateGeometries()
        if hasattr(self, "gutter"):
            self.gutter.relayout()

    def fit_index_column(self, *_args) -> None:
        """Room for the icon and the largest row number (recomputed when rows come or go, not per edit)."""
        digits = len(str(max(1, self.model().rowCount())))
        icon = self.iconSize().width() if self.iconSize().isValid() else 16
        self.setColumnWidth(INDEX, self.fontMetrics().horizontalAdvance("0" * digits) + max(icon, 16) + 18)

    def fit_columns(self) -> None:
        """The columns hold something new (a design, rows inserted, a longer name or type): measure them again
        and size them (a hidden view is measured when it is shown)."""
        self._content_widths = None
        self._size_columns()

    def _measured_columns(self) -> dict[int, int]:
        """The width each column's content asks for (a sample of rows and its longest row), measured once per
        change of content: the shows and resizes of a window settling lay the columns out without it."""
        if self._content_widths is None:
            longest = self.model().longest_rows()
            widths = {}
            for column in (NAME, TYPE, OUTPUT, PARAMS, ARGUMENTS):
                hint = self.sizeHintForColumn(column)
                if column in longest and column != ARGUMENTS:
                    hint = max(hint, self.sizeHintForIndex(self.model().index(longest[column], column)).width())
                widths[column] = hint
            self._content_widths = widths
        return self._content_widths

    def _size_columns(self) -> None:
        """Size the name, type, output and parameter columns to what they hold (at least a sensible width,
        at most a third of the view), leaving the rest to the arguments."""
        self.fit_index_column()
        if not self.isVisible():
            return  # sized when shown
        width = self.fontMetrics().horizontalAdvance
        minimum = {NAME: width("conv10__"), TYPE: width("Conv2d____"), OUTPUT: width("64×32×32__"),
                   PARAMS: width("Params__")}
        # the header spans the viewport: its width is the width the columns share
        room = self.horizontalHeader().width()
        most = max(width("ConvTranspose2d____"), width("n" * 30), room // 3)
        content = self._measured_columns()
        for column, least in minimum.items():
            self.setColumnWidth(column, min(max(least, content[column] + 6), max(least, most)))
        # the arguments take the room left, but never less than a short argument list (a narrow dock
        # scrolls sideways instead of cutting the column to "ume")
        rest = room - sum(self.columnWidth(c) for c in (INDEX, *minimum))
        wanted = min(content[ARGUMENTS] + 6, width("512 ch, k4 s2 p1, no bias__"))
        self.setColumnWidth(ARGUMENTS, max(rest, wanted))

    def _fit_later(self, *_args) -> None:
        """After an edit that changes the longest name or type (a rename, a type change): refit once the event
        loop turns, however many rows changed (typing a number refits nothing)."""
        widest = self.model().widest_texts()
        if widest == self._widest:
            return
        self._widest = widest
        if not self._fit_pending:
            self._fit_pending = True

            def fit() -> None:
                self._fit_pending = False
                self.fit_columns()

            QTimer.singleShot(0, fit)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._size_columns()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._size_columns()

    def selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.selectionModel().selectedRows()})

    def select_rows(self, rows: list[int]) -> None:
        """Select these rows (and make the first current and visible: a collapsed block holding it opens)."""
        model = self.model()
        hidden = model.hidden_rows()
        opened = False
        for row in rows:
            if row in hidden:
                model.set_collapsed(model.block_of(row), False)
                opened = True
        current = self.selectionModel().currentIndex()
        before = self.selected_rows()
        if rows == before and (not rows or current.isValid()):
            return  # already so (the document echoing the user's own click): no scrolling, no refresh
        selection = QItemSelection()
        for row in rows:
            selection.select(model.index(row, 0), model.index(row, model.columnCount() - 1))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        selection_model = self.selectionModel()
        blocked = selection_model.blockSignals(True)
        try:
            if rows:
                selection_model.setCurrentIndex(model.index(rows[0], NAME), QItemSelectionModel.SelectionFlag.NoUpdate)
            selection_model.select(selection, flags)
        finally:
            selection_model.blockSignals(blocked)
        self._changed()  # the row cache hears of it (the selection model's signals were blocked)
        if opened:
            self.updateGeometries()  # the scroll range of the rows a block opening showed again
            self.viewport().update()
        else:  # only the rows whose selection or current mark changed are painted again
            self._update_rows(set(before).symmetric_difference(rows) | {current.row(), *rows[:1]})
        if rows:  # down or up to the row when it is out of view, never sideways: the cell scrolled to is the
            # one at the left edge (a Name cell scrolled to while the dock was narrow, at start-up, hid the #
            # column, with the row's error icon, for good)
            self.scrollTo(model.index(rows[0], max(0, self.columnAt(0))))
        self.rowsSelected.emit(sorted({row for row in rows if 0 <= row < model.rowCount()}))  # what is selected now

    def _update_rows(self, rows: set[int]) -> None:
        """Repaint these rows where they are on screen (the whole width: the selection spans it)."""
        if not self.isVisible():
            return  # nothing on screen: the first show paints every row
        region = QRegion()
        width, height = self.viewport().width(), self.viewport().height()
        for row in rows:
            if row < 0 or self.isRowHidden(row):
                continue
            top = self.rowViewportPosition(row)
            if -self.rowHeight(row) < top < height:
                region += QRect(0, top, width, self.rowHeight(row))
        if not region.isEmpty():
            self.viewport().update(region)

    def _selection_changed(self, *_args) -> None:
        self.rowsSelected.emit(self.selected_rows())


class StackPanel(QWidget):
    """The input editor above the stack table."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = StackModel(document, self)
        self.input_editor = InputEditor(document, self)
        self.view = StackView(self.model, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.input_editor)
        layout.addWidget(self.input_editor.problem)
        layout.addWidget(self.view, 1)
