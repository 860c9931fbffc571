"""Help > Paper figures: every numbered figure of Dumoulin & Visin as a ready design.

The list comes from `convdesigner.figures.paper_figures()`, grouped by chapter, each with a thumbnail the
canvas painter renders from the figure's own design (so the thumbnail is exactly what opens). Opening a
figure calls ``open_design(design, path, select=layer)`` (the main window's) with ``path`` None, so the
bundled file is never overwritten by a save, then sets the canvas to the view the gallery's index asks for.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...engine.analysis import analyze
from ...engine.numeric import Grid, NumericState
from .export import render_frame
from .layout import CanvasModel, PaintState
from .numbers import NumbersOverlay

THUMBNAIL = (160, 96)
PREVIEW = (560, 340)
CHAPTERS = {
    1: "1 · Introduction: discrete convolutions and pooling",
    2: "2 · Convolution arithmetic",
    3: "3 · Pooling arithmetic",
    4: "4 · Transposed convolution arithmetic",
    5: "5 · Dilated convolutions",
}
FIGURE_ROLE = Qt.ItemDataRole.UserRole + 1

OpenDesign = Callable[..., object]


def figure_state(figure, model: CanvasModel | None = None) -> PaintState:
    """The canvas state a figure opens in: its view ('transposed' is the direct view), channel planes, and
    for chapter 1's numerical figures the numbers mode with the paper's own input and kernel."""
    view = "direct" if figure.view == "transposed" else figure.view
    state = PaintState(view=view, stacked=bool(figure.channels_stacked), show_field=False)
    if figure.numbers and model is not None:
        state.numbers = figure_numbers(figure, model)
    return state


def figure_numbers(figure, model: CanvasModel) -> NumbersOverlay | None:
    """The numbers overlay of a numerical figure: its index's input and kernel (the paper's values)."""
    overlay = NumbersOverlay.for_frames(model.frames)
    values = figure.values
    if overlay is None or values is None:
        return overlay
    state = overlay.values
    kernel = Grid.from_nested(values.kernel) if values.kernel is not None else state.kernel
    return overlay.with_values(NumericState(state.layer, Grid.from_nested(values.input), kernel))


def thumbnail_state(figure) -> PaintState:
    """A figure's state for its thumbnail: the grids alone, no header or legend."""
    state = figure_state(figure)
    state.chrome = False
    return state


def figure_model(figure) -> CanvasModel:
    analysis = analyze(_load(figure))
    names = [layer.name for layer in analysis.layers]
    return CanvasModel(analysis, names.index(figure.layer) if figure.layer in names else None)


def _load(figure):
    from ... import figures

    return figures.load_figure(figure)


class PaperGallery(QDialog):
    """The gallery dialog: figures by chapter on the left, a preview and its caption on the right."""

    def __init__(self, open_design: OpenDesign, canvas=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ... import figures

        self.setWindowTitle("Paper figures · A guide to convolution arithmetic for deep learning")
        self._open_design = open_design
        self._canvas = canvas
        self.list = QListWidget()
        self.list.setIconSize(QSize(*THUMBNAIL))
        self.list.setWordWrap(True)
        self.list.setMinimumWidth(380)
        self.list.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.list.currentItemChanged.connect(lambda _now, _before: self._preview())
        self.preview = QLabel()
        self.preview.setMinimumSize(*PREVIEW)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        chapter = None
        for figure in figures.paper_figures():
            if figure.chapter != chapter:
                chapter = figure.chapter
                header = QListWidgetItem(CHAPTERS.get(chapter, f"Chapter {chapter}"))
                header.setFlags(Qt.ItemFlag.NoItemFlags)
                font = header.font()
                font.setBold(True)
                header.setFont(font)
                header.setForeground(self.palette().text())
                self.list.addItem(header)
            item = QListWidgetItem(f"{figure.label}: {figure.title}")
            item.setData(FIGURE_ROLE, figure)
            item.setIcon(QIcon(QPixmap.fromImage(render_frame(figure_model(figure), thumbnail_state(figure),
                                                              THUMBNAIL))))
            item.setToolTip(f"Opens {figure.file} with layer '{figure.layer}' selected ({figure.view} view)")
            self.list.addItem(item)
        buttons = QDialogButtonBox()
        self.open_button = buttons.addButton("Open", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self.open_selected)
        buttons.rejected.connect(self.reject)
        right = QVBoxLayout()
        right.addWidget(self.preview, 1)
        right.addWidget(self.caption)
        row = QHBoxLayout()
        row.addWidget(self.list)
        row.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(buttons)
        for n in range(self.list.count()):
            if self.list.item(n).data(FIGURE_ROLE) is not None:
                self.list.setCurrentRow(n)
                break

    def selected_figure(self):
        item = self.list.currentItem()
        return item.data(FIGURE_ROLE) if item is not None else None

    def select_figure(self, number: str) -> bool:
        for n in range(self.list.count()):
            figure = self.list.item(n).data(FIGURE_ROLE)
            if figure is not None and figure.figure == number:
                self.list.setCurrentRow(n)
                return True
        return False

    def _preview(self) -> None:
        figure = self.selected_figure()
        self.open_button.setEnabled(figure is not None)
        if figure is None:
            return
        model = figure_model(figure)
        image = render_frame(model, figure_state(figure, model), PREVIEW)
        self.preview.setPixmap(QPixmap.fromImage(image))
        view = {"direct": "the sliding window", "transposed": "the equivalent direct convolution",
                "scatter": "each input unit scattering the kernel"}.get(figure.view, figure.view)
        self.caption.setText(f"<b>{figure.label}</b> (chapter {figure.chapter}): {figure.title}.<br>"
                             f"Opens <tt>{figure.file}</tt> with layer <tt>{figure.layer}</tt> selected, "
                             f"showing {view}" + (", in numbers: the paper's input and kernel, each output value "
                                                  "as it is formed" if figure.numbers else "") + ".")

    def open_selected(self) -> None:
        figure = self.selected_figure()
        if figure is None:
            return
        if self._open_design(_load(figure), None, select=figure.layer) is False:
            return  # the user kept the design that was open (unsaved changes)
        apply_figure(self._canvas, figure)
        self.accept()


def apply_figure(canvas, figure) -> None:
    """Set the canvas to the view, the channel planes and the numbers mode the figure asks for (with the
    paper's input and kernel for chapter 1's numerical figures)."""
    if canvas is None:
        return
    state = figure_state(figure)
    canvas.set_view(state.view)
    if hasattr(canvas, "set_planes"):
        canvas.set_planes(state.stacked)
    if hasattr(canvas, "set_numbers"):
        canvas.set_numbers(bool(figure.numbers))
        if figure.numbers and figure.values is not None:
            canvas.set_nested_values(figure.values.input, figure.values.kernel)


def show_gallery(open_design: OpenDesign, canvas=None, parent: QWidget | None = None) -> PaperGallery:
    """Open the gallery (non-modal) and return it."""
    dialog = PaperGallery(open_design, canvas, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
