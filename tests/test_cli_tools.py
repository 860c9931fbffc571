"""The mirror, solve and sizes commands: output, files written, exit codes (0 done, 1 design problem or no
answer, 2 usage)."""

from __future__ import annotations

from pathlib import Path

import pytest

from convdesigner.cli import main
from convdesigner.engine import analyze
from convdesigner.io.design_file import load, loads

UNET = """\
convdesigner: 1
name: UNet
input: {channels: 3, size: [SIZE, SIZE]}
layers:
  - {type: Conv2d, name: enc1, out_channels: 8, kernel_size: 3, padding: 1}
  - {type: ReLU, name: r1}
  - {type: MaxPool2d, name: pool1, kernel_size: 2}
  - {type: Conv2d, name: enc2, out_channels: 16, kernel_size: 3, padding: 1}
  - {type: ReLU, name: r2}
  - {type: MaxPool2d, name: pool2, kernel_size: 2}
  - {type: Conv2d, name: mid, out_channels: 32, kernel_size: 3, padding: 1}
  - {type: ConvTranspose2d, name: up2, out_channels: 16, kernel_size: 2, stride: 2}
  - {type: Concat, name: cat2, from: r2}
  - {type: ConvTranspose2d, name: up1, out_channels: 8, kernel_size: 2, stride: 2}
  - {type: Concat, name: cat1, from: r1}
  - {type: Conv2d, name: out, out_channels: 1, kernel_size: 1}
"""

ENCODER = """\
convdesigner: 1
name: Encoder
input: {channels: 3, size: [28, 28]}
layers:
  - {type: Conv2d, name: c1, out_channels: 8, kernel_size: 3, stride: 2, padding: 1, bias: false}
  - {type: BatchNorm2d, name: b1}
  - {type: ReLU, name: r1}
  - {type: Conv2d, name: c2, out_channels: 16, kernel_size: 3, stride: 2}
  - {type: Flatten, name: flat}
  - {type: Linear, name: fc, out_features: 10}
"""


def _write(tmp_path: Path, text: str, name: str = "design.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------------------------------------- sizes

def test_sizes_prints_multiples_per_axis(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, UNET.replace("SIZE", "64"))
    assert main(["sizes", path]) == 0
    assert capsys.readouterr().out == "H: multiples of 4 from 4 to 1024\nW: multiples of 4 from 4 to 1024\n"
    assert main(["sizes", path, "--range", "90", "110"]) == 0
    assert capsys.readouterr().out == "H: 92, 96, 100, 104, 108\nW: 92, 96, 100, 104, 108\n"


def test_sizes_of_a_mismatched_design_says_which_other_sizes_it_used(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A design with errors at its own input size exits 1 (issue 17: it exited 0), after the sizes that work
    and the error at its own size."""
    path = _write(tmp_path, UNET.replace("SIZE", "50"))
    assert main(["sizes", path, "--range", "1", "20"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ("H: 4, 8, 12, 16, 20 (with W = 4)\nW: 4, 8, 12, 16, 20 (with H = 4)\n"
                            "the design's input 50×50 does not work: the nearest input sizes that work are 48 or 52 "
                            "on H and W\n")
    assert captured.err.startswith(f"{path}: the design has errors at its input 50×50: cat2: Concat cannot join r2")


def test_sizes_none_exits_1_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, UNET.replace("SIZE", "64"))
    assert main(["sizes", path, "--range", "1", "3"]) == 1
    assert capsys.readouterr().out.startswith("H: none from 1 to 3: at 3, ")


@pytest.mark.parametrize("argv", [["sizes", "missing.yaml"], ["sizes", "PATH", "--range", "5", "2"],
                                  ["sizes", "PATH", "--range", "0", "2"], ["sizes", "PATH", "--range", "1", "100000000"]])
def test_sizes_usage_errors_exit_2(tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, UNET.replace("SIZE", "64"))
    argv = [path if a == "PATH" else str(tmp_path / a) if a.endswith(".yaml") else a for a in argv]
    assert main(argv) == 2
    assert "convdesigner sizes:" in capsys.readouterr().err


def test_unreadable_design_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "convdesigner: 1\nname: x\ninput: {channels: 1, size: [8]}\nlayers: [{type: Conv9d}]\n")
    for command in (["sizes", path], ["mirror", path], ["solve", path, "--layer", "x", "--target", "3"]):
        assert main(command) == 1
        assert "Conv9d" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------- solve

def test_solve_prints_per_axis_solutions_and_the_arguments(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, UNET.replace("SIZE", "64"))
    assert main(["solve", path, "--layer", "up2", "--target", "32", "33"]) == 0
    assert capsys.readouterr().out == (
        "up2 (ConvTranspose2d):\n"
        "  axis H: input 16 -> 32: padding 0, output_padding 0\n"
        "  axis W: input 16 -> 33: padding 0, output_padding 1\n"
        "set:\n"
        "  padding=0, output_padding=[0, 1]\n"
    )
    assert main(["solve", path, "--layer", "enc1", "--target", "64"]) == 0
    assert capsys.readouterr().out == (
        "enc1 (Conv2d):\n  axis H: input 64 -> 64: padding 1\n  axis W: input 64 -> 64: padding 1\nset:\n"
        "  padding=1\n"
    )


def test_solve_without_solution_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, UNET.replace("SIZE", "64"))
    assert main(["solve", path, "--layer", "up2", "--target", "40"]) == 1
    out = capsys.readouterr().out
    assert "axis H: input 16 -> 40: none: the target 40 is too large" in out and "set:" not in out


def test_solve_on_an_unreached_layer_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, UNET.replace("SIZE", "50"))
    assert main(["solve", path, "--layer", "out", "--target", "50"]) == 1
    assert "out is not reached" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["--layer", "upp2", "--target", "3"], "has no layer named 'upp2'; did you mean 'up2'?"),
    (["--layer", "r1", "--target", "3"], "r1 is a ReLU"),
    (["--layer", "enc1", "--target", "3", "3", "3"], "the target needs 2 sizes"),
])
def test_solve_usage_errors_exit_2(tmp_path: Path, argv: list[str], message: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, UNET.replace("SIZE", "64"))
    assert main(["solve", path, *argv]) == 2
    assert message in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ mirror

def test_mirror_prints_a_design_that_returns_to_the_input_shape(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, ENCODER)
    assert main(["mirror", path]) == 0
    captured = capsys.readouterr()
    assert "the decoder replaces the layers after the spatial encoder: flat (Flatten), fc (Linear)" in captured.err
    design = loads(captured.out)
    assert [layer.name for layer in design.layers] == ["c1", "b1", "r1", "c2", "convtranspose1", "batchnorm1",
                                                       "relu1", "convtranspose2"]
    assert analyze(design).output_shape == (3, 28, 28)


def test_mirror_writes_the_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, ENCODER)
    out = tmp_path / "mirrored.yaml"
    assert main(["mirror", path, "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert analyze(load(out)).output_shape == (3, 28, 28)
    assert main(["mirror", path, "-o", str(tmp_path)]) == 2  # a folder


def test_mirror_refuses_a_design_with_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, UNET.replace("SIZE", "50"))
    assert main(["mirror", path]) == 1
    err = capsys.readouterr().err
    assert "cannot mirror: the design has errors" in err and "cat2: Concat cannot join r2" in err
    assert main(["mirror", str(tmp_path / "missing.yaml")]) == 2


def test_the_tool_commands_import_neither_qt_nor_torch() -> None:
    import subprocess
    import sys

    code = ("import sys, convdesigner.commands.mirror, convdesigner.commands.solve, convdesigner.commands.sizes\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyqtgraph', 'torch', 'numpy'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
