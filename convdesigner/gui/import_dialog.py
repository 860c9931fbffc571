"""File > Import: open a PyTorch model (a .py file and the class or function that builds it) or an ONNX file
as a new, unsaved design, and show what the import could not carry over.

The import itself is `convdesigner.io.model_import.import_source`, the same as ``convdesigner import``; this
dialog only gathers its arguments and shows its report. torch and onnx are imported when the user imports.
"""

from __future__ import annotations

import json
import os
import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..io.model_import import ImportResult, MissingDependency, import_source, is_onnx_source
from .theme import StateColours

MODEL_FILTER = "Models (*.py *.onnx);;PyTorch code (*.py);;ONNX files (*.onnx);;All files (*)"


def parse_shape(text: str) -> tuple[int, ...] | None:
    """"3 224 224" (or "3, 224, 224", "3x224x224") as a shape; None when empty. ValueError when not numbers."""
    parts = [p for p in re.split(r"[\s,x×]+", text.strip()) if p]
    if not parts:
        return None
    values = tuple(int(p) for p in parts)
    if not 2 <= len(values) <= 4 or min(values) < 1:
        raise ValueError("give the channels, then 1 to 3 spatial sizes, all positive (e.g. 3 224 224)")
    return values


class ImportDialog(QDialog):
    """The import's arguments: the file, the class or function name (Python), the input shape (required for
    Python, optional for ONNX) and the constructor's keyword arguments as JSON. OK runs the import; a problem
    that prevents it shows in the dialog, which stays open. `result` holds a successful import."""

    def __init__(self, path: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import a model")
        self.setObjectName("importDialog")
        self.result_: ImportResult | None = None
        self.path_edit = QLineEdit(path)
        self.path_edit.setObjectName("importPath")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("importName")
        self.name_edit.setPlaceholderText("the nn.Module class, or a function returning one")
        self.shape_edit = QLineEdit()
        self.shape_edit.setObjectName("importShape")
        self.shape_edit.setPlaceholderText("channels and sizes, e.g. 3 224 224")
        self.kwargs_edit = QLineEdit()
        self.kwargs_edit.setObjectName("importKwargs")
        self.kwargs_edit.setPlaceholderText('keyword arguments as JSON, e.g. {"num_classes": 10}')
        form = QFormLayout()
        form.addRow("File:", row)
        form.addRow("&Class or function:", self.name_edit)
        form.addRow("&Input shape:", self.shape_edit)
        form.addRow("&Arguments:", self.kwargs_edit)
        self.error_label = QLabel()
        self.error_label.setObjectName("importError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.path_edit.textChanged.connect(self._kind_changed)
        self._kind_changed()
        self.resize(560, self.sizeHint().height())

    def _kind_changed(self) -> None:
        python = not is_onnx_source(self.path_edit.text().strip())
        self.name_edit.setEnabled(python)
        self.kwargs_edit.setEnabled(python)
        self.shape_edit.setPlaceholderText("channels and sizes, e.g. 3 224 224" if python else
                                           "from the file (give it if the file's is dynamic)")

    def _browse(self) -> None:
        folder = os.path.dirname(self.path_edit.text()) or os.getcwd()
        path, _ = QFileDialog.getOpenFileName(self, "Import a model", folder, MODEL_FILTER)
        if path:
            self.path_edit.setText(path)

    def _fail(self, message: str) -> None:
        self.error_label.setStyleSheet(f"color: {StateColours().error.name()};")  # the palette's, light or dark
        self.error_label.setText(message)
        self.error_label.show()

    def source(self) -> str:
        path = self.path_edit.text().strip()
        return path if is_onnx_source(path) else f"{path}:{self.name_edit.text().strip()}"

    def accept(self) -> None:
        path = self.path_edit.text().strip()
        if not path or not os.path.isfile(path):
            self._fail(f"No such file: {path}" if path else "Choose a .py or .onnx file.")
            return
        onnx = is_onnx_source(path)
        if not onnx and not self.name_edit.text().strip():
            self._fail("Give the class or function in the file that builds the model.")
            return
        try:
            shape = parse_shape(self.shape_edit.text())
            kwargs = json.loads(self.kwargs_edit.text() or "{}") if not onnx else {}
        except ValueError as error:  # json.JSONDecodeError is a ValueError
            self._fail(f"{error}")
            return
        if not isinstance(kwargs, dict):
            self._fail('The arguments must be a JSON object, e.g. {"num_classes": 10}.')
            return
        if shape is None and not onnx:
            self._fail("Give the input shape: channels, then 1 to 3 spatial sizes (e.g. 3 224 224).")
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result, _ = import_source(self.source(), shape, kwargs)
        except MissingDependency as error:
            self._fail(str(error))
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        if result.design is None:
            self._fail("\n".join(problem.text for problem in result.problems))
            return
        self.result_ = result
        super().accept()


#: How many problems the report shows before "Show Details".
REPORT_SHOWN = 5


def show_import_report(result: ImportResult, parent: QWidget) -> QMessageBox:
    """The problems of an import that opened, in a window-modal box: the first few shown, all in the details."""
    count = len(result.problems)
    box = QMessageBox(QMessageBox.Icon.Warning, "Imported with problems",
                      f"The design opened with {count} problem{'s' if count != 1 else ''}: what could not be "
                      "imported as it is, and what to do.", QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("importReport")
    lines = [problem.text for problem in result.problems]
    more = f"\n… and {count - REPORT_SHOWN} more (Show Details)" if count > REPORT_SHOWN else ""
    box.setInformativeText("\n\n".join(lines[:REPORT_SHOWN]) + more)
    box.setDetailedText("\n".join(lines))
    box.open()
    return box


__all__ = ["ImportDialog", "parse_shape", "show_import_report"]
