"""convdesigner's shape engine: pure Python, no Qt, no torch.

The arithmetic of Dumoulin & Visin (2016) per axis (`arithmetic`), the layer types with PyTorch's
arguments and rules (`layers`), and the analysis of a whole design (`analysis`): shapes, parameter and
MAC counts, receptive fields (`receptive_field`) and diagnostics.

The names below are imported from their modules when first asked for, so that importing one module of the
engine (the command line's `collector`, say) does not import the whole analysis.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .analysis import Analysis, Diagnostic, LayerResult, ReceptiveField, analyze
    from .design import Design, InputSpec, Layer, axis_name
    from .layers import CATALOG, FAMILIES, layer_type

#: Each name the package exports, with the module that defines it.
_HOMES = {
    "Analysis": "analysis", "Diagnostic": "analysis", "LayerResult": "analysis", "ReceptiveField": "analysis",
    "analyze": "analysis", "Design": "design", "InputSpec": "design", "Layer": "design", "axis_name": "design",
    "CATALOG": "layers", "FAMILIES": "layers", "layer_type": "layers",
}

__all__ = [
    "CATALOG", "FAMILIES", "Analysis", "Design", "Diagnostic", "InputSpec", "Layer", "LayerResult",
    "ReceptiveField", "analyze", "axis_name", "layer_type",
]


def __getattr__(name: str) -> object:
    """An exported name, imported from its module on first use (PEP 562) and kept in the package after."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value
