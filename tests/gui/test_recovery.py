"""Autosave and recovery: a killed session's unsaved work is offered back at the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from convdesigner.gui.recovery import find_recoverable, offer_recovery, recovery_folder

ROOT = Path(__file__).resolve().parents[2]

KILLED_SESSION = """
import os, signal, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from convdesigner.gui.app import run_app

def edit():
    window = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow")
    window.stack_view.select_rows([0])
    window.properties.rows["out_channels"].editor.spin.setValue(77)  # an edit through the form
    print("edited", flush=True)
    poll.start(100)

def kill_once_autosaved():  # killed as soon as the autosave (2 s after the edit) is on disk
    if window_autosaved():
        os.kill(os.getpid(), signal.SIGKILL)

def window_autosaved():
    window = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow")
    return window.autosaver.path.exists()

poll = QTimer()
poll.timeout.connect(kill_once_autosaved)

QTimer.singleShot(300, edit)
sys.exit(run_app(sys.argv[1]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_session_is_restored(make_window, temporary_data_folder, message_boxes, tmp_path):
    design_file = tmp_path / "generator.yaml"
    design_file.write_bytes((ROOT / "resources" / "examples" / "dcgan-generator.yaml").read_bytes())
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(temporary_data_folder),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    done = subprocess.run([sys.executable, "-c", KILLED_SESSION, str(design_file)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert "edited" in done.stdout
    left = find_recoverable()
    assert len(left) == 1 and left[0].origin == str(design_file)
    assert left[0].design.layers[0].get("out_channels") == 77

    window = make_window()  # the next start
    message_boxes.answer = QMessageBox.StandardButton.Yes
    assert offer_recovery(window)
    kind, title, text = message_boxes.calls[-1]
    assert (kind, title) == ("question", "Restore unsaved work?")
    assert f"(from {design_file})" in text
    assert window.document.design.layers[0].get("out_channels") == 77
    assert window.document.path == str(design_file)
    assert window.isWindowModified() and window.document.modified
    assert find_recoverable() == []  # the old file is gone; this session's own autosave is locked
    assert [p.name for p in recovery_folder().glob("*.yaml")] == [window.autosaver.path.name]


def test_autosave_writes_after_a_change_and_a_clean_exit_removes_it(make_window, qtbot, monkeypatch, tmp_path):
    from gui_helpers import Ui

    window = make_window()
    ui = Ui(window, qtbot)
    window.autosaver._timer.setInterval(50)
    path = window.autosaver.path
    assert not path.exists()  # nothing unsaved, nothing written
    window.add_layer("ReLU")
    qtbot.waitUntil(path.exists, timeout=3000)
    assert "type: ReLU" in path.read_text(encoding="utf-8")
    assert find_recoverable() == []  # our own file is locked: not offered while we run
    # saving removes it; the next change writes it again
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "saved.yaml"), "")))
    ui.trigger(window.save_action)
    assert not path.exists()
    window.add_layer("Tanh")
    qtbot.waitUntil(path.exists, timeout=3000)
    window.document.undo_stack.setClean()
    assert not path.exists()
    window.add_layer("Sigmoid")
    qtbot.waitUntil(path.exists, timeout=3000)
    window.document.undo_stack.setClean()  # (what Discard in the close prompt leads to)
    window.close()
    assert not path.exists() and not path.with_suffix(".lock").exists()


def test_declining_recovery_discards_the_file(make_window, message_boxes):
    folder = recovery_folder()
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / "dead-session.yaml"
    stale.write_text("# convdesigner recovery file\n# file: (never saved)\nconvdesigner: 1\nname: Lost\n"
                     "input: {channels: 1, size: [8]}\nlayers: []\n", encoding="utf-8")
    window = make_window()
    message_boxes.answer = QMessageBox.StandardButton.No
    assert not offer_recovery(window)
    assert "“Lost”" in message_boxes.calls[-1][2]
    assert not stale.exists()
    assert window.document.design.name != "Lost"
