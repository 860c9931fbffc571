"""Export > Animation as GIF asks for the view, size, speed, steps and numbers first, and offers the design's
folder."""

from __future__ import annotations

from PySide6.QtGui import QImage, QImageReader
from PySide6.QtWidgets import QDialog

from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.io.design_file import dumps


def test_the_animation_dialog_exports_what_it_asks_for(make_ui, tmp_path, monkeypatch):
    design = Design("Up", InputSpec(1, (3, 3)), (
        Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": 3, "stride": 2}),))
    file = tmp_path / "designs" / "up.yaml"
    file.parent.mkdir()
    file.write_text(dumps(design), encoding="utf-8")
    ui = make_ui(design, str(file))
    ui.click_row(0)
    canvas = ui.window.canvas
    seen = {}

    def answer(dialog) -> int:
        seen["path"] = dialog.path.text()
        seen["views"] = [dialog.view.itemData(i) for i in range(dialog.view.count())]
        dialog.view.setCurrentIndex(dialog.view.findData("scatter"))
        seen["last"] = dialog.last.maximum()
        dialog.width_box.setValue(320)
        dialog.height_box.setValue(200)
        dialog.fps.setValue(4)
        dialog.first.setValue(2)
        dialog.last.setValue(5)
        dialog.numbers.setChecked(True)
        dialog.path.setText(str(tmp_path / "out"))
        return QDialog.DialogCode.Accepted

    from convdesigner.gui.canvas import animation_dialog

    monkeypatch.setattr(animation_dialog.AnimationDialog, "exec", answer)
    canvas.export_gif_dialog()
    assert seen["path"] == str(tmp_path / "designs" / "up-direct.gif")  # the design's folder
    assert {"direct", "scatter"} <= set(seen["views"])
    assert seen["last"] == 9  # the scatter view: one step per input unit
    reader = QImageReader(str(tmp_path / "out.gif"))
    assert reader.imageCount() == 4  # steps 2..5
    image = QImage(str(tmp_path / "out.gif"))
    assert (image.width(), image.height()) == (320, 200)
