"""Every command README.md shows runs as written from a clone (issue 17: three tour lines named files that
do not exist, an example's output was not what the module prints, a solve had no solution).

The commands are read from the README's ``console`` blocks (the lines after ``$ ``; the lines under a
command are its expected output, compared exactly) and ``bash`` blocks (every line), and run in order in a
temporary folder holding a copy of the repository's resources and reference models, as ``python -m
convdesigner`` from this checkout (``text`` blocks show commands on the user's own files and are not run). A line that opens the app is run with ``--screenshot`` (offscreen) instead; the lines that install
software or run the test suite are skipped for the reasons in SKIPPED.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from convdesigner.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
#: What a command starts with -> why it is not run here.
SKIPPED = {
    "pip ": "installs packages (this test runs the checkout's own install)",
    "python -m pytest": "the test suite itself",
    "packaging/linux/install.sh": "installs a launcher into the user's home folder",
}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
COMMENT = re.compile(r"\s+#\s.*$")


@dataclass(frozen=True)
class Command:
    line: str  # without its comment
    expected: tuple[str, ...]  # output lines shown under it (console blocks)


def readme_commands() -> list[Command]:
    commands: list[Command] = []
    for language, body in FENCE.findall(README.read_text(encoding="utf-8")):
        if language == "bash":
            commands += [Command(COMMENT.sub("", line).strip(), ()) for line in body.splitlines() if line.strip()]
        elif language == "console":
            for line in body.splitlines():
                if line.startswith("$ "):
                    commands.append(Command(COMMENT.sub("", line[2:]).strip(), ()))
                elif line.strip() and commands:
                    last = commands[-1]
                    commands[-1] = Command(last.line, last.expected + (line.rstrip(),))
    return commands


def skip_reason(command: Command) -> str | None:
    return next((why for start, why in SKIPPED.items() if command.line.startswith(start)), None)


def argv(command: Command, folder: Path) -> list[str]:
    words = shlex.split(command.line)
    program, args = words[0], words[1:]
    if program == "python":
        return [sys.executable, *args]
    assert program == "convdesigner", f"README runs an unknown program: {command.line}"
    opens_app = not args or not (args[0] in COMMANDS or args[0].startswith("--") or "--screenshot" in args)
    if opens_app:  # the app, rendered offscreen instead of opening a window
        args += ["--screenshot", str(folder / "app.png")]
    return [sys.executable, "-m", "convdesigner", *args]


def test_the_readme_commands_are_found() -> None:
    commands = readme_commands()
    lines = [c.line for c in commands]
    assert len(commands) >= 20
    assert any(line.startswith("convdesigner inspect") for line in lines)
    assert any(c.expected for c in commands)  # the export example's output
    assert [c.line for c in commands if skip_reason(c)] == [
        'pip install . && convdesigner', 'pip install -e ".[test]" && python -m pytest',
        "packaging/linux/install.sh", "packaging/linux/install.sh --exec ~/venvs/cd/bin/convdesigner-gui",
        "packaging/linux/install.sh --bundle build/bundle/dist/convdesigner", "packaging/linux/install.sh --uninstall"]


def runnable(commands: list[Command], has_torch: bool) -> list[Command]:
    """The commands to run, in order: not those skipped, nor, without torch, those that need it (running an
    exported module, an import) or read a file one of those would have written (``-o FILE``)."""
    chosen = []
    unwritten: set[str] = set()
    for command in commands:
        words = shlex.split(command.line)
        needs_torch = command.line.startswith(("python ", "convdesigner import ")) or not unwritten.isdisjoint(words)
        if skip_reason(command) or (needs_torch and not has_torch):
            unwritten.update(after for before, after in zip(words, words[1:]) if before == "-o")
        else:
            chosen.append(command)
    return chosen


def test_without_torch_the_commands_on_an_imported_file_are_left_out_too() -> None:
    """On a machine without torch (the README says its cross-checks are skipped there) the export of the
    design the import example writes ran, and failed: no such file."""
    without = [c.line for c in runnable(readme_commands(), has_torch=False)]
    assert not any(line.startswith(("convdesigner import ", "python ")) or "resnet18.yaml" in line.split()
                   for line in without)
    assert any(line.startswith("convdesigner export resources/examples/dcgan-generator.yaml") for line in without)
    assert len(runnable(readme_commands(), has_torch=True)) > len(without)


def test_every_readme_command_runs_as_written(tmp_path: Path) -> None:
    """Run in order (the export writes the module the next line runs); every failure is listed at once."""
    shutil.copytree(ROOT / "resources", tmp_path / "resources")
    shutil.copytree(ROOT / "tests" / "reference_models", tmp_path / "tests" / "reference_models")
    (tmp_path / "docs" / "screenshots").mkdir(parents=True)
    for design in (ROOT / "docs" / "screenshots").glob("*.yaml"):
        shutil.copy(design, tmp_path / "docs" / "screenshots")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    has_torch = importlib.util.find_spec("torch") is not None
    failures = []
    ran = 0
    for command in runnable(readme_commands(), has_torch):
        result = subprocess.run(argv(command, tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=300,
                                env=env)
        ran += 1
        if result.returncode != 0:
            failures.append(f"{command.line}: exit {result.returncode}: {result.stderr.strip()[-500:]}")
        elif command.expected and tuple(result.stdout.strip().splitlines()) != command.expected:
            failures.append(f"{command.line}: printed {result.stdout.strip()!r}, the README says "
                            f"{chr(10).join(command.expected)!r}")
    assert ran >= 18
    assert failures == [], "\n".join(failures)
