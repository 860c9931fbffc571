"""convdesigner: design convolutional encoder/decoder stacks and see their arithmetic live."""

from __future__ import annotations

import os
from collections.abc import Sequence

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms
if TYPE_CHECKING:  # torch and onnx are imported only when an import runs
    from torch import nn

    from .io.model_import import ImportResult

__version__ = "0.1.0"


def from_torch(module: nn.Module, input_shape: Sequence[int]) -> ImportResult:
    """Import a PyTorch module as a design: see `convdesigner.io.import_torch.from_torch` (imports torch)."""
    from .io.import_torch import from_torch as import_module

    return import_module(module, input_shape)


def from_onnx(path: str | os.PathLike[str], input_shape: Sequence[int] | None = None) -> ImportResult:
    """Import an ONNX file as a design: see `convdesigner.io.import_onnx.from_onnx` (imports onnx)."""
    from .io.import_onnx import from_onnx as import_file

    return import_file(path, input_shape)
