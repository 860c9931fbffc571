"""The cycle collector paused over work that makes many objects and no reference cycle.

An analysis makes about one tracked object per layer (its `LayerResult`) and keeps them all to the end of the
walk. Left running, the collector's young collections fall into the walk, and on a large design the results
made early in it survive two of them and are promoted to the oldest generation, which then sets off a full
collection of the whole heap (the app's widgets included) every analysis or two: a cost per layer that grows
with the design. Paused, the walk's objects are examined once, by the first young collection after it (or
never, when they are dropped before it: an analysis refers to nothing that refers back to it).

Importing modules and building the app's window are the same kind of work: modules, classes and widgets that
live as long as the process, which the collections their allocations set off would only traverse to find no
garbage. There the pause ends by freezing what was made (`gc.freeze`), so that no later collection visits it
again, the interpreter's own at exit included.
"""

from __future__ import annotations

import gc


class collector_paused:
    """``with collector_paused():`` runs the block with the cycle collector paused; then, with ``freeze``,
    every object tracked so far is frozen, and the collector is on again only if it was on before: a nested
    pause leaves it off for the outer one, and an exception restores it too. (A class rather than a generator:
    its exit allocates nothing once the collector is on again, so no collection falls into the paused work's
    return.)"""

    __slots__ = ("_collecting", "_freeze")

    def __init__(self, *, freeze: bool = False) -> None:
        self._freeze = freeze
        self._collecting = False

    def __enter__(self) -> None:
        self._collecting = gc.isenabled()
        gc.disable()

    def __exit__(self, *exception: object) -> None:
        if self._freeze:
            gc.freeze()
        if self._collecting:
            gc.enable()
