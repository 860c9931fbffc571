"""The canvas widget: one custom-painted view (zoom, pan, hover, click) and the animation controls.

`CanvasWidget.show_layer(analysis, index)` is the main window's contract; the rest (views, steps, play,
export) is the canvas's own. The animation runs on a QTimer, so editing never waits for it.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSlider,
    QSpinBox,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...engine.frames import DATA, DIRECT, MATRIX, OVERLAP, PADDING, SCATTER, VIEWS, ZERO, CopyFrames, combine_kinds
from .. import icons
from ..keyboard import unique_sequences
from .layout import Camera, CanvasModel, CellText, PaintState
from .painter import fitted, numbers_hidden, paint, stage_for

if TYPE_CHECKING:  # the numbers mode's modules (engine.numeric: 11 dataclasses) are imported when it is first on
    from ...engine.numeric import NumericState
    from .numbers import NumbersOverlay

#: Frames per second the speed menu offers.
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
DEFAULT_SPEED = 2.0
#: How long after the last frame a deep layer's pending receptive field is computed (`CanvasWidget._after_paint`).
FIELD_DELAY_MS = 120
ZOOM_STEP = 1.25
#: Presentation mode draws the canvas this much larger (its text too).
PRESENT_ZOOM = 1.6
VIEW_LABELS = {DIRECT: "Direct", SCATTER: "Scatter", OVERLAP: "Overlap", MATRIX: "Matrix"}
#: Names the paper gallery's index uses for a view, mapped to the canvas's views.
VIEW_ALIASES = {"transposed": DIRECT, "equivalent": DIRECT}


#: How many frames the canvas keeps the pixels of (a few layers the user goes back and forth between; each
#: the canvas's size: ~1.7 MB at 836 x 510).
CACHED_FRAMES = 8
#: ... and never more device pixels than this (64 MB: a few frames of a large canvas on a high-density screen).
MAX_FRAME_PIXELS = 16_000_000

#: The most positions the step slider has (a Qt int); a layer with more steps (over 2^31 - 1 output positions)
#: gets a slider over a scaled range, the exact step kept in the state (`slider_step`, `slider_value`).
SLIDER_MAX = 2**31 - 1


def slider_positions(count: int) -> int:
    """The slider's last position for ``count`` steps: one position per step while they fit."""
    return max(0, min(count - 1, SLIDER_MAX))


def slider_step(value: int, count: int) -> int:
    """The step at slider position ``value`` (exact while every step has a position; else the last position
    is the last step and the rest are spread evenly)."""
    positions = slider_positions(count)
    if positions == count - 1 or positions == 0:
        return value
    return -(-value * (count - 1) // positions)  # rounded up: `slider_value` maps it back to ``value``


def slider_value(step: int, count: int) -> int:
    """The slider position that shows ``step`` (the inverse of `slider_step`, rounded down)."""
    positions = slider_positions(count)
    if positions == count - 1 or positions == 0:
        return step
    return step * positions // (count - 1)


NUMBERS_TIP = ("Numbers mode: the input's values, the kernel's weights and each output value as it is formed, "
               "with its sum written under the canvas (click an input or kernel cell to change its value)")

class CanvasView(QWidget):
    """The painted area: the model's current frame, zoomed and panned; reports hover and clicks."""

    cellClicked = Signal(str, int, int)  # grid name, row, col
    painted = Signal()  # after each paint (the widget computes a pending receptive field then)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = CanvasModel(None, None)
        self.state = PaintState(field_wait=False)
        self.camera: Camera | None = None  # None: fitted to the widget
        #: how much larger everything is drawn (presentation mode: text readable across a room)
        self.text_zoom = 1.0
        self._drag: QPointF | None = None
        self._dragged = False
        self.setMouseTracking(True)
        self.setMinimumSize(240, 180)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # keys it ignores (Space, arrows) go to the canvas
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.grabGesture(Qt.GestureType.PinchGesture)
        #: the pixels of the last frames painted at rest, by what they show (`_frame_key`): (what the frame shows
        #: of the analysis, `CanvasModel.shown`, its pixels); a layer selected again, a repaint that changes
        #: nothing, or an edit undone or set back to a frame kept before, is one blit
        self._frames: OrderedDict[tuple, tuple[tuple, QPixmap]] = OrderedDict()
        #: the layer last painted and the result it was first painted with (a later one is an edit's)
        self._shown: tuple[int | None, object] = (None, None)
        #: False: paint every frame (the tests compare the two); `animating`: frames not kept while playing
        self.cache_frames = True
        self.animating = False
        #: frames painted, and frames drawn from the kept pixels (work counts the tests read)
        self.frames_painted = 0
        self.frames_blitted = 0

    def _rect(self) -> QRectF:
        """The painted area in the painter's units: the widget, shrunk by ``text_zoom`` (which the painter
        scales back up, so text, lines and cells all grow together)."""
        return QRectF(0, 0, self.width() / self.text_zoom, self.height() / self.text_zoom)

    def _logical(self, pos: QPointF) -> QPointF:
        """A widget position in the painter's units."""
        return pos / self.text_zoom

    def current_camera(self) -> Camera:
        if self.camera is not None:
            return self.camera
        return fitted(stage_for(self._rect(), self.model, self.state), self.model, self.state)

    def _view(self) -> str:
        return self.state.view if self.state.view in self.model.views() else DIRECT

    def paintEvent(self, event) -> None:
        key = self._frame_key()
        entry = self._frames.get(key) if key is not None else None
        index, result = self.model.index, self.model.result
        edited = self._shown[0] == index and self._shown[1] is not result
        if self._shown[0] != index:
            self._shown = (index, result)
        if entry is not None and entry[0] == self.model.shown():  # what it shows, by value: the same frame
            self._frames.move_to_end(key)
            pixels = entry[1]
            self.model.pending_field = None  # a kept frame has its field drawn
            self.frames_blitted += 1
        elif key is None or edited:
            # nothing to keep, or the shown layer edited (each of its paints, the one after its field too): an
            # edit's frame is painted on the canvas directly (into kept pixels, a frame costs ~0.3-0.7 ms more,
            # measured interleaved), and drawn from kept pixels when it shows a frame kept before (an undo to the
            # layer as it was when selected)
            self._paint_frame(QPainter(self))
            self.painted.emit()
            return
        else:
            pixels = QPixmap(self.size() * self.devicePixelRatio())
            pixels.setDevicePixelRatio(self.devicePixelRatio())
            painter = QPainter(pixels)
            # as a painter on the widget starts (QPainter::initFrom)
            painter.setFont(self.font())
            painter.setPen(self.palette().color(self.foregroundRole()))
            painter.setBackground(self.palette().brush(self.backgroundRole()))
            self._paint_frame(painter)
            if self.model.pending_field is None:  # a field still to compute is painted again once it is
                self._keep(key, pixels)
        painter = QPainter(self)
        painter.drawPixmap(0, 0, pixels)
        painter.end()
        self.painted.emit()

    def _paint_frame(self, painter: QPainter) -> None:
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.scale(self.text_zoom, self.text_zoom)
            paint(painter, self._rect(), self.model, self.state, self.camera)
        finally:  # a painter left active when painting raises takes the process down with it
            painter.end()
        self.frames_painted += 1

    def _frame_key(self) -> tuple | None:
        """What a frame shows besides its layer's result (None: a frame not kept: the animation playing, the
        mouse over a cell, the numbers mode or a cell-text hook, whose values change in place; or a fractional
        device pixel ratio, where Qt paints the canvas at a fractional device offset and kept pixels, drawn at a
        whole one, would move its lines by a pixel between a kept frame and a painted one, e.g. on play)."""
        state = self.state
        ratio = self.devicePixelRatio()
        if (not self.cache_frames or self.animating or state.hover is not None or state.numbers is not None
                or state.cell_text is not None or ratio != int(ratio)):
            return None
        result = self.model.result
        try:
            value = hash(result)  # by value (an edit set back shows the frame again); the rest `CanvasModel.shown`
        except TypeError:  # an argument that cannot be hashed (its layer has errors): not kept
            return None
        camera = None if self.camera is None else (self.camera.scale, self.camera.x, self.camera.y)
        return (value, self.model.index, state.view, state.step, state.stacked, state.show_field,
                state.dark, state.caption, state.chrome, state.field_wait, camera, self.width(), self.height(),
                self.text_zoom, ratio, self.font().key())

    def _keep(self, key: tuple, pixels: QPixmap) -> None:
        """Keep a frame's pixels as the most recently shown (under a key kept before too: a layer whose result
        is the same and what it shows is not), and drop the least recently shown beyond the limits."""
        self._frames[key] = (self.model.shown(), pixels)
        self._frames.move_to_end(key)
        while len(self._frames) > 1 and (len(self._frames) > CACHED_FRAMES or self.kept_pixels > MAX_FRAME_PIXELS):
            self._frames.popitem(last=False)

    @property
    def kept_pixels(self) -> int:
        """Device pixels of the frames kept."""
        return sum(pixels.width() * pixels.height() for _result, pixels in self._frames.values())

    # -- zoom and pan ------------------------------------------------------------------------------
    def zoom(self, factor: float, at: QPointF | None = None) -> None:
        if self.model.frames is None:
            return
        cam = self.current_camera()
        at = at or stage_for(self._rect(), self.model, self.state).center()
        fit_scale = fitted(stage_for(self._rect(), self.model, self.state), self.model, self.state).scale
        scale = min(400.0, max(min(0.02, fit_scale), cam.scale * factor))  # out as far as the fitted view
        ratio = scale / cam.scale
        self.camera = Camera(scale, at.x() - (at.x() - cam.x) * ratio, at.y() - (at.y() - cam.y) * ratio)
        self.update()

    def fit(self) -> None:
        self.camera = None
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(ZOOM_STEP ** steps, self._logical(event.position()))
        event.accept()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.NativeGesture and event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
            self.zoom(1.0 + event.value(), self._logical(event.position()))
            return True
        if event.type() == QEvent.Type.Gesture:
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if pinch is not None:
                self.zoom(pinch.scaleFactor(),
                          self._logical(self.mapFromGlobal(pinch.centerPoint().toPoint()).toPointF()))
                return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = self._logical(event.position())
            self._dragged = False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = self._logical(event.position())
        if self._drag is not None and event.buttons() & Qt.MouseButton.LeftButton:
            delta = pos - self._drag
            if self._dragged or abs(delta.x()) + abs(delta.y()) > 4:
                cam = self.current_camera()
                self.camera = Camera(cam.scale, cam.x + delta.x(), cam.y + delta.y())
                self._drag = pos
                self._dragged = True
                self.update()
                return
        self.set_hover(self.hit(event.position()))

    def hit(self, pos: QPointF) -> tuple[str, int, int] | None:
        """The cell under a point of the widget: (grid name, row, col), or None."""
        logical = self._logical(pos)
        return self.model.hit(self.current_camera(), self._view(), logical.x(), logical.y(),
                              self.state.numbers is not None)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._drag is not None and not self._dragged:
            hit = self.hit(event.position())
            if hit is not None:
                self.cellClicked.emit(*hit)
        self._drag = None
        self._dragged = False

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.fit()

    def leaveEvent(self, event) -> None:
        self.set_hover(None)

    def set_hover(self, hit: tuple[str, int, int] | None) -> None:
        if hit != self.state.hover:
            self.state.hover = hit
            self.setToolTip(self._describe(hit) if hit is not None else "")
            self.update()


    def _describe(self, hit: tuple[str, int, int]) -> str:
        """The tooltip of a cell; in numbers mode with its value."""
        text = self.model.describe(self._view(), hit, self.state.step)
        numbers = self.state.numbers
        if numbers is None or not numbers.cells_drawn:
            return text
        from ...engine.numeric import format_number
        from .numbers import CopyNumbers

        if isinstance(numbers, CopyNumbers):
            found = self.model.copy_position(*hit, self.state.step)
            return text if found is None else f"{text}: value {format_number(numbers.value(*found))}"
        grid, row, col = hit
        view = self._view()
        value = None
        if grid == "input":
            value = numbers.input_value(row, col) if view == DIRECT else numbers.source_value(row, col)
        elif grid == "output" and view == SCATTER:
            value = numbers.scatter_value(self.state.step, row, col)
        elif grid == "output":
            value = numbers.output_value(row, col)
        elif grid == "x":
            value = numbers.flat_input(col)
        elif grid == "y":
            value = numbers.flat_output(row)
        elif grid == "matrix":
            value = numbers.matrix_entry(row, col)
        return text if value is None else f"{text}: value {format_number(value)}"


def _button(text: str, tip: str, icon: str) -> QToolButton:
    """A playback button with one of the app's palette-tinted icons (the style's media icons stay dark on
    the dark scheme; `icons.retint` redoes these on a scheme change)."""
    button = QToolButton()
    button.setText(text)
    icons.set_icon(button, icon)
    button.setToolTip(tip)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # Tab reaches it; a click leaves the keys with the canvas
    button.setAutoRaise(True)
    return button


class CanvasWidget(QWidget):
    """The sliding-window canvas: view switch, painted view, playback controls and export."""

    stepChanged = Signal(object)  # a Python int: a layer may have more steps than a C int holds

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.view_widget = CanvasView(self)
        self.view_widget.cellClicked.connect(self._cell_clicked)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._layer_key: tuple[str, str] | None = None
        #: (layer key, view, step, model) of the last layer shown with a window
        self._remembered: tuple | None = None
        #: (step before, step after, came from scatter, model) of the last view switch
        self._switch_memo: tuple | None = None
        #: the numbers mode's values, kept while the same layer is shown (edits keep them where they fit)
        self._values: NumericState | None = None
        self._seed = 0
        self.value_editor: ValueEditor | None = None
        self.presenting = False
        #: where exports are offered first: the open design's folder (set by the window), else the working one
        self.default_folder: str | None = None

        self.top_row = self._create_toolbar()

        # bottom bar: playback, and the depth slice of a 3-D layer
        bottom = QHBoxLayout()
        bottom.setContentsMargins(6, 0, 6, 4)
        bottom.setSpacing(4)
        #: playback, each an action with a window-wide shortcut (View > Playback) and a button
        self.playback_actions: list[QAction] = []
        buttons = []
        for label, text, canvas_key, shortcut, icon, slot in (
                ("First", "First step", "Home", "Ctrl+Home", "first", lambda: self.set_step(0)),
                ("Back", "Step back", "Left", "Ctrl+Left", "back", lambda: self.step_by(-1)),
                ("Play", "Play / pause", "Space", "Ctrl+Space", "play", self.toggle_play),
                ("Forward", "Step forward", "Right", "Ctrl+Right", "forward",
                 lambda: self.step_by(1)),
                ("Last", "Last step", "End", "Ctrl+End", "last",
                 lambda: self.set_step(self.step_count() - 1))):
            action = QAction(text, self)
            action.setObjectName(f"playback-{label.lower()}")
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            self.addAction(action)
            self.playback_actions.append(action)
            button = _button(label, f"{text} ({canvas_key} in the canvas, {shortcut} anywhere)", icon)
            button.clicked.connect(action.trigger)
            buttons.append(button)
        self.first_button, self.back_button, self.play_button, self.forward_button, self.last_button = buttons
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.slider.setToolTip("Scrub through every step (one per output position)")
        self.slider.setMinimumWidth(24)  # the window fits an 800-pixel-wide screen
        self.slider.valueChanged.connect(self._slider_moved)
        self.step_label = QLabel()
        self.step_label.setMinimumWidth(48)
        self.step_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.depth_label = QLabel("Depth")
        self.depth_spin = QSpinBox()
        self.depth_spin.setToolTip("The output depth slice shown (3-D layers)")
        self.depth_spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.depth_spin.valueChanged.connect(self._set_depth)
        self.speed_box = QComboBox()
        self.speed_box.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.speed_box.setToolTip("Steps per second")
        for fps in SPEEDS:
            self.speed_box.addItem(f"{fps:g} / s", fps)
        self.speed_box.setCurrentIndex(SPEEDS.index(DEFAULT_SPEED))
        self.speed_box.currentIndexChanged.connect(self._speed_changed)
        self.loop_box = QCheckBox("Loop")
        self.loop_box.setToolTip("Start again after the last step")
        self.loop_box.setChecked(True)
        self.loop_box.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        for w in (self.first_button, self.back_button, self.play_button, self.forward_button, self.last_button):
            bottom.addWidget(w)
        bottom.addWidget(self.slider, 1)
        for w in (self.step_label, self.depth_label, self.depth_spin, self.speed_box, self.loop_box):
            bottom.addWidget(w)
        self._controls = [self.first_button, self.back_button, self.play_button, self.forward_button,
                          self.last_button, self.slider, self.speed_box, self.loop_box, self.export_action,
                          self.planes_action, self.field_action, self.numbers_action, *self.playback_actions,
                          self.zoom_in_action, self.zoom_out_action, self.fit_action]

        #: computes a deep layer's receptive field once the frame that shows it as pending is painted and the
        #: user pauses: every paint restarts it, so held arrow keys or a quick run down the layer list never
        #: wait for fields they have already left
        self._field_timer = QTimer(self)
        self._field_timer.setSingleShot(True)
        self._field_timer.setInterval(FIELD_DELAY_MS)
        self._field_timer.timeout.connect(self._compute_pending_field)
        self.view_widget.painted.connect(self._after_paint)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.top_row)
        layout.addWidget(self.view_widget, 1)
        layout.addLayout(bottom)
        self._speed_changed()
        self.state.dark = self._palette_is_dark()
        self._update_numbers()
        self._sync()

    def _create_toolbar(self) -> QWidget:
        """The top row: on the left a QToolBar with the views, the numbers mode and the options, which in a
        narrow canvas moves what does not fit into its overflow menu (») instead of widening the canvas; on
        the right a small fixed bar with zoom, fit and export, always at hand (never split by the overflow)."""

        def toolbar(name: str) -> QToolBar:
            bar = QToolBar(name, self)
            bar.setObjectName(name)
            bar.setMovable(False)
            bar.setFloatable(False)
            bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            bar.setStyleSheet("QToolBar { border: none; spacing: 1px; }")
            return bar

        self.toolbar = bar = toolbar("canvasToolBar")
        self.zoom_bar = toolbar("canvasZoomBar")

        def add(text: str, tip: str, slot=None, checkable: bool = False, name: str = "",
                bar: QToolBar = bar, keys: tuple = ()) -> QAction:
            action = QAction(text, self)
            shortcuts = unique_sequences(keys)
            action.setShortcuts(shortcuts)
            if shortcuts:
                tip += f" ({shortcuts[0].toString(QKeySequence.SequenceFormat.NativeText)})"
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.setCheckable(checkable)
            action.setObjectName(name)
            if slot is not None:
                action.triggered.connect(slot)
            bar.addAction(action)
            # Tab reaches it; a click leaves the keys (Space, arrows) with the canvas
            bar.widgetForAction(action).setFocusPolicy(Qt.FocusPolicy.TabFocus)
            return action

        tips = {DIRECT: "The sliding window (a transposed convolution as its equivalent direct convolution)",
                SCATTER: "A transposed convolution as each input unit scattering a kernel-sized patch",
                OVERLAP: "How many kernel taps reach each output cell (uneven: checkerboard artefacts)",
                MATRIX: "The layer as the sparse matrix C (section 4.1); Cᵀ for a transposed convolution"}
        self._view_group = QActionGroup(self)
        self._view_group.setExclusive(True)
        self.view_actions: dict[str, QAction] = {}
        for number, view in enumerate(VIEWS, 1):
            action = add(VIEW_LABELS[view], tips[view], lambda _checked=False, v=view: self.set_view(v), True,
                         f"view-{view}", keys=(f"Ctrl+{number}",))
            self._view_group.addAction(action)
            self.view_actions[view] = action
        #: the views' tool buttons (hidden when the layer has no such view)
        self._view_buttons = {view: bar.widgetForAction(a) for view, a in self.view_actions.items()}
        bar.addSeparator()
        self.numbers_action = add("Numbers", NUMBERS_TIP, None, True, "numbers", keys=("Ctrl+Shift+N",))
        self.numbers_action.toggled.connect(self.set_numbers)
        self.randomise_action = add("Randomise", "New small integer values for the input and the kernel",
                                    self.randomise_values, name="randomise")
        self.reset_action = add("Reset", "Back to the default values (the paper's input and kernel where they fit)",
                                self.reset_values, name="reset")
        self.numbers_button = bar.widgetForAction(self.numbers_action)
        self.randomise_button = bar.widgetForAction(self.randomise_action)
        self.reset_button = bar.widgetForAction(self.reset_action)
        bar.addSeparator()
        self.field_action = add("Receptive field", "Show the current output cell's exact receptive field on the "
                                "network input", None, True, "field", keys=("Ctrl+Shift+F",))
        self.field_action.setChecked(True)
        self.field_action.toggled.connect(self._set_field)
        self.planes_action = add(  # the least used: the first into the overflow menu
            "Channel planes", "Show a few channel planes stacked, as in the paper's figure 1.1", None, True, "planes",
            keys=("Ctrl+Shift+L",))
        self.planes_action.toggled.connect(self._set_planes)
        zoom = self.zoom_bar
        self.zoom_out_action = add("−", "Zoom out (- in the canvas)", lambda: self.view_widget.zoom(1 / ZOOM_STEP),
                                   name="zoom-out", bar=zoom, keys=(QKeySequence.StandardKey.ZoomOut,))
        self.zoom_in_action = add("+", "Zoom in (+ in the canvas)", lambda: self.view_widget.zoom(ZOOM_STEP),
                                  name="zoom-in", bar=zoom, keys=(QKeySequence.StandardKey.ZoomIn, "Ctrl+="))
        self.fit_action = add("Fit", "Fit the layer into the view (0 in the canvas, or double-click)",
                              self.view_widget.fit, name="fit", bar=zoom, keys=("Ctrl+0",))
        menu = QMenu("Export", self)
        menu.addAction("Animation as GIF…", self.export_gif_dialog)
        menu.addAction("Frame as PNG…", lambda: self.export_frame_dialog("png"))
        menu.addAction("Frame as SVG…", lambda: self.export_frame_dialog("svg"))
        self.export_action = add("Export", "Export the animation (GIF) or the current frame (PNG, SVG)",
                                 name="export", bar=zoom)
        self.export_action.setMenu(menu)
        self.export_button = zoom.widgetForAction(self.export_action)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        for button in bar.findChildren(QToolButton) + zoom.findChildren(QToolButton):
            button.setAutoRaise(True)
        zoom.setMinimumWidth(zoom.sizeHint().width())  # this bar never overflows
        row = QWidget(self)
        box = QHBoxLayout(row)
        box.setContentsMargins(2, 0, 2, 0)
        box.setSpacing(0)
        box.addWidget(bar, 1)
        box.addWidget(zoom)
        return row

    def set_presenting(self, on: bool) -> None:
        """Presentation mode (View > Present): the controls' text and icons large enough to read across a
        room."""
        self.setStyleSheet("QToolButton, QLabel, QComboBox, QCheckBox { font-size: 18pt; }"
                           "QToolButton { qproperty-iconSize: 32px 32px; }" if on else "")
        self.presenting = on
        self.view_widget.text_zoom = PRESENT_ZOOM if on else 1.0  # captions, legend and cells grow too
        self.view_widget.camera = None
        self._sync()  # the step label's fixed size follows its font

    def shortcut_actions(self) -> list[QAction]:
        """The canvas's actions for the window's View menu (each with its shortcut): views, options, zoom."""
        return [*self.view_actions.values(), self.numbers_action, self.field_action, self.planes_action,
                self.zoom_in_action, self.zoom_out_action, self.fit_action]

    def control_actions(self) -> list[QAction]:
        """Every action of the top row, in order: each a button, or an entry of the overflow menu (»)."""
        return [a for b in (self.toolbar, self.zoom_bar) for a in b.actions()
                if isinstance(b.widgetForAction(a), QToolButton)]

    # -- the contract with the main window ---------------------------------------------------------
    def show_layer(self, analysis, index) -> None:
        """Show layer ``index`` of ``analysis`` (None: nothing selected). The same layer shown again (after
        an edit) keeps its view and its step where that output position still exists; its very result again
        (an edit below it: the engine keeps the results above an edit) changes nothing, not even a repaint."""
        old_model, old_state = self.view_widget.model, self.view_widget.state
        if (index is not None and index == old_model.index and old_model.result is not None
                and index < len(analysis.layers) and analysis.layers[index] is old_model.result):
            old_model.analysis = analysis  # the very result (an edit below it): nothing shown changed
            return
        if old_model.frames is not None and self._layer_key is not None:
            # remembered across edits that break the layer for a while: the next valid edit returns here
            self._remembered = (self._layer_key, old_state.view, old_state.step, old_model)
        model = CanvasModel(analysis, index)
        result = model.result
        key = (result.name, result.type) if result is not None else None
        same = key is not None and key == self._layer_key
        self._layer_key = key
        view, step = DIRECT, 0
        memory = self._remembered
        if memory is not None and memory[0] != key:
            memory = self._remembered = None  # another layer: start afresh
        if memory is not None and model.frames is not None:
            _key, old_view, old_step, remembered_model = memory
            view = old_view if old_view in model.views() else DIRECT
            if old_view != view:
                old_step = remembered_model.convert_step(old_step, old_view, view)
            position = _unravel(old_step, _step_shape(remembered_model, view))
            step = _ravel_clamped(position, _step_shape(model, view))
        if not same:
            self._values = None
        self.view_widget.model = model
        self.view_widget.state = replace(old_state, view=view, step=step, hover=None, numbers=None)
        self._update_numbers()
        if not same:
            self.view_widget.camera = None
            if model.frames is None:
                self.pause()
        self._sync()

    # -- views and steps ---------------------------------------------------------------------------
    @property
    def model(self) -> CanvasModel:
        return self.view_widget.model

    @property
    def state(self) -> PaintState:
        return self.view_widget.state

    def views(self) -> tuple[str, ...]:
        return self.model.views()

    def view(self) -> str:
        return self.state.view

    def set_view(self, name: str) -> bool:
        """Switch to view ``name`` (direct, scatter, overlap, matrix; the gallery's 'transposed' is the
        direct view), keeping the step. False when this layer has no such view."""
        view = VIEW_ALIASES.get(name, name)
        if view not in self.model.views():
            self._sync()
            return False
        old = self.state.view
        if view != old:
            memo = self._switch_memo
            if memo is not None and memo[1:3] == (self.state.step, view == SCATTER) and memo[3] is self.model:
                step = memo[0]  # switching straight back: the step we came from
            else:
                step = self.model.convert_step(self.state.step, old, view)
            self._switch_memo = (self.state.step, step, old == SCATTER, self.model)
            self.state.step = step
            self.state.view = view
            self.view_widget.camera = None
        self._sync()
        return True

    def step(self) -> int:
        return self.state.step

    def step_count(self) -> int:
        return self.model.step_count(self.state.view)

    def set_step(self, step: int) -> None:
        count = self.step_count()
        step = max(0, min(int(step), count - 1)) if count else 0
        if step != self.state.step:
            self.state.step = step
            self._sync()
            self.stepChanged.emit(step)

    def _slider_moved(self, value: int) -> None:
        self.set_step(slider_step(value, self.step_count()))

    def step_by(self, delta: int) -> None:
        count = self.step_count()
        if not count:
            return
        step = self.state.step + delta
        if self.loop_box.isChecked():
            step %= count
        self.set_step(step)

    def output_position(self) -> tuple[int, ...] | None:
        """The output cell of the current step (the direct view's), None without a window."""
        f = self.model.frames
        if f is None:
            return None
        return f.output_of(self.model.convert_step(self.state.step, self.state.view, DIRECT))

    def current_frame(self):
        """The frame on show: an `engine.frames.Frame` (direct, overlap, matrix views), a `ScatterFrame`
        (scatter view) or None without a window (a layer that copies values has no window)."""
        f = self.model.frames
        if f is None or isinstance(f, CopyFrames):
            return None
        return f.scatter_frame(self.state.step) if self.state.view == SCATTER else f.frame(self.state.step)

    # -- playback --------------------------------------------------------------------------------
    def is_playing(self) -> bool:
        return self._timer.isActive()

    def play(self) -> None:
        if self.step_count() > 1:
            if self.state.step >= self.step_count() - 1:
                self.set_step(0)
            self._timer.start()
            self._sync_play()

    def pause(self) -> None:
        self._timer.stop()
        self._sync_play()

    def toggle_play(self) -> None:
        self.pause() if self.is_playing() else self.play()

    def _tick(self) -> None:
        count = self.step_count()
        if self.state.step + 1 >= count and not self.loop_box.isChecked():
            self.pause()
            return
        self.step_by(1)

    def _speed_changed(self) -> None:
        fps = self.speed_box.currentData() or DEFAULT_SPEED
        self._timer.setInterval(max(15, round(1000 / fps)))

    def fps(self) -> float:
        return float(self.speed_box.currentData() or DEFAULT_SPEED)

    # -- hooks for the numbers mode (issue 9) ------------------------------------------------------
    def set_cell_text(self, hook: CellText | None) -> None:
        """Text drawn in each visible cell: hook(grid name, row, col) -> str or None."""
        self.state.cell_text = hook
        self.view_widget.update()

    def set_caption(self, text: str | None) -> None:
        """A line written under the canvas (the numbers mode's sum)."""
        self.state.caption = text
        self.view_widget.update()

    # -- the numbers mode (issue 9) ---------------------------------------------------------------
    def numbers_on(self) -> bool:
        return self.numbers_action.isChecked()

    def set_numbers(self, on: bool) -> None:
        """Turn the numbers mode on or off (the toolbar's Numbers button)."""
        if self.numbers_action.isChecked() != on:
            self.numbers_action.setChecked(on)  # comes back here through toggled
            return
        self.view_widget.camera = None
        self._update_numbers()
        self._sync()

    def numbers(self) -> NumbersOverlay | None:
        """The overlay on show (None when the mode is off or the layer has no numbers)."""
        return self.state.numbers

    def values(self) -> NumericState | None:
        return self.state.numbers.values if self.state.numbers is not None else None

    def numbers_hidden(self) -> bool:
        """The numbers mode is on but the cells are too small at this zoom: the canvas says so instead."""
        return numbers_hidden(self.state, self.view_widget.current_camera())

    def sum_line(self) -> str | None:
        """The line under the canvas: how the current output value is formed."""
        numbers = self.state.numbers
        return numbers.sum_line(self._painted_view(), self.state.step) if numbers is not None else None

    def set_values(self, values: NumericState) -> None:
        self._values = values
        self._update_numbers()
        self.view_widget.update()

    def set_nested_values(self, input_values, kernel_values=None) -> bool:
        """Values from nested lists (a paper figure's input and kernel); False when they do not fit the layer."""
        values = self.values()
        if values is None:
            return False
        from ...engine.numeric import Grid as ValueGrid
        from ...engine.numeric import NumericState

        try:
            kernel = ValueGrid.from_nested(kernel_values) if kernel_values is not None else values.kernel
            new = NumericState(values.layer, ValueGrid.from_nested(input_values), kernel)
        except ValueError:
            return False
        self.set_values(new)
        return True

    def randomise_values(self) -> None:
        values = self.values()
        if values is not None:
            self._seed += 1
            self.set_values(values.randomised(self._seed))

    def reset_values(self) -> None:
        values = self.values()
        if values is not None:
            self.set_values(values.reset())

    def set_input_value(self, position: Sequence[int], text: str) -> str | None:
        """Set input unit ``position`` to what the user typed; the error message when it is not a number."""
        values = self.values()
        if values is None:
            return "the numbers mode is off"
        from ...engine.numeric import parse_value

        try:
            self.set_values(values.with_input_value(tuple(position), parse_value(text)))
        except ValueError as error:
            return str(error)
        return None

    def set_kernel_value(self, index: Sequence[int], text: str) -> str | None:
        """Set kernel weight ``index`` to what the user typed; the error message when it is not a number."""
        values = self.values()
        if values is None or values.kernel is None:
            return "this layer has no kernel weights"
        from ...engine.numeric import parse_value

        try:
            self.set_values(values.with_kernel_value(tuple(index), parse_value(text)))
        except ValueError as error:
            return str(error)
        return None

    def _update_numbers(self) -> None:
        on = self.numbers_action.isChecked()
        overlay = self._overlay() if on else None
        self.state.numbers = overlay
        if overlay is not None:
            self._values = overlay.values
        has_values = overlay is not None
        result = self.model.frames.result if self.model.frames is not None else None
        why = None
        if on and not has_values and result is not None:
            from ...engine.numeric import numbers_unavailable

            why = numbers_unavailable(result)
        self.numbers_action.setToolTip(why or NUMBERS_TIP)
        self.randomise_action.setVisible(on)
        self.reset_action.setVisible(on)
        self.randomise_action.setEnabled(has_values)
        self.reset_action.setEnabled(has_values)
        self.toolbar.layout().activate()  # buttons shown or hidden now, not at the next layout pass

    def _overlay(self) -> NumbersOverlay | None:
        """The numbers mode's overlay on the layer shown, with the values set (its modules are imported here,
        when the mode is first on, not at start-up)."""
        from .numbers import NumbersOverlay

        return NumbersOverlay.for_frames(self.model.frames, self._values)

    def _painted_view(self) -> str:
        return self.state.view if self.state.view in self.model.views() else DIRECT

    def editable_cell(self, grid: str, row: int, col: int) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None, str]:
        """What a click on a cell can edit in numbers mode: (input position or None, kernel index or None,
        why nothing when both are None)."""
        f, values = self.model.frames, self.values()
        if f is None or values is None:
            return None, None, ""
        view = self._painted_view()
        if f.ndim == 3:
            return None, None, "values of a 3-D layer are edited through its sum line only"
        if isinstance(f, CopyFrames):
            found = self.model.copy_position(grid, row, col, self.state.step)
            if found is None or found[0] != "input":
                return None, None, "an output cell holds a copy: edit the input cell it copies"
            return found[1], None, ""
        where = (lambda r, c: (c,)) if f.ndim == 1 else (lambda r, c: (r, c))
        if view == DIRECT and grid == "input":
            g = self.model.grids(view)[0]
            kind = combine_kinds((g.rows.kind(row), g.cols.kind(col)))
            position = where(row, col)
            tap = f.frame(self.state.step).tap_at(position)
            kernel = tap.weight if tap is not None and values.kernel is not None else None
            source = None
            if kind == DATA:
                source = tuple(track.source(u) for track, u in zip(f.tracks, position))
            why = {PADDING: "zero padding is always 0", ZERO: "an inserted zero is always 0"}.get(kind, "")
            return source, kernel, why
        if view == SCATTER and grid == "input":
            return where(row, col), None, ""
        if view == MATRIX and grid == "x":
            return _unravel(col, f.input_size), None, ""
        return None, None, ""

    def edit_cell(self, grid: str, row: int, col: int) -> ValueEditor | None:
        """Open the small editor for a clicked cell's input value and (under the kernel) its weight."""
        source, kernel, why = self.editable_cell(grid, row, col)
        values = self.values()
        if values is None or (source is None and kernel is None):
            if why:
                self.view_widget.setToolTip(why)
            return None
        if self.value_editor is not None:
            self.value_editor.close()
        self.pause()
        self.value_editor = ValueEditor(self, values, source, kernel)
        self.value_editor.open()
        return self.value_editor

    # -- input -----------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space:
            self.toggle_play()
        elif key == Qt.Key.Key_Right:
            self.step_by(1)
        elif key == Qt.Key.Key_Left:
            self.step_by(-1)
        elif key == Qt.Key.Key_Home:
            self.set_step(0)
        elif key == Qt.Key.Key_End:
            self.set_step(self.step_count() - 1)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.view_widget.zoom(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.view_widget.zoom(1 / ZOOM_STEP)
        elif key == Qt.Key.Key_0:
            self.view_widget.fit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _cell_clicked(self, grid: str, row: int, col: int) -> None:
        """Click an output cell: jump to its step; in the scatter view an input cell; in the matrix a row."""
        f = self.model.frames
        if f is None:
            return
        self.setFocus()
        view = self.state.view
        if isinstance(f, CopyFrames):
            if self.state.numbers is not None and grid == "input":
                self.edit_cell(grid, row, col)
                return
            step = self.model.copy_step(grid, row, col, self.state.step)
            if step is not None:
                self.set_step(step)
            return
        if self.state.numbers is not None and grid in ("input", "x"):
            if view == SCATTER:  # the scatter view also jumps to the clicked input cell's step
                self.set_step(_ravel_display(row, col, f.input_size, f.input_of(self.state.step)))
            self.edit_cell(grid, row, col)
        elif view == MATRIX and grid == "matrix":
            self.set_step(row)
        elif view == SCATTER and grid == "input":
            self.set_step(_ravel_display(row, col, f.input_size, f.input_of(self.state.step)))
        elif view in (DIRECT, OVERLAP) and grid == "output":
            self.set_step(_ravel_display(row, col, f.output_size, f.output_of(self.state.step)))

    # -- widgets follow the state ------------------------------------------------------------------
    def _sync(self) -> None:
        model, state = self.model, self.state
        views = model.views()
        shown_before = [action.isVisible() for action in self.view_actions.values()]
        for view, action in self.view_actions.items():
            action.setVisible(view in views and len(views) > 1)
            action.setChecked(view == state.view)
        if shown_before != [action.isVisible() for action in self.view_actions.values()]:
            self.toolbar.layout().activate()  # buttons shown or hidden now, not at the next layout pass
        has_frames = model.frames is not None
        for w in self._controls:
            w.setEnabled(has_frames)
        count = self.step_count()
        self.slider.blockSignals(True)
        self.slider.setRange(0, slider_positions(count))
        self.slider.setValue(slider_value(state.step, count))
        self.slider.blockSignals(False)
        self.step_label.setText(f"{state.step + 1} / {count}" if count else "")
        # wide enough for the widest step of this layer: the row does not jump as the digits change; of a
        # fixed size, so that a new text (every step, every layer) relayouts neither the canvas nor the window
        widest = self.step_label.fontMetrics().horizontalAdvance(f"{count} / {count}") + 4
        size = QSize(widest, self.step_label.fontMetrics().height())
        if self.step_label.minimumSize() != size or self.step_label.maximumSize() != size:
            self.step_label.setFixedSize(size)
        is_3d = has_frames and model.frames.ndim == 3 and state.view != SCATTER
        self.depth_label.setVisible(is_3d)
        self.depth_spin.setVisible(is_3d)
        if is_3d:
            self.depth_spin.blockSignals(True)
            self.depth_spin.setRange(1, min(SLIDER_MAX, model.frames.output_size[0]))
            self.depth_spin.setValue(model.frames.output_of(state.step)[0] + 1)
            self.depth_spin.blockSignals(False)
        if not count:
            self.pause()
        self._sync_play()
        self.view_widget.update()

    def _sync_play(self) -> None:
        playing = self.is_playing()
        self.view_widget.animating = playing
        text = "Pause" if playing else "Play"
        if self.play_button.text() != text:  # a new icon relayouts the canvas and so the window: only on a change
            self.play_button.setText(text)
            icons.set_icon(self.play_button, "pause" if playing else "play")

    def _after_paint(self) -> None:
        """A frame showed a deep layer's receptive field as pending: compute it shortly after (a single-shot
        timer that each frame restarts, so a burst of steps computes only the last step's field)."""
        if self.view_widget.model.pending_field is not None:
            self._field_timer.start()
        else:
            self._field_timer.stop()

    def _compute_pending_field(self) -> None:
        model = self.view_widget.model
        output = model.pending_field
        if output is not None:
            model.field(output)
            self.view_widget.update()

    def set_planes(self, on: bool) -> None:
        """Show a few channel planes stacked behind the grids (the toolbar's Channel planes)."""
        self.planes_action.setChecked(on)

    def set_field_shown(self, on: bool) -> None:
        """Show the receptive-field miniature (the toolbar's Receptive field)."""
        self.field_action.setChecked(on)

    def _set_planes(self, on: bool) -> None:
        self.state.stacked = on
        self.view_widget.update()

    def _set_field(self, on: bool) -> None:
        self.state.show_field = on
        self.view_widget.camera = None
        self.view_widget.update()

    def _set_depth(self, depth: int) -> None:
        f = self.model.frames
        if f is None or f.ndim != 3:
            return
        steps = f.slice_steps(depth - 1)
        self.set_step(steps.start + self.state.step % len(steps))

    def set_dark(self, dark: bool) -> None:
        self.state.dark = dark
        self.view_widget.update()

    def _palette_is_dark(self) -> bool:
        return self.palette().window().color().lightness() < 128

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:  # the app switched between light and dark mode
            self.state.dark = self._palette_is_dark()
            self.view_widget.update()
        super().changeEvent(event)

    # -- export ----------------------------------------------------------------------------------
    def export_state(self) -> PaintState:
        """The state an exported frame is painted with: no hover, and every field computed before painting."""
        return replace(self.state, hover=None, field_wait=True)

    def render_image(self, size: tuple[int, int] | None = None):
        """The current frame as a QImage (the widget's size by default)."""
        from .export import render_frame

        size = size or (max(320, self.view_widget.width()), max(240, self.view_widget.height()))
        return render_frame(self.model, self.export_state(), size)

    def _export_size(self) -> tuple[int, int]:
        return max(480, self.view_widget.width()), max(320, self.view_widget.height())

    def export_gif(self, path: str, fps: float | None = None, size: tuple[int, int] | None = None,
                   parent_dialog: bool = True, view: str | None = None, step_range: tuple[int, int] | None = None,
                   numbers: bool | None = None):
        """Write the animation as a GIF, with a progress dialog that can cancel; returns the GifResult
        (None when cancelled). ``view``, ``step_range`` (first and last step) and ``numbers`` default to what
        the canvas shows."""
        from PySide6.QtWidgets import QProgressDialog

        from .export import ExportCancelled, gif_steps, write_gif

        state = self.export_state()
        if view is not None and view in self.model.views():
            state = replace(state, view=view)
        if numbers is not None:
            overlay = self._overlay() if numbers else None
            state = replace(state, numbers=overlay)
        count = self.model.step_count(state.view)
        low, high = step_range if step_range is not None else (0, count - 1)
        total = len(gif_steps(max(1, min(high, count - 1) - max(0, low) + 1)))
        dialog = QProgressDialog("Rendering the animation…", "Cancel", 0, total, self) if parent_dialog else None
        if dialog is not None:
            dialog.setWindowTitle("Export GIF")
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(300)

        def progress(done: int, count: int) -> bool:
            if dialog is None:
                return True
            dialog.setValue(done)
            from PySide6.QtWidgets import QApplication

            QApplication.processEvents()
            return not dialog.wasCanceled()

        try:
            return write_gif(self.model, state, path, fps or self.fps(), size or self._export_size(),
                             progress=progress, step_range=(low, high))
        except ExportCancelled:
            return None
        finally:
            if dialog is not None:
                dialog.close()

    def export_gif_dialog(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        if self.model.frames is None:
            return
        from .animation_dialog import AnimationDialog, default_gif_path

        name = self.model.result.name if self.model.result is not None else "layer"
        views = {v: VIEW_LABELS[v] for v in self.model.views()}
        self.animation_dialog = dialog = AnimationDialog(
            views, self._painted_view(), {v: self.model.step_count(v) for v in views}, self._export_size(),
            self.fps(), self.numbers_on(), self._overlay() is not None,
            default_gif_path(self.default_folder, name, self._painted_view()), self)
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.choice().path:
            return
        choice = dialog.choice()
        path = choice.path
        try:
            result = self.export_gif(path, choice.fps, choice.size, view=choice.view, step_range=choice.steps,
                                     numbers=choice.numbers)
        except OSError as error:
            QMessageBox.warning(self, "Export GIF", f"Cannot write {path}: {error}")
            return
        if result is not None and result.sampled:
            QMessageBox.information(self, "Export GIF", f"Wrote {path}: {result.note}.")

    def export_frame_dialog(self, kind: str) -> None:
        from PySide6.QtWidgets import QFileDialog, QMessageBox  # imported on first use (not at start-up)

        from .export import write_png, write_svg

        if self.model.frames is None and self.model.result is None:
            return
        name = self.model.result.name if self.model.result is not None else "layer"
        filters = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)"}
        suggested = os.path.join(self.default_folder or os.getcwd(), f"{name}.{kind}")
        path, _ = QFileDialog.getSaveFileName(self, "Export the frame", suggested, filters[kind])
        if not path:
            return
        write = write_png if kind == "png" else write_svg
        try:
            write(self.model, self.export_state(), path, self._export_size())
        except OSError as error:
            QMessageBox.warning(self, "Export", f"Cannot write {path}: {error.strerror or error}")


class ValueEditor(QDialog):
    """The numbers mode's editor for one clicked cell: its input value and, when the kernel covers it, the
    weight there. Typed values stay exact (integers, fractions such as 1/3, decimals such as 0.5)."""

    def __init__(self, canvas: CanvasWidget, values: NumericState, source: tuple[int, ...] | None,
                 kernel: tuple[int, ...] | None) -> None:
        from ...engine.numeric import format_number

        super().__init__(canvas)
        self.setWindowTitle("Edit value")
        self._canvas = canvas
        self.source, self.kernel = source, kernel
        form = QFormLayout()
        self.input_edit: QLineEdit | None = None
        self.weight_edit: QLineEdit | None = None
        if source is not None:
            self.input_edit = QLineEdit(format_number(values.input[source]))
            form.addRow(f"Input {_where(source)}:", self.input_edit)
        if kernel is not None and values.kernel is not None:
            self.weight_edit = QLineEdit(format_number(values.kernel[kernel]))
            form.addRow(f"Kernel weight {_where(kernel)}:", self.weight_edit)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        first = self.input_edit or self.weight_edit
        if first is not None:
            first.selectAll()
            first.setFocus()

    def accept(self) -> None:
        """Apply both values, or say which one is not a number and stay open."""
        from ...engine.numeric import parse_value

        try:
            x = parse_value(self.input_edit.text()) if self.input_edit is not None else None
            w = parse_value(self.weight_edit.text()) if self.weight_edit is not None else None
        except ValueError as error:
            self.error.setText(str(error))
            return
        values = self._canvas.values()
        if values is not None:
            if x is not None and self.source is not None:
                values = values.with_input_value(self.source, x)
            if w is not None and self.kernel is not None:
                values = values.with_kernel_value(self.kernel, w)
            self._canvas.set_values(values)
        super().accept()


def _where(position: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, position)) + ")"


def _step_shape(model: CanvasModel, view: str) -> tuple[int, ...]:
    f = model.frames
    assert f is not None
    return f.input_size if view == SCATTER else f.output_size


def _unravel(step: int, shape: Sequence[int]) -> tuple[int, ...]:
    out = []
    for n in reversed(shape):
        step, r = divmod(step, n)
        out.append(r)
    return tuple(reversed(out))


def _ravel_clamped(position: Sequence[int], shape: Sequence[int]) -> int:
    """The step of ``position`` in ``shape``, each coordinate clamped (a different rank starts over)."""
    if len(position) != len(shape):
        return 0
    flat = 0
    for p, n in zip(position, shape):
        flat = flat * n + max(0, min(p, n - 1))
    return flat


def _ravel_display(row: int, col: int, shape: Sequence[int], current: Sequence[int]) -> int:
    """The step of the cell shown at (row, col): a 1-D layer ignores the row, a 3-D one keeps the
    current depth."""
    if len(shape) == 1:
        return _ravel_clamped((col,), shape)
    if len(shape) == 2:
        return _ravel_clamped((row, col), shape)
    return _ravel_clamped((current[0], row, col), shape)
