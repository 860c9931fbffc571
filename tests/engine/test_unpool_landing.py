"""Where a MaxUnpool puts each value (issue 13: "the canvas shows where each value lands"): the window each input
cell may land in without the data, and, given the pool's input values, the cell PyTorch's max_pool with
return_indices picks (the first maximum in the window's row-major order) and max_unpool writes, against torch 2.13
on random pools and small integer values (ties on purpose)."""

from __future__ import annotations

import random
from itertools import product
from math import prod

import pytest

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.layers.pooling import unpool_landing

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _random_case(rng: random.Random, ndim: int):  # type: ignore[no-untyped-def]
    size = tuple(rng.randint(2, 7) for _ in range(ndim))
    kernel = tuple(rng.randint(1, 3) for _ in range(ndim))
    stride = tuple(rng.randint(1, 3) for _ in range(ndim))
    padding = tuple(rng.randint(0, k // 2) for k in kernel)
    dilation = tuple(rng.randint(1, 2) for _ in range(ndim))
    pool = {"kernel_size": list(kernel), "stride": list(stride), "padding": list(padding), "dilation": list(dilation),
            "ceil_mode": rng.random() < 0.3}
    layers = [Layer.make(f"MaxPool{ndim}d", "pool", pool),
              Layer.make(f"MaxUnpool{ndim}d", "unpool", {"kernel_size": list(kernel), "stride": list(stride),
                                                         "padding": list(padding), "indices": "pool"})]
    if rng.random() < 0.5:  # back to the pool's input size, as SegNet does
        layers[1] = layers[1].with_args(size_from="input")
    analysis = analyze(Design("t", InputSpec(2, size), tuple(layers)))
    if not analysis.ok:
        return None
    return analysis, pool, size


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_each_value_lands_where_torch_puts_it(ndim: int) -> None:
    rng = random.Random(ndim)
    checked = 0
    for _ in range(200):
        case = _random_case(rng, ndim)
        if case is None:
            continue
        analysis, pool, size = case
        pool_result, unpool_result = analysis.layers
        landing = unpool_landing(unpool_result, pool_result)
        x = torch.tensor([rng.randint(0, 2) for _ in range(2 * prod(size))],
                         dtype=torch.float64).view(1, 2, *size)
        max_pool = getattr(F, f"max_pool{ndim}d")
        values, indices = max_pool(x, pool["kernel_size"], pool["stride"], pool["padding"], pool["dilation"],
                                   ceil_mode=pool["ceil_mode"], return_indices=True)
        out = unpool_result.output_shape[1:]
        try:
            unpooled = getattr(F, f"max_unpool{ndim}d")(values * 10 + 1, indices, unpool_result.layer.get("kernel_size"),
                                                        unpool_result.layer.get("stride"),
                                                        unpool_result.layer.get("padding"), output_size=list(out))
        except RuntimeError:  # an index beyond a smaller output: the engine warned, torch refuses this data
            unpooled = None
        cells = list(product(*map(range, values.shape[2:])))
        for channel in range(2):
            plane = x[0, channel].flatten().tolist()
            for n, cell in enumerate(cells):
                flat = int(indices[0, channel].flatten()[n])
                found = landing.lands(plane, cell)
                expected = None if flat >= prod(out) else divmod_all(flat, out)
                assert found == expected, (size, pool, cell)
                if found is not None:
                    assert found in landing.may_land(cell)  # the cell lies in the window drawn without data
            if unpooled is not None:
                drawn = landing.unpooled(plane, (values[0, channel] * 10 + 1).flatten().tolist())
                assert drawn == unpooled[0, channel].flatten().tolist(), (size, pool)
        checked += 1
    assert checked > 60


def divmod_all(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The cell a flat index names, row-major (as torch's indices count)."""
    cell = []
    for n in reversed(shape):
        flat, r = divmod(flat, n)
        cell.append(r)
    return tuple(cell[::-1])


def test_the_window_without_data_is_the_pools_window_on_the_data() -> None:
    """MaxPool2d(3, stride 2, padding 1) on 5x6 and back: input cell (0, 1) may land in rows 0-1 and columns 1-3
    (the padding is no cell), cell (2, 2) in rows 3-4, columns 3-5."""
    analysis = analyze(Design("t", InputSpec(1, (5, 6)), (
        Layer.make("MaxPool2d", "pool", {"kernel_size": 3, "stride": 2, "padding": 1}),
        Layer.make("MaxUnpool2d", "unpool", {"kernel_size": 3, "stride": 2, "padding": 1, "indices": "pool",
                                             "size_from": "input"}))))
    landing = unpool_landing(analysis.layers[1], analysis.layers[0])
    assert landing.may_land((0, 1)) == [(r, c) for r in (0, 1) for c in (1, 2, 3)]
    assert landing.may_land((2, 2)) == [(r, c) for r in (3, 4) for c in (3, 4, 5)]
    plane = [0] * 30
    plane[4 * 6 + 3] = plane[3 * 6 + 5] = 7  # two maxima: the first in row-major order wins
    assert landing.lands(plane, (2, 2)) == (3, 5)
