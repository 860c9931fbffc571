"""The layer stack as a Qt table model over the engine's analysis: one row per layer.

Rows show the layer's name, type, the arguments it sets, its output shape and parameter count, with errors,
warnings and not-computed rows marked. Names are edited in place (a rename command) and rows move by
drag and drop (a move command): the model never changes the design itself, it asks the document.

Layers whose names are dotted module paths (``layer1.0.conv1``) form blocks by their first part (``layer1``):
the block's first row carries a disclosure mark, and a collapsed block shows only that row, as
"▸ layer1 (14 layers)" (the view hides the others).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QIcon

from ..engine.analysis import LayerResult
from ..engine.design import Design, Layer
from ..engine.graph import is_module_path, reference_arguments
from ..engine.naming import MAX_NAME_LENGTH
from . import icons
from .cells import changed_rows, fill_roles
from .document import Document
from .formatting import app_text, arguments_text, compact, grouped, note_text, shape_text, warnings_of
from .theme import StateColours
from .undo_commands import MoveLayers, RenameLayer

ROW_MIME = "application/x-convdesigner-rows"
#: How many formattings of a row's cells the model keeps (`StackModel._formats`).
FORMATS_KEPT = 2

INDEX, NAME, TYPE, ARGUMENTS, OUTPUT, PARAMS = range(6)
HEADERS = ("#", "Name", "Type", "Arguments", "Output", "Params")
HEADER_TIPS = (
    "Position in the stack; the icon marks errors, warnings and layers not computed",
    "The layer's name (double-click to rename)",
    "The PyTorch class",
    "The arguments the layer sets (k kernel, s stride, p padding, d dilation, a output padding; ← a join's source)",
    "The output shape for one sample: channels × spatial sizes",
    "Trainable parameters",
)

Index = QModelIndex | QPersistentModelIndex

# Item flags, combined once (a view asks for a cell's flags whenever it paints it; enum arithmetic is slow)
_DROP = Qt.ItemFlag.ItemIsDropEnabled
_ROW_FLAGS = _DROP | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
_NAME_FLAGS = _ROW_FLAGS | Qt.ItemFlag.ItemIsEditable
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class _RowState(NamedTuple):
    """What a row's colours, icon and font follow (read once per row from the engine's result)."""

    errors: bool
    computed: bool
    warned: bool
    link_problem: bool  # a join this layer feeds refuses it
    collapsed: bool  # the row sums up a collapsed block


@dataclass(frozen=True)
class Link:
    """A join seen from its source row: which layer joins this output, and the engine's complaint if any."""

    join: str
    problem: str | None


class StackModel(QAbstractTableModel):
    """Rows = the document's layers; data comes from the document's current analysis."""

    #: A rename the engine would refuse before analysing (empty or taken name): the message to show.
    renameRefused = Signal(str)
    #: Blocks were collapsed or expanded, or their rows changed: the view shows and hides rows again.
    blocksChanged = Signal()

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self._document = document
        self._rows = len(document.design.layers)
        self._links: dict[int, list[Link]] = {}
        #: id(layer) -> (the layer, its (named layer, argument) pairs): read once per Layer object (immutable),
        #: so an edit reads the edited layer's alone; `layers_read` counts them (a work count the tests read)
        self._named: dict[int, tuple[Layer, tuple[tuple[str, str], ...]]] = {}
        self.layers_read = 0
        self._positions: dict[str, int] = {}
        self._first_error: int | None = None
        self._culprit: str | None = None  # the first error's layer (not-computed rows name it)
        #: the analysis rows as last shown (their identity tells which rows an edit changed)
        self._shown: tuple[LayerResult, ...] = ()
        #: row -> (the result(s) its cells were formatted from, per column {role: value}); see `_row_cells`
        self._cells: dict[int, tuple[object, tuple[dict[int, Any], ...]]] = {}
        #: row -> its last FORMATS_KEPT formattings, the latest first: (layer, what the row shows of its result,
        #: cells); a value set back, undone or redone formats nothing (the engine makes new results that hold
        #: the values of before). Whole-design facts (links, blocks, colours) clear them with the cells.
        self._formats: dict[int, list[tuple[Layer, tuple, tuple[dict[int, Any], ...]]]] = {}
        #: how many rows' cells were formatted (a work count the tests read: an edit formats the rows it changed)
        self.formatted_rows = 0
        self._blocks: dict[str, list[int]] = {}  # block -> its rows, for blocks of two or more layers
        self._block_of: dict[int, str] = {}
        self.collapsed: set[str] = set()
        self._colours = StateColours()
        self._italic = QFont()
        self._italic.setItalic(True)
        self._icons: dict[str, QIcon] = {}
        self._refresh_cache()
        document.changed.connect(self._design_changed)
        document.replaced.connect(self._reset)

    # -- keeping up with the document --------------------------------------------------------------------

    def _forget_cells(self) -> None:
        """Every row's cells are to be formatted again (whole-design facts they show changed)."""
        self._cells.clear()
        self._formats.clear()

    def _reset(self) -> None:
        self.beginResetModel()
        self._rows = len(self._document.design.layers)
        self._forget_cells()
        self._refresh_cache()
        self.endResetModel()

    def _design_changed(self, before: Design) -> None:
        after = self._document.design
        old, new = before.layers, after.layers
        shown = self._shown
        whole = self._refresh_cache()
        if len(old) != len(new):
            prefix = 0
            while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
                prefix += 1
            suffix = 0
            while (suffix < min(len(old), len(new)) - prefix
                   and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]):
                suffix += 1
            removed = len(old) - prefix - suffix
            inserted = len(new) - prefix - suffix
            if removed:
                self.beginRemoveRows(QModelIndex(), prefix, prefix + removed - 1)
                self._rows -= removed
                self.endRemoveRows()
            if inserted:
                self.beginInsertRows(QModelIndex(), prefix, prefix + inserted - 1)
                self._rows += inserted
                self.endInsertRows()
        changed = (0, self._rows - 1) if whole else changed_rows(shown, self._shown)
        if changed is not None and self._rows:
            first, last = changed[0], min(changed[1], self._rows - 1)
            block = self._block_of.get(first)
            if block is not None:  # a block's first row sums up the block
                first = min(first, self._blocks[block][0])
            if first <= last:
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(HEADERS) - 1))

    def _refresh_cache(self) -> bool:
        """Follow the current analysis: the links, blocks and first error (whole-design facts rows show).
        True when these changed, so that every row must be shown again; otherwise only the rows whose result
        is another object (`changed_rows`) differ, and the cached cells of the others stand."""
        analysis = self._document.analysis
        positions = {}
        links: dict[int, list[Link]] = {}
        first_error = None
        known, named_now = self._named, {}
        for result in analysis.layers:
            layer = result.layer
            entry = known.get(id(layer))
            if entry is None or entry[0] is not layer:
                self.layers_read += 1
                named = {name: argument for argument, name in reversed(reference_arguments(layer))}
                named.update(dict.fromkeys(layer.inputs, "from"))
                entry = (layer, tuple(named.items()))
            named_now[id(layer)] = entry
            for source, argument in entry[1]:  # every layer a 'from' or an argument names, not the one above
                if source in positions:
                    problem = next((app_text(d.text) for d in result.errors if d.argument == argument), None)
                    links.setdefault(positions[source], []).append(Link(result.name, problem))
            positions.setdefault(result.name, result.index)
            if first_error is None and result.errors:
                first_error = result.index
        blocks: dict[str, list[int]] = {}
        for result in analysis.layers:
            if is_module_path(result.name):
                blocks.setdefault(result.name.partition(".")[0], []).append(result.index)
        blocks = {block: rows for block, rows in blocks.items() if len(rows) > 1}
        culprit = analysis.layers[first_error].name if first_error is not None else None
        whole = (links != self._links or blocks != self._blocks
                 or (first_error, culprit) != (self._first_error, self._culprit))
        self._links = links
        self._named = named_now
        self._positions = positions
        self._first_error, self._culprit = first_error, culprit
        self._shown = analysis.layers
        if whole:
            self._forget_cells()
        if blocks != self._blocks:
            self._blocks = blocks
            self._block_of = {row: block for block, rows in self._blocks.items() for row in rows}
            self.collapsed &= set(self._blocks)
            self.blocksChanged.emit()
        return whole

    # -- blocks of dotted names ----------------------------------------------------------------------------

    def block_head(self, row: int) -> str | None:
        """The block whose first row this is, or None."""
        block = self._block_of.get(row)
        return block if block is not None and self._blocks[block][0] == row else None

    def block_of(self, row: int) -> str | None:
        return self._block_of.get(row)

    def block_rows(self, block: str) -> list[int]:
        return self._blocks[block]

    def hidden_rows(self) -> set[int]:
        """The rows a collapsed block hides (all but its first)."""
        return {row for block in self.collapsed for row in self._blocks[block][1:]}

    def set_collapsed(self, block: str, collapsed: bool) -> None:
        if block not in self._blocks or (block in self.collapsed) == collapsed:
            return
        (self.collapsed.add if collapsed else self.collapsed.discard)(block)
        self._cells.pop(self._blocks[block][0], None)
        self._formats.pop(self._blocks[block][0], None)
        head = self.index(self._blocks[block][0], NAME)
        self.dataChanged.emit(head, head)
        self.blocksChanged.emit()

    def refresh_colours(self) -> None:
        """Pick up a new palette's state colours and icons."""
        self._icons.clear()
        self._colours = StateColours()
        self._forget_cells()
        self._refresh_cache()
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(self._rows - 1, len(HEADERS) - 1))

    def result(self, row: int) -> LayerResult | None:
        layers = self._document.analysis.layers
        return layers[row] if 0 <= row < len(layers) else None

    def links(self, row: int) -> list[Link]:
        return self._links.get(row, [])

    def row_of(self, name: str) -> int | None:
        """The row of the first layer of that name."""
        return self._positions.get(name)

    # -- table ------------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in (PARAMS, INDEX):
            return _RIGHT
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return _DROP
        return _NAME_FLAGS if index.column() == NAME else _ROW_FLAGS

    def widest_texts(self) -> tuple[int, int]:
        """The longest layer name and type (characters): the stack refits its columns when they change."""
        layers = self._document.design.layers
        return (max((len(layer.name) for layer in layers), default=0),
                max((len(layer.type) for layer in layers), default=0))

    def longest_rows(self) -> dict[int, int]:
        """Column -> the row with its longest text, for the name and type columns (sizing a column reads a
        sample of rows, `CONTENT_ROWS`; these rows are measured besides)."""
        layers = self._document.design.layers
        if not layers:
            return {}
        return {NAME: max(range(len(layers)), key=lambda row: len(layers[row].name)),
                TYPE: max(range(len(layers)), key=lambda row: len(layers[row].type))}

    def _icon(self, name: str) -> QIcon:
        if name not in self._icons:
            self._icons[name] = icons.icon(name)
        return self._icons[name]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """A cell's value for a role, from the row's cells formatted once per result (a view asks for about
        ten roles of every cell it paints, on every paint)."""
        result = self.result(index.row()) if index.isValid() else None
        if result is None:
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(result, index.column())
        return self._row_cells(result)[index.column()].get(role)

    def multiData(self, index: Index, span: QModelRoleDataSpan) -> None:
        """Every role a view asks for at once (it asks for about ten of every cell it paints): one call
        instead of one per role."""
        result = self.result(index.row()) if index.isValid() else None
        cells = self._row_cells(result)[index.column()] if result is not None else None
        fill_roles(span, cells, lambda role: self.data(index, role))

    def changed_columns(self, row: int, first: int, last: int) -> list[int]:
        """The columns ``first``..``last`` of a row whose cells differ from those formatted before (all of them
        for a row not formatted since the last reset): what a view repaints of it."""
        before = self._cells.get(row)
        result = self.result(row)
        if before is None or result is None:
            return list(range(first, last + 1))
        after = self._row_cells(result)
        return [column for column in range(first, last + 1) if before[1][column] != after[column]]

    def row_key(self, row: int) -> object:
        """What a view's row cache keys a row's pixels on: its formatted cells (the same object while they
        stand)."""
        result = self.result(row)
        return None if result is None else self._row_cells(result)

    def _row_cells(self, result: LayerResult) -> tuple[dict[int, Any], ...]:
        block = self.block_head(result.index)
        if block in self.collapsed:  # the row sums up its block: formatted from every result in it
            layers = self._document.analysis.layers
            key: object = tuple(layers[row] for row in self._blocks[block])
        else:
            key = result
        cached = self._cells.get(result.index)
        if cached is not None and (cached[0] is key or (isinstance(key, tuple) and cached[0] == key)):
            return cached[1]
        state = _RowState(bool(result.errors), result.computed, bool(warnings_of(result.warnings)),
                          any(link.problem for link in self.links(result.index)), block in self.collapsed)
        shows = (result.output_shape, result.params, state)
        formats = self._formats.setdefault(result.index, []) if key is result else []
        kept = next((entry for entry in formats if entry[0] is result.layer and entry[1] == shows), None)
        if kept is None:
            self.formatted_rows += 1
            kept = (result.layer, shows, tuple(self._cell(result, column, state) for column in range(len(HEADERS))))
        else:
            formats.remove(kept)
        formats.insert(0, kept)
        del formats[FORMATS_KEPT:]
        cells = kept[2]
        self._cells[result.index] = (key, cells)
        return cells

    def _cell(self, result: LayerResult, column: int, state: _RowState) -> dict[int, Any]:
        """Every role but the tooltip of one cell (a role left out is None)."""
        roles = Qt.ItemDataRole
        text = self._text(result, column, False)
        cell: dict[int, Any] = {roles.DisplayRole: text,  # the text edited differs for a name (and a block)
                                roles.EditRole: self._text(result, column, True)
                                if column == NAME or state.collapsed else text}
        if column == INDEX:
            icon = ("error" if state.errors else "pending" if not state.computed else
                    "warning" if state.warned else None)
            if icon is not None:
                cell[roles.DecorationRole] = self._icon(icon)
        if state.errors and column in (OUTPUT, INDEX):
            cell[roles.ForegroundRole] = self._colours.error
        elif column == ARGUMENTS and state.link_problem:
            cell[roles.ForegroundRole] = self._colours.error
        elif (not state.computed and not state.errors) or column == INDEX:
            cell[roles.ForegroundRole] = self._colours.muted
        if state.errors:
            cell[roles.BackgroundRole] = self._colours.error_background
        elif state.warned:
            cell[roles.BackgroundRole] = self._colours.warning_background
        if not state.computed and not state.errors and column == OUTPUT:
            cell[roles.FontRole] = self._italic
        if column in (PARAMS, INDEX):
            cell[roles.TextAlignmentRole] = _RIGHT
        return cell

    def _text(self, result: LayerResult, column: int, editing: bool) -> str:
        block = self.block_head(result.index)
        if block in self.collapsed and column in (TYPE, ARGUMENTS, OUTPUT, PARAMS) and not editing:
            return self._block_text(block, column)
        if column == INDEX:
            return str(result.index + 1)
        if column == NAME:
            if editing:
                return result.name
            block = self._block_of.get(result.index)
            if block is None:
                return result.name
            if self.block_head(result.index) is None:
                return f"   {result.name}"
            if block in self.collapsed:
                return f"▸ {block} ({len(self._blocks[block])} layers)"
            return f"▾ {result.name}"
        if column == TYPE:
            return result.type
        if column == ARGUMENTS:
            text = arguments_text(result.type, result.layer.args, result.layer.inputs)
            joins = ", ".join(link.join for link in self.links(result.index))
            if joins:
                text = (text + " " if text else "") + f"→ {joins}"
            return text
        if column == OUTPUT:
            if result.errors:
                return "error"
            return shape_text(result.output_shape) if result.computed else "not computed"
        if column == PARAMS:
            return compact(result.params) if result.computed else ""
        return ""

    def _block_text(self, block: str, column: int) -> str:
        """A collapsed block's row: the block as a whole (what comes out of its last layer, its parameters)."""
        layers = self._document.analysis.layers
        rows = [layers[row] for row in self._blocks[block]]
        if column == TYPE:
            return "block"
        if column == OUTPUT:
            last = rows[-1]
            return shape_text(last.output_shape) if last.computed else "not computed"
        if column == PARAMS:
            return compact(sum(r.params or 0 for r in rows))
        return ""

    def _tooltip(self, result: LayerResult, column: int) -> str | None:
        lines = [note_text(d) for d in (*result.errors, *result.warnings, *result.infos)]
        if not result.computed and not result.errors and self._culprit is not None:
            lines.append(f"Not computed: {self._culprit} above has an error")
        for link in self.links(result.index):
            lines.append(f"{link.join} joins this output" + (f" — {link.problem}" if link.problem else ""))
        if column in (NAME, TYPE, ARGUMENTS):  # the whole text, however narrow the column
            lines.insert(0, self._text(result, column, False))
        if column == PARAMS and result.params is not None:
            lines.insert(0, f"{grouped(result.params)} parameters")
        if column == OUTPUT and result.input_shape is not None:
            lines.insert(0, f"{shape_text(result.input_shape)} → {shape_text(result.output_shape)}")
        return "\n".join(lines) or None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() != NAME or not index.isValid():
            return False
        name = str(value).strip()
        design = self._document.design
        old = design.layers[index.row()].name
        if name == old:
            return False
        if not name:
            self.renameRefused.emit("A layer name cannot be empty.")
            return False
        if len(name) > MAX_NAME_LENGTH:
            self.renameRefused.emit(f"A layer name may be at most {MAX_NAME_LENGTH} characters.")
            return False
        if any(layer.name == name for layer in design.layers):
            self.renameRefused.emit(f"The name '{name}' is already used by layer {design.index_of(name) + 1}.")
            return False
        self._document.push(RenameLayer(self._document, index.row(), name))
        return True

    # -- drag and drop reorders ------------------------------------------------------------------------

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [ROW_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        data = QMimeData()
        data.setData(ROW_MIME, QByteArray(",".join(map(str, rows)).encode()))
        return data

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index) -> bool:
        return data.hasFormat(ROW_MIME) and action == Qt.DropAction.MoveAction

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index) -> bool:
        """Move the dragged rows before ``row`` (or before the row dropped on). Returns False so the view
        does not also remove the source rows: the move command has done the whole job."""
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        rows = [int(r) for r in bytes(data.data(ROW_MIME).data()).decode().split(",") if r]
        if not rows:
            return False
        destination = row if row >= 0 else (parent.row() if parent.isValid() else self._rows)
        if destination in range(rows[0], rows[-1] + 2) and rows == list(range(rows[0], rows[-1] + 1)):
            return False  # dropped onto itself
        self._document.push(MoveLayers(self._document, rows, destination))
        return False
