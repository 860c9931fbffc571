"""``convdesigner mirror FILE [-o OUT]``: append the mirrored decoder of the design's spatial encoder (on a
graph, of its main path: the branches off it are named on standard error).

The result (see `convdesigner.engine.tools.mirror`) is written as a canonical design file to standard
output, or atomically to OUT with ``-o``. Layers after the spatial encoder (Flatten, Linear, ...) are
replaced by the decoder, and a note on standard error names them.

Exit 0 when written, 1 for a file that cannot be read, a design with errors, nothing to mirror, a result
over the load limit (`design_file.MAX_FILE_BYTES`; nothing is written) or an output that cannot be written,
2 for usage errors (a missing input file, an output path that is a folder, a FIFO or a device).
"""

from __future__ import annotations

import argparse

from ..engine.analysis import analyze
from ..engine.tools.mirror import MirrorError, branches_left_out, mirror_design, spatial_encoder_end
from ..io.design_file import dumps, write_atomically
from .common import check_output_path, design_text_fits, echo, read_design_or_report, shown, write_utf8


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
    analysis = analyze(design)
    end = spatial_encoder_end(analysis)
    dropped = design.layers[end:]
    if dropped:
        names = ", ".join(f"{shown(layer.name)} ({layer.type})" for layer in dropped)
        echo(f"{options.file}: the decoder replaces the layers after the spatial encoder: {names}", err=True)
    branches = branches_left_out(analysis, 0, end - 1)
    if branches:
        echo(f"{options.file}: the decoder mirrors the main path; it leaves out the branches off it: "
             f"{', '.join(shown(name) for name in branches)}", err=True)
    text = dumps(mirrored)
    if not design_text_fits(text, "mirror"):
        return 1
    if options.output is None:
        write_utf8(text)
        return 0
    try:
        write_atomically(options.output, text)
    except OSError as error:
        echo(f"convdesigner mirror: cannot write {options.output}: {error.strerror or error}", err=True)
        return 1
    return 0
