"""Edit > Design Name and Description: the design's name (the exported module's class name comes from it)
and its description, changed as one undoable edit."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from .document import Document
from .theme import StateColours
from .undo_commands import SetDesignInfo


class DesignDialog(QDialog):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("designDialog")
        self.setWindowTitle("Design name and description")
        self._document = document
        design = document.design
        self.name = QLineEdit(design.name, self)
        self.name.setObjectName("designName")
        self.name.setToolTip("The design's name; the exported PyTorch module's class is named after it")
        self.description = QPlainTextEdit(design.description, self)
        self.description.setObjectName("designDescription")
        self.description.setTabChangesFocus(True)
        self.problem = QLabel(self)
        self.problem.setStyleSheet(f"color: {StateColours().error.name()};")
        self.problem.hide()
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Description:", self.description)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(480, 260)

    def accept(self) -> None:
        """One edit for both fields; an empty name is refused (the dialog stays open and says why)."""
        name = self.name.text().strip()
        description = self.description.toPlainText().strip()
        if not name:
            self.problem.setText("The design needs a name (the exported class is named after it).")
            self.problem.show()
            return
        design = self._document.design
        if (name, description) != (design.name, design.description):
            self._document.push(SetDesignInfo(self._document, name, description))
        super().accept()
