"""The layer catalog (`engine.layers.CATALOG`): every type its module declares, each module imported only when
one of its types is first asked for, and no list of type names kept outside the modules."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from types import SimpleNamespace

import pytest

from convdesigner.engine import layers
from convdesigner.engine.layers import CATALOG, MODULES


def _declaring_modules() -> dict[str, list[str]]:
    """Every module of engine/layers that declares layer types (has ``layer_types()``) -> its type names."""
    found = {}
    for info in pkgutil.iter_modules(layers.__path__):
        module = importlib.import_module(f"{layers.__name__}.{info.name}")
        if hasattr(module, "layer_types"):
            found[info.name] = [t.name for t in module.layer_types()]
    return found


def test_every_module_that_declares_layer_types_is_in_modules() -> None:
    declaring = _declaring_modules()
    missing = sorted(set(declaring) - set(MODULES))
    assert missing == [], (f"engine/layers/{missing[0]}.py declares layer types but the catalog never imports it: "
                           "add its name to MODULES in engine/layers/__init__.py")
    assert sorted(MODULES) == sorted(declaring), "every module of MODULES declares layer types (layer_types())"


def test_no_type_is_declared_by_two_modules() -> None:
    homes: dict[str, list[str]] = {}
    for module, names in _declaring_modules().items():
        for name in names:
            homes.setdefault(name, []).append(module)
    assert {name: found for name, found in homes.items() if len(found) > 1} == {}


def test_the_catalog_is_every_declared_type_in_the_order_of_modules() -> None:
    declaring = _declaring_modules()
    expected = [name for module in MODULES for name in declaring[module]]
    assert list(CATALOG) == expected
    assert len(CATALOG) == len(expected) and list(CATALOG.keys()) == expected
    assert [t.name for t in CATALOG.values()] == expected == [name for name, _ in CATALOG.items()]
    assert all(CATALOG[name].name == name and name in CATALOG for name in expected)
    assert sorted(dict(CATALOG)) == sorted(expected)


def test_an_unknown_name_is_refused_as_by_a_dict() -> None:
    assert CATALOG.get("Conv4d") is None and CATALOG.get("Conv4d", "x") == "x"
    assert "Conv4d" not in CATALOG and None not in CATALOG
    with pytest.raises(KeyError, match="Conv4d"):
        CATALOG["Conv4d"]
    with pytest.raises(KeyError):
        layers.layer_type("conv2d")


def _imported_after(code: str) -> list[str]:
    """The modules of MODULES a fresh process has imported after running ``code`` (with CATALOG imported)."""
    script = (f"import sys\nfrom convdesigner.engine.layers import CATALOG, MODULES\n{code}\n"
              "print(' '.join(m for m in MODULES if f'convdesigner.engine.layers.{m}' in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.split()


def test_a_module_is_imported_when_one_of_its_types_is_first_asked_for() -> None:
    """Looking a type up imports the modules of MODULES up to its own, in order, and no further; an unknown name,
    iterating or counting imports them all."""
    declaring = _declaring_modules()
    home = {name: module for module, names in declaring.items() for name in names}
    assert _imported_after("") == []
    for probe in ("CATALOG['Conv2d']", "CATALOG.get('Conv2d')", "'Conv2d' in CATALOG"):
        assert _imported_after(probe) == [home["Conv2d"]]
    last = max(home, key=lambda name: MODULES.index(home[name]))  # a type of the last module
    assert _imported_after(f"CATALOG.get({last!r})") == list(MODULES)
    for probe in ("CATALOG.get('Conv4d')", "list(CATALOG)", "len(CATALOG)", "sorted(CATALOG)"):
        assert _imported_after(probe) == list(MODULES), probe


def test_a_module_another_caller_imported_meanwhile_leaves_the_next_ones_to_import(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two lookups importing the same module at once (two threads) each add its types; neither drops the module
    after it from those still to import. Here the second lookup runs while the first one imports."""
    catalog = layers._Catalog()
    first_import = []

    def import_module(name: str) -> object:
        if not first_import:
            first_import.append(name)
            assert catalog.get("Conv2d") is not None  # another caller, importing the same module
        return importlib.import_module(name)

    monkeypatch.setattr(layers, "importlib", SimpleNamespace(import_module=import_module))
    assert catalog["Conv2d"].name == "Conv2d"
    assert list(catalog) == list(CATALOG)
