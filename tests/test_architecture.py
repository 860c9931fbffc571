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
    "convdesigner.figures",
    "convdesigner.cli",
    "convdesigner.commands.inspect",
    "convdesigner.commands.export",
    "convdesigner.commands.mirror",
    "convdesigner.commands.solve",
    "convdesigner.commands.sizes",
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
