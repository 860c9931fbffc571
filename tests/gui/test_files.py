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
from convdesigner.io.design_file import dumps, load

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
    assert "class Encoder(nn.Module)" in text and "nn.Conv2d(1, 8, kernel_size=3, padding=1)" in text
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
