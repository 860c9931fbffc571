"""What the views keep of what they painted (the canvas's frames, the tables' rows, the scroll bars' positions,
the properties' labels) shows the pixels Qt paints without it, at any device pixel ratio; at a fractional one,
where Qt paints widgets at fractional device offsets that kept pixels cannot reproduce, nothing is kept. The
ratio is fixed when the application starts: each ratio runs in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def run_at(scale: str, script: str, tmp_path) -> str:
    """What ``script`` prints, run offscreen at the device pixel ratio ``scale``."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=scale,
               PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.parametrize("scale", ["1", "1.25", "1.5", "2"])
def test_a_scroll_bar_paints_as_qt_does_at_any_pixel_ratio(scale, tmp_path):
    out = run_at(scale, SCRIPT, tmp_path)
    words = out.split()
    assert float(words[words.index("ratio") + 1]) == float(scale)
    assert "differ [] " in out, out
    painted, reused = int(words[words.index("painted") + 1]), int(words[words.index("reused") + 1])
    if scale == "1":  # kept: three positions painted, the two shown again drawn from their pixels
        assert (painted, reused) == (3, 2)
        assert "opaque True" in out
    else:  # a plain QScrollBar: nothing kept, the widgets beneath painted under it
        assert (painted, reused) == (0, 0)
        assert "opaque False" in out


#: A main window on 200 layers going back and forth between layers: the whole window's pixels with every view
#: keeping what it painted, and with none keeping anything, after each selection; and how much was kept.
WINDOW_SCRIPT = r"""
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QImage
from test_row_cache import long_design
from convdesigner.gui.app import _application
from convdesigner.gui.form_labels import KeptPixelsLabel
from convdesigner.gui.main_window import MainWindow

app = _application(offscreen=False)
window = MainWindow(long_design(200), persistent=False)
window.resize(1600, 960)
window.show()

def wait(ms):
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()

wait(100)
window.load_plots()
wait(300)
tables = [window.stack_view, window.rf_panel.table, window.params_panel.table]
canvas = window.canvas.view_widget
labels = window.findChildren(KeptPixelsLabel)

def keep(on):
    canvas.cache_frames = on
    for table in tables:
        table.cache_rows = on
        table.verticalScrollBar().keep_pixels = on
    for label in labels:
        label.keep_pixels = on

def pixels():
    wait(60)
    return window.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)

differ = []
for row in (150, 3, 199, 150, 3, 199):
    window.document.select([row])
    wait(80)
    kept = pixels()
    keep(False)
    plain = pixels()
    keep(True)
    if kept != plain:
        differ.append(row)
print("differ", differ)
print("frames", canvas.frames_blitted)
print("rows", sum(table.rows_filled for table in tables))
print("bars", sum(table.verticalScrollBar().painted for table in tables))
print("labels", sum(label.painted for label in labels))
"""


@pytest.mark.parametrize("scale", ["1", "1.5", "2"])
def test_the_window_shows_what_qt_paints_at_any_pixel_ratio(scale, tmp_path):
    out = run_at(scale, WINDOW_SCRIPT, tmp_path)
    counts = dict(line.split() for line in out.splitlines() if not line.startswith("differ"))
    kept = {name: int(count) for name, count in counts.items()}
    if scale == "1.5":  # nothing kept at a fractional ratio
        assert kept == {"frames": 0, "rows": 0, "bars": 0, "labels": 0}
        return
    assert "differ []" in out, out
    assert kept["frames"] > 0 and kept["rows"] > 0 and kept["labels"] > 0
    assert (kept["bars"] > 0) == (scale == "1")  # the scroll bars keep pixels at a ratio of 1 only
