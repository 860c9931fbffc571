"""`convdesigner animate` and the GIF export: frame counts, size, looping, the frame cap, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from convdesigner.cli import main
from convdesigner.engine.analysis import analyze
from convdesigner.engine.design import Design, InputSpec, Layer

Image = pytest.importorskip("PIL.Image")

# Painting needs a Qt application; the command creates one only when none exists (a real run).
pytestmark = pytest.mark.usefixtures("qapp")

DESIGN = """\
convdesigner: 1
name: Figures
input: {channels: 1, size: [4, 4]}
layers:
  - {type: Conv2d, name: conv, out_channels: 1, kernel_size: 3}
  - {type: ReLU, name: relu}
  - {type: ConvTranspose2d, name: up, out_channels: 1, kernel_size: 3, stride: 2}
"""


@pytest.fixture
def design_file(tmp_path: Path) -> Path:
    path = tmp_path / "figures.yaml"
    path.write_text(DESIGN, encoding="utf-8")
    return path


def frames_of(path: Path) -> tuple[int, tuple[int, int], dict]:
    with Image.open(path) as image:
        return getattr(image, "n_frames", 1), image.size, dict(image.info)


def test_one_frame_per_output_position(design_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "conv.gif"
    code = main(["animate", str(design_file), "--layer", "conv", "-o", str(out), "--size", "640x360", "--fps", "4"])
    assert code == 0
    count, size, info = frames_of(out)
    assert count == 4  # figure 2.1: a 2x2 output
    assert size == (640, 360)
    assert info["loop"] == 0 and info["duration"] == 250
    assert "4 frames, one per step" in capsys.readouterr().out


def test_scatter_view_has_one_frame_per_input_position(design_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "up.gif"
    assert main(["animate", str(design_file), "--layer", "up", "-o", str(out), "--view", "scatter"]) == 0
    assert frames_of(out)[0] == 4  # the transposed layer reads a 2x2 input
    out = tmp_path / "up-direct.gif"
    assert main(["animate", str(design_file), "--layer", "up", "-o", str(out), "--size", "320x200"]) == 0
    assert frames_of(out)[:2] == (25, (320, 200))  # figure 4.5: a 5x5 output


def test_frames_beyond_the_cap_are_sampled_evenly(tmp_path: Path) -> None:
    from convdesigner.gui.canvas.export import GIF_FRAME_CAP, gif_steps, write_gif
    from convdesigner.gui.canvas.layout import CanvasModel, PaintState

    steps = gif_steps(1000)
    assert len(steps) == GIF_FRAME_CAP == 400
    assert steps[0] == 0 and steps[-1] == 999 and steps == sorted(set(steps))
    assert gif_steps(12) == list(range(12))
    analysis = analyze(Design("d", InputSpec(1, (8, 8)), (Layer.make("Conv2d", "c", {"out_channels": 1,
                                                                                       "kernel_size": 3}),)))
    result = write_gif(CanvasModel(analysis, 0), PaintState(), str(tmp_path / "c.gif"), size=(200, 120), cap=10)
    assert (result.frames, result.steps, result.sampled) == (10, 36, True)
    assert "sampled evenly from 36 steps" in result.note
    assert frames_of(tmp_path / "c.gif")[0] == 10


def test_cancelling_removes_the_partial_file(tmp_path: Path) -> None:
    from convdesigner.gui.canvas.export import ExportCancelled, write_gif
    from convdesigner.gui.canvas.layout import CanvasModel, PaintState

    analysis = analyze(Design("d", InputSpec(1, (8, 8)), (Layer.make("Conv2d", "c", {"out_channels": 1,
                                                                                       "kernel_size": 3}),)))
    target = tmp_path / "cancel.gif"
    with pytest.raises(ExportCancelled):
        write_gif(CanvasModel(analysis, 0), PaintState(), str(target), size=(200, 120),
                  progress=lambda done, total: done < 3)
    assert not target.exists()


def test_png_and_svg_of_the_current_frame(tmp_path: Path) -> None:
    from convdesigner.gui.canvas.export import write_png, write_svg
    from convdesigner.gui.canvas.layout import CanvasModel, PaintState

    analysis = analyze(Design("d", InputSpec(1, (5, 5)), (Layer.make("Conv2d", "c", {"out_channels": 1,
                                                                                       "kernel_size": 3}),)))
    model = CanvasModel(analysis, 0)
    write_png(model, PaintState(step=4), str(tmp_path / "f.png"), (400, 300))
    with Image.open(tmp_path / "f.png") as image:
        assert image.size == (400, 300)
    write_svg(model, PaintState(step=4), str(tmp_path / "f.svg"), (400, 300))
    svg = (tmp_path / "f.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg and "step 5 / 9" in svg


@pytest.mark.parametrize(("args", "message"), [
    (["--layer", "conv2"], "did you mean 'conv'"),
    (["--layer", "relu"], "no sliding window"),
    (["--layer", "conv", "--size", "big"], "--size must look like 800x480"),
    (["--layer", "conv", "--size", "10x10"], "out of range"),
    (["--layer", "conv", "--view", "scatter"], "no scatter view"),
    (["--layer", "conv", "--fps", "0"], "--fps 0 is out of range"),
])
def test_usage_errors_exit_2_with_a_clear_message(design_file: Path, tmp_path: Path, capsys, args, message) -> None:
    code = main(["animate", str(design_file), "-o", str(tmp_path / "x.gif"), *args])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.gif").exists()


def test_missing_file_and_bad_output_name(tmp_path: Path, design_file: Path, capsys) -> None:
    assert main(["animate", str(tmp_path / "nope.yaml"), "--layer", "conv", "-o", str(tmp_path / "x.gif")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["animate", str(design_file), "--layer", "conv", "-o", str(tmp_path / "x.png")]) == 2
    assert ".gif" in capsys.readouterr().err


def test_a_layer_the_engine_cannot_compute_exits_1(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(DESIGN.replace("kernel_size: 3}\n  - {type: ReLU", "kernel_size: 9}\n  - {type: ReLU"),
                    encoding="utf-8")
    assert main(["animate", str(path), "--layer", "conv", "-o", str(tmp_path / "x.gif")]) == 1
    err = capsys.readouterr().err
    assert "cannot animate conv" in err and "kernel 9" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("convdesigner: 1\nname: [\n", encoding="utf-8")
    assert main(["animate", str(broken), "--layer", "conv", "-o", str(tmp_path / "x.gif")]) == 1


def test_the_command_module_imports_no_qt() -> None:
    """The CLI imports every command module to list them: animate must not pull Qt in until it runs."""
    import subprocess
    import sys

    code = ("import sys, convdesigner.commands.animate, convdesigner.engine.frames\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'numpy', 'torch'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
