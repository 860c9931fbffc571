"""File > Import Model (issue 14): a Python model or an ONNX file opens as a new, unsaved design through the
import dialog; what could not be imported shows in a report; bad input stays in the dialog with its reason;
a dropped .onnx file opens the dialog on it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from gui_helpers import Ui
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from convdesigner.gui.import_dialog import parse_shape
from convdesigner.gui.stack_model import NAME

pytest.importorskip("torch")
pytestmark = pytest.mark.torch

MODELS = """
    from torch import nn

    class Shuffles(nn.Module):
        def __init__(self, width=4):
            super().__init__()
            self.conv = nn.Conv2d(3, width, 3, padding=1)
            self.act = nn.ReLU()
            self.shuffle = nn.ChannelShuffle(2)

        def forward(self, x):
            return self.shuffle(self.act(self.conv(x)))
"""


def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "models.py"
    path.write_text(textwrap.dedent(MODELS), encoding="utf-8")
    return path


def fill_and_import(ui: Ui, path: str, name: str, shape: str, kwargs: str = ""):
    ui.trigger(ui.window.import_action)
    dialog = ui.window.import_dialog
    ui.qtbot.waitExposed(dialog)
    for edit, text in ((dialog.path_edit, path), (dialog.name_edit, name), (dialog.shape_edit, shape),
                       (dialog.kwargs_edit, kwargs)):
        edit.clear()
        ui.qtbot.keyClicks(edit, text)
    ui.qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    return dialog


def test_import_a_python_model_opens_it_unsaved_with_a_report(ui: Ui, tmp_path: Path) -> None:
    path = model_file(tmp_path)
    dialog = fill_and_import(ui, str(path), "Shuffles", "3 8 8", '{"width": 8}')
    assert not dialog.isVisible()
    design = ui.window.document.design
    assert ui.column(NAME) == ["conv", "act"]
    assert design.layers[0].get("out_channels") == 8 and design.input.shape == (3, 8, 8)
    assert ui.window.document.path is None and ui.window.isWindowModified()
    report = ui.window.import_report
    assert report.isVisible() and "nn.ChannelShuffle" in report.detailedText()
    report.accept()
    assert not ui.window.undo_action.isEnabled()  # the import starts the history


@pytest.mark.parametrize(("name", "shape", "kwargs", "message"), [
    ("", "3 8 8", "", "Give the class or function"),
    ("Shuffles", "", "", "Give the input shape"),
    ("Shuffles", "3 eight", "", "invalid literal"),
    ("Shuffles", "3 8 8", "{width: 2}", "Expecting property name"),
    ("Missing", "3 8 8", "", "has no Missing; it defines Shuffles"),
])
def test_bad_input_stays_in_the_dialog_with_its_reason(ui: Ui, tmp_path: Path, name, shape, kwargs, message) -> None:
    before = ui.window.document.design
    dialog = fill_and_import(ui, str(model_file(tmp_path)), name, shape, kwargs)
    assert dialog.isVisible() and dialog.error_label.isVisible()
    assert message in dialog.error_label.text()
    assert ui.window.document.design == before
    dialog.reject()


def test_parse_shape() -> None:
    assert parse_shape(" 3, 224x224 ") == (3, 224, 224)
    assert parse_shape("") is None
    with pytest.raises(ValueError, match="1 to 3 spatial sizes"):
        parse_shape("3")


@pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent:DeprecationWarning")
def test_dropped_onnx_file_opens_the_import_dialog_on_it(ui: Ui, tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    path = tmp_path / "relu.onnx"
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 6, 6])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(path))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    position = ui.window.centralWidget().rect().center()
    enter = QDragEnterEvent(position, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(ui.window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(ui.window, QDropEvent(position.toPointF(), Qt.DropAction.CopyAction, mime,
                                                 Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    ui.qtbot.waitUntil(lambda: getattr(ui.window, "import_dialog", None) is not None
                       and ui.window.import_dialog.isVisible())
    dialog = ui.window.import_dialog
    assert dialog.path_edit.text() == str(path) and not dialog.name_edit.isEnabled()
    ui.qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert ui.column(NAME) == ["y"] and ui.window.document.design.input.shape == (2, 6, 6)
    assert ui.window.isWindowModified()


def test_imported_resnet18_canvas_animates_its_layers(ui: Ui, tmp_path: Path) -> None:
    """Issue 14's last promise: an imported network is a design like any other on the canvas."""
    reference = Path(__file__).resolve().parent.parent / "reference_models" / "resnet.py"
    fill_and_import(ui, str(reference), "resnet18", "3 64 64")
    canvas = ui.window.canvas
    for layer, steps in (("layer2.0.conv1", 8 * 8), ("layer3.0.downsample.0", 4 * 4), ("maxpool", 16 * 16)):
        assert ui.window.select_layer(layer)
        assert canvas.step_count() == steps  # one step per output position
        canvas.step_by(3)
        assert canvas.step() == 3 and canvas.output_position() == (0, 3)


def test_the_imported_resnet18_animates_every_layer_like_the_bundled_one(ui: Ui, tmp_path: Path) -> None:
    """File > Import on the reference ResNet-18 (torchvision's source), then every layer selected in the stack
    as a user clicks it: the canvas shows that layer with the same views and steps as the hand-written
    resources/examples/resnet18.yaml (the same torchvision names), and every sliding-window layer animates:
    a key steps it, Play runs it, Play again stops it."""
    from convdesigner.engine.analysis import analyze
    from convdesigner.engine.layers import CATALOG
    from convdesigner.gui.canvas.layout import CanvasModel
    from convdesigner.io.design_file import load

    reference = Path(__file__).resolve().parents[1] / "reference_models" / "resnet.py"
    fill_and_import(ui, str(reference), "resnet18", "3 224 224")
    assert not ui.window.import_dialog.isVisible() and not hasattr(ui.window, "import_report")
    design = ui.window.document.design
    bundled = analyze(load(Path(__file__).resolve().parents[2] / "resources" / "examples" / "resnet18.yaml"))
    bundled_index = {r.name: r.index for r in bundled.layers}
    canvas = ui.window.canvas
    canvas.speed_box.setCurrentIndex(canvas.speed_box.count() - 1)  # the fastest playback
    animated = compared = 0
    for row, layer in enumerate(design.layers):
        ui.click_row(row)
        assert canvas.model.result.name == layer.name
        if layer.name in bundled_index:
            same = CanvasModel(bundled, bundled_index[layer.name])
            assert (canvas.views(), canvas.step_count()) == (same.views(), same.step_count(canvas.view())), layer.name
            compared += 1
        if CATALOG[layer.type].window is None:
            assert canvas.step_count() <= 1, layer.name
            continue
        assert canvas.step_count() > 1 and canvas.step() == 0, layer.name
        first = canvas.output_position()
        canvas.setFocus()
        ui.qtbot.keyClick(canvas, Qt.Key.Key_Right)
        assert canvas.step() == 1 and canvas.output_position() != first, layer.name
        ui.qtbot.mouseClick(canvas.play_button, Qt.MouseButton.LeftButton)
        assert canvas.is_playing()
        ui.qtbot.waitUntil(lambda: canvas.step() > 2, timeout=5000)
        ui.qtbot.mouseClick(canvas.play_button, Qt.MouseButton.LeftButton)
        assert not canvas.is_playing()
        animated += 1
    assert animated == 20 + 1  # 17 3x3 and 7x7 convolutions, 3 projections, the max pool
    assert compared >= animated
    canvas.grab().save(str(tmp_path / "resnet18-canvas.png"))
