"""Persistent preferences (recent files, window geometry, dock state) through QSettings.

Always the INI format in the user scope, under ORGANISATION/APPLICATION, so tests can redirect every read
and write to a temporary folder with ``QSettings.setPath(IniFormat, UserScope, folder)``.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

ORGANISATION = "convdesigner"
APPLICATION = "convdesigner"
MAX_RECENT = 10


def settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION)


def recent_files() -> list[str]:
    """The recently opened or saved design files, newest first, that still exist."""
    value = settings().value("recent", [])
    if isinstance(value, str):
        value = [value]
    return [p for p in (value or []) if isinstance(p, str) and os.path.isfile(p)][:MAX_RECENT]


def add_recent_file(path: str) -> None:
    """Put a file first in Open Recent; not a name that is not UTF-8 (Qt would store another name)."""
    path = os.path.abspath(path)
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return
    files = [path] + [p for p in recent_files() if os.path.abspath(p) != path]
    settings().setValue("recent", files[:MAX_RECENT])


def clear_recent_files() -> None:
    settings().setValue("recent", [])
