"""Starting the desktop application: ``run_app`` (what ``convdesigner [FILE]`` calls).

It creates the QApplication (Fusion, the system's light or dark palette, crisp SVG icons on high-DPI
screens), opens FILE or the default bundled example, and either runs the event loop or, with
``screenshot``, renders the main window offscreen at a fixed size, saves a PNG and exits.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING

from ..engine.collector import collector_paused
from ..io.safe_text import MESSAGE_WIDTH, NAME_WIDTH, one_line

if TYPE_CHECKING:  # the engine and the design file are imported by run_app, with the collector paused
    from ..engine.design import Design

#: The size the README's screenshots are rendered at.
SCREENSHOT_SIZE = (1600, 960)


def default_design() -> Design:
    """The bundled example the app opens without a file (the DCGAN generator, the first of the examples'
    order), read once."""
    from .. import assets
    from ..io.design_file import DesignFileError, load, loads

    try:
        node = assets.example(assets.EXAMPLE_ORDER[0])
        return loads(node.read_bytes(), source=str(node))
    except (DesignFileError, FileNotFoundError):
        return load(str(assets.examples()[0]))


#: The first screen's one-line pointer to where the app teaches.
FIRST_HINT = "New to convolution arithmetic? Help > Paper Figures opens each figure of Dumoulin & Visin's guide."


def last_design() -> tuple[Design, str] | None:
    """The most recently opened design that still loads (the app opens it without a file), else None."""
    from ..io.design_file import DesignFileError, load
    from .settings import recent_files

    for path in recent_files():
        try:
            return load(path), os.path.abspath(path)
        except (DesignFileError, OSError):
            continue
    return None


def teaching_layer(analysis) -> int:
    """The layer a first screen selects: the first strided convolution (the sliding window at its most
    telling), else the first strided window of any kind, else the first layer."""
    windows = [r for r in analysis.layers if r.computed and r.geometry]
    for wanted in (lambda r: not r.geometry[0].transposed, lambda r: True):
        for r in windows:
            if wanted(r) and any(g.s > 1 for g in r.geometry):
                return r.index
    return 0


#: The modules of the engine and of the app's files that every start imports for its first frame besides the
#: design file's (the main window's solver check, the canvas's frame geometry, the bundled assets
#: the icons are read from), imported before PySide6 is: once PySide6 is imported, its import hook reads the
#: source of every module imported after it that `spare_pyside_source_reads` has not filed (bench/README.md,
#: Start-up).
BEFORE_QT = ("convdesigner.engine.tools", "convdesigner.engine.frames",
             "convdesigner.engine.layers.rearranging", "convdesigner.assets")


#: The app's packages whose modules `spare_pyside_source_reads` files for PySide6's import hook before they are
#: imported, with what the hook would find: the GUI's modules use PySide6 (0), the engine's and the files' never
#: do (-1: tests/test_architecture.py keeps Qt out of them).
FILED_PACKAGES = {"gui": 0, "gui.canvas": 0, "gui.panels": 0, "engine": -1, "engine.layers": -1, "engine.tools": -1,
                  "io": -1}


def spare_pyside_source_reads() -> None:
    """Tell PySide6's import hook what it would find in the modules the start imports, so that it does not
    read their sources.

    Once PySide6 is imported, the hook (``shibokensupport.feature.feature_imported``) files every module the
    first time any ``import`` statement names it in ``pyside_feature_dict``: 0 when the module's source
    mentions PySide6, -1 ("ignore this module") otherwise, read with ``inspect.getsource``. Before the first
    frame that is ~300 import statements naming ~130 modules, from ``typing`` to the engine's, imported
    before PySide6 but named again after it (~10 ms of reading). Filed here: every module imported so far
    (-1, but 0 for the app's GUI modules) and the modules of FILED_PACKAGES still to come. The value only
    matters to a module that selects a PySide feature (``from __feature__ import snake_case``), which no
    module of the app does. Where PySide6 keeps no such dict (another version), nothing is done."""
    known = getattr(sys.modules.get("shibokensupport.feature"), "pyside_feature_dict", None)
    if not isinstance(known, dict):
        return
    gui = __name__.rpartition(".")[0]  # convdesigner.gui
    for name in list(sys.modules):
        known.setdefault(name, 0 if name.startswith(gui) else -1)
    root, top = os.path.dirname(os.path.dirname(__file__)), gui.partition(".")[0]
    for package, value in FILED_PACKAGES.items():
        known.setdefault(f"{top}.{package}", value)
        try:
            entries = list(os.scandir(os.path.join(root, *package.split("."))))
        except OSError:  # not a folder (a zipped bundle): the hook reads what it can
            continue
        for entry in entries:
            if entry.name.endswith(".py") and entry.name != "__init__.py":
                known.setdefault(f"{top}.{package}.{entry.name[:-3]}", value)


def _application(offscreen: bool):
    if offscreen and "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QCoreApplication

    spare_pyside_source_reads()
    from PySide6.QtWidgets import QApplication

    from .settings import APPLICATION, ORGANISATION
    from .theme import apply_theme

    app = QApplication.instance()
    if app is None:
        QCoreApplication.setOrganizationName(ORGANISATION)
        QCoreApplication.setApplicationName(APPLICATION)
        app = QApplication(sys.argv[:1])
        app.setApplicationDisplayName("convdesigner")
        app.setDesktopFileName("convdesigner")
    apply_theme(app)  # type: ignore[arg-type]
    return app


def run_app(file: str | None, screenshot: str | None = None, select: str | None = None) -> int:
    """Open the main window on FILE (or the default example); with ``screenshot``, save a PNG of the window
    and return 0 instead of running the event loop. ``select`` names a layer to select first. Returns 1
    (after saying why) for a file that cannot be read with ``screenshot``, or no display to open a window on."""
    with collector_paused(freeze=True):
        opened = _open_window(file, screenshot, select)
    if isinstance(opened, int):
        return opened
    app, window, problem = opened
    if screenshot is not None:
        return _save_screenshot(app, window, screenshot)
    from PySide6.QtCore import QTimer

    from .main_window import after_first_paint

    def after_the_first_frame() -> None:
        from .recovery import offer_recovery  # its dialogs are not in the first frame

        with collector_paused(freeze=True):
            window.load_plots()
        offer_recovery(window)

    window.show()
    after_first_paint(window, after_the_first_frame)  # the docks, their charts, then any recovery to offer
    if problem:
        QTimer.singleShot(0, lambda: _say_not_opened(window, problem))
    return app.exec()


def _say_not_opened(window, problem: str) -> None:
    from PySide6.QtWidgets import QMessageBox  # (its class and enums are not needed before the first frame)

    QMessageBox.critical(window, "Cannot open the design", problem)


def _open_window(file: str | None, screenshot: str | None, select: str | None):
    """The application and its main window on FILE (or the design it opens without one), not shown yet, with
    the message to show for a FILE that could not be read: (app, window, problem); or the exit status."""
    from ..io.design_file import DesignFileError, load

    design, path, problem = None, None, None
    if file is not None:
        try:
            design, path = load(file), os.path.abspath(file)
        except DesignFileError as error:
            if screenshot is not None:
                print("\n".join(one_line(m, MESSAGE_WIDTH) for m in error.messages), file=sys.stderr)
                return 1
            problem = error.text
    if screenshot is None:
        from .display import display_problem

        no_window = display_problem()
        if no_window:
            print(f"convdesigner: {no_window}", file=sys.stderr)
            return 1
    for module in BEFORE_QT:
        importlib.import_module(module)
    app = _application(offscreen=screenshot is not None)
    from .icons import application_icon
    from .main_window import MainWindow

    app.setWindowIcon(application_icon())
    if design is None and file is None and screenshot is None:
        design, path = last_design() or (None, None)
    if design is None:
        design = default_design()
    window = MainWindow(design, path, persistent=screenshot is None)
    if path and screenshot is None:
        from .settings import add_recent_file

        add_recent_file(path)
    if select is not None and problem is None and not window.select_layer(select):
        message = f"convdesigner: there is no layer named '{one_line(select, NAME_WIDTH)}' in {one_line(design.name, NAME_WIDTH)}"
        if screenshot is not None:
            print(message, file=sys.stderr)
            return 2
        window.statusBar().showMessage(message.removeprefix("convdesigner: "), 10000)
    elif select is None and design.layers:
        window.document.select([teaching_layer(window.document.analysis)])
        if file is None:
            window.statusBar().showMessage(FIRST_HINT)
    if screenshot is None:
        from .crash_dialog import install_excepthook

        install_excepthook()
    return app, window, problem


def _save_screenshot(app, window, path: str) -> int:
    """Lay the window out at SCREENSHOT_SIZE with its plots loaded, render it and save the PNG."""
    from PySide6.QtCore import Qt

    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    for _ in range(3):
        app.processEvents()
    window.load_plots()
    for _ in range(5):
        app.processEvents()
    for host in (window.rf_panel.host, window.params_panel.host):
        host.refresh_now()
    app.processEvents()
    image = window.grab()
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if not image.save(path, "PNG"):
        print(f"convdesigner: cannot write the screenshot {one_line(path, MESSAGE_WIDTH)}", file=sys.stderr)
        return 1
    window.document.undo_stack.setClean()
    window.close()
    return 0
