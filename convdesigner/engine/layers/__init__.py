"""The catalog of layer types the engine knows, by PyTorch class name.

Each module of MODULES declares its types (its ``layer_types()``) and is their one home. The catalog imports
a module when a name is asked for that the modules imported so far do not declare, looking through MODULES in
order: a command reading a design of convolutions, pooling and activations imports no up-sampling, padding
or rearranging rules. Listing or counting the types imports every module. No list of type names is kept
anywhere but in the modules themselves.
"""

from __future__ import annotations

import importlib
from collections.abc import ItemsView, Iterator, KeysView, ValuesView

from .common import LayerType

#: The modules that declare layer types, in the order a name is looked for, which is also the order the
#: catalog lists them: the commonest types first (and of those the cheapest to import: normalisation and
#: activations before pooling), so that a design of them imports no other module.
MODULES = ("convolution", "pointwise", "pooling", "dense", "joins", "resampling", "rearranging")


class _Catalog(dict[str, LayerType]):
    """A dict of every layer type by name that imports the module declaring a type when the type is first
    asked for (`MODULES`, in order, until one declares it): looking a name up, ``get`` and ``in`` import no
    more than they must; an unknown name imports every module before it is refused, and iterating or
    counting imports every module first, so the catalog always reads as the complete dict, in MODULES order."""

    def __init__(self) -> None:
        super().__init__()
        self._pending = list(MODULES)

    def _import_next(self) -> bool:
        """Import the next module of MODULES and add its types; False when every one is imported."""
        if not self._pending:
            return False
        name = self._pending[0]
        module = importlib.import_module(f"{__name__}.{name}")
        for layer_type in module.layer_types():
            self.setdefault(layer_type.name, layer_type)
        if self._pending and self._pending[0] == name:  # another thread may have added it meanwhile
            self._pending.pop(0)
        return True

    def _import_all(self) -> None:
        while self._import_next():
            pass

    def __missing__(self, name: str) -> LayerType:
        while self._import_next():
            if dict.__contains__(self, name):
                return dict.__getitem__(self, name)
        raise KeyError(name)

    def get(self, name: str, default: LayerType | None = None) -> LayerType | None:  # type: ignore[override]
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name: object) -> bool:
        try:
            self[name]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        self._import_all()
        return super().__iter__()

    def __len__(self) -> int:
        self._import_all()
        return super().__len__()

    def keys(self) -> KeysView[str]:
        self._import_all()
        return super().keys()

    def values(self) -> ValuesView[LayerType]:
        self._import_all()
        return super().values()

    def items(self) -> ItemsView[str, LayerType]:
        self._import_all()
        return super().items()

    def __repr__(self) -> str:
        self._import_all()
        return super().__repr__()


CATALOG: dict[str, LayerType] = _Catalog()

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


__all__ = ["CATALOG", "FAMILIES", "MODULES", "LayerType", "did_you_mean", "layer_type"]
