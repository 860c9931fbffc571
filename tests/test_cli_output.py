"""What the commands write to a terminal (issue 17): user text (names, paths, arguments) never reaches it
raw (no escape sequence, carriage return or line break of the user's), a terminal whose encoding lacks a
character never ends a command in a traceback, and no output repeats user text without bound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.io.design_file import loads
from convdesigner.io.report import table
from convdesigner.io.safe_text import MESSAGE_WIDTH, NAME_WIDTH, one_line

#: Control sequences a hostile name may hold: clear screen, set the window title, colour, carriage return,
#: a line break (a forged table row), an 8-bit CSI, a bidirectional override, a line separator.
HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x1b[31m\r\nforged 1 row\x9b2J\u202e\u2028"


def _yaml_quoted(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def hostile_design(tmp_path: Path, name: str = HOSTILE, kernel: int = 3) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(
        "convdesigner: 1\n"
        f"name: {_yaml_quoted('design' + name)}\n"
        "input: {channels: 1, size: [8, 8]}\n"
        "layers:\n"
        f"  - {{type: Conv2d, name: {_yaml_quoted('conv' + name)}, out_channels: 2, kernel_size: 3}}\n"
        f"  - {{type: Conv2d, name: {_yaml_quoted('big' + name)}, out_channels: 2, kernel_size: {kernel}}}\n"
        "  - {type: Flatten, name: flat}\n", encoding="utf-8")
    assert loads(path.read_bytes()).layers[0].name == "conv" + name
    return path


def run(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "convdesigner", *map(str, args)], capture_output=True,
                            timeout=120, env={**os.environ, **(env or {})}, cwd=cwd)
    for stream in (result.stdout, result.stderr):
        assert b"Traceback" not in stream, stream.decode("utf-8", "replace")
    return result


def unsafe_characters(data: bytes) -> list[str]:
    """The characters a terminal would act on rather than show: controls other than the line break, and
    format and separator characters (bidirectional overrides, U+2028)."""
    text = data.decode("utf-8", "replace")
    return [c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]


HOSTILE_COMMANDS = [
    ("inspect", "FILE"),
    ("inspect", "FILE", "--json"),
    ("solve", "FILE", "--layer", "nothing", "--target", "3"),
    ("solve", "FILE", "--layer", "conv" + HOSTILE, "--target", "3"),
    ("solve", "FILE", "--layer", "big" + HOSTILE, "--target", "3"),
    ("sizes", "FILE"),
    ("mirror", "FILE"),
    ("export", "FILE", "--to", "torch"),
    ("animate", "FILE", "--layer", "nothing", "-o", "out.gif"),
    ("animate", "FILE", "--layer", "big" + HOSTILE, "-o", "out.gif"),
    ("animate", "FILE", "--layer", "flat", "-o", "out.gif"),
    ("inspect", "missing" + HOSTILE + ".yaml"),
    ("inspect", "FILE", "--bogus" + HOSTILE),
    ("mirror", "FILE", "-o", "out" + HOSTILE + ".yaml"),
]


@pytest.mark.parametrize("args", HOSTILE_COMMANDS, ids=lambda args: "-".join(a[:8] for a in args if a != "FILE"))
def test_control_characters_never_reach_the_terminal(tmp_path: Path, args: tuple[str, ...]) -> None:
    """A design whose every name holds escape sequences (and whose second layer fails): each command's
    output and errors show them escaped."""
    path = hostile_design(tmp_path, kernel=99)
    result = run(*[str(path) if a == "FILE" else a for a in args], cwd=tmp_path)
    assert result.returncode in (0, 1, 2), result
    output = result.stdout + result.stderr
    assert output.strip()
    assert unsafe_characters(output) == [], output
    for line in output.decode("utf-8").splitlines():
        assert not line.startswith("forged 1 row"), output  # a name's line break never starts a line


def test_the_table_of_a_hostile_design_has_one_line_per_layer(tmp_path: Path) -> None:
    path = hostile_design(tmp_path)
    result = run("inspect", path)
    assert result.returncode == 0 and unsafe_characters(result.stdout) == []
    lines = result.stdout.decode("utf-8").splitlines()
    assert len(lines) == 1 + 2 + 3 + 2  # title, header, rule, three layers, a blank line, the totals
    assert lines[3].startswith("1  conv\\x1b[2J\\x1b]0;pw") and "..." in lines[3]


def test_one_line_escapes_and_shortens() -> None:
    assert one_line("plain name") == "plain name"
    assert one_line("a\x1b[2Jb\r\nc\u202ed") == "a\\x1b[2Jb\\x0d\\x0ac\\u202ed"
    long = "n" * 500_000 + "tail"
    short = one_line(long, NAME_WIDTH)
    assert NAME_WIDTH == 48 and short == "n" * 23 + "..." + "n" * 18 + "tail"
    escaped = one_line("\x1b" * 1000, NAME_WIDTH)  # escapes count towards the width, never cut in half
    assert escaped == "\\x1b" * 5 + "..." + "\\x1b" * 5


# -- a terminal that cannot encode every character -------------------------------------------------------------

CJK_DESIGN = """\
convdesigner: 1
name: 中文设计
input: {channels: 1, size: [8, 8]}
layers:
  - {type: Conv2d, name: 卷积, out_channels: 2, kernel_size: 3, stride: 2}
  - {type: Conv2d, name: 坏的, out_channels: 2, kernel_size: 99}
  - {type: Flatten, name: 展平}
"""

CP1252_COMMANDS = [
    (("inspect", "FILE"), 0),
    (("inspect", "FILE", "--json"), 0),
    (("solve", "FILE", "--layer", "卷积", "--target", "3"), 0),
    (("solve", "FILE", "--layer", "卷", "--target", "3"), 2),
    (("sizes", "FILE"), 0),
    (("mirror", "FILE"), 0),
    (("mirror", "FILE", "-o", "mirrored.yaml"), 0),
    (("export", "FILE", "--to", "torch"), 0),
    (("export", "FILE", "--to", "yaml"), 0),
    (("animate", "FILE", "--layer", "卷积", "-o", "卷积.gif"), 0),
    (("animate", "FILE", "--layer", "展平", "-o", "out.gif"), 2),
    (("inspect", "BROKEN"), 1),
    (("inspect", "BROKEN", "--json"), 1),
    (("sizes", "BROKEN"), 1),
    (("mirror", "BROKEN"), 1),
    (("export", "BROKEN", "--to", "torch"), 1),
    (("solve", "BROKEN", "--layer", "坏的", "--target", "3"), 0),
    (("solve", "BROKEN", "--layer", "展平", "--target", "3"), 1),
    (("inspect", "缺失.yaml"), 2),
]


@pytest.mark.parametrize(("args", "code"), CP1252_COMMANDS,
                         ids=lambda v: "-".join(a[:8] for a in v) if isinstance(v, tuple) else str(v))
def test_a_cp1252_terminal_gets_every_command_without_a_traceback(tmp_path: Path, args: tuple[str, ...],
                                                                  code: int) -> None:
    """PYTHONIOENCODING=cp1252 (Windows with redirected output): names it cannot encode are escaped in
    messages and tables; files (mirror, export) stay UTF-8; JSON stays JSON."""
    good = tmp_path / "good.yaml"
    good.write_text(CJK_DESIGN.replace("kernel_size: 99", "kernel_size: 1"), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(CJK_DESIGN, encoding="utf-8")
    argv = [str(good) if a == "FILE" else str(broken) if a == "BROKEN" else a for a in args]
    result = run(*argv, env={"PYTHONIOENCODING": "cp1252"}, cwd=tmp_path)
    assert result.returncode == code, result
    assert (result.stdout + result.stderr).strip()
    result.stderr.decode("cp1252")
    if args[0] in ("mirror", "export") and result.returncode == 0 and "-o" not in args:
        text = result.stdout.decode("utf-8")  # the file's own encoding, whatever the terminal's
        assert "卷积" in text
        if args[-1] != "torch":
            assert loads(text).name == "中文设计"
    elif "--json" in args:
        report = json.loads(result.stdout.decode("cp1252"))
        assert report["name"] in ("中文设计", None)
        if report["name"]:
            assert report["layers"][0]["name"] == "卷积"
    else:
        result.stdout.decode("cp1252")
    if "-o" in args and result.returncode == 0:
        assert any(tmp_path.glob("*" + Path(args[-1]).suffix))


# -- long names ------------------------------------------------------------------------------------------------

def _long_named(length: int) -> Design:
    long = "x" * length
    layers = (Layer.make("Conv2d", long + "1", {"out_channels": 2, "kernel_size": 3}),
              Layer.make("ReLU", long + "2"),
              Layer.make("Conv2d", long + "3", {"out_channels": 2, "kernel_size": 99}))
    return Design(long, InputSpec(1, (8, 8)), layers)


def test_the_table_of_huge_names_has_lines_of_a_fixed_width() -> None:
    """A 500,000-character name once padded every table row past 4 GB; now every line is bounded whatever
    the names (shortened with '...' to NAME_WIDTH in the table, MESSAGE_WIDTH in a message)."""
    text = table(analyze(_long_named(500_000)))
    lines = text.splitlines()
    assert len(lines) == 3 + 3 + 2 + 1
    assert max(len(line) for line in lines) <= MESSAGE_WIDTH + len("warning: ")
    assert all(len(line) < 2 * NAME_WIDTH + 80 for line in lines[:6])
    assert "..." in lines[3] and lines[3].split()[0] == "1"
    assert len(text) < 5 * MESSAGE_WIDTH


def test_commands_bound_what_they_print_of_a_long_name(tmp_path: Path) -> None:
    """Through the command line (a name of 5,000 characters: the loader may refuse it as too long, which
    must be said in a bounded message too)."""
    design = _long_named(5_000)
    path = tmp_path / "long.yaml"
    from convdesigner.io.design_file import dumps

    path.write_text(dumps(design), encoding="utf-8")
    long = design.layers[2].name
    for args in (("inspect", path), ("solve", path, "--layer", long, "--target", "3"),
                 ("solve", path, "--layer", long[:-1], "--target", "3"), ("sizes", path), ("mirror", path),
                 ("export", path, "--to", "torch"), ("animate", path, "--layer", long, "-o", tmp_path / "a.gif")):
        result = run(*args)
        assert result.returncode in (0, 1, 2), (args[0], result)
        for line in (result.stdout + result.stderr).decode("utf-8").splitlines():
            assert len(line) <= MESSAGE_WIDTH + 100, (args[0], line[:200])


@pytest.mark.parametrize("args", [("mirror",), ("export", "--to", "yaml"), ("export", "--to", "torch")])
def test_files_written_to_the_terminal_hold_no_control_characters(tmp_path: Path, args: tuple[str, ...]) -> None:
    """mirror and export print a file: its names are escaped in it (YAML escapes, Python comments), so it shows
    as it is, and the YAML loads back with the names as they were."""
    path = hostile_design(tmp_path)
    result = run(args[0], path, *args[1:])
    assert result.returncode == 0, result
    assert unsafe_characters(result.stdout) == [], result.stdout
    if args[-1] != "torch":
        assert loads(result.stdout).layers[0].name == "conv" + HOSTILE
