"""The open design: its current value, file path, undo history, selection and the engine's analysis of it.

The design is an immutable engine value; every edit replaces it through a command on ``undo_stack``
(see undo_commands), and the analysis is recomputed once per change. Views listen to the signals and never
change the design themselves. Autosave/recovery can listen to ``changed`` too.

The selection (which layers are selected) lives here and nowhere else: the layer table, the analysis tables,
the chart and the plots all select through `Document.select` and follow ``selectionChanged``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..engine.analysis import Analysis, analyze
from ..engine.design import Design, InputSpec


def empty_design() -> Design:
    """What File > New without a template opens: a 3-channel 64×64 input and no layers."""
    return Design("Untitled", InputSpec(3, (64, 64)))


class Document(QObject):
    """One design being edited."""

    #: The design changed (an edit, an undo or a redo); the argument is the design before the change.
    changed = Signal(object)
    #: A different design was opened (new, open, template): views start over.
    replaced = Signal()
    #: The file path changed (open, save as); the argument is the new path or "".
    pathChanged = Signal(str)
    #: The modified state changed (edits made or saved).
    modifiedChanged = Signal(bool)
    #: The selected layers changed; the argument is their sorted positions (a list, possibly empty).
    selectionChanged = Signal(list)
    #: What an edit did besides the obvious, or why it was refused (for the status bar).
    notice = Signal(str)

    def __init__(self, design: Design | None = None, path: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._design = design if design is not None else empty_design()
        self._analysis = analyze(self._design)
        self._path = path
        self._selection: list[int] = []
        #: True while the views hear of a change: a view's selection echoing its own update is ignored
        self._announcing = False
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)

    def _clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)

    @property
    def design(self) -> Design:
        return self._design

    @property
    def analysis(self) -> Analysis:
        return self._analysis

    @property
    def path(self) -> str | None:
        return self._path

    @property
    def selection(self) -> list[int]:
        """The selected layers' positions, sorted."""
        return list(self._selection)

    @property
    def current(self) -> int | None:
        """The first selected layer (the one the properties and the canvas show), None without a selection."""
        return self._selection[0] if self._selection else None

    def select(self, rows: list[int]) -> None:
        """Select these layers (positions out of range are dropped); every view follows."""
        if self._announcing:
            return
        count = len(self._design.layers)
        rows = sorted({r for r in rows if 0 <= r < count})
        if rows != self._selection:
            self._selection = rows
            self.selectionChanged.emit(list(rows))

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def push(self, command: QUndoCommand) -> None:
        """Do an edit (undoably). A command that carries a ``refusal`` is not done, and the reason is
        announced; one that carries ``notes`` (what else it changed) is done and they are announced."""
        refusal = getattr(command, "refusal", None)
        if refusal:
            self.notice.emit(f"Cannot {command.text()[:1].lower()}{command.text()[1:]}: {refusal}")
            return
        self.undo_stack.push(command)
        notes = getattr(command, "notes", None)
        if notes:
            self.notice.emit(f"{command.text()}: {'; '.join(notes)}")

    def replace(self, design: Design, path: str | None = None) -> None:
        """Open another design: forget the history; the new design is unmodified."""
        self._design = design
        self._analysis = analyze(design)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self._selection = []
        self._announcing = True
        try:
            self.replaced.emit()
        finally:
            self._announcing = False
        self.selectionChanged.emit([])
        self.set_path(path)
        self.modifiedChanged.emit(False)

    def set_path(self, path: str | None) -> None:
        self._path = path
        self.pathChanged.emit(path or "")

    def mark_saved(self, path: str) -> None:
        self.set_path(path)
        self.undo_stack.setClean()

    def apply(self, design: Design, select: list[str] | None) -> None:
        """Make ``design`` current and tell the views (called by undo commands only); ``select`` names the
        layers to select afterwards (None: keep the selection)."""
        before = self._design
        self._design = design
        self._analysis = analyze(design, previous=self._analysis)
        shown = self._selection
        if select is None:
            self._selection = [r for r in shown if r < len(design.layers)]
        else:
            positions = {layer.name: i for i, layer in enumerate(design.layers)}
            self._selection = sorted(positions[n] for n in set(select) if n in positions)
        self._announcing = True
        try:
            self.changed.emit(before)
        finally:
            self._announcing = False
        if self._selection != shown or any(
                before.layers[row].name != design.layers[row].name for row in shown):  # other layers now
            self.selectionChanged.emit(list(self._selection))
