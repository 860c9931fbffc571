"""The tables' scroll bars paint as QScrollBar does at any device pixel ratio, fractional ones included (the
ratio is fixed when the application starts: each ratio runs in a process of its own)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

#: A scroll bar at an odd place in a window with one background colour: its pixels on screen, kept and as
#: QScrollBar paints them (keep_pixels off), at positions shown for the first time and again.
SCRIPT = r"""
import sys
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget
from convdesigner.gui.scroll_bar import KeptScrollBar

app = QApplication([])
app.setStyle("Fusion")
window = QWidget()
window.resize(120, 300)
bar = KeptScrollBar(Qt.Orientation.Vertical, window)
bar.setGeometry(37, 11, 15, 251)
bar.setRange(0, 500)
bar.setPageStep(40)
window.show()

def on_screen():
    bar.update()
    for _ in range(5):
        app.processEvents()
    return window.screen().grabWindow(window.winId()).toImage().convertToFormat(QImage.Format.Format_RGB32)

differ = []
for value in (0, 123, 460, 123, 0):
    bar.setValue(value)
    kept = on_screen()
    bar.keep_pixels = False
    plain = on_screen()
    bar.keep_pixels = True
    if kept != plain:
        differ.append(value)
print("ratio", bar.devicePixelRatio(), "differ", differ, "painted", bar.painted, "reused", bar.reused,
      "opaque", bar.testAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent))
"""


@pytest.mark.parametrize("scale", ["1", "1.25", "1.5", "2"])
def test_a_scroll_bar_paints_as_qt_does_at_any_pixel_ratio(scale, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=scale)
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    words = run.stdout.split()
    assert float(words[words.index("ratio") + 1]) == float(scale)
    assert "differ [] " in run.stdout, run.stdout
    painted, reused = int(words[words.index("painted") + 1]), int(words[words.index("reused") + 1])
    if float(scale).is_integer():  # kept: three positions painted, the two shown again drawn from their pixels
        assert (painted, reused) == (3, 2)
        assert "opaque True" in run.stdout
    else:  # a plain QScrollBar at a fractional ratio: nothing kept, the widgets beneath painted under it
        assert (painted, reused) == (0, 0)
        assert "opaque False" in run.stdout
