"""Start-up builds what the first frame shows, and the rest right after it: the properties, palette and
analysis docks are filled after the window's first paint, or as soon as an action needs them; the layout
(saved or first) is the same before and after they are filled. Work and order, never time (the time is
bench/bench_startup.py's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from gui_helpers import small_encoder
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QWidget

from convdesigner.assets import example
from convdesigner.gui import main_window
from convdesigner.io.design_file import load

CTRL = Qt.KeyboardModifier.ControlModifier
#: The modules only the docks need (imported when they are built).
DOCK_MODULES = ("convdesigner.gui.properties", "convdesigner.gui.panels.receptive_field",
                "convdesigner.gui.panels.parameters", "convdesigner.gui.panels.chart",
                "convdesigner.gui.panels.analysis_table", "convdesigner.gui.argument_editors",
                "convdesigner.gui.palette")
#: Imported when first used, not when the docks are ready: the padding solver (the Solve action and the
#: properties' Solve button ask `engine.tools.solvable` alone).
LATER_MODULES = ("convdesigner.engine.tools.solve",)

#: QtWidgets classes the app never uses: PySide creates a class when first used, unless it has to find the
#: most derived class of a widget C++ made (`gui.viewport`), which creates every one.
UNUSED_CLASSES = ("QCalendarWidget", "QMdiArea", "QWizard")

#: The real start (`convdesigner` with no argument) in a fresh process: at the main window's first paint
#: event it prints what is built and imported, and again once the docks are ready.
FIRST_PAINT_PROBE = r"""
import gc, sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])
MODULES = MODULES_HERE
COLLECTIONS = []  # the generation of each collection of the cycle collector since main() started
gc.callbacks.append(lambda phase, info: COLLECTIONS.append(info["generation"]) if phase == "start" else None)

def report(label, window):
    loaded = [m for m in MODULES if m in sys.modules]
    filled = [d.objectName() for d in window.docks() if d.widget() is not None]
    print(label, window.docks_built, ",".join(filled) or "-", ",".join(loaded) or "-", flush=True)
    print("collector", label, gc.isenabled(), gc.get_freeze_count() > 0, len(COLLECTIONS), flush=True)
    unused = [name for name in UNUSED_CLASSES if name in vars(sys.modules["PySide6.QtWidgets"])]
    print("unused", label, ",".join(unused) or "-", flush=True)

class Probe(QObject):
    # watches the application until the main window's first event, then the window alone: a filter on the
    # application would have PySide wrap every widget Qt makes as it receives events, and wrapping a widget
    # C++ made is what the "unused" line looks for
    w = None

    def eventFilter(self, obj, event):
        if self.w is None:
            if type(obj).__name__ != "MainWindow":
                return False
            self.w = obj
            app.removeEventFilter(self)
            obj.installEventFilter(self)
        if event.type() == QEvent.Type.Paint and obj is self.w:
            obj.removeEventFilter(self)
            report("painted", obj)
            QTimer.singleShot(0, self.ready)
        return False

    def ready(self):
        if not self.w.rf_panel.host.loaded:
            QTimer.singleShot(10, self.ready)
            return
        report("ready", self.w)
        app.exit(0)

probe = Probe()
app.installEventFilter(probe)
from convdesigner.cli import main
COLLECTIONS.clear()
main(ARGUMENTS)
""".replace("MODULES_HERE", repr(DOCK_MODULES + LATER_MODULES)).replace("UNUSED_CLASSES", repr(UNUSED_CLASSES))


def run_start(probe: str, tmp_path, *arguments: str) -> subprocess.CompletedProcess:
    """A real start (``convdesigner ARGUMENTS``), first start (fresh settings), under ``probe`` in a fresh
    process."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path),
               XDG_DATA_HOME=str(tmp_path))
    probe = probe.replace("ARGUMENTS", repr(list(arguments)))
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)


def test_the_real_start_paints_the_window_before_building_the_docks(tmp_path):
    done = run_start(FIRST_PAINT_PROBE, tmp_path)
    lines = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines() if line.split()}
    assert "painted" in lines and "ready" in lines, done.stdout + done.stderr
    built, filled, loaded = lines["painted"]
    assert (built, filled, loaded) == ("False", "layersDock", "-")  # only the layer list is in the first frame
    built, filled, loaded = lines["ready"]
    assert built == "True"
    assert filled.split(",") == ["layersDock", "propertiesDock", "paletteDock", "receptiveFieldDock",
                                 "parametersDock"]
    assert set(loaded.split(",")) == set(DOCK_MODULES)


def test_the_start_runs_no_collection_and_leaves_the_collector_on(tmp_path):
    """The cycle collector is paused while the window and then its docks are built, and what they made is
    frozen (it lives as long as the window): no collection runs before the first frame (60 without the
    pause), and until the docks are ready only the young collections of their first paints run (8 at the
    end of the fifth session, 9 on a busy machine polling more; 64 without the pause), and the collector runs
    as usual afterwards."""
    done = run_start(FIRST_PAINT_PROBE, tmp_path)
    states = {line.split()[1]: line.split()[2:] for line in done.stdout.splitlines() if line.startswith("collector")}
    assert states["painted"] == ["True", "True", "0"], done.stdout + done.stderr  # on, startup's objects frozen
    assert states["ready"][:2] == ["True", "True"] and int(states["ready"][2]) <= 16


@pytest.mark.parametrize("example", [None, "unet-small.yaml"])
def test_the_start_never_has_pyside_create_every_widget_class(tmp_path, example):
    """No widget that C++ made reaches Python before the docks are ready (the scroll areas' viewports are
    made in Python): finding the most derived class of one has PySide create every QtWidgets class not used
    yet (~40 classes and their enum classes, ~4 ms of CPU at the docks' first paint; ~10 ms at the first
    frame of a design with joins, whose link gutter places itself beside the layer table's viewport)."""
    file = () if example is None else (str(Path(__file__).resolve().parents[2] / "resources" / "examples" / example),)
    done = run_start(FIRST_PAINT_PROBE, tmp_path, *file)
    unused = {line.split()[1]: line.split()[2] for line in done.stdout.splitlines() if line.startswith("unused")}
    assert unused == {"painted": "-", "ready": "-"}, done.stdout + done.stderr


class PaintWatch(QObject):
    """Records, at a widget's first paint event, whether the docks were built."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.built_at_first_paint: bool | None = None
        window.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint and self.built_at_first_paint is None:
            self.built_at_first_paint = self.window.docks_built
        return False


def test_the_docks_are_filled_right_after_the_first_paint_and_show_the_selection(qtbot):
    window = main_window.MainWindow(small_encoder(), persistent=False)
    qtbot.addWidget(window)
    watch = PaintWatch(window)
    window.document.select([2])
    assert not window.docks_built
    assert all(dock.widget() is None for dock in (window.properties_dock, window.palette_dock, window.rf_dock,
                                                  window.params_dock))
    window.show()
    qtbot.waitUntil(lambda: window.docks_built)
    assert watch.built_at_first_paint is False
    assert window.properties_dock.widget() is window.properties
    assert window.rf_dock.widget() is window.rf_panel and window.params_dock.widget() is window.params_panel
    assert ">conv2<" in window.properties.title.text()  # the layer selected before they existed
    assert window.palette_widget.visible_types()  # the palette lists the design's rank's types
    for panel in (window.rf_panel, window.params_panel):  # the tables show the selection too
        assert [index.row() for index in panel.table.selectionModel().selectedRows()] == [2]
    assert window.properties_dock.isAncestorOf(window.properties)
    window.document.select([0])
    assert ">conv1<" in window.properties.title.text()  # and they follow the selection from then on


def test_a_panel_asked_for_before_the_first_paint_is_built_at_once(qtbot):
    window = main_window.MainWindow(small_encoder(), persistent=False)
    qtbot.addWidget(window)
    window.document.select([0])
    assert not window.docks_built
    panel = window.params_panel  # any of the four builds all of them, once
    assert window.docks_built and window.params_dock.widget() is panel
    assert window.build_docks().parameters is panel and ">conv1<" in window.properties.title.text()
    window.load_plots()
    assert window.rf_panel.host.loaded and window.params_panel.host.loaded


@pytest.fixture
def unfilled_window(qtbot, monkeypatch):
    """A shown, active window whose docks are not filled after its first paint (as when a key arrives before
    the zero timer fires)."""
    monkeypatch.setattr(main_window, "after_first_paint", lambda widget, then: None)
    window = main_window.MainWindow(small_encoder())
    qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
    window.resize(1400, 900)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.wait(20)
    assert not window.docks_built
    return window


def test_shortcuts_work_before_the_docks_are_filled(unfilled_window, qtbot):
    window = unfilled_window
    window.stack_view.setFocus()
    window.document.select([1])
    qtbot.keyClick(window.stack_view, Qt.Key.Key_D, CTRL)  # Duplicate
    assert [layer.name for layer in window.document.design.layers][:3] == ["conv1", "relu1", "relu3"]
    qtbot.keyClick(window.stack_view, Qt.Key.Key_Z, CTRL)  # Undo
    assert window.document.design == small_encoder()
    assert not window.docks_built  # neither needed a dock


def test_tab_into_the_properties_before_the_docks_are_filled_builds_them(unfilled_window, qtbot):
    window = unfilled_window
    window.document.select([0])
    window.stack_view.setFocus()
    qtbot.keyClick(window.stack_view, Qt.Key.Key_Tab)
    assert window.docks_built
    assert window.properties.isAncestorOf(QApplication.focusWidget())  # the next section: the properties


def test_undo_in_a_property_field_of_docks_filled_late_undoes_the_design(unfilled_window, qtbot):
    window = unfilled_window
    window.document.select([0])
    spin = window.properties.rows["out_channels"].editor.spin  # builds the docks now
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(spin, "12")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert window.document.design.layers[0].get("out_channels") == 12
    qtbot.keyClick(spin, Qt.Key.Key_Z, CTRL)  # the window's Undo, not the field's text history
    assert window.document.design == small_encoder()


def dock_geometry(window) -> dict[str, tuple[int, int, int, int]]:
    """Where every dock on the window is (a tab behind another is kept off the window)."""
    return {dock.objectName(): dock.geometry().getRect() for dock in window.docks()
            if window.rect().contains(dock.geometry().topLeft())}


@pytest.mark.parametrize("size", [(1600, 960), (1024, 700)])
def test_filling_the_docks_moves_nothing(qtbot, monkeypatch, size):
    filling = []
    monkeypatch.setattr(main_window, "after_first_paint", lambda widget, then: filling.append(then))
    window = main_window.MainWindow(small_encoder(), persistent=False)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(50)  # the first start's layout settles (`default_dock_sizes`, twice)
    before = dock_geometry(window)
    canvas = window.canvas.geometry()
    assert not window.docks_built and filling == [window.build_docks]
    filling[0]()  # what the first paint would have done
    window.load_plots()
    qtbot.wait(20)
    assert dock_geometry(window) == before and window.canvas.geometry() == canvas
    assert set(before) == {"layersDock", "propertiesDock", "receptiveFieldDock", "parametersDock"}


@pytest.mark.parametrize("size", [(1600, 960), (1024, 700)])
def test_the_layer_table_starts_at_its_first_column_and_selecting_keeps_it(qtbot, size):
    """The # column (a row's error or warning icon) is in view at start: the layer selected before the window
    is shown (as `app.run_app` does) is not scrolled to in the still narrow table, and selecting a layer
    scrolls the table down or up, never sideways."""
    from convdesigner.gui.stack_model import INDEX

    window = main_window.MainWindow(load(Path(str(example("resnet18")))), persistent=False)
    qtbot.addWidget(window)
    window.document.select([2])
    window.resize(*size)
    window.show()
    qtbot.waitUntil(lambda: window.docks_built)
    view = window.stack_view
    assert view.columnViewportPosition(INDEX) == 0 and view.horizontalScrollBar().value() == 0
    last = view.model().rowCount() - 1
    window.document.select([last])
    assert view.visualRect(view.model().index(last, INDEX)).bottom() <= view.viewport().height()
    assert view.columnViewportPosition(INDEX) == 0


def test_a_saved_dock_layout_is_restored_before_the_docks_are_filled(make_window, qtbot, monkeypatch):
    first = make_window(small_encoder())
    first.resize(780, 560)
    # the first start's dock sizes are set again once the window has its size (a zero timer queued at the first
    # show): let that happen before the user's own size, or it would replace the size the test means to save
    qtbot.wait(50)
    first.resizeDocks([first.rf_dock], [150], Qt.Orientation.Vertical)
    first.palette_dock.raise_()  # the "Add layer" tab in front
    qtbot.wait(20)
    saved = dock_geometry(first)
    assert saved["receptiveFieldDock"][3] == 150  # the user's size, not the first start's (a third of 560)
    first._save_settings()
    filling = []
    monkeypatch.setattr(main_window, "after_first_paint", lambda widget, then: filling.append(then))
    second = main_window.MainWindow(small_encoder())  # restores the saved geometry and state
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    qtbot.wait(20)
    assert not second.docks_built and dock_geometry(second) == saved
    filling[0]()  # what the first paint would have done
    qtbot.wait(20)
    assert second.docks_built and dock_geometry(second) == saved
    assert second.palette_dock.widget() is second.palette_widget and not second.layout_problems()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 displays are Linux's here")
def test_a_start_on_x11_asks_ldd_only_about_a_plugin_that_does_not_load(tmp_path, monkeypatch):
    """Every start on X11 checks that Qt's X11 plugin loads (Qt aborts otherwise); ldd, a process of its own,
    is run only to name what is missing when it does not."""
    import ctypes.util

    from convdesigner.gui import display

    asked = []
    monkeypatch.setattr(display, "missing_libraries", lambda library: asked.append(library) or ["libxcb-demo.so.0"])
    monkeypatch.setattr(display, "_x_server_listens", lambda _display: True)
    loadable = ctypes.util.find_library("m")  # the C maths library: there wherever Python runs
    assert loadable is not None
    monkeypatch.setattr(display, "xcb_plugin", lambda: loadable)
    assert display.display_problem({"DISPLAY": ":0"}) is None and asked == []
    broken = tmp_path / "libqxcb.so"
    broken.write_text("not a shared library")
    monkeypatch.setattr(display, "xcb_plugin", lambda: broken)
    problem = display.display_problem({"DISPLAY": ":0"})
    assert asked == [broken] and "libxcb-demo.so.0 is missing" in problem


def test_start_up_modules_leave_out_what_only_some_starts_need():
    """The display check imports subprocess only on X11 (for ldd); recovery file names need no uuid."""
    code = ("import sys; import convdesigner.gui.display, convdesigner.gui.recovery; "
            "print(sorted(m for m in ('subprocess', 'uuid') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["[]"]


def test_the_theme_keeps_a_fusion_style_it_already_has(qapp):
    """Setting Fusion again would build a second style and repolish every widget (~6 ms at start-up)."""
    from convdesigner.gui import theme

    original = qapp.palette()
    try:
        theme.apply_theme(qapp)
        style = qapp.style()
        theme.apply_theme(qapp)
        assert qapp.style() is style and style.name().lower() == "fusion"
    finally:
        qapp.setPalette(original)


def test_the_add_menu_is_filled_when_it_opens(qtbot):
    window = main_window.MainWindow(small_encoder(), persistent=False)
    qtbot.addWidget(window)
    assert window.add_menu.actions() == []  # nothing built for a menu not opened (it holds no shortcut)
    window.add_menu.aboutToShow.emit()
    families = [action.text() for action in window.add_menu.actions()]
    assert "Convolution" in families and "Activation" in families


#: The real start (`convdesigner` with no argument) in a fresh process, the probe importing nothing of Qt: it
#: records the modules loaded when the start creates its application (PySide6 is imported there), and at the
#: main window's first paint event the modules imported since.
BEFORE_QT_PROBE = r"""
import sys
import convdesigner.gui.app as start

create, seen = start._application, {}

def _application(offscreen):
    seen["before"] = set(sys.modules)
    app = create(offscreen)
    from PySide6.QtCore import QEvent, QObject, QTimer

    class Probe(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and type(obj).__name__ == "MainWindow":
                app.removeEventFilter(self)
                QTimer.singleShot(0, self.report)
            return False

        def report(self):
            print("before", " ".join(sorted(seen["before"])), flush=True)
            print("after", " ".join(m for m in sys.modules if m not in seen["before"]), flush=True)
            app.exit(0)

    seen["probe"] = Probe()
    app.installEventFilter(seen["probe"])
    return app

start._application = _application
from convdesigner.cli import main
main([])
"""


def test_the_start_imports_the_engine_and_files_before_pyside6(tmp_path):
    """A real start imports the engine, PyYAML, the design file and the non-Qt modules the first frame needs
    before PySide6 (whose import hook reads the source of a module imported after it unless the start has
    filed it), so that only the GUI's own modules (and the layer modules of the design it opens, known only
    once the recent files are read from the settings) are imported after it."""
    from convdesigner.gui.app import BEFORE_QT

    done = run_start(BEFORE_QT_PROBE, tmp_path)
    lines = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines() if line.split()}
    assert "before" in lines and "after" in lines, done.stdout + done.stderr
    before, after = set(lines["before"]), lines["after"]
    assert "PySide6" not in before and "PySide6.QtCore" in after
    assert {*BEFORE_QT, "yaml", "convdesigner.io.design_file", "convdesigner.engine.analysis"} <= before
    late = [m for m in after if m.startswith("convdesigner.") and not m.startswith("convdesigner.gui")]
    design_dependent = ("convdesigner.engine.layers.", "convdesigner.resources")
    # the bundled example's; another module of the engine or io listed here: add it to app.BEFORE_QT
    assert late and all(m.startswith(design_dependent) for m in late), late


#: Modules the first frame does without: the numbers mode's (engine.numeric, 11 dataclasses, and the canvas's
#: overlay), the paper figures and templates (the default example is found by `assets.EXAMPLE_ORDER`), and
#: importlib.resources (the bundled resources are a folder on disk here).
NOT_IN_THE_FIRST_FRAME = ("convdesigner.engine.numeric", "convdesigner.gui.canvas.numbers", "convdesigner.figures",
                          "importlib.resources")


def test_the_first_frame_imports_neither_the_numbers_mode_nor_the_figures(tmp_path):
    done = run_start(BEFORE_QT_PROBE, tmp_path)
    lines = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines() if line.split()}
    assert "before" in lines and "after" in lines, done.stdout + done.stderr
    loaded = {*lines["before"], *lines["after"]}
    assert "convdesigner.gui.canvas.widget" in loaded
    assert not [m for m in NOT_IN_THE_FIRST_FRAME if m in loaded]


NUMBERS_ON_PROBE = r"""
import sys
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from convdesigner.gui.app import default_design
from convdesigner.gui.canvas import CanvasWidget
from convdesigner.engine.analysis import analyze

design = default_design()
canvas = CanvasWidget()
canvas.show_layer(analyze(design), 0)
print("before", "convdesigner.engine.numeric" in sys.modules, canvas.numbers() is None)
canvas.numbers_action.trigger()
print("after", "convdesigner.engine.numeric" in sys.modules, canvas.sum_line() is not None)
"""


def test_the_numbers_mode_imports_its_modules_when_first_switched_on(tmp_path):
    done = run_start(NUMBERS_ON_PROBE, tmp_path)
    assert done.stdout.split("\n")[:2] == ["before False True", "after True True"], done.stdout + done.stderr


def test_the_layer_table_measures_its_columns_once_while_the_window_settles(qtbot, monkeypatch):
    """Construction, the first show and the resizes of a window settling size the columns from one
    measurement of what they hold (it was taken five times); new content measures them again."""
    from convdesigner.gui.stack_model import ARGUMENTS, NAME, OUTPUT, PARAMS, TYPE
    from convdesigner.gui.stack_view import StackView

    measured = []
    measure = StackView.sizeHintForColumn
    monkeypatch.setattr(StackView, "sizeHintForColumn", lambda view, column: measured.append(column) or
                        measure(view, column))
    window = main_window.MainWindow(small_encoder(), persistent=False)
    qtbot.addWidget(window)
    window.document.select([0])
    assert measured == []  # a hidden table is measured when shown
    window.show()
    qtbot.waitUntil(lambda: window.docks_built)  # the first paint, then the docks filled after it
    assert sorted(measured) == sorted([NAME, TYPE, OUTPUT, PARAMS, ARGUMENTS])
    view = window.stack_view
    room = view.columnWidth(ARGUMENTS)
    window.resizeDocks([window.layers_dock], [window.layers_dock.width() + 150], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: view.columnWidth(ARGUMENTS) > room)  # the arguments take the new room,
    assert len(measured) == 5  # without measuring again
    assert view.horizontalHeader().width() == view.viewport().width()  # the width the columns share
    window.document.replace(small_encoder(), None)
    assert len(measured) == 10 and view.columnWidth(NAME) >= view.fontMetrics().horizontalAdvance("conv1")


def colour_beneath_by_every_ancestor(bar):
    """What `KeptScrollBar.beneath` finds, walking from the bar's own parent (Qt's container) up."""
    widget = bar.parentWidget()
    while widget is not None and not (widget.autoFillBackground() or widget.isWindow()):
        widget = widget.parentWidget()
    brush = widget.palette().brush(widget.backgroundRole())
    solid = brush.style() == Qt.BrushStyle.SolidPattern and brush.color().alpha() == 255
    return brush.color() if solid else None


def test_the_first_frame_asks_no_scroll_bar_for_its_parent_and_they_find_the_colour_beneath_them(qtbot, monkeypatch):
    """A table's scroll bar sits in a container Qt makes: PySide's first wrapper of it has PySide resolve every
    QWidget subclass (~40 enum classes, ~6 ms of the first frame), so the bar looks for the colour beneath it
    from its scroll area up, which finds what the walk through the container finds (light and dark)."""
    from convdesigner.gui.scroll_bar import KeptScrollBar
    from convdesigner.gui.theme import dark_palette

    asked = []
    monkeypatch.setattr(KeptScrollBar, "parentWidget", lambda bar: asked.append(bar) or QWidget.parentWidget(bar))
    window = main_window.MainWindow(small_encoder(), persistent=False)
    qtbot.addWidget(window)
    watch = PaintWatch(window)
    window.show()
    qtbot.waitUntil(lambda: watch.built_at_first_paint is not None)
    assert asked == []
    qtbot.waitUntil(lambda: window.docks_built)
    bars = window.findChildren(KeptScrollBar)
    assert len(bars) >= 3  # the layer table's and the two analysis tables'
    for palette in (QApplication.palette(), dark_palette()):
        window.setPalette(palette)
        for bar in bars:
            expected = colour_beneath_by_every_ancestor(bar)
            assert expected is not None and bar.beneath() == expected


#: The real start, the probe importing nothing of Qt: it records which modules' sources PySide6's import hook
#: reads (``inspect.getsource``, which the hook calls for a module the first time an import statement names
#: it after PySide6 is imported) until the main window's first paint, and the modules loaded before PySide6.
SOURCE_READS_PROBE = BEFORE_QT_PROBE.replace("import convdesigner.gui.app as start\n", """import inspect
import convdesigner.gui.app as start

read, getsource = [], inspect.getsource
inspect.getsource = lambda module: read.append(module.__name__) or getsource(module)
""").replace('print("after", ', 'print("read", " ".join(read) or "-", flush=True)\n            print("after", ')


def test_pyside6s_import_hook_reads_no_source_of_the_app_or_of_a_module_imported_before_it(tmp_path):
    """The hook files each module by whether its source mentions PySide6; the start files what it imported
    before PySide6 and the modules of the GUI, the engine and the files itself (`app.FILED_PACKAGES`), so the
    hook reads the sources of none of them (it read ~130 before the first frame, ~10 ms), the example's layer
    modules imported after PySide6 included: only of a few others (PySide6's own)."""
    from convdesigner.gui.app import FILED_PACKAGES

    done = run_start(SOURCE_READS_PROBE, tmp_path)
    lines = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines() if line.split()}
    assert "read" in lines and "before" in lines, done.stdout + done.stderr
    read, before = set(lines["read"]) - {"-"}, set(lines["before"])
    filed = tuple(f"convdesigner.{package}" for package in FILED_PACKAGES)
    assert not [name for name in read if name.startswith(filed)], read  # the layer modules of the example too
    # the rest (6 here, against ~130 before): PySide6's own modules and what it imports while it sets the
    # hook up (here enum, shiboken6: the only ones imported before PySide6)
    assert len(read) <= 20 and len(read & before) <= 3, read


def test_the_engine_and_file_modules_filed_for_pyside6s_import_hook_are_filed_as_it_would():
    """The hook's own verdict is whether a module's source mentions PySide6: never for the engine's and the
    files' modules, filed -1 before they are imported. (The GUI's are filed 0, which the few that do not
    mention PySide6, its __init__ and formatting, would not be: the value only matters to a module that
    selects a PySide feature.)"""
    import convdesigner
    from convdesigner.gui.app import FILED_PACKAGES

    root = Path(convdesigner.__file__).parent
    filed_ignored = [package for package, value in FILED_PACKAGES.items() if value == -1]
    assert {"engine", "engine.layers", "io"} <= set(filed_ignored)
    for package in filed_ignored:
        for path in (root / package.replace(".", "/")).glob("*.py"):
            assert "PySide6" not in path.read_text(encoding="utf-8"), path
