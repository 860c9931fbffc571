"""The application as a whole: start-up, screenshots, exception capture, themes and speed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, QRect, Qt, Signal
from PySide6.QtGui import QImage, QPalette, QRegion

from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.gui.stack_model import OUTPUT

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, settings: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(settings), HOME=str(settings))
    return subprocess.run([sys.executable, "-m", "convdesigner", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_exceptions_in_slots_fail_the_tests(request, qtbot):
    """pytest-qt's capture of exceptions raised in Qt slots is on for this suite."""
    assert not request.config.getini("qt_no_exception_capture")

    class Emitter(QObject):
        fired = Signal()

    emitter = Emitter()

    def broken() -> None:
        raise RuntimeError("boom in a slot")

    emitter.fired.connect(broken)
    with qtbot.capture_exceptions() as exceptions:
        emitter.fired.emit()
    assert len(exceptions) == 1 and str(exceptions[0][1]) == "boom in a slot"


def test_screenshot_of_the_default_example(tmp_path):
    png = tmp_path / "main.png"
    done = run_cli("--screenshot", str(png), settings=tmp_path)
    assert done.returncode == 0, done.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1600, 960)
    assert not list(tmp_path.rglob("*.ini")), "a screenshot must not write settings"


def test_screenshot_with_a_file_and_a_selected_layer(tmp_path):
    png = tmp_path / "unet.png"
    done = run_cli("resources/examples/unet-small.yaml", "--screenshot", str(png), "--select", "up2",
                   settings=tmp_path)
    assert done.returncode == 0, done.stderr
    assert QImage(str(png)).width() == 1600
    missing = run_cli("resources/examples/unet-small.yaml", "--screenshot", str(png), "--select", "nope",
                      settings=tmp_path)
    assert missing.returncode == 2
    assert "there is no layer named 'nope' in UNetSmall" in missing.stderr


def test_a_file_that_fails_to_load_on_the_command_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("convdesigner: 1\ninput: {channels: 0, size: [8]}\n", encoding="utf-8")
    done = run_cli(str(bad), "--screenshot", str(tmp_path / "x.png"), settings=tmp_path)
    assert done.returncode == 1
    assert f"{bad}:2:" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_plots_are_built_after_the_window_and_load_no_plotting_library(tmp_path):
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from convdesigner.gui.main_window import MainWindow\n"
        "window = MainWindow(persistent=False)\n"
        "window.show(); app.processEvents()\n"
        "print('before', window.rf_panel.host.loaded, window.params_panel.host.loaded)\n"
        "window.load_plots()\n"
        "print('after', window.rf_panel.host.loaded, window.params_panel.host.loaded)\n"
        "print('heavy', sorted(m for m in ('numpy', 'pyqtgraph') if m in sys.modules))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120).stdout
    assert "before False False" in out and "after True True" in out and "heavy []" in out


def test_the_app_follows_a_dark_colour_scheme(qapp, monkeypatch):
    from convdesigner.gui import theme

    original = qapp.palette()
    monkeypatch.setattr(theme, "system_prefers_dark", lambda: True)
    try:
        theme.apply_theme(qapp)
        assert qapp.style().name().lower() == "fusion"
        assert qapp.palette().color(QPalette.ColorRole.Base).lightness() < 64
        assert theme.StateColours().error_background.lightness() < 128
    finally:
        qapp.setPalette(original)


def _ink_lightness(icon) -> int:
    image = icon.pixmap(24, 24).toImage()
    inked = [image.pixelColor(x, y) for x in range(24) for y in range(24) if image.pixelColor(x, y).alpha() > 200]
    return max(c.lightness() for c in inked)


def test_icons_follow_a_switch_to_the_dark_scheme(window, qapp, monkeypatch, qtbot):
    from convdesigner.gui import theme

    assert _ink_lightness(window.undo_action.icon()) < 100  # dark strokes on the light palette
    original = qapp.palette()
    monkeypatch.setattr(theme, "system_prefers_dark", lambda: True)
    try:
        theme.apply_theme(qapp)
        qtbot.waitUntil(lambda: _ink_lightness(window.undo_action.icon()) > 180)  # light strokes on dark
        assert _ink_lightness(window.properties.solve_button.icon()) > 180
    finally:
        qapp.setPalette(original)


def test_playback_buttons_follow_a_switch_to_the_dark_scheme(ui, qapp, monkeypatch, qtbot):
    """The canvas's playback icons read on both schemes (Fusion's media icons stayed dark on the dark one)."""
    from convdesigner.gui import theme

    ui.click_row(0)  # conv1: a sliding window to play
    canvas = ui.window.canvas
    buttons = (canvas.first_button, canvas.back_button, canvas.play_button, canvas.forward_button,
               canvas.last_button)
    assert all(_ink_lightness(button.icon()) < 100 for button in buttons)
    original = qapp.palette()
    monkeypatch.setattr(theme, "system_prefers_dark", lambda: True)
    try:
        theme.apply_theme(qapp)
        qtbot.waitUntil(lambda: all(_ink_lightness(button.icon()) > 180 for button in buttons))
        qtbot.mouseClick(canvas.play_button, Qt.MouseButton.LeftButton)  # now a pause button, tinted too
        assert canvas.play_button.text() == "Pause" and _ink_lightness(canvas.play_button.icon()) > 180
    finally:
        qapp.setPalette(original)


def test_plots_show_the_selected_layer(make_ui):
    from gui_helpers import small_encoder

    ui = make_ui(small_encoder())
    ui.window.load_plots()
    ui.click_row(2)
    panel = ui.window.rf_panel
    panel.host.refresh_now()
    assert panel.chart.marker == 2  # drawn at x = 3 (x = 0: the input)
    sizes = panel.chart.panes[0].series[0].values
    assert sizes == (1, 3, 3, 5, 5)  # the input, then + (k - 1) × jump
    assert panel.table.model().index(2, 1).data() == "5"
    assert panel.table.model().index(2, 2).data() == "2"  # jump after the stride-2 convolution
    params = ui.window.params_panel
    params.host.refresh_now()
    assert params.chart.marker == 2 and params.chart.panes[0].bars[2] == 1168.0
    totals = params.table.model().index(4, 1).data()
    assert totals == "1\u2009248"  # (8·1·9 + 8) + (16·8·9 + 16)


def long_design(count: int) -> Design:
    layers = []
    for n in range(count // 2):
        layers.append(Layer.make("Conv2d", f"conv{n}", {"out_channels": 8, "kernel_size": 3, "padding": 1}))
        layers.append(Layer.make("ReLU", f"relu{n}"))
    return Design("Deep", InputSpec(8, (32, 32)), tuple(layers))


class Work:
    """What the views did since it was made: rows formatted per table model, the rows each model announced
    as changed (first, last), repaints per chart."""

    def __init__(self, window) -> None:
        self.models = [window.stack.model, window.rf_panel.model, window.params_panel.model]
        self.charts = [window.rf_panel.chart, window.params_panel.chart]
        self._formatted = [m.formatted_rows for m in self.models]
        self._paints = [c.paints for c in self.charts]
        self.changed: list[list[tuple[int, int]]] = [[] for _ in self.models]
        for model, ranges in zip(self.models, self.changed):
            model.dataChanged.connect(lambda top, bottom, *_r, ranges=ranges: ranges.append((top.row(), bottom.row())))

    def formatted(self) -> list[int]:
        return [m.formatted_rows - n for m, n in zip(self.models, self._formatted)]

    def paints(self) -> list[int]:
        return [c.paints - n for c, n in zip(self.charts, self._paints)]


def activate(qtbot, window) -> None:
    """Make the window the active one first (becoming active repaints it all, which is not an edit's work)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def settle(qtbot, window) -> None:
    """Let the views finish: the charts' coalescing timer fired, every pending paint done."""
    qtbot.waitUntil(lambda: not any(p.host._timer.isActive() for p in (window.rf_panel, window.params_panel)))
    qtbot.wait(60)


def test_an_edit_of_a_200_layer_stack_updates_the_rows_from_the_edited_layer_on(make_ui, qtbot):
    """Work counts, not times (bench/bench_gui.py times it): an edit announces the rows from the edited
    layer on, formats only the changed rows that are on screen, and repaints each chart once."""
    ui = make_ui(long_design(200))
    window = ui.window
    window.load_plots()
    window.document.select([190])  # conv95, near the end: every table scrolls to it
    activate(qtbot, window)
    settle(qtbot, window)
    work = Work(window)
    read = window.stack.model.layers_read
    ui.type_into(ui.argument("out_channels").editor.spin, "9")
    settle(qtbot, window)
    assert ui.cell(191, OUTPUT) == "9×32×32" and ui.cell(199, OUTPUT) == "8×32×32"
    assert all(ranges and ranges[0][0] == 190 for ranges in work.changed), work.changed
    assert all(0 < n <= 10 for n in work.formatted()), work.formatted()  # rows 190-199 at most, not 200
    assert work.paints() == [0, 1]  # the fields did not change: their chart is not even repainted
    assert window.stack.model.layers_read == read + 1  # the links: the edited layer's references alone

    window.document.select([0])  # the first layer: every row changes, only those on screen are formatted
    settle(qtbot, window)
    work = Work(window)
    ui.type_into(ui.argument("out_channels").editor.spin, "9")
    settle(qtbot, window)
    assert [ranges[0][0] for ranges in work.changed] == [0, 0, 0]
    on_screen = [view.rowAt(view.viewport().height()) - view.rowAt(0) + 1
                 for view in (window.stack_view, window.rf_panel.table, window.params_panel.table)]
    assert all(0 < n <= rows + 2 for n, rows in zip(work.formatted(), on_screen)), (work.formatted(), on_screen)
    assert work.paints() == [0, 1]
    work = Work(window)
    ui.type_into(ui.argument("kernel_size").editor.spins[0], "5")  # every field changes too
    settle(qtbot, window)
    assert work.paints() == [1, 1]


def settled_on_row(make_ui, qtbot, row: int):
    """A 200-layer window, its plots loaded, ``row`` clicked, active and settled: a selection's work from here
    on is the selection's alone."""
    ui = make_ui(long_design(200))
    ui.window.load_plots()
    ui.click_row(row)
    activate(qtbot, ui.window)
    settle(qtbot, ui.window)
    return ui


def test_a_selection_formats_no_cells_and_repaints_each_chart_once(make_ui, qtbot):
    ui = settled_on_row(make_ui, qtbot, 3)
    window = ui.window
    work = Work(window)
    ui.click_row(5)
    settle(qtbot, window)
    assert window.rf_panel.chart.marker == 5 and window.params_panel.chart.marker == 5
    assert work.formatted() == [0, 0, 0] and work.changed == [[], [], []]
    assert work.paints() == [1, 1]


class LayoutRequests(QObject):
    """Counts the layout requests the main window receives: each relayouts every dock, separator and the
    status bar."""

    def __init__(self, window) -> None:
        super().__init__()
        self.count = 0
        window.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def test_a_selection_of_a_like_layer_relayouts_nothing_of_the_window(make_ui, qtbot):
    """The canvas shows another layer (its step label, play button and view buttons set again) without a
    layout request reaching the main window: its size did not change."""
    ui = settled_on_row(make_ui, qtbot, 2)
    window = ui.window
    requests = LayoutRequests(window)
    for row in (4, 150, 6, 4):  # convolutions, near and far
        ui.click_row(row) if row < 20 else window.document.select([row])
        settle(qtbot, window)
        assert window.canvas.model.result.name == f"conv{row // 2}"
    window.canvas.show_layer(window.document.analysis, 4)  # the same layer again, as after an edit
    settle(qtbot, window)
    assert requests.count == 0


class Painted(QObject):
    """The region of a widget painted since it was made."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.region = QRegion()
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.region += event.region()
        return False


def test_selecting_a_row_on_screen_repaints_the_two_rows_alone(make_ui, qtbot):
    """The document selecting a row that is on screen (as after a click in a chart) scrolls no table and
    repaints, in the layer list, the row it leaves and the row it selects, not every cell on screen."""
    window = settled_on_row(make_ui, qtbot, 3).window
    view = window.stack_view
    painted = Painted(view.viewport())
    scrolled = view.verticalScrollBar().value()
    window.document.select([5])
    settle(qtbot, window)
    assert view.selected_rows() == [5] and view.verticalScrollBar().value() == scrolled
    row_rect = lambda row: QRect(0, view.rowViewportPosition(row), view.viewport().width(),  # noqa: E731
                                 view.rowHeight(row))
    assert painted.region.contains(row_rect(3)) and painted.region.contains(row_rect(5))
    assert not painted.region.intersects(row_rect(4)) and not painted.region.intersects(row_rect(8))


def test_the_properties_update_only_the_argument_rows_that_show_something_new(make_ui, qtbot):
    """Switching between two like layers updates no argument row of the form; an edit updates the edited
    argument's row alone; a layer of another type, or with another value, updates what differs."""
    ui = make_ui(long_design(20))
    window = ui.window
    properties = window.properties
    ui.click_row(2)  # conv1
    before = properties.row_updates
    ui.click_row(4)  # conv2: the same arguments
    assert properties.row_updates == before
    assert ui.argument("out_channels").editor.spin.value() == 8
    source = properties.wiring.combo
    assert [source.itemText(i) for i in range(source.count())] == ["the layer above", "relu1", "conv1", "relu0",
                                                                   "conv0", "input"]
    resets = properties.wiring.choices.resets
    ui.type_into(ui.argument("out_channels").editor.spin, "9")
    assert window.document.design.layers[4].get("out_channels") == 9
    assert properties.row_updates == before + 1
    assert properties.wiring.choices.resets == resets  # the From field's choices stand
    ui.choose(source, "conv0")
    assert window.document.design.layers[4].inputs == ("conv0",) and source.currentText() == "conv0"
    window.document.undo_stack.undo()
    assert source.currentText() == "the layer above"
    ui.click_row(2)  # back to conv1: only out_channels differs
    assert properties.row_updates == before + 2
    assert ui.argument("out_channels").editor.spin.value() == 8
    window.document.undo_stack.undo()  # conv2 back to 8, conv1 shown: nothing of the form changes
    assert properties.row_updates == before + 2
    ui.click_row(3)  # a ReLU: its own form, shown the first time
    assert properties.row_updates > before + 2


@pytest.mark.parametrize("example", ["dcgan-generator", "unet-small", "vgg16", "alexnet"])
def test_bundled_examples_open_without_errors(make_ui, example):
    from convdesigner.io.design_file import load

    ui = make_ui(load(ROOT / "resources" / "examples" / f"{example}.yaml"))
    assert ui.window.document.analysis.ok
    assert "error" not in ui.column(OUTPUT)
    assert ui.window.totals.text().startswith("Output <b>")


def test_an_exception_in_a_slot_shows_a_dialog_and_the_app_keeps_running(tmp_path):
    code = (
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from convdesigner.gui.crash_dialog import install_excepthook\n"
        "from convdesigner.gui.main_window import MainWindow\n"
        "from convdesigner.gui.app import default_design\n"
        "install_excepthook()\n"
        "window = MainWindow(default_design(), persistent=False)\n"
        "window.show()\n"
        "def boom():\n"
        "    raise RuntimeError('boom in a slot')\n"
        "def check():\n"
        "    dialogs = [w for w in QApplication.topLevelWidgets() if w.objectName() == 'crashDialog' and w.isVisible()]\n"
        "    print('dialogs', len(dialogs), 'RuntimeError: boom in a slot' in dialogs[0].detailedText())\n"
        "    print('window', window.isVisible(), len(window.document.design.layers))\n"
        "    app.quit()\n"
        "QTimer.singleShot(0, boom)\n"
        "QTimer.singleShot(10, boom)\n"
        "QTimer.singleShot(400, check)\n"
        "app.exec()\n"
        "print('alive')\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "dialogs 1 True" in done.stdout  # one dialog, even for two failures
    assert "window True 14" in done.stdout and "alive" in done.stdout
    assert done.stderr.count("RuntimeError: boom in a slot") == 2  # both logged
    assert done.returncode == 0
