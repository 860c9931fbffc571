"""``convdesigner export FILE --to torch|yaml [-o OUT]``: the design as PyTorch code or as its canonical file.

``--to torch`` writes one self-contained Python module (see `convdesigner.io.torch_export`); ``--to yaml``
writes the canonical design file, what Save writes. The result goes to standard output, or atomically to
OUT with ``-o``. A design the engine refuses is not exported in either form.

Exit 0 when written, 1 for a file that cannot be read, a design with errors, a design file over the load
limit (`design_file.MAX_FILE_BYTES`; nothing is written) or an output that cannot be written, 2 for usage
errors (a missing input file, an output path that is a folder, a FIFO or a device).
"""

from __future__ import annotations

import argparse

from ..engine.analysis import analyze
from ..io.design_file import dumps, write_atomically
from ..io.torch_export import ExportError, export_torch
from .common import check_output_path, design_text_fits, echo, read_design_or_report, write_utf8

FORMATS = ("torch", "yaml")


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Export a design as a PyTorch module (--to torch) or as its canonical design file "
                          "(--to yaml).")
    parser.add_argument("file", help="the design file (.yaml)")
    parser.add_argument("--to", required=True, choices=FORMATS, help="what to write")
    parser.add_argument("-o", "--output", metavar="OUT", help="write here (atomically) instead of to standard output")


def _errors(path: str, messages: list[str]) -> int:
    echo(f"{path}: the design has errors and was not exported:", *(f"{path}: {m}" for m in messages), err=True)
    return 1


def run(options: argparse.Namespace) -> int:
    check_output_path(options.output)
    design = read_design_or_report(options.file)
    if design is None:
        return 1
    if options.to == "torch":
        try:
            text = export_torch(design)
        except ExportError as error:
            return _errors(options.file, error.messages)
    else:
        analysis = analyze(design)
        if not analysis.ok:
            return _errors(options.file, [d.text for d in analysis.errors])
        text = dumps(design)
        if not design_text_fits(text, "export"):
            return 1
    if options.output is None:
        write_utf8(text)
        return 0
    try:
        write_atomically(options.output, text)
    except OSError as error:
        echo(f"convdesigner export: cannot write {options.output}: {error.strerror or error}", err=True)
        return 1
    return 0
