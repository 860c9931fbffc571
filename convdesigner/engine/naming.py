"""Layer names: the generated ones (conv1, relu2, ...) and unique copies."""

from __future__ import annotations

import re
from collections.abc import Iterable

_SUFFIX = re.compile(r"[123]d$")
#: The longest layer name (characters): a PyTorch attribute name, which no one types longer. Design files
#: refuse longer names; generated names and copies stay within it.
MAX_NAME_LENGTH = 200


def _numbered(stem: str, n: int) -> str:
    """``stem`` and ``n``, the stem shortened so the name stays within MAX_NAME_LENGTH."""
    number = str(n)
    return stem[:MAX_NAME_LENGTH - len(number)] + number


def name_prefix(type_name: str) -> str:
    """The stem of generated names: Conv2d -> conv, ConvTranspose2d -> convtranspose, ReLU -> relu."""
    return _SUFFIX.sub("", type_name).lower() or "layer"


def unique_name(stem: str, taken: Iterable[str]) -> str:
    """``stem`` followed by the smallest number >= 1 that no name in ``taken`` uses."""
    used = set(taken)
    n = 1
    while _numbered(stem, n) in used:
        n += 1
    return _numbered(stem, n)


def generated_name(type_name: str, taken: Iterable[str]) -> str:
    """A fresh name for a new layer of that type."""
    return unique_name(name_prefix(type_name), taken)


def copy_name(name: str, taken: Iterable[str]) -> str:
    """A unique name for a duplicate of layer ``name`` (conv3 -> conv4 or the next free one)."""
    stem = re.sub(r"\d+$", "", name) or name
    return unique_name(stem, taken)


class NameAllocator:
    """Unique names for many new layers at once (a loaded file's unnamed layers, a mirrored decoder): the
    same names `unique_name` gives one at a time, in constant time per name (a counter per stem), where
    calling `unique_name` in a loop would cost time quadratic in the number of layers."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.taken = set(taken)
        self.next: dict[str, int] = {}

    def unique(self, stem: str) -> str:
        """``stem`` and the smallest free number, now taken."""
        n = self.next.get(stem, 1)
        while _numbered(stem, n) in self.taken:
            n += 1
        self.next[stem] = n + 1
        name = _numbered(stem, n)
        self.taken.add(name)
        return name

    def generated(self, type_name: str) -> str:
        """A fresh name for a new layer of that type (conv1, relu2, ...)."""
        return self.unique(name_prefix(type_name))

    def copy(self, name: str) -> str:
        """A fresh name for a copy of layer ``name`` (conv3 -> conv4 or the next free one)."""
        return self.unique(re.sub(r"\d+$", "", name) or name)
