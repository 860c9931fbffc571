"""Memos of what the engine derives from values alone (argument checks, per-axis plans, a layer's evaluation on a
shape), keyed by value (`Layer.rule_key`), so that a design loaded again, or a layer repeated down a stack,
finds what an equal layer already gave; sized to the largest design analysed, so that re-analysing a design of
any size finds every entry it made the time before.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is for type checkers: importing it costs every command ~2 ms
    from typing import Any


#: Entries every memo may hold, at least.
MIN_ENTRIES = 8192
#: Entries per layer of the largest design analysed (a layer makes one entry in each memo it uses; the rest
#: leaves room for the layers an edit makes).
ENTRIES_PER_LAYER = 4

_capacity = MIN_ENTRIES
_memos: list[Memo] = []


def fit(layers: int) -> None:
    """Let every memo hold what a design of ``layers`` layers makes (capacities only grow)."""
    global _capacity
    _capacity = max(_capacity, ENTRIES_PER_LAYER * layers)


def capacity() -> int:
    """How many entries each memo holds before it starts afresh."""
    return _capacity


class Memo(dict):  # type: ignore[type-arg]
    """A dictionary that starts afresh when it holds `capacity()` entries (reads are plain ``dict.get``)."""

    def __init__(self) -> None:
        super().__init__()
        _memos.append(self)

    def put(self, key: Any, value: Any) -> None:
        if len(self) >= _capacity:
            self.clear()
        self[key] = value


def clear_all() -> None:
    """Empty every memo: the engine then works as on its first design (benchmarks time that)."""
    for memo in _memos:
        memo.clear()
