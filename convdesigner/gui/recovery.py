"""Autosave and recovery: nothing is lost when the app is killed or crashes.

While a design has unsaved changes, `Autosaver` writes it (atomically, in the canonical format) to a
recovery file in the user's data folder a couple of seconds after each change; saving, opening another
design or closing the window cleanly removes the file. Each running window holds a QLockFile next to its
recovery file, so the next start can tell a live session's file from one left by a session that died
(QLockFile sees the owner's process is gone) and offers to restore it (`offer_recovery`).

Where: ``<data folder>/convdesigner/recovery`` (on Linux ``$XDG_DATA_HOME``, by default
``~/.local/share/convdesigner/recovery``; on macOS ``~/Library/Application Support``; on Windows
``%LOCALAPPDATA%``).

The work at risk is bounded: a recovery file is written `AUTOSAVE_DELAY_MS` after the last change, and at
the latest `AUTOSAVE_MAX_DELAY_MS` after the first unsaved one, however fast the edits keep coming. Every
recovery file a dead session left is offered, or kept until the user decides; one that cannot be read is
shown with its problem; locks whose process is gone are removed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import QWidget

from ..engine.design import Design
from ..io.design_file import (
    DesignFileError,
    DesignTooLarge,
    check_design_size,
    dumps,
    loads,
    remove_stale_temporaries,
)
from .document import Document

AUTOSAVE_DELAY_MS = 2000  # after the last change
AUTOSAVE_MAX_DELAY_MS = 5000  # after the first unsaved change, while changes keep coming
HEADER = "# convdesigner recovery file: unsaved work of a session that did not close properly\n"
ORIGIN = "# file: "
ORIGIN_BYTES = "# file bytes: "  # the hexadecimal bytes of a file name that is not UTF-8
NEVER_SAVED = "(never saved)"


def origin_line(path: str | None) -> str:
    """The recovery file's line naming the design's file, exact for any name the file system allows."""
    if path is None:
        return ORIGIN + NEVER_SAVED + "\n"
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 (surrogate-escaped): kept as bytes
        return ORIGIN_BYTES + os.fsencode(path).hex() + "\n"
    return ORIGIN + path.replace("\n", " ") + "\n"


def _origin(text: str) -> str | None:
    for line in text.splitlines()[:3]:
        if line.startswith(ORIGIN_BYTES):
            return os.fsdecode(bytes.fromhex(line[len(ORIGIN_BYTES):].strip()))
        if line.startswith(ORIGIN):
            value = line[len(ORIGIN):].strip()
            return None if value == NEVER_SAVED else value
    return None


def recovery_folder() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or os.path.expanduser("~")) / "convdesigner" / "recovery"


class Autosaver(QObject):
    """Keeps one document's unsaved changes in a recovery file."""

    #: Why autosave cannot write the recovery file (too large, a full disk), or "" once it works again.
    problemChanged = Signal(str)

    def __init__(self, document: Document, folder: Path | None = None, delay_ms: int = AUTOSAVE_DELAY_MS,
                 max_delay_ms: int = AUTOSAVE_MAX_DELAY_MS) -> None:
        super().__init__(document)
        self._document = document
        self.folder = folder or recovery_folder()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError:  # no writable data folder: the app runs, without a safety net
            pass
        stem = os.urandom(16).hex()  # a random name, as uuid4's (without importing uuid at start-up)
        self.path = self.folder / f"{stem}.yaml"
        self._lock = QLockFile(str(self.folder / f"{stem}.lock"))
        self._lock.setStaleLockTime(0)  # stale only when the owner process is gone, never by age
        self._lock.tryLock(0)
        self.problem = ""
        self._timer = self._single_shot(delay_ms)  # restarted by every change
        self._deadline = self._single_shot(max_delay_ms)  # started by the first unsaved change only
        document.changed.connect(self._changed)
        document.replaced.connect(self._replaced)
        document.modifiedChanged.connect(self._modified_changed)

    def _single_shot(self, interval_ms: int) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(interval_ms)
        timer.timeout.connect(self.write_now)
        return timer

    def _changed(self, _before: Design) -> None:
        self._timer.start()
        if not self._deadline.isActive():
            self._deadline.start()

    def write_now(self) -> bool:
        """Write the recovery file now (when there is something unsaved); False when that failed."""
        self._timer.stop()
        self._deadline.stop()
        if not self._document.modified:
            self.discard()
            return True
        if not self.folder.is_dir():
            return False
        text = HEADER + origin_line(self._document.path) + dumps(self._document.design)
        try:
            check_design_size(text)
        except DesignTooLarge as error:
            return self._report(f"Autosave is off: {error}")
        from .export_dialog import write_text_file  # the dialog's module is not needed at start-up

        error = write_text_file(str(self.path), text)
        return self._report("" if error is None else f"Autosave failed: {error}")

    def _report(self, problem: str) -> bool:
        if problem != self.problem:
            self.problem = problem
            self.problemChanged.emit(problem)
        return not problem

    def discard(self) -> None:
        self._timer.stop()
        self._deadline.stop()
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


@dataclass(frozen=True)
class Unreadable:
    """A recovery file whose session is gone but which cannot be read (shown to the user, never dropped
    unseen)."""

    path: Path
    problem: str


def _left_by_dead_sessions(folder: Path) -> list[Path]:
    """The recovery files of sessions that are no longer running. Their locks, and the temporary files a
    session killed mid-write left, are removed; a running session's files are left alone."""
    if not folder.is_dir():
        return []
    found = []
    for stem in sorted({p.stem for p in folder.glob("*.yaml")} | {p.stem for p in folder.glob("*.lock")}):
        lock = QLockFile(str(folder / f"{stem}.lock"))
        lock.setStaleLockTime(0)
        if not lock.tryLock(0):
            continue  # a running session owns it
        lock.unlock()  # removes the lock file: its process is gone
        recovery = folder / f"{stem}.yaml"
        remove_stale_temporaries(recovery)
        if recovery.exists():
            found.append(recovery)
    return found


def scan_recovery_folder(folder: Path | None = None) -> tuple[list[Recoverable], list[Unreadable]]:
    """What sessions that are no longer running left: the designs that can be restored (newest first) and
    the files that cannot be read."""
    recoverable, unreadable = [], []
    for path in _left_by_dead_sessions(folder or recovery_folder()):
        try:
            data = path.read_bytes()
            design = loads(data, str(path))
            saved_at = datetime.fromtimestamp(path.stat().st_mtime)
        except DesignFileError as error:
            unreadable.append(Unreadable(path, error.problems[0].message if error.problems else error.text))
            continue
        except OSError as error:
            unreadable.append(Unreadable(path, error.strerror or str(error)))
            continue
        recoverable.append(Recoverable(path, design, _origin(data.decode("utf-8", "replace")), saved_at))
    return sorted(recoverable, key=lambda r: r.saved_at, reverse=True), unreadable


def find_recoverable(folder: Path | None = None) -> list[Recoverable]:
    """The designs that sessions no longer running left unsaved, newest first."""
    return scan_recovery_folder(folder)[0]


def _remove(item: Recoverable | Unreadable) -> None:
    item.path.unlink(missing_ok=True)
    item.path.with_suffix(".lock").unlink(missing_ok=True)


def offer_recovery(window: QWidget, folder: Path | None = None) -> bool:
    """Offer each design a dead session left unsaved (newest first): Yes restores it into ``window`` (as
    unsaved, with its original file name), No discards it, Cancel keeps it for the next start. Once one is
    restored the others are kept for the next start. Files that cannot be read are shown, and deleted only
    when the user says so. True when a design was restored."""
    from PySide6.QtWidgets import QMessageBox

    recoverable, unreadable = scan_recovery_folder(folder)
    buttons = QMessageBox.StandardButton
    for item in unreadable:
        answer = QMessageBox.question(
            window, "Unreadable recovery file",
            f"A session that did not close properly left a recovery file that cannot be read:\n{item.path}\n\n"
            f"{item.problem}\n\nDiscard deletes it; Cancel keeps it (it is shown again at the next start).",
            buttons.Discard | buttons.Cancel, buttons.Cancel)
        if answer == buttons.Discard:
            _remove(item)
    restored = None
    for number, item in enumerate(recoverable, start=1):
        if restored is not None:
            continue  # kept: offered at the next start
        where = f" (from {item.origin})" if item.origin else ""
        of = f" ({number} of {len(recoverable)})" if len(recoverable) > 1 else ""
        answer = QMessageBox.question(
            window, "Restore unsaved work?",
            f"convdesigner did not close properly. Restore the unsaved design “{item.design.name}”{where}, "
            f"autosaved at {item.saved_at:%H:%M:%S}?{of}\n\nNo discards it; Cancel keeps it for the next start.",
            buttons.Yes | buttons.No | buttons.Cancel, buttons.Yes)
        if answer == buttons.Yes:
            window.restore_design(item.design, item.origin)  # type: ignore[attr-defined]
            restored = item
            _remove(item)
        elif answer == buttons.No:
            _remove(item)
    kept = len(recoverable) - recoverable.index(restored) - 1 if restored is not None else 0
    if kept and hasattr(window, "statusBar"):
        window.statusBar().showMessage(f"{kept} more unsaved design{'s are' if kept > 1 else ' is'} kept from "
                                       "sessions that did not close properly: offered at the next start", 15000)
    return restored is not None
