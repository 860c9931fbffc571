"""The layering rules of DEVELOPERS.md: the engine and the command line stay free of Qt and torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE_MODULES = [
    "convdesigner.engine",
    "convdesigner.engine.numeric",
    "convdesigner.engine.frames",
    "convdesigner.engine.tools.mirror",
    "convdesigner.engine.tools.solve",
    "convdesigner.engine.tools.sizes",
    "convdesigner.io.design_file",
    "convdesigner.io.report",
    "convdesigner.io.torch_export",
    "convdesigner.io.model_import",
    "convdesigner.figures",
    "convdesigner.cli",
    "convdesigner.commands.inspect",
    "convdesigner.commands.export",
    "convdesigner.commands.mirror",
    "convdesigner.commands.solve",
    "convdesigner.commands.sizes",
    "convdesigner.commands.import_",
]


@pytest.mark.parametrize("module", PURE_MODULES)
def test_module_imports_neither_qt_nor_torch(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'torch', 'numpy'))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"{module} pulls in {out}"


def test_engine_source_has_no_qt_or_torch_imports() -> None:
    from pathlib import Path

    import convdesigner.engine as engine

    root = Path(engine.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for banned in ("PySide6", "pyqtgraph", "import torch", "from torch"):
            assert banned not in text, f"{path} mentions {banned}"


def _imports(path, package: str) -> set[str]:
    """The convdesigner modules a source file imports (also inside functions), as dotted names."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # `from . import cli` names a module
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("convdesigner")}


def test_no_import_cycles() -> None:
    """Dependencies point one way (gui -> io -> engine, commands -> io -> engine): no module imports, even
    lazily inside a function, a module that imports it back, directly or through others."""
    from pathlib import Path

    import convdesigner

    root = Path(convdesigner.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        graph[module] = _imports(path, package)
    graph = {m: {d for d in deps if d in graph and d != m and not m.startswith(d + ".")} for m, deps in graph.items()}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done:
            return
        assert module not in visiting, "import cycle: " + " -> ".join(visiting[visiting.index(module):] + [module])
        visiting.append(module)
        for dependency in sorted(graph[module]):
            visit(dependency)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def _type_name_tests(path, names: set[str]) -> list[str]:
    """Places in a source file that compare something with a layer type's name (or the start of one):
    ``x.type == "Conv2d"``, ``t in ("Concat", "Add")``, ``name.startswith("MaxPool")``, ``"Pool" in name``."""
    import ast

    def strings(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return [s for element in node.elts for s in strings(element)]
        return []

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        candidates: list[str] = []
        partial = False
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                candidates += strings(operand)
            # "Pool" in name looks for part of a name; name in ("a", "b") compares whole names
            partial = isinstance(node.left, ast.Constant) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("startswith", "endswith") and node.args):
            candidates, partial = strings(node.args[0]), True
        for text in candidates:
            if text in names or (partial and len(text) >= 3 and any(text in name for name in names)):
                found.append(f"{path.name}:{node.lineno}: {text!r}")
    return found


def test_no_module_outside_the_layer_types_tests_a_type_by_name() -> None:
    """One home per layer type: what a type is (its window, mirror, export, sizes and app rules) is declared
    by its module in engine/layers; every other module asks the type's record, never its name."""
    from pathlib import Path

    import convdesigner
    from convdesigner.engine.layers import CATALOG

    root = Path(convdesigner.__file__).parent
    names = set(CATALOG)
    found = [place for path in sorted(root.rglob("*.py")) if "layers" not in path.relative_to(root).parts
             for place in _type_name_tests(path, names)]
    assert found == []


def test_the_engine_package_exports_its_names_on_first_use() -> None:
    """`convdesigner.engine` imports the module behind an exported name when the name is first asked for: a
    fresh process importing only `engine.collector` (as the command line does) gets no analysis, and every
    name of ``__all__`` resolves to its module's object."""
    import subprocess
    import sys

    code = ("import sys; import convdesigner.engine.collector; "
            "print(sorted(m for m in sys.modules if m.startswith('convdesigner.engine.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "['convdesigner.engine.collector']"

    import convdesigner.engine as engine
    from convdesigner.engine import analysis, design, layers

    homes = {name: getattr(module, name) for module in (analysis, design, layers) for name in engine.__all__
             if hasattr(module, name)}
    assert sorted(homes) == sorted(engine.__all__)
    assert all(getattr(engine, name) is value for name, value in homes.items())
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        engine.nothing  # noqa: B018
