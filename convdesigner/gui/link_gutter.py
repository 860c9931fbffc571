"""The skip connections drawn beside the stack: a bracket from each join's source row to the join's row.

Links that overlap are drawn side by side (interval colouring), a link whose join the engine refuses is
drawn in the error colour. Only the rows on screen are painted, so long stacks cost nothing extra.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QTableView, QWidget

from .stack_model import StackModel
from .theme import StateColours

LANE = 6  # pixels between side-by-side links
MARGIN = 5


def lanes(links: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """A lane per (source, join) row pair, the shortest links nearest the table; overlapping links never
    share a lane."""
    placed: dict[tuple[int, int], int] = {}
    for link in sorted(set(links), key=lambda pair: (pair[1] - pair[0], pair[0])):
        busy = {lane for other, lane in placed.items() if other[0] <= link[1] and link[0] <= other[1]}
        placed[link] = next(n for n in range(len(placed) + 1) if n not in busy)
    return placed


class LinkGutter(QWidget):
    """Painted in the view's left viewport margin."""

    def __init__(self, view: QTableView, model: StackModel) -> None:
        super().__init__(view)
        self.setObjectName("linkGutter")
        self._view = view
        self._model = model
        self._lanes: dict[tuple[int, int], int] = {}
        self._problems: dict[tuple[int, int], bool] = {}
        model.modelReset.connect(self.relayout)
        model.dataChanged.connect(self.relayout)
        model.rowsInserted.connect(self.relayout)
        model.rowsRemoved.connect(self.relayout)
        view.verticalScrollBar().valueChanged.connect(self.update)
        self.relayout()

    def links(self) -> list[tuple[int, int, bool]]:
        """(source row, join row, refused) for every join whose source is above it."""
        found = []
        for source in range(self._model.rowCount()):
            for link in self._model.links(source):
                join = self._model.row_of(link.join)
                if join is not None:
                    found.append((source, join, link.problem is not None))
        return found

    def width_needed(self) -> int:
        return 0 if not self._lanes else 2 * MARGIN + LANE * (max(self._lanes.values()) + 1)

    def relayout(self, *_args) -> None:
        links = self.links()
        self._lanes = lanes([(s, j) for s, j, _ in links])
        self._problems = {(s, j): refused for s, j, refused in links}
        width = self.width_needed()
        view = self._view
        margins = view.viewportMargins()  # the table keeps its header in the top margin
        if margins.left() != width:
            view.setViewportMargins(width, margins.top(), margins.right(), margins.bottom())
        self.setVisible(width > 0)
        if width > 0:  # a hidden gutter needs no place
            viewport = view.viewport().geometry()
            self.setGeometry(QRect(viewport.left() - width, viewport.top(), width, viewport.height()))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._lanes:
            return
        colours = StateColours()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        height = self.height()
        for (source, join), lane in self._lanes.items():
            top = self._row_middle(source)
            bottom = self._row_middle(join)
            if bottom < 0 or top > height:
                continue
            colour = colours.error if self._problems.get((source, join)) else colours.link
            painter.setPen(QPen(colour, 1.6))
            x = self.width() - MARGIN - LANE * lane - 2
            right = float(self.width())
            path = QPainterPath(QPointF(right, top))
            path.lineTo(x + 3, top)
            path.quadTo(x, top, x, top + 3)
            path.lineTo(x, bottom - 3)
            path.quadTo(x, bottom, x + 3, bottom)
            path.lineTo(right - 1, bottom)
            painter.drawPath(path)
            painter.setBrush(colour)
            painter.drawPolygon(QPolygonF([QPointF(right, bottom), QPointF(right - 4, bottom - 3),
                                           QPointF(right - 4, bottom + 3)]))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.end()

    def _row_middle(self, row: int) -> float:
        rect = self._view.visualRect(self._model.index(row, 0))
        return rect.center().y() + 0.5 if rect.isValid() else (-10.0 if row < self._first_row() else 1e6)

    def _first_row(self) -> int:
        return self._view.rowAt(0)
