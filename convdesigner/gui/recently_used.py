"""A few values kept by key, the least recently used dropped first: what the views keep of what they drew
or measured (pixels of scroll bar positions, labels and charts, label sizes, the canvas's field tables)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class RecentlyUsed(OrderedDict, Generic[K, V]):
    """An OrderedDict of at most ``limit`` entries, least recently used first."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def recall(self, key: K) -> V | None:
        """The value kept for ``key`` (None: none), now the most recently used."""
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def keep(self, key: K, value: V) -> V:
        """Keep ``value`` for ``key`` as the most recently used, dropping the least recently used beyond the
        limit; returns ``value``."""
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)
        return value
