"""The sliding-window canvas (issue 5). Contract with the main window:

``CanvasWidget(parent=None)`` is a QWidget for the central area; ``show_layer(analysis, index)`` shows
layer ``index`` of an engine ``Analysis`` (``None`` for either: nothing selected). It keeps its step when
the same layer is shown again after an edit.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class CanvasWidget(QWidget):
    """Placeholder until the canvas lands: says which layer is selected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._label = QLabel("Select a layer to see its sliding window.", self)
        self._label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self._label)

    def show_layer(self, analysis, index) -> None:
        if analysis is None or index is None:
            self._label.setText("Select a layer to see its sliding window.")
        else:
            self._label.setText(f"{analysis.layers[index].name}")
