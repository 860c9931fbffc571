"""Export > Animation as GIF: the view, the size, the frame rate, the steps and whether the numbers are
shown, and the file (in the design's folder by default), chosen before anything is rendered."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class AnimationChoice:
    """What the dialog asks for: the GIF's file, view, size in pixels, frames per second, steps (first and
    last, counted from 0) and whether the numbers mode is drawn."""

    path: str
    view: str
    size: tuple[int, int]
    fps: float
    steps: tuple[int, int]
    numbers: bool


class AnimationDialog(QDialog):
    def __init__(self, views: dict[str, str], view: str, step_counts: dict[str, int], size: tuple[int, int],
                 fps: float, numbers: bool, numbers_possible: bool, path: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("animationDialog")
        self.setWindowTitle("Export the animation")
        self.setMinimumWidth(480)  # room for the file's path
        self._counts = step_counts
        self.view = QComboBox(self)
        for key, label in views.items():
            self.view.addItem(label, key)
        self.view.setCurrentIndex(max(0, self.view.findData(view)))
        self.width_box, self.height_box = QSpinBox(self), QSpinBox(self)
        for box, value in ((self.width_box, size[0]), (self.height_box, size[1])):
            box.setRange(160, 4096)
            box.setSuffix(" px")
            box.setValue(value)
        size_row = QHBoxLayout()
        size_row.addWidget(self.width_box)
        size_row.addWidget(QLabel("×", self))
        size_row.addWidget(self.height_box)
        size_row.addStretch(1)
        self.fps = QDoubleSpinBox(self)
        self.fps.setRange(0.1, 50.0)
        self.fps.setDecimals(1)
        self.fps.setSuffix(" frames / s")
        self.fps.setValue(fps)
        self.first, self.last = QSpinBox(self), QSpinBox(self)
        steps_row = QHBoxLayout()
        steps_row.addWidget(QLabel("from", self))
        steps_row.addWidget(self.first)
        steps_row.addWidget(QLabel("to", self))
        steps_row.addWidget(self.last)
        steps_row.addStretch(1)
        self.numbers = QCheckBox("Draw the values (numbers mode)", self)
        self.numbers.setChecked(numbers and numbers_possible)
        self.numbers.setEnabled(numbers_possible)
        self.path = QLineEdit(path, self)
        self.path.setObjectName("animationPath")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("View:", self.view)
        form.addRow("Size:", size_row)
        form.addRow("Speed:", self.fps)
        form.addRow("Steps:", steps_row)
        form.addRow("", self.numbers)
        form.addRow("File:", path_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.view.currentIndexChanged.connect(self._view_changed)
        self._view_changed()

    def _view_changed(self, *_args) -> None:
        count = max(1, self._counts.get(self.view.currentData(), 1))
        for box in (self.first, self.last):
            box.setRange(1, count)
        self.first.setValue(1)
        self.last.setValue(count)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the animation", self.path.text(), "Animated GIF (*.gif)")
        if path:
            self.path.setText(path)

    def choice(self) -> AnimationChoice:
        first, last = sorted((self.first.value(), self.last.value()))
        path = self.path.text().strip()
        if path and not path.lower().endswith(".gif"):
            path += ".gif"
        return AnimationChoice(path, self.view.currentData(), (self.width_box.value(), self.height_box.value()),
                               self.fps.value(), (first - 1, last - 1), self.numbers.isChecked())


def default_gif_path(folder: str | None, layer: str, view: str) -> str:
    """``<design's folder>/<layer>-<view>.gif`` (the working folder for an unsaved design)."""
    return os.path.join(folder or os.getcwd(), f"{layer}-{view}.gif")
