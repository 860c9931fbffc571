"""How long a full recompute of a 1,000-layer design takes, beside what a user would otherwise do in torch.

    python bench/bench_engine.py [--layers 1000] [--runs 20] [--torch-runs 3] [--no-torch]

The stack is a realistic mix that keeps a 64x64 map: convolutions with batch norm and ReLU, max pooling,
strided and transposed convolutions, nearest up-sampling. The engine's numbers:

* cold: the first analyze() of the process (first-call costs included), on layers it has never seen;
* fresh (median): analyze() of a design whose every layer is new (renamed), so no per-layer memo helps;
* warm (median): analyze() of the same design again, as the GUI does after an edit elsewhere (the per-layer
  memo of argument checks hits; shapes, counts, fields and diagnostics are all recomputed).

The torch rows build the same stack on the meta device and run one forward pass (batch 1), which is what a
user would otherwise do to get the shapes; its first run is shown apart (one-time set-up of the meta
kernels), the ratios use the median of the others. Times are the CPU time of this process (steady on a
shared machine) and the wall time. Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from convdesigner.engine import Design, InputSpec, Layer, analyze

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
    analysis = analyze(design)  # not timed: makes sure the design is valid
    assert analysis.ok, analysis.errors[:1]
    cold = timed(lambda: analyze(stack(n, tag="cold_")))
    warm = [timed(lambda: analyze(design)) for _ in range(runs)]
    fresh = []
    for r in range(runs):
        renamed = stack(n, tag=f"r{r}_")
        fresh.append(timed(lambda renamed=renamed: analyze(renamed)))
    return {"cold": cold, "fresh": median(fresh), "warm": median(warm)}


def time_torch(n: int, runs: int) -> dict[str, Timing] | None:
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

    times = [timed(build_and_run) for _ in range(runs)]
    return {"first": times[0], "median": median(times[1:] or times)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--torch-runs", type=int, default=4, help="the first run is shown apart")
    parser.add_argument("--no-torch", action="store_true")
    options = parser.parse_args(argv)
    engine = time_engine(options.layers, options.runs)
    torch_times = None if options.no_torch else time_torch(options.layers, options.torch_runs)
    print(f"{options.layers}-layer stack (conv/bn/relu/pool/transposed/upsample), full recompute")
    print(f"{'':36}{'CPU ms':>9}{'wall ms':>9}   torch's median / this   torch's first / this")
    print(f"{'':54}{'CPU':>7}{'wall':>7}{'CPU':>12}{'wall':>7}")
    for label, (cpu, wall) in [("engine, cold (first analysis)", engine["cold"]),
                               ("engine, fresh layers (median)", engine["fresh"]),
                               ("engine, warm (median)", engine["warm"])]:
        ratios = ""
        if torch_times:
            (m_cpu, m_wall), (f_cpu, f_wall) = torch_times["median"], torch_times["first"]
            ratios = f"{m_cpu / cpu:6.0f}x{m_wall / wall:6.0f}x{f_cpu / cpu:11.0f}x{f_wall / wall:6.0f}x"
        print(f"{label:36}{cpu * 1000:9.2f}{wall * 1000:9.2f}   {ratios}")
    if torch_times:
        for label, (cpu, wall) in [("torch meta build + forward, first", torch_times["first"]),
                                   ("torch meta build + forward, median", torch_times["median"])]:
            print(f"{label:36}{cpu * 1000:9.1f}{wall * 1000:9.1f}")
        print("(torch's first run in a process also sets up its meta kernels; `import torch` itself is not timed)")
    else:
        print("torch not timed (--no-torch, or torch is not installed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
