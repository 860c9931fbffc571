"""Every file the commands write can be opened again and is written atomically; no command blocks on a FIFO
or replaces one (issue 17)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from convdesigner.cli import main
from convdesigner.io.design_file import MAX_FILE_BYTES, load

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")

CONV = "convdesigner: 1\ninput: {channels: 1, size: [8, 8]}\nlayers: [{type: Conv2d, name: conv, out_channels: 2, kernel_size: 3}]\n"


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """A command in its own process, so one that blocks (on a FIFO) fails the test instead of hanging it."""
    return subprocess.run([sys.executable, "-m", "convdesigner", *args], capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(CONV, encoding="utf-8")
    return path


def test_export_to_yaml_refuses_a_design_whose_file_would_be_too_large(tmp_path: Path, capsys) -> None:
    """60,000 unnamed ReLUs load (about 1 MB); their canonical file names every layer (about 2 MB)."""
    source = tmp_path / "relus.yaml"
    source.write_text("convdesigner: 1\ninput: {channels: 1, size: [8]}\nlayers:\n" + "- {type: ReLU}\n" * 60_000,
                      encoding="utf-8")
    assert len(load(source).layers) == 60_000
    out = tmp_path / "out.yaml"
    for output in (["-o", str(out)], []):
        assert main(["export", str(source), "--to", "yaml", *output]) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.startswith("convdesigner export: the design file would be 2,0")
        assert f"over the {MAX_FILE_BYTES:,}-byte limit for opening a design file, so it was not written" in captured.err
    assert _listing(tmp_path) == ["relus.yaml"]


def test_mirror_refuses_a_result_too_large_to_open(tmp_path: Path, capsys) -> None:
    long = "c" * 150
    layers = "".join(f"  - {{type: Conv2d, name: {long}{i}, out_channels: 1, kernel_size: 1}}\n" for i in range(4000))
    source = tmp_path / "deep.yaml"
    source.write_text(f"convdesigner: 1\nname: Deep\ninput: {{channels: 1, size: [8, 8]}}\nlayers:\n{layers}",
                      encoding="utf-8")
    assert source.stat().st_size < MAX_FILE_BYTES
    assert main(["mirror", str(source), "-o", str(tmp_path / "out.yaml")]) == 1
    assert "convdesigner mirror: the design file would be 1," in capsys.readouterr().err
    assert _listing(tmp_path) == ["deep.yaml"]


@needs_fifo
@pytest.mark.parametrize("command", [["inspect"], ["sizes"], ["export", "--to", "yaml"], ["mirror"],
                                     ["animate", "--layer", "conv", "-o", "x.gif"]])
def test_no_command_blocks_on_a_fifo_as_input(tmp_path: Path, command: list[str]) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    name, *rest = command
    done = _run(name, str(fifo), *rest)
    assert done.returncode == 1, done.stderr
    assert f"{fifo}:1:1: cannot read the file: it is a FIFO (named pipe), not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


@needs_fifo
@pytest.mark.parametrize("command", [["export", "--to", "yaml"], ["mirror"], ["animate", "--layer", "conv"]])
def test_output_to_a_fifo_is_refused_and_the_fifo_stays(small: Path, tmp_path: Path, command: list[str]) -> None:
    fifo = tmp_path / "out.gif"
    os.mkfifo(fifo)
    name, *rest = command
    done = _run(name, str(small), *rest, "-o", str(fifo))
    assert done.returncode == 2, done.stderr
    assert done.stderr == (f"convdesigner {name}: {fifo}: it is a FIFO (named pipe), not a regular file: -o takes "
                           "the file to write\n")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and _listing(tmp_path) == ["out.gif", "small.yaml"]


def test_animate_on_a_full_disk_keeps_the_previous_gif(small: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    """Writing fails half-way through the GIF (no space left): the previous GIF is untouched, nothing is left."""
    from convdesigner.gui.canvas import export

    out = tmp_path / "conv.gif"
    assert main(["animate", str(small), "--layer", "conv", "-o", str(out), "--size", "200x120"]) == 0
    previous = out.read_bytes()

    def write_until_the_disk_is_full(fp, first, frames, duration) -> None:
        stream = open(fp, "wb") if isinstance(fp, (str, os.PathLike)) else fp
        stream.write(previous[:100])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "write_gif_frames", write_until_the_disk_is_full)
    assert main(["animate", str(small), "--layer", "conv", "-o", str(out), "--size", "200x120"]) == 1
    assert f"cannot write {out}: No space left on device" in capsys.readouterr().err
    assert out.read_bytes() == previous and _listing(tmp_path) == ["conv.gif", "small.yaml"]


KILLED_WRITER = """
import os, signal, sys
os.fsync = lambda descriptor: os.kill(os.getpid(), signal.SIGKILL)  # killed after writing, before the rename
from convdesigner.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("command", [["export", "--to", "yaml"], ["mirror"]])
def test_a_writer_killed_mid_write_leaves_nothing_the_next_write_keeps(small: Path, tmp_path: Path,
                                                                      command: list[str]) -> None:
    out = tmp_path / "out.yaml"
    out.write_text("the previous file\n", encoding="utf-8")
    name, *rest = command
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITER, name, str(small), *rest, "-o", str(out)],
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == -9, killed.stderr
    [left] = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert left.name.startswith(".out.yaml.") and out.read_text(encoding="utf-8") == "the previous file\n"
    done = _run(name, str(small), *rest, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert _listing(tmp_path) == ["out.yaml", "small.yaml"]
    load(out)
