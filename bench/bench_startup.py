"""Start-up benchmark: cold start of the installed app to its first painted window, and of the CLI.

    python bench/bench_startup.py [--runs 7] [--python PATH] [--importtime] [--rows]

Each case runs in a fresh process, several times; the table gives the median, min and max wall time, the
target and the ratio to the baseline measured in the same run:

- ``python -c pass``: the interpreter alone (the floor under every case);
- ``bare PySide6 window``: a QApplication and an empty QMainWindow to their first painted frame (the floor
  under the GUI case);
- ``plain Qt window``: a QMainWindow of the kind any desktop app shows first, none of the app's code (Fusion, a
  menu bar of three menus with shortcuts, a toolbar of text buttons, a 20-row table, two docks with a label, a
  status message) to its first painted frame: for scale, what any real window costs over the bare one (the
  ``Qt`` namespace's enum classes, fonts and text, the style's drawing); its CPU time and the GUI's ratio to it
  are printed in the start-up rows' detail;
- ``convdesigner GUI``: what ``convdesigner`` (no arguments) does, ``cli.main([])``, to the first painted
  frame of the main window on the default example; target 1.5 s;
- ``GUI, docks and plots ready``: the same start until both analysis charts (built right after the first
  frame) have painted;
- ``convdesigner inspect``: ``python -m convdesigner inspect vgg16.yaml`` to exit; target 0.3 s.

Issue 15's two start-up rows (`table_rows`, printed at the end; ``--rows`` measures and prints only them)
are CPU-time ratios to the bare window: first painted window <= 2x, docks and plots ready <= 3x.

"First painted frame": a probe (the code in PROBES, run with ``-c``; app.py is not changed for it) watches
the QApplication with an event filter (the bare window's probe creates it; the GUI's lets the start create it
as the ``convdesigner`` script does, importing PySide6 where the start does, and watches it from then on), on
the whole application only until the main window's first event and then on that window alone (a filter on the whole
application has Python wrap the receiver of every event, thousands in the GUI and a few dozen in the bare
window, work neither does by itself): at the window's first paint event it lets the paint cycle finish (a
zero timer, queued ahead of the app's own after-the-first-frame work) and then prints the monotonic clock
and leaves with ``os._exit`` (teardown is not start-up), so its CPU time is the CPU time of the start-up.
"Ready" waits the same way for both analysis charts' first paint. The clock is shared between processes,
so the time counts from just before the parent spawns the child. Every child starts as on a first start
(fresh XDG settings and data folders: the default layout on the default example). Qt runs offscreen where
there is no display (as here), on the display otherwise.

``--importtime`` also runs the GUI probe under ``python -X importtime`` and lists the slowest imports.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from table import Row, print_table

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "resources" / "examples" / "vgg16.yaml"
#: The children run outside the checkout so that they import the installed convdesigner, not ./convdesigner.
WORKDIR = tempfile.gettempdir()

#: Modules worth knowing about when they are loaded before the first paint.
HEAVY = ("numpy", "pyqtgraph", "PIL", "torch", "yaml", "shiboken6")

_FIRST_PAINT = r"""
import os, sys, time
HEAVY = HEAVY_MODULES
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

app = QApplication(sys.argv[:1])
PAINT = QEvent.Type.Paint
UPDATE = QEvent.Type.UpdateRequest
CHARTS = CHART_NAMES

class FirstPaint(QObject):
    # Watches the application until its main window's first event, then that window alone (and, to wait for
    # the charts, the charts once they exist): a filter on every event of the application would have Python
    # wrap the receiver of each of thousands of events, work the app itself never does.
    window = None
    charts = ()

    def eventFilter(self, obj, event):
        if self.window is None:
            if not (obj.isWidgetType() and obj.isWindow() and WINDOW(obj)):
                return False
            self.window = obj
            app.removeEventFilter(self)
            obj.installEventFilter(self)
        if event.type() == UPDATE and obj is self.window:
            # the app's own filters on the window (the docks are filled after the first paint) were installed
            # after this one, so they would see the paint first and queue their work before the probe's timer:
            # the probe goes first again just before the window paints
            obj.removeEventFilter(self)
            obj.installEventFilter(self)
        elif event.type() == PAINT:
            obj.removeEventFilter(self)
            if obj is self.window:
                QTimer.singleShot(0, self.find_charts if CHARTS else self.done)
            else:
                self.charts = [chart for chart in self.charts if chart is not obj]
                if not self.charts:
                    QTimer.singleShot(0, self.done)
        return False

    def find_charts(self):
        # the charts are built right after the first frame: watch them once they exist
        found = [self.window.findChild(QWidget, name) for name in CHARTS]
        if None in found:
            QTimer.singleShot(0, self.find_charts)
            return
        self.charts = found
        for chart in found:
            chart.installEventFilter(self)

    def done(self):
        painted = time.monotonic()
        heavy = sorted(m for m in sys.modules if m in HEAVY or m.startswith("PySide6.Qt"))
        print(f"painted {painted:.6f}", flush=True)
        print("loaded " + " ".join(heavy), flush=True)
        print(f"docks {getattr(self.window, 'docks_built', '-')}", flush=True)
        os._exit(0)

probe = FirstPaint()
app.installEventFilter(probe)
"""

_FIRST_PAINT = _FIRST_PAINT.replace("HEAVY_MODULES", repr(HEAVY))
_MAIN_WINDOW = "type(obj).__name__ == 'MainWindow'"
#: The watching half of the probe (after the application exists), for the GUI's probe.
_WATCH = ("from PySide6.QtCore import QEvent, QObject, QTimer\nfrom PySide6.QtWidgets import QWidget\n"
          + _FIRST_PAINT.split("app = QApplication(sys.argv[:1])\n", 1)[1])
#: The GUI's start as the ``convdesigner`` script runs it: the probe imports nothing of Qt itself, so the
#: start imports PySide6 where it does (after the engine, PyYAML and the design file: PySide6's import hook
#: then reads the source of every module imported after it); the probe starts watching the application the
#: start creates as soon as it exists (wrapping ``app._application``, which ``run_app`` calls to create it).
_GUI = r"""
import os, sys, time
import convdesigner.gui.app as start

HEAVY = HEAVY_MODULES
WATCH = WATCH_TEXT
_create = start._application

def _application(offscreen):
    global app
    app = _create(offscreen)
    exec(WATCH, globals())
    return app

start._application = _application
from convdesigner.cli import main
main([])
""".replace("HEAVY_MODULES", repr(HEAVY))

PROBES = {
    "bare": _FIRST_PAINT.replace("WINDOW(obj)", "True").replace("CHART_NAMES", "()") + r"""
from PySide6.QtWidgets import QMainWindow
window = QMainWindow()
window.resize(1200, 800)
window.show()
app.exec()
""",
    # a plain Qt window of the kind any desktop app shows first, none of the app's code: the Fusion style, a menu
    # bar (three menus of actions with shortcuts), a toolbar of text buttons, a table of 20 rows of text, two
    # docks with a label each, a status bar message: what the first frame of any real window costs over the
    # bare one (the Qt namespace's enum classes, fonts and text, the style's drawing), for scale
    "plain": _FIRST_PAINT.replace("WINDOW(obj)", "type(obj).__name__ == 'QMainWindow'").replace(
        "CHART_NAMES", "()") + r"""
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QTableView

app.setStyle("Fusion")
window = QMainWindow()
for title in ("File", "Edit", "View"):
    menu = window.menuBar().addMenu(title)
    for number in range(10):
        action = QAction(f"{title} action {number}", window)
        action.setShortcut(QKeySequence(f"Ctrl+Shift+{number}"))
        menu.addAction(action)
toolbar = window.addToolBar("Main")
for number in range(10):
    toolbar.addAction(f"Tool {number}")
model = QStandardItemModel(20, 6)
for row in range(20):
    for column in range(6):
        item = QStandardItem(f"layer {row}, value {column * row}")
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        model.setItem(row, column, item)
table = QTableView()
table.setModel(model)
window.setCentralWidget(table)
for title, area in (("Properties", Qt.DockWidgetArea.RightDockWidgetArea),
                    ("Layers", Qt.DockWidgetArea.LeftDockWidgetArea)):
    dock = QDockWidget(title, window)
    dock.setWidget(QLabel(f"The {title.lower()} of the selected layer"))
    window.addDockWidget(area, dock)
window.statusBar().showMessage("Ready")
window.resize(1200, 800)
window.show()
app.exec()
""",
    "gui": _GUI.replace("WATCH_TEXT", repr(_WATCH.replace("WINDOW(obj)", _MAIN_WINDOW).replace("CHART_NAMES", "()"))),
    # docks and plots ready: both analysis charts have painted (they are built after the first frame)
    "gui-ready": _GUI.replace("WATCH_TEXT", repr(_WATCH.replace("WINDOW(obj)", _MAIN_WINDOW).replace(
        "CHART_NAMES", "('receptiveFieldPlot', 'parametersPlot')"))),
}


@dataclass(frozen=True)
class Case:
    """One benchmark case: how to run it and its target (None: a baseline)."""

    name: str
    command: list[str]
    painted: bool  # the time is the child's 'painted' line (else the process's exit)
    target: float | None


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    if sys.platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.pop("PYTHONPATH", None)
    # an installed app starts from compiled bytecode (pip compiles it when installing, the bundle carries
    # it): the warm-up run writes it, where PYTHONDONTWRITEBYTECODE would have every run compile the app's
    # sources again (~100 ms of CPU, which the bare window, all of it in site-packages, never pays)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


#: Case name -> the notable modules its child had loaded at the first paint (last run).
LOADED: dict[str, str] = {}


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished children so far; 0 where the platform cannot say."""
    try:
        import resource
    except ImportError:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def _first_start(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """``env`` with fresh XDG settings and data folders, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as home:
        yield dict(env, XDG_CONFIG_HOME=os.path.join(home, "config"), XDG_DATA_HOME=os.path.join(home, "data"))


def measure(case: Case, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds from just before the spawn to the first painted frame (or to the exit). The CPU
    time is the child's (it leaves right after the paint), so it does not count waiting for a busy CPU.
    Every child is a first start (the default layout on the default example), whatever the user's settings,
    recent files or recovery files say, none of which is touched: its own fresh XDG settings and data
    folders (shared folders would have each GUI child leave its recovery lock for the next to clear)."""
    with _first_start(env) as env:
        cpu = _children_cpu()
        started = time.monotonic()
        run = subprocess.run(case.command, capture_output=True, text=True, env=env, cwd=WORKDIR, timeout=120)
        ended = time.monotonic()
        cpu = _children_cpu() - cpu
    if case.painted:
        lines = [line for line in run.stdout.splitlines() if line.startswith("painted ")]
        if not lines:
            raise RuntimeError(f"{case.name}: no first paint (exit {run.returncode}): {run.stderr.strip()[-800:]}")
        LOADED[case.name] = next((line[len("loaded "):] for line in run.stdout.splitlines()
                                  if line.startswith("loaded ")), "")
        return float(lines[0].split()[1]) - started, cpu
    if run.returncode != 0:
        raise RuntimeError(f"{case.name}: exit {run.returncode}: {run.stderr.strip()[-800:]}")
    return ended - started, cpu


def cases(python: str) -> list[Case]:
    return [
        Case("python -c pass", [python, "-c", "pass"], False, None),
        Case("bare PySide6 window", [python, "-c", PROBES["bare"]], True, None),
        Case("plain Qt window", [python, "-c", PROBES["plain"]], True, None),
        Case("convdesigner GUI", [python, "-c", PROBES["gui"]], True, 1.5),
        Case("GUI, docks and plots ready", [python, "-c", PROBES["gui-ready"]], True, None),
        Case("convdesigner inspect", [python, "-m", "convdesigner", "inspect", str(EXAMPLE)], False, 0.3),
    ]


BASELINES = ("python -c pass", "bare PySide6 window")

#: Issue 15's start-up rows: (case, its target as a multiple of the bare window's).
TABLE_ROWS = {
    "convdesigner GUI": ("app start to first painted window / a bare PySide6 QMainWindow shown", 2.0),
    "GUI, docks and plots ready": ("app start until docks and plots are ready / the same bare window", 3.0),
}


def table_rows(quick: bool = False, python: str = sys.executable,
               measured: dict[str, tuple[float, float]] | None = None, runs: int | None = None) -> list[Row]:
    """Issue 15's two start-up rows: the GUI's CPU time against the bare window's, measured in the same run
    (medians over fresh processes, one warm-up each; ``measured``: case -> (wall, CPU) already measured).
    CPU rather than wall time: on a shared machine the wall time mostly measures the other jobs; the
    wall-time ratio is given beside it."""
    runs = runs or (3 if quick else 7)
    if measured is None:
        env = _environment()
        by_name = {case.name: case for case in cases(python)}
        names = ("bare PySide6 window", "plain Qt window", *TABLE_ROWS)
        for name in names:
            measure(by_name[name], env)  # warm-up
        timings: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
        for _ in range(runs):  # the cases alternate, so that a busy spell of the machine falls on all of them
            for name in names:
                timings[name].append(measure(by_name[name], env))
        measured = {name: (statistics.median(w for w, _c in runs_), statistics.median(c for _w, c in runs_))
                    for name, runs_ in timings.items()}
    bare_wall, bare_cpu = measured["bare PySide6 window"]
    plain = measured.get("plain Qt window")
    rows = []
    for name, (what, target) in TABLE_ROWS.items():
        wall, cpu = measured[name]
        detail = (f"CPU {cpu * 1000:.0f} ms / {bare_cpu * 1000:.0f} ms; wall {wall * 1000:.0f} ms / "
                  f"{bare_wall * 1000:.0f} ms = {wall / bare_wall:.2f}x (medians of {runs} fresh processes)")
        if plain is not None:  # for scale: what any window with menus, a toolbar, text and docks costs
            detail += (f"; a plain Qt window (menus, a toolbar, a 20-row table, two docks) {plain[1] * 1000:.0f} ms "
                       f"= {plain[1] / bare_cpu:.2f}x the bare one, this {cpu / plain[1]:.2f}x of it")
        rows.append(Row(what, cpu / bare_cpu, target, "x", detail=detail))
    return rows


def slowest_imports(python: str, env: dict[str, str], count: int = 20) -> list[tuple[float, float, str]]:
    """(cumulative ms, self ms, module) of the GUI start's imports, slowest cumulative first, top-level
    packages and the app's own modules only."""
    with _first_start(env) as env:
        run = subprocess.run([python, "-X", "importtime", "-c", PROBES["gui"]], capture_output=True, text=True,
                             env=env, cwd=WORKDIR, timeout=120)
    rows = []
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        module = name.strip()
        depth = len(name) - len(name.lstrip())
        if depth <= 1 or module.startswith("convdesigner"):
            rows.append((int(cumulative) / 1000, int(own) / 1000, module))
    return sorted(rows, reverse=True)[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per case (default 7); the first is a warm-up")
    parser.add_argument("--python", default=sys.executable, help="the interpreter with convdesigner installed")
    parser.add_argument("--importtime", action="store_true", help="list the slowest imports of the GUI start")
    parser.add_argument("--rows", action="store_true", help="only issue 15's two start-up rows (CPU ratios)")
    options = parser.parse_args(argv)
    if options.rows:
        return print_table(table_rows(python=options.python, runs=options.runs))
    env = _environment()
    print(f"python: {options.python}   platform: {env.get('QT_QPA_PLATFORM', 'default display')}   "
          f"runs: {options.runs} (+1 warm-up, not counted)")
    rows = []
    baselines: dict[str, float] = {}
    measured: dict[str, tuple[float, float]] = {}
    failed = False
    for case in cases(options.python):
        measure(case, env)  # warm-up: the OS file cache, .pyc files
        runs = [measure(case, env) for _ in range(options.runs)]
        times = [wall for wall, _cpu in runs]
        median = statistics.median(times)
        cpu = statistics.median(cpu for _wall, cpu in runs)
        measured[case.name] = (median, cpu)
        if case.name in BASELINES:
            baselines[case.name] = median
        baseline = baselines.get("bare PySide6 window" if case.painted else "python -c pass")
        ratio = f"{median / baseline:.2f}x" if baseline and case.name not in BASELINES else ""
        verdict = "" if case.target is None else ("ok" if median < case.target else "OVER")
        failed |= verdict == "OVER"
        rows.append((case.name, median, min(times), max(times), cpu, case.target, ratio, verdict))
    print(f"\n{'case':<28}{'median':>9}{'min':>9}{'max':>9}{'CPU':>9}{'target':>9}{'vs base':>10}  verdict")
    for name, median, low, high, cpu, target, ratio, verdict in rows:
        target_text = f"{target:.2f} s" if target else "baseline" if name in BASELINES else "-"
        print(f"{name:<28}{median:>7.3f} s{low:>7.3f} s{high:>7.3f} s{cpu:>7.3f} s{target_text:>9}{ratio:>10}  "
              f"{verdict}")
    print("(wall-clock medians, min and max; CPU: the child's median user + system time, which waiting for a busy")
    print(" CPU does not inflate; vs base: the GUI against the bare PySide6 window, inspect against python -c pass)")
    for name, loaded in LOADED.items():
        print(f"loaded at the first paint of the {name}: {loaded or 'nothing notable'}")
    if options.importtime:
        print("\nslowest imports of the GUI start (python -X importtime; cumulative includes what they import):")
        print(f"{'cumulative':>11}{'self':>9}  module")
        for cumulative, own, module in slowest_imports(options.python, env):
            print(f"{cumulative:>8.1f} ms{own:>6.1f} ms  {module}")
    print()
    failed |= print_table(table_rows(measured=measured, runs=options.runs)) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
