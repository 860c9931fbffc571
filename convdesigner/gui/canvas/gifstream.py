"""An animated GIF written frame by frame, holding at most two frames (issue 15: `animate` of a 400-step layer
peaked at 230 MiB).

Pillow's ``save(save_all=True, append_images=iterator)`` takes frames from a generator but keeps every one of
them (``GifImagePlugin._write_multiple_frames`` lists them all before writing the first), because a frame
equal to the one before only lengthens that one's duration. `write_gif_frames` makes the same decisions with
one frame of look-ahead and writes each frame as soon as the next one differs, with Pillow's own frame
writers, so the file is byte for byte what Pillow writes (tests/test_canvas_bounds.py compares them) for the
options the canvas uses: one palette for every frame, a fixed duration, ``loop``, ``disposal`` 1 and no
``optimize``. It needs Pillow's GIF plugin helpers (``_normalize_mode``, ``_normalize_palette``,
``_getbbox``, ``_get_global_header``, ``_write_frame_data``, ``_write_single_frame``, as in Pillow 13; the
byte-for-byte test checks the installed Pillow); with a Pillow that lacks them it falls back to Pillow's own
writer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO, Any

#: The GIF plugin's helpers the stream writes with.
HELPERS = ("_normalize_mode", "_normalize_palette", "_getbbox", "_get_global_header", "_write_frame_data",
           "_write_single_frame")


def write_gif_frames(target: str | os.PathLike | IO[bytes], first: Any, rest: Iterator[Any], duration: int,
                     loop: int = 0, disposal: int = 1) -> None:
    """Write ``first`` and then the frames of ``rest`` (PIL images of one size, in "P" mode with one palette)
    to ``target`` (a path or a binary file) as a GIF; an exception from ``rest`` propagates (the caller
    removes the partial file)."""
    from PIL import GifImagePlugin as gif

    if not all(hasattr(gif, name) for name in HELPERS):  # another Pillow: its own writer (every frame kept)
        first.save(target, format="GIF", save_all=True, append_images=rest, duration=duration, loop=loop,
                   optimize=False, disposal=disposal)
    elif isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as fp:
            _write(fp, first, rest, duration, loop, disposal)
    else:
        _write(target, first, rest, duration, loop, disposal)


def _write(fp: IO[bytes], first: Any, rest: Iterator[Any], duration: int, loop: int, disposal: int) -> None:
    from PIL import GifImagePlugin as gif

    first.encoderinfo = {"duration": duration, "loop": loop, "optimize": False, "disposal": disposal}
    first.encoderconfig = ()
    pending: tuple[Any, tuple[int, int, int, int] | None, dict] | None = None  # a frame not written yet
    previous = None
    written = 0
    for count, image in enumerate(_chain(first, rest)):
        frame = gif._normalize_mode(image.copy())
        if count == 0:
            for key, value in frame.info.items():
                if key != "transparency" and isinstance(key, str):
                    first.encoderinfo.setdefault(key, value)
        info = first.encoderinfo.copy()
        if "transparency" in frame.info:
            info.setdefault("transparency", frame.info["transparency"])
        frame = gif._normalize_palette(frame, None, info)
        bbox = None
        if previous is not None:
            found = gif._getbbox(previous, frame)
            bbox = found[1] if isinstance(found, tuple) and len(found) == 2 else found  # (delta, bbox) or bbox
            if not bbox:  # the same picture again: the frame before stays on screen longer
                assert pending is not None
                pending[2]["duration"] = pending[2].get("duration", 0) + info["duration"]
                continue
        if pending is not None:
            _emit(gif, fp, *pending, header=written == 0)
            written += 1
        previous = frame
        pending = (frame, bbox, info)
    assert pending is not None
    if written == 0:  # one picture in all: Pillow writes it as a still image with the whole duration
        first.encoderinfo["duration"] = pending[2]["duration"]
        gif._write_single_frame(first, fp, None)
    else:
        _emit(gif, fp, *pending, header=False)
    fp.write(b";")
    fp.flush()


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def _emit(gif: Any, fp: IO[bytes], frame: Any, bbox: tuple[int, int, int, int] | None, info: dict,
          header: bool) -> None:
    """One frame as Pillow writes it: the first with the global header, the others cropped to what changed,
    each with its own colour table (no global palette was given)."""
    offset = (0, 0)
    if header:
        for chunk in gif._get_global_header(frame, info):
            fp.write(chunk)
    else:
        info["include_color_table"] = True
        assert bbox is not None
        if bbox != (0, 0, *frame.size):
            frame = frame.crop(bbox)
        offset = bbox[:2]
    gif._write_frame_data(fp, frame, offset, info)
