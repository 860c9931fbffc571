"""The cycle collector paused over a walk that makes many objects and no reference cycle.

An analysis makes about one tracked object per layer (its `LayerResult`) and keeps them all to the end of the
walk. Left running, the collector's young collections fall into the walk, and on a large design the results
made early in it survive two of them and are promoted to the oldest generation, which then sets off a full
collection of the whole heap (the app's widgets included) every analysis or two: a cost per layer that grows
with the design. Paused, the walk's objects are examined once, by the first young collection after it (or
never, when they are dropped before it: an analysis refers to nothing that refers back to it).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def without_collections(work: Callable[[], T]) -> T:
    """``work()`` with the cycle collector paused, and then on again only if it was on before: a nested call
    leaves it off for the outer one, and an exception restores it too."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return work()
    finally:
        if collecting:
            gc.enable()
