"""Issue 15's whole table: every benchmark module's rows, with their targets and a verdict per row.

    python bench/run_all.py [--quick] [--only MODULE ...]

Each module below that exists and exposes ``table_rows(quick: bool = False) -> list[Row]`` (see table.py) is
imported by name and asked for its rows; each row is a ratio (or a peak) measured in the same run as its
reference, so the verdicts hold on a busy machine. ``--quick`` asks every module for fewer runs. A module that
fails is reported on standard error and counts as a missed row. The exit status is 1 when any row misses its
target (or a module failed), else 0. Benchmarks are not tests: run it on a machine that is not otherwise busy
for numbers worth quoting.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from table import Row, print_table

#: The benchmark modules, in the order of the issue's table (those not written yet are skipped).
MODULES = ("bench_gui", "bench_startup", "bench_cli", "bench_engine", "bench_sizes", "bench_animate")


def available(names: tuple[str, ...] = MODULES) -> list[str]:
    """The modules that exist and expose ``table_rows``."""
    found = []
    for name in names:
        if importlib.util.find_spec(name) is None:
            continue
        if callable(getattr(importlib.import_module(name), "table_rows", None)):
            found.append(name)
    return found


def collect(names: list[str], quick: bool) -> tuple[list[Row], list[str]]:
    """Every module's rows, and the modules that failed (their traceback printed on standard error)."""
    rows: list[Row] = []
    failed = []
    for name in names:
        started = time.monotonic()
        print(f"{name} ...", file=sys.stderr, flush=True)
        try:
            rows += importlib.import_module(name).table_rows(quick=quick)
        except Exception:  # reported, not raised: the other rows are still measured
            traceback.print_exc()
            failed.append(name)
        print(f"{name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return rows, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs per row")
    parser.add_argument("--only", nargs="+", metavar="MODULE", choices=MODULES, help="these modules only")
    options = parser.parse_args(argv)
    names = available(tuple(options.only) if options.only else MODULES)
    rows, failed = collect(names, options.quick)
    status = print_table(rows)
    skipped = [name for name in (options.only or MODULES) if name not in names]
    if skipped:
        print(f"not measured (no module, or no table_rows): {', '.join(skipped)}")
    if failed:
        print(f"failed (see standard error): {', '.join(failed)}")
    return 1 if failed else status


if __name__ == "__main__":
    sys.exit(main())
