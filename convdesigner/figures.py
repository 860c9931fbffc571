"""The bundled designs: the example templates (File > New from template) and the paper-figure gallery.

The gallery holds one design per numbered figure of Dumoulin & Visin, "A guide to convolution arithmetic for
deep learning" (chapters 1-5), listed in ``resources/examples/paper/index.yaml``. Each entry names the design's
file, the layer to select, how the canvas opens it (``view``: ``direct``, ``transposed`` for the equivalent
direct convolution, or ``scatter``), whether it opens in the numbers mode, whether the channel planes are
stacked (figure 1.3), and for the numerical figures (1.1, 1.2, 1.5, 1.6) the paper's own input, kernel and
printed output values. Pure Python: no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.abc import Traversable
from typing import Any

import yaml

from . import assets
from .assets import EXAMPLE_ORDER
from .engine.design import Design
from .io.design_file import loads

VIEWS = ("direct", "transposed", "scatter")


Grid = tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class FigureValues:
    """A numerical figure's own numbers: the input, the kernel (convolutions only) and the output as the
    paper prints it (average pooling rounded to one decimal there)."""

    input: Grid
    kernel: Grid | None
    output: Grid


@dataclass(frozen=True)
class PaperFigure:
    """One figure of the paper as a ready design: what the gallery lists and how the canvas opens it."""

    figure: str  # the paper's number: "2.1", "2.8a"
    chapter: int
    title: str
    file: str  # the design's file name in resources/examples/paper/
    layer: str  # the layer to select (the figure's convolution, pooling or transposed convolution)
    view: str  # one of VIEWS
    numbers: bool = False
    channels_stacked: bool = False
    values: FigureValues | None = None

    @property
    def label(self) -> str:
        """'Figure 2.1', or 'Figure 2.8 (a)' for a lettered part."""
        if self.figure[-1].isalpha():
            return f"Figure {self.figure[:-1]} ({self.figure[-1]})"
        return f"Figure {self.figure}"

    @property
    def resource(self) -> Traversable:
        """The design file, wherever the resources live (checkout, wheel or bundle)."""
        return assets.resource("examples", "paper", self.file)


@dataclass(frozen=True)
class ExampleDesign:
    """One bundled example design: its name and description as the file gives them, and where it is."""

    key: str  # the file name without .yaml
    name: str
    description: str
    path: Traversable

    def load(self) -> Design:
        return _read(self.path)


def _read(node: Traversable) -> Design:
    return loads(node.read_bytes(), source=str(node))


def _grid(value: Any, where: str) -> Grid:
    if not isinstance(value, list) or not value or not all(isinstance(row, list) and row for row in value):
        raise ValueError(f"{where}: expected a list of rows of numbers")
    if len({len(row) for row in value}) != 1:
        raise ValueError(f"{where}: the rows differ in length")
    for row in value:
        for cell in row:
            if isinstance(cell, bool) or not isinstance(cell, (int, float)):
                raise ValueError(f"{where}: {cell!r} is not a number")
    return tuple(tuple(row) for row in value)


_FIELDS = {"figure": str, "chapter": int, "title": str, "file": str, "layer": str, "view": str,
           "numbers": bool, "channels_stacked": bool, "values": dict}
_REQUIRED = ("figure", "chapter", "title", "file", "layer", "view")


def _figure(entry: Any, position: int) -> PaperFigure:
    where = f"paper/index.yaml entry {position}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a mapping")
    for key, value in entry.items():
        kind = _FIELDS.get(key)
        if kind is None:
            raise ValueError(f"{where}: unknown key {key!r}")
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{where}: {key} must be {kind.__name__}, not {value!r}")
    missing = [key for key in _REQUIRED if key not in entry]
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")
    if entry["view"] not in VIEWS:
        raise ValueError(f"{where}: view must be one of {', '.join(VIEWS)}, not {entry['view']!r}")
    values = None
    if "values" in entry:
        raw = entry["values"]
        unknown = set(raw) - {"input", "kernel", "output"}
        if unknown or "input" not in raw or "output" not in raw:
            raise ValueError(f"{where}: values holds input, output and (for a convolution) kernel")
        kernel = _grid(raw["kernel"], f"{where} kernel") if "kernel" in raw else None
        values = FigureValues(_grid(raw["input"], f"{where} input"), kernel, _grid(raw["output"], f"{where} output"))
    fields = {key: value for key, value in entry.items() if key != "values"}
    return PaperFigure(**fields, values=values)


def paper_figures() -> list[PaperFigure]:
    """Every figure of the gallery, in the paper's order (chapters 1-5). Reads the bundled index each call
    (it is small); a broken index is a packaging bug and raises ValueError naming the entry."""
    text = assets.resource("examples", "paper", "index.yaml").read_text(encoding="utf-8")
    entries = yaml.safe_load(text)
    if not isinstance(entries, list):
        raise ValueError("paper/index.yaml: expected a list of figures")
    figures = [_figure(entry, n) for n, entry in enumerate(entries, start=1)]
    numbers = [f.figure for f in figures]
    if len(set(numbers)) != len(numbers):
        raise ValueError("paper/index.yaml: a figure is listed twice")
    return figures


def paper_figure(number: str) -> PaperFigure:
    """One figure by its number ("2.1", "2.8a"); KeyError when the paper has no such figure."""
    for figure in paper_figures():
        if figure.figure == number:
            return figure
    raise KeyError(f"no paper figure {number!r}")


def load_figure(figure: PaperFigure) -> Design:
    """The figure's design, ready to open with ``figure.layer`` selected."""
    return _read(figure.resource)


def _example(key: str, node: Traversable) -> ExampleDesign:
    design = _read(node)
    return ExampleDesign(key, design.name, design.description, node)


def example_designs() -> list[ExampleDesign]:
    """The bundled example designs (not the paper figures): the order of EXAMPLE_ORDER first, then any
    others by file name. Each file is read once to give its name and description."""
    files = {node.name[: -len(".yaml")]: node for node in assets.examples()}
    keys = [key for key in EXAMPLE_ORDER if key in files] + sorted(set(files) - set(EXAMPLE_ORDER))
    return [_example(key, files[key]) for key in keys]


def default_example() -> ExampleDesign:
    """The example the app opens when no file is given: the DCGAN generator (the first of EXAMPLE_ORDER)."""
    key = EXAMPLE_ORDER[0]
    return _example(key, assets.example(key))
