"""No crash reaches the user: an exception that escapes a Qt slot is shown in a dialog, not a dead window.

`install_excepthook` replaces ``sys.excepthook`` (PySide6 reports exceptions raised in slots through it and
carries on): the traceback goes to stderr and into a dialog whose details can be selected and copied, and
the window stays open with the design as it was before the failing edit. A second failure while the dialog
is open is only logged, so a repeating fault cannot stack dialogs.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:  # the dialog's class is imported when one is shown (not at start-up)
    from PySide6.QtWidgets import QMessageBox

_open_dialog: QMessageBox | None = None


def show_exception(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> QMessageBox | None:
    """Log the exception and show it in a non-blocking dialog; return the dialog (None when one is open)."""
    from PySide6.QtWidgets import QMessageBox

    global _open_dialog
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(details)
    if QApplication.instance() is None or _open_dialog is not None:
        return None
    parent = QApplication.activeWindow()
    dialog = QMessageBox(QMessageBox.Icon.Critical, "Something went wrong",
                         "An internal error interrupted the last action. Your design is still open and "
                         "unchanged by it; saving it now is a good idea.\n\n"
                         f"{exc_type.__name__}: {exc}", QMessageBox.StandardButton.Ok, parent)
    dialog.setObjectName("crashDialog")
    dialog.setDetailedText(details)
    dialog.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.finished.connect(_dialog_closed)
    _open_dialog = dialog
    dialog.open()
    return dialog


def _dialog_closed(_result: int) -> None:
    global _open_dialog
    _open_dialog = None


def install_excepthook() -> None:
    """Route uncaught exceptions (in slots and the event loop) to `show_exception`."""
    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        show_exception(exc_type, exc, tb)

    sys.excepthook = hook
