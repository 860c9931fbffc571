"""Export > PyTorch: a read-only, highlighted preview of the generated module, with Save and Copy.

The text is convdesigner.io.torch_export.export_torch(design); a design with errors shows the engine's
messages instead (nothing to save).
"""

from __future__ import annotations

import os
import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..engine.design import Design
from ..io.design_file import write_atomically
from . import icons
from .python_highlighter import PythonHighlighter


def module_file_name(design: Design) -> str:
    """A file name for the exported module: the design's name in snake case."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", design.name)
    stem = re.sub(r"[^A-Za-z0-9]+", "_", words).strip("_").lower() or "model"
    return f"{stem}.py"


def write_text_file(path: str, text: str) -> str | None:
    """Write text atomically (`design_file.write_atomically`: never half a file, never over a FIFO or a
    device, any name the file system allows); the error text, or None when saved."""
    try:
        write_atomically(path, text)
    except OSError as error:
        return error.strerror or str(error)
    return None


class ExportDialog(QDialog):
    def __init__(self, design: Design, folder: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle(f"Export {design.name} to PyTorch")
        self.resize(820, 640)
        self._design = design
        self._folder = folder or os.getcwd()
        self.saved_path: str | None = None
        self.code: str | None = None
        self.problems: list[str] = []
        try:
            from ..io.torch_export import ExportError, export_torch
        except ImportError as exc:  # the exporter ships with the app; guard a broken install
            self.problems = [f"The PyTorch exporter is not available: {exc}"]
        else:
            try:
                self.code = export_torch(design)
            except ExportError as exc:
                self.problems = list(exc.messages) or [str(exc)]
        self.header = QLabel(self)
        self.header.setWordWrap(True)
        self.preview = QPlainTextEdit(self)
        self.preview.setObjectName("exportPreview")
        self.preview.setReadOnly(True)
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.preview.setFont(font)
        self.preview.setTabStopDistance(4 * self.preview.fontMetrics().horizontalAdvance(" "))
        buttons = QDialogButtonBox(self)
        self.save_button = QPushButton(icons.icon("save"), "Save…", self)
        self.save_button.setObjectName("exportSave")
        self.copy_button = QPushButton(icons.icon("copy"), "Copy", self)
        self.copy_button.setObjectName("exportCopy")
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(self.save)
        self.copy_button.clicked.connect(self.copy)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.preview, 1)
        layout.addWidget(buttons)
        if self.code is not None:
            self._highlighter = PythonHighlighter(self.preview.document())
            self.preview.setPlainText(self.code)
            self.header.setText(f"A self-contained PyTorch module for <b>{_escape(design.name)}</b>: it imports only "
                                "torch, and running it checks the output shape and parameter count.")
        else:
            self.preview.setPlainText("\n".join(self.problems))
            self.header.setText("<b>The design cannot be exported until these errors are fixed:</b>")
            self.save_button.setEnabled(False)
            self.copy_button.setEnabled(False)
        self.preview.setFocus(Qt.FocusReason.OtherFocusReason)

    def copy(self) -> None:
        if self.code is not None:
            QGuiApplication.clipboard().setText(self.code)

    def save(self, path: str | None = None) -> bool:
        if self.code is None:
            return False
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Save the PyTorch module",
                                                  os.path.join(self._folder, module_file_name(self._design)),
                                                  "Python files (*.py);;All files (*)")
        if not path:
            return False
        error = write_text_file(path, self.code)
        if error is not None:
            QMessageBox.critical(self, "Cannot save the module", f"{path} was not saved: {error}")
            return False
        self.saved_path = path
        return True


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
