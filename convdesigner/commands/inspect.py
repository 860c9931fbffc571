"""``convdesigner inspect FILE [--json]``: the design's table (or JSON) of shapes, fields and counts.

Exit 0 for a valid design, 1 for a design with errors or a file that cannot be read (with ``--json`` the
JSON is still printed, the problems in its ``errors``), 2 for usage errors (a missing file, a bad flag).
Never a traceback: an unexpected failure is reported in one line and exits 1.
"""

from __future__ import annotations

import argparse

from ..engine.analysis import analyze
from ..io.design_file import DesignFileError
from ..io.report import file_error_report, json_text, report, table
from .common import echo, print_file_error, read_design, stdout_is_utf8


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = "Print every layer's output shape, receptive field, parameters and MACs."
    parser.add_argument("file", help="the design file (.yaml)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def run(options: argparse.Namespace) -> int:
    try:
        design = read_design(options.file)
    except DesignFileError as error:
        if options.json:
            print(json_text(file_error_report(error.messages), ascii_only=not stdout_is_utf8()))
        else:
            print_file_error(error)
        return 1
    try:
        analysis = analyze(design)
        text = json_text(report(analysis), ascii_only=not stdout_is_utf8()) if options.json else table(analysis)
    except Exception as exc:  # a bug in convdesigner, not in the user's file: one clear line, no traceback
        echo(f"convdesigner inspect: internal error while analysing {options.file}: {type(exc).__name__}: {exc} "
             "(please report this)", err=True)
        return 1
    print(text)
    return 0 if analysis.ok else 1
