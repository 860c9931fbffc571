"""The parameters dock: each layer's parameters, MACs and activation memory with totals, and a bar chart.

Counts are the engine's (params, macs, activations per LayerResult; totals from Analysis); memory is the
activations times 4 bytes (float32), as the README defines it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from ...engine.analysis import LayerResult
from ..document import Document
from ..formatting import BYTES_PER_ACTIVATION, bytes_text, compact, grouped, total_memory
from .analysis_table import AnalysisTableModel, Column, PlotHost, TableSelection, analysis_table
from .chart import LayerChart, Pane


def memory(result: LayerResult) -> int | None:
    return None if result.activations is None else result.activations * BYTES_PER_ACTIVATION


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
        self.chart: LayerChart | None = None

    def _build_plot(self, parent: QWidget) -> QWidget:
        self.chart = LayerChart(self._describe, "layer", parent)
        self.chart.setObjectName("parametersPlot")
        self.chart.layerClicked.connect(lambda index: self._document.select([index]))
        return self.chart

    def _describe(self, index: int) -> str:
        """A bar's tooltip: its layer and its value."""
        result = self._document.analysis.layers[index]
        label = self.metric.currentText()
        value = METRICS[label](result)
        shown = "not computed" if value is None else bytes_text(value) if "memory" in label else grouped(value)
        return f"{result.name} ({result.type}): {shown} {label.split(' (')[0].lower()}"

    def _update_plot(self) -> None:
        """One bar per layer of the chosen metric (0 where a layer is not computed)."""
        assert self.chart is not None
        label = self.metric.currentText()
        metric = METRICS[label]
        heights = tuple(float(metric(r) or 0) for r in self._document.analysis.layers)
        self.chart.set_data((Pane(label, bars=heights, tick_text=_count_text),), 1, len(heights), len(heights))

    def _update_highlight(self) -> None:
        """The selected layer's bar, drawn in the highlight colour."""
        assert self.chart is not None
        self.chart.set_marker(self._document.current)


def _count_text(value: float) -> str:
    """A count tick, written briefly (500 k, 1.00 M): the labels carry their own scale."""
    return compact(int(round(value)))
