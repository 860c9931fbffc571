"""The rows of issue 15's table: one value type and one printer, shared by every benchmark and ``run_all.py``.

A benchmark module that measures rows of the table exposes ``table_rows(quick: bool) -> list[Row]``; each row
is measured in the same run as its reference, so the ratio holds on a busy machine.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One row of the table: what was measured, its value in ``unit``, the target and which way is better."""

    what: str
    value: float
    target: float
    unit: str = "x"
    higher_is_better: bool = False
    detail: str = ""

    @property
    def met(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def formatted(self) -> str:
        sign = ">=" if self.higher_is_better else "<="
        verdict = "ok" if self.met else "MISSED"
        line = f"{self.what:64} {self.value:10.2f} {self.unit:3} {sign} {self.target:8.2f} {self.unit:3} {verdict}"
        return f"{line}\n    {self.detail}" if self.detail else line


HEADER = f"{'row':64} {'now':>14} {'target':>15} verdict"


def print_table(rows: list[Row]) -> int:
    """Print the rows under a header; 0 when every row meets its target, else 1 (a benchmark's exit status)."""
    print(HEADER)
    for row in rows:
        print(row.formatted())
    return 0 if all(row.met for row in rows) else 1
