"""View > Playground: one layer on its own, every window argument on a slider, per axis; the canvas, the
shape, the paper's relationship and the receptive field follow each move (the engine analyses the one-layer
design each time, exactly as it analyses a whole design). "Add to my design" inserts that layer after the
selection as one undo step. What an interactive convolution visualiser offers, plus transposed
convolutions, pooling and dilation."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..engine.analysis import Analysis, analyze
from ..engine.design import Design, InputSpec, Layer, axis_name
from ..engine.layers import CATALOG
from ..engine.layers.common import TRANSPOSED
from .canvas import CanvasWidget
from .document import Document
from .formatting import app_text, fraction, per_axis, shape_text
from .palette import new_layer
from .undo_commands import InsertLayers

#: The layer types the playground offers (2-D: the paper's figures).
TYPES = ("Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d")


@dataclass(frozen=True)
class Knob:
    """One slider: the argument it sets (None: the input size), its paper symbol, range and start."""

    argument: str | None
    symbol: str
    low: int
    high: int
    start: int
    transposed_only: bool = False


KNOBS = (
    Knob(None, "i", 1, 32, 5),
    Knob("kernel_size", "k", 1, 9, 3),
    Knob("stride", "s", 1, 5, 1),
    Knob("padding", "p", 0, 6, 0),
    Knob("dilation", "d", 1, 4, 1),
    Knob("output_padding", "a", 0, 4, 0, transposed_only=True),
)


class Playground(QDialog):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playground")
        self.setWindowTitle("Playground: one layer")
        self._document = document
        self.type_box = QComboBox(self)
        self.type_box.setObjectName("playgroundType")
        self.type_box.addItems(TYPES)
        self.same = QCheckBox("Same on both axes", self)
        self.same.setChecked(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Layer:", self))
        top.addWidget(self.type_box)
        top.addWidget(self.same)
        top.addStretch(1)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>H</b>", self), 0, 1)
        grid.addWidget(QLabel("<b>W</b>", self), 0, 3)
        #: per knob: ((slider, spin) for H, (slider, spin) for W), and the row's label
        self.controls: dict[str, tuple[tuple[QSlider, QSpinBox], tuple[QSlider, QSpinBox]]] = {}
        self._labels: dict[str, QLabel] = {}
        for row, knob in enumerate(KNOBS, 1):
            label = QLabel(f"{knob.symbol}", self)
            label.setToolTip(knob.argument or "the input size")
            grid.addWidget(label, row, 0)
            self._labels[knob.symbol] = label
            pairs = []
            for axis in range(2):
                slider = QSlider(Qt.Orientation.Horizontal, self)
                spin = QSpinBox(self)
                for widget in (slider, spin):
                    widget.setRange(knob.low, knob.high)
                    widget.setValue(knob.start)
                slider.setObjectName(f"slider_{knob.symbol}{axis}")
                spin.setObjectName(f"spin_{knob.symbol}{axis}")
                slider.valueChanged.connect(spin.setValue)
                spin.valueChanged.connect(slider.setValue)
                spin.valueChanged.connect(lambda _v, k=knob.symbol, a=axis: self._moved(k, a))
                grid.addWidget(slider, row, 1 + 2 * axis)
                grid.addWidget(spin, row, 2 + 2 * axis)
                pairs.append((slider, spin))
            self.controls[knob.symbol] = (pairs[0], pairs[1])
        self.canvas = CanvasWidget(self)
        self.canvas.setMinimumSize(520, 320)
        self.summary = QLabel(self)
        self.summary.setObjectName("playgroundSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.add_button = QPushButton("Add this layer to my design", self)
        self.add_button.setObjectName("playgroundAdd")
        self.add_button.setToolTip("Insert this layer after the selected one (at the end without a selection)")
        self.add_button.clicked.connect(self.add_to_design)
        controls = QVBoxLayout()
        controls.addLayout(top)
        controls.addLayout(grid)
        controls.addWidget(self.summary)
        controls.addStretch(1)
        controls.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout = QHBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.canvas, 1)
        self.type_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.same.toggled.connect(self._same_toggled)
        self._same_toggled(True)
        self.resize(1100, 560)

    def _same_toggled(self, same: bool) -> None:
        for (_h, (slider, spin)) in self.controls.values():
            slider.setEnabled(not same)
            spin.setEnabled(not same)
        if same:
            for symbol in self.controls:
                self._copy_h(symbol)
        self.refresh()

    def _copy_h(self, symbol: str) -> None:
        (_slider, spin), (_w_slider, w_spin) = self.controls[symbol]
        if w_spin.value() != spin.value():
            w_spin.setValue(spin.value())

    def _moved(self, symbol: str, axis: int) -> None:
        if self.same.isChecked() and axis == 0:
            self._copy_h(symbol)  # refreshes through the W spin box's own signal when it changes
        self.refresh()

    def value(self, symbol: str) -> tuple[int, int]:
        (_s, h), (_t, w) = self.controls[symbol]
        return h.value(), w.value()

    def layer(self) -> Layer:
        """The layer the sliders describe (only the arguments its type has)."""
        type_name = self.type_box.currentText()
        layer_type = CATALOG[type_name]
        transposed = layer_type.window == TRANSPOSED
        args: dict = {}
        if "out_channels" in layer_type.argument_names:  # a convolution: one channel in and out, no bias
            args["out_channels"] = 1
            args["bias"] = False
        for knob in KNOBS:
            if knob.argument is None or (knob.transposed_only and not transposed):
                continue
            if knob.argument not in layer_type.argument_names:  # average pooling has no dilation
                continue
            h, w = self.value(knob.symbol)
            args[knob.argument] = h if h == w else [h, w]
        return Layer.make(type_name, type_name.lower().replace("2d", ""), args)

    def analysis(self) -> Analysis:
        return analyze(Design("Playground", InputSpec(1, self.value("i")), (self.layer(),)))

    def refresh(self) -> None:
        transposed = CATALOG[self.type_box.currentText()].window == TRANSPOSED
        self._labels["a"].setEnabled(transposed)  # the output padding: transposed convolutions only
        (h_slider, h_spin), (w_slider, w_spin) = self.controls["a"]
        for widget in (h_slider, h_spin):
            widget.setEnabled(transposed)
        for widget in (w_slider, w_spin):
            widget.setEnabled(transposed and not self.same.isChecked())
        analysis = self.analysis()
        self.canvas.show_layer(analysis, 0)
        result = analysis.layers[0]
        if not result.computed:
            self.summary.setText("<br>".join(f"<span style='color:#d64545'>{app_text(d.text)}</span>"
                                             for d in result.errors))
            self.add_button.setEnabled(False)
            return
        lines = [f"{shape_text(result.input_shape)} → <b>{shape_text(result.output_shape)}</b>"]
        relationships: dict[str, list[str]] = {}
        for axis, g in enumerate(result.geometry or ()):
            relationships.setdefault(g.relationship, []).append(axis_name(axis, 2))
        lines += [f"{', '.join(axes)}: {text}" for text, axes in relationships.items()]
        field = result.receptive_field
        if field is not None:
            lines.append(f"receptive field {per_axis(field.size)}, jump {per_axis(field.jump, text=fraction)}")
        lines += [f"<span style='color:#c77700'>Warning: {app_text(d.text)}</span>" for d in result.warnings]
        self.summary.setText("<br>".join(lines))
        self.add_button.setEnabled(True)

    def add_to_design(self) -> None:
        """Insert the playground's layer into the open design (after the selection), named uniquely."""
        document = self._document
        rows = document.selection
        position = rows[-1] + 1 if rows else len(document.design.layers)
        layer = self.layer()
        named = new_layer(layer.type, document.analysis, position)  # a unique name, the design's channels
        args = {k: v for k, v in layer.arguments.items() if k != "bias"}  # the playground's bias-free kernel
        if "out_channels" in named.arguments:
            args["out_channels"] = named.arguments["out_channels"]
        document.push(InsertLayers(document, position, [Layer.make(layer.type, named.name, args)]))
