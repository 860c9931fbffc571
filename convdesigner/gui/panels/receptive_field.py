"""The receptive-field dock: each layer's field size, jump and start per axis, and a plot against depth.

All numbers are the engine's (analysis.LayerResult.receptive_field); the plot draws field size and jump per
axis against the layer's position (0 = the network input), the selected layer marked.
"""

from __future__ import annotations

import math
from fractions import Fraction

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from ...engine.analysis import LayerResult
from ...engine.design import axis_name
from ..document import Document
from ..formatting import fraction, per_axis
from .analysis_table import AnalysisTableModel, Column, PlotHost, TableSelection, analysis_table, link_plot


def _field(result: LayerResult, attribute: str, joiner: str) -> str:
    field = result.receptive_field
    if field is None:
        return "—" if result.computed else ""
    text = per_axis(getattr(field, attribute), joiner, fraction)
    if attribute == "size" and field.whole and all(field.whole):
        return f"{text} (whole input)"
    return text


COLUMNS = [
    Column("Layer", lambda r: r.name, numeric=False),
    Column("Size", lambda r: _field(r, "size", "×"),
           tooltip="Receptive field size r: how many network-input units one output unit sees, per axis (one "
                   "value: the same on every axis). Each layer adds d(k − 1)·j, its dilated kernel span times the "
                   "jump before it, so after up-sampling (j < 1) a 3×3 convolution can add less than one input "
                   "unit and the size can stay the same (44, say, through two 3×3 convolutions)."),
    Column("Jump", lambda r: _field(r, "jump", "×"),
           tooltip="Jump j: the distance in network-input units between neighbouring output units. Each layer "
                   "multiplies it by its stride s; up-sampling and transposed convolutions divide it (a "
                   "fraction: 1/2 is half an input unit)."),
    Column("Start", lambda r: _field(r, "start", ", "),
           tooltip="Start: where output unit 0's field is centred, in network-input coordinates, per axis. Each "
                   "layer moves it by ((k − 1)/2 − p)·j: padding p shifts it towards negative coordinates."),
    Column("Notes", lambda r: "; ".join(d.message for d in r.infos), numeric=False,
           tooltip="What is true of the field by the layout: a join whose operands' fields are centred apart"),
]


class ReceptiveFieldPanel(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self.model = AnalysisTableModel(document, COLUMNS, self)
        self.table = analysis_table(self.model, self, "receptiveFieldTable")
        self.selection = TableSelection(self.table, document)
        self.host = PlotHost(self._build_plot, self._update_plot, self._update_marker, self)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.host)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        document.changed.connect(lambda _before: self.host.refresh())
        document.replaced.connect(self.host.refresh)
        document.selectionChanged.connect(lambda _rows: self.host.mark())
        self._curves: list = []
        self._jump_curves: list = []

    # -- plot (pyqtgraph imported here, on demand) ------------------------------------------------------

    def _build_plot(self, parent: QWidget) -> QWidget:
        import pyqtgraph as pg

        from .plot_style import integer_ticks, style_plot

        widget = pg.GraphicsLayoutWidget(parent)
        widget.setObjectName("receptiveFieldPlot")
        style_plot(widget)
        self._size_plot = widget.addPlot(row=0, col=0)
        self._jump_plot = widget.addPlot(row=1, col=0)
        self._jump_plot.setXLink(self._size_plot)
        for plot, title in ((self._size_plot, "field size"), (self._jump_plot, "jump")):
            style_plot(plot)
            plot.setLabel("left", title)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=False, y=False)
        self._jump_plot.setLabel("bottom", "layer (0 = input)")
        self._size_plot.getAxis("bottom").setStyle(showValues=False)  # the jump plot below numbers the layers
        integer_ticks(self._size_plot.getAxis("left"), str)
        self._jump_plot.getAxis("left").tickStrings = lambda values, _scale, _spacing: [
            fraction(Fraction(v).limit_denominator(4096)) for v in values]
        for signal in (self._jump_plot.vb.sigResized, self._jump_plot.vb.sigXRangeChanged):
            signal.connect(lambda *_args: self._set_layer_ticks())  # spaced for the room there is
        self._size_plot.addLegend(offset=(8, 4), labelTextSize="8pt")
        self._size_marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#d64545", width=1.5, style=Qt.PenStyle.DashLine))
        self._jump_marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#d64545", width=1.5, style=Qt.PenStyle.DashLine))
        self._size_plot.addItem(self._size_marker)
        self._jump_plot.addItem(self._jump_marker)
        link_plot(widget, [self._size_plot.vb, self._jump_plot.vb], self._document, self._describe)
        self._widget = widget
        return widget

    def _describe(self, index: int) -> str:
        """A layer's points' tooltip: its field, as the table writes it."""
        result = self._document.analysis.layers[index]
        return f"{result.name}: " + ", ".join(f"{c.header.lower()} {c.cell(result) or '—'}" for c in COLUMNS[1:])

    def _series(self) -> tuple[list[int], list[list[float]], list[list[float]], int]:
        analysis = self._document.analysis
        ndim = analysis.design.input.ndim
        xs = [0]
        sizes = [[1.0] for _ in range(ndim)]
        jumps = [[1.0] for _ in range(ndim)]
        for result in analysis.layers:
            xs.append(result.index + 1)
            field = result.receptive_field
            for axis in range(ndim):
                if field is not None and axis < len(field.size):
                    sizes[axis].append(float(field.size[axis]))
                    jumps[axis].append(float(field.jump[axis]))
                else:
                    sizes[axis].append(math.nan)
                    jumps[axis].append(math.nan)
        return xs, sizes, jumps, ndim

    def _update_plot(self) -> None:
        import pyqtgraph as pg

        from .plot_style import SERIES

        series = self._series()
        if series == getattr(self, "_shown", None):
            return  # redrawing is the costly part (axes, symbols): skip when the fields did not change
        self._shown = series
        xs, sizes, jumps, ndim = series
        distinct = [a for a in range(ndim) if a == 0 or sizes[a] != sizes[0] or jumps[a] != jumps[0]]
        if len(self._curves) != len(distinct):
            for curve in self._curves:
                self._size_plot.removeItem(curve)
            for curve in self._jump_curves:
                self._jump_plot.removeItem(curve)
            self._size_plot.legend.clear()
            self._size_plot.legend.setVisible(len(distinct) > 1)
            self._curves, self._jump_curves = [], []
            for n, axis in enumerate(distinct):
                colour = SERIES[n % len(SERIES)]
                label = "all axes" if len(distinct) == 1 else f"axis {axis_name(axis, ndim)}"
                pen = pg.mkPen(colour, width=2)
                self._curves.append(self._size_plot.plot(pen=pen, symbol="o", symbolSize=5, symbolBrush=colour,
                                                         symbolPen=None, name=label, connect="finite"))
                self._jump_curves.append(self._jump_plot.plot(pen=pen, symbol="o", symbolSize=5, symbolBrush=colour,
                                                              symbolPen=None, connect="finite"))
        for curve, jump_curve, axis in zip(self._curves, self._jump_curves, distinct):
            curve.setData(xs, sizes[axis])
            jump_curve.setData(xs, jumps[axis])
        self._set_layer_ticks()

    def _set_layer_ticks(self) -> None:
        from .plot_style import layer_ticks

        layer_ticks(self._jump_plot.getAxis("bottom"), 0, len(self._document.analysis.layers))

    def _update_marker(self) -> None:
        selected = self._document.current
        visible = selected is not None and selected < len(self._document.analysis.layers)
        for marker in (self._size_marker, self._jump_marker):
            if marker.isVisible() != visible:
                marker.setVisible(visible)
            if visible and marker.value() != selected + 1:
                marker.setValue(selected + 1)
