"""``convdesigner sizes FILE [--range LOW HIGH]``: per axis, the input sizes for which the design works
cleanly (every layer valid, no input dropped by a stride, every skip connection matching), compactly;
then, when the design's own input size does not work, the nearest sizes that do.

Exit 0 when every axis has valid sizes in the range and the design works at its own input size, 1 when
some axis has none, the design has errors at its own input size (the first is named on standard error) or
the file cannot be read, 2 for usage errors (a missing file, a bad range).
"""

from __future__ import annotations

import argparse

from ..cli import UsageError
from ..engine.analysis import analyze
from ..engine.design import axis_name
from ..engine.tools.sizes import (
    DEFAULT_HIGH,
    DEFAULT_LOW,
    MAX_SIZES,
    check_range,
    input_size_suggestion,
    input_sizes,
)
from .common import echo, read_design_or_report


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Print, per spatial axis, the input sizes for which every layer is valid, no stride drops "
                          "input and every skip connection matches.")
    parser.add_argument("file", help="the design file (.yaml)")
    parser.add_argument("--range", nargs=2, type=int, default=(DEFAULT_LOW, DEFAULT_HIGH), metavar=("LOW", "HIGH"),
                        help=f"the sizes to try (default {DEFAULT_LOW} {DEFAULT_HIGH}; at most {MAX_SIZES:,} sizes)")


def run(options: argparse.Namespace) -> int:
    low, high = options.range
    try:
        check_range(low, high)
    except ValueError as error:
        raise UsageError(f"--range {low} {high}: {error}") from None
    design = read_design_or_report(options.file)
    if design is None:
        return 1
    report = input_sizes(design, low, high)
    ndim = design.input.ndim
    for axis in report:
        line = f"{axis.name}: {axis.description}"
        if ndim > 1 and axis.others != tuple(design.input.size):
            others = ", ".join(f"{axis_name(a, ndim)} = {v}" for a, v in enumerate(axis.others) if a != axis.axis)
            line += f" (with {others})"
        echo(line)
    hint = input_size_suggestion(design)
    if hint:
        echo(f"the design's input {'×'.join(map(str, design.input.size))} does not work: {hint}")
    errors = analyze(design).errors
    if errors:
        echo(f"{options.file}: the design has errors at its input {'×'.join(map(str, design.input.size))}: "
             f"{errors[0].text}", err=True)
    return 0 if all(axis.sizes for axis in report) and not errors else 1
