"""Encoder/decoder tools: mirror, solve, valid input sizes.

`solvable` lives here rather than in `solve`: the main window asks it for every selection, from its first
frame on, as the properties' Solve button does, and importing it costs no more than the layer catalog
(`solve` itself defines the solver's results, imported when padding is first solved).
"""

from __future__ import annotations

from ..layers import CATALOG
from ..layers.common import CONVOLUTION, TRANSPOSED


def solvable(type_name: str) -> bool:
    """Whether padding can be solved for layers of this type: convolutions and transposed convolutions."""
    layer_type = CATALOG.get(type_name)
    return layer_type is not None and layer_type.window in (CONVOLUTION, TRANSPOSED)
