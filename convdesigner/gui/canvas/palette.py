"""The canvas's colours: the paper's visual language (input blue, output cyan, padding white with dashed
borders, the kernel's footprint a darker shade) in a calm palette, with a dark-mode variant of the chrome
(background, text) that keeps the cells paper-like."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor


@dataclass(frozen=True)
class CanvasPalette:
    background: QColor
    text: QColor
    muted: QColor
    input: QColor
    input_line: QColor
    padding: QColor
    padding_line: QColor
    zero: QColor
    tap: QColor
    tap_padding: QColor
    window: QColor
    previous: QColor  # the previous step's window: the stride
    output: QColor
    output_done: QColor
    output_line: QColor
    current: QColor
    unvisited: QColor
    hover: QColor
    field: QColor
    cropped: QColor
    copied: QColor  # a padded cell that holds a copy of an input cell (reflect, replicate, circular)


def _c(hex_code: str, alpha: int = 255) -> QColor:
    color = QColor(hex_code)
    color.setAlpha(alpha)
    return color


LIGHT = CanvasPalette(
    background=_c("#fbfbf8"),
    text=_c("#26323f"),
    muted=_c("#6b7785"),
    input=_c("#9cc3e6"),
    input_line=_c("#4f7aa6"),
    padding=_c("#ffffff"),
    padding_line=_c("#8a97a6"),
    zero=_c("#ffffff"),
    tap=_c("#3a6fb0"),
    tap_padding=_c("#a9b3bf"),
    window=_c("#16365e"),
    previous=_c("#7d93b0"),
    output=_c("#a8e2dc"),
    output_done=_c("#7fcfc6"),
    output_line=_c("#3d8c85"),
    current=_c("#1f8077"),
    unvisited=_c("#d9534f", 70),
    hover=_c("#f0a830", 200),
    field=_c("#e07b39", 150),
    cropped=_c("#b9c2cc", 90),
    copied=_c("#d6e6f5"),
)

DARK = CanvasPalette(
    background=_c("#1f2328"),
    text=_c("#e3e7ec"),
    muted=_c("#9aa5b1"),
    input=_c("#86b2dc"),
    input_line=_c("#34597f"),
    padding=_c("#eef1f4"),
    padding_line=_c("#7b8896"),
    zero=_c("#eef1f4"),
    tap=_c("#2c5d97"),
    tap_padding=_c("#8d98a6"),
    window=_c("#0d2342"),
    previous=_c("#9db3d0"),
    output=_c("#93d6cf"),
    output_done=_c("#6cc0b6"),
    output_line=_c("#2f7770"),
    current=_c("#166b63"),
    unvisited=_c("#e0605b", 95),
    hover=_c("#f4b441", 210),
    field=_c("#ef8a47", 170),
    cropped=_c("#8d98a5", 110),
    copied=_c("#cfdff0"),
)


def palette_for(dark: bool) -> CanvasPalette:
    return DARK if dark else LIGHT


def heat(pal: CanvasPalette, value: int, top: int) -> QColor:
    """The overlap heat map's colour for a tap count (the legend's scale uses it too)."""
    if value == 0:
        return QColor(pal.unvisited.red(), pal.unvisited.green(), pal.unvisited.blue(), 160)
    t = value / top if top else 1.0
    a, b = pal.output, pal.current
    return QColor(round(a.red() + (b.red() - a.red()) * t), round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


#: The first channel planes' colours (Shi et al.'s figure colours its r² feature maps apart): pastel hues that
#: stay apart from each other; further planes continue round the hue circle by the golden angle.
PLANE_HUES = (0.58, 0.08, 0.33, 0.83, 0.15, 0.48, 0.98, 0.70, 0.25)


def plane_color(plane: int) -> QColor:
    """The colour of channel plane ``plane`` of a sub-pixel layer (and of the fine cells it feeds): paper-like
    in light and dark mode alike, as the cells are."""
    hue = PLANE_HUES[plane] if plane < len(PLANE_HUES) else (0.58 + plane * 0.381966) % 1.0
    return QColor.fromHslF(hue, 0.62, 0.78)
