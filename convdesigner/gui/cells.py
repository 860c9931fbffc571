"""What the table models and views share: which rows an edit changed, a cell's roles served at once,
repainting only the cells on screen that changed, and painting rows from a cache of their pixels."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPixmap, QRegion
from PySide6.QtWidgets import QAbstractItemView, QDockWidget, QHeaderView, QTableView, QWidget

from ..engine.analysis import LayerResult
from .recently_used import RecentlyUsed
from .scroll_bar import KeptScrollBar
from .viewport import give_viewport

TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)


def changed_rows(before: tuple[LayerResult, ...], after: tuple[LayerResult, ...]) -> tuple[int, int] | None:
    """The first and last row whose result is not the very object it was (None: none). The engine keeps the
    results of the unchanged layers above an edit, so an edit changes the rows from the edited layer on."""
    rows = [row for row, (old, new) in enumerate(zip(before, after)) if old is not new]
    rows += range(min(len(before), len(after)), max(len(before), len(after)))
    return (rows[0], rows[-1]) if rows else None


def fill_roles(span: QModelRoleDataSpan, cells: dict[int, Any] | None, uncached: Callable[[int], Any]) -> None:
    """A table model's ``multiData``: the roles a view asks for, from a cell's cached ``{role: value}``
    (a role not there is empty); the tooltip, asked for on hovering only, and every role of a cell without
    a cache (None) come from ``uncached(role)``."""
    for slot in span:
        role = slot.role()
        value = uncached(role) if cells is None or role == TOOLTIP else cells.get(role)
        if value is None:
            slot.clearData()
        else:
            slot.setData(value)


#: Sizing a column to its content reads at most this many rows (the visible ones first, then their
#: neighbours; Qt's default reads a thousand): wider text further down is elided, and whole in its tooltip.
CONTENT_ROWS = 64


def repaint_changed(view: QTableView, top: QModelIndex, bottom: QModelIndex) -> None:
    """A view's answer to its model's dataChanged (rows top..bottom): repaint the cells on screen whose
    content changed (the model's ``changed_columns``), nothing else (Qt would repaint the whole range). A view
    not visible (its dock closed or tabbed away) formats nothing: it paints every row when shown."""
    if not shown(view):
        return
    model = view.model()
    shown_first = view.rowAt(0)
    if shown_first < 0:
        return
    shown_last = view.rowAt(view.viewport().height() - 1)
    shown_last = model.rowCount() - 1 if shown_last < 0 else shown_last
    region = QRegion()
    for row in range(max(top.row(), shown_first), min(bottom.row(), shown_last) + 1):
        columns = [] if view.isRowHidden(row) else model.changed_columns(row, top.column(), bottom.column())
        if columns:
            region += view.visualRect(model.index(row, columns[0])).united(
                view.visualRect(model.index(row, columns[-1])))
    if not region.isEmpty():
        view.viewport().update(region)


def shown(widget: QWidget) -> bool:
    """The widget is visible on its window: a dock tabbed away stays visible to Qt, moved out of the window."""
    if not widget.isVisible():
        return False
    window = widget.window()
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size()).intersects(window.rect())


def on_dock_shown(widget: QWidget, slot: Callable[[], None]) -> None:
    """Call ``slot`` whenever the dock holding ``widget`` is shown or its tab raised (nothing outside a dock).
    Called from the widget's show event, which comes once it is in its dock: the first call connects, the
    next ones do nothing."""
    if getattr(widget, "_follows_dock", False):
        return
    widget._follows_dock = True  # type: ignore[attr-defined]
    dock = widget.parentWidget()
    while dock is not None and not isinstance(dock, QDockWidget):
        dock = dock.parentWidget()
    if dock is not None:
        dock.visibilityChanged.connect(lambda visible: slot() if visible else None)


#: The row cache of a view holds at most this many viewports' worth of pixels (least recently painted rows
#: go first): the rows of a few screens the user goes back and forth between; and never more than
#: MAX_CACHED_PIXELS device pixels (48 MB: a tall table on a high-density screen).
CACHED_VIEWPORTS = 8
MAX_CACHED_PIXELS = 12_000_000
#: A row keeps this many versions of its pixels per selection state (the latest first).
VARIANTS = 2
#: How many rows (and selection states) a view remembers the last keys of (`_seen_before`): a row whose cells
#: changed since its pixels were kept (an edit's new values) is kept from the second time it shows them; the
#: first time Qt paints its changed cells (filling the cache, then drawing from it, costs more: ~1 ms of an edit
#: at 200 layers).
SEEN_ROWS = 4096


class ChangedCellsView(QTableView):
    """A table view that repaints only the cells an edit changed (`repaint_changed`; a row being edited in
    place still updates its editor as Qt does) and paints the rows on screen from a cache of their pixels.

    A row's pixels are kept while what they show is the same: the model's formatted cells of the row
    (``model.row_key(row)``: one value per column, the very same objects while the cells stand; None: never
    cached), its selection, current cell and hover, its height, visible part and alternate colour, and the
    view's palette, font, style, focus, column widths and scrolling (`_check_view_key`). A paint of rows
    already seen (a selection scrolling back, the rows around an edit) then draws one pixmap per row: no cell
    data, delegate or text layout.

    Rows not in the cache are painted by QTableView itself, into the cache, before the window paints (when
    it asks for an update, `_fill`): the whole row, or the cells that changed of a row otherwise the same. A row
    changed in place to something it never showed (an edit's new values) is not: Qt paints its changed cells on
    screen, and the cache keeps the row when it shows them again (an undo and a redo, a value typed back).
    Until then, and for rows never cached, the paint is QTableView's own. While the user drags or edits in
    place, the view paints as Qt does. So does the view's first paint (the window's first frame, which it
    spares the cache's work). Its viewport is made in Python (`viewport.give_viewport`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        give_viewport(self, QPalette.ColorRole.Base)
        self.setHorizontalHeader(SelectionMarksHeader(self.horizontalHeader(), self))
        self.setVerticalScrollBar(KeptScrollBar(Qt.Orientation.Vertical, self))
        #: (row, selected, current column, hovered column) -> [(the row's key, its pixels), ...], the last
        #: VARIANTS painted, latest first; the slots least recently painted first. A row keeps its pixels as
        #: selected and as not (a selection moving back and forth), and as it was before its last change (an
        #: undo, a value typed back)
        self._row_pixels: OrderedDict[tuple, list[tuple[tuple, QPixmap]]] = OrderedDict()
        self._cached_area = 0  # device pixels held
        self._view_key: tuple = ()
        #: the keys rows showed last (`_seen_before`), by row and selection state as the cache
        self._seen: RecentlyUsed[tuple, list[tuple]] = RecentlyUsed(SEEN_ROWS)
        self._hover = QPersistentModelIndex()
        self._raw = False  # painting as QTableView does (filling the cache, or rows not cached)
        self._stale = True  # something shown may have changed since the cache was last filled
        #: the rows on screen and their keys as `_fill` found them, for the paint that follows it (`_shown`)
        self._filled: tuple | None = None
        self._painted = False  # painted once (by QTableView: the cache is used from the second paint on)
        self._watched: QWidget | None = None  # the window whose update requests fill the cache
        self._filler = _UpdateRequests(self)
        #: False: paint as QTableView does, every cell every time (the tests compare the two)
        self.cache_rows = True
        #: rows painted into the cache, rows painted on screen without it, rows drawn from it (work counts)
        self.rows_filled = 0
        self.rows_painted = 0
        self.rows_blitted = 0
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.sectionResized.connect(self._changed)
            header.sectionMoved.connect(self._changed)

    # -- what makes the rows on screen change ------------------------------------------------------------

    def _changed(self, *_args) -> None:
        self._stale = True

    def dataChanged(self, top: QModelIndex, bottom: QModelIndex, roles: Sequence[int] = ()) -> None:
        self._stale = True
        if self.state() == QAbstractItemView.State.EditingState:
            super().dataChanged(top, bottom, roles)
        else:
            repaint_changed(self, top, bottom)

    def selectionChanged(self, selected, deselected) -> None:
        self._stale = True
        super().selectionChanged(selected, deselected)

    def currentChanged(self, current: QModelIndex, previous: QModelIndex) -> None:
        self._stale = True
        super().currentChanged(current, previous)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self._stale = True
        super().scrollContentsBy(dx, dy)

    def viewportEvent(self, event: QEvent) -> bool:
        """Follows the hovered cell as QAbstractItemView does (a style may draw it)."""
        kind = event.type()
        if kind in (QEvent.Type.HoverEnter, QEvent.Type.HoverMove):
            hover = QPersistentModelIndex(self.indexAt(event.position().toPoint()))
            if hover != self._hover:
                self._hover = hover
                self._stale = True
        elif kind in (QEvent.Type.HoverLeave, QEvent.Type.Leave):
            self._hover = QPersistentModelIndex()
        elif kind in (QEvent.Type.Resize, QEvent.Type.Show):
            self._stale = True
        return super().viewportEvent(event)

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind in _RESTYLING:
            self._stale = True
        if kind in (QEvent.Type.Show, QEvent.Type.ParentChange):
            self._watch_window()
        return super().event(event)

    def _watch_window(self) -> None:
        """Fill the cache when this view's window asks for an update (a dock floated out has its own)."""
        window = self.window()
        if window is not self._watched:
            if self._watched is not None:
                self._watched.removeEventFilter(self._filler)
            self._watched = window
            window.installEventFilter(self._filler)

    # -- painting -----------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._raw or not self._painted or not self._caching():
            super().paintEvent(event)
            self._painted = True
            return
        missing = QRegion()
        painter = QPainter(self.viewport())
        try:
            for (row, _top, y, height), key in self._shown(event.rect()):
                pixels = None if key is None else self._cached(row, key)
                if pixels is not None:
                    self.rows_blitted += 1
                    painter.drawPixmap(0, y, pixels)
                else:
                    self.rows_painted += 1
                    missing += QRect(0, y, self.viewport().width(), height)
        finally:
            painter.end()
        if not missing.isEmpty():
            self._paint_as_qt(missing & event.region())

    def _paint_as_qt(self, region: QRegion) -> None:
        self._raw = True
        try:
            super().paintEvent(QPaintEvent(region))
        finally:
            self._raw = False

    def _shown(self, rect: QRect) -> list[tuple[tuple[int, int, int, int], tuple | None]]:
        """The rows crossing ``rect`` of the viewport with their keys: as `_fill` found them just before when
        nothing changed since (the window's paint follows its update request, where the cache was filled and
        the view's key checked), else read again."""
        filled, self._filled = self._filled, None
        if filled is not None and not self._stale and filled[0] == self._where():
            return [(place, key) for place, key in filled[1]
                    if place[2] <= rect.bottom() and place[2] + place[3] > rect.top()]
        self._check_view_key()
        rows = self._rows_in(rect)
        return list(zip(rows, self._keys(rows)))

    def _where(self) -> tuple:
        """What places the rows on screen besides what marks the cache stale: the model, its row count, the
        scrolling and the viewport's size."""
        return id(self.model()), self.model().rowCount(), self.verticalScrollBar().value(), self.viewport().size()

    def _caching(self) -> bool:
        """The cache is used: not while the user drags or edits in place, nor with rows moved in the header
        (the rows on screen are walked in model order), nor at a fractional device pixel ratio (Qt paints the
        rows at fractional device offsets there, which pixels copied out at whole ones do not reproduce)."""
        model = self.model()
        ratio = self.devicePixelRatio()
        return (self.cache_rows and model is not None and hasattr(model, "row_key") and ratio == int(ratio)
                and self.state() == QAbstractItemView.State.NoState and not self.verticalHeader().sectionsMoved())

    def _fill(self) -> None:
        """Paint the rows on screen that the cache lacks into it, as QTableView paints them (one paint of their
        region, or of the cells that changed in a row otherwise the same): the window's paint then draws
        pixmaps only."""
        self._filled = None
        if not self._painted or not self._stale or not self._caching() or not shown(self):
            return
        viewport = self.viewport()
        if viewport.width() <= 0 or viewport.height() <= 0:
            return
        self._stale = False
        self._check_view_key()
        width = viewport.width()
        wanted = []
        region = QRegion()
        rows = self._rows_in(viewport.rect())
        keys = self._keys(rows)
        self._filled = (self._where(), list(zip(rows, keys)))
        for (row, _top, y, height), key in zip(rows, keys):
            if key is None:
                continue
            if self._cached(row, key) is not None:
                continue
            entry = self._row_pixels.get((row, *key[1:4]), [None])[0]  # the latest pixels of the row
            if entry is not None and not self._seen_before(row, key):
                continue  # changed in place, shown so for the first time: painted by Qt
            columns = None
            if entry is not None and entry[0][1:] == key[1:] and len(entry[0][0]) == len(key[0]):
                columns = [c for c, (old, new) in enumerate(zip(entry[0][0], key[0])) if old != new]
            if columns is None:
                region += QRect(0, y, width, height)
            else:
                for column in columns:
                    region += QRect(self.columnViewportPosition(column), y, self.columnWidth(column), height)
            wanted.append((row, y, height, key, entry, columns))
        if not wanted:
            return
        # the viewport's part only: asked to paint cells beyond it as well (a changed column off screen), QTableView
        # left the first cells of the rows below unpainted (its record of the cells it painted spans the columns
        # on screen, so the cells past them count as the next row's)
        region &= QRegion(viewport.rect())
        ratio = viewport.devicePixelRatio()
        # painted where the window paints the viewport: antialiased and gradient pixels depend on where they
        # fall in the window (a rounding), so the cached ones are those Qt paints on screen
        origin = viewport.mapTo(self.window(), QPoint(0, 0))
        bounds = region.boundingRect()
        canvas = QPixmap(QSize(origin.x() + viewport.width(), origin.y() + bounds.bottom() + 1) * ratio)
        canvas.setDevicePixelRatio(ratio)
        self._raw = True
        try:
            viewport.render(canvas, origin + bounds.topLeft(), region, QWidget.RenderFlag.DrawWindowBackground)
        finally:
            self._raw = False
        for row, y, height, key, entry, columns in wanted:
            if columns is None:
                pixels = canvas.copy(QRect(round(origin.x() * ratio), round((origin.y() + y) * ratio),
                                           round(width * ratio), round(height * ratio)))
                pixels.setDevicePixelRatio(ratio)
            else:
                pixels = entry[1].copy()
                painter = QPainter(pixels)
                for column in columns:
                    x, w = self.columnViewportPosition(column), self.columnWidth(column)
                    painter.drawPixmap(QRect(x, 0, w, height), canvas,
                                       QRect(round((origin.x() + x) * ratio), round((origin.y() + y) * ratio),
                                             round(w * ratio), round(height * ratio)))
                painter.end()
            self._remember(row, key, pixels)
            self.rows_filled += 1

    def _seen_before(self, row: int, key: tuple) -> bool:
        """Whether the row was shown as ``key`` shows it before, and remember that it is now (by value, as the
        cache compares keys; the last VARIANTS keys of a row's selection state, kept in the cache or not, for the
        last SEEN_ROWS rows and states: a row the cache forgot, or never held, is kept when shown again)."""
        slot = (row, *key[1:4])
        seen = self._seen.recall(slot)
        if seen is None:
            seen = self._seen.keep(slot, [])
        if key in seen:
            return True
        seen.insert(0, key)
        del seen[VARIANTS:]
        return False

    def _check_view_key(self) -> None:
        """Forget every row's pixels when what all rows' pixels depend on changed."""
        header = self.horizontalHeader()
        viewport = self.viewport()
        key = (self.palette().cacheKey(), self.font().key(), self.style().name(), self.isEnabled(),
               self.isActiveWindow(), self.hasFocus() or viewport.hasFocus(), viewport.width(),
               self.window().testAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange),  # focus frames shown
               viewport.devicePixelRatio(), self.textElideMode(), self.iconSize(), self.wordWrap(),
               self.alternatingRowColors(), self.showGrid(), self.isRightToLeft(), id(self.itemDelegate()),
               tuple((header.sectionViewportPosition(c), header.sectionSize(c), header.isSectionHidden(c))
                     for c in range(header.count())))
        if key != self._view_key:
            self._view_key = key
            self._row_pixels.clear()
            self._cached_area = 0

    def _rows_in(self, rect: QRect) -> list[tuple[int, int, int, int]]:
        """(row, top, y, height) of every shown row crossing ``rect`` of the viewport: its top, and the top and
        height of its part on screen."""
        height = self.viewport().height()
        first = self.rowAt(max(0, rect.top()))
        if first < 0:
            return []
        last = self.rowAt(min(rect.bottom(), height - 1))
        last = self.model().rowCount() - 1 if last < 0 else last
        rows = []
        for row in range(first, last + 1):
            if self.isRowHidden(row):
                continue
            top = self.rowViewportPosition(row)
            y = max(0, top)
            rows.append((row, top, y, min(top + self.rowHeight(row), height) - y))
        return rows

    def _keys(self, rows: list[tuple[int, int, int, int]]) -> list[tuple | None]:
        """What each row's pixels show (None: not cached, as a row partly selected): its cells, selection,
        current and hovered column, alternate colour, and its part on screen (rows as `_rows_in` gives them)."""
        model, selection = self.model(), self.selectionModel()
        whole = {index.row() for index in selection.selectedRows()}
        partly = {index.row() for index in selection.selectedIndexes()} - whole
        current, hover = self.currentIndex(), self._hover
        current = (current.row(), current.column())
        hover = (hover.row(), hover.column()) if hover.isValid() else (-1, -1)
        parities = self._parities([row for row, *_rest in rows])
        keys = []
        for row, top, y, height in rows:
            cells = None if row in partly else model.row_key(row)
            keys.append(None if cells is None else (
                cells, row in whole, current[1] if current[0] == row else -1, hover[1] if hover[0] == row else -1,
                parities[row], y - top, height))
        return keys

    def _parities(self, rows: list[int]) -> dict[int, int]:
        """Whether QTableView paints each row in the alternate colour (1) or not (0): by its position, or, while
        rows are hidden (a collapsed block), by the number of rows shown above it (rows are never moved in the
        header while the cache is used)."""
        vertical = self.verticalHeader()
        if not vertical.sectionsHidden():
            return {row: row % 2 for row in rows}
        wanted, parities, shown_above = set(rows), {}, 0
        for row in range(max(rows) + 1 if rows else 0):
            if row in wanted:
                parities[row] = shown_above % 2
            if not vertical.isSectionHidden(row):
                shown_above += 1
        return parities

    def _cached(self, row: int, key: tuple) -> QPixmap | None:
        """The row's pixels for ``key`` if the cache holds them (they become its latest)."""
        slot = (row, *key[1:4])
        variants = self._row_pixels.get(slot)
        if variants is None:
            return None
        for number, (held, pixels) in enumerate(variants):
            if held == key:
                if number:
                    variants.insert(0, variants.pop(number))
                self._row_pixels.move_to_end(slot)
                return pixels
        return None

    def _remember(self, row: int, key: tuple, pixels: QPixmap) -> None:
        self._seen_before(row, key)
        slot = (row, *key[1:4])
        variants = [(key, pixels), *self._row_pixels.pop(slot, [])]
        for _key, dropped in variants[VARIANTS:]:
            self._cached_area -= _area(dropped)
        self._cached_area += _area(pixels)
        self._row_pixels[slot] = variants[:VARIANTS]
        viewport = self.viewport()
        budget = min(MAX_CACHED_PIXELS,
                     CACHED_VIEWPORTS * max(1, viewport.width() * viewport.height()) * viewport.devicePixelRatio() ** 2)
        while len(self._row_pixels) > 1 and self._cached_area > budget:
            self._cached_area -= sum(_area(p) for _key, p in self._row_pixels.popitem(last=False)[1])

    @property
    def cached_rows(self) -> int:
        """Row pixmaps held (a row may have several: selected and not, before and after a change)."""
        return sum(len(variants) for variants in self._row_pixels.values())

    @property
    def cached_area(self) -> int:
        """Device pixels the row cache holds (at most CACHED_VIEWPORTS viewports and MAX_CACHED_PIXELS, but for
        one row)."""
        return self._cached_area


class SelectionMarksHeader(QHeaderView):
    """A horizontal header that repaints on a selection change only when its sections' selection marks change.
    Qt repaints every section a selection touches, and a row selection touches them all, but what a section
    shows of the selection (highlighted: some row selected; sunken: the whole column) is the same for any
    selection of rows: selecting another layer repainted both analysis tables' headers for nothing."""

    def __init__(self, like: QHeaderView, parent: QTableView) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setSectionsClickable(like.sectionsClickable())
        self.setHighlightSections(like.highlightSections())
        self._marks: tuple | None = None  # as last painted
        #: selection changes that repainted the header (a work count the tests read)
        self.mark_updates = 0

    def marks(self) -> tuple:
        """What each section shows of the selection (nothing when sections are not highlighted)."""
        selection = self.selectionModel()
        if not self.highlightSections() or selection is None:
            return ()
        root = self.rootIndex()
        return tuple((selection.columnIntersectsSelection(c, root), selection.isColumnSelected(c, root))
                     for c in range(self.count()))

    def paintEvent(self, event: QPaintEvent) -> None:
        self._marks = self.marks()
        super().paintEvent(event)

    def selectionChanged(self, selected, deselected) -> None:
        if self.marks() != self._marks:
            self.mark_updates += 1
            super().selectionChanged(selected, deselected)


def _area(pixels: QPixmap) -> int:
    return pixels.width() * pixels.height()


#: Events after which every row may look different.
_RESTYLING = frozenset({QEvent.Type.PaletteChange, QEvent.Type.FontChange, QEvent.Type.StyleChange,
                        QEvent.Type.EnabledChange, QEvent.Type.ActivationChange, QEvent.Type.FocusIn,
                        QEvent.Type.FocusOut, QEvent.Type.LayoutDirectionChange, QEvent.Type.Resize})


class _UpdateRequests(QObject):
    """Watches a view's window: when it asks for an update (its paint comes next), the view fills its cache."""

    def __init__(self, view: ChangedCellsView) -> None:
        super().__init__(view)
        self._view = view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.UpdateRequest:
            self._view._fill()
        return False
