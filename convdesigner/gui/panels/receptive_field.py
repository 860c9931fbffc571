"""The receptive-field dock: each layer's field size, jump and start per axis, and a plot against depth.

All numbers are the engine's (analysis.LayerResult.receptive_field); the plot draws field size and jump per
axis against the layer's position (0 = the network input), the selected layer marked.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from ...engine.analysis import LayerResult
from ...engine.design import axis_name
from ..document import Document
from ..formatting import fraction, per_axis
from .analysis_table import AnalysisTableModel, Column, PlotHost, TableSelection, analysis_table
from .chart import SERIES, LayerChart, Pane, Series


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
        self.chart: LayerChart | None = None

    # -- plot -------------------------------------------------------------------------------------------

    def _build_plot(self, parent: QWidget) -> QWidget:
        self.chart = LayerChart(self._describe, "layer (0 = input)", parent)
        self.chart.setObjectName("receptiveFieldPlot")
        self.chart.layerClicked.connect(lambda index: self._document.select([index]))
        return self.chart

    def _describe(self, index: int) -> str:
        """A layer's points' tooltip: its field, as the table writes it."""
        result = self._document.analysis.layers[index]
        return f"{result.name}: " + ", ".join(f"{c.header.lower()} {c.cell(result) or '—'}" for c in COLUMNS[1:])

    def _series(self) -> tuple[list[list[float]], list[list[float]], int]:
        """Field size and jump per axis for the input (1, 1) and every layer (NaN where there is none)."""
        analysis = self._document.analysis
        ndim = analysis.design.input.ndim
        sizes = [[1.0] for _ in range(ndim)]
        jumps = [[1.0] for _ in range(ndim)]
        axes = list(zip(range(ndim), sizes, jumps))
        # the jumps are a few Fractions that the fields share (1, 2, 1/2, ...): each is made a float once
        floats: dict[int, float] = {}
        for result in analysis.layers:
            field = result.receptive_field
            tracked = 0 if field is None else len(field.size)
            for axis, axis_sizes, axis_jumps in axes:
                if axis < tracked:
                    jump = field.jump[axis]  # type: ignore[union-attr]
                    value = floats.get(id(jump))
                    if value is None:
                        value = floats[id(jump)] = float(jump)
                    axis_sizes.append(float(field.size[axis]))  # type: ignore[union-attr]
                    axis_jumps.append(value)
                else:
                    axis_sizes.append(math.nan)
                    axis_jumps.append(math.nan)
        return sizes, jumps, ndim

    def _update_plot(self) -> None:
        """One line per axis whose field differs from the first axis's (one line: "all axes")."""
        assert self.chart is not None
        sizes, jumps, ndim = self._series()
        distinct = [a for a in range(ndim) if a == 0 or sizes[a] != sizes[0] or jumps[a] != jumps[0]]
        labels = {a: "all axes" if len(distinct) == 1 else f"axis {axis_name(a, ndim)}" for a in distinct}
        colours = {a: SERIES[n % len(SERIES)] for n, a in enumerate(distinct)}
        panes = (Pane("field size", tuple(Series(labels[a], tuple(sizes[a]), colours[a]) for a in distinct),
                      tick_text=_whole_text),
                 Pane("jump", tuple(Series(labels[a], tuple(jumps[a]), colours[a]) for a in distinct),
                      tick_text=_jump_text, whole=False))
        layers = len(self._document.analysis.layers)
        self.chart.set_data(panes, 0, layers + 1, layers)

    def _update_marker(self) -> None:
        assert self.chart is not None
        self.chart.set_marker(self._document.current)


def _whole_text(value: float) -> str:
    return str(int(value))


@lru_cache(maxsize=256)  # a chart's ticks are a few values, labelled on every repaint
def _jump_text(value: float) -> str:
    """A jump as the table writes it (1/2, not 0.5)."""
    return fraction(Fraction(value).limit_denominator(4096))
