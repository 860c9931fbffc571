"""Layer names: the generated ones (conv1, relu2, ...) and unique copies."""

from __future__ import annotations

import re
from collections.abc import Iterable

_SUFFIX = re.compile(r"[123]d$")


def name_prefix(type_name: str) -> str:
    """The stem of generated names: Conv2d -> conv, ConvTranspose2d -> convtranspose, ReLU -> relu."""
    return _SUFFIX.sub("", type_name).lower() or "layer"


def unique_name(stem: str, taken: Iterable[str]) -> str:
    """``stem`` followed by the smallest number >= 1 that no name in ``taken`` uses."""
    used = set(taken)
    n = 1
    while f"{stem}{n}" in used:
        n += 1
    return f"{stem}{n}"


def generated_name(type_name: str, taken: Iterable[str]) -> str:
    """A fresh name for a new layer of that type."""
    return unique_name(name_prefix(type_name), taken)


def copy_name(name: str, taken: Iterable[str]) -> str:
    """A unique name for a duplicate of layer ``name`` (conv3 -> conv4 or the next free one)."""
    stem = re.sub(r"\d+$", "", name) or name
    return unique_name(stem, taken)
