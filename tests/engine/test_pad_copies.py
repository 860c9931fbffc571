"""Which input cell each output cell of a pad or a sub-pixel layer holds (`LayerType.copies`, what the canvas
draws), against torch's forward pass on an arange tensor: each output value names the input element it copies."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.frames import CopyFrames, copy_frames

torch = pytest.importorskip("torch")
F = torch.nn.functional

MODES = {"ReflectionPad": "reflect", "ReplicationPad": "replicate", "CircularPad": "circular",
         "ConstantPad": "constant", "ZeroPad": "constant"}


def frames_of(shape: tuple[int, ...], type_name: str, args: dict[str, Any]) -> CopyFrames | None:
    design = Design("t", InputSpec(shape[0], shape[1:]), (Layer.make(type_name, "layer", args),))
    return copy_frames(analyze(design).layers[0])


def _flat(position: tuple[int, ...], shape: tuple[int, ...]) -> int:
    flat = 0
    for p, n in zip(position, shape):
        flat = flat * n + p
    return flat


@pytest.mark.parametrize("prefix", list(MODES))
def test_each_padded_cell_holds_the_input_cell_torch_copies_1d(prefix: str) -> None:
    """Every size 1..6 and padding -4..4 a side that the engine accepts: the copy map equals F.pad's."""
    checked = 0
    for size, low, high in product(range(1, 7), range(-4, 5), range(-4, 5)):
        args: dict[str, Any] = {"padding": [low, high]}
        if prefix == "ConstantPad":
            args["value"] = -1.0
        f = frames_of((1, size), f"{prefix}1d", args)
        if f is None:  # refused by the engine (and by torch, or a rank deviation): nothing to draw
            continue
        x = torch.arange(size, dtype=torch.float64).view(1, 1, size)
        mode = MODES[prefix]
        expected = F.pad(x, (low, high), mode=mode, value=-1.0 if mode == "constant" else None).view(-1).tolist()
        if prefix == "ZeroPad":
            expected = [-1.0 if v == -1 else v for v in F.pad(x, (low, high), value=-1.0).view(-1).tolist()]
        drawn = [f.copies.source((0, y)) for y in range(f.step_count)]
        assert drawn == [None if v == -1 else (0, int(v)) for v in expected], (prefix, size, low, high)
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_corners_of_a_2d_pad_copy_per_axis(mode: str) -> None:
    """A 2-D pad copies per axis: the corners hold the input cell both axes point at."""
    prefix = {"reflect": "ReflectionPad", "replicate": "ReplicationPad", "circular": "CircularPad"}[mode]
    padding = [2, 1, 1, -1]  # left, right, top, bottom (PyTorch's order)
    f = frames_of((1, 4, 5), f"{prefix}2d", {"padding": padding})
    assert f is not None
    x = torch.arange(20, dtype=torch.float64).view(1, 1, 4, 5)
    expected = F.pad(x, tuple(padding), mode=mode)[0, 0]
    assert f.output_size == tuple(expected.shape)
    for r, c in product(range(f.output_size[0]), range(f.output_size[1])):
        assert _flat(f.copies.source((0, r, c)), (1, 4, 5)) == int(expected[r, c])


def test_holders_are_the_inverse_of_the_copy_map() -> None:
    """The output cells the canvas lights up when an input cell is hovered are exactly those that copy it."""
    for prefix in ("ReflectionPad", "ReplicationPad", "CircularPad", "ZeroPad"):
        for size, low, high in product(range(1, 6), range(-3, 4), range(-3, 4)):
            f = frames_of((1, size), f"{prefix}1d", {"padding": [low, high]})
            if f is None:
                continue
            axis = f.copies.axes[0]
            for x in range(size):
                held = sorted(y for r in axis.holders(x) for y in r)
                assert held == [y for y in range(axis.out) if axis.source(y) == x], (prefix, size, low, high, x)


def test_a_huge_pad_answers_without_walking_its_cells() -> None:
    f = frames_of((1, 10**8), "ReplicationPad1d", {"padding": [10**7, 3]})
    assert f is not None
    axis = f.copies.axes[0]
    assert axis.holders(0) == [range(0, 10**7), range(10**7, 10**7 + 1)]
    assert axis.source(5) == 0 and axis.source(10**8 + 10**7 + 2) == 10**8 - 1


@pytest.mark.parametrize("r", [1, 2, 3])
def test_pixel_shuffle_copies_as_torch_does(r: int) -> None:
    channels, height, width = 2 * r * r, 2, 3
    f = frames_of((channels, height, width), "PixelShuffle", {"upscale_factor": r})
    assert f is not None and f.output_size == (height * r, width * r)
    x = torch.arange(channels * height * width, dtype=torch.float64).view(1, channels, height, width)
    y = F.pixel_shuffle(x, r)[0]
    for c, row, col in product(range(2), range(height * r), range(width * r)):
        assert _flat(f.copies.source((c, row, col)), (channels, height, width)) == int(y[c, row, col])
        plane, cell = f.copies.plane((row, col))  # the canvas colours a fine cell by its plane
        assert f.copies.source((0, row, col)) == (plane, *cell)
        assert f.copies.fine(plane, cell) == (row, col)


@pytest.mark.parametrize("r", [1, 2, 3])
def test_pixel_unshuffle_copies_as_torch_does(r: int) -> None:
    channels, height, width = 2, 2 * r, 3 * r
    f = frames_of((channels, height, width), "PixelUnshuffle", {"downscale_factor": r})
    assert f is not None and f.output_size == (height, width)  # the steps walk the fine grid: its input
    x = torch.arange(channels * height * width, dtype=torch.float64).view(1, channels, height, width)
    y = F.pixel_unshuffle(x, r)[0]
    for c, row, col in product(range(channels * r * r), range(2), range(3)):
        assert _flat(f.copies.source((c, row, col)), (channels, height, width)) == int(y[c, row, col])
    step = f.step_of((1, 2)) if r > 1 else 0
    fine = f.output_of(step)
    assert f.field_output(step) == f.copies.plane(fine)[1]
    assert f.output_element(step) == (f.copies.plane(fine)[0], *f.copies.plane(fine)[1])


def crop_frames(shape: tuple[int, ...], like: tuple[int, ...]) -> CopyFrames | None:
    """CenterCrop of an input of ``shape`` to the spatial size of a tensor of ``like`` (an input to a Conv with
    a kernel of one, named by size_from)."""
    ndim = len(shape) - 1
    design = Design("t", InputSpec(shape[0], shape[1:]), (
        Layer.make(f"AdaptiveAvgPool{ndim}d", "like", {"output_size": list(like)}),
        Layer.make("CenterCrop", "crop", {"from": "input", "size_from": "like"})))
    return copy_frames(analyze(design).layers[1])


def test_a_center_crop_copies_as_torch_slicing_does() -> None:
    """Every size 1..7 cropped to 1..n, 1-D and 2-D: the copy map (the pad view with the padding negated) is
    x[..., lo:lo + r] with lo = (n - r) // 2, the crop the export writes."""
    for n, r in ((size, kept) for size in range(1, 8) for kept in range(1, size + 1)):
        f = crop_frames((1, n), (r,))
        assert f is not None and f.output_size == (r,)
        x = torch.arange(n)
        lo = (n - r) // 2
        assert [f.copies.source((0, y)) for y in range(r)] == [(0, int(v)) for v in x[lo:lo + r]], (n, r)
        assert f.copies.axes[0].kept() == range(r)  # every output cell is an input cell in place: no padding
    x = torch.arange(2 * 7 * 6).view(2, 7, 6)
    f = crop_frames((2, 7, 6), (4, 3))
    assert f is not None
    expected = x[:, 1:5, 1:4]
    for c, row, col in product(range(2), range(4), range(3)):
        assert _flat(f.copies.source((c, row, col)), (2, 7, 6)) == int(expected[c, row, col])
    assert crop_frames((1, 3), (5,)) is None  # refused: nothing to draw
