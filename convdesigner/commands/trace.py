"""``convdesigner trace FILE --layer NAME --unit I [J [K]] [--json]``: the network-input positions one
output unit of a layer depends on, exactly, per axis (`Analysis.dependencies`, the function the canvas's
click-to-trace uses).

Positions are 0-based input units, the borders counted: zero padding reads nothing, and a padded cell of a
reflect, replicate or circular border counts as the input unit it copies, so a circular border can give a
wrapped set such as 0-1, 7. The JSON is ``{"layer", "unit", "inputs"}`` with ``inputs`` one list of
``[lo, hi]`` runs per axis (every list empty when the unit reads no input at all).

Exit 0 with the dependencies, 1 when the file cannot be read or the layer is not computed because of
design errors (or its field is not tracked), 2 for usage errors (a missing file, an unknown layer, a unit
outside the layer's output or with the wrong number of coordinates, a layer whose output has no spatial
axes).
"""

from __future__ import annotations

import argparse
import json
import sys

from ..cli import UsageError
from ..engine.design import axis_name
from ..engine.receptive_field import Runs
from .common import analysed_layer, echo, shown


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = "Print the input positions, per axis, that one output unit of a layer depends on."
    parser.add_argument("file", help="the design file (.yaml)")
    parser.add_argument("--layer", required=True, metavar="NAME", help="the layer whose output unit to trace")
    parser.add_argument("--unit", required=True, type=int, nargs="+", metavar="I",
                        help="the output unit: one 0-based coordinate per spatial axis")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def runs_text(runs: Runs) -> str:
    """Runs as people read them: 0-1, 7."""
    return ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in runs) or "none"


def run(options: argparse.Namespace) -> int:
    located = analysed_layer(options.file, options.layer)
    if located is None:
        return 1
    analysis, result = located
    design, index = analysis.design, result.index
    if not result.computed:
        problems = [d.text for d in result.errors] or ["a layer it reads has errors"]
        echo(f"{options.file}: {shown(options.layer)} is not computed: {'; '.join(problems)}", err=True)
        return 1
    size = result.output_shape[1:]  # type: ignore[index]
    unit = tuple(options.unit)
    if not size:
        raise UsageError(f"{options.layer}'s output {result.output_shape[0]} has no spatial axes (after "  # type: ignore[index]
                         "Flatten or Linear): every unit depends on the whole input")
    if len(unit) != len(size) or any(not 0 <= u < n for u, n in zip(unit, size)):
        bounds = ", ".join(f"0 <= {letter} < {n}" for letter, n in zip("IJK", size))
        raise UsageError(f"--unit {' '.join(map(str, unit))} is not a unit of {options.layer}'s output "
                         f"{'×'.join(map(str, size))}: give {len(size)} coordinate{'s' if len(size) > 1 else ''}, "
                         f"{bounds}")
    found = analysis.dependencies(index, unit)
    if found is None:
        print(f"{options.file}: the receptive field is not tracked up to {shown(options.layer)} (see its warnings)",
              file=sys.stderr)
        return 1
    if options.json:
        print(json.dumps({"layer": options.layer, "unit": list(unit),
                          "inputs": [[[lo, hi] for lo, hi in runs] for runs in found]}))
        return 0
    print(f"{shown(options.layer)} unit ({', '.join(map(str, unit))}) of {'×'.join(map(str, size))} depends on "
          f"the input {'×'.join(map(str, design.input.size))}:")
    for axis, runs in enumerate(found):
        count = sum(hi - lo + 1 for lo, hi in runs)
        print(f"  axis {axis_name(axis, len(found))}: {runs_text(runs)}  ({count} of {design.input.size[axis]})")
    return 0
