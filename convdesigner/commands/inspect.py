"""``convdesigner inspect FILE [--json]``: the design's table (or JSON) of shapes, fields and counts.

Exit 0 for a valid design, 1 for a design with errors or a file that cannot be read, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json

from ..engine.analysis import analyze
from ..io.design_file import DesignFileError
from ..io.report import report, table
from .common import print_file_error, read_design


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = "Print every layer's output shape, receptive field, parameters and MACs."
    parser.add_argument("file", help="the design file (.yaml)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def run(options: argparse.Namespace) -> int:
    try:
        design = read_design(options.file)
    except DesignFileError as error:
        if options.json:
            print(json.dumps({"name": None, "input": None, "output": None, "total_params": None,
                              "total_macs": None, "total_activations": None,
                              "errors": [error.format(p) for p in error.problems], "layers": []}, indent=2))
        else:
            print_file_error(error)
        return 1
    analysis = analyze(design)
    if options.json:
        print(json.dumps(report(analysis), indent=2, ensure_ascii=False))
    else:
        print(table(analysis))
    return 0 if analysis.ok else 1
