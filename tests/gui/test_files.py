"""Files through the window: save and reopen, unsaved-changes prompts, bad files, drag and drop, recent
files, templates, and the PyTorch preview."""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_helpers import small_encoder
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from convdesigner.gui.stack_model import NAME, OUTPUT
from convdesigner.io.design_file import dumps, load, save

Buttons = QMessageBox.StandardButton


def answer_file_dialogs(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(path), "")))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))


def test_save_reopen_and_compare(ui, tmp_path, monkeypatch, make_ui):
    path = tmp_path / "encoder.yaml"
    answer_file_dialogs(monkeypatch, path)
    ui.click_row(2)
    ui.type_into(ui.argument("kernel_size").editor.spins[0], "5")
    assert ui.window.isWindowModified() and "[*]" in ui.window.windowTitle()
    ui.trigger(ui.window.save_action)  # no path yet: Save asks where (Save As)
    assert path.is_file()
    assert not ui.window.isWindowModified()
    assert ui.window.windowTitle() == "encoder.yaml[*] — convdesigner"
    assert load(path) == ui.window.document.design
    assert path.read_text(encoding="utf-8") == dumps(ui.window.document.design)
    # a second window opens it through File > Open and shows the same stack
    other = make_ui()
    ui.window.document.undo_stack.setClean()
    ui.trigger(other.window.open_action)
    assert other.window.document.design == ui.window.document.design
    assert other.column(OUTPUT) == ui.column(OUTPUT)
    assert other.window.document.path == str(path)
    # saving again writes in place
    other.click_row(0)
    other.type_into(other.argument("out_channels").editor.spin, "12")
    qt_save = other.window.save_action
    qt_save.trigger()
    assert load(path).layers[0].get("out_channels") == 12


def test_failed_save_keeps_the_design_unsaved(ui, tmp_path, message_boxes):
    folder = tmp_path / "missing-folder"
    ui.click_row(0)
    ui.type_into(ui.argument("out_channels").editor.spin, "9")
    assert not ui.window.save_to(str(folder / "x.yaml"))
    assert message_boxes.calls[0][0] == "critical" and "x.yaml was not saved" in message_boxes.calls[0][2]
    assert ui.window.isWindowModified()


def test_unsaved_changes_are_asked_about(ui, tmp_path, monkeypatch, message_boxes):
    ui.click_row(0)
    ui.type_into(ui.argument("out_channels").editor.spin, "9")
    edited = ui.window.document.design
    message_boxes.answer = Buttons.Cancel
    ui.trigger(ui.window.new_action)
    assert message_boxes.calls[-1][:2] == ("question", "Unsaved changes")
    assert ui.window.document.design == edited  # cancelled: nothing happened
    message_boxes.answer = Buttons.Save
    path = tmp_path / "kept.yaml"
    answer_file_dialogs(monkeypatch, path)
    ui.trigger(ui.window.new_action)
    assert load(path) == edited  # saved first
    assert ui.window.document.design.layers == ()
    assert ui.model.rowCount() == 0
    # closing with changes asks too; Discard closes
    ui.window.add_layer("ReLU")
    message_boxes.answer = Buttons.Cancel
    assert not ui.window.close()
    assert ui.window.isVisible()
    message_boxes.answer = Buttons.Discard
    assert ui.window.close()


def test_a_bad_file_shows_the_loaders_message_and_changes_nothing(ui, tmp_path, monkeypatch, message_boxes):
    bad = tmp_path / "bad.yaml"
    bad.write_text("convdesigner: 1\ninput: {channels: 3, size: [32, 32]}\nlayers:\n  - {type: Conv2x}\n",
                   encoding="utf-8")
    answer_file_dialogs(monkeypatch, bad)
    before = ui.window.document.design
    ui.trigger(ui.window.open_action)
    kind, title, text = message_boxes.calls[-1]
    assert kind == "critical" and title == "Cannot open the design"
    assert f"{bad}:4:" in text and "Conv2x" in text and "did you mean 'Conv2d'" in text
    assert ui.window.document.design == before
    assert ui.window.document.path is None


@pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent:DeprecationWarning")
def test_drop_a_design_file_on_the_window(ui, tmp_path, qtbot):
    path = tmp_path / "dropped.yaml"
    design = small_encoder().with_layers(small_encoder().layers[:2])
    path.write_text(dumps(design), encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    target = ui.window.centralWidget()
    position = target.rect().center()
    enter = QDragEnterEvent(position, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(ui.window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(position.toPointF(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(ui.window, drop)
    qtbot.waitUntil(lambda: ui.window.document.path == str(path))
    assert ui.window.document.design == design
    assert ui.column(NAME) == ["conv1", "relu1"]
    # a file that is not a design is refused at the door
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(ui.window, enter)
    assert not enter.isAccepted()


def test_recent_files_and_window_layout_persist(ui, tmp_path, monkeypatch, make_ui, temporary_settings):
    path = tmp_path / "recent.yaml"
    answer_file_dialogs(monkeypatch, path)
    ui.trigger(ui.window.save_as_action)
    ui.window.rf_dock.hide()
    ui.window.close()
    assert list(Path(temporary_settings).rglob("*.ini")), "settings were written to the temporary folder"
    again = make_ui()
    again.window.recent_menu.aboutToShow.emit()
    entries = [a for a in again.window.recent_menu.actions() if a.text() == "recent.yaml"]
    assert entries and entries[0].toolTip() == str(path)
    assert not again.window.rf_dock.isVisible()  # the dock layout came back
    entries[0].trigger()
    assert again.window.document.path == str(path)


def test_recent_files_of_the_same_name_say_their_folders(ui, tmp_path, temporary_settings):
    """Two recent files named alike (good.yaml in two folders) were two identical menu entries: each says its
    folder; a name with '&' shows the '&' (not a mnemonic)."""
    from convdesigner.gui.settings import add_recent_file

    paths = [tmp_path / "first" / "good.yaml", tmp_path / "second" / "good.yaml", tmp_path / "a&b.yaml"]
    for path in paths:
        path.parent.mkdir(exist_ok=True)
        save(ui.window.document.design, path)
        add_recent_file(str(path))
    ui.window.recent_menu.aboutToShow.emit()
    texts = {a.toolTip(): a.text() for a in ui.window.recent_menu.actions() if a.toolTip()}
    assert texts[str(paths[0])] != texts[str(paths[1])]
    assert "first" in texts[str(paths[0])] and "second" in texts[str(paths[1])]
    assert texts[str(paths[2])] == "a&&b.yaml"


def test_new_from_template(make_ui, message_boxes):
    ui = make_ui()
    action = ui.menu_action(ui.window.template_menu, "UNetSmall")
    action.trigger()
    assert ui.window.document.design.name == "UNetSmall"
    assert ui.window.document.path is None  # a template is saved under a new name
    assert ui.cell(ui.model.rowCount() - 1, OUTPUT) == "1×64×64"
    assert ui.view.selected_rows() == [0]
    assert not message_boxes.calls


def test_pytorch_preview_copy_and_save(ui, tmp_path, monkeypatch, qtbot):
    ui.trigger(ui.window.export_action)
    dialog = ui.window.export_dialog
    qtbot.waitExposed(dialog)
    text = dialog.preview.toPlainText()
    assert dialog.preview.isReadOnly()
    assert "class Encoder(nn.Sequential)" in text and "nn.Conv2d(1, 8, kernel_size=3, padding=1)" in text
    compile(text, "encoder.py", "exec")
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == text
    path = tmp_path / "encoder.py"
    answer_file_dialogs(monkeypatch, path)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert path.read_text(encoding="utf-8") == text
    dialog.close()


def test_pytorch_preview_of_a_design_with_errors(ui, qtbot):
    ui.click_row(0)
    ui.type_into(ui.argument("kernel_size").editor.spins[0], "99")
    ui.trigger(ui.window.export_action)
    dialog = ui.window.export_dialog
    assert "conv1: kernel 99 is larger than the padded input 30" in dialog.preview.toPlainText()
    assert not dialog.save_button.isEnabled() and not dialog.copy_button.isEnabled()
    dialog.close()


@pytest.mark.torch
def test_exported_module_runs_under_torch(ui, qtbot):
    torch = pytest.importorskip("torch")
    ui.trigger(ui.window.export_action)
    namespace: dict = {}
    exec(compile(ui.window.export_dialog.preview.toPlainText(), "encoder.py", "exec"), namespace)
    model = namespace["Encoder"]()
    assert tuple(model(torch.zeros(1, 1, 28, 28)).shape) == (1, 16, 14, 14)
    ui.window.export_dialog.close()


def test_paper_figures_open_through_the_window(ui, qtbot, message_boxes):
    pytest.importorskip("convdesigner.gui.canvas.gallery")
    ui.trigger(ui.window.figures_action)
    gallery = ui.window.gallery
    qtbot.waitExposed(gallery)
    items = [gallery.list.item(i) for i in range(gallery.list.count())]
    figure = next(item for item in items if item.text().startswith("Figure 2.1"))
    gallery.list.setCurrentItem(figure)
    qtbot.mouseClick(gallery.open_button, Qt.MouseButton.LeftButton)
    assert ui.window.document.path is None
    assert ui.window.document.design != small_encoder()
    selected = ui.view.selected_rows()
    assert len(selected) == 1
    assert not message_boxes.calls  # the encoder was unmodified: nothing to ask


# -- nothing lost, nothing hangs (issue 17) -------------------------------------------------------------------

def test_whatever_the_app_saves_opens_again(ui, tmp_path, monkeypatch):
    """kernel_size 0 or stride 0 typed in the form (and input channels 0) never reach the design: the row says
    why, the design keeps its value, and Save and autosave write files that load as the same design."""
    path = tmp_path / "typed.yaml"
    answer_file_dialogs(monkeypatch, path)
    ui.click_row(2)
    ui.type_into(ui.argument("out_channels").editor.spin, "12")  # a valid edit: applied
    for name in ("kernel_size", "stride"):
        row = ui.argument(name)
        before = ui.window.document.design.layers[2].get(name)
        ui.type_into(row.editor.spins[0], "0")
        assert row.editor.spins[0].value() == 0 and row.editor.property("refused") is True
        assert row.message.text() == f"{name} must be at least 1, not 0: not applied (the design keeps {before})"
        assert ui.window.document.design.layers[2].get(name) == before
    channels = ui.window.stack.input_editor.channels
    ui.type_into(channels, "0")
    assert ui.window.document.design.input.channels == 1
    ui.trigger(ui.window.save_action)
    assert ui.window.statusBar().currentMessage() == f"Saved {path}"
    assert load(path) == ui.window.document.design
    assert ui.window.document.design.layers[2].get("out_channels") == 12
    ui.window.add_layer("ReLU")
    assert ui.window.autosaver.write_now()
    from convdesigner.io.design_file import loads

    assert loads(ui.window.autosaver.path.read_bytes()) == ui.window.document.design
    # a valid value typed next is applied and clears the message
    ui.click_row(2)
    kernel = ui.argument("kernel_size")
    ui.type_into(kernel.editor.spins[0], "0")
    assert kernel.editor.property("refused") is True
    ui.type_into(kernel.editor.spins[0], "5")
    assert ui.window.document.design.layers[2].get("kernel_size") == 5
    assert kernel.message.isHidden() and kernel.editor.property("refused") is False


def test_a_design_too_large_to_open_again_is_not_saved(make_window, tmp_path, message_boxes):
    from convdesigner.engine.design import Design, InputSpec, Layer
    from convdesigner.io.design_file import MAX_FILE_BYTES

    design = Design("Big", InputSpec(1, (8, 8)), tuple(Layer.make("ReLU", f"r{i}") for i in range(60_000)))
    window = make_window(design)
    window.add_layer("Tanh")
    path = tmp_path / "big.yaml"
    assert not window.save_to(str(path))
    kind, title, text = message_boxes.calls[-1]
    assert (kind, title) == ("critical", "Cannot save the design")
    size = len(dumps(window.document.design).encode())
    assert text.startswith(f"{path} was not saved: the design file would be {size:,} bytes")
    assert f"over the {MAX_FILE_BYTES:,}-byte limit for opening a design file" in text
    assert not path.exists() and window.isWindowModified()
    assert not window.autosaver.write_now()  # autosave says so too (in the status bar), and writes nothing
    assert window.statusBar().currentMessage().startswith("Autosave is off: the design file would be 1,8")
    assert not window.autosaver.path.exists()


def test_save_as_asks_before_replacing_the_file_the_name_typed_without_yaml_names(ui, tmp_path, monkeypatch,
                                                                                  message_boxes):
    existing = tmp_path / "model.yaml"
    existing.write_text("precious\n", encoding="utf-8")
    answer_file_dialogs(monkeypatch, tmp_path / "model")  # typed without .yaml: the dialog asked about "model"
    message_boxes.answer = Buttons.No
    ui.window.add_layer("Tanh")
    assert not ui.window.save_as()
    assert message_boxes.calls[-1][:2] == ("question", "Replace the file?")
    assert f"model.yaml already exists in {tmp_path}. Replace it?" == message_boxes.calls[-1][2]
    assert existing.read_text(encoding="utf-8") == "precious\n" and ui.window.isWindowModified()
    message_boxes.answer = Buttons.Yes
    assert ui.window.save_as()
    assert load(existing) == ui.window.document.design


def test_save_does_not_overwrite_a_file_another_program_changed(ui, tmp_path, monkeypatch, message_boxes):
    path = tmp_path / "shared.yaml"
    answer_file_dialogs(monkeypatch, path)
    ui.window.add_layer("Tanh")
    ui.trigger(ui.window.save_action)
    other = ui.window.document.design
    elsewhere = dumps(other).replace("name: Encoder", "name: EditedElsewhere")
    path.write_text(elsewhere, encoding="utf-8")  # another program (or a second window) saves it
    ui.window.add_layer("Sigmoid")
    mine = ui.window.document.design
    message_boxes.answer = Buttons.Cancel
    assert not ui.window.save()
    kind, title, text = message_boxes.calls[-1]
    assert (kind, title) == ("question", "The file changed on disk")
    assert text.startswith("shared.yaml was changed by another program since convdesigner read or saved it.")
    assert path.read_text(encoding="utf-8") == elsewhere and ui.window.document.design == mine
    message_boxes.answer = Buttons.Reset  # reload: the file's design, nothing written
    assert not ui.window.save()
    assert ui.window.document.design.name == "EditedElsewhere" and not ui.window.isWindowModified()
    assert path.read_text(encoding="utf-8") == elsewhere
    ui.window.add_layer("Sigmoid")
    path.write_text(elsewhere + "# touched\n", encoding="utf-8")
    message_boxes.answer = Buttons.Save  # overwrite
    assert ui.window.save()
    assert load(path) == ui.window.document.design
    calls = len(message_boxes.calls)
    ui.window.add_layer("ReLU")
    assert ui.window.save() and len(message_boxes.calls) == calls  # unchanged since our save: no question
    import os

    os.utime(path, ns=(0, 0))  # touched, same content: no question either
    ui.window.add_layer("ReLU")
    assert ui.window.save() and len(message_boxes.calls) == calls


def test_a_file_name_that_is_not_utf8_is_saved_under_its_own_name(make_window, tmp_path):
    import os

    name = os.fsdecode(b"caf\xe9.yaml")  # Latin-1 bytes: a surrogate-escaped str in Python, lost by Qt
    path = tmp_path / name
    path.write_text(dumps(small_encoder()), encoding="utf-8")
    window = make_window()
    assert window.open_path(str(path))
    window.add_layer("Tanh")
    assert window.save()
    assert os.listdir(os.fsencode(tmp_path)) == [b"caf\xe9.yaml"]
    assert load(path) == window.document.design
    assert window.windowTitle() == "caf\ufffd.yaml[*] — convdesigner"
    window.add_layer("Sigmoid")
    assert window.autosaver.write_now()
    from convdesigner.gui.recovery import scan_recovery_folder

    window.autosaver._lock.unlock()  # as after a crash
    [left], unreadable = scan_recovery_folder()
    assert unreadable == [] and left.origin == str(path) and left.design == window.document.design


def _release_fifo_later(fifo: Path):
    """A timer opening both ends of the FIFO after 20 s, so an app blocked on it returns (and the test fails)
    instead of hanging the test run."""
    import os
    import threading

    def release() -> None:
        try:
            os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # left open: a blocked writer writes into the pipe
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # a blocked reader reads an empty file
        except OSError:
            pass

    timer = threading.Timer(20, release)
    timer.start()
    return timer


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="FIFOs")
def test_a_fifo_is_neither_opened_nor_saved_to(ui, tmp_path, monkeypatch, message_boxes):
    import os
    import stat

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    answer_file_dialogs(monkeypatch, fifo)
    release = _release_fifo_later(fifo)
    try:
        ui.trigger(ui.window.open_action)  # File > Open: refused at once, no hang
        assert message_boxes.calls[-1][:2] == ("critical", "Cannot open the design")
        assert "it is a FIFO (named pipe), not a regular file" in message_boxes.calls[-1][2]
        ui.window.add_layer("Tanh")
        assert not ui.window.save_to(str(fifo))
    finally:
        release.cancel()
    assert message_boxes.calls[-1] == ("critical", "Cannot save the design",
                                       f"{fifo} was not saved: it is a FIFO (named pipe), not a regular file")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and ui.window.isWindowModified()


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="FIFOs")
def test_the_app_started_on_a_fifo_does_not_hang(tmp_path):
    import os
    import subprocess
    import sys

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "convdesigner", str(fifo), "--screenshot", str(tmp_path / "s.png")],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path)))
    assert done.returncode == 1
    assert f"{fifo}:1:1: cannot read the file: it is a FIFO (named pipe), not a regular file" in done.stderr


def test_names_the_app_makes_stay_within_the_loaders_limit(ui, qtbot, tmp_path):
    """A rename past 200 characters is refused; a copy of a 200-character name stays at 200: the file loads."""
    from PySide6.QtWidgets import QLineEdit

    from convdesigner.engine.naming import MAX_NAME_LENGTH

    def rename(row: int, text: str) -> None:
        ui.view.edit(ui.model.index(row, NAME))
        [editor] = [e for e in ui.view.viewport().findChildren(QLineEdit) if e.isVisible()]
        qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(editor, text)
        qtbot.keyClick(editor, Qt.Key.Key_Return)

    rename(1, "r" * (MAX_NAME_LENGTH + 1))
    qtbot.waitUntil(lambda: "at most 200 characters" in ui.window.statusBar().currentMessage())
    assert ui.window.document.design.layers[1].name == "relu1"
    rename(1, "r" * MAX_NAME_LENGTH)
    qtbot.waitUntil(lambda: ui.window.document.design.layers[1].name == "r" * MAX_NAME_LENGTH)
    ui.click_row(1)
    ui.trigger(ui.window.duplicate_action)
    names = [layer.name for layer in ui.window.document.design.layers]
    assert len(names) == 5 and max(len(n) for n in names) == MAX_NAME_LENGTH
    assert ui.window.save_to(str(tmp_path / "long.yaml"))
    assert load(tmp_path / "long.yaml") == ui.window.document.design


def test_a_rank_change_the_file_would_refuse_is_not_applied(make_ui, tmp_path):
    """An Upsample with one size per axis cannot follow a 1-D input: the file would not load again."""
    from convdesigner.engine.design import Design, InputSpec, Layer

    design = Design("Up", InputSpec(1, (8, 8)), (Layer.make("Upsample", "up", {"size": (16, 16)}),))
    ui = make_ui(design)
    editor = ui.window.stack.input_editor
    ui.choose(editor.rank, "1-D")
    assert ui.window.document.design == design and editor.rank.currentText() == "2-D"
    assert editor.problem.text().startswith("the input cannot become 1-D: up: size must be one integer or 1")
    ui.choose(editor.rank, "3-D")
    assert ui.window.document.design == design
    assert ui.window.save_to(str(tmp_path / "up.yaml")) and load(tmp_path / "up.yaml") == design
