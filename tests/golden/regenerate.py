"""Rewrite the golden PyTorch exports of the bundled examples, one ``<example>.py`` per
``resources/examples/<example>.yaml``, and delete goldens whose example is gone.

    python tests/golden/regenerate.py

Run it after a deliberate change to the exporter, then read the diff: it is what users will see.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
EXAMPLES = ROOT / "resources" / "examples"


def expected_goldens() -> dict[Path, str]:
    """Golden path -> the text the exporter writes today, for every bundled example."""
    from convdesigner.io.design_file import load
    from convdesigner.io.torch_export import export_torch

    return {HERE / f"{example.stem}.py": export_torch(load(example)) for example in sorted(EXAMPLES.glob("*.yaml"))}


def main() -> int:
    sys.path.insert(0, str(ROOT))  # also works from a checkout that is not installed
    goldens = expected_goldens()
    for path, text in goldens.items():
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"{'updated' if old is not None else 'created'} {path.relative_to(ROOT)}")
    for path in sorted(HERE.glob("*.py")):
        if path.name != Path(__file__).name and path not in goldens:
            path.unlink()
            print(f"deleted {path.relative_to(ROOT)} (no such example)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
