"""The main window: the layer stack, properties, palette and analysis docks around the canvas; menus,
files, undo, and the encoder/decoder tools."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QToolBar,
    QToolButton,
    QWidget,
)

from .. import __version__
from ..engine.design import Design
from ..engine.layers import CATALOG
from ..engine.tools import solvable
from ..io.design_file import DesignFileError, DesignTooLarge, FileStamp, check_design_size, dumps, load
from . import icons
from .canvas import CanvasWidget
from .cells import shown
from .document import Document, empty_design
from .formatting import app_text, bytes_text, compact, note_text, shape_text, total_memory, warnings_of
from .keyboard import (
    DesignUndoKeys,
    ShortcutsDialog,
    free_sequences,
    menu_actions,
    next_in_chain,
    tab_chain,
    unique_sequences,
)
from .recovery import Autosaver
from .settings import add_recent_file, clear_recent_files, recent_files, settings
from .stack_view import StackPanel
from .undo_commands import ChangeType, DeleteLayers, DuplicateLayers, InsertLayers, MirrorRun, MoveLayers

if TYPE_CHECKING:  # the docks' panels are imported when they are built, after the first frame
    from .palette import PaletteWidget
    from .panels.parameters import ParametersPanel
    from .panels.receptive_field import ReceptiveFieldPanel
    from .properties import PropertiesPanel

MIRROR_TIP = ("Append to the end of the design the decoder that takes the selected run's output back to the shape "
              "its first layer receives (nothing selected: the whole design's output back to its input)")
DESIGN_FILTER = "convdesigner designs (*.yaml *.yml);;All files (*)"
DESIGN_SUFFIXES = (".yaml", ".yml")
WINDOW_STATE_VERSION = 1
_SURROGATES = re.compile("[\ud800-\udfff]")
#: The window's size on a first start (at most the screen's available area).
DEFAULT_SIZE = (1600, 960)
#: A restored layout leaving the canvas smaller than this, or a docked panel thinner than MIN_DOCK_PX, is reset.
MIN_CANVAS = (320, 200)
MIN_DOCK_PX = 40


class TotalsLabel(QLabel):
    """The status bar's totals. Its tooltip (the design's errors, or every warning, which composes every
    layer's receptive field) is written when it is asked for, shown or read, rather than on every edit."""

    def __init__(self, tip: Callable[[], str], parent: QWidget) -> None:
        super().__init__(parent)
        self._tip = tip

    def toolTip(self) -> str:
        return self._tip()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            self.setToolTip(self._tip())
        return super().event(event)


@dataclass(frozen=True)
class DockPanels:
    """What the properties, palette and analysis docks hold: built right after the window's first frame
    (`MainWindow.build_docks`), so the first frame costs only what it shows."""

    properties: PropertiesPanel
    palette: PaletteWidget
    receptive_field: ReceptiveFieldPanel
    parameters: ParametersPanel


def after_first_paint(widget: QWidget, then: Callable[[], None]) -> None:
    """Call ``then`` once ``widget`` has painted its first frame (start-up builds what that frame shows
    first, the rest right after it)."""

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                watched.removeEventFilter(self)
                QTimer.singleShot(0, watched, then)  # not called once the widget is gone
            return False

    widget.installEventFilter(FirstPaint(widget))


def shown_path(text: str) -> str:
    """Text naming a file, for Qt to show: bytes of a name that are not UTF-8 (kept by Python as lone
    surrogates, which Qt drops) shown as U+FFFD. The path itself is kept exact for every file operation."""
    return _SURROGATES.sub("\ufffd", text)


class MainWindow(QMainWindow):
    def __init__(self, design: Design | None = None, path: str | None = None, persistent: bool = True) -> None:
        """``persistent`` False: neither restore nor save the window layout (fixed-size screenshots)."""
        super().__init__()
        self._persistent = persistent
        self.setObjectName("mainWindow")
        self.setWindowIcon(icons.application_icon())
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.document = Document(design or empty_design(), path, self)
        self.export_dialog = None  # dialogs are imported and built on first use (not at start-up)
        self.sizes_dialog = None  # built on first use (Layer > Valid Input Sizes)
        self.playground = None  # built on first use (View > Playground)
        #: while presenting: (the window state, maximised, geometry) to go back to
        self._presentation: tuple | None = None
        #: after Mirror: (the mirrored run's first layer, the decoder's last layer), watched after every edit:
        #: the decoder should end at the shape the run's first layer receives
        self._mirrored: tuple[str, str] | None = None

        self.canvas = CanvasWidget(self)
        self.setCentralWidget(self.canvas)
        self.stack = StackPanel(self.document, self)
        self.stack_view = self.stack.view
        #: the docks' panels, None until `build_docks` (right after the first paint, or when first needed)
        self._panels: DockPanels | None = None
        self.layers_dock = self._dock("Layers", "layersDock", Qt.DockWidgetArea.LeftDockWidgetArea, self.stack)
        self.properties_dock = self._dock("Properties", "propertiesDock", Qt.DockWidgetArea.RightDockWidgetArea)
        self.palette_dock = self._dock("Add layer", "paletteDock", Qt.DockWidgetArea.RightDockWidgetArea)
        self.rf_dock = self._dock("Receptive field", "receptiveFieldDock", Qt.DockWidgetArea.BottomDockWidgetArea)
        self.params_dock = self._dock("Parameters", "parametersDock", Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.properties_dock, self.palette_dock)
        self.properties_dock.raise_()
        self.splitDockWidget(self.rf_dock, self.params_dock, Qt.Orientation.Horizontal)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._layout_pending = True
        after_first_paint(self, self.build_docks)  # the docks are filled right after the first frame

        self.totals = TotalsLabel(self._totals_tip, self)
        self.totals.setObjectName("totals")
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.totals.setContentsMargins(16, 0, 8, 0)
        self.statusBar().addPermanentWidget(self.totals)

        self._create_actions()
        self._create_menus()
        self._create_toolbar()
        self._undo_keys = DesignUndoKeys([self.properties_dock, self.stack.input_editor], self.undo_action,
                                         self.redo_action, self)
        self._undo_keys.follow_focus(QApplication.instance())

        self.stack_view.rowsSelected.connect(self.document.select)
        self.stack.model.renameRefused.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.document.changed.connect(self._design_changed)
        self.document.notice.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.document.replaced.connect(self._design_replaced)
        self.document.selectionChanged.connect(self._selection_changed)
        self.document.modifiedChanged.connect(self.setWindowModified)
        self.document.pathChanged.connect(lambda _path: self._update_title())
        self.document.pathChanged.connect(self._path_changed)
        self._path_changed(path or "")
        self._design_replaced()
        self._file_stamp = FileStamp.of(path) if path else None  # the file as this window last read or wrote it
        self.autosaver = Autosaver(self.document) if persistent else None
        if self.autosaver is not None:
            self.autosaver.problemChanged.connect(lambda problem: self.statusBar().showMessage(problem))
        if persistent:
            self._restore_settings()
        else:
            self.resize(*DEFAULT_SIZE)

    # -- the docks' panels, built after the first frame ------------------------------------------------------

    @property
    def docks_built(self) -> bool:
        return self._panels is not None

    def build_docks(self) -> DockPanels:
        """Build and fill the properties, palette and analysis docks, once: right after the first paint
        (start-up builds what the first frame shows first), or earlier when an action or a test needs a panel
        (every accessor below goes through here)."""
        if self._panels is not None:
            return self._panels
        from .palette import PaletteWidget
        from .panels.parameters import ParametersPanel
        from .panels.receptive_field import ReceptiveFieldPanel
        from .properties import PropertiesPanel

        panels = DockPanels(PropertiesPanel(self.document, self), PaletteWidget(self),
                            ReceptiveFieldPanel(self.document, self), ParametersPanel(self.document, self))
        self._panels = panels
        for dock, panel in ((self.properties_dock, panels.properties), (self.palette_dock, panels.palette),
                            (self.rf_dock, panels.receptive_field), (self.params_dock, panels.parameters)):
            dock.setWidget(panel)
        panels.palette.addRequested.connect(self.add_layer)
        panels.properties.solveRequested.connect(self.solve_padding)
        # from now on the properties show the selected layer and the palette the design's rank
        self.document.selectionChanged.connect(lambda _rows: panels.properties.show_layer(self.current_index))
        self.document.changed.connect(lambda _before: panels.palette.set_rank(self.document.design.input.ndim))
        self.document.replaced.connect(lambda: panels.palette.set_rank(self.document.design.input.ndim))
        panels.palette.set_rank(self.document.design.input.ndim)
        panels.properties.show_layer(self.current_index)
        for analysis_panel in (panels.receptive_field, panels.parameters):
            analysis_panel.selection.show(self.document.selection)
        return panels

    @property
    def properties(self) -> PropertiesPanel:
        return self.build_docks().properties

    @property
    def palette_widget(self) -> PaletteWidget:
        return self.build_docks().palette

    @property
    def rf_panel(self) -> ReceptiveFieldPanel:
        return self.build_docks().receptive_field

    @property
    def params_panel(self) -> ParametersPanel:
        return self.build_docks().parameters

    # -- construction -------------------------------------------------------------------------------------

    def _dock(self, title: str, name: str, area: Qt.DockWidgetArea, widget: QWidget | None = None) -> QDockWidget:
        """A dock, empty until `build_docks` fills it unless ``widget`` is given (the layout, saved or first,
        is set on the docks themselves, so filling them later moves nothing)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        if widget is not None:
            dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot: Callable, icon: str | None = None, shortcut=None, tip: str = "",
                name: str = "") -> QAction:
        action = QAction(text, self)
        if icon:
            icons.set_icon(action, icon)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.setObjectName(name or text.strip("&.… ").replace("&", "").replace(" ", "_").lower())
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _stack_action(self, action: QAction) -> QAction:
        """A layer action whose shortcut works while the stack has the focus (so Delete in a spin box
        still deletes a digit, not a layer)."""
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.stack_view.addAction(action)
        return action

    def _create_actions(self) -> None:
        keys = QKeySequence.StandardKey
        self.new_action = self._action("&New", self.new_design, "new", keys.New, "Start an empty design", "new")
        self.open_action = self._action("&Open…", self.open_file, "open", keys.Open, "Open a design file", "open")
        self.import_action = self._action("&Import Model…", self.import_model, "open", None,
                                          "Open a PyTorch model (.py) or an ONNX file as a new design", "import_model")
        self.save_action = self._action("&Save", self.save, "save", keys.Save, "Save the design", "save")
        self.save_as_action = self._action("Save &As…", self.save_as, None, keys.SaveAs,
                                           "Save the design under a new name", "save_as")
        self.export_action = self._action("&PyTorch…", self.export_pytorch, "export", "Ctrl+E",
                                          "Preview and save the design as a PyTorch module", "export_pytorch")
        self.quit_action = self._action("&Quit", self.close, None, keys.Quit, "Quit convdesigner", "quit")
        self.undo_action = self.document.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(unique_sequences([keys.Undo]))
        icons.set_icon(self.undo_action, "undo")
        self.undo_action.setObjectName("undo")
        self.redo_action = self.document.undo_stack.createRedoAction(self, "&Redo")
        # every platform binding of Redo plus Ctrl+Shift+Z and Ctrl+Y, each once (a key registered twice fires
        # neither)
        self.redo_action.setShortcuts(unique_sequences([keys.Redo, "Ctrl+Shift+Z", "Ctrl+Y"]))
        icons.set_icon(self.redo_action, "redo")
        self.redo_action.setObjectName("redo")
        self.delete_action = self._stack_action(self._action("&Delete", self.delete_selected, "delete", keys.Delete,
                                                             "Delete the selected layers", "delete"))
        self.duplicate_action = self._stack_action(self._action("D&uplicate", self.duplicate_selected, "duplicate",
                                                                "Ctrl+D", "Duplicate the selected layers", "duplicate"))
        self.move_up_action = self._stack_action(self._action("Move &Up", lambda: self.move_selected(-1), "up",
                                                              "Ctrl+Up", "Move the selected layers up", "move_up"))
        self.move_down_action = self._stack_action(self._action("Move Do&wn", lambda: self.move_selected(1), "down",
                                                                "Ctrl+Down", "Move the selected layers down",
                                                                "move_down"))
        self.rename_action = self._action("Re&name", self.rename_selected, "rename", "F2",
                                          "Rename the selected layer", "rename")
        self.design_action = self._action("Design &Name and Description…", self.edit_design_info, None, None,
                                          "Rename the design (the exported class's name) or describe it",
                                          "design_info")
        self.mirror_action = self._action("&Mirror as Decoder", self.mirror_selected, "mirror", "Ctrl+M",
                                          MIRROR_TIP, "mirror")
        self.solve_action = self._action("&Solve Padding…", self.solve_padding, "solve", "Ctrl+Shift+P",
                                         "Find paddings that give a convolution the output size you want", "solve")
        self.sizes_action = self._action("&Valid Input Sizes…", self.show_sizes, None, "Ctrl+Shift+I",
                                         "The input sizes for which the whole design works", "valid_sizes")
        self.figures_action = self._action("&Paper Figures…", self.show_paper_figures, "figures", None,
                                           "Open a figure of Dumoulin & Visin's guide as a design", "paper_figures")
        self.about_action = self._action("&About convdesigner", self.about, "about", None, "", "about")
        self.present_action = self._action("&Present", self.toggle_presentation, None, None,
                                           "The canvas alone, full screen, with big controls, for teaching "
                                           "(F11 or Esc to leave)", "present")
        # F11 also where the platform has no full-screen key (a generic X11 session); the platform's own keys
        # where the window does not use them already
        self.present_action.setShortcuts(free_sequences(unique_sequences([keys.FullScreen, "F11"]), self))
        self.present_action.setCheckable(True)
        self.addAction(self.present_action)  # its keys leave the presentation too, with the menu bar hidden
        self.leave_present_action = self._action("Leave the Presentation", self.toggle_presentation, None,
                                                 "Esc", "", "leave_presentation")
        self.leave_present_action.setEnabled(False)  # Esc belongs to the fields and dialogs otherwise
        self.addAction(self.leave_present_action)
        self.playground_action = self._action("P&layground…", self.show_playground, None, "Ctrl+Shift+G",
                                              "One layer on sliders (i, k, s, p, d, a per axis), to try before "
                                              "adding it", "playground")
        self.reset_layout_action = self._action("&Reset Layout", self.reset_layout, None, None,
                                                "Put every panel back where it starts", "reset_layout")
        self.shortcuts_action = self._action("&Keyboard Shortcuts", self.show_shortcuts, None, keys.HelpContents,
                                             "Every keyboard shortcut of the window", "keyboard_shortcuts")

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.new_action)
        self.template_menu = file_menu.addMenu("New from &Template")
        icons.set_icon(self.template_menu.menuAction(), "new")
        self.template_menu.setObjectName("templateMenu")
        self.template_menu.aboutToShow.connect(self._fill_template_menu)  # filled when opened (reads 9 files)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        export_menu = file_menu.addMenu("&Export")
        icons.set_icon(export_menu.menuAction(), "export")
        export_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit_menu = bar.addMenu("&Edit")
        for action in (self.undo_action, self.redo_action, None, self.delete_action, self.duplicate_action,
                       self.move_up_action, self.move_down_action, self.rename_action, None,
                       self.design_action):
            edit_menu.addSeparator() if action is None else edit_menu.addAction(action)

        layer_menu = bar.addMenu("&Layer")
        self.add_menu = layer_menu.addMenu("&Add")
        icons.set_icon(self.add_menu.menuAction(), "add")
        self.add_menu.setObjectName("addMenu")
        self.add_menu.aboutToShow.connect(self._fill_add_menu)  # filled when opened (it has no shortcuts)
        self.type_menu = layer_menu.addMenu("Change &Type")
        self.type_menu.setObjectName("typeMenu")
        self.type_menu.aboutToShow.connect(self._fill_type_menu)
        layer_menu.addSeparator()
        layer_menu.addAction(self.mirror_action)
        layer_menu.addAction(self.solve_action)
        layer_menu.addAction(self.sizes_action)

        self.view_menu = bar.addMenu("&View")
        for dock in (self.layers_dock, self.properties_dock, self.palette_dock, self.rf_dock, self.params_dock):
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addAction(self.playground_action)
        self.view_menu.addAction(self.reset_layout_action)
        self.view_menu.addAction(self.present_action)
        self.view_menu.addSeparator()
        self.view_menu.addSection("Canvas")
        for action in self.canvas.shortcut_actions():
            self.view_menu.addAction(action)
        playback = self.view_menu.addMenu("&Playback")
        playback.setObjectName("playbackMenu")
        playback.addActions(self.canvas.playback_actions)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.figures_action)
        help_menu.addAction(self.shortcuts_action)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)

    def _create_toolbar(self) -> None:
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setIconSize(QSize(20, 20))
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for action in (self.new_action, self.open_action, self.save_action, None, self.undo_action,
                       self.redo_action, None):
            toolbar.addSeparator() if action is None else toolbar.addAction(action)
        add_button = QToolButton(self)
        add_button.setObjectName("addButton")
        icons.set_icon(add_button, "add")
        add_button.setText("Add")
        add_button.setToolTip("Add a layer after the selection")
        add_button.setMenu(self.add_menu)
        add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addWidget(add_button)
        for action in (self.delete_action, self.duplicate_action, self.move_up_action, self.move_down_action, None,
                       self.mirror_action, self.solve_action, None, self.export_action):
            toolbar.addSeparator() if action is None else toolbar.addAction(action)

    def _fill_add_menu(self) -> None:
        from .palette import fill_add_menu  # imported with the docks, after the first frame

        fill_add_menu(self.add_menu, self.document.design.input.ndim, self.add_layer)

    def _fill_type_menu(self) -> None:
        """The types the selected layer can become in place: its family's and, for a convolution, the
        transposed one's (every rank), keeping the arguments that still apply."""
        self.type_menu.clear()
        index = self.current_index
        if index is None or len(self.document.selection) != 1:
            self.type_menu.addAction("(select one layer)").setEnabled(False)
            return
        layer = self.document.design.layers[index]
        current = CATALOG.get(layer.type)
        families = {current.family} if current is not None else set()
        if families & {"Convolution", "Transposed convolution"}:
            families = {"Convolution", "Transposed convolution"}
        for name, layer_type in CATALOG.items():
            if layer_type.family in families and name != layer.type:
                action = self.type_menu.addAction(name)
                action.setObjectName(f"retype_{name}")
                action.triggered.connect(lambda _checked=False, i=index, n=name:
                                         self.document.push(ChangeType(self.document, i, n)))
        if not self.type_menu.actions():
            self.type_menu.addAction("(no related type)").setEnabled(False)

    def edit_design_info(self) -> None:
        from .design_dialog import DesignDialog

        self.design_dialog = DesignDialog(self.document, self)
        self.design_dialog.open()

    def _fill_template_menu(self) -> None:
        self.template_menu.clear()
        try:
            from ..figures import example_designs

            examples = example_designs()
        except Exception as exc:  # a broken bundle must not take the menu down
            action = self.template_menu.addAction(f"(templates unavailable: {exc})")
            action.setEnabled(False)
            return
        for example in examples:
            action = self.template_menu.addAction(example.name)
            action.setObjectName(f"template_{example.key}")
            action.setToolTip(example.description)
            action.setStatusTip(example.description[:200])
            action.triggered.connect(lambda _checked=False, e=example: self.open_design(e.load()))
        self.template_menu.setToolTipsVisible(True)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = recent_files()
        names = [shown_path(os.path.basename(path)) for path in files]
        for path, name in zip(files, names):
            if names.count(name) > 1:  # files named alike: each says its folder
                name = f"{name} — {shown_path(os.path.dirname(path))}"
            action = self.recent_menu.addAction(name.replace("&", "&&"))  # an '&' is not a mnemonic
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
        if not files:
            self.recent_menu.addAction("(no recent files)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear the List", clear_recent_files)

    # -- selection and refresh ----------------------------------------------------------------------------

    @property
    def current_index(self) -> int | None:
        return self.document.current

    def select_layers(self, names: list[str]) -> None:
        positions = {layer.name: i for i, layer in enumerate(self.document.design.layers)}
        self.document.select([positions[n] for n in names if n in positions])

    def select_layer(self, name: str) -> bool:
        """Select the layer of that name; False when there is none."""
        if name not in {layer.name for layer in self.document.design.layers}:
            return False
        self.select_layers([name])
        return True

    def _selection_changed(self, rows: list[int]) -> None:
        """The document's selection changed (from any view): the stack and canvas follow (the docks' panels
        follow the document themselves, once built)."""
        self.stack_view.select_rows(rows)
        index = self.current_index
        self.canvas.show_layer(self.document.analysis, index)
        self._update_actions()
        self._show_selection_status()

    def _show_selection_status(self) -> None:
        index = self.current_index
        if index is None:
            self.statusBar().clearMessage()
            return
        result = self.document.analysis.layers[index]
        if result.errors:
            self.statusBar().showMessage(app_text(result.errors[0].text))
        elif not result.computed:
            first = next((app_text(d.text) for d in self.document.analysis.errors), "")
            self.statusBar().showMessage(f"{result.name} is not computed: {first}")
        elif warnings_of(result.warnings):
            self.statusBar().showMessage(note_text(warnings_of(result.warnings)[0]))
        else:
            self.statusBar().showMessage(f"{result.name}: {shape_text(result.input_shape)} → "
                                         f"{shape_text(result.output_shape)}")

    def _design_changed(self, _before: Design) -> None:
        if _before.name != self.document.design.name:
            self._update_title()
        self.canvas.show_layer(self.document.analysis, self.current_index)
        self._update_totals()
        self._update_actions()
        self._show_selection_status()

    def _design_replaced(self) -> None:
        self._mirrored = None
        self._design_changed(self.document.design)
        self._update_title()
        self.setWindowModified(self.document.modified)

    def _update_totals(self) -> None:
        analysis = self.document.analysis
        if not analysis.ok:
            errors = analysis.errors
            self.totals.setText(f"<span style='color:#d64545'><b>{len(errors)} error{'s' if len(errors) > 1 else ''}"
                                f"</b></span> · first in {errors[0].layer or 'the input'}")
            return
        text = (f"Output <b>{shape_text(analysis.output_shape)}</b> · {compact(analysis.total_params)} params · "
                f"{compact(analysis.total_macs)} MACs · {bytes_text(total_memory(analysis))} activations")
        missed = self.mirror_missed()
        self.totals.setText(text + f" · <span style='color:#c77700'>{missed}</span>" if missed else text)

    def _totals_tip(self) -> str:
        """The totals' tooltip: every error, else every warning (see TotalsLabel)."""
        analysis = self.document.analysis
        if not analysis.ok:
            return "\n".join(app_text(d.text) for d in analysis.errors)
        warnings = analysis.warnings
        return "\n".join(note_text(d) for d in warnings) if warnings else \
            "Totals for one sample (activation memory in float32)"

    def mirror_missed(self) -> str | None:
        """After Mirror: when an edit since makes the decoder miss the shape it was made to return to, what
        to say (None while it still returns there, or when there is no decoder to watch)."""
        if self._mirrored is None:
            return None
        design, layers = self.document.design, self.document.analysis.layers
        try:
            target = layers[design.index_of(self._mirrored[0])].input_shape
            result = layers[design.index_of(self._mirrored[1])]
        except KeyError:
            return None  # the encoder's first or the decoder's last layer is gone: nothing to watch
        if not result.computed or result.output_shape == target:
            return None
        return (f"the mirrored decoder now ends at {shape_text(result.output_shape)}, not "
                f"{shape_text(target)}: mirror again")

    def _update_actions(self) -> None:
        rows = self.document.selection
        count = len(self.document.design.layers)
        has = bool(rows)
        contiguous = has and rows == list(range(rows[0], rows[-1] + 1))
        self.delete_action.setEnabled(has)
        self.duplicate_action.setEnabled(has)
        self.move_up_action.setEnabled(has and rows[0] > 0)
        self.move_down_action.setEnabled(has and rows[-1] < count - 1)
        self.rename_action.setEnabled(len(rows) == 1)
        self.mirror_action.setEnabled((contiguous or not has) and count > 0)
        result = self.document.analysis.layers[rows[0]] if len(rows) == 1 else None
        self.solve_action.setEnabled(result is not None and solvable(result.type) and result.input_shape is not None)

    def _path_changed(self, path: str) -> None:
        """Exports are offered in the design's folder."""
        self.canvas.default_folder = os.path.dirname(os.path.abspath(path)) if path else None

    def _update_title(self) -> None:
        path = self.document.path
        name = shown_path(os.path.basename(path)) if path else f"{self.document.design.name} (unsaved)"
        self.setWindowTitle(f"{name}[*] — convdesigner")
        self.setWindowFilePath(path or "")

    # -- layer edits ----------------------------------------------------------------------------------------

    def add_layer(self, type_name: str) -> None:
        """Insert a new layer of that type after the selection (at the end when nothing is selected)."""
        rows = self.document.selection
        position = rows[-1] + 1 if rows else len(self.document.design.layers)
        from .palette import new_layer

        layer = new_layer(type_name, self.document.analysis, position)
        self.document.push(InsertLayers(self.document, position, [layer]))

    def delete_selected(self) -> None:
        if self.document.selection:
            self.document.push(DeleteLayers(self.document, self.document.selection))

    def duplicate_selected(self) -> None:
        if self.document.selection:
            self.document.push(DuplicateLayers(self.document, self.document.selection))

    def move_selected(self, step: int) -> None:
        command = MoveLayers.by_step(self.document, self.document.selection, step)
        if command is not None:
            self.document.push(command)

    def rename_selected(self) -> None:
        if len(self.document.selection) == 1:
            self.stack_view.setFocus()
            self.stack_view.edit(self.stack.model.index(self.document.selection[0], 1))

    def mirror_selected(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        rows = self.document.selection or list(range(len(self.document.design.layers)))
        if not rows or rows != list(range(rows[0], rows[-1] + 1)):
            self.statusBar().showMessage("Select a run of adjacent layers to mirror (or none: the whole design).",
                                         6000)
            return
        try:
            mirror = importlib.import_module("convdesigner.engine.tools.mirror")
        except ImportError:
            QMessageBox.information(self, "Mirror as decoder", "The mirror tool is not available in this version.")
            return
        try:
            decoder = mirror.mirror_layers(self.document.design, rows[0], rows[-1])
        except ValueError as exc:
            QMessageBox.warning(self, "Cannot mirror these layers", str(exc))
            return
        if not decoder:
            self.statusBar().showMessage("Nothing to mirror: these layers do not change the shape.", 6000)
            return
        first = self.document.design.layers[rows[0]].name
        self.document.push(MirrorRun(self.document, rows[0], rows[-1], list(decoder)))
        self._mirrored = (first, decoder[-1].name)

    def solve_padding(self) -> None:
        if len(self.document.selection) != 1:
            self.statusBar().showMessage("Select one convolution to solve its padding.", 6000)
            return
        result = self.document.analysis.layers[self.document.selection[0]]
        if not solvable(result.type) or result.input_shape is None:
            self.statusBar().showMessage(f"{result.name}: padding can be solved for a computed convolution only.",
                                         6000)
            return
        from .solve_dialog import SolveDialog

        dialog = SolveDialog(self.document, self.document.selection[0], self)
        self.solve_dialog = dialog
        dialog.open()

    # -- files ------------------------------------------------------------------------------------------

    def maybe_save(self) -> bool:
        """Ask what to do with unsaved changes; True when it is fine to go on."""
        from PySide6.QtWidgets import QMessageBox

        if not self.document.modified:
            return True
        name = os.path.basename(self.document.path) if self.document.path else self.document.design.name
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(self, "Unsaved changes",
                                      f"{name} has unsaved changes. Save them first?",
                                      buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        if answer == buttons.Save:
            return self.save()
        return answer == buttons.Discard

    def new_design(self) -> None:
        self.open_design(empty_design())

    def open_design(self, design: Design, path: str | None = None, select: str | None = None) -> bool:
        """Show another design (asking about unsaved changes first); ``select`` names a layer to select.
        The paper-figure gallery and the templates open designs through this."""
        if not self.maybe_save():
            return False
        self.document.replace(design, path)
        self._file_stamp = FileStamp.of(path) if path else None
        if path:
            add_recent_file(path)
        if select:
            self.select_layer(select)
        elif design.layers:
            self.stack_view.select_rows([0])
        return True

    def restore_design(self, design: Design, path: str | None) -> None:
        """Show a recovered design as unsaved work (its file, if any, is where Save writes)."""
        self.document.replace(design, path)
        self._file_stamp = None  # what the file held when the lost session read it is not known
        self.document.undo_stack.resetClean()  # unsaved: no state of the history matches a file
        self.setWindowModified(True)
        if self.autosaver is not None:
            self.autosaver.write_now()
        if design.layers:
            self.stack_view.select_rows([0])

    def open_path(self, path: str) -> bool:
        """Open a design file; a file that fails to load shows the loader's message and changes nothing."""
        from PySide6.QtWidgets import QMessageBox

        if not self.maybe_save():
            return False
        try:
            design = load(path)
        except DesignFileError as error:
            QMessageBox.critical(self, "Cannot open the design", shown_path(error.text))
            return False
        self.document.replace(design, os.path.abspath(path))
        self._file_stamp = FileStamp.of(path)
        add_recent_file(path)
        if design.layers:
            self.stack_view.select_rows([0])
        return True

    def open_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog  # imported on first use (not at start-up)

        folder = os.path.dirname(self.document.path) if self.document.path else os.getcwd()
        path, _ = QFileDialog.getOpenFileName(self, "Open a design", folder, DESIGN_FILTER)
        if path:
            self.open_path(path)

    def import_model(self, path: str = "") -> None:
        """File > Import Model (and a dropped .onnx file): the import dialog; the imported design opens unsaved,
        and what could not be imported shows in a report."""
        from .import_dialog import ImportDialog, show_import_report

        dialog = ImportDialog(path, self)

        def opened() -> None:
            result = dialog.result_
            if result is None or result.design is None or not self.open_design(result.design):
                return
            self.document.undo_stack.resetClean()  # unsaved: it exists in no design file yet
            self.setWindowModified(True)
            if result.problems:
                self.import_report = show_import_report(result, self)

        dialog.accepted.connect(opened)
        self.import_dialog = dialog
        dialog.open()

    def save(self) -> bool:
        if not self.document.path:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        from PySide6.QtWidgets import QFileDialog

        folder = os.path.dirname(self.document.path) if self.document.path else os.getcwd()
        suggested = os.path.join(folder, os.path.basename(self.document.path or f"{self.document.design.name}.yaml"))
        path, _ = QFileDialog.getSaveFileName(self, "Save the design", suggested, DESIGN_FILTER)
        if not path:
            return False
        if not path.lower().endswith(DESIGN_SUFFIXES):
            path += ".yaml"  # the dialog confirmed the name as typed, not this one: ask here
            if os.path.lexists(path) and not self._confirm_replace(path):
                return False
        return self.save_to(path)

    def _confirm_replace(self, path: str) -> bool:
        from PySide6.QtWidgets import QMessageBox

        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(self, "Replace the file?",
                                      f"{shown_path(os.path.basename(path))} already exists in "
                                      f"{shown_path(os.path.dirname(path))}. Replace it?",
                                      buttons.Yes | buttons.No, buttons.No)
        return answer == buttons.Yes

    def save_to(self, path: str) -> bool:
        """Write the canonical design file atomically (`write_text_file`); on failure say why and stay unsaved.
        A design whose file would be too large to open again is not written; a file another program changed
        since this window read or wrote it is not overwritten unasked."""
        from PySide6.QtWidgets import QMessageBox

        text = dumps(self.document.design)
        try:
            check_design_size(text)
        except DesignTooLarge as error:
            QMessageBox.critical(self, "Cannot save the design", f"{shown_path(path)} was not saved: {error}")
            return False
        if not self._may_overwrite(path):
            return False
        from .export_dialog import write_text_file

        error = write_text_file(path, text)
        if error is not None:
            QMessageBox.critical(self, "Cannot save the design", f"{shown_path(path)} was not saved: {error}")
            return False
        self.document.mark_saved(os.path.abspath(path))
        self._file_stamp = FileStamp.of(path)
        add_recent_file(path)
        self.statusBar().showMessage(f"Saved {shown_path(path)}", 4000)
        return True

    def _may_overwrite(self, path: str) -> bool:
        """False unless the file is as this window last read or wrote it, or the user says to overwrite it
        (Save), or reloads it (Reset: the unsaved changes are dropped and nothing is written)."""
        from PySide6.QtWidgets import QMessageBox

        stamp = self._file_stamp
        same_file = self.document.path is not None and os.path.abspath(path) == self.document.path
        if stamp is None or not same_file or not stamp.changed_on_disk(path):
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self, "The file changed on disk",
            f"{shown_path(os.path.basename(path))} was changed by another program since convdesigner read or "
            "saved it.\n\nSave replaces it with this design; Reset reloads it from the disk (dropping the "
            "changes made here); Cancel does neither.", buttons.Save | buttons.Reset | buttons.Cancel,
            buttons.Cancel)
        if answer == buttons.Reset:
            self._reload(path)
        return answer == buttons.Save

    def _reload(self, path: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        try:
            design = load(path)
        except DesignFileError as error:
            QMessageBox.critical(self, "Cannot open the design", shown_path(error.text))
            return
        self.document.replace(design, os.path.abspath(path))
        self._file_stamp = FileStamp.of(path)

    def export_pytorch(self) -> None:
        folder = os.path.dirname(self.document.path) if self.document.path else None
        from .export_dialog import ExportDialog

        self.export_dialog = ExportDialog(self.document.design, folder, self)
        self.export_dialog.show()

    def show_paper_figures(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        try:
            gallery = importlib.import_module("convdesigner.gui.canvas.gallery")
        except ImportError:
            QMessageBox.information(self, "Paper figures", "The paper-figure gallery is not available in this "
                                    "version.")
            return
        self.gallery = gallery.show_gallery(self.open_design, self.canvas, self)

    def show_playground(self) -> None:
        from .playground import Playground

        if self.playground is None:
            self.playground = Playground(self.document, self)
        self.playground.show()
        self.playground.raise_()

    def show_sizes(self) -> None:
        from .sizes_dialog import SizesDialog

        if self.sizes_dialog is None:
            self.sizes_dialog = SizesDialog(self.document, self)
        self.sizes_dialog.show()
        self.sizes_dialog.raise_()

    def show_shortcuts(self) -> None:
        self.shortcuts_dialog = ShortcutsDialog(menu_actions(self), self)
        self.shortcuts_dialog.show()

    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.about(self, "About convdesigner",
                          f"<h3>convdesigner {__version__}</h3>"
                          "<p>Design convolutional encoder/decoder stacks and see their arithmetic live, computed "
                          "exactly as PyTorch computes it, in the visual language of Dumoulin &amp; Visin's "
                          "<i>A guide to convolution arithmetic for deep learning</i>.</p>")

    # -- window events ------------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_design(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if self._dropped_design(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_design(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        opening = self.import_model if path.lower().endswith(".onnx") else self.open_path
        QTimer.singleShot(0, lambda: opening(path))  # leave the drag before any dialog opens

    @staticmethod
    def _dropped_design(event) -> str | None:
        mime = event.mimeData()
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and url.toLocalFile().lower().endswith((*DESIGN_SUFFIXES, ".onnx")):
                return url.toLocalFile()
        return None

    def tab_sections(self) -> list[QWidget]:
        """The Tab order's parts: the input, the layer table, the properties, the canvas's controls, the
        analysis tables."""
        return [self.stack.input_editor, self.stack_view, self.properties, self.canvas, self.rf_panel,
                self.params_panel]

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab and Shift+Tab follow `tab_sections`, whatever order the widgets were built in (the properties
        form is built when a layer type is first shown)."""
        sections = self.tab_sections()
        target = next_in_chain(tab_chain(sections, self), sections, QApplication.focusWidget(), next)
        if target is None:
            return super().focusNextPrevChild(next)
        target.setFocus(Qt.FocusReason.TabFocusReason if next else Qt.FocusReason.BacktabFocusReason)
        return True

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            icons.retint(self)  # the system switched between light and dark
            self.stack.model.refresh_colours()
            if self._panels is not None:  # not built yet: it will be, in the new palette's colours
                self._panels.properties.restyle()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._layout_pending:  # dock sizes only hold once the window has its size
            self._layout_pending = False
            self.default_dock_sizes()
            QTimer.singleShot(0, self.default_dock_sizes)
        elif self._persistent:
            QTimer.singleShot(0, self._check_restored_layout)

    # -- layout: reset, validation, presentation ------------------------------------------------------

    def docks(self) -> list[QDockWidget]:
        return [self.layers_dock, self.properties_dock, self.palette_dock, self.rf_dock, self.params_dock]

    def reset_layout(self) -> None:
        """View > Reset Layout: every dock shown, docked where a first start puts it, at the first start's
        sizes."""
        if self.present_action.isChecked():
            self.toggle_presentation()
        areas = {self.layers_dock: Qt.DockWidgetArea.LeftDockWidgetArea,
                 self.properties_dock: Qt.DockWidgetArea.RightDockWidgetArea,
                 self.palette_dock: Qt.DockWidgetArea.RightDockWidgetArea,
                 self.rf_dock: Qt.DockWidgetArea.BottomDockWidgetArea,
                 self.params_dock: Qt.DockWidgetArea.BottomDockWidgetArea}
        for dock, area in areas.items():
            dock.setFloating(False)
            self.addDockWidget(area, dock)
            dock.show()
        self.tabifyDockWidget(self.properties_dock, self.palette_dock)
        self.properties_dock.raise_()
        self.splitDockWidget(self.rf_dock, self.params_dock, Qt.Orientation.Horizontal)
        self.default_dock_sizes()
        QTimer.singleShot(0, self.default_dock_sizes)

    def layout_problems(self) -> list[str]:
        """What is wrong with the window's layout as restored from the settings (empty: nothing): a window
        off or larger than its screen, a canvas squeezed below a usable size, a docked panel squeezed flat."""
        problems = []
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is not None and screen.width() > 0 and not self.isFullScreen():
            frame = self.frameGeometry()
            if frame.width() > screen.width() + 8 or frame.height() > screen.height() + 8:
                problems.append("the window is larger than the screen")
            if not screen.intersects(frame):
                problems.append("the window is off the screen")
        canvas = self.canvas.view_widget
        if canvas.width() < MIN_CANVAS[0] or canvas.height() < MIN_CANVAS[1]:
            problems.append(f"the canvas is {canvas.width()}×{canvas.height()}")
        for dock in self.docks():
            # shown: not a tab behind another (Qt keeps it visible, off the window)
            if shown(dock) and not dock.isFloating() and min(dock.width(), dock.height()) < MIN_DOCK_PX:
                problems.append(f"the {dock.windowTitle()} panel is {dock.width()}×{dock.height()}")
        return problems

    def _check_restored_layout(self) -> None:
        """A restored layout that does not fit this screen (another monitor, a changed scale) starts over."""
        if self.layout_problems():
            self._first_start_size()
            self.reset_layout()

    def _toolbars(self) -> list[QToolBar]:
        return self.findChildren(QToolBar, options=Qt.FindChildOption.FindDirectChildrenOnly)

    def toggle_presentation(self) -> None:
        """View > Present (F11): the canvas alone, full screen, its controls and text large; again (or Esc)
        brings the window back as it was."""
        presenting = self._presentation is None
        if presenting:
            self._presentation = (self.saveState(WINDOW_STATE_VERSION), self.isMaximized(), self.geometry())
            for bar in (self.menuBar(), self.statusBar(), *self._toolbars()):
                bar.hide()
            for dock in self.docks():
                dock.hide()
            self.canvas.set_presenting(True)
            self.showFullScreen()
        else:
            state, maximised, geometry = self._presentation
            self._presentation = None
            self.canvas.set_presenting(False)
            self.menuBar().show()
            self.statusBar().show()
            for bar in self._toolbars():
                bar.show()
            self.showMaximized() if maximised else self.showNormal()
            self.setGeometry(geometry)
            self.restoreState(state, WINDOW_STATE_VERSION)
        self.present_action.setChecked(presenting)
        self.leave_present_action.setEnabled(presenting)


    def default_dock_sizes(self) -> None:
        """The layout a first start shows: a wide stack on the left, the analysis docks along the bottom."""
        width = self.width()
        properties = int(max(width * 0.21, min(290, width * 0.28)))  # its fields need about 290 pixels
        self.resizeDocks([self.layers_dock, self.properties_dock], [int(width * 0.26), properties],
                         Qt.Orientation.Horizontal)  # the canvas keeps about half the width
        self.resizeDocks([self.rf_dock], [int(self.height() * 0.33)], Qt.Orientation.Vertical)
        self.resizeDocks([self.rf_dock, self.params_dock], [width // 2, width // 2], Qt.Orientation.Horizontal)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        if self._persistent:
            self._save_settings()
        if self.autosaver is not None:
            self.autosaver.close()
        event.accept()

    def load_plots(self) -> None:
        """Fill the docks and build their charts: called once the window has painted its first frame."""
        panels = self.build_docks()
        panels.receptive_field.host.load()
        panels.parameters.host.load()

    def _save_settings(self) -> None:
        store = settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState(WINDOW_STATE_VERSION))

    def _first_start_size(self) -> None:
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        width, height = DEFAULT_SIZE
        if screen is not None and screen.width() > 0:
            width, height = min(width, screen.width()), min(height, screen.height())
        self.resize(width, height)

    def _restore_settings(self) -> None:
        store = settings()
        geometry = store.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self._first_start_size()
        state = store.value("window/state")
        if isinstance(state, QByteArray) and self.restoreState(state, WINDOW_STATE_VERSION):
            self._layout_pending = False
