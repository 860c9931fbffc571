"""``convdesigner import SOURCE [--input C SIZE [SIZE ...]] [-o design.yaml] [--kwargs JSON] [--weights PT]``.

SOURCE is ``path/to/file.py:Name`` or ``package.module:Name`` (a ``torch.nn.Module`` subclass or a function
returning one, called with ``--kwargs``; ``--input`` is required), or ``model.onnx`` (the input shape comes
from the file; ``--input`` replaces a dynamic one). The design's YAML goes to standard output, or atomically to
``-o``; ``--weights`` writes the state_dict that the design's PyTorch export loads; every problem the import met
goes to standard error, one a line. Exit 0 imported, 1 imported with problems, 2 usage error or nothing
importable. torch and onnx are imported only here, when the command runs; without them the command says
which extra to install.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Any

from ..cli import UsageError
from ..io.design_file import dumps, write_atomically
from ..io.model_import import ImportResult, MissingDependency
from ..io.torch_export import ExportError
from .common import check_output_path
from .export import _write_stdout


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Open a PyTorch model or an ONNX file as a design: SOURCE is path/to/file.py:Name or "
                          "package.module:Name (a torch.nn.Module subclass or a function returning one), or "
                          "model.onnx.")
    parser.add_argument("source", help="FILE.py:Name, package.module:Name or FILE.onnx")
    parser.add_argument("--input", nargs="+", type=int, metavar="N",
                        help="one sample's shape: channels, then 1 to 3 spatial sizes (e.g. --input 3 224 224)")
    parser.add_argument("-o", "--output", metavar="OUT", help="write the design here (atomically) instead of to "
                        "standard output")
    parser.add_argument("--kwargs", metavar="JSON", default="{}",
                        help="the constructor's keyword arguments as a JSON object (default: none)")
    parser.add_argument("--weights", metavar="PT", help="also write the state_dict that the design's PyTorch "
                        "export loads (torch.save), from the model or the ONNX file's initializers")


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


def _module(name: str, package: str, extra: str) -> Any:
    """``convdesigner.io.NAME``, or MissingDependency when the package it needs is not installed."""
    try:
        return __import__(f"convdesigner.io.{name}", fromlist=[name])
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in (package, "numpy"):
            raise
        raise MissingDependency(package, extra) from None


def _import_python(options: argparse.Namespace) -> tuple[ImportResult, Any] | None:
    """The import of a Python source and the state_dict to write; None after printing why nothing could be
    imported."""
    import_torch = _module("import_torch", "torch", "torch")
    try:
        model = import_torch.load_model(options.source, _kwargs(options.kwargs))
    except import_torch.SourceError as error:
        where = f" ({error.source})" if error.source else ""
        print(f"convdesigner import: {error.message}{where}", file=sys.stderr)
        return None
    result = import_torch.from_torch(model, _input_shape(options.input))
    return result, (lambda: model.state_dict())


def _import_onnx(options: argparse.Namespace) -> tuple[ImportResult, Any]:
    import_onnx = _module("import_onnx", "onnx", "onnx")
    if not os.path.isfile(options.source):
        raise UsageError(f"no such file: {options.source}")
    shape = None if options.input is None else _input_shape(options.input)
    result = import_onnx.from_onnx(options.source, shape)
    return result, (lambda: import_onnx.state_dict(options.source, result))


def _save_weights(path: str, state: Any) -> None:
    """torch.save, atomically (a temporary file beside the target, then renamed)."""
    torch = _module("import_torch", "torch", "torch").torch
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    os.close(handle)
    try:
        torch.save(state, temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def run(options: argparse.Namespace) -> int:
    check_output_path(options.output)
    check_output_path(options.weights)
    onnx_source = options.source.lower().endswith(".onnx")
    if not onnx_source:
        _input_shape(options.input)
    _kwargs(options.kwargs)
    try:
        imported = _import_onnx(options) if onnx_source else _import_python(options)
    except MissingDependency as error:
        print(f"convdesigner import: {error}", file=sys.stderr)
        return 2
    if imported is None:
        return 2
    result, weights = imported
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
    if options.weights is not None:
        try:
            _save_weights(options.weights, weights())
        except (ExportError, MissingDependency, OSError) as error:
            print(f"convdesigner import: the weights were not written: {error}", file=sys.stderr)
            return 1
    if result.problems:
        print(f"convdesigner import: imported with {len(result.problems)} problem"
              f"{'' if len(result.problems) == 1 else 's'} (listed above)", file=sys.stderr)
    return result.exit_code
