"""The command line.

``convdesigner [FILE]`` opens the desktop app (on a bundled example when no file is given);
``convdesigner COMMAND ...`` runs a command without a window. Each command lives in its own module under
``convdesigner.commands`` with ``add_parser`` and ``run``; the commands that need no window (inspect,
export, mirror, sizes, ...) never import Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from . import __version__

#: Subcommand name -> module under convdesigner.commands.
COMMANDS = {
    "inspect": "inspect",
    "export": "export",
    "mirror": "mirror",
    "solve": "solve",
    "sizes": "sizes",
    "animate": "animate",
    "import": "import_",
}


class UsageError(Exception):
    """Wrong arguments or a missing file: exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits with 2 itself; keep its message short
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _available_commands() -> dict[str, str]:
    """The command names (each module is imported only when its command runs)."""
    return dict(COMMANDS)


def _command_module(name: str) -> ModuleType:
    """The module of one command, imported only when that command runs, so start-up stays light."""
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


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        module = _command_module(args[0])
        parser = _Parser(prog=f"convdesigner {args[0]}")
        module.add_parser(parser)
        options = parser.parse_args(args[1:])
        try:
            return int(module.run(options))
        except UsageError as exc:
            print(f"convdesigner {args[0]}: {exc}", file=sys.stderr)
            return 2
        except BrokenPipeError:
            return 0
    options = _app_parser().parse_args(args)
    if options.self_test:
        from .selftest import run_self_test

        return run_self_test()
    from .gui.app import run_app

    return run_app(options.file, screenshot=options.screenshot, select=options.select)


def gui_main() -> int:
    """Entry point of the GUI launcher (no console window on platforms that distinguish)."""
    return main()
