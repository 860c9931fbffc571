"""convdesigner's shape engine: pure Python, no Qt, no torch.

The arithmetic of Dumoulin & Visin (2016) per axis (`arithmetic`), the layer types with PyTorch's
arguments and rules (`layers`), and the analysis of a whole design (`analysis`): shapes, parameter and
MAC counts, receptive fields (`receptive_field`) and diagnostics.
"""

from .analysis import Analysis, Diagnostic, LayerResult, ReceptiveField, analyze
from .design import Design, InputSpec, Layer, axis_name
from .layers import CATALOG, FAMILIES, layer_type

__all__ = [
    "CATALOG", "FAMILIES", "Analysis", "Design", "Diagnostic", "InputSpec", "Layer", "LayerResult",
    "ReceptiveField", "analyze", "axis_name", "layer_type",
]
