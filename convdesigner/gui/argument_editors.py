"""One editor widget per kind of layer argument (engine/arguments.py's Kind), for the properties form.

Every editor shows a value exactly as the design holds it and emits ``edited(value)`` with the value the
user typed, unchecked: ranges are wide on purpose so the engine, not the widget, refuses what it must (and
says why). Nothing is clamped.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..engine.arguments import PADDING_MODES, Argument, Kind
from ..engine.design import NETWORK_INPUT, axis_name
from ..engine.evaluation import AxisGeometry
from . import icons
from .stack_view import SPIN_MIN, wide_spin_box
from .theme import StateColours

#: What a None entry of a per-axis value shows (adaptive pooling: keep that axis's size).
KEEP_TEXT = "keep"



def row_layout(widget: QWidget) -> QHBoxLayout:
    """An editor's single row of controls, flush with the form (no margins of its own)."""
    layout = QHBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    return layout

class ArgumentEditor(QWidget):
    """Base: ``set_value`` shows a value without emitting; ``edited`` carries a user's change."""

    edited = Signal(object)
    #: Whether what the editor shows depends on the layer's geometry (else a new geometry is not a change).
    uses_geometry = False

    def __init__(self, argument: Argument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.argument = argument
        self._updating = False

    def set_value(self, value: Any, ndim: int, geometry: tuple[AxisGeometry, ...] | None = None) -> None:
        self._updating = True
        try:
            self._show(value, ndim, geometry)
        finally:
            self._updating = False

    def _show(self, value: Any, ndim: int, geometry: tuple[AxisGeometry, ...] | None) -> None:
        raise NotImplementedError

    def _emit(self, value: Any) -> None:
        if not self._updating:
            self.edited.emit(value)

    def set_refused(self, refused: bool) -> None:
        if self.property("refused") == refused:
            return
        colour = StateColours().error.name()
        self.setStyleSheet(
            f"QSpinBox, QLineEdit, QComboBox {{ border: 1px solid {colour}; border-radius: 2px; }}" if refused else "")
        self.setProperty("refused", refused)


class IntEditor(ArgumentEditor):
    """One integer (Kind.INT, DIM, OPTIONAL_INT)."""

    def __init__(self, argument: Argument, parent: QWidget | None = None) -> None:
        super().__init__(argument, parent)
        self.spin = wide_spin_box(self)
        layout = row_layout(self)
        layout.addWidget(self.spin)
        self.spin.valueChanged.connect(self._emit)

    def _show(self, value: Any, ndim: int, geometry) -> None:
        if isinstance(value, int) and self.spin.value() != value:
            self.spin.setValue(value)


class AxesEditor(ArgumentEditor):
    """One integer for every axis (linked: "same on all axes") or one per axis (Kind.AXES, OPTIONAL_AXES,
    PAD_LIST). ``labels`` names the entries; a None entry (when the argument allows it) shows as 'keep'."""

    def __init__(self, argument: Argument, parent: QWidget | None = None, pairs: bool = False) -> None:
        super().__init__(argument, parent)
        self._pairs = pairs  # PAD_LIST: two entries per axis, PyTorch's order (last axis first)
        self.spins: list[QSpinBox] = []
        self._count = 0
        self._entry_labels: list[str] = []
        self._linked = True
        self._icon_linked: bool | None = None  # the linked state the link button's icon shows
        self.link = QToolButton(self)
        self.link.setObjectName("linkAxes")
        self.link.setCheckable(True)
        self.link.setChecked(True)
        self.link.setAutoRaise(True)
        self.link.toggled.connect(self._link_toggled)
        self._grid = QGridLayout()
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(4)
        self._grid.setVerticalSpacing(2)
        layout = row_layout(self)
        layout.setSpacing(2)
        layout.addLayout(self._grid, 1)
        layout.addWidget(self.link, 0, Qt.AlignmentFlag.AlignTop)
        self._update_link_icon()

    def _labels(self, ndim: int) -> list[str]:
        if self._pairs:
            names = [axis_name(a, ndim) for a in range(ndim)][::-1]
            return [f"{n} {side}" for n in names for side in ("low", "high")]
        return [axis_name(a, ndim) for a in range(ndim)]

    def _ensure(self, count: int, ndim: int) -> None:
        """``count`` spin boxes named for ``ndim`` axes. Spin boxes that have them already are left alone: a new
        prefix or a place in the grid asks the form for a layout, and a layer shown again changes neither."""
        rebuilt = count != self._count
        if rebuilt:
            for spin in self.spins:
                self._grid.removeWidget(spin)
                spin.deleteLater()
            self.spins = []
            for index in range(count):
                spin = wide_spin_box(self)
                spin.setObjectName(f"axis{index}")
                if self.argument.none_entries:
                    spin.setSpecialValueText(KEEP_TEXT)
                spin.valueChanged.connect(self._spin_changed)
                self.spins.append(spin)
            self._count = count
        labels = self._labels(ndim)
        if rebuilt or labels != self._entry_labels:
            self._entry_labels = labels
            columns = 2 if self._pairs else max(1, count)
            for index, (spin, label) in enumerate(zip(self.spins, labels)):
                _set_prefix(spin, f"{label}: " if count > 1 else "")
                spin.setToolTip(f"{self.argument.name} on axis {label}")
                self._grid.addWidget(spin, index // columns, index % columns)
        self._layout_link()

    def _layout_link(self) -> None:
        single = self._count <= 1
        self.link.setVisible(not single)
        for index, spin in enumerate(self.spins):
            spin.setVisible(index == 0 or not self._linked)
        if self.spins:
            show_label = not self._linked and self._count > 1
            _set_prefix(self.spins[0], f"{self._entry_labels[0]}: " if show_label else "")

    def _update_link_icon(self) -> None:
        """The link button's icon and tooltip for the linked state, set only when that changed (a new icon
        asks the form for a layout)."""
        if self._icon_linked == self._linked:
            return
        self._icon_linked = self._linked
        icons.set_icon(self.link, "link" if self._linked else "unlink")
        self.link.setToolTip("Same value on all axes (click to set each axis)" if self._linked
                             else "One value per axis (click to use the same on all axes)")

    def _entry(self, spin: QSpinBox) -> int | None:
        if self.argument.none_entries and spin.value() == SPIN_MIN:
            return None
        return spin.value()

    def _set_entry(self, spin: QSpinBox, value: Any) -> None:
        target = SPIN_MIN if value is None else value
        if isinstance(target, int) and spin.value() != target:
            spin.setValue(target)

    def _show(self, value: Any, ndim: int, geometry) -> None:
        count = 2 * ndim if self._pairs else ndim
        self._ensure(count, ndim)
        if isinstance(value, tuple):
            self._linked = False
            for spin, entry in zip(self.spins, value):
                self._set_entry(spin, entry)
        else:
            self._linked = True
            for spin in self.spins:
                self._set_entry(spin, value)
        blocked = self.link.blockSignals(True)
        self.link.setChecked(self._linked)
        self.link.blockSignals(blocked)
        self._update_link_icon()
        self._layout_link()

    def value(self) -> Any:
        if self._linked or self._count <= 1:
            return self._entry(self.spins[0]) if self.spins else None
        return tuple(self._entry(spin) for spin in self.spins)

    def _spin_changed(self, *_args) -> None:
        if self._updating:
            return
        if self._linked:
            self._updating = True
            try:
                for spin in self.spins[1:]:
                    spin.setValue(self.spins[0].value())
            finally:
                self._updating = False
        self._emit(self.value())

    def _link_toggled(self, linked: bool) -> None:
        self._linked = linked
        self._update_link_icon()
        self._layout_link()
        if linked:
            self._updating = True
            try:
                for spin in self.spins[1:]:
                    spin.setValue(self.spins[0].value())
            finally:
                self._updating = False
        self._emit(self.value())


def _set_prefix(spin: QSpinBox, prefix: str) -> None:
    """A spin box's prefix, set only when it differs (QSpinBox.setPrefix asks for a layout whatever it was)."""
    if spin.prefix() != prefix:
        spin.setPrefix(prefix)


class PaddingEditor(ArgumentEditor):
    """A convolution's padding: an int or one per axis, [low, high] per axis, 'valid', 'same' or 'full'."""

    uses_geometry = True  # shows the padding the geometry resolves

    EXPLICIT, PAIRS = "explicit", "pairs"
    MODES = ((EXPLICIT, "Explicit"), (PAIRS, "Low / high per axis"),
             ("valid", "Valid (no padding)"), ("same", "Same (keep the size)"), ("full", "Full (d(k−1) each side)"))

    def __init__(self, argument: Argument, parent: QWidget | None = None) -> None:
        super().__init__(argument, parent)
        assert tuple(m for m, _ in self.MODES[2:]) == PADDING_MODES
        self.mode = QComboBox(self)
        self.mode.setObjectName("paddingMode")
        for key, label in self.MODES:
            self.mode.addItem(label, key)
        # as narrow as "Explicit", not as "Full (d(k−1) each side)": the form fits the dock's first width at
        # 1024×700 (the list opens as wide as its entries)
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode.setMinimumContentsLength(len(self.MODES[0][1]))
        self.axes = AxesEditor(Argument("padding", Kind.AXES, 0), self)
        self.pairs_widget = QWidget(self)
        self._pairs_grid = QGridLayout(self.pairs_widget)
        self._pairs_grid.setContentsMargins(0, 0, 0, 0)
        self._pairs_grid.setHorizontalSpacing(4)
        self._pairs_grid.setVerticalSpacing(2)
        self.pair_spins: list[tuple[QSpinBox, QSpinBox]] = []
        self.resolved = QLabel(self)
        self.resolved.setObjectName("resolvedPadding")
        self.resolved.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.mode)
        layout.addWidget(self.axes)
        layout.addWidget(self.pairs_widget)
        layout.addWidget(self.resolved)
        self._ndim = 0
        self._geometry: tuple[AxisGeometry, ...] | None = None
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.axes.edited.connect(lambda value: self._emit(value))

    def _ensure_pairs(self, ndim: int) -> None:
        if len(self.pair_spins) == ndim:
            return
        for low, high in self.pair_spins:
            low.deleteLater()
            high.deleteLater()
        self.pair_spins = []
        for axis in range(ndim):
            name = axis_name(axis, ndim)
            low, high = wide_spin_box(self.pairs_widget), wide_spin_box(self.pairs_widget)
            low.setPrefix(f"{name} low: ")
            high.setPrefix("high: ")
            low.setObjectName(f"padLow{axis}")
            high.setObjectName(f"padHigh{axis}")
            for spin in (low, high):
                spin.valueChanged.connect(self._pairs_changed)
            self._pairs_grid.addWidget(low, axis, 0)
            self._pairs_grid.addWidget(high, axis, 1)
            self.pair_spins.append((low, high))

    def _show(self, value: Any, ndim: int, geometry) -> None:
        self._ndim = ndim
        self._geometry = geometry
        self._ensure_pairs(ndim)
        if isinstance(value, str):
            mode = value
        elif isinstance(value, tuple) and any(isinstance(v, tuple) for v in value):
            mode = self.PAIRS
            for (low, high), pair in zip(self.pair_spins, value):
                lo, hi = pair if isinstance(pair, tuple) else (pair, pair)
                if low.value() != lo:
                    low.setValue(lo)
                if high.value() != hi:
                    high.setValue(hi)
        else:
            mode = self.EXPLICIT
            self.axes.set_value(value, ndim)
        index = self.mode.findData(mode)
        if index >= 0 and self.mode.currentIndex() != index:
            self.mode.setCurrentIndex(index)
        self._show_mode(mode)
        if mode in PADDING_MODES and geometry:
            pads = ", ".join(f"{axis_name(a, len(geometry))} {g.p_low}+{g.p_high}" for a, g in enumerate(geometry))
            self.resolved.setText(f"resolves to {pads}")
            self.resolved.show()
        else:
            self.resolved.hide()

    def _show_mode(self, mode: str) -> None:
        self.axes.setVisible(mode == self.EXPLICIT)
        self.pairs_widget.setVisible(mode == self.PAIRS)

    def _resolved_pairs(self) -> list[tuple[int, int]]:
        if self._geometry and len(self._geometry) == self._ndim:
            return [(g.p_low, g.p_high) for g in self._geometry]
        return [(0, 0)] * self._ndim

    def _mode_changed(self, _index: int) -> None:
        mode = self.mode.currentData()
        self._show_mode(mode)
        if self._updating:
            return
        if mode == self.EXPLICIT:
            lows = [lo for lo, _ in self._resolved_pairs()]
            self._emit(lows[0] if len(set(lows)) <= 1 else tuple(lows))
        elif mode == self.PAIRS:
            self._emit(tuple(self._resolved_pairs()))
        else:
            self._emit(mode)

    def _pairs_changed(self, *_args) -> None:
        if not self._updating:
            self._emit(tuple((low.value(), high.value()) for low, high in self.pair_spins))


class BoolEditor(ArgumentEditor):
    def __init__(self, argument: Argument, parent: QWidget | None = None) -> None:
        super().__init__(argument, parent)
        self.check = QCheckBox(self)
        layout = row_layout(self)
        layout.addWidget(self.check)
        layout.addStretch(1)
        self.check.toggled.connect(self._emit)

    def _show(self, value: Any, ndim: int, geometry) -> None:
        self.check.setChecked(bool(value))


class ChoiceEditor(ArgumentEditor):
    """One of a few words (padding_mode, mode, approximate); an optional boolean (true/false) as well."""

    def __init__(self, argument: Argument, parent: QWidget | None = None) -> None:
        super().__init__(argument, parent)
        self.combo = QComboBox(self)
        if argument.kind == Kind.BOOL:
            self.combo.addItem("true", True)
            self.combo.addItem("false", False)
        else:
            for choice in argument.choices:
                self.combo.addItem(choice, choice)
        layout = row_layout(self)
        layout.addWidget(self.combo)
        self.combo.currentIndexChanged.connect(lambda _i: self._emit(self.combo.currentData()))

    def _show(self, value: Any, ndim: int, geometry) -> None:
        index = self.combo.findData(value)
        if index < 0:  # a value the catalog does not list: show it so the engine's refusal makes sense
            self.combo.addItem(str(value), value)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)


class LayerEditor(ArgumentEditor):
    """An earlier layer named in an argument (Kind.LAYER: ``size_from``, ``indices``): chosen as the From field
    is, among the layers above (nearest first) and the network input, or typed."""

    def __init__(self, argument: Argument, parent: QWidget | None = None) -> None:
        super().__init__(argument, parent)
        self.combo = QComboBox(self)
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        layout = row_layout(self)
        layout.addWidget(self.combo)
        self._names: list[str] = []
        self.combo.activated.connect(lambda index: self._emit(self.combo.itemData(index)))
        self.combo.lineEdit().editingFinished.connect(self._typed)

    def set_choices(self, earlier: list[str]) -> None:
        """The layers the argument may name: those above the layer (given top first) and the input."""
        self._names = [*reversed(earlier), NETWORK_INPUT]

    def _show(self, value: Any, ndim: int, geometry) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        for name in self._names:
            self.combo.addItem(name, name)
        index = self.combo.findData(value)
        if index < 0:  # a name no layer above has: shown, so the engine's refusal under it makes sense
            self.combo.insertItem(0, str(value), value)
            index = 0
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)

    def _typed(self) -> None:
        text = self.combo.currentText().strip()
        if text and text != self.combo.currentData():
            self._emit(text)


def _parse_numbers(text: str) -> list[float | int] | None:
    parts = [p for p in text.replace("×", ",").replace(" ", ",").split(",") if p]
    values: list[float | int] = []
    for part in parts:
        try:
            values.append(int(part))
        except ValueError:
            try:
                values.append(float(part))
            except ValueError:
                return None
    return values or None


class NumberEditor(ArgumentEditor):
    """A number typed as text (Kind.FLOAT), a scale factor: one number or one per axis (Kind.SCALE), or a list of
    sizes (Kind.SHAPE).

    Text that is not a number is refused here, with a message, and not sent to the design."""

    problem = Signal(str)

    def __init__(self, argument: Argument, parent: QWidget | None = None) -> None:
        super().__init__(argument, parent)
        self.line = QLineEdit(self)
        layout = row_layout(self)
        layout.addWidget(self.line)
        self.line.textEdited.connect(self._typed)
        self.line.setPlaceholderText({Kind.FLOAT: "a number", Kind.SHAPE: "sizes, e.g. 64, 4, 4 (one may be -1)"}.get(
            argument.kind, "a number, or one per axis"))

    @staticmethod
    def _text(value: Any) -> str:
        if isinstance(value, tuple):
            return ", ".join(NumberEditor._text(v) for v in value)
        if isinstance(value, float):
            return repr(value)
        return "" if value is None else str(value)

    def _show(self, value: Any, ndim: int, geometry) -> None:
        current = self._parsed(self.line.text())
        if current != value or current is None:
            self.line.setText(self._text(value))

    def _parsed(self, text: str) -> Any:
        values = _parse_numbers(text)
        if values is None:
            return None
        if self.argument.kind == Kind.FLOAT:
            return float(values[0]) if len(values) == 1 else None
        if self.argument.kind == Kind.SHAPE:  # sizes: always a list, checked by the engine
            return tuple(values)
        return values[0] if len(values) == 1 else tuple(values)

    def _typed(self, text: str) -> None:
        value = self._parsed(text)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            self.problem.emit(f"'{text}' is not a number" if text.strip() else f"{self.argument.name} needs a number")
            return
        self.problem.emit("")
        self._emit(value)


def editor_for(argument: Argument, parent: QWidget | None = None) -> ArgumentEditor:
    """The editor widget for an argument's kind."""
    kind = argument.kind
    if kind in (Kind.INT, Kind.DIM, Kind.OPTIONAL_INT):
        return IntEditor(argument, parent)
    if kind in (Kind.AXES, Kind.OPTIONAL_AXES):
        return AxesEditor(argument, parent)
    if kind == Kind.PAD_LIST:
        return AxesEditor(argument, parent, pairs=True)
    if kind == Kind.CONV_PADDING:
        return PaddingEditor(argument, parent)
    if kind == Kind.BOOL:
        return ChoiceEditor(argument, parent) if argument.default is None else BoolEditor(argument, parent)
    if kind == Kind.CHOICE:
        return ChoiceEditor(argument, parent)
    if kind in (Kind.FLOAT, Kind.SCALE, Kind.SHAPE):
        return NumberEditor(argument, parent)
    if kind == Kind.LAYER:
        return LayerEditor(argument, parent)
    raise ValueError(f"no editor for arguments of kind {kind}")
