"""convdesigner: design convolutional encoder/decoder stacks and see their arithmetic live."""

__version__ = "0.1.0"


def from_torch(module, input_shape):
    """Import a PyTorch module as a design: see `convdesigner.io.import_torch.from_torch` (imports torch)."""
    from .io.import_torch import from_torch as import_module

    return import_module(module, input_shape)


def from_onnx(path, input_shape=None):
    """Import an ONNX file as a design: see `convdesigner.io.import_onnx.from_onnx` (imports onnx)."""
    from .io.import_onnx import from_onnx as import_file

    return import_file(path, input_shape)
