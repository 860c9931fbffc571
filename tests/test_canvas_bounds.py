"""The canvas, its views and the GIF writer cost what is drawn, never the layer's arithmetic size (issues 15
and 17): a 4x4 input through ``ConvTranspose2d(kernel_size=10**8, stride=10**8)`` (10^17 steps, a 4*10^8-wide
output) and a 1000x1000 convolution with k=1000 paint with a bounded number of painter calls and bounded
memory; the step slider works past 2^31 - 1 steps; the GIF is written frame by frame, byte for byte what
Pillow writes. (tests/test_hostile_inputs.py runs ``animate`` on the same layers in a child process.)"""

from __future__ import annotations

import itertools
import tracemalloc
from pathlib import Path

import pytest
from canvas_support import design
from PySide6.QtCore import QRectF, Qt

from convdesigner.engine.analysis import analyze
from convdesigner.engine.design import Layer
from convdesigner.engine.frames import DATA, OUTSIDE, PADDING, ZERO, AxisTrack, ScatterAxis, congruent, within
from convdesigner.gui.canvas.layout import Camera, CanvasModel, PaintState, coarse_note
from convdesigner.gui.canvas.painter import paint, stage_for

HUGE = 100_000_000
RANK = {DATA: 0, ZERO: 1, PADDING: 2, OUTSIDE: 3}


def huge_transposed() -> CanvasModel:
    up = Layer.make("ConvTranspose2d", "up", {"out_channels": 1, "kernel_size": HUGE, "stride": HUGE})
    return CanvasModel(analyze(design(up, size=(4, 4))), 0)


def k1000() -> CanvasModel:
    conv = Layer.make("Conv2d", "conv", {"out_channels": 1, "kernel_size": 1000, "padding": 1})
    return CanvasModel(analyze(design(conv, size=(1000, 1000))), 0)


# -- the engine's per-axis arithmetic against brute force --------------------------------------------------

def test_congruent_and_within_match_brute_force() -> None:
    for a, c, m, lo, hi in itertools.product((1, 2, 3, 4, 6), range(-3, 5), (1, 2, 3, 4, 6), (-2, 0, 3), (5, 9)):
        assert list(congruent(a, c, m, lo, hi)) == [v for v in range(lo, hi) if (a * v - c) % m == 0]
    for start, step, n, lo, hi in itertools.product((-3, 0, 2), (1, 2, 5), (0, 1, 7), (-4, 0, 3, 20), (-1, 4, 30)):
        r = range(start, start + n * step, step)
        assert list(within(r, lo, hi)) == [u for u in r if lo <= u < hi]


TRACKS = [AxisTrack(i, pl, ph, k, s, d, o, stretch=st)
          for i, pl, ph, k, s, d, st in itertools.product((1, 3, 7), (-2, 0, 2), (0, 3), (1, 2, 4), (1, 3), (1, 2),
                                                          (1, 3))
          for o in [max(1, (i + pl + ph - (k - 1) * d - 1) // s + 1)]]


@pytest.mark.parametrize("track", TRACKS[::3], ids=str)
def test_spans_best_kind_and_readers_match_each_position(track: AxisTrack) -> None:
    for y in range(track.o + 1):
        window = track.window(y)
        assert list(window) == [y * track.s + t * track.d for t in range(track.k)]
        spans = track.spans(window)
        found = {u: kind for r, kind in spans for u in r}  # the data listed after the zeros that hold it
        assert found == {u: track.kind(u) for u in window}
        assert track.best_kind(window) == min((track.kind(u) for u in window), key=RANK.__getitem__)
    for u in range(-3, track.cells + 3):
        expected = [y for y in range(track.o) if any(y * track.s + t * track.d == u for t in range(track.k))]
        assert list(track.readers(u)) == expected


@pytest.mark.parametrize("i, k, s, d, offset", list(itertools.product((1, 3, 5), (1, 2, 5), (1, 2, 3), (1, 2), (0, 2))))
def test_scatter_sources_and_counts_match_brute_force(i: int, k: int, s: int, d: int, offset: int) -> None:
    axis = ScatterAxis(i, k, s, d, offset, max(1, (i - 1) * s + (k - 1) * d + 1 - 2 * offset))
    for u in range(-2, axis.full + 3):
        writers = [x for x in range(i) if u in axis.writes(x)]
        assert list(axis.sources(u)) == writers and axis.count(u) == len(writers)
    values, exact = axis.count_values()
    assert exact and values == tuple(sorted({axis.count(u) for u in axis.kept_range()}))


@pytest.mark.parametrize("layer", [
    Layer.make("Conv2d", "c", {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2}),
    Layer.make("ConvTranspose2d", "c", {"out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1}),
    Layer.make("MaxPool2d", "c", {"kernel_size": 2, "stride": 2, "ceil_mode": True}),
], ids=lambda layer: layer.type)
def test_tap_at_is_the_listed_tap_there(layer: Layer) -> None:
    f = CanvasModel(analyze(design(layer, size=(5, 5))), 0).frames
    for step in range(f.step_count):
        frame = f.frame(step)
        listed = {t.position: t for t in frame.taps}
        for position in itertools.product(range(-1, 12), repeat=2):
            assert frame.tap_at(position) == listed.get(position)


# -- a frame is O(axes) ----------------------------------------------------------------------------------

def test_a_frame_of_the_huge_layer_allocates_kilobytes() -> None:
    """Before: one Tap object per kernel position (10^16 of them; 7.7 GB and a segfault in the app)."""
    f = huge_transposed().frames
    tracemalloc.start()
    try:
        for step in (0, 1, f.step_count // 2, f.step_count - 1):
            frame = f.frame(step)
            assert frame.windows[0] == range(step // f.output_size[1], step // f.output_size[1] + HUGE)
            f.scatter_step_for(step)
            assert [len(track.readers(u)) for track, u in zip(f.tracks, frame.output)] == [1, 1] or step
        for step in range(f.scatter_step_count):
            f.direct_step_for(step)
            assert len(f.scatter_frame(step).patch[1]) == HUGE
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200_000, f"{peak:,} bytes"


# -- painting is bounded by what is drawn ------------------------------------------------------------------

class CountingPainter:
    """A QPainter that counts what the painter asks of it: shapes, text, lines and image pixels."""

    def __init__(self, painter) -> None:
        self._painter = painter
        self.calls = 0
        self.lines = 0
        self.pixels = 0

    def __getattr__(self, name: str):
        method = getattr(self._painter, name)
        if not name.startswith(("fill", "draw")):
            return method

        def counted(*args):
            self.calls += 1
            if name == "drawLines":
                self.lines += len(args[0])
            if name == "drawImage":
                self.pixels += args[1].width() * args[1].height()
            return method(*args)

        return counted


def paint_counted(model: CanvasModel, state: PaintState, size=(800, 480), camera: Camera | None = None):
    from PySide6.QtGui import QImage, QPainter

    image = QImage(*size, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    counter = CountingPainter(painter)
    paint(counter, QRectF(0, 0, *size), model, state, camera)  # type: ignore[arg-type]
    painter.end()
    return counter, image


def cameras(model: CanvasModel, view: str, size=(800, 480)) -> list[Camera | None]:
    """The fitted view, and zoomed in to 0.3, 6 and 40 pixels a cell on the current output cell's corner."""
    stage = stage_for(QRectF(0, 0, *size), model, PaintState(view=view))
    fitted = model.fit(stage, view)
    out = [None]
    for scale in (0.3, 6.0, 40.0):
        g = model.grids(view)[-1]
        cx, cy = g.x + g.width - 2, g.y + g.height - 2
        out.append(Camera(scale, stage.center().x() - cx * scale, stage.center().y() - cy * scale))
    assert fitted.scale < 1
    return out


@pytest.mark.parametrize("build", [huge_transposed, k1000], ids=["k=10^8 transposed", "k=1000 conv"])
def test_every_view_paints_with_a_bounded_number_of_calls(qapp, build) -> None:
    model = build()
    for view in model.views():
        count = model.step_count(view)
        for step, camera in itertools.product((0, 1, count // 2, count - 1), cameras(model, view)):
            for hover in (None, ("input", 2, 3), ("output", 1, 1)):
                state = PaintState(view=view, step=step, hover=hover)
                counter, _image = paint_counted(model, state, camera=camera)
                assert counter.calls < 3_000, (view, step, camera, counter.calls)
                assert counter.lines < 2_000, (view, step, camera, counter.lines)
                assert counter.pixels <= 2 * 800 * 480, (view, step, camera, counter.pixels)


def test_painting_a_frame_of_the_huge_layer_allocates_little(qapp) -> None:
    model = huge_transposed()
    paint_counted(model, PaintState(view="overlap"))  # the overlap values and first image, once
    tracemalloc.start()
    try:
        for view in model.views():
            paint_counted(model, PaintState(view=view, step=model.step_count(view) - 1, hover=("input", 5, 5)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3_000_000, f"{peak:,} bytes"


def test_the_calls_follow_the_visible_cells_not_the_kernel(qapp) -> None:
    """The same zoom on a 3x3 and on a 1000x1000 kernel: about the same work (the visible cells)."""
    small = CanvasModel(analyze(design(Layer.make("Conv2d", "c", {"out_channels": 1, "kernel_size": 3}),
                                       size=(1000, 1000))), 0)
    big = k1000()
    for scale in (0.3, 6.0, 40.0):
        calls = []
        for model in (small, big):
            camera = Camera(scale, 100 - 500 * scale, 100 - 500 * scale)
            calls.append(paint_counted(model, PaintState(step=0), camera=camera)[0].calls)
        assert calls[1] <= 2 * calls[0] + 50, (scale, calls)


def test_grids_too_large_to_draw_cell_by_cell_say_so(qapp, tmp_path: Path) -> None:
    model = huge_transposed()
    for view in model.views():
        stage = stage_for(QRectF(0, 0, 800, 480), model, PaintState(view=view))
        note = coarse_note(model, view, model.fit(stage, view))
        assert note is not None and "too large to draw cell by cell" in note
        assert note.startswith(("output 400,000,000 × 400,000,000", "input 499,999,999 × 499,999,999")), note
        assert coarse_note(model, view, Camera(20.0, 0, 0)) is None  # zoomed in: single cells, no note
    small = CanvasModel(analyze(design(Layer.make("Conv2d", "c", {"out_channels": 1, "kernel_size": 3}))), 0)
    assert coarse_note(small, "direct", small.fit(QRectF(0, 0, 800, 400), "direct")) is None


# -- the step slider past 2^31 - 1 -------------------------------------------------------------------------

def test_the_step_slider_works_past_two_to_the_31_steps(canvas, qtbot) -> None:
    model = huge_transposed()
    canvas.show_layer(model.analysis, 0)
    count = canvas.step_count()
    assert count == (4 * HUGE) ** 2 > 2**31
    slider = canvas.slider
    assert slider.maximum() == 2**31 - 1 and slider.value() == 0
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_End)
    assert canvas.step() == count - 1 and slider.value() == slider.maximum()
    qtbot.keyClick(canvas, Qt.Key.Key_Left)
    assert canvas.step() == count - 2  # the exact step, kept in the state
    assert canvas.output_position() == (4 * HUGE - 1, 4 * HUGE - 2)
    slider.setValue(slider.maximum() // 2)
    middle = canvas.step()
    assert abs(middle - count // 2) <= count // slider.maximum() + 1
    assert slider.value() == slider.maximum() // 2  # the position maps back to itself
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    assert canvas.step() == middle + 1
    qtbot.keyClick(canvas, Qt.Key.Key_Home)
    assert canvas.step() == 0 and slider.value() == 0


def test_a_small_layer_keeps_one_slider_position_per_step(canvas) -> None:
    model = k1000()
    canvas.show_layer(model.analysis, 0)
    assert canvas.slider.maximum() == canvas.step_count() - 1 == 8
    canvas.slider.setValue(5)
    assert canvas.step() == 5


# -- the GIF: streamed, and what Pillow writes -------------------------------------------------------------

def _pillow_gif(model: CanvasModel, state: PaintState, path: Path, size, monkeypatch) -> bytes:
    """The GIF as Pillow's own save_all writes it (every frame kept): the reference."""
    from convdesigner.gui.canvas import export

    def pillow(target, first, rest, duration):
        first.save(target, format="GIF", save_all=True, append_images=rest, duration=duration, loop=0,
                   optimize=False, disposal=1)

    with monkeypatch.context() as patch:
        patch.setattr(export, "write_gif_frames", pillow)
        export.write_gif(model, state, str(path), 4.0, size)
    return path.read_bytes()


@pytest.mark.parametrize("layer, size, view", [
    (Layer.make("Conv2d", "c", {"out_channels": 1, "kernel_size": 3, "stride": 2}), (9, 9), "direct"),
    (Layer.make("ConvTranspose2d", "c", {"out_channels": 1, "kernel_size": 3, "stride": 2}), (3, 3), "scatter"),
    (Layer.make("Conv2d", "c", {"out_channels": 1, "kernel_size": 3}), (3, 3), "direct"),  # a single step
])
def test_the_streamed_gif_is_byte_for_byte_pillows(qapp, tmp_path: Path, monkeypatch, layer, size, view) -> None:
    from convdesigner.gui.canvas.export import write_gif

    model = CanvasModel(analyze(design(layer, size=size)), 0)
    state = PaintState(view=view)
    expected = _pillow_gif(model, state, tmp_path / "pillow.gif", (320, 200), monkeypatch)
    write_gif(model, state, str(tmp_path / "streamed.gif"), 4.0, (320, 200))
    assert (tmp_path / "streamed.gif").read_bytes() == expected


def test_repeated_pictures_lengthen_a_frame_as_pillow_does(tmp_path: Path) -> None:
    from PIL import Image

    from convdesigner.gui.canvas.gifstream import write_gif_frames

    def frames(pattern: str):
        base = Image.new("RGB", (40, 30), (250, 250, 248))
        palette = base.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
        for letter in pattern:
            image = base.copy()
            image.paste((30, 90, 200), (0, 0, 4 + ord(letter) % 20, 4))
            yield image.quantize(palette=palette, dither=Image.Dither.NONE)

    for pattern in ("a", "aaa", "ab", "aab", "abb", "abba", "abcabc"):
        reference, streamed = frames(pattern), frames(pattern)
        first = next(reference)
        first.save(tmp_path / "a.gif", format="GIF", save_all=True, append_images=reference, duration=250, loop=0,
                   optimize=False, disposal=1)
        write_gif_frames(tmp_path / "b.gif", next(streamed), streamed, 250)
        assert (tmp_path / "a.gif").read_bytes() == (tmp_path / "b.gif").read_bytes(), pattern


def test_frames_reach_the_file_while_the_animation_renders(qapp, tmp_path: Path) -> None:
    """Streamed: half way through the frames, half of them are on disk, in the temporary file the atomic write
    renames at the end (Pillow's save_all wrote nothing before its last frame, holding all 400 in memory)."""
    from convdesigner.gui.canvas.export import write_gif

    conv = Layer.make("Conv2d", "c", {"out_channels": 1, "kernel_size": 3})
    model = CanvasModel(analyze(design(conv, size=(22, 22))), 0)
    path = tmp_path / "streamed.gif"
    sizes: dict[int, int] = {}

    def progress(done: int, total: int) -> bool:
        sizes[done] = sum(f.stat().st_size for f in tmp_path.iterdir())  # the temporary file, then the GIF
        return True

    write_gif(model, PaintState(), str(path), 4.0, (320, 200), progress=progress)
    final = path.stat().st_size
    assert len(sizes) == 401
    assert 0.3 * final < sizes[200] < 0.7 * final
