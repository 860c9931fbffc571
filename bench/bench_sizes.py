"""`convdesigner sizes` on a 1,000-layer design (issue 12) and the engine's shapes-only pass against a bare loop
of the output-size formulas (issue 15).

    python bench/bench_sizes.py [--layers 1000] [--runs 3] [--quick]

Rows (CPU time: the steadier measure on a shared machine; the smallest of ``--runs``):

* ```sizes` of a 1,000-layer design``: ``convdesigner sizes FILE`` run in this process (``cli.main``, output
  discarded) on bench_huge's ``deep(1000)`` (residual conv / batch norm / ReLU / strided conv / transposed
  conv blocks, an ``Add`` every fifth block, on 3x1024x1024) written to a file: reading it, the valid sizes
  1..1024 on both axes, the nearest-size suggestion and the analysis at its own size. Absolute target 0.5 s
  (12.9 s and 297 MiB before). The detail gives the command's peak Python memory (tracemalloc, a run of its
  own), one axis's scan alone and how many layer rules it ran.
* ``engine shapes-only pass / a bare loop of the output-size formulas``: ``ShapeWalk.run`` of bench_engine's
  1,000-layer stack (conv / batch norm / ReLU / max pooling / transposed conv / strided conv / upsample /
  LeakyReLU) at 200 sizes it has not seen, per size, against a loop that applies each layer's formula from
  ``arithmetic`` (conv_output_size, pool_output_size, transposed_output_size, upsample_output_size on both
  axes; nothing for a layer that keeps the size), its arguments read beforehand, at the same sizes in the
  same run. Target <= 20x. The walk is built once, as the loop's arguments are read once; its first size
  (where each layer's rule is asked for the channels) is shown apart.

Exit status 1 when a row misses its target. Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_engine import stack
from bench_huge import deep
from table import Row, print_table

from convdesigner.cli import main as cli_main
from convdesigner.engine.arithmetic import (
    conv_output_size,
    pool_output_size,
    transposed_output_size,
    upsample_output_size,
)
from convdesigner.engine.design import Design, Layer
from convdesigner.engine.tools.sizes import ShapeWalk, axis_sizes
from convdesigner.io.design_file import dumps

SIZES_TARGET_S = 0.5
RATIO_TARGET = 20.0
#: The sizes the shapes-only pass and the loop are timed at (the stack takes even sizes).
PASS_SIZES = tuple(range(64, 464, 2))


def cpu(work: Callable[[], object], runs: int) -> float:
    """The smallest CPU time of ``runs`` runs of ``work``, in seconds."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def sizes_command(layers: int, runs: int) -> tuple[float, float, float, int]:
    """(CPU seconds of ``convdesigner sizes`` on the deep design, its peak Python memory in MiB (tracemalloc, in
    a run of its own), CPU seconds of one axis's scan alone, the layer rules that scan ran)."""
    design = deep(layers)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "deep.yaml")
        path.write_text(dumps(design), encoding="utf-8")

        def command() -> None:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                if cli_main(["sizes", str(path)]) != 0:
                    raise SystemExit("convdesigner sizes failed on the deep design")

        whole = cpu(command, runs)
        tracemalloc.start()
        try:
            command()
            peak = tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()
    walks: list[ShapeWalk] = []

    def scan() -> None:
        walks.append(ShapeWalk(design))
        axis_sizes(design, 1, 1, 1024, walks[-1])

    return whole, peak, cpu(scan, runs), walks[-1].evaluations


def _formula(layer: Layer) -> tuple[Callable[..., int], tuple[Any, ...]] | None:
    """The output-size formula of one of the stack's layers and its arguments after the size (None: it keeps
    the size)."""
    a = layer.arguments
    if layer.type == "Conv2d":
        p = a.get("padding", 0)
        return conv_output_size, (a["kernel_size"], a.get("stride", 1), p, p, a.get("dilation", 1))
    if layer.type == "MaxPool2d":
        return pool_output_size, (a["kernel_size"], a.get("stride") or a["kernel_size"], a.get("padding", 0),
                                  a.get("dilation", 1), a.get("ceil_mode", False))
    if layer.type == "ConvTranspose2d":
        return transposed_output_size, (a["kernel_size"], a.get("stride", 1), a.get("padding", 0),
                                        a.get("output_padding", 0), a.get("dilation", 1))
    if layer.type == "Upsample":
        return upsample_output_size, (a.get("size"), a.get("scale_factor"))
    return None


def bare_loop(design: Design) -> Callable[[int, int], tuple[int, int]]:
    """The stack's sizes by its formulas alone: no checks, no channels, nothing remembered."""
    plan = [_formula(layer) for layer in design.layers]

    def sizes(h: int, w: int) -> tuple[int, int]:
        for step in plan:
            if step is not None:
                formula, args = step
                h, w = formula(h, *args), formula(w, *args)
        return h, w
    return sizes


def shapes_pass(layers: int, runs: int) -> tuple[float, float, float]:
    """(per size: the shapes-only pass, the bare loop; the pass's first size, with its rule evaluations), CPU
    seconds."""
    design = stack(layers)
    walk = ShapeWalk(design)
    start = time.process_time()
    walk.run((62, 62))
    first = time.process_time() - start
    loop = bare_loop(design)
    assert all(walk.run((n, n)) == (None, {}) for n in PASS_SIZES[:3])
    engine = cpu(lambda: [walk.run((n, n)) for n in PASS_SIZES], runs) / len(PASS_SIZES)
    bare = cpu(lambda: [loop(n, n) for n in PASS_SIZES], runs) / len(PASS_SIZES)
    return engine, bare, first


def table_rows(quick: bool = False, layers: int = 1000, runs: int | None = None) -> list[Row]:
    """Issue 12's `sizes` row (absolute, seconds) and issue 15's shapes-only pass row (a ratio), each
    measured in this run."""
    runs = runs or (2 if quick else 3)  # the smallest of two: one run slowed by another job is not it
    whole, peak, scan, evaluations = sizes_command(layers, runs)
    engine, bare, first = shapes_pass(layers, runs)
    return [
        Row(f"`sizes` of a {layers:,}-layer design", whole, SIZES_TARGET_S, "s",
            detail=f"peak Python memory {peak:.1f} MiB; one axis's scan 1..1024 alone {scan:.3f} s, "
                   f"{evaluations:,} layer rules run (one per layer; {layers * 1024:,} before)"),
        Row("engine shapes-only pass / a bare loop of the output-size formulas", engine / bare, RATIO_TARGET,
            detail=f"{layers:,} layers, per size: pass {engine * 1e3:.2f} ms, loop {bare * 1e3:.3f} ms; "
                   f"the pass's first size (every rule asked once) {first * 1e3:.1f} ms"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one run of each")
    options = parser.parse_args()
    return print_table(table_rows(options.quick, options.layers, 1 if options.quick else options.runs))


if __name__ == "__main__":
    sys.exit(main())
