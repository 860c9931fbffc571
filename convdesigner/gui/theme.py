"""The look: Fusion style with a palette that follows the system's light or dark colour scheme.

Colours for states the table and forms mark (error, warning, inferred, not computed) come from here so
they are readable on both schemes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication


def system_prefers_dark() -> bool:
    """True when the platform reports a dark colour scheme (Qt 6.5+; unknown counts as light)."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2d31",
        QPalette.ColorRole.WindowText: "#e3e5e8",
        QPalette.ColorRole.Base: "#1f2023",
        QPalette.ColorRole.AlternateBase: "#26282c",
        QPalette.ColorRole.ToolTipBase: "#383a40",
        QPalette.ColorRole.ToolTipText: "#f2f3f5",
        QPalette.ColorRole.PlaceholderText: "#8a8f98",
        QPalette.ColorRole.Text: "#e3e5e8",
        QPalette.ColorRole.Button: "#33353a",
        QPalette.ColorRole.ButtonText: "#e3e5e8",
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#3d7bd9",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#6ea8ff",
        QPalette.ColorRole.Mid: "#45484f",
        QPalette.ColorRole.Dark: "#191a1d",
        QPalette.ColorRole.Light: "#3c3f45",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6d717a"))
    return palette


def light_palette() -> QPalette:
    palette = QApplication.style().standardPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#f3f4f6"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f6f8fa"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#2f6fce"))
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.ToolTipText, QColor("#1f2328"))
    return palette


def apply_theme(app: QApplication) -> None:
    """Fusion, with the light or dark palette the system asks for; follows later scheme changes."""
    if app.style().name().lower() != "fusion":  # setting it again costs a new style and a repolish
        app.setStyle("Fusion")
    app.setPalette(dark_palette() if system_prefers_dark() else light_palette())
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "colorSchemeChanged"):
        hints.colorSchemeChanged.connect(
            lambda _scheme: app.setPalette(dark_palette() if system_prefers_dark() else light_palette()))


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QApplication.palette()
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


class StateColours:
    """Colours for marked rows and fields, for the current palette."""

    def __init__(self, palette: QPalette | None = None) -> None:
        dark = is_dark(palette)
        self.error = QColor("#ff7b72" if dark else "#c62828")
        self.error_background = QColor("#4a2527" if dark else "#fdecea")
        self.warning = QColor("#e3b341" if dark else "#9a6700")
        self.warning_background = QColor("#3d3420" if dark else "#fff6dc")
        self.muted = QColor("#80858f" if dark else "#8a9099")
        self.accent = QColor("#6ea8ff" if dark else "#2f6fce")
        self.link = QColor("#b392f0" if dark else "#7c4dcc")
