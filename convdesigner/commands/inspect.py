"""``convdesigner inspect FILE [--json]``: the design's table (or JSON) of shapes, fields and counts.

Exit 0 for a valid design, 1 for a design with errors or a file that cannot be read (with ``--json`` the
JSON is still printed, the problems in its ``errors``), 2 for usage errors (a missing file, a bad flag).
Never a traceback: an unexpected failure is reported in one line and exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..engine.analysis import analyze
from ..io.design_file import DesignFileError
from ..io.report import file_error_report, report, table
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
            print(json.dumps(file_error_report(error.messages), indent=2, ensure_ascii=False))
        else:
            print_file_error(error)
        return 1
    try:
        analysis = analyze(design)
        text = json.dumps(report(analysis), indent=2, ensure_ascii=False) if options.json else table(analysis)
    except Exception as exc:  # a bug in convdesigner, not in the user's file: one clear line, no traceback
        print(f"convdesigner inspect: internal error while analysing {options.file}: {type(exc).__name__}: {exc} "
              "(please report this)", file=sys.stderr)
        return 1
    print(text)
    return 0 if analysis.ok else 1
