"""Adding layers: the palette dock (families, search by name) and the Add menu, and what a new layer holds.

A new layer goes after the selection with a generated unique name (engine/naming.py) and starting values
for its required arguments (out_channels = the incoming channels, kernel_size 3, ...; a required layer
argument names the nearest layer above that fits, as a MaxUnpool's pool), so it is computed at once. Only the types that fit the design's spatial rank are offered (Conv2d for images, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLineEdit, QMenu, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ..engine.analysis import Analysis
from ..engine.arguments import Kind
from ..engine.checks import resolved_arguments
from ..engine.design import Layer
from ..engine.evaluation import LayerContext, Reference, Refusal
from ..engine.layers import CATALOG, FAMILIES
from ..engine.layers.common import LayerType
from ..engine.naming import generated_name
from . import icons
from .cells import on_dock_shown, shown

TYPE_ROLE = Qt.ItemDataRole.UserRole + 1


def offered_types(ndim: int) -> dict[str, list[LayerType]]:
    """The layer types for a design with ``ndim`` spatial axes, by family in menu order."""
    families: dict[str, list[LayerType]] = {family: [] for family in FAMILIES}
    for layer_type in CATALOG.values():
        if layer_type.ndim in (None, ndim):
            families.setdefault(layer_type.family, []).append(layer_type)
    return {family: types for family, types in families.items() if types}


def _incoming_shape(analysis: Analysis, position: int) -> tuple[int, ...] | None:
    """The shape that flows into a layer inserted at ``position`` (None when not computed)."""
    if position == 0:
        return analysis.design.input.shape
    return analysis.layers[position - 1].output_shape


def _join_source(analysis: Analysis, position: int, type_name: str) -> str | None:
    """A join's starting source: the nearest earlier layer (not the one right above) whose output the join
    accepts beside the incoming tensor (the engine's rule decides)."""
    incoming = _incoming_shape(analysis, position)
    if incoming is None:
        return analysis.layers[position - 1].name if position > 0 else None
    layer_type = CATALOG[type_name]
    earlier = analysis.layers[:max(0, position - 1)]
    for result in reversed(earlier):
        if result.output_shape is None:
            continue
        context = LayerContext(Layer(type_name, "join"), {}, incoming,
                               (("above", incoming), (result.name, result.output_shape)))
        try:
            layer_type.rule(context)
        except Refusal:
            continue
        return result.name
    if position > 0:
        return analysis.layers[position - 1].name
    return None


def _reference(analysis: Analysis, position: int, type_name: str, args: dict[str, Any], argument: str) -> str | None:
    """A required layer argument's starting name (CenterCrop's size_from, MaxUnpool's indices): the nearest
    layer above ``position`` that the engine's rule accepts there; None when none does."""
    incoming = _incoming_shape(analysis, position)
    if incoming is None:
        return None
    layer_type = CATALOG[type_name]
    for result in reversed(analysis.layers[:position]):
        if result.output_shape is None or result.input_shape is None:
            continue
        layer = Layer.make(type_name, "new", {**args, argument: result.name})
        context = LayerContext(layer, resolved_arguments(layer_type, layer), incoming, (), {
            argument: Reference(result.name, result.layer, result.input_shape, result.output_shape)})
        try:
            layer_type.rule(context)
        except Refusal:
            continue
        return result.name
    return None


def new_layer(type_name: str, analysis: Analysis, position: int) -> Layer:
    """A layer of that type to insert at ``position``, uniquely named, with starting required arguments."""
    layer_type = CATALOG[type_name]
    args: dict[str, Any] = layer_type.starting(_incoming_shape(analysis, position))
    if layer_type.join:
        source = _join_source(analysis, position, type_name)
        if source is not None:
            args["from"] = source  # the layer above, then this one
    for argument in layer_type.arguments:
        if argument.kind == Kind.LAYER and argument.required:
            named = _reference(analysis, position, type_name, args, argument.name)
            if named is not None:
                args[argument.name] = named
    name = generated_name(type_name, [layer.name for layer in analysis.design.layers])
    return Layer.make(type_name, name, args)


def fill_add_menu(menu: QMenu, ndim: int, add: Callable[[str], None]) -> None:
    """Fill ``menu`` with one submenu per family listing the types for that rank."""
    menu.clear()
    for family, types in offered_types(ndim).items():
        submenu = menu.addMenu(family)
        for layer_type in types:
            action = submenu.addAction(layer_type.name)
            action.setToolTip(layer_type.summary)
            action.setStatusTip(f"Add a {layer_type.name}: {layer_type.summary}")
            action.setData(layer_type.name)
            action.triggered.connect(lambda _checked=False, name=layer_type.name: add(name))
        submenu.setToolTipsVisible(True)


class PaletteWidget(QWidget):
    """Layer types by family with a search field; double-click or Enter adds one."""

    addRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setObjectName("paletteSearch")
        self.search.setPlaceholderText("Search layer types…")
        self.search.setClearButtonEnabled(True)
        search = self.search.addAction(icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        icons.set_icon(search, "search")
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("paletteTree")
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(2)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._ndim = 0  # the rank the tree lists (0: none yet)
        self._rank = 2  # the rank to list
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._add_first_match)
        self.tree.itemActivated.connect(self._activated)

    def set_rank(self, ndim: int) -> None:
        """List the types for a design with ``ndim`` spatial axes: now if the palette is on screen, else when
        it is (behind the Properties tab, as it starts, it neither lists them nor imports every layer type's
        module: ~5 ms of the docks' start)."""
        self._rank = ndim
        if ndim != self._ndim and shown(self):  # (every edit asks: most ask for the rank listed)
            self._list()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        on_dock_shown(self, self._list)  # its tab raised: a dock tabbed away stays visible to Qt
        if shown(self):
            self._list()

    def _list(self) -> None:
        """Fill the tree with the types of the rank to list, unless it lists them already."""
        ndim = self._rank
        if ndim == self._ndim:
            return
        self._ndim = ndim
        self.tree.clear()
        for family, types in offered_types(ndim).items():
            parent = QTreeWidgetItem(self.tree, [family])
            parent.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = parent.font(0)
            font.setBold(True)
            parent.setFont(0, font)
            for layer_type in types:
                item = QTreeWidgetItem(parent, [layer_type.name, layer_type.summary])
                item.setData(0, TYPE_ROLE, layer_type.name)
                item.setToolTip(0, f"{layer_type.name}: {layer_type.summary}\nDouble-click to add it after the "
                                   "selected layer")
                item.setToolTip(1, layer_type.summary)
                item.setForeground(1, self.palette().placeholderText())
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        self._filter(self.search.text())

    def _filter(self, text: str) -> None:
        self._list()  # typing into a palette not shown yet (a test, a shortcut) filters the rank's types
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            family = self.tree.topLevelItem(i)
            visible = 0
            for j in range(family.childCount()):
                item = family.child(j)
                hit = not needle or needle in item.text(0).lower() or needle in item.text(1).lower()
                item.setHidden(not hit)
                visible += hit
            family.setHidden(visible == 0)
            if needle:
                family.setExpanded(True)

    def visible_types(self) -> list[str]:
        self._list()
        names = []
        for i in range(self.tree.topLevelItemCount()):
            family = self.tree.topLevelItem(i)
            if family.isHidden():
                continue
            names += [family.child(j).data(0, TYPE_ROLE) for j in range(family.childCount())
                      if not family.child(j).isHidden()]
        return names

    def _add_first_match(self) -> None:
        names = self.visible_types()
        exact = [n for n in names if n.lower() == self.search.text().strip().lower()]
        if exact or names:
            self.addRequested.emit((exact or names)[0])

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        name = item.data(0, TYPE_ROLE)
        if name:
            self.addRequested.emit(name)
