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
import tempfile
from typing import Any

from ..cli import UsageError
from ..io.design_file import dumps, write_atomically
from ..io.model_import import MissingDependency, import_source, is_onnx_source
from ..io.torch_export import ExportError
from .common import check_output_path, echo, write_utf8


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


def _save_weights(path: str, state: Any) -> None:
    """torch.save, atomically (a temporary file beside the target, then renamed)."""
    import torch  # present: the state_dict is made of its tensors

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
    onnx_source = is_onnx_source(options.source)
    shape = _input_shape(options.input) if options.input is not None or not onnx_source else None
    try:
        result, weights = import_source(options.source, shape, _kwargs(options.kwargs))
    except MissingDependency as error:
        echo(f"convdesigner import: {error}", err=True)
        return 2
    for problem in result.problems:
        echo(f"convdesigner import: {problem.text}", err=True)
    if result.design is None:
        echo(f"convdesigner import: nothing in {options.source} could be imported", err=True)
        return 2
    text = dumps(result.design)
    if options.output is None:
        write_utf8(text)
    else:
        try:
            write_atomically(options.output, text)
        except OSError as error:
            echo(f"convdesigner import: cannot write {options.output}: {error.strerror or error}", err=True)
            return 1
    if options.weights is not None and weights is not None:
        try:
            _save_weights(options.weights, weights())
        except (ExportError, MissingDependency, OSError) as error:
            echo(f"convdesigner import: the weights were not written: {error}", err=True)
            return 1
    if result.problems:
        echo(f"convdesigner import: imported with {len(result.problems)} problem"
             f"{'' if len(result.problems) == 1 else 's'} (listed above)", err=True)
    return result.exit_code
