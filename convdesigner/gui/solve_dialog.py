"""Layer > Solve padding: the paddings that bring a (transposed) convolution to a target output size.

The solutions are convdesigner.engine.tools.solve.solve_padding's; the dialog lists them for the target the
user types, explains an axis without solutions, and applying one is a single undoable edit.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..engine.design import axis_name
from ..engine.tools.solve import SolveError, solve_padding
from .document import Document
from .formatting import shape_text
from .stack_view import wide_spin_box
from .undo_commands import ApplySolution

SOLUTION_ROLE = Qt.ItemDataRole.UserRole + 1


class SolveDialog(QDialog):
    def __init__(self, document: Document, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("solveDialog")
        self._document = document
        self._index = index
        result = document.analysis.layers[index]
        self.setWindowTitle(f"Solve padding of {result.name}")
        self.resize(520, 420)
        intro = QLabel(self)
        intro.setWordWrap(True)
        shape = shape_text(result.input_shape)
        now = shape_text(result.output_shape) if result.computed else "an error"
        intro.setText(f"<b>{result.name}</b> ({result.type}) receives {shape} and now gives {now}.<br>"
                      "Type the spatial output size you want; pick a solution and apply it.")
        self.targets: list[QSpinBox] = []
        row = QHBoxLayout()
        row.addWidget(QLabel("Target size:", self))
        ndim = len(result.input_shape) - 1 if result.input_shape else 0
        geometry = result.geometry or ()
        for axis in range(ndim):
            spin = wide_spin_box(self)
            spin.setObjectName(f"target{axis}")
            spin.setPrefix(f"{axis_name(axis, ndim)}: ")
            start = result.input_shape[axis + 1] if result.input_shape else 1
            if axis < len(geometry) and geometry[axis].transposed:
                start = geometry[axis].i * geometry[axis].s  # the usual wish: up-sample by the stride
            spin.setValue(start)
            spin.valueChanged.connect(self._solve)
            row.addWidget(spin)
            self.targets.append(spin)
        row.addStretch(1)
        self.solutions = QListWidget(self)
        self.solutions.setObjectName("solutionList")
        self.solutions.itemDoubleClicked.connect(lambda _item: self.accept())
        self.reason = QLabel(self)
        self.reason.setObjectName("solveReason")
        self.reason.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.solutions.currentRowChanged.connect(self._selection_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.solutions, 1)
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self._solve()

    def target(self) -> tuple[int, ...]:
        return tuple(spin.value() for spin in self.targets)

    def _solve(self, *_args) -> None:
        self.solutions.clear()
        try:
            solved = solve_padding(self._document.analysis, self._index, self.target())
        except SolveError as exc:
            self.reason.setText(str(exc))
            self._selection_changed(-1)
            return
        layer = self._document.design.layers[self._index]
        for solution in solved.solutions:
            texts = [axis.text for axis in solution.axes]
            if len(set(texts)) == 1:  # the same on every axis: say it once (with any dropped input)
                label = solution.text + (texts[0][texts[0].index(" (drops"):] if " (drops" in texts[0] else "")
            else:
                label = f"{solution.text}    (" + "; ".join(
                    f"{axis_name(a, len(texts))}: {text}" for a, text in enumerate(texts)) + ")"
            current = all(_same(layer.get(key), value) for key, value in solution.arguments.items())
            item = QListWidgetItem(label + ("    — current" if current else ""), self.solutions)
            item.setToolTip("\n".join(f"{axis_name(a, len(texts))}: {text}" for a, text in enumerate(texts)))
            item.setData(SOLUTION_ROLE, solution.arguments)
        self.reason.setText("" if solved.ok else solved.message)
        if self.solutions.count():
            self.solutions.setCurrentRow(0)
        self._selection_changed(self.solutions.currentRow())

    def _selection_changed(self, row: int) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).setEnabled(row >= 0)

    def accept(self) -> None:
        item = self.solutions.currentItem()
        if item is None:
            return
        arguments = item.data(SOLUTION_ROLE)
        name = self._document.design.layers[self._index].name
        target = "×".join(map(str, self.target()))
        self._document.push(ApplySolution(self._document, self._index, dict(arguments),
                                          f"Solve padding of {name} for {target}"))
        super().accept()


def _same(given, wanted) -> bool:
    """A layer's argument equals a solution's value (lists and tuples alike; absent counts as 0)."""
    def plain(value):
        if isinstance(value, (list, tuple)):
            return tuple(plain(v) for v in value)
        return 0 if value is None else value

    return plain(given) == plain(wanted)
