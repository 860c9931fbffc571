"""``convdesigner solve FILE --layer NAME --target N [N ...]``: the paddings that give a convolution or
transposed convolution the target output size.

One target value applies to every spatial axis; otherwise give one per axis. Prints, per axis, the
solutions smallest first (or why there are none), then the whole-layer choices as the arguments to set.

Exit 0 when every axis has a solution, 1 when some axis has none, the file cannot be read or the layer is
not reached because of an earlier error, 2 for usage errors (a missing file, an unknown layer, a layer that
is not a convolution, a wrong number of target sizes).
"""

from __future__ import annotations

import argparse

from ..cli import UsageError
from ..engine.analysis import analyze
from ..engine.tools.solve import SolveError, SolveResult, solve_padding
from .common import echo, layer_index, read_design_or_report, shown

#: Whole-layer choices printed at most.
SHOWN = 6


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = "List the paddings (and output paddings) with which one layer reaches a target size."
    parser.add_argument("file", help="the design file (.yaml)")
    parser.add_argument("--layer", required=True, metavar="NAME", help="the convolution or transposed convolution")
    parser.add_argument("--target", required=True, type=int, nargs="+", metavar="N",
                        help="the output size: one for every axis, or one per axis")


def format_result(result: SolveResult) -> list[str]:
    """The solve as lines of text: per axis, then the whole-layer choices."""
    lines = [f"{shown(result.layer)} ({result.type}):"]
    for axis in result.axes:
        head = f"  axis {axis.name}: input {axis.input_size} -> {axis.target}:"
        if not axis.solutions:
            lines.append(f"{head} none: {axis.reason}")
            continue
        lines.append(f"{head} " + "; ".join(s.text for s in axis.solutions))
    if result.ok:
        lines.append("set:")
        lines += [f"  {choice.text}" for choice in result.solutions[:SHOWN]]
    return lines


def run(options: argparse.Namespace) -> int:
    design = read_design_or_report(options.file)
    if design is None:
        return 1
    layer_index(design, options.layer, options.file)
    analysis = analyze(design)
    index = design.index_of(options.layer)
    result = analysis.layers[index]
    target = tuple(options.target)
    if result.input_shape is not None and len(target) == 1:
        target *= len(result.input_shape) - 1
    try:
        solved = solve_padding(analysis, index, target)
    except SolveError as error:
        if result.input_shape is None:
            echo(f"{options.file}: {error}", err=True)
            return 1
        raise UsageError(str(error)) from None
    echo(*format_result(solved))
    return 0 if solved.ok else 1
