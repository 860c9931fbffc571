"""Autosave and recovery: nothing is lost when the app is killed or crashes.

While a design has unsaved changes, `Autosaver` writes it (atomically, in the canonical format) to a
recovery file in the user's data folder a couple of seconds after each change; saving, opening another
design or closing the window cleanly removes the file. Each running window holds a QLockFile next to its
recovery file, so the next start can tell a live session's file from one left by a session that died
(QLockFile sees the owner's process is gone) and offers to restore it (`offer_recovery`).

Where: ``<data folder>/convdesigner/recovery`` (on Linux ``$XDG_DATA_HOME``, by default
``~/.local/share/convdesigner/recovery``; on macOS ``~/Library/Application Support``; on Windows
``%LOCALAPPDATA%``).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from ..engine.design import Design
from ..io.design_file import DesignFileError, dumps, loads
from .document import Document
from .export_dialog import write_text_file

AUTOSAVE_DELAY_MS = 2000
HEADER = "# convdesigner recovery file: unsaved work of a session that did not close properly\n"
ORIGIN = "# file: "


def recovery_folder() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or os.path.expanduser("~")) / "convdesigner" / "recovery"


class Autosaver(QObject):
    """Keeps one document's unsaved changes in a recovery file."""

    def __init__(self, document: Document, folder: Path | None = None, delay_ms: int = AUTOSAVE_DELAY_MS) -> None:
        super().__init__(document)
        self._document = document
        self.folder = folder or recovery_folder()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError:  # no writable data folder: the app runs, without a safety net
            pass
        stem = uuid.uuid4().hex
        self.path = self.folder / f"{stem}.yaml"
        self._lock = QLockFile(str(self.folder / f"{stem}.lock"))
        self._lock.setStaleLockTime(0)  # stale only when the owner process is gone, never by age
        self._lock.tryLock(0)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.write_now)
        document.changed.connect(lambda _before: self._timer.start())
        document.replaced.connect(self._replaced)
        document.modifiedChanged.connect(self._modified_changed)

    def write_now(self) -> bool:
        """Write the recovery file now (when there is something unsaved); False when that failed."""
        self._timer.stop()
        if not self._document.modified:
            self.discard()
            return True
        if not self.folder.is_dir():
            return False
        origin = self._document.path or "(never saved)"
        text = HEADER + ORIGIN + origin.replace("\n", " ") + "\n" + dumps(self._document.design)
        return write_text_file(str(self.path), text) is None

    def discard(self) -> None:
        self._timer.stop()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def close(self) -> None:
        """A clean exit: remove the recovery file and release the lock."""
        self.discard()
        self._lock.unlock()

    def _replaced(self) -> None:
        if not self._document.modified:
            self.discard()

    def _modified_changed(self, modified: bool) -> None:
        if not modified:
            self.discard()


@dataclass(frozen=True)
class Recoverable:
    """A recovery file whose session is gone."""

    path: Path
    design: Design
    origin: str | None  # the file the design came from, None when never saved
    saved_at: datetime


def find_recoverable(folder: Path | None = None) -> list[Recoverable]:
    """Recovery files left by sessions that are no longer running, newest first. Files that cannot be read
    are skipped (and left where they are)."""
    folder = folder or recovery_folder()
    found = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        lock = QLockFile(str(path.with_suffix(".lock")))
        lock.setStaleLockTime(0)
        if not lock.tryLock(0):
            continue  # a running session owns it
        lock.unlock()
        try:
            text = path.read_text(encoding="utf-8")
            design = loads(text, str(path))
        except (OSError, UnicodeDecodeError, DesignFileError):
            continue
        origin = None
        for line in text.splitlines()[:3]:
            if line.startswith(ORIGIN):
                value = line[len(ORIGIN):].strip()
                origin = None if value == "(never saved)" else value
        found.append(Recoverable(path, design, origin, datetime.fromtimestamp(path.stat().st_mtime)))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def offer_recovery(window: QWidget, folder: Path | None = None) -> bool:
    """Ask whether to restore each design a dead session left unsaved (newest first); True when one was
    restored into ``window`` (as unsaved, with its original file name)."""
    restored = False
    for item in find_recoverable(folder):
        where = f" (from {item.origin})" if item.origin else ""
        if restored:
            answer = QMessageBox.StandardButton.No
        else:
            answer = QMessageBox.question(
                window, "Restore unsaved work?",
                f"convdesigner did not close properly. Restore the unsaved design “{item.design.name}”{where}, "
                f"autosaved at {item.saved_at:%H:%M:%S}?\n\nNo discards it.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        if answer == QMessageBox.StandardButton.Yes:
            window.restore_design(item.design, item.origin)  # type: ignore[attr-defined]
            restored = True
        else:
            item.path.unlink(missing_ok=True)
            continue
        item.path.unlink(missing_ok=True)
        item.path.with_suffix(".lock").unlink(missing_ok=True)
    return restored
