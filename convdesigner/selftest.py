"""``convdesigner --self-test``: checks an installation (wheel, editable install or bundle) offscreen.

It opens every bundled design (the examples and the paper figures), recomputes it with the engine, renders
canvas frames, writes a GIF, renders the main window, exports PyTorch code and compiles it, all into a
temporary folder (or the folder named by $CONVDESIGNER_SELFTEST_DIR, which is kept). Each check prints one
line, ``PASS``, ``FAIL`` (with what went wrong) or ``SKIP`` (with why: a part this build does not have);
the exit code is 1 when any check failed, else 0.

The network is switched off for the whole run (Python's sockets refuse to connect), so a check that needed
it would fail here instead of hanging on a machine that is offline.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"

#: Set to a folder to keep what the self-test renders (canvas frames, the GIF, the main window) for a look.
KEEP_VARIABLE = "CONVDESIGNER_SELFTEST_DIR"

#: The paper figure whose layer the GIF check animates: 4x4 input, 3x3 kernel, 2x2 output (relationship 1),
#: so its GIF has exactly four frames, one per output position.
GIF_FIGURE = "2.1"
GIF_FRAMES = 4


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: its name, PASS/FAIL/SKIP and a short detail for the user."""

    name: str
    status: str
    detail: str = ""

    @property
    def line(self) -> str:
        return f"{self.status}  {self.name}" + (f": {self.detail}" if self.detail else "")


class SkipCheck(Exception):
    """Raised by a check for a part this build does not contain."""


class NetworkUsed(OSError):
    """Raised when anything tries to open a network connection during the self-test."""


@contextlib.contextmanager
def network_disabled() -> Iterator[None]:
    """Makes every Python socket connection and name lookup fail for the duration."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NetworkUsed("the self-test tried to use the network")

    saved = (socket.socket.connect, socket.socket.connect_ex, socket.create_connection, socket.getaddrinfo)
    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]
    try:
        yield
    finally:
        (socket.socket.connect, socket.socket.connect_ex,  # type: ignore[method-assign]
         socket.create_connection, socket.getaddrinfo) = saved


def _optional_module(name: str) -> Any:
    """The module, or SkipCheck when this build does not have it (but not when it is broken)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            raise SkipCheck(f"{name} is not part of this build") from None
        raise


def _designs() -> list[tuple[str, Any]]:
    """Every bundled design as (label, Design): the examples, then the paper figures."""
    from . import figures

    designs = [(f"example {example.key}", example.load()) for example in figures.example_designs()]
    designs += [(f"paper figure {figure.figure}", figures.load_figure(figure)) for figure in figures.paper_figures()]
    return designs


class SelfTest:
    """Runs the checks in order; the later ones use the designs the first ones loaded."""

    def __init__(self, folder: Path, report: Callable[[CheckResult], None]) -> None:
        self.folder = folder
        self.report = report
        self.results: list[CheckResult] = []
        self.designs: list[tuple[str, Any]] = []

    def check(self, name: str, function: Callable[[], str | None]) -> None:
        """Runs one check and reports it on one line."""
        try:
            result = CheckResult(name, PASS, function() or "")
        except SkipCheck as exc:
            result = CheckResult(name, SKIP, str(exc))
        except Exception as exc:  # a self-test reports every failure instead of stopping at the first
            result = CheckResult(name, FAIL, _describe(exc))
        self.results.append(result)
        self.report(result)

    def check_each(self, name: str, items: list[tuple[str, Any]], function: Callable[[Any], str | None]) -> None:
        """Runs one check over many designs: one PASS line for all, or one FAIL line per design that failed."""
        failures: list[CheckResult] = []
        try:
            for label, item in items:
                try:
                    function(item)
                except SkipCheck:
                    raise
                except Exception as exc:
                    failures.append(CheckResult(f"{name}: {label}", FAIL, _describe(exc)))
        except SkipCheck as exc:
            failures = [CheckResult(name, SKIP, str(exc))]
        if not items:
            failures = [CheckResult(name, FAIL, "nothing to check")]
        results = failures or [CheckResult(name, PASS, f"{len(items)} designs")]
        for result in results:
            self.results.append(result)
            self.report(result)

    # --- the checks -------------------------------------------------------------------------------------

    def load_designs(self) -> str:
        self.designs = _designs()
        examples = sum(label.startswith("example") for label, _ in self.designs)
        if not examples or examples == len(self.designs):
            raise AssertionError(f"expected examples and paper figures, found {len(self.designs)} designs")
        return f"{examples} examples, {len(self.designs) - examples} paper figures"

    def analyze_design(self, design: Any) -> str:
        from .engine.analysis import analyze

        analysis = analyze(design)
        if not analysis.ok:
            raise AssertionError("; ".join(d.text for d in analysis.errors))
        return f"{len(analysis.layers)} layers, output {'x'.join(map(str, analysis.output_shape or ()))}"

    def icons(self) -> str:

        from . import assets

        folder = assets.resource("icons")
        names = sorted(node.name for node in folder.iterdir() if node.name.startswith("convdesigner"))
        if "convdesigner.svg" not in names or not any(n.endswith(".png") for n in names):
            raise AssertionError(f"the icon files are missing (found {names})")
        icon = _app_icon()
        if icon.isNull() or icon.pixmap(32, 32).isNull():
            raise AssertionError("Qt cannot read the application icon")
        return f"{len(names)} files"

    def canvas_frames(self) -> str:
        from PySide6.QtWidgets import QApplication

        from . import figures
        from .engine.analysis import analyze

        canvas_module = _optional_module("convdesigner.gui.canvas")
        widget = canvas_module.CanvasWidget()
        widget.resize(800, 520)
        shown: list[tuple[str, Any, int, str]] = []
        for figure in figures.paper_figures():
            analysis = analyze(figures.load_figure(figure))
            index = [layer.name for layer in analysis.layers].index(figure.layer)
            shown.append((f"figure-{figure.figure}", analysis, index, figure.view))
        for label, design in self.designs:  # the examples' largest windows: 224x224 inputs stay paintable
            if label.startswith("example "):
                analysis = analyze(design)
                for result in analysis.layers:
                    if result.computed and result.geometry:
                        shown.append((label.removeprefix("example ") + "-" + result.name, analysis, result.index,
                                      "direct"))
                        break
        for name, analysis, index, view in shown:
            widget.show_layer(analysis, index)
            if hasattr(widget, "set_view") and view != "direct":
                widget.set_view("direct" if view == "transposed" else view)
            QApplication.processEvents()
            image = widget.grab().toImage()
            if image.isNull() or _is_blank(image):
                raise AssertionError(f"{name}: the canvas painted nothing")
            path = self.folder / f"canvas-{name}.png"
            if not image.save(str(path)):
                raise AssertionError(f"cannot write {path}")
        widget.close()
        widget.deleteLater()
        return f"{len(shown)} frames ({type(widget).__module__}.{type(widget).__name__})"

    def gif(self) -> str:
        from . import figures

        animate = _optional_module("convdesigner.commands.animate")
        figure = figures.paper_figure(GIF_FIGURE)
        source = self.folder / figure.file
        source.write_bytes(figure.resource.read_bytes())
        target = self.folder / "figure-2.1.gif"
        parser = argparse.ArgumentParser(prog="convdesigner animate")
        animate.add_parser(parser)
        with contextlib.redirect_stdout(_Discard()):
            code = animate.run(parser.parse_args([str(source), "--layer", figure.layer, "-o", str(target)]))
        if code != 0:
            raise AssertionError(f"'convdesigner animate' exited with {code}")
        from PIL import Image

        with Image.open(target) as image:
            frames = getattr(image, "n_frames", 1)
            size = image.size
        if frames != GIF_FRAMES:
            raise AssertionError(f"expected {GIF_FRAMES} frames (one per output position), found {frames}")
        return f"{frames} frames of {size[0]}x{size[1]}, {target.stat().st_size} bytes"

    def main_window(self) -> str:
        app_module = _optional_module("convdesigner.gui.app")
        from PySide6.QtCore import QSettings

        # The app remembers recent files and window state: keep the self-test's out of the user's settings.
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(self.folder / "settings"))
        path = self.folder / "main-window.png"
        with contextlib.redirect_stdout(_Discard()):
            code = app_module.run_app(None, screenshot=str(path), select=None)
        if code != 0 or not path.is_file():
            raise AssertionError(f"the main window did not render (exit code {code})")
        from PySide6.QtGui import QImage

        image = QImage(str(path))
        if image.isNull() or _is_blank(image):
            raise AssertionError("the main window's screenshot is blank")
        return f"{image.width()}x{image.height()} with the default example"

    def torch_export(self, design: Any) -> str:
        exporter = _optional_module("convdesigner.io.torch_export")
        code = exporter.export_torch(design)
        if not isinstance(code, str) or "torch" not in code:
            raise AssertionError("the exporter returned no PyTorch code")
        compile(code, f"<{design.name}.py>", "exec")
        return f"{len(code.splitlines())} lines compile"

    # --- the run ----------------------------------------------------------------------------------------

    def run(self) -> None:
        from PySide6.QtWidgets import QApplication

        self.check("bundled designs load", self.load_designs)
        self.check_each("analysis without errors", self.designs, self.analyze_design)
        app = QApplication.instance() or QApplication([sys.argv[0], "-platform", "offscreen"])
        app.setApplicationName("convdesigner")
        self.check("application icon", self.icons)
        self.check("canvas frames (paper figures, examples)", self.canvas_frames)
        self.check(f"GIF of paper figure {GIF_FIGURE}", self.gif)
        self.check("main window renders", self.main_window)
        self.check_each("PyTorch export compiles", self.designs, self.torch_export)


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def _app_icon() -> Any:
    """The window's icon as the app builds it (gui.icons), or from the PNGs when the GUI is not built."""
    try:
        from .gui.icons import application_icon
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("convdesigner.gui"):
            raise
    else:
        return application_icon()
    from PySide6.QtGui import QIcon, QPixmap

    from . import assets

    icon = QIcon()
    for node in assets.resource("icons").iterdir():
        if node.name.startswith("convdesigner-") and node.name.endswith(".png"):
            pixmap = QPixmap()
            pixmap.loadFromData(node.read_bytes(), "PNG")
            icon.addPixmap(pixmap)
    return icon


def _describe(exc: BaseException) -> str:
    """The exception's type, message and the line that raised it, on one line."""
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    place = f" ({Path(where.filename).name}:{where.lineno})" if where else ""
    return f"{type(exc).__name__}: {exc}{place}".replace("\n", " ")


def _is_blank(image: Any) -> bool:
    """True when every pixel of a sample grid has the same colour: nothing was drawn."""
    step_x, step_y = max(1, image.width() // 40), max(1, image.height() // 40)
    first = image.pixel(0, 0)
    return all(image.pixel(x, y) == first for x in range(0, image.width(), step_x)
               for y in range(0, image.height(), step_y))


def run_self_test() -> int:
    """Runs every check offscreen with the network disabled; prints one line per check; 0 when none failed."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before the first Qt import: no display needed or used
    from . import __version__

    started = time.perf_counter()
    print(f"convdesigner {__version__} self-test ({sys.executable})", flush=True)
    keep = os.environ.get(KEEP_VARIABLE)
    with contextlib.ExitStack() as stack:
        if keep:
            folder = Path(keep)
            folder.mkdir(parents=True, exist_ok=True)
            print(f"writing to {folder}", flush=True)
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="convdesigner-selftest-")))
        stack.enter_context(network_disabled())
        test = SelfTest(folder, lambda result: print(result.line, flush=True))
        test.run()
    failed = [r for r in test.results if r.status == FAIL]
    skipped = [r for r in test.results if r.status == SKIP]
    passed = len(test.results) - len(failed) - len(skipped)
    elapsed = time.perf_counter() - started
    print(f"{passed} passed, {len(failed)} failed, {len(skipped)} skipped in {elapsed:.1f} s", flush=True)
    return 1 if failed else 0
