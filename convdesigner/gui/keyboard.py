"""The window's keyboard: shortcuts registered once each, Undo/Redo that reach the design from any field that
edits it, one Tab order through every dock, and the list Help > Keyboard shortcuts shows.

Fields of the properties form and the input editor write every change to the design at once (one undo
step each), so their own text-undo would only hide the design's: Ctrl+Z there undoes the design edit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGraphicsView,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

#: Keys the canvas handles itself while it has the focus (a click on it gives it the focus).
CANVAS_KEYS = (
    ("Space", "Play / pause"),
    ("Left / Right", "Step back / forward"),
    ("Home / End", "First / last step"),
    ("+ / -", "Zoom in / out"),
    ("0", "Fit the layer into the view"),
)


def unique_sequences(*groups: Iterable[QKeySequence | str | QKeySequence.StandardKey]) -> list[QKeySequence]:
    """Key sequences in order with every repeat dropped (a platform's standard binding may already hold a
    key we add by hand; registered twice, Qt calls the key ambiguous and fires neither)."""
    seen: list[QKeySequence] = []
    for group in groups:
        for item in group:
            sequences = (QKeySequence.keyBindings(item) if isinstance(item, QKeySequence.StandardKey)
                         else [QKeySequence(item)])
            for sequence in sequences:
                if not sequence.isEmpty() and sequence not in seen:
                    seen.append(sequence)
    return seen


def free_sequences(sequences: Iterable[QKeySequence], window: QWidget) -> list[QKeySequence]:
    """``sequences`` less those an action of ``window`` holds already (a platform's standard key may be one
    the window uses for something else: KDE's full-screen Ctrl+Shift+F is the canvas's Receptive field)."""
    held = [s for action in window.findChildren(QAction) for s in action.shortcuts()]
    return [s for s in sequences if s not in held]


_SHORTCUT_OVERRIDE = QEvent.Type.ShortcutOverride  # looked up once (every event the filter sees asks)


class DesignUndoKeys(QObject):
    """An event filter on the focused field: Undo/Redo pressed in a field inside one of ``owners`` goes to the
    window's Undo/Redo actions instead of the field's own text history. It follows the focus (`follow_focus`)
    rather than filtering every event of the application (thousands per edit, each a call into Python)."""

    def __init__(self, owners: Sequence[QWidget], undo: QAction, redo: QAction, parent: QObject) -> None:
        super().__init__(parent)
        self._owners = list(owners)
        self._undo = undo
        self._redo = redo

    def follow_focus(self, app: QApplication) -> None:
        """Filter the events of whichever widget has the keyboard focus (where a shortcut is first offered)."""
        app.focusChanged.connect(self._focus_changed)
        self._focus_changed(None, app.focusWidget())

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if old is not None:
            with contextlib.suppress(RuntimeError):  # the widget that had the focus is being destroyed
                old.removeEventFilter(self)
        if new is not None:
            new.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != _SHORTCUT_OVERRIDE or not isinstance(watched, QWidget):
            return False
        assert isinstance(event, QKeyEvent)
        sequence = QKeySequence(event.keyCombination())
        if sequence not in self._undo.shortcuts() + self._redo.shortcuts():
            return False
        if not any(owner.isAncestorOf(watched) for owner in self._owners):
            return False
        event.ignore()  # not the field's: the shortcut goes on to the window's action
        return True


def _takes_tab(widget: QWidget) -> bool:
    if not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus) or not widget.isVisible() or not widget.isEnabled():
        return False
    if widget.focusProxy() is not None or isinstance(widget.parentWidget(), (QAbstractSpinBox, QComboBox)):
        return False  # the inner line edit of a spin box or combo box: its owner is in the chain
    if isinstance(widget, QGraphicsView):
        return False  # plots are read by hovering and clicking
    if isinstance(widget, QAbstractScrollArea) and not isinstance(widget, QAbstractItemView):
        return False  # a scroll area is a frame, not a control
    return not isinstance(widget.parentWidget(), QScrollArea)


def tab_chain(sections: Sequence[QWidget], window: QWidget) -> list[QWidget]:
    """Every control that takes Tab, section by section, each section read top to bottom and left to right
    (by each control's centre in the window)."""
    chain: list[QWidget] = []
    for section in sections:
        if not section.isVisible():
            continue
        found = [w for w in section.findChildren(QWidget) if _takes_tab(w)]
        if _takes_tab(section):
            found.append(section)

        def where(w: QWidget) -> tuple[int, int]:
            centre = w.mapTo(window, QPoint(w.width() // 2, w.height() // 2))
            return centre.y(), centre.x()

        chain += sorted(found, key=where)
    return chain


def next_in_chain(chain: Sequence[QWidget], sections: Sequence[QWidget], focus: QWidget | None,
                  forward: bool) -> QWidget | None:
    """The control Tab (``forward``) or Shift+Tab moves to from ``focus``."""
    if not chain:
        return None
    if focus in chain:
        return chain[(chain.index(focus) + (1 if forward else -1)) % len(chain)]
    owner = next((n for n, s in enumerate(sections) if focus is not None and (s is focus or s.isAncestorOf(focus))),
                 None)
    if owner is None:
        return chain[0 if forward else -1]
    later = [w for w in chain if any(s.isAncestorOf(w) or s is w for s in sections[owner + 1:])]
    earlier = [w for w in chain if any(s.isAncestorOf(w) or s is w for s in sections[:owner])]
    if forward:
        return (later or chain)[0]
    return (earlier or chain)[-1]


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str, str]]:
    """(keys, name, what it does) for every action with a shortcut, in order, each action once."""
    rows: list[tuple[str, str, str]] = []
    seen: set[int] = set()
    for action in actions:
        if id(action) in seen or not action.shortcuts():
            continue
        seen.add(id(action))
        keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())
        tip = action.statusTip().split(" (")[0] if action.statusTip() != action.text() else ""
        rows.append((keys, action.text().replace("&", "").rstrip(".…"), tip))
    return rows


def menu_actions(window: QWidget) -> list[QAction]:
    """Every action of a window's menus and submenus, in menu order."""
    found: list[QAction] = []

    def walk(actions: Iterable[QAction]) -> None:
        for action in actions:
            menu = action.menu()
            if menu is not None:
                walk(menu.actions())
            elif not action.isSeparator():
                found.append(action)

    walk(window.menuBar().actions())
    return found


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: generated from the window's own actions, so it cannot go stale."""

    def __init__(self, actions: Iterable[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(actions)
        html = ["<table cellspacing='0' cellpadding='3'>"]
        for keys, name, tip in rows:
            html.append(f"<tr><td><b>{_escape(keys)}</b></td><td>{_escape(name)}</td>"
                        f"<td><span style='color:gray'>{_escape(tip)}</span></td></tr>")
        html.append("<tr><td colspan='3'><br><i>In the canvas (click it first)</i></td></tr>")
        for keys, what in CANVAS_KEYS:
            html.append(f"<tr><td><b>{keys}</b></td><td colspan='2'>{what}</td></tr>")
        html.append("<tr><td colspan='3'><br>Tab and Shift+Tab move through the input, the layer table, the "
                    "properties, the canvas's controls and the analysis tables.</td></tr></table>")
        self.text = QLabel("".join(html), self)
        self.text.setObjectName("shortcutsText")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea(self)
        scroll.setWidget(self.text)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        screen = (parent.screen() if parent is not None else QApplication.primaryScreen()).availableGeometry()
        self.resize(min(820, screen.width()), min(680, screen.height()))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
