"""Helpers the commands share: reading a design file with the right exit code on failure, and writing to
the terminal (`echo`: every line escaped and bounded) or a file's text to standard output (`write_utf8`)."""

from __future__ import annotations

import codecs
import os
import sys

from ..cli import UsageError
from ..engine.analysis import Analysis, LayerResult, analyze
from ..engine.design import Design
from ..engine.layers import did_you_mean
from ..io.design_file import DesignFileError, DesignTooLarge, check_design_size, load, not_a_regular_file
from ..io.safe_text import MESSAGE_WIDTH, NAME_WIDTH, one_line


def echo(*lines: str, err: bool = False) -> None:
    """Print each line to standard output (standard error with ``err``), made safe for a terminal: user text
    in it (names, paths) can neither move the cursor, nor start a line, nor run on without bound."""
    stream = sys.stderr if err else sys.stdout
    for line in lines:
        print(one_line(line, MESSAGE_WIDTH), file=stream)


def shown(name: str) -> str:
    """A name as messages and tables show it: escaped, and shortened to NAME_WIDTH."""
    return one_line(name, NAME_WIDTH)


def stdout_is_utf8() -> bool:
    """Whether standard output encodes UTF-8 (on Windows a redirected output is often cp1252)."""
    try:
        return codecs.lookup(getattr(sys.stdout, "encoding", None) or "ascii").name == "utf-8"
    except LookupError:
        return False


def write_utf8(text: str) -> None:
    """A file's text (a design file, a Python module) to standard output as UTF-8 whatever the locale says,
    so that what a pipe or a redirection receives is the file itself."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
    else:
        buffer.write(text.encode("utf-8"))
        buffer.flush()


def read_design(path: str) -> Design:
    """Load a design, raising UsageError for a missing file; DesignFileError propagates."""
    if not os.path.exists(path):
        raise UsageError(f"no such file: {path}")
    if os.path.isdir(path):
        raise UsageError(f"{path} is a folder, not a design file")
    return load(path)


def print_file_error(error: DesignFileError) -> None:
    echo(*error.messages, err=True)


def read_design_or_report(path: str) -> Design | None:
    """The design, or None after printing the loader's file:line:column messages (the command exits 1)."""
    try:
        return read_design(path)
    except DesignFileError as error:
        print_file_error(error)
        return None


def check_output_path(output: str | None) -> None:
    """Refuse ``-o`` naming a folder, a FIFO or a device (a usage error) before any work is done: such a
    target is never replaced."""
    if output is not None and os.path.isdir(output):
        raise UsageError(f"{output} is a folder: -o takes the file to write")
    why = not_a_regular_file(output) if output is not None else None
    if why is not None:
        raise UsageError(f"{output}: {why}: -o takes the file to write")


def design_text_fits(text: str, command: str) -> bool:
    """Whether a design file's text can be opened again (under the load limit); False after saying so on
    standard error, before anything is written."""
    try:
        check_design_size(text)
    except DesignTooLarge as error:
        print(f"convdesigner {command}: {error}", file=sys.stderr)
        return False
    return True


def layer_index(design: Design, name: str, source: str) -> int:
    """The index of the layer called ``name``; a usage error with a "did you mean" when there is none."""
    names = [layer.name for layer in design.layers]
    if name in names:
        return names.index(name)
    guess = did_you_mean(name, names) if names else None
    listed = ", ".join(map(shown, names)) or "none"
    hint = f"; did you mean '{shown(guess)}'?" if guess else f"; its layers are {listed}"
    raise UsageError(f"{source} has no layer named '{shown(name)}'{hint}")


def analysed_layer(path: str, name: str) -> tuple[Analysis, LayerResult] | None:
    """Read a design (reporting why it cannot be read: None), find the layer a command names (a usage error
    with "did you mean" when there is none) and analyse the design."""
    design = read_design_or_report(path)
    if design is None:
        return None
    index = layer_index(design, name, path)
    analysis = analyze(design)
    return analysis, analysis.layers[index]
