"""Rendering the canvas without a window: one frame as a QImage, PNG or SVG, the animation as a GIF.

Qt has no GIF writer, so frames go through Pillow: each QImage becomes a PIL image, quantised to a
palette, and `gifstream.write_gif_frames` writes each one as soon as the next is rendered (Pillow's own
``save_all`` keeps every frame until the end: 230 MiB for 400 frames). A GIF has one frame per step up to
`GIF_FRAME_CAP`; beyond that the steps are sampled evenly (first and last included) and `GifResult.sampled` says so. The GIF loops forever and plays in browsers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize
from PySide6.QtGui import QImage, QPainter

from ...io.design_file import write_atomically
from .gifstream import write_gif_frames
from .layout import CanvasModel, PaintState, coarse_note
from .painter import fitted, paint, stage_for

#: The most frames a GIF holds; longer animations are sampled evenly down to this many.
GIF_FRAME_CAP = 400
DEFAULT_SIZE = (800, 480)
DEFAULT_FPS = 2.0

Progress = Callable[[int, int], bool]  # (done, total) -> keep going?


class ExportCancelled(Exception):
    """The user cancelled an export; nothing is written (a previous file stays)."""


@dataclass(frozen=True)
class GifResult:
    frames: int
    steps: int
    sampled: bool

    @property
    def note(self) -> str:
        if self.sampled:
            return (f"{self.frames} frames sampled evenly from {self.steps} steps "
                    f"(a GIF holds at most {GIF_FRAME_CAP})")
        return f"{self.frames} frames, one per step"


def render_frame(model: CanvasModel, state: PaintState, size: tuple[int, int]) -> QImage:
    """One frame at ``size`` (width, height), the camera fitted to it."""
    image = QImage(QSize(*size), QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    paint(painter, QRectF(0, 0, size[0], size[1]), model, state)
    painter.end()
    return image


def gif_steps(count: int, cap: int = GIF_FRAME_CAP) -> list[int]:
    """The steps a GIF shows: all of them, or ``cap`` of them evenly spread (first and last included)."""
    if count <= cap:
        return list(range(count))
    if cap == 1:
        return [0]
    return [round(Fraction(n * (count - 1), cap - 1)) for n in range(cap)]  # exact for 10^17 steps too


def to_pil(image: QImage):
    """A QImage as an RGB PIL image."""
    from PIL import Image

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)  # the frames are opaque: RGB straight away
    return Image.frombytes("RGB", (rgb.width(), rgb.height()), rgb.constBits(), "raw", "RGB", rgb.bytesPerLine(), 1)


def write_gif(model: CanvasModel, state: PaintState, path: str, fps: float = DEFAULT_FPS,
              size: tuple[int, int] = DEFAULT_SIZE, cap: int = GIF_FRAME_CAP,
              progress: Progress | None = None, step_range: tuple[int, int] | None = None) -> GifResult:
    """Write the animation of ``state.view`` as a looping GIF (only steps first..last of ``step_range``,
    both included, when given), atomically; raises ExportCancelled when ``progress`` returns False, OSError
    when it cannot be written (either way the previous file stays)."""
    from PIL import Image

    count = model.step_count(state.view)
    low, high = step_range if step_range is not None else (0, count - 1)
    low, high = max(0, low), min(count - 1, high)
    total = max(0, high - low + 1)
    steps = [low + n for n in gif_steps(total, cap)] if total else [0]

    def render(step: int) -> Image.Image:
        return to_pil(render_frame(model, replace(state, step=step, hover=None), size))

    def frames() -> Iterator[Image.Image]:
        # One palette for every frame, from the first and the last frame side by side (between them they
        # hold every colour an animation uses): the writer then stores only what changes between frames.
        first, last = render(steps[0]), render(steps[-1])
        both = Image.new("RGB", (2 * size[0], size[1]))
        both.paste(first, (0, 0))
        both.paste(last, (size[0], 0))
        palette = both.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
        del both  # not kept for the whole animation
        for done, step in enumerate(steps):
            if progress is not None and not progress(done, len(steps)):
                raise ExportCancelled()
            image = first if done == 0 else last if done == len(steps) - 1 else render(step)
            yield image.quantize(palette=palette, dither=Image.Dither.NONE)

    sequence = frames()
    first = next(sequence)
    duration = max(20, round(1000 / max(0.1, fps)))
    write_atomically(path, lambda stream: write_gif_frames(stream, first, sequence, duration))
    if progress is not None:
        progress(len(steps), len(steps))
    return GifResult(len(steps), total, len(steps) < total)


def gif_coarse_note(model: CanvasModel, state: PaintState, size: tuple[int, int]) -> str | None:
    """Whether the frames of ``size`` draw grids in blocks, too large to draw cell by cell (`layout.coarse_note`),
    said for the command line."""
    rect = QRectF(0, 0, size[0], size[1])
    camera = fitted(stage_for(rect, model, state), model, state)
    return coarse_note(model, state.view, camera, state.numbers is not None, zoom_hint=False)


def _image_bytes(image: QImage, format_name: str) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, format_name):
        raise OSError(f"cannot encode the frame as {format_name}")
    buffer.close()
    return bytes(data)


def write_png(model: CanvasModel, state: PaintState, path: str, size: tuple[int, int]) -> None:
    """The current frame as PNG, written atomically (OSError when it cannot be written)."""
    write_atomically(path, _image_bytes(render_frame(model, state, size), "PNG"))


def write_svg(model: CanvasModel, state: PaintState, path: str, size: tuple[int, int]) -> None:
    """The current frame as SVG (vector shapes and text), written atomically (OSError when it cannot be)."""
    from PySide6.QtSvg import QSvgGenerator

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(*size))
    generator.setViewBox(QRectF(0, 0, size[0], size[1]))
    generator.setTitle("convdesigner canvas")
    painter = QPainter(generator)
    paint(painter, QRectF(0, 0, size[0], size[1]), model, state)
    painter.end()
    buffer.close()
    write_atomically(path, bytes(data))
