"""``convdesigner animate FILE --layer NAME -o OUT.gif``: a layer's sliding window as an animated GIF,
rendered offscreen (no window, no display needed).

One frame per step (output position; input position in the scatter view) up to the canvas's cap of
400, beyond which the steps are sampled evenly and the command says so. Exit 0 on success, 1 for a
design that cannot be read or a layer the engine could not compute, 2 for usage errors (unknown layer,
a layer without a sliding window, a view the layer does not have, a bad size or speed, an output that is
a folder, a FIFO or a device). The GIF is written atomically: a failure (a full disk) leaves the previous
file as it was.

``--numbers`` renders the numbers mode (issue 9): every cell's value, the kernel's weights in the footprint
and, under each frame, the sum that forms the output value of that step.

A pad, PixelShuffle or PixelUnshuffle layer animates its copies (one frame per output cell: the input cell it
copies), as the canvas draws them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from ..cli import UsageError
from ..engine.frames import VIEWS, copy_frames, landing_frames, layer_frames
from .common import analysed_layer, check_output_path, echo, shown

SIZE_LIMITS = (64, 4096)
FPS_LIMITS = (0.1, 50.0)


def add_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Render a layer's sliding window as an animated GIF (one frame per output position, "
                          "at most 400, sampled evenly beyond), without opening a window.")
    parser.add_argument("file", help="the design file (.yaml)")
    parser.add_argument("--layer", required=True, metavar="NAME", help="the layer to animate")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.gif", help="the GIF to write")
    parser.add_argument("--fps", type=float, default=2.0, help="frames per second (default 2)")
    parser.add_argument("--size", default="800x480", metavar="WxH", help="frame size in pixels (default 800x480)")
    parser.add_argument("--numbers", action="store_true",
                        help="the numbers mode: the input's values, the kernel's weights and each output value "
                             "as it is formed, with the sum written under the frame (default values: the paper's "
                             "input and kernel where they fit, else small seeded integers)")
    parser.add_argument("--view", choices=VIEWS, default="direct",
                        help="direct (default), scatter or overlap (transposed convolutions), matrix (small layers)")


def parse_size(text: str) -> tuple[int, int]:
    """'800x480' -> (800, 480), each side within SIZE_LIMITS; UsageError otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match:
        raise UsageError(f"--size must look like 800x480, not {text!r}")
    width, height = int(match.group(1)), int(match.group(2))
    low, high = SIZE_LIMITS
    for label, value in (("width", width), ("height", height)):
        if not low <= value <= high:
            raise UsageError(f"--size {label} {value} is out of range: use {low} to {high} pixels")
    return width, height


def run(options: argparse.Namespace) -> int:
    size = parse_size(options.size)
    if not FPS_LIMITS[0] <= options.fps <= FPS_LIMITS[1]:
        raise UsageError(f"--fps {options.fps:g} is out of range: use {FPS_LIMITS[0]:g} to {FPS_LIMITS[1]:g}")
    if not options.output.lower().endswith(".gif"):
        raise UsageError(f"the output must be a .gif file, not {options.output}")
    check_output_path(options.output)
    found = analysed_layer(options.file, options.layer)
    if found is None:
        return 1
    analysis, result = found
    index = result.index
    if not result.computed:
        problems = [d.text for d in result.errors] or [f"{result.name}: an earlier layer has errors"]
        echo(f"convdesigner animate: cannot animate {shown(result.name)}, the engine could not compute it:",
             *(f"  {text}" for text in problems), err=True)
        return 1
    frames = layer_frames(result) or copy_frames(result) or landing_frames(result, analysis)
    if frames is None:
        raise UsageError(f"{shown(result.name)} ({result.type}) has no sliding window to animate: pick a convolution, "
                         "pooling, transposed convolution, pad, crop, pixel shuffle or 1-D/2-D unpool layer")
    _ensure_qt_platform()
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841 (keeps Qt alive)
    from ..gui.canvas.export import gif_coarse_note, write_gif
    from ..gui.canvas.layout import CanvasModel, PaintState

    model = CanvasModel(analysis, index)
    if options.view not in model.views():
        available = ", ".join(model.views())
        why = ("only transposed convolutions have it" if options.view in ("scatter", "overlap")
               else "the layer is too large for its matrix")
        raise UsageError(f"{shown(result.name)} has no {options.view} view ({why}); its views: {available}")
    state = PaintState(view=options.view)
    if options.numbers:
        from ..gui.canvas.numbers import NumbersOverlay

        state.numbers = NumbersOverlay.for_frames(model.frames)
        if state.numbers is None:
            from ..engine.numeric import numbers_unavailable

            raise UsageError(f"--numbers: {numbers_unavailable(result)}")
    try:
        gif = write_gif(model, state, options.output, options.fps, size)
    except OSError as error:
        echo(f"convdesigner animate: cannot write {options.output}: {error.strerror or error}", err=True)
        return 1
    numbers = " in numbers" if state.numbers is not None else ""
    echo(f"wrote {options.output}{numbers}: {gif.note}, {size[0]}x{size[1]} at {options.fps:g} frames per second")
    if state.numbers is not None and state.numbers.note:
        echo(f"note: {state.numbers.note}")
    coarse = gif_coarse_note(model, state, size)
    if coarse is not None:
        echo(f"note: {coarse}")
    return 0


def _ensure_qt_platform() -> None:
    """Render offscreen where there is no display (set before the Qt application exists)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
