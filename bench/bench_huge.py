"""Huge designs (issue 7): 10,000 layers and million-pixel inputs, through everything that is not GUI.

    python bench/bench_huge.py [--layers 10000] [--only NAME ...] [--no-memory] [--profile OPERATION]
                               [--limit SECONDS]

Designs (each valid, so every tool has something to do):

* ``deep-10k``: ``--layers`` layers (10,000) on 3x1024x1024: blocks of conv 3x3 / batch norm / ReLU, a
  strided conv down and a transposed conv back up, and every fifth block an ``Add`` joining the block's
  input back in (a residual), so that joins, fields and dependency walks span the whole stack;
* ``vgg-1000x1000``: a VGG-16-like encoder (13 convolutions, 5 poolings) on 1x1000x1000, then global
  average pooling, flatten and a classifier;
* ``unet-1024``: a 4-level 2-D U-Net (Concat skips) on 3x1024x1024;
* ``long-1d``: 1x1,000,000 samples through 2,000 1-D layers.

Operations timed on each: the file round trip (``dumps`` and ``loads``), ``analyze`` (first and again),
the inspect table and the ``--json`` report, ``export_torch``, ``dependency_interval`` of the last layer's
corner and centre pixel (and of a layer in the middle), the receptive field of the last layer, the tools
(``valid_input_sizes`` over 1..1024 on the last axis, ``solve_padding`` of the last convolution to its own
size, ``mirror_design``) and the numbers mode of the largest convolution it shows (``NumericState.default``
and the explanation of its centre output; the refusal when it shows none, as for every window of a 1024x1024
input). Each operation runs under a SIGALRM limit (``--limit``, 60 s) and is reported as ``>limit`` when it
trips. Peak Python memory (tracemalloc) is measured in a second run of each
operation that took under 2 s (``--no-memory`` skips it; tracemalloc slows Python down, so the times are from
the first run).

``--profile OPERATION`` prints the 25 costliest functions (cProfile, cumulative) of that operation on the
designs selected with ``--only``. Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import signal
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from convdesigner.engine.analysis import Analysis, analyze
from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.engine.numeric import NumericLayer, NumericState, kind_of, numbers_unavailable, supports
from convdesigner.engine.tools.mirror import MirrorError, mirror_design
from convdesigner.engine.tools.sizes import valid_input_sizes
from convdesigner.engine.tools.solve import SolveError, solve_padding
from convdesigner.io.design_file import dumps, loads
from convdesigner.io.report import report, table
from convdesigner.io.torch_export import export_torch

# -- the designs ----------------------------------------------------------------------------------------------

def deep(layers: int) -> Design:
    """``layers`` layers of residual conv blocks on 3x1024x1024 (see the module docstring)."""
    out: list[Layer] = [Layer.make("Conv2d", "stem", {"out_channels": 16, "kernel_size": 3, "padding": 1})]
    block = 0
    while len(out) < layers:
        start = out[-1].name
        b = f"b{block}_"
        body = [
            Layer.make("Conv2d", b + "conv", {"out_channels": 16, "kernel_size": 3, "padding": 1, "bias": False}),
            Layer.make("BatchNorm2d", b + "bn", {}),
            Layer.make("ReLU", b + "relu", {}),
            Layer.make("Conv2d", b + "down", {"out_channels": 16, "kernel_size": 4, "stride": 2, "padding": 1}),
            Layer.make("ConvTranspose2d", b + "up", {"out_channels": 16, "kernel_size": 4, "stride": 2,
                                                     "padding": 1}),
        ]
        if block % 5 == 4:
            body.append(Layer.make("Add", b + "add", {"from": start}))
        out.extend(body)
        block += 1
    return Design("Deep", InputSpec(3, (1024, 1024)), tuple(out[:layers]))


def vgg() -> Design:
    layers: list[Layer] = []
    for stage, (width, convs) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))):
        for c in range(convs):
            layers.append(Layer.make("Conv2d", f"conv{stage}_{c}", {"out_channels": width, "kernel_size": 3,
                                                                   "padding": 1}))
            layers.append(Layer.make("ReLU", f"relu{stage}_{c}", {"inplace": True}))
        layers.append(Layer.make("MaxPool2d", f"pool{stage}", {"kernel_size": 2}))
    layers += [Layer.make("AdaptiveAvgPool2d", "gap", {"output_size": 1}), Layer.make("Flatten", "flatten", {}),
               Layer.make("Linear", "fc", {"out_features": 1000})]
    return Design("Vgg", InputSpec(1, (1000, 1000)), tuple(layers))


def unet() -> Design:
    layers: list[Layer] = []
    width = 16
    skips = []
    for level in range(4):
        layers += [Layer.make("Conv2d", f"enc{level}_a", {"out_channels": width, "kernel_size": 3, "padding": 1}),
                   Layer.make("ReLU", f"enc{level}_relu", {}),
                   Layer.make("Conv2d", f"enc{level}_b", {"out_channels": width, "kernel_size": 3, "padding": 1})]
        skips.append((f"enc{level}_b", width))
        layers.append(Layer.make("MaxPool2d", f"down{level}", {"kernel_size": 2}))
        width *= 2
    layers.append(Layer.make("Conv2d", "bottom", {"out_channels": width, "kernel_size": 3, "padding": 1}))
    for level in reversed(range(4)):
        skip, skip_width = skips[level]
        layers += [Layer.make("ConvTranspose2d", f"up{level}", {"out_channels": skip_width, "kernel_size": 2,
                                                               "stride": 2}),
                   Layer.make("Concat", f"cat{level}", {"from": skip}),
                   Layer.make("Conv2d", f"dec{level}", {"out_channels": skip_width, "kernel_size": 3, "padding": 1}),
                   Layer.make("ReLU", f"dec{level}_relu", {})]
    layers.append(Layer.make("Conv2d", "head", {"out_channels": 1, "kernel_size": 1}))
    return Design("Unet", InputSpec(3, (1024, 1024)), tuple(layers))


def long_1d(layers: int = 2000) -> Design:
    kinds = [("Conv1d", {"out_channels": 8, "kernel_size": 5, "padding": 2}), ("BatchNorm1d", {}), ("ReLU", {}),
             ("Conv1d", {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}),
             ("Upsample", {"scale_factor": 2})]
    return Design("Long", InputSpec(1, (1_000_000,)),
                  tuple(Layer.make(kinds[j % 5][0], f"l{j}", kinds[j % 5][1]) for j in range(layers)))


# -- the operations -------------------------------------------------------------------------------------------

@dataclass
class Context:
    """What the operations share for one design: the design, its analysis and its file text."""

    design: Design
    analysis: Analysis | None = None
    text: str | None = None


def _last_spatial(analysis: Analysis) -> int:
    for r in reversed(analysis.layers):
        if r.computed and r.field_maps is not None:
            return r.index
    raise ValueError("no spatial layer")


def _dependency(ctx: Context, where: str, middle: bool = False) -> Any:
    analysis = ctx.analysis
    index = _last_spatial(analysis)
    if middle:
        index //= 2
    spatial = analysis.layers[index].output_shape[1:]
    position = tuple(0 for _ in spatial) if where == "corner" else tuple(n // 2 for n in spatial)
    return analysis.dependency_interval(index, position)


def _last_convolution(analysis: Analysis) -> int:
    return max(r.index for r in analysis.layers if r.type.startswith("Conv") and r.computed)


def _solve(ctx: Context) -> Any:
    index = _last_convolution(ctx.analysis)
    try:
        return solve_padding(ctx.analysis, index, ctx.analysis.layers[index].output_shape[1:]).ok
    except SolveError as error:
        return f"SolveError: {error}"


def _mirror(ctx: Context) -> Any:
    try:
        return len(mirror_design(ctx.design).layers)
    except MirrorError as error:
        return f"MirrorError: {error}"


def _numbers(ctx: Context) -> Any:
    """The numbers mode on the convolution with the largest input it shows (what selecting it on the canvas
    does); when it shows none of the design's windows (it refuses layers over 128x128-ish, so the 1024x1024
    designs have none), the refusal the app shows for the largest one."""
    windows = [r for r in ctx.analysis.layers if r.computed and kind_of(r.type) is not None]
    largest = max(windows, key=lambda r: (r.input_shape[1:], -r.index))
    shown = [r for r in windows if supports(r)]
    if not shown:
        return f"refused: {numbers_unavailable(largest)}"
    r = max(shown, key=lambda r: (r.input_shape[1:], -r.index))
    layer = NumericLayer.from_result(r)
    state = NumericState.default(layer)
    centre = tuple(n // 2 for n in layer.output_shape)
    return f"{r.name} {'x'.join(map(str, layer.input_shape))}: " + state.explain(centre).line(max_terms=3)


def _set_analysis(ctx: Context) -> Analysis:
    ctx.analysis = analyze(ctx.design)
    return ctx.analysis


def _set_text(ctx: Context) -> str:
    ctx.text = dumps(ctx.design)
    return ctx.text


OPERATIONS: list[tuple[str, Callable[[Context], Any]]] = [
    ("dumps", _set_text),
    ("loads", lambda ctx: loads(ctx.text)),
    ("analyze (first)", _set_analysis),
    ("analyze (again)", lambda ctx: analyze(ctx.design)),
    ("inspect table", lambda ctx: table(ctx.analysis)),
    ("inspect --json", lambda ctx: json.dumps(report(ctx.analysis))),
    ("export_torch", lambda ctx: export_torch(ctx.design)),
    ("dependency corner", lambda ctx: _dependency(ctx, "corner")),
    ("dependency centre", lambda ctx: _dependency(ctx, "centre")),
    ("dependency centre, middle", lambda ctx: _dependency(ctx, "centre", middle=True)),
    ("receptive field", lambda ctx: ctx.analysis.layers[_last_spatial(ctx.analysis)].receptive_field),
    ("valid_input_sizes 1..1024", lambda ctx: len(valid_input_sizes(ctx.design, ctx.design.input.ndim - 1))),
    ("solve_padding", _solve),
    ("mirror_design", _mirror),
    ("numbers mode", _numbers),
]


#: Operations slower than this (CPU seconds) get no memory run: tracemalloc would make it ten times slower.
MEMORY_RUN_LIMIT = 2.0


class Overrun(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise Overrun


def run(operation: Callable[[Context], Any], ctx: Context, limit: float, memory: bool) -> dict[str, Any]:
    """Time one operation (wall and CPU), then measure its peak Python memory in a second run."""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        value = operation(ctx)
        outcome = "ok"
    except Overrun:
        value, outcome = None, f">{limit:g} s"
    except Exception as error:  # reported, not raised: the table goes on
        value, outcome = None, f"{type(error).__name__}: {error}"[:120]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    result = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "outcome": outcome,
              "value": value, "peak": None}
    if memory and outcome == "ok" and result["cpu"] < MEMORY_RUN_LIMIT:
        tracemalloc.start()
        try:
            operation(ctx)
            result["peak"] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return result


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"{len(value):,} chars" if len(value) > 60 else value
    if isinstance(value, Design):
        return f"{len(value.layers):,} layers"
    if isinstance(value, Analysis):
        return f"ok={value.ok}, output {'x'.join(map(str, value.output_shape or ()))}"
    if value is not None and hasattr(value, "size") and hasattr(value, "jump"):
        return f"size {value.size}"
    return str(value)[:60]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=10_000)
    parser.add_argument("--only", nargs="*", help="design names to run (default: all)")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--profile", metavar="OPERATION", help="cProfile this operation (name as in the table)")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds before an operation is stopped")
    options = parser.parse_args(argv)
    designs = {"deep-10k": lambda: deep(options.layers), "vgg-1000x1000": vgg, "unet-1024": unet,
               "long-1d": long_1d}
    chosen = options.only or list(designs)
    print(f"{'design':15} {'operation':27} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}  result")
    for name in chosen:
        design = designs[name]()
        ctx = Context(design)
        print(f"{name:15} {len(design.layers):,} layers, input {'x'.join(map(str, design.input.shape))}")
        for label, operation in OPERATIONS:
            if options.profile == label:
                profiler = cProfile.Profile()
                profiler.enable()
                result = run(operation, ctx, options.limit, memory=False)
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            else:
                result = run(operation, ctx, options.limit, memory=not options.no_memory)
            peak = f"{result['peak'] / 1e6:8.1f}" if result["peak"] is not None else f"{'-':>8}"
            shown = _shown(result["value"]) if result["outcome"] == "ok" else result["outcome"]
            print(f"{'':15} {label:27} {result['wall']:8.3f} {result['cpu']:8.3f} {peak}  {shown}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
