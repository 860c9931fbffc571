"""The catalog of layer types the engine knows, by PyTorch class name."""

from __future__ import annotations

from . import convolution, dense, joins, pointwise, pooling, rearranging, resampling
from .common import LayerType

CATALOG: dict[str, LayerType] = {
    t.name: t
    for module in (convolution, pooling, resampling, rearranging, pointwise, dense, joins)
    for t in module.layer_types()
}

#: Menu order of the families.
FAMILIES = (
    "Convolution", "Transposed convolution", "Pooling", "Up-sampling", "Padding", "Rearranging", "Normalisation",
    "Activation", "Dropout", "Linear", "Skip connection",
)


def layer_type(name: str) -> LayerType:
    """The layer type of that name; KeyError when unknown."""
    return CATALOG[name]


def did_you_mean(word: str, options: list[str] | tuple[str, ...]) -> str | None:
    """The closest known spelling, for error messages ("did you mean 'Conv2d'?"). A word more than twice as
    long as every option cannot be close to one, so it is not compared (difflib is quadratic in length)."""
    if not options or len(word) > 2 * max(map(len, options)):
        return None
    lowered = {o.lower(): o for o in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    import difflib  # only when a name is misspelt: not at every start of the command line

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return close[0] if close else None


__all__ = ["CATALOG", "FAMILIES", "LayerType", "did_you_mean", "layer_type"]
