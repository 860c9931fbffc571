"""Layer > Valid Input Sizes: per axis, the input sizes for which the whole design works cleanly (every
layer valid, no input dropped by a stride, every skip connection matching), from the same engine function as
``convdesigner sizes`` (engine.tools.sizes.input_sizes); a click sets the input to the nearest such size."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..engine.design import InputSpec
from ..engine.tools.sizes import DEFAULT_HIGH, DEFAULT_LOW, input_size_suggestion, input_sizes, nearest_valid_sizes
from .document import Document
from .undo_commands import SetInput


class SizesDialog(QDialog):
    """The valid sizes of the open design, recomputed when the design or the range changes."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sizesDialog")
        self.setWindowTitle("Valid input sizes")
        self._document = document
        self.low = QSpinBox(self)
        self.low.setObjectName("sizesLow")
        self.high = QSpinBox(self)
        self.high.setObjectName("sizesHigh")
        for spin, value in ((self.low, DEFAULT_LOW), (self.high, DEFAULT_HIGH)):
            spin.setRange(1, 65536)
            spin.setValue(value)
            spin.valueChanged.connect(self.refresh)
        range_row = QHBoxLayout()
        range_row.addWidget(QLabel("Sizes from", self))
        range_row.addWidget(self.low)
        range_row.addWidget(QLabel("to", self))
        range_row.addWidget(self.high)
        range_row.addStretch(1)
        self.intro = QLabel("An input size works when every layer is valid, no stride drops input rows or "
                            "columns and every skip connection matches.", self)
        self.intro.setWordWrap(True)
        self.axes = QWidget(self)
        self._grid = QGridLayout(self.axes)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self.note = QLabel(self)
        self.note.setObjectName("sizesNote")
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(range_row)
        layout.addWidget(self.axes)
        layout.addWidget(self.note)
        layout.addStretch(1)
        layout.addWidget(buttons)
        #: per axis: (description label, "use" button or None)
        self.rows: list[tuple[QLabel, QPushButton | None]] = []
        document.changed.connect(lambda _before: self.refresh())
        document.replaced.connect(self.refresh)
        self.resize(560, 260)
        self.refresh(force=True)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self, *_args, force: bool = False) -> None:
        """Recompute with the engine and rebuild the rows (only while the dialog is open)."""
        if not (force or self.isVisible()):
            return
        design = self._document.design
        low, high = self.low.value(), self.high.value()
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.rows = []
        if high < low:
            self.note.setText("The range needs the first size at most the second.")
            return
        own = design.input.size
        for n, axis in enumerate(input_sizes(design, low, high)):
            label = QLabel(f"<b>{axis.name}</b>", self.axes)
            text = QLabel(axis.description, self.axes)
            text.setObjectName(f"sizesAxis{n}")
            text.setWordWrap(True)
            self._grid.addWidget(label, n, 0)
            self._grid.addWidget(text, n, 1)
            self._grid.setColumnStretch(1, 1)
            button = None
            if own[n] not in axis.sizes:
                below, above = nearest_valid_sizes(design, n)
                choice = below if below is not None else above
                if choice is not None:
                    button = QPushButton(f"Use {choice}", self.axes)
                    button.setObjectName(f"sizesUse{n}")
                    button.setToolTip(f"Set the input size on axis {axis.name} to {choice} (one undo step)")
                    button.clicked.connect(lambda _checked=False, a=n, v=choice: self.use(a, v))
                    self._grid.addWidget(button, n, 2)
            self.rows.append((text, button))
        hint = input_size_suggestion(design)
        size = "×".join(map(str, own))
        self.note.setText(f"The design's input {size} does not work: {hint}." if hint else
                          f"The design's input {size} works.")

    def use(self, axis: int, value: int) -> None:
        spec = self._document.design.input
        sizes = list(spec.size)
        sizes[axis] = value
        self._document.push(SetInput(self._document, InputSpec(spec.channels, tuple(sizes))))


