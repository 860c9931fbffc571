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


def run_killed_session(script: str, tmp_path: Path, data_folder: Path) -> tuple[Path, subprocess.CompletedProcess]:
    """Run the app on a copy of the DCGAN generator in a process that ``script`` drives and kills (SIGKILL)."""
    design_file = tmp_path / "generator.yaml"
    design_file.write_bytes((ROOT / "resources" / "examples" / "dcgan-generator.yaml").read_bytes())
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(data_folder),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    done = subprocess.run([sys.executable, "-c", script, str(design_file)], capture_output=True, text=True, env=env,
                          timeout=180)
    assert done.returncode == -signal.SIGKILL, done.stderr
    return design_file, done


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_session_is_restored(make_window, temporary_data_folder, message_boxes, tmp_path):
    design_file, done = run_killed_session(KILLED_SESSION, tmp_path, temporary_data_folder)
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


# -- nothing lost (issue 17) -----------------------------------------------------------------------------------

KILLED_WHILE_EDITING = """
import os, signal, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from convdesigner.gui.app import run_app

edits = 0
seen_at = None  # the edit count when the recovery file first appeared

def window():
    return next(w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow")

def edit():  # an edit every 100 ms, for ever: the idle delay (2 s) never passes
    global edits, seen_at
    main = window()
    if edits == 0:
        main.stack_view.select_rows([0])
    edits += 1
    main.properties.rows["out_channels"].editor.spin.setValue(1000 + edits)
    print("edit", edits, flush=True)
    if seen_at is None and main.autosaver.path.exists():
        seen_at = edits
    if (seen_at is not None and edits >= seen_at + 5) or edits >= 400:  # killed while edits keep coming
        os.kill(os.getpid(), signal.SIGKILL)

editor = QTimer()
editor.timeout.connect(edit)
QTimer.singleShot(300, lambda: editor.start(100))
sys.exit(run_app(sys.argv[1]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_session_killed_while_edits_keep_coming_is_restored(make_window, message_boxes, tmp_path,
                                                               temporary_data_folder):
    """Before issue 17 every edit restarted the 2 s timer: with edits every 100 ms nothing was ever written."""
    _design_file, done = run_killed_session(KILLED_WHILE_EDITING, tmp_path, temporary_data_folder)
    edits = [int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("edit ")]
    assert edits and edits[-1] < 400, "the recovery file never appeared while edits kept coming"
    [left] = find_recoverable()
    recovered = left.design.layers[0].get("out_channels") - 1000
    assert 1 <= recovered < edits[-1]  # an edit made before the kill; the last few are the work at risk
    window = make_window()
    message_boxes.answer = QMessageBox.StandardButton.Yes
    assert offer_recovery(window)
    assert window.document.design.layers[0].get("out_channels") == 1000 + recovered


def test_autosave_writes_within_the_maximum_delay_while_edits_keep_coming(make_window, qtbot):
    from PySide6.QtCore import QTimer

    from convdesigner.gui.recovery import AUTOSAVE_DELAY_MS, AUTOSAVE_MAX_DELAY_MS
    from convdesigner.io.design_file import loads

    assert AUTOSAVE_DELAY_MS < AUTOSAVE_MAX_DELAY_MS
    window = make_window()
    autosaver = window.autosaver
    autosaver._deadline.setInterval(300)  # the maximum delay, short for the test; the idle delay stays 2 s
    initial = len(window.document.design.layers)
    first_written: list[int] = []  # the layers in the recovery file when it first appeared

    def edit() -> None:
        if autosaver.path.exists() and not first_written:
            first_written.append(len(loads(autosaver.path.read_bytes()).layers))
        window.add_layer("ReLU")

    editor = QTimer()
    editor.timeout.connect(edit)
    editor.start(20)  # far faster than the idle delay: only the maximum delay can write
    try:
        qtbot.waitUntil(lambda: bool(first_written), timeout=10_000)
    finally:
        editor.stop()
    assert initial < first_written[0] < len(window.document.design.layers)


def _recovery_file(name: str, design_name: str, age_s: float) -> Path:
    import time

    folder = recovery_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(f"# convdesigner recovery file\n# file: (never saved)\nconvdesigner: 1\nname: {design_name}\n"
                    "input: {channels: 1, size: [8]}\nlayers: []\n", encoding="utf-8")
    os.utime(path, (time.time() - age_s, time.time() - age_s))
    return path


def test_every_recovery_file_is_offered_or_kept_until_the_user_decides(make_window, message_boxes):
    older = _recovery_file("older-session", "Older", 600)
    newer = _recovery_file("newer-session", "Newer", 60)
    window = make_window()
    message_boxes.answer = QMessageBox.StandardButton.Yes
    assert offer_recovery(window)
    assert window.document.design.name == "Newer" and not newer.exists()
    assert "(1 of 2)" in message_boxes.calls[-1][2]
    assert older.exists()  # kept, not deleted unseen
    assert window.statusBar().currentMessage().startswith("1 more unsaved design is kept")
    # the next start offers it; Cancel keeps it again, No discards it
    message_boxes.answer = QMessageBox.StandardButton.Cancel
    assert not offer_recovery(make_window())
    assert "“Older”" in message_boxes.calls[-1][2] and older.exists()
    message_boxes.answer = QMessageBox.StandardButton.No
    assert not offer_recovery(make_window())
    assert not older.exists()


def test_an_unreadable_recovery_file_is_shown_and_kept_until_discarded(make_window, message_boxes):
    folder = recovery_folder()
    folder.mkdir(parents=True, exist_ok=True)
    broken = folder / "broken-session.yaml"
    broken.write_text("# convdesigner recovery file\nconvdesigner: 1\ninput: {channels: 0, size: [8]}\n",
                      encoding="utf-8")
    message_boxes.answer = QMessageBox.StandardButton.Cancel
    assert not offer_recovery(make_window())
    kind, title, text = message_boxes.calls[-1]
    assert (kind, title) == ("question", "Unreadable recovery file")
    assert str(broken) in text and "input channels must be from 1 to" in text
    assert broken.exists()
    message_boxes.answer = QMessageBox.StandardButton.Discard
    assert not offer_recovery(make_window())
    assert not broken.exists()


DEAD_SESSION = """
import os, sys
from PySide6.QtCore import QLockFile
lock = QLockFile(sys.argv[1])
assert lock.tryLock(0)
os._exit(0)  # dies holding the lock
"""


def test_locks_and_temporary_files_of_dead_sessions_are_removed(make_window, message_boxes):
    window = make_window()  # a running session: its lock stays
    folder = recovery_folder()
    lock = folder / "dead-session.lock"
    subprocess.run([sys.executable, "-c", DEAD_SESSION, str(lock)], check=True, timeout=60)
    pid = int(lock.read_text().split()[0])
    temporary = folder / f".dead-session.yaml.{pid}.k1ll3d_x.tmp"  # killed between its temporary and the rename
    temporary.write_text("half a recovery file", encoding="utf-8")
    assert not offer_recovery(window)
    assert message_boxes.calls == []  # nothing to offer: no recovery file was ever written
    assert not lock.exists() and not temporary.exists()
    assert window.autosaver.path.with_suffix(".lock").exists()
