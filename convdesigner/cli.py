"""The command line.

``convdesigner [FILE]`` opens the desktop app (on a bundled example when no file is given);
``convdesigner COMMAND ...`` runs a command without a window. Each command lives in its own module under
``convdesigner.commands`` with ``add_parser`` and ``run``; the commands that need no window (inspect,
export, mirror, sizes, ...) never import Qt.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

from . import __version__
from .engine.collector import collector_paused
from .io.safe_text import MESSAGE_WIDTH, one_line

#: Subcommand name -> module under convdesigner.commands.
COMMANDS = {
    "inspect": "inspect",
    "export": "export",
    "mirror": "mirror",
    "solve": "solve",
    "sizes": "sizes",
    "animate": "animate",
    "trace": "trace",
    "import": "import_",
}


class UsageError(Exception):
    """Wrong arguments or a missing file: exit code 2."""


class _Unmeasured(argparse.HelpFormatter):
    """The formatter argparse makes for every ``add_argument``, only to check the argument's metavar: it formats
    no text, so it does not measure the terminal (argparse's own does, importing shutil with zlib, bz2 and lzma:
    ~2 ms of every command)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=80)


class _Parser(argparse.ArgumentParser):
    """argparse's parser with a short error line; the terminal is measured only to format help or usage."""

    def __init__(self, prog: str, description: str | None = None) -> None:
        super().__init__(prog=prog, description=description, formatter_class=_Unmeasured)

    def error(self, message: str) -> None:  # argparse exits with 2 itself; keep its message short
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {one_line(message, MESSAGE_WIDTH)}\n")

    def format_usage(self) -> str:
        with self._measured():
            return super().format_usage()

    def format_help(self) -> str:
        with self._measured():
            return super().format_help()

    @contextmanager
    def _measured(self) -> Iterator[None]:
        self.formatter_class = argparse.HelpFormatter
        try:
            yield
        finally:
            self.formatter_class = _Unmeasured


def _available_commands() -> dict[str, str]:
    """The command names (each module is imported only when its command runs)."""
    return dict(COMMANDS)


def _command_module(name: str, *, whole_process: bool = False) -> ModuleType:
    """The module of one command, imported only when that command runs, so start-up stays light. The cycle
    collector is paused while it imports: importing makes modules, classes and functions that live as long as
    the process, so the collections their allocations would set off (a tenth of the import time) find no
    garbage; it runs as usual for the command's work. When the command is the whole process (``main()``
    without arguments, as the ``convdesigner`` script runs it), what the import made is then frozen
    (`gc.freeze`): no later collection visits it again, the interpreter's own at exit included, which would
    otherwise traverse and free every module's objects (~8 ms of the ~80 of ``inspect``). In-process callers
    (tests, scripts calling ``main(argv)``) are left as they were: freezing would keep their garbage too."""
    with collector_paused(freeze=whole_process):
        return importlib.import_module(f"convdesigner.commands.{COMMANDS[name]}")


def _app_parser() -> argparse.ArgumentParser:
    commands = ", ".join(COMMANDS)
    parser = _Parser(
        prog="convdesigner",
        description="Design convolutional encoder/decoder stacks and see their arithmetic live. "
        f"Without a command it opens the app; commands: {commands} (see 'convdesigner COMMAND --help').",
    )
    parser.add_argument("file", nargs="?", help="a design file (.yaml) to open; default: a bundled example")
    parser.add_argument("--version", action="version", version=f"convdesigner {__version__}")
    parser.add_argument("--screenshot", metavar="PNG", help="render the main window offscreen and save it")
    parser.add_argument("--select", metavar="LAYER", help="the layer to select (with --screenshot)")
    parser.add_argument("--self-test", action="store_true", help="check the installation offscreen and exit")
    return parser


@contextmanager
def _tolerant_output() -> Iterator[None]:
    """While a command runs, a character the terminal's encoding lacks (a CJK name on a cp1252 output, as on
    Windows when output is redirected) is written as a backslash escape instead of ending in a traceback."""
    strict = [stream for stream in (sys.stdout, sys.stderr)
              if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict"]
    for stream in strict:
        stream.reconfigure(errors="backslashreplace")
    try:
        yield
    finally:
        for stream in strict:
            stream.reconfigure(errors="strict")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv``, or on the program's own arguments when None (the process is then the
    command's, and what its imports make is frozen for the cycle collector: `_command_module`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        with _tolerant_output():
            return _run_command(args[0], args[1:], whole_process=argv is None)
    if args and _is_a_word(args[0]):
        print(f"convdesigner: {_not_a_command(args[0])}", file=sys.stderr)
        return 2
    options = _app_parser().parse_args(args)
    if options.self_test:
        from .selftest import run_self_test

        return run_self_test()
    from .gui.app import run_app

    return run_app(options.file, screenshot=options.screenshot, select=options.select)


def _is_a_word(arg: str) -> bool:
    """An argument the app would take for a file, but that names none and looks like no file (no extension,
    no folder): a misspelt command, most likely."""
    return not arg.startswith("-") and not os.path.exists(arg) and not any(c in arg for c in "./\\")


def _not_a_command(word: str) -> str:
    from .engine.layers import did_you_mean

    guess = did_you_mean(word, list(COMMANDS))
    shown = one_line(word, MESSAGE_WIDTH)
    listed = ", ".join(COMMANDS)
    if guess:
        return f"'{shown}' is not a command; did you mean '{guess}'? (commands: {listed})"
    return f"'{shown}' is neither a command nor a file (commands: {listed}; a design file to open ends in .yaml)"


def _run_command(name: str, args: list[str], whole_process: bool = False) -> int:
    module = _command_module(name, whole_process=whole_process)
    parser = _Parser(prog=f"convdesigner {name}")
    module.add_parser(parser)
    options = parser.parse_args(args)
    try:
        return int(module.run(options))
    except UsageError as exc:
        print(f"convdesigner {name}: {one_line(str(exc), MESSAGE_WIDTH)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


def gui_main() -> int:
    """Entry point of the GUI launcher (no console window on platforms that distinguish)."""
    return main()
