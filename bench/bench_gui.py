"""GUI responsiveness (issue 15): an edit, a selection and opening a design, each until every view is updated.

    python bench/bench_gui.py [--runs 15] [--only edit-200 ...] [--profile edit-200|edit-1000|back-200|...|select|open]

A main window (offscreen unless there is a display, 1600 x 960, plots loaded) on the 10-layer block of
bench_engine.py repeated to 200 or 1,000 layers (convolution, batch norm, ReLU, max pooling, transposed
convolution, strided convolution, up-sampling: every panel has something to show). Each case is timed in CPU
time of this process (``time.process_time``, which waiting for a busy CPU does not inflate) from the user's
action until the views are updated: the document's signals delivered, then the event loop run for SETTLE_MS
(the plots' coalescing timer fired, every pending paint done; waiting costs no CPU time). The cases:

* ``edit-200`` / ``edit-1000``: the first layer's kernel size set through the properties panel (3 -> 5 and
  back, alternately), the worst single edit: every later row's shape, counts and receptive field change. Before
  each timed edit, an untimed one sets the layer's out_channels to a value never used before (40, 41, ...), so
  the timed edit always reaches a design never shown before: no view's cache of earlier results (the tables'
  row pixels, the canvas's frames, the charts' pictures, the engine's memos) can serve it, as for a user's
  edit to a new value;
* ``back-200`` / ``back-1000`` (printed in the edit rows' detail): the same kernel edit set back and forth with
  nothing in between, what an undo or a redo does: the views' caches of results shown before serve it;
* ``new-200`` / ``new-1000`` (not issue 15's rows, measured on request with ``--only``): the first layer's
  out_channels set to a value never shown before (33, 34, 35, ...), an edit that changes no shape;
* ``select``: another layer selected (the stack, the properties, the canvas, both tables and both plots follow),
  200 layers;
* ``select-first`` (not a row of the table; its median is printed in the select row's detail): layers never
  selected before, 13 rows apart, each a scroll: what the views keep of layers shown before cannot serve;
* ``open``: a 1,000-layer design opened (File > Open without the file: `MainWindow.open_design`), which
  selects its first layer.

The event loop's own idle cost over the same settling (nothing done) is measured too and printed; it is small
and included in the numbers (what the user waits for includes it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench_engine import stack
from table import Row, print_table

#: How long the event loop runs after an action (longer than any timer the views start).
SETTLE_MS = 150
TARGETS_MS = {"edit-200": 16.0, "edit-1000": 33.0, "select": 8.0, "open": 150.0}
WINDOW_SIZE = (1600, 960)


def application():
    from PySide6.QtWidgets import QApplication

    from convdesigner.gui.app import _application

    return QApplication.instance() or _application(offscreen=False)


def settle() -> None:
    """Run the event loop for SETTLE_MS: every signal delivered, every timer the views started fired (the
    plots coalesce edits over 30 ms), every paint done. Waiting costs no CPU time."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(SETTLE_MS, loop.quit)
    loop.exec()


def window_on(design):
    """A shown main window on ``design`` with its plots loaded, settled."""
    from convdesigner.gui.main_window import MainWindow

    application()
    window = MainWindow(design, persistent=False)
    window.resize(*WINDOW_SIZE)
    window.show()
    settle()
    window.load_plots()
    settle()
    return window


def cpu_ms(action: Callable[[], object]) -> float:
    """CPU milliseconds of ``action`` and of settling the event loop after it."""
    start = time.process_time()
    action()
    settle()
    return (time.process_time() - start) * 1000


def idle_ms() -> float:
    """CPU milliseconds of settling alone (nothing to do)."""
    return cpu_ms(lambda: None)


def edit_case(layers: int, runs: int, kind: str = "kernel") -> list[float]:
    """The first layer's kernel size 3 -> 5 -> 3 ..., each time on a design never shown before (``kernel``: an
    untimed edit of its out_channels to a new value first) or set back and forth (``back``); or (``new``) its
    out_channels 33, 34, 35, ..."""
    window = window_on(stack(layers))
    window.document.select([0])
    settle()
    timings = []
    for run in range(runs + 1):
        name, value = ("out_channels", 33 + run) if kind == "new" else ("kernel_size", 5 if run % 2 == 0 else 3)
        if kind == "kernel":
            window.properties.set_argument("out_channels", 40 + run)
            settle()
        timing = cpu_ms(lambda name=name, value=value: window.properties.set_argument(name, value))
        if run:  # the first edit builds what later ones reuse
            timings.append(timing)
    assert window.document.design.layers[0].get(name) == value
    _close(window)
    return timings


def select_case(runs: int) -> list[float]:
    window = window_on(stack(200))
    positions = [4, 7, 120, 7, 4, 150, 0, 199]
    window.document.select([positions[-1]])
    settle()
    timings = []
    for run in range(runs + 1):
        row = positions[run % len(positions)]
        timing = cpu_ms(lambda row=row: window.document.select([row]))
        if run:
            timings.append(timing)
    _close(window)
    return timings


def first_select_case(runs: int) -> list[float]:
    """Layers never selected before, going down the 200-layer stack 13 rows at a time (every type of the block in
    turn, each a scroll), once a layer of each type was shown: nothing the views keep of a layer shown before
    (the canvas's frames, the tables' row pixels) can serve, as on a user's first pass over a design."""
    window = window_on(stack(200))
    for row in range(10):  # a layer of each type of the block shown once: the panels' forms built
        window.document.select([row])
        settle()
    timings = [cpu_ms(lambda row=row: window.document.select([row])) for row in range(16, 200, 13)[:runs + 1]]
    _close(window)
    return timings[1:]


def open_case(runs: int) -> list[float]:
    window = window_on(stack(10))
    timings = []
    for run in range(runs + 1):
        design = stack(1000, tag=f"r{run}")  # new layer objects every time, as loading a file makes
        timing = cpu_ms(lambda design=design: window.open_design(design))
        if run:
            timings.append(timing)
    _close(window)
    return timings


def _close(window) -> None:
    window.document.undo_stack.setClean()
    window.close()
    window.deleteLater()
    settle()


CASES: dict[str, Callable[[int], list[float]]] = {
    "edit-200": lambda runs: edit_case(200, runs),
    "edit-1000": lambda runs: edit_case(1000, runs),
    "select": select_case,
    "open": open_case,
}
#: Cases measured only when asked for (``--only``, ``--profile``): not rows of issue 15's table.
EXTRA_CASES: dict[str, Callable[[int], list[float]]] = {
    "back-200": lambda runs: edit_case(200, runs, "back"),
    "back-1000": lambda runs: edit_case(1000, runs, "back"),
    "new-200": lambda runs: edit_case(200, runs, "new"),
    "new-1000": lambda runs: edit_case(1000, runs, "new"),
    "select-first": first_select_case,
}

ROW_TEXT = {
    "edit-200": "edit one argument -> every view updated, 200 layers",
    "edit-1000": "edit one argument -> every view updated, 1,000 layers",
    "select": "select a layer -> everything updated (200 layers)",
    "open": "open a 1,000-layer design",
    "back-200": "the kernel edit set back and forth (undo, redo), 200 layers",
    "back-1000": "the kernel edit set back and forth (undo, redo), 1,000 layers",
    "new-200": "edit to a value never shown before, 200 layers",
    "new-1000": "edit to a value never shown before, 1,000 layers",
    "select-first": "select a layer never selected before (200 layers)",
}
TARGETS_MS.update({"back-200": TARGETS_MS["edit-200"], "back-1000": TARGETS_MS["edit-1000"],
                   "new-200": TARGETS_MS["edit-200"], "new-1000": TARGETS_MS["edit-1000"],
                   "select-first": TARGETS_MS["select"]})


def measure(runs: int) -> dict[str, list[float]]:
    return {name: case(runs) for name, case in CASES.items()}


def table_rows(quick: bool = False, measured: dict[str, list[float]] | None = None) -> list[Row]:
    """Issue 15's edit, select and open rows: median CPU ms over the runs, against the targets."""
    measured = measured or measure(5 if quick else 15)
    rows = []
    for name, timings in measured.items():
        detail = (f"CPU ms over {len(timings)} runs: median {statistics.median(timings):.1f}, "
                  f"min {min(timings):.1f}, max {max(timings):.1f}")
        if name == "select" and "select-first" not in measured:  # what the layers' first selections cost
            first = first_select_case(5 if quick else 15)
            detail += f"; layers never selected before: median {statistics.median(first):.1f}"
        back = name.replace("edit-", "back-")
        if name.startswith("edit-") and back not in measured:  # what an undo or a redo of the edit costs
            again = EXTRA_CASES[back](5 if quick else 15)
            detail += f"; set back and forth (undo, redo): median {statistics.median(again):.1f}"
        rows.append(Row(ROW_TEXT[name], statistics.median(timings), TARGETS_MS[name], "ms", detail=detail))
    return rows


def profile(name: str, runs: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile(time.process_time)  # CPU time, as the cases are timed
    profiler.enable()
    {**CASES, **EXTRA_CASES}[name](runs)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--profile", choices=[*CASES, *EXTRA_CASES])
    parser.add_argument("--only", choices=[*CASES, *EXTRA_CASES], action="append")
    options = parser.parse_args()
    if options.profile:
        profile(options.profile, options.runs)
        return 0
    application()
    print(f"event loop idle over one settling: {statistics.median(idle_ms() for _ in range(5)):.2f} CPU ms")
    measured = {name: {**CASES, **EXTRA_CASES}[name](options.runs) for name in (options.only or CASES)}
    return print_table(table_rows(measured=measured))


if __name__ == "__main__":
    sys.exit(main())
