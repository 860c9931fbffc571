"""Helpers the commands share: reading a design file with the right exit code on failure."""

from __future__ import annotations

import os
import sys

from ..cli import UsageError
from ..engine.design import Design
from ..io.design_file import DesignFileError, load


def read_design(path: str) -> Design:
    """Load a design, raising UsageError for a missing file; DesignFileError propagates."""
    if not os.path.exists(path):
        raise UsageError(f"no such file: {path}")
    if os.path.isdir(path):
        raise UsageError(f"{path} is a folder, not a design file")
    return load(path)


def print_file_error(error: DesignFileError) -> None:
    print(error.text, file=sys.stderr)
