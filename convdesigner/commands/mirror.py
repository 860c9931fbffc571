"""``convdesigner mirror FILE [-o OUT]``: append the mirrored decoder of the design's spatial encoder.

The result (see `convdesigner.engine.tools.mirror`) is written as a canonical design file to standard
output, or atomically to OUT with ``-o``. Layers after the spatial encoder (Flatten, Linear, ...) are
replaced by the decoder, and a note on standard error names them.

Exit 0 when written, 1 for a file that cannot be read, a design with errors, nothing to mirror or an
output that cannot be written, 2 for usage errors (a missing input file, an output path that is a folder).
"""

from __future__ import annotations

import argparse

from ..engine.analysis import analyze
from ..engine.tools.mirror import MirrorError, mirror_design, spatial_encoder_end
from ..io.design_file import dumps, write_atomically
from .common import check_output_path, echo, read_design_or_report, shown, write_utf8


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Append the decoder that mirrors the design's encoder, back to the input shape step by "
                          "step, and print the new design file.")
    parser.add_argument("file", help="the design file (.yaml)")
    parser.add_argument("-o", "--output", metavar="OUT", help="write here (atomically) instead of to standard output")


def run(options: argparse.Namespace) -> int:
    check_output_path(options.output)
    design = read_design_or_report(options.file)
    if design is None:
        return 1
    try:
        mirrored = mirror_design(design)
    except MirrorError as error:
        echo(f"{options.file}: cannot mirror: {error}", err=True)
        return 1
    dropped = design.layers[spatial_encoder_end(analyze(design)):]
    if dropped:
        names = ", ".join(f"{shown(layer.name)} ({layer.type})" for layer in dropped)
        echo(f"{options.file}: the decoder replaces the layers after the spatial encoder: {names}", err=True)
    text = dumps(mirrored)
    if options.output is None:
        write_utf8(text)
        return 0
    try:
        write_atomically(options.output, text)
    except OSError as error:
        echo(f"convdesigner mirror: cannot write {options.output}: {error.strerror or error}", err=True)
        return 1
    return 0
