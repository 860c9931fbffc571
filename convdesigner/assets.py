"""Finds the bundled resources (examples, icons, paper figures) from a checkout, a wheel or a bundle.

In the repository they live in the top-level ``resources/`` folder; the wheel and the PyInstaller bundle
ship that folder as the package ``convdesigner.resources``. Both are reached as that package's folder
(through ``importlib.resources`` where the package is not a folder on disk, e.g. in a zip), with the
checkout's folder as the fallback when convdesigner runs from source without being installed.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing importlib.abc imports importlib.resources (~3 ms of every start)
    from importlib.abc import Traversable

#: The examples in the order File > New from Template lists them; the first opens by default.
EXAMPLE_ORDER = ("dcgan-generator", "dcgan-discriminator", "conv-autoencoder", "unet-small", "residual-unet",
                 "resnet18", "alexnet", "vgg16")


def resource_root() -> Traversable:
    """The root of the bundled resources: the folder of the package ``convdesigner.resources``, as
    ``importlib.resources.files`` gives it for a package on disk (importing importlib.resources, with
    tempfile, shutil and the archive modules, cost every start ~3 ms of CPU for that), else what
    ``importlib.resources`` gives."""
    try:
        package = importlib.import_module("convdesigner.resources")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "resources"
    where = getattr(package, "__file__", None)
    if where and os.path.isfile(where):
        return Path(where).parent
    from importlib import resources

    return resources.files(package)


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
