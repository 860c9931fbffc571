"""How long a full recompute of a 1,000-layer design takes, beside what a user would otherwise do in torch.

    python bench/bench_engine.py [--layers 1000] [--runs 20] [--torch-runs 4] [--no-torch] [--quick]

The stack is a realistic mix that keeps a 64x64 map: convolutions with batch norm and ReLU, max pooling,
strided and transposed convolutions, nearest up-sampling. The engine's numbers:

* cold: analyze() with every memo emptied (`engine.memo.clear_all`), as the first design of a process;
* fresh (median): analyze() of the design loaded again from its file text (every layer a new object with an
  equal value), as after opening a file; the memos are keyed by value, so what equal layers gave is found;
* warm (median): analyze() of the same design again, as the GUI does after an edit elsewhere (each run
  replaces the analysis before it, which is freed once the new one is made, as the app holds its analysis);
* with every field (median): a fresh analyze() and then every layer's receptive field (composed when first
  asked; `inspect` and the GUI's field panel ask for them).

The torch rows build the same stack on the meta device and run one forward pass (batch 1), which is what a
user would otherwise do to get the shapes; its first run is shown apart (one-time set-up of the meta
kernels), the ratios use the median of the others. Times are the CPU time of this process (steady on a
shared machine) and the wall time. Benchmarks are not tests: nothing here asserts a time.

`table_rows` gives issue 15's engine rows (fresh and warm against torch's median, and the warm time per layer
at 10,000 layers against 1,000, the two sizes' runs interleaved: `warm_scaling`), each measured in the same run
as its reference.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from table import Row, print_table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.memo import clear_all
from convdesigner.io.design_file import dumps, loads

BLOCK = (
    ("Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}),
    ("BatchNorm2d", {}),
    ("ReLU", {}),
    ("MaxPool2d", {"kernel_size": 2}),
    ("ConvTranspose2d", {"out_channels": 32, "kernel_size": 4, "stride": 2, "padding": 1}),
    ("BatchNorm2d", {}),
    ("ReLU", {}),
    ("Conv2d", {"out_channels": 32, "kernel_size": 3, "stride": 2, "padding": 1}),
    ("Upsample", {"scale_factor": 2}),
    ("LeakyReLU", {"negative_slope": 0.2}),
)


def stack(n: int, tag: str = "") -> Design:
    """n layers of the repeating block on a 32-channel 64x64 input."""
    layers = [Layer.make(BLOCK[j % len(BLOCK)][0], f"{tag}layer{j}", BLOCK[j % len(BLOCK)][1]) for j in range(n)]
    return Design("bench", InputSpec(32, (64, 64)), tuple(layers))


Timing = tuple[float, float]  # (CPU seconds of this process, wall seconds)


def timed(work: Callable[[], object]) -> Timing:
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return time.process_time() - cpu, time.perf_counter() - wall


def median(timings: list[Timing]) -> Timing:
    return statistics.median(t[0] for t in timings), statistics.median(t[1] for t in timings)


def time_engine(n: int, runs: int) -> dict[str, Timing]:
    design = stack(n)
    assert analyze(design).ok  # not timed: makes sure the design is valid
    clear_all()
    cold = timed(lambda: analyze(design))
    # as the app holds its analysis: each run replaces the one before, which is freed after the new one is made
    held = [analyze(design)]
    warm = [timed(lambda: held.__setitem__(0, analyze(design))) for _ in range(runs)]
    held.clear()
    text = dumps(design)
    fresh, fields = [], []
    for _ in range(runs):
        loaded = loads(text)
        fresh.append(timed(lambda loaded=loaded: analyze(loaded)))
        loaded = loads(text)
        fields.append(timed(lambda loaded=loaded: [r.receptive_field for r in analyze(loaded).layers]))
    return {"cold": cold, "fresh": median(fresh), "warm": median(warm), "fields": median(fields)}


def warm_scaling(rounds: int, reference: Callable[[], object] | None) -> tuple[float, float, float]:
    """The median CPU times of a warm analysis of the 1,000-layer and of the 10,000-layer stack and of
    ``reference`` (torch's build and forward; NaN without it), their runs interleaved (ten of the small stack,
    one of the large, one of the reference in every round), so that a change in the machine's load falls on
    both sides of the ratios."""
    small, large = stack(1000), stack(10_000)
    held = [analyze(small), analyze(large)]  # each run replaces its stack's analysis, as the app does
    small_times: list[float] = []
    large_times: list[float] = []
    reference_times: list[float] = []
    for _ in range(rounds):
        if reference is not None:
            reference_times.append(timed(reference)[0])
        for _ in range(10):
            small_times.append(timed(lambda: held.__setitem__(0, analyze(small)))[0])
        large_times.append(timed(lambda: held.__setitem__(1, analyze(large)))[0])
    return (statistics.median(small_times), statistics.median(large_times),
            statistics.median(reference_times) if reference_times else float("nan"))


def time_torch(n: int, runs: int) -> dict[str, Timing] | None:
    build_and_run = torch_build_and_run(n)
    if build_and_run is None:
        return None
    times = [timed(build_and_run) for _ in range(runs)]
    return {"first": times[0], "median": median(times[1:] or times)}


def torch_build_and_run(n: int) -> Callable[[], tuple[int, ...]] | None:
    """Building the n-layer stack in torch on the meta device and running one forward pass (None without
    torch)."""
    try:
        import torch
    except ImportError:
        return None
    nn = torch.nn

    def build_and_run() -> tuple[int, ...]:
        with torch.device("meta"):
            x = torch.empty(1, 32, 64, 64)
            modules = []
            for j in range(n):
                kind, args = BLOCK[j % len(BLOCK)]
                if kind in ("Conv2d", "ConvTranspose2d"):
                    modules.append(getattr(nn, kind)(32, **args))
                elif kind == "BatchNorm2d":
                    modules.append(nn.BatchNorm2d(32))
                else:
                    modules.append(getattr(nn, kind)(**args))
            model = nn.Sequential(*modules).eval()
            with torch.no_grad():
                return tuple(model(x).shape)

    return build_and_run


LABELS = (("cold", "engine, cold (memos emptied)"), ("fresh", "engine, fresh layers (median)"),
          ("warm", "engine, warm (median)"), ("fields", "engine, fresh + every field (median)"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--torch-runs", type=int, default=4, help="the first run is shown apart")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--quick", action="store_true", help="print issue 15's rows only, with fewer runs")
    options = parser.parse_args(argv)
    if options.quick:
        return print_table(table_rows(quick=True))
    engine = time_engine(options.layers, options.runs)
    torch_times = None if options.no_torch else time_torch(options.layers, options.torch_runs)
    print(f"{options.layers}-layer stack (conv/bn/relu/pool/transposed/upsample), full recompute")
    print(f"{'':38}{'CPU ms':>9}{'wall ms':>9}   torch's median / this   torch's first / this")
    print(f"{'':56}{'CPU':>7}{'wall':>7}{'CPU':>12}{'wall':>7}")
    for key, label in LABELS:
        cpu, wall = engine[key]
        ratios = ""
        if torch_times:
            (m_cpu, m_wall), (f_cpu, f_wall) = torch_times["median"], torch_times["first"]
            ratios = f"{m_cpu / cpu:6.0f}x{m_wall / wall:6.0f}x{f_cpu / cpu:11.0f}x{f_wall / wall:6.0f}x"
        print(f"{label:38}{cpu * 1000:9.2f}{wall * 1000:9.2f}   {ratios}")
    if torch_times:
        for label, (cpu, wall) in [("torch meta build + forward, first", torch_times["first"]),
                                   ("torch meta build + forward, median", torch_times["median"])]:
            print(f"{label:38}{cpu * 1000:9.1f}{wall * 1000:9.1f}")
        print("(torch's first run in a process also sets up its meta kernels; `import torch` itself is not timed)")
    else:
        print("torch not timed (--no-torch, or torch is not installed)")
    return 0


def table_rows(quick: bool = False) -> list[Row]:
    """Issue 15's engine rows: a 1,000-layer design fresh and warm against torch's median build and forward
    of the same stack, and the warm recompute per layer at 10,000 layers against 1,000 (same run; the warm
    runs and torch's interleaved: `warm_scaling`)."""
    runs = 5 if quick else 20
    small = time_engine(1000, runs)
    large = time_engine(10_000, 3 if quick else 5)
    rounds = 5 if quick else 10
    build_and_run = torch_build_and_run(1000)
    if build_and_run is not None:
        build_and_run()  # the first run in a process also sets up torch's meta kernels: not counted
    warm, warm_large, reference = warm_scaling(rounds, build_and_run)
    per_layer = (warm_large / 10_000) / (warm / 1000)
    scale = (f"warm {warm * 1000:.2f} ms at 1,000 layers, {warm_large * 1000:.1f} ms at 10,000 (medians of "
             f"{rounds * 10} and {rounds} runs, interleaved); fresh {small['fresh'][0] * 1000:.2f} / "
             f"{large['fresh'][0] * 1000:.1f} ms "
             f"({(large['fresh'][0] / 10) / small['fresh'][0]:.2f}x per layer)")
    rows = [Row("engine per layer at 10,000 layers / at 1,000", per_layer, 1.2, detail=scale)]
    if build_and_run is None:
        missing = "torch is not installed: no reference"
        return [Row("engine, 1,000 layers, fresh objects / torch meta build + forward", float("nan"), 50.0,
                    higher_is_better=True, detail=missing),
                Row("engine, warm re-analysis / torch meta build + forward", float("nan"), 100.0,
                    higher_is_better=True, detail=missing), *rows]
    return [
        Row("engine, 1,000 layers, fresh objects / torch meta build + forward", reference / small["fresh"][0], 50.0,
            higher_is_better=True,
            detail=f"CPU {small['fresh'][0] * 1000:.2f} ms / torch {reference * 1000:.0f} ms; cold (memos emptied) "
                   f"{small['cold'][0] * 1000:.2f} ms ({reference / small['cold'][0]:.0f}x), with every receptive "
                   f"field {small['fields'][0] * 1000:.2f} ms ({reference / small['fields'][0]:.0f}x)"),
        Row("engine, warm re-analysis / torch meta build + forward", reference / warm, 100.0,
            higher_is_better=True, detail=f"CPU {warm * 1000:.2f} ms (median of {rounds * 10}) / torch "
                                          f"{reference * 1000:.0f} ms"),
        *rows,
    ]


if __name__ == "__main__":
    raise SystemExit(main())
