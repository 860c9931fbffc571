"""Finds the bundled resources (examples, icons, paper figures) from a checkout, a wheel or a bundle.

In the repository they live in the top-level ``resources/`` folder; the wheel and the PyInstaller bundle
ship that folder as the package ``convdesigner.resources``. Both are reached through
``importlib.resources``, with the checkout's folder as the fallback when convdesigner runs from source
without being installed.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path


def resource_root() -> Traversable:
    """The root of the bundled resources."""
    try:
        return resources.files("convdesigner.resources")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Traversable:
    node = resource_root()
    for part in parts:
        node = node / part
    return node


def examples() -> list[Traversable]:
    """The bundled example designs, sorted by file name."""
    folder = resource("examples")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)


def example(name: str) -> Traversable:
    """One bundled example by file name, with or without ``.yaml``."""
    filename = name if name.endswith(".yaml") else f"{name}.yaml"
    node = resource("examples", filename)
    if not node.is_file():
        raise FileNotFoundError(f"no bundled example named {name!r}")
    return node
