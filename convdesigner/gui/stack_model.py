"""The layer stack as a Qt table model over the engine's analysis: one row per layer.

Rows show the layer's name, type, the arguments it sets, its output shape and parameter count, with errors,
warnings and not-computed rows marked. Names are edited in place (a rename command) and rows move by
drag and drop (a move command): the model never changes the design itself, it asks the document.

Layers whose names are dotted module paths (``layer1.0.conv1``) form blocks by their first part (``layer1``):
the block's first row carries a disclosure mark, and a collapsed block shows only that row, as
"▸ layer1 (14 layers)" (the view hides the others).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QByteArray, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QIcon

from ..engine.analysis import LayerResult
from ..engine.design import Design
from ..engine.graph import is_module_path, reference_arguments
from ..engine.naming import MAX_NAME_LENGTH
from . import icons
from .document import Document
from .formatting import app_text, arguments_text, compact, grouped, note_text, shape_text, warnings_of
from .theme import StateColours
from .undo_commands import MoveLayers, RenameLayer

ROW_MIME = "application/x-convdesigner-rows"

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


class Link:
    """A join seen from its source row: which layer joins this output, and the engine's complaint if any."""

    def __init__(self, join: str, problem: str | None) -> None:
        self.join = join
        self.problem = problem


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
        self._positions: dict[str, int] = {}
        self._first_error: int | None = None
        self._blocks: dict[str, list[int]] = {}  # block -> its rows, for blocks of two or more layers
        self._block_of: dict[int, str] = {}
        self.collapsed: set[str] = set()
        self._colours = StateColours()
        self._icons: dict[str, QIcon] = {}
        self._refresh_cache()
        document.changed.connect(self._design_changed)
        document.replaced.connect(self._reset)

    # -- keeping up with the document --------------------------------------------------------------------

    def _reset(self) -> None:
        self.beginResetModel()
        self._rows = len(self._document.design.layers)
        self._refresh_cache()
        self.endResetModel()

    def _design_changed(self, before: Design) -> None:
        after = self._document.design
        old, new = before.layers, after.layers
        self._refresh_cache()
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
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(self._rows - 1, len(HEADERS) - 1))

    def _refresh_cache(self) -> None:
        analysis = self._document.analysis
        self._colours = StateColours()
        positions = {}
        links: dict[int, list[Link]] = {}
        first_error = None
        for result in analysis.layers:
            named = {name: argument for argument, name in reversed(reference_arguments(result.layer))}
            named.update(dict.fromkeys(result.layer.inputs, "from"))
            for source, argument in named.items():  # every layer a 'from' or an argument names, not the one above
                if source in positions:
                    problem = next((app_text(d.text) for d in result.errors if d.argument == argument), None)
                    links.setdefault(positions[source], []).append(Link(result.name, problem))
            positions.setdefault(result.name, result.index)
            if first_error is None and result.errors:
                first_error = result.index
        self._links = links
        self._positions = positions
        self._first_error = first_error
        blocks: dict[str, list[int]] = {}
        for result in analysis.layers:
            if is_module_path(result.name):
                blocks.setdefault(result.name.partition(".")[0], []).append(result.index)
        self._blocks = {block: rows for block, rows in blocks.items() if len(rows) > 1}
        self._block_of = {row: block for block, rows in self._blocks.items() for row in rows}
        self.collapsed &= set(self._blocks)
        self.blocksChanged.emit()

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
        head = self.index(self._blocks[block][0], NAME)
        self.dataChanged.emit(head, head)
        self.blocksChanged.emit()

    def refresh_colours(self) -> None:
        """Pick up a new palette's state colours and icons."""
        self._icons.clear()
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
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsDropEnabled
        if not index.isValid():
            return base
        flags = base | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        if index.column() == NAME:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def widest_texts(self) -> tuple[int, int]:
        """The longest layer name and type (characters): the stack refits its columns when they change."""
        layers = self._document.design.layers
        return (max((len(layer.name) for layer in layers), default=0),
                max((len(layer.type) for layer in layers), default=0))

    def _icon(self, name: str) -> QIcon:
        if name not in self._icons:
            self._icons[name] = icons.icon(name)
        return self._icons[name]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        result = self.result(index.row()) if index.isValid() else None
        if result is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(result, column, role == Qt.ItemDataRole.EditRole)
        if role == Qt.ItemDataRole.DecorationRole and column == INDEX:
            if result.errors:
                return self._icon("error")
            if not result.computed:
                return self._icon("pending")
            if warnings_of(result.warnings):
                return self._icon("warning")
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(result, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if result.errors and column in (OUTPUT, INDEX):
                return self._colours.error
            if column == ARGUMENTS and any(link.problem for link in self.links(result.index)):
                return self._colours.error
            if not result.computed and not result.errors:
                return self._colours.muted
            if column == INDEX:
                return self._colours.muted
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if result.errors:
                return self._colours.error_background
            if warnings_of(result.warnings):
                return self._colours.warning_background
            return None
        if role == Qt.ItemDataRole.FontRole:
            if not result.computed and not result.errors and column == OUTPUT:
                font = QFont()
                font.setItalic(True)
                return font
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (PARAMS, INDEX):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

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
        if not result.computed and not result.errors and self._first_error is not None:
            culprit = self._document.analysis.layers[self._first_error].name
            lines.append(f"Not computed: {culprit} above has an error")
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
