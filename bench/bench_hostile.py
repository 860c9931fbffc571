"""Hostile design files (issue 7): the CPU each takes to be refused, against its budget (one second).

    python bench/bench_hostile.py [CASE ...]

The cases are tests/test_hostile_inputs.py's. That module, run with ``--measure`` in a fresh interpreter,
forks one process per case and reports the CPU seconds ``design_file.loads`` took to refuse it and the
process's peak resident memory. The test asserts each case's outcome, message and memory; the time is
measured here, because a benchmark is not a test: a slow spell of the machine must not fail the suite. Run it
on a machine that is not otherwise busy for numbers worth quoting. The exit status is 1 when a case misses its
budget or is not refused with a DesignFileError.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from table import Row, print_table
from test_hostile_inputs import CASES, measure_in_a_fresh_interpreter


def rows(results: list[dict]) -> list[Row]:
    """One row per case: its CPU seconds against its budget (a case not refused gets an infinite time)."""
    budgets = {case.id: case.cpu_seconds for case in CASES}
    table = []
    for result in results:
        refused = result["outcome"] == "DesignFileError"
        detail = f"peak resident {result['max_rss'] / 1e6:.0f} MB" + ("" if refused else f"; {result['outcome']}")
        table.append(Row(f"refuse {result['id']}", result["cpu"] if refused else float("inf"),
                         budgets[result["id"]], "s", detail=detail))
    return table


def main(argv: list[str]) -> int:
    return print_table(rows(measure_in_a_fresh_interpreter(tuple(argv))["results"]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
