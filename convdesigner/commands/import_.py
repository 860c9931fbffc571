"""``convdesigner import SOURCE [--input C SIZE [SIZE ...]] [-o design.yaml] [--kwargs JSON]``: open a model.

SOURCE is ``path/to/file.py:Name`` or ``package.module:Name`` (a ``torch.nn.Module`` subclass or a function
returning one, called with ``--kwargs``; ``--input`` is required). The design's YAML goes to standard output,
or atomically to ``-o``; every problem the import met goes to standard error, one a line. Exit 0 imported, 1
imported with problems, 2 usage error or nothing importable. torch is imported only here, when the command
runs; without it the command says which extra to install.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..cli import UsageError
from ..io.design_file import dumps, write_atomically
from ..io.model_import import ImportResult, MissingDependency
from .common import check_output_path
from .export import _write_stdout


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Open a PyTorch model as a design: SOURCE is path/to/file.py:Name or package.module:Name, "
                          "a torch.nn.Module subclass or a function returning one.")
    parser.add_argument("source", help="FILE.py:Name or package.module:Name")
    parser.add_argument("--input", nargs="+", type=int, metavar="N",
                        help="one sample's shape: channels, then 1 to 3 spatial sizes (e.g. --input 3 224 224)")
    parser.add_argument("-o", "--output", metavar="OUT", help="write the design here (atomically) instead of to "
                        "standard output")
    parser.add_argument("--kwargs", metavar="JSON", default="{}",
                        help="the constructor's keyword arguments as a JSON object (default: none)")


def _kwargs(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"--kwargs is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise UsageError(f"--kwargs must be a JSON object such as '{{\"num_classes\": 10}}', not {text}")
    return value


def _input_shape(values: list[int] | None) -> tuple[int, ...]:
    if values is None:
        raise UsageError("--input is required for a Python model: channels, then 1 to 3 spatial sizes "
                         "(e.g. --input 3 224 224)")
    if not 2 <= len(values) <= 4 or min(values) < 1:
        raise UsageError(f"--input {' '.join(map(str, values))}: give the channels, then 1 to 3 spatial sizes, all "
                         "positive (e.g. --input 3 224 224)")
    return tuple(values)


def _import_python(options: argparse.Namespace) -> ImportResult | None:
    """The import of a Python source; None after printing why nothing could be imported."""
    try:
        from ..io import import_torch
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != "torch":
            raise
        raise MissingDependency("PyTorch", "torch") from None
    try:
        model = import_torch.load_model(options.source, _kwargs(options.kwargs))
    except import_torch.SourceError as error:
        where = f" ({error.source})" if error.source else ""
        print(f"convdesigner import: {error.message}{where}", file=sys.stderr)
        return None
    return import_torch.from_torch(model, _input_shape(options.input))


def run(options: argparse.Namespace) -> int:
    check_output_path(options.output)
    _input_shape(options.input)
    _kwargs(options.kwargs)
    try:
        result = _import_python(options)
    except MissingDependency as error:
        print(f"convdesigner import: {error}", file=sys.stderr)
        return 2
    if result is None:
        return 2
    for problem in result.problems:
        print(f"convdesigner import: {problem.text}", file=sys.stderr)
    if result.design is None:
        print(f"convdesigner import: nothing in {options.source} could be imported", file=sys.stderr)
        return 2
    text = dumps(result.design)
    if options.output is None:
        _write_stdout(text)
    else:
        try:
            write_atomically(options.output, text)
        except OSError as error:
            print(f"convdesigner import: cannot write {options.output}: {error.strerror or error}", file=sys.stderr)
            return 1
    if result.problems:
        print(f"convdesigner import: imported with {len(result.problems)} problem"
              f"{'' if len(result.problems) == 1 else 's'} (listed above)", file=sys.stderr)
    return result.exit_code
