"""The selected layer's properties: a form generated from its type's argument schemas.

One row per argument of ``CATALOG[type].arguments``: the editor for its kind (argument_editors), a
placeholder for an unset optional or inferred value ("inferred: 64"), a reset button for a value that can go
back to its default, and the engine's message under any argument it refuses (with a red frame). Every change
is one SetArguments command; the form updates in place after each edit so typing is never interrupted.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..engine.analysis import Diagnostic, LayerResult
from ..engine.arguments import Argument, Kind, check_value
from ..engine.design import NETWORK_INPUT, Layer
from ..engine.layers import CATALOG
from ..engine.layers.common import LayerType
from ..engine.tools import solvable
from . import icons
from .argument_editors import ArgumentEditor, LayerEditor, NumberEditor, editor_for
from .document import Document
from .fixes import fixes_for
from .form_labels import KeptPixelsLabel, SteadyLabel
from .formatting import EXPECTED, app_text, shape_text, subtitle, value_text, warnings_of
from .theme import StateColours
from .undo_commands import SetArguments, SetWiring
from .viewport import give_viewport

#: The ``argument`` of the engine's diagnostics about a layer's wiring.
WIRING = "from"

#: Each window argument in Dumoulin & Visin's terms, one line: what it is, its symbol, its effect.
PAPER_TERMS = {
    "kernel_size": "kernel size k: the window's extent per axis; a larger k sees more input and gives a smaller "
                   "output (o = ⌊(i + 2p − k)/s⌋ + 1)",
    "stride": "stride s: the distance between consecutive windows; s > 1 down-samples (about i/s outputs) and "
              "multiplies the jump by s",
    "padding": "padding p: zeros added at each border; p = (k − 1)/2 with s = 1 keeps the size (half padding), "
               "p = k − 1 grows it (full padding)",
    "dilation": "dilation d: spacing between the kernel's taps; the window spans d(k − 1) + 1 units (k̂), "
                "widening the receptive field without more weights",
    "output_padding": "output padding a: extra units on the high side of a transposed convolution's output, "
                      "choosing among the input sizes a stride-s convolution maps to the same output",
    "in_channels": "input channels: the feature maps each output unit reads (inferred from the layer before)",
    "out_channels": "output channels: how many kernels, one output feature map each",
    "groups": "groups: channels split into this many independent groups (out/groups kernels each)",
    "ceil_mode": "ceil mode: round the output size up, so a last partial window covers the input rows a stride "
                 "would otherwise drop",
    "scale_factor": "scale factor: each output axis is this many times the input's (the jump is divided by it)",
}

#: Arguments whose inferred value is the incoming tensor's last axis rather than its channels.
_INFERRED_FROM_LAST_AXIS = {"in_features"}


def layer_ndim(result: LayerResult, layer_type: LayerType | None, fallback: int) -> int:
    """How many spatial axes a layer's per-axis arguments have: its type's rank, else its input's."""
    if layer_type is not None and layer_type.ndim:
        return layer_type.ndim
    if result.input_shape is not None:
        return max(1, len(result.input_shape) - 1)
    return fallback


def inferred_value(argument: Argument, result: LayerResult) -> int | None:
    """What the engine takes for an inferred width: read off the incoming shape (no arithmetic)."""
    if result.input_shape is None:
        return None
    return result.input_shape[-1] if argument.name in _INFERRED_FROM_LAST_AXIS else result.input_shape[0]


def starting_value(argument: Argument, result: LayerResult, earlier: list[str]) -> Any:
    """The value an unset argument takes when the user clicks to set it."""
    if argument.inferred:
        return inferred_value(argument, result) or 1
    if argument.follows is not None and result.layer.get(argument.follows) is not None:
        return result.layer.get(argument.follows)
    if argument.kind == Kind.LAYER:  # the nearest layer above, as the From field lists them
        return earlier[-1] if earlier else NETWORK_INPUT
    return {
        Kind.SCALE: 2, Kind.BOOL: False, Kind.FLOAT: 0.0, Kind.PAD_LIST: 0, Kind.DIM: 1, Kind.SHAPE: (-1,),
        Kind.CHOICE: argument.choices[0] if argument.choices else None,
    }.get(argument.kind, 1)


def placeholder_text(argument: Argument, result: LayerResult) -> str:
    if argument.inferred:
        value = inferred_value(argument, result)
        return f"inferred: {value}" if value is not None else "inferred"
    if argument.follows is not None:
        return f"same as {argument.follows}"
    if argument.required:
        return "not set (required)"
    return "not set"


class ArgumentRow:
    """The widgets of one argument in the form's grid."""

    def __init__(self, form: PropertiesPanel, argument: Argument, grid: QGridLayout, row: int) -> None:
        self.argument = argument
        self.form = form
        parent = grid.parentWidget()
        self.label = QLabel(argument.name, parent)
        tip = PAPER_TERMS.get(argument.name, argument.help or argument.name)
        self.label.setToolTip(tip[0].upper() + tip[1:] + (f" ({argument.help})" if argument.name in PAPER_TERMS
                                                          and argument.help else ""))
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.label.setContentsMargins(0, 4, 0, 0)
        self.stack = QStackedWidget(parent)
        self.placeholder = QPushButton(parent)
        self.placeholder.setObjectName(f"set_{argument.name}")
        self.placeholder.setFlat(True)
        self.placeholder.setStyleSheet("text-align: left; font-style: italic; padding: 3px 4px;")
        self.placeholder.setToolTip(f"Click to set {argument.name} explicitly")
        self.placeholder.clicked.connect(self._set_explicitly)
        self.editor: ArgumentEditor = editor_for(argument, parent)
        self.editor.setObjectName(f"edit_{argument.name}")
        self.editor.setToolTip(self.label.toolTip())
        self.editor.edited.connect(self._edited)
        if isinstance(self.editor, NumberEditor):
            self.editor.problem.connect(self._local_problem)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.editor)
        self.reset = QToolButton(parent)
        self.reset.setObjectName(f"reset_{argument.name}")
        icons.set_icon(self.reset, "reset")
        self.reset.setAutoRaise(True)
        default = "the inferred value" if argument.inferred else (
            "not set" if argument.default is None else value_text(argument.default))
        self.reset.setToolTip(f"Reset {argument.name} to its default ({default})")
        self.reset.clicked.connect(lambda: self.form.set_argument(argument.name, None))
        self.message = QLabel(parent)
        self.message.setObjectName(f"problem_{argument.name}")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self._local = ""
        #: what the row shows (`show`): None until shown, and after a palette change (colours to redo)
        self._state: tuple | None = None
        grid.addWidget(self.label, row, 0)
        grid.addWidget(self.stack, row, 1)
        grid.addWidget(self.reset, row, 2, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.message, row + 1, 1, 1, 2)
        for widget in (self.label, self.stack):  # shown now, not on the next event loop turn
            widget.setVisible(True)

    def show(self, result: LayerResult, ndim: int, earlier: list[str], problems: list[Diagnostic]) -> None:
        """Show the argument of ``result``'s layer; a row whose value, placeholder, choices and problems are
        those it shows already (switching between like layers, an edit of another argument) is left alone."""
        argument = self.argument
        given = argument.name in result.layer.arguments
        value = result.layer.get(argument.name)
        placeholder = None if given or argument.default is not None else placeholder_text(argument, result)
        choices = tuple(earlier) if isinstance(self.editor, LayerEditor) else None
        geometry = result.geometry if self.editor.uses_geometry else None
        state = (given, repr(value), ndim, placeholder, choices, geometry, tuple(problems))  # repr: 1 is not True
        if state == self._state and not self._local:
            return
        self._state = state
        self.form.row_updates += 1
        if choices is not None:
            self.editor.set_choices(earlier)
        if placeholder is None:
            self.editor.set_value(value if given else argument.default, ndim, result.geometry)
            self.stack.setCurrentWidget(self.editor)
        else:
            self.placeholder.setText(placeholder)
            self.stack.setCurrentWidget(self.placeholder)
        font = self.label.font()
        font.setBold(given)
        self.label.setFont(font)
        resettable = given and not argument.required
        if self.reset.isHidden() == resettable:
            self.reset.setVisible(resettable)
        self._problems = problems
        self._local = ""  # the editor shows the design's value again
        self._show_problems()

    def forget(self) -> None:
        """The next `show` updates the widgets whatever they show (a new palette's colours)."""
        self._state = None

    def _show_problems(self) -> None:
        texts = [app_text(d.message + (f"; {d.suggestion}" if d.suggestion else "")) for d in self._problems]
        if self._local:
            texts.insert(0, self._local)
        refused = bool(texts)
        self.editor.set_refused(refused)
        text = "\n".join(texts)
        if text != self.message.text():
            self.message.setText(text)
            self.message.setStyleSheet(f"color: {StateColours().error.name()};")
        if self.message.isHidden() == refused:
            self.message.setVisible(refused)

    def _local_problem(self, text: str) -> None:
        self._local = text
        self._show_problems()

    def refuse(self, text: str) -> None:
        """Show why a typed value was not applied ("" once a value is)."""
        if text != self._local:
            self._local_problem(text)

    def _edited(self, value: Any) -> None:
        self.form.set_argument(self.argument.name, value)

    def _set_explicitly(self) -> None:
        result = self.form.result
        if result is not None:
            self.form.set_argument(self.argument.name, starting_value(self.argument, result, self.form.earlier_names()))


ABOVE = "the layer above"


class SourceChoices(QAbstractListModel):
    """The From field's choices, (text, the names read): first what the layer reads when no single choice
    gives it, then the layer above (not for a join), the layers above nearest first, the network input.
    Served from the list of names, so that showing another layer swaps a list instead of adding an item
    per layer above."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._head: list[tuple[str, tuple[str, ...]]] = []
        self._names: list[str] = []
        #: how often the choices were replaced (a work count the tests read)
        self.resets = 0

    def set_choices(self, head: list[tuple[str, tuple[str, ...]]], names: list[str]) -> None:
        """Show these choices. Another layer of the same kind lists more or fewer layers above it, the same
        ones in the same order: those rows are inserted or removed after the head (a reset set the combo's
        text again, which repainted it, on every selection); anything else replaces them all."""
        old = self._names
        kept = min(len(old), len(names))
        if head != self._head or old[:kept] != names[:kept]:
            self.beginResetModel()
            self._head, self._names = head, names
            self.resets += 1
            self.endResetModel()
        elif len(names) > kept:  # rows nearest first: the new names go right after the head
            self.beginInsertRows(QModelIndex(), len(head), len(head) + len(names) - kept - 1)
            self._names = names
            self.endInsertRows()
        elif len(old) > kept:
            self.beginRemoveRows(QModelIndex(), len(head), len(head) + len(old) - kept - 1)
            self._names = names
            self.endRemoveRows()

    def same(self, head: list[tuple[str, tuple[str, ...]]], names: list[str]) -> bool:
        return head == self._head and names == self._names

    def choice(self, row: int) -> tuple[str, tuple[str, ...]]:
        if row < len(self._head):
            return self._head[row]
        nearest = row - len(self._head)
        name = self._names[-1 - nearest] if nearest < len(self._names) else NETWORK_INPUT
        return name, (name,)

    def row_of(self, names: tuple[str, ...]) -> int | None:
        """The first row whose choice reads ``names`` (None: none does)."""
        for row, (_text, value) in enumerate(self._head):
            if value == names:
                return row
        if len(names) == 1 and names[0] in self._names:
            return len(self._head) + self._names[::-1].index(names[0])
        if names == (NETWORK_INPUT,):
            return len(self._head) + len(self._names)
        return None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._head) + len(self._names) + 1

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        text, names = self.choice(index.row())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return text
        return names if role == Qt.ItemDataRole.UserRole else None


class SourceCombo(QComboBox):
    """The From field's combo: its list opens as wide as its longest entry (a narrow dock elides none),
    measured when it opens after its choices changed, not on every selection (measuring reads every row)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.stale_width = True
        #: how often the list's width was measured (a work count the tests read)
        self.measures = 0

    def showPopup(self) -> None:
        if self.stale_width:
            view = self.view()
            view.setMinimumWidth(view.sizeHintForColumn(0) + view.verticalScrollBar().sizeHint().width() + 8)
            self.stale_width = False
            self.measures += 1
        super().showPopup()


class WiringRow:
    """The "From" field: which earlier layers the shown layer reads. A layer reads the layer above, an
    earlier layer or the network input; a join reads the layer above and the one chosen, or the names typed
    as a list ("a, b, c"), in order."""

    def __init__(self, panel: PropertiesPanel, parent: QWidget) -> None:
        self.panel = panel
        self.widget = QWidget(parent)
        grid = QGridLayout(self.widget)
        grid.setContentsMargins(0, 4, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setColumnStretch(1, 1)
        self.label = QLabel("From", self.widget)
        self.combo = SourceCombo(self.widget)
        self.combo.setObjectName("fromSource")
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.choices = SourceChoices(self.combo)
        self.combo.setModel(self.choices)
        self.combo.setToolTip("What this layer reads: the layer above, an earlier layer, or the network input. "
                              "A join reads the layer above and the layer chosen here, or the layers typed as a "
                              "list (a, b, c) in order.")
        self.label.setBuddy(self.combo)
        self.message = QLabel(self.widget)
        self.message.setObjectName("problem_from")
        self.message.setWordWrap(True)
        self.message.hide()
        grid.addWidget(self.label, 0, 0)
        grid.addWidget(self.combo, 0, 1)
        grid.addWidget(self.message, 1, 1)
        self.combo.activated.connect(lambda index: self._chosen(self.choices.choice(index)[1]))
        self.combo.lineEdit().editingFinished.connect(self._typed)

    def show(self, result: LayerResult, earlier: list[str], is_join: bool, problems: list[Diagnostic]) -> None:
        """Show what the layer reads; the choices are replaced only when they differ (not on an edit of the
        shown layer's arguments)."""
        self.combo.blockSignals(True)
        head = [] if is_join else [(ABOVE, ())]
        current = tuple(result.layer.inputs)
        offered = current == () and not is_join or len(current) == 1 and (current[0] in earlier
                                                                          or current[0] == NETWORK_INPUT)
        if not offered:  # a list of layers, or a layer not above: shown first, as it is
            head.insert(0, (", ".join(current), current))
        if not self.choices.same(head, earlier):
            self.choices.set_choices(head, list(earlier))
            self.combo.stale_width = True
        self.combo.setCurrentIndex(self.choices.row_of(current))
        self.combo.lineEdit().setCursorPosition(0)  # a long list shows its first names, not its last
        self.combo.blockSignals(False)
        text = "\n".join(app_text(d.message + (f"; {d.suggestion}" if d.suggestion else "")) for d in problems)
        if text != self.message.text():
            self.message.setText(text)
            self.message.setStyleSheet(f"color: {StateColours().error.name()};")
        if self.message.isHidden() == bool(text):
            self.message.setVisible(bool(text))

    def _typed(self) -> None:
        text = self.combo.currentText().strip()
        names = () if text in ("", ABOVE) else tuple(n.strip() for n in text.split(",") if n.strip())
        self._chosen(names)

    def _chosen(self, names: tuple[str, ...] | None) -> None:
        if names is not None:
            self.panel.set_inputs(names)


class PropertiesPanel(QWidget):
    """The properties dock's content: the selected layer's header, diagnostics and argument form."""

    #: The user asked for the padding solver on the shown layer.
    solveRequested = Signal()

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._index: int | None = None
        self._key: tuple | None = None
        #: argument rows whose widgets were updated (a row showing what it shows already is not): counted
        #: for the tests of the work a selection or an edit does
        self.row_updates = 0
        self.rows: dict[str, ArgumentRow] = {}
        #: Forms already built, by (layer type, spatial axes): switching layers reuses them.
        self._forms: dict[tuple, tuple[QWidget, dict[str, ArgumentRow]]] = {}
        #: each form's widgets that have a layout, innermost first, the form last
        self._form_layouts: dict[QWidget, list[QWidget]] = {}
        self.title = KeptPixelsLabel(self)
        self.title.setObjectName("propertiesTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.shapes = KeptPixelsLabel(self)
        self.shapes.setObjectName("propertiesShapes")
        self.shapes.setWordWrap(True)
        self.shapes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner = QLabel(self)
        self.banner.setObjectName("propertiesBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setMargin(6)
        #: one button per suggested fix of the shown layer (fixes.py): one click, one undo step
        self.fix_buttons: list[QPushButton] = []
        self._fixes: list = []
        self.fixes_row = QWidget(self)
        self.fixes_row.setObjectName("fixesRow")
        self._fixes_layout = QVBoxLayout(self.fixes_row)
        self._fixes_layout.setContentsMargins(0, 0, 0, 0)
        self._fixes_layout.setSpacing(4)
        self.solve_button = QPushButton("Solve padding…", self)
        icons.set_icon(self.solve_button, "solve")
        self.solve_button.setObjectName("solveButton")
        self.solve_button.setToolTip("Find paddings (and output paddings) that give the output size you want")
        self.solve_button.clicked.connect(self.solveRequested)
        self.forms_area = QWidget(self)
        self._forms_layout = QVBoxLayout(self.forms_area)
        self._forms_layout.setContentsMargins(0, 0, 0, 0)
        self.wiring = WiringRow(self, self)
        self.form_widget = QWidget(self.forms_area)
        self.empty = QLabel("Select a layer to edit its arguments.\n\nAdd layers from the Layer menu or the "
                            "palette; the input shape is edited above the stack.", self)
        self.empty.setObjectName("propertiesEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        content = QWidget(self)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        self._title_holder = SteadyLabel(self.title, content)
        self._shapes_holder = SteadyLabel(self.shapes, content)
        layout.addWidget(self._title_holder)
        layout.addWidget(self._shapes_holder)
        layout.addWidget(self.banner)
        layout.addWidget(self.wiring.widget)
        layout.addWidget(self.fixes_row)
        layout.addWidget(self.forms_area)
        layout.addWidget(self.solve_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.empty)
        layout.addStretch(1)
        scroll = QScrollArea(self)
        viewport = give_viewport(scroll)
        scroll.setWidget(content)
        #: the widgets whose layouts a change may leave to do, innermost first (`_lay_out_now`)
        self._layout_chain = [self.wiring.widget, self.fixes_row, self.forms_area, content, viewport]
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # a form wider than the dock (three axes, each its own value) scrolls sideways to its right edge
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        document.changed.connect(lambda _before: self.refresh())
        document.replaced.connect(lambda: self.show_layer(None))
        self.show_layer(None)

    @property
    def result(self) -> LayerResult | None:
        layers = self._document.analysis.layers
        return layers[self._index] if self._index is not None and self._index < len(layers) else None

    def earlier_names(self) -> list[str]:
        if self._index is None:
            return []
        return [layer.name for layer in self._document.design.layers[:self._index]]

    def show_layer(self, index: int | None) -> None:
        self._index = index
        self.refresh()

    def restyle(self) -> None:
        """Show everything again in a new palette's colours (the rows keep what they show otherwise)."""
        for _widget, rows in self._forms.values():
            for row in rows.values():
                row.forget()
        self.wiring.message.clear()
        self.refresh()

    def _use_form(self, key: tuple, layer_type: LayerType | None) -> None:
        """Show the form for (type, axes), building it the first time."""
        if key not in self._forms:
            widget = QWidget(self.forms_area)
            grid = QGridLayout(widget)
            grid.setContentsMargins(0, 4, 0, 0)
            grid.setHorizontalSpacing(8)
            grid.setVerticalSpacing(4)
            grid.setColumnStretch(1, 1)
            rows = {}
            if layer_type is not None:
                for position, argument in enumerate(layer_type.arguments):
                    rows[argument.name] = ArgumentRow(self, argument, grid, 2 * position)
            self._forms_layout.addWidget(widget)
            self._forms[key] = (widget, rows)
            self._form_layouts[widget] = [*_innermost_first(widget), widget]
        widget, rows = self._forms[key]
        if widget is not self.form_widget:
            self.form_widget.hide()
            self.form_widget = widget
        self.rows = rows

    def refresh(self) -> None:
        result = self.result
        has_layer = result is not None
        for widget in (self._title_holder, self._shapes_holder, self.wiring.widget):
            widget.setVisible(has_layer)
        self.empty.setVisible(not has_layer)
        self._show_fixes()
        if result is None:
            self.banner.hide()
            self.solve_button.hide()
            self.form_widget.hide()
            self._key = None
            return
        layer_type = CATALOG.get(result.type)
        ndim = layer_ndim(result, layer_type, self._document.design.input.ndim)
        key = (result.type, ndim)
        if key != self._key:
            self._key = key
            self._use_form(key, layer_type)
        summary = subtitle(result.type, result.layer.arguments)
        self.title.setText(f"<span style='font-size:13pt; font-weight:600'>{result.name}</span>"
                           f"&nbsp;&nbsp;<span>{result.type}</span><br><span style='color:"
                           f"{StateColours().muted.name()}'>{summary}</span>")
        self.shapes.setText(self._shapes_text(result))
        for holder in (self._title_holder, self._shapes_holder):  # now: the form's layout comes before its paint
            holder.refit()
        by_argument: dict[str, list[Diagnostic]] = {}
        general: list[Diagnostic] = []
        for diagnostic in result.diagnostics:
            if (diagnostic.argument in self.rows or diagnostic.argument == WIRING) and diagnostic.severity == "error":
                by_argument.setdefault(diagnostic.argument, []).append(diagnostic)
            else:
                general.append(diagnostic)
        earlier = self.earlier_names()
        self.wiring.show(result, earlier, layer_type is not None and layer_type.join, by_argument.get(WIRING, []))
        for name, row in self.rows.items():
            row.show(result, ndim, earlier, by_argument.get(name, []))
        if self.form_widget.isHidden():  # shown once its rows show this layer (hidden, they post no updates)
            self.form_widget.show()
        self._show_banner(result, general)
        self.solve_button.setVisible(solvable(result.type))
        self._lay_out_now()

    def _lay_out_now(self) -> None:
        """Do the layouts the change left to do now, innermost first, so that the form is painted once, laid
        out. Qt lays out one level per layout request, each posted when the level below was laid out, so
        the window's paint came between two of them: the form painted at its old layout, then again (all of
        it, when the scroll area resized it)."""
        for widget in (*self._form_layouts[self.form_widget], *self._layout_chain):
            QCoreApplication.sendPostedEvents(widget, QEvent.Type.LayoutRequest)
        for label in (self.title, self.shapes):  # laid out: their pixels kept before the window's paint
            label.keep()

    def _show_fixes(self) -> None:
        self._fixes = fixes_for(self._document, self._index) if self.result is not None else []
        labels = [fix.label for fix in self._fixes]
        if labels != [b.accessibleName() for b in self.fix_buttons]:
            for button in self.fix_buttons:
                self._fixes_layout.removeWidget(button)
                button.deleteLater()
            self.fix_buttons = []
            for n, label in enumerate(labels):
                button = QPushButton(label, self.fixes_row)
                button.setObjectName("fixButton")
                button.setAccessibleName(label)  # the whole label; the text is elided to the dock's width
                button.setToolTip(f"{label} (one undo step)")
                button.setMinimumWidth(40)
                button.clicked.connect(lambda _checked=False, n=n: self._apply_fix(n))
                self._fixes_layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
                self.fix_buttons.append(button)
        self.fixes_row.setVisible(bool(self._fixes))
        self._elide_fixes()

    def _elide_fixes(self) -> None:
        """Each fix button's label within the panel's width (elided in the middle, whole in its tooltip)."""
        room = max(80, self.width() - 40)
        for button in self.fix_buttons:
            metrics = button.fontMetrics()
            text = metrics.elidedText(button.accessibleName(), Qt.TextElideMode.ElideMiddle, room - 24)
            if text != button.text():
                button.setText(text)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide_fixes()

    def _apply_fix(self, n: int) -> None:
        """The fix as built for the design shown now (the buttons are rebuilt after every change)."""
        if n < len(self._fixes):
            self._document.push(self._fixes[n].command(self._document))

    def _shapes_text(self, result: LayerResult) -> str:
        if result.input_shape is None:
            return ("Not computed: this layer has an error (below)." if result.errors
                    else "Not computed: a layer above has an error.")
        out = shape_text(result.output_shape) if result.computed else "—"
        text = f"{shape_text(result.input_shape)}  →  {out}"
        if result.geometry:
            relationships = {g.relationship for g in result.geometry if g.relationship}
            if relationships:
                text += "\n" + "; ".join(sorted(relationships))
        return text

    def _show_banner(self, result: LayerResult, diagnostics: list[Diagnostic]) -> None:
        colours = StateColours()
        if not diagnostics:
            self.banner.hide()
            return
        errors = [d for d in diagnostics if d.severity == "error"]
        lines = []
        explained: set[str] = set()
        for d in diagnostics:
            expected = EXPECTED.get(d.rule)
            note = d.severity == "info" or (d.severity != "error" and expected is not None)  # true, not a problem
            colour = colours.error if d.severity == "error" else colours.muted if note else colours.warning
            mark = "Error" if d.severity == "error" else "Note" if note else "Warning"
            hint = d.suggestion if not expected else expected if d.rule not in explained else None
            if d.rule == "stride-drops-input" and hint and "ceil_mode" in self.rows and not result.layer.get(
                    "ceil_mode"):
                hint += ", or set ceil_mode (a last, partial window then covers them)"
            explained.add(d.rule)
            hint = f"<br><i>{_escape(app_text(hint))}</i>" if hint else ""
            lines.append(f"<b style='color:{colour.name()}'>{mark}:</b> {_escape(app_text(d.message))}{hint}")
        attention = errors or warnings_of(diagnostics)
        background = (colours.error_background if errors else colours.warning_background if attention
                      else self.palette().alternateBase().color())
        border = colours.error if errors else colours.warning if attention else colours.muted
        self.banner.setStyleSheet(f"QLabel#propertiesBanner {{ background: {background.name()}; "
                                  f"border: 1px solid {border.name()}; border-radius: 4px; }}")
        self.banner.setText("<br>".join(lines))
        self.banner.show()

    def set_argument(self, name: str, value: Any) -> None:
        """Set one argument of the shown layer (None: back to its default), as one undoable edit.

        A value the design file would refuse (kernel_size 0, stride 0, a negative padding: the catalog's
        type and range rules, the ones the loader applies) never reaches the design: its row says why, in
        red, and the design keeps its value. So whatever the app saves or autosaves opens again."""
        design = self._document.design
        if self._index is None or self._index >= len(design.layers):
            return
        layer = design.layers[self._index]
        row = self.rows.get(name)
        refusal = _refusal(layer, name, value, design.input.ndim)
        if row is not None:
            row.refuse(refusal)
        if refusal:
            return
        if layer.get(name) == value and (value is not None or name not in layer.arguments):
            return
        self._document.push(SetArguments(self._document, self._index, {name: value}))

    def set_inputs(self, names: tuple[str, ...]) -> None:
        """Set which layers the shown layer reads, as one undoable edit."""
        if self._index is None or self._index >= len(self._document.design.layers):
            return
        if self._document.design.layers[self._index].inputs != names:
            self._document.push(SetWiring(self._document, self._index, names))


def _innermost_first(widget: QWidget) -> list[QWidget]:
    """The widgets under ``widget`` that have a layout, each after every one under it."""
    found = []
    for child in widget.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
        found += _innermost_first(child)
        if child.layout() is not None:
            found.append(child)
    return found


def _refusal(layer: Layer, name: str, value: Any, input_ndim: int) -> str:
    """Why the design file would refuse ``value`` for argument ``name`` of ``layer`` ("" when it would not):
    the loader's check (`check_value`, on the layer type's rank or the input's)."""
    layer_type = CATALOG.get(layer.type)
    argument = next((a for a in layer_type.arguments if a.name == name), None) if layer_type else None
    if argument is None or value is None:
        return ""
    problem = check_value(argument, value, layer_type.ndim or input_ndim)
    return f"{problem}: not applied (the design keeps {value_text(layer.get(name))})" if problem else ""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
