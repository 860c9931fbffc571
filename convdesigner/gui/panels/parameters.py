"""The parameters dock: each layer's parameters, MACs and activation memory with totals, and a bar chart.

Counts are the engine's (params, macs, activations per LayerResult; totals from Analysis); memory is the
activations times 4 bytes (float32), as the README defines it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from ...engine.analysis import Analysis, LayerResult
from ..document import Document
from ..formatting import BYTES_PER_ACTIVATION, bytes_text, compact, grouped
from .analysis_table import AnalysisTableModel, Column, PlotHost, TableSelection, analysis_table, link_plot


def memory(result: LayerResult) -> int | None:
    return None if result.activations is None else result.activations * BYTES_PER_ACTIVATION


def total_memory(analysis: Analysis) -> int:
    return analysis.total_activations * BYTES_PER_ACTIVATION


def _cell(value: int | None, result: LayerResult, text=grouped) -> str:
    return text(value) if result.computed else ""


COLUMNS = [
    Column("Layer", lambda r: r.name, numeric=False),
    Column("Params", lambda r: _cell(r.params, r), lambda a: grouped(a.total_params), tooltip="Trainable parameters"),
    Column("MACs", lambda r: _cell(r.macs, r, compact), lambda a: compact(a.total_macs),
           tooltip="Weight multiply-accumulates for one sample"),
    Column("Activations", lambda r: _cell(r.activations, r, compact), lambda a: compact(a.total_activations),
           tooltip="Elements of the output tensor for one sample"),
    Column("Memory", lambda r: _cell(memory(r), r, bytes_text), lambda a: bytes_text(total_memory(a)),
           tooltip="Activation memory for one sample in float32 (4 bytes each)"),
]

#: The bar chart's metrics: label -> value of one layer.
METRICS = {
    "Parameters": lambda r: r.params,
    "MACs": lambda r: r.macs,
    "Activation memory (bytes)": memory,
}


class ParametersPanel(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self.model = AnalysisTableModel(document, COLUMNS, self)
        self.table = analysis_table(self.model, self, "parametersTable")
        self.selection = TableSelection(self.table, document)
        self.metric = QComboBox(self)
        self.metric.setObjectName("parametersMetric")
        self.metric.addItems(list(METRICS))
        self.metric.currentIndexChanged.connect(lambda _i: self.host.refresh())
        self.host = PlotHost(self._build_plot, self._update_plot, self._update_highlight, self)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Chart:", right))
        bar.addWidget(self.metric)
        bar.addStretch(1)
        right_layout.addLayout(bar)
        right_layout.addWidget(self.host, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        document.changed.connect(lambda _before: self.host.refresh())
        document.replaced.connect(self.host.refresh)
        document.selectionChanged.connect(lambda _rows: self.host.mark())

    def _build_plot(self, parent: QWidget) -> QWidget:
        import pyqtgraph as pg

        from .plot_style import integer_ticks, style_plot

        widget = pg.PlotWidget(parent)
        widget.setObjectName("parametersPlot")
        style_plot(widget)
        widget.setMenuEnabled(False)
        widget.hideButtons()
        widget.setMouseEnabled(x=False, y=False)
        widget.setLabel("bottom", "layer")
        integer_ticks(widget.getAxis("left"), compact)
        for signal in (widget.getPlotItem().vb.sigResized, widget.getPlotItem().vb.sigXRangeChanged):
            signal.connect(lambda *_args: self._set_layer_ticks())  # spaced for the room there is
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self._highlight = pg.BarGraphItem(x=[], height=[], width=0.8)  # the selected layer's bar, on top
        widget.addItem(self._bars)
        widget.addItem(self._highlight)
        link_plot(widget, [widget.getPlotItem().vb], self._document, self._describe)
        self._plot = widget
        return widget

    def _describe(self, index: int) -> str:
        """A bar's tooltip: its layer and its value."""
        result = self._document.analysis.layers[index]
        label = self.metric.currentText()
        value = METRICS[label](result)
        shown = "not computed" if value is None else bytes_text(value) if "memory" in label else grouped(value)
        return f"{result.name} ({result.type}): {shown} {label.split(' (')[0].lower()}"

    def _update_plot(self) -> None:
        from .plot_style import SERIES

        metric = METRICS[self.metric.currentText()]
        layers = self._document.analysis.layers
        xs = [r.index + 1 for r in layers]
        heights = [float(metric(r) or 0) for r in layers]
        shown = (xs, heights, self.metric.currentText())
        if shown != getattr(self, "_shown", None):  # redrawing every bar is the costly part: only on change
            self._shown = shown
            self._bars.setOpts(x=xs, height=heights, width=0.8, brush=SERIES[0], pen=None)
        label = self.metric.currentText()
        ranges = (len(xs), max(heights) if heights else 0.0)
        if (label, ranges) != getattr(self, "_ranges", None):  # axes repaint on any change: only when needed
            self._ranges = (label, ranges)
            self._plot.setLabel("left", label if xs else "")
            self._plot.getAxis("left").setStyle(showValues=bool(xs))  # File > New: empty axes
            self._plot.setXRange(0.3, max(1, len(xs)) + 0.7, padding=0)
            self._plot.setYRange(0, ranges[1] * 1.05 if ranges[1] > 0 else 1, padding=0)
            self._set_layer_ticks()

    def _update_highlight(self) -> None:
        """The selected layer's bar, drawn over the others in the highlight colour."""
        from .plot_style import HIGHLIGHT

        xs, heights, _label = self._shown
        current = self._document.current
        selected = current if current is not None and current < len(xs) else None
        marked = ([xs[selected]], [heights[selected]]) if selected is not None else ([], [])
        if marked != getattr(self, "_marked", None):
            self._marked = marked
            self._highlight.setOpts(x=marked[0], height=marked[1], width=0.8, brush=HIGHLIGHT, pen=None)

    def _set_layer_ticks(self) -> None:
        from .plot_style import layer_ticks

        layer_ticks(self._plot.getAxis("bottom"), 1, len(self._document.analysis.layers))
