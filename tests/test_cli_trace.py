"""The trace command: one output unit's exact input positions per axis, as text and JSON, with the exit
codes of every command (0 done, 1 design problem or unreadable file, 2 usage)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from convdesigner.cli import main

CIRCULAR = """\
convdesigner: 2
name: c
input: {channels: 1, size: [8]}
layers:
  - {type: Conv1d, name: conv, out_channels: 1, kernel_size: 3, padding: 1, padding_mode: circular}
  - {type: Flatten, name: flat}
"""

SQUARE = """\
convdesigner: 2
name: s
input: {channels: 3, size: [16, 16]}
layers:
  - {type: Conv2d, name: c1, out_channels: 4, kernel_size: 3, stride: 2, padding: 2, padding_mode: reflect}
  - {type: Conv2d, name: c2, out_channels: 4, kernel_size: 1, from: input, stride: 2, padding: 1}
  - {type: Add, name: sum, from: [c1, c2]}
  - {type: Conv2d, name: broken, out_channels: 4, kernel_size: 99}
  - {type: ReLU, name: after}
"""


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "design.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_trace_prints_the_wrapped_set_of_a_circular_border(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, CIRCULAR)
    assert main(["trace", path, "--layer", "conv", "--unit", "0"]) == 0
    assert capsys.readouterr().out == "conv unit (0) of 8 depends on the input 8:\n  axis L: 0-1, 7  (3 of 8)\n"
    assert main(["trace", path, "--layer", "conv", "--unit", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"layer": "conv", "unit": [0], "inputs": [[[0, 1], [7, 7]]]}


def test_trace_follows_joins_and_reflect_borders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """sum (0, 8) reads c1's reflect window: rows -2..0 (copies of 2, 1, then 0) and columns 14..16 (16
    copies 14). c2 reads padded row -1, a zero: that path reads no input at all, so its column 15 is not
    among the dependencies either."""
    path = _write(tmp_path, SQUARE)
    assert main(["trace", path, "--layer", "sum", "--unit", "0", "8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["inputs"] == [[[0, 2]], [[14, 15]]]
    assert main(["trace", path, "--layer", "sum", "--unit", "0", "8"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "sum unit (0, 8) of 9×9 depends on the input 16×16:", "  axis H: 0-2  (3 of 16)", "  axis W: 14-15  (2 of 16)"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--layer", "sun", "--unit", "0", "0"], "has no layer named 'sun'; did you mean 'sum'?"),
    (["--layer", "sum", "--unit", "9", "0"], "--unit 9 0 is not a unit of sum's output 9×9: give 2 coordinates, "
     "0 <= I < 9, 0 <= J < 9"),
    (["--layer", "sum", "--unit", "1"], "is not a unit of sum's output 9×9"),
    (["--layer", "sum", "--unit", "-1", "0"], "is not a unit of sum's output 9×9"),
])
def test_trace_usage_errors_exit_2(tmp_path: Path, argv: list[str], message: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", _write(tmp_path, SQUARE), *argv]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and not captured.out and "Traceback" not in captured.err


def test_trace_of_a_flattened_layer_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", _write(tmp_path, CIRCULAR), "--layer", "flat", "--unit", "0"]) == 2
    assert "flat's output 8 has no spatial axes" in capsys.readouterr().err


def test_trace_of_an_uncomputed_layer_or_unreadable_file_exits_1(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, SQUARE)
    assert main(["trace", path, "--layer", "after", "--unit", "0", "0"]) == 1
    assert "after is not computed: a layer it reads has errors" in capsys.readouterr().err
    assert main(["trace", path, "--layer", "broken", "--unit", "0", "0"]) == 1
    assert "broken is not computed: broken:" in capsys.readouterr().err
    path = _write(tmp_path, "convdesigner: 2\nname: [oops\n")
    assert main(["trace", path, "--layer", "a", "--unit", "0"]) == 1
    assert capsys.readouterr().err
    assert main(["trace", str(tmp_path / "missing.yaml"), "--layer", "a", "--unit", "0"]) == 2


def test_trace_imports_neither_qt_nor_torch() -> None:
    code = ("import sys, convdesigner.commands.trace\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyqtgraph', 'torch', 'numpy'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_trace_of_a_unit_that_reads_only_zero_padding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "convdesigner: 2\nname: z\ninput: {channels: 1, size: [4, 4]}\nlayers:\n"
                            "  - {type: ZeroPad2d, name: pad, padding: 2}\n")
    assert main(["trace", path, "--layer", "pad", "--unit", "0", "3"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["  axis H: none  (0 of 4)", "  axis W: none  (0 of 4)"]
    assert main(["trace", path, "--layer", "pad", "--unit", "0", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["inputs"] == [[], []]
