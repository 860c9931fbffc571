"""The properties form does the work a change needs and no more: an editor showing a value of the shape it
shows already asks nothing of the form's layout, and a new title or shapes line is painted once. What is
shown equals what a form built afresh shows."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QVBoxLayout, QWidget
from test_app import LayoutRequests
from test_select_work import Paints, on_screen

from convdesigner.engine.arguments import Argument, Kind
from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.gui.argument_editors import AxesEditor


def layout_requests(widgets) -> list[LayoutRequests]:
    return [LayoutRequests(widget) for widget in widgets]


def count(counters) -> int:
    return sum(counter.count for counter in counters)


def held(editor: QWidget, qtbot) -> QWidget:
    """A shown window of a fixed size holding ``editor`` (as the form's grid holds it)."""
    holder = QWidget()
    qtbot.addWidget(holder)
    QVBoxLayout(holder).addWidget(editor, 0, Qt.AlignmentFlag.AlignTop)
    holder.resize(360, 120)
    holder.show()
    qtbot.waitExposed(holder)
    return holder


def shown_as(holder: QWidget, editor: AxesEditor, qtbot) -> tuple:
    """What an axes editor shows: its pixels (its window the active one: Fusion paints inactive windows in
    other colours), and each spin box's prefix, tooltip and visibility."""
    holder.activateWindow()
    qtbot.waitUntil(holder.isActiveWindow)
    return (holder.grab().toImage(),
            [(spin.prefix(), spin.toolTip(), spin.isVisibleTo(holder), spin.value()) for spin in editor.spins],
            editor.link.isVisibleTo(holder), editor.link.isChecked(), editor.link.toolTip())


@pytest.mark.parametrize("dark", [False, True])
@pytest.mark.parametrize("kind", [Kind.AXES, Kind.PAD_LIST])
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_an_axes_editor_shows_what_an_editor_built_for_the_value_shows(qtbot, qapp, monkeypatch, kind, ndim, dark):
    """Through values linked and per axis, an editor kept (which sets prefixes, places and its link icon only
    when they change) shows exactly what a new editor shown the last value does. (An editor serves one
    number of axes: the form is kept per layer type and number of axes.)"""
    from convdesigner.gui import theme

    original = qapp.palette()
    monkeypatch.setattr(theme, "system_prefers_dark", lambda: dark)
    theme.apply_theme(qapp)
    try:
        argument = Argument("kernel_size", kind, 1)
        kept = AxesEditor(argument, pairs=kind == Kind.PAD_LIST)
        kept_holder = held(kept, qtbot)
        per_axis = tuple(range(2, 2 + (2 * ndim if kind == Kind.PAD_LIST else ndim)))
        for value in (3, per_axis, 2, per_axis[::-1], 4, (1,) * len(per_axis), (1,) * len(per_axis), 4):
            kept.set_value(value, ndim)
            fresh = AxesEditor(argument, pairs=kind == Kind.PAD_LIST)
            fresh_holder = held(fresh, qtbot)
            fresh.set_value(value, ndim)
            qtbot.wait(10)
            assert shown_as(kept_holder, kept, qtbot) == shown_as(fresh_holder, fresh, qtbot), value
            assert kept.value() == fresh.value()
            fresh_holder.close()
    finally:
        qapp.setPalette(original)


def test_an_axes_editor_showing_a_value_of_the_same_shape_asks_for_no_layout(qtbot):
    kept = AxesEditor(Argument("stride", Kind.AXES, 1))
    holder = held(kept, qtbot)
    kept.set_value(2, 2)
    qtbot.wait(10)
    requests = layout_requests([kept, *kept.spins, kept.link])
    for value in (3, 1, 2, 2):  # linked values: the first spin box's value changes, nothing else
        kept.set_value(value, 2)
        qtbot.wait(10)
    assert count(requests) == 0
    kept.set_value((2, 3), 2)  # per axis: the second spin box is shown, the first gets its axis's name
    qtbot.wait(10)
    assert count(requests) >= 1 and kept.spins[0].prefix() == "H: " and kept.spins[1].isVisibleTo(holder)


def conv_design() -> Design:
    return Design("Convs", InputSpec(4, (16, 16)), (
        Layer.make("Conv2d", "c1", {"out_channels": 8, "kernel_size": 3, "padding": 1}),
        Layer.make("Conv2d", "c2", {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}),
        Layer.make("Conv2d", "c3", {"out_channels": 8, "kernel_size": 5, "padding": 2, "dilation": 2}),
    ))


def test_a_kernel_edit_lays_out_nothing_of_the_form(make_ui, qtbot):
    """A new kernel size changes one spin box's value and the padding's resolved text: the form, its
    editors and their spin boxes get no layout request (each level asked its parent in turn before, and the
    form was painted between two layouts)."""
    window = make_ui(conv_design()).window
    window.document.select([0])
    panel = window.properties
    for size in (5, 3):  # the window settled, each value shown once
        panel.set_argument("kernel_size", size)
        qtbot.wait(100)
    form = panel.form_widget
    requests = layout_requests([form, *form.findChildren(QWidget)])
    for size in (5, 3, 5, 7):
        panel.set_argument("kernel_size", size)
        qtbot.wait(40)
        assert panel.rows["kernel_size"].editor.spins[0].value() == size
    assert count(requests) == 0
    window.document.undo_stack.undo()  # (the edits of one argument merged into one step: back to 3)
    qtbot.wait(40)
    assert panel.rows["kernel_size"].editor.spins[0].value() == 3 and count(requests) == 0


@pytest.mark.parametrize("dark", [False, True])
def test_a_new_title_and_shapes_line_are_painted_once(make_ui, qtbot, qapp, monkeypatch, dark):
    """The title (rich text) and the shapes line (selectable) lay their text out before the paint, whether
    measured then or not (a text laid out while painted asked for a second paint), and the form is laid out
    before it, a title of another height included (the scroll area resized the form after its paint, which
    painted all of it again); the pixels on screen are those of a paint asked for afterwards."""
    from convdesigner.gui import theme

    monkeypatch.setattr(theme, "system_prefers_dark", lambda: dark)
    original = qapp.palette()
    theme.apply_theme(qapp)
    try:
        painted_once(make_ui(conv_design()).window, qtbot)
    finally:
        qapp.setPalette(original)


def painted_once(window, qtbot) -> None:
    panel = window.properties
    labels = (panel.title, panel.shapes)
    content = panel.title.parentWidget().parentWidget()  # the scroll area's: title, shapes, From, the form
    for row in (0, 1, 2):  # each title and shapes line measured once
        window.document.select([row])
        qtbot.wait(60)
    for row in (1, 0, 2, 0, 1):
        paints = [Paints(widget) for widget in (*labels, content)]
        kept = [label.painted for label in labels]  # (a text painted into kept pixels is one paint more)
        window.document.select([row])
        qtbot.wait(60)
        counts = [p.count for p in paints]
        for n, label in enumerate(labels):
            counts[n] -= label.painted - kept[n]
        assert counts == [1, 1, 1], row  # the form laid out before its paint, at its size
        shown = [on_screen(window, label) for label in labels]
        for label in labels:
            label.update()
        qtbot.wait(30)
        assert shown == [on_screen(window, label) for label in labels]
    panel.set_argument("kernel_size", 7)  # a new shapes line on an edit: painted once too
    paints = Paints(panel.shapes)
    qtbot.wait(60)
    assert paints.count == 1 and "→  8×6×6" in panel.shapes.text()  # (row 1: stride 2, padding 1)


class Restyles(LayoutRequests):
    """Counts the style sheet and tooltip changes a widget receives."""

    def eventFilter(self, watched, event) -> bool:
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.ToolTipChange):
            self.count += 1
        return False


def test_an_argument_edit_restyles_nothing_of_the_input_editor(make_ui, qtbot):
    """The input editor follows every change of the design; an edit of a layer leaves what it shows alone
    (its problem label's and spin boxes' style sheets, set again, repolished them), and a refused input is
    still framed in red, and no longer once a value is applied."""
    ui = make_ui(conv_design())
    ui.window.document.select([0])
    editor = ui.window.stack.input_editor
    restyles = [Restyles(widget) for widget in (editor.problem, editor.channels, *editor.sizes)]
    for size in (5, 3, 7):
        ui.window.properties.set_argument("kernel_size", size)
        qtbot.wait(10)
    assert ui.window.document.design.layers[0].get("kernel_size") == 7 and count(restyles) == 0
    ui.type_into(editor.channels, "0")  # refused: shown in red, not applied
    assert editor.problem.isVisibleTo(ui.window) and "border" in editor.channels.styleSheet()
    assert ui.window.document.design.input.channels == 4
    ui.type_into(editor.channels, "6")
    assert ui.window.document.design.input.channels == 6
    assert not editor.problem.isVisibleTo(ui.window) and editor.channels.styleSheet() == ""
    assert all(spin.styleSheet() == "" for spin in editor.sizes)


def painted_afresh(qtbot, window, label) -> QImage:
    """A label's pixels once it painted itself as QLabel does (its kept pixels off)."""
    label.keep_pixels = False
    try:
        label.update()
        qtbot.wait(30)
        return on_screen(window, label)
    finally:
        label.keep_pixels = True
        label.update()
        qtbot.wait(30)


@pytest.mark.parametrize("dark", [False, True])
def test_the_title_and_shapes_drawn_from_kept_pixels_are_what_qlabel_paints(make_ui, qtbot, qapp, monkeypatch,
                                                                              dark):
    """Through selections (titles of two heights), an edit, an undo and a resize of the window, the title
    and the shapes line on screen equal QLabel's own paint; a text shown before at the same size is drawn
    from its pixels."""
    from convdesigner.gui import theme

    monkeypatch.setattr(theme, "system_prefers_dark", lambda: dark)
    original = qapp.palette()
    theme.apply_theme(qapp)
    try:
        window = make_ui(conv_design()).window
        labels = (window.properties.title, window.properties.shapes)
        steps = [lambda row=row: window.document.select([row]) for row in (0, 1, 2, 1, 0)]
        steps += [lambda: window.properties.set_argument("kernel_size", 7), window.document.undo_stack.undo,
                  lambda: window.resize(window.width() + 60, window.height()), lambda: window.document.select([1])]
        for step in steps:
            step()
            qtbot.wait(60)
            for label in labels:
                assert on_screen(window, label) == painted_afresh(qtbot, window, label)
        painted, reused = [label.painted for label in labels], [label.reused for label in labels]
        for row in (0, 2, 1):  # each shown before at this size
            window.document.select([row])
            qtbot.wait(60)
        assert [label.painted for label in labels] == painted
        assert all(label.reused >= before + 3 for label, before in zip(labels, reused))
    finally:
        qapp.setPalette(original)


def test_a_new_palette_paints_the_title_again(make_ui, qtbot, qapp, monkeypatch):
    from convdesigner.gui import theme

    original = qapp.palette()
    try:
        window = make_ui(conv_design()).window
        title = window.properties.title
        for row in (0, 1):
            window.document.select([row])
            qtbot.wait(60)
        painted = title.painted
        monkeypatch.setattr(theme, "system_prefers_dark", lambda: True)
        theme.apply_theme(qapp)
        window.document.select([0])  # its title kept in the light palette's colours
        qtbot.wait(60)
        assert title.painted > painted
        assert on_screen(window, title) == painted_afresh(qtbot, window, title)
    finally:
        qapp.setPalette(original)


def test_a_selected_shapes_line_is_painted_with_its_selection(make_ui, qtbot):
    """The shapes line's text can be selected: with a selection it is painted by QLabel (the selection is not
    in its kept pixels), and drawn from them again once the selection is gone."""
    window = make_ui(conv_design()).window
    window.document.select([0])
    qtbot.wait(60)
    shapes = window.properties.shapes
    plain = on_screen(window, shapes)
    reused = shapes.reused
    shapes.setSelection(0, 7)
    qtbot.wait(30)
    selected = on_screen(window, shapes)
    assert selected != plain and selected == painted_afresh(qtbot, window, shapes)
    shapes.setSelection(0, 0)
    qtbot.wait(30)
    assert on_screen(window, shapes) == plain and shapes.reused > reused
