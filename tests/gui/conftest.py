"""GUI test fixtures: a main window on a temporary settings folder, and message boxes that must be expected.

pytest-qt fails a test on any exception raised inside a Qt slot or virtual method (its exception capture is
on unless ``qt_no_exception_capture`` is set; test_app_setup checks that it is not). Every QMessageBox
static call fails the test unless a test patches it with the answer a user would give, so no test can hang
on a hidden modal dialog.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_helpers import Ui, small_encoder
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from convdesigner.engine.design import Design


@pytest.fixture(autouse=True)
def temporary_settings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every QSettings the app creates lives in a fresh temporary folder, never in the real home."""
    folder = tmp_path_factory.mktemp("settings")
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    return folder


@pytest.fixture(autouse=True)
def temporary_data_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Recovery files (QStandardPaths' data folder) go to a fresh temporary folder too."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    return folder


class UnexpectedDialog(AssertionError):
    pass


@pytest.fixture(autouse=True)
def no_unexpected_message_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name):
        def show(*args, **kwargs):
            raise UnexpectedDialog(f"unexpected QMessageBox.{name}: {args[1:3]}")
        return show

    for name in ("question", "critical", "warning", "information"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(refuse(name)))


class MessageBoxRecorder:
    """Answers QMessageBox static calls like a user and remembers what was asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.answer = QMessageBox.StandardButton.Discard
        for name in ("question", "critical", "warning", "information"):
            monkeypatch.setattr(QMessageBox, name, staticmethod(self._recorder(name)))

    def _recorder(self, name: str):
        def show(parent, title, text, *args, **kwargs):
            self.calls.append((name, title, text))
            return self.answer if name == "question" else QMessageBox.StandardButton.Ok
        return show


@pytest.fixture
def message_boxes(monkeypatch: pytest.MonkeyPatch) -> MessageBoxRecorder:
    return MessageBoxRecorder(monkeypatch)


@pytest.fixture
def make_window(qtbot):
    """Build a shown main window on a design; at teardown it closes without asking about changes."""
    from convdesigner.gui.main_window import MainWindow

    windows = []

    def make(design: Design | None = None, path: str | None = None) -> MainWindow:
        window = MainWindow(design, path)
        qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    return make


@pytest.fixture
def window(make_window):
    return make_window(small_encoder())


@pytest.fixture
def ui(window, qtbot) -> Ui:
    return Ui(window, qtbot)


@pytest.fixture
def make_ui(make_window, qtbot):
    def make(design: Design | None = None, path: str | None = None) -> Ui:
        return Ui(make_window(design, path), qtbot)
    return make
