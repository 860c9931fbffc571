"""How long a full recompute of a 1,000-layer design takes, beside what a user would otherwise do in torch.

    python bench/bench_engine.py [--layers 1000] [--runs 20] [--torch-runs 3] [--no-torch]

The stack is a realistic mix that keeps a 64x64 map: convolutions with batch norm and ReLU, max pooling,
strided and transposed convolutions, nearest up-sampling. The engine's numbers:

* cold: the first analyze() of the process, on layers it has never seen;
* fresh (median): analyze() of a design whose every layer is new (renamed), so no per-layer memo helps;
* warm (median): analyze() of the same design again, as the GUI does after an edit elsewhere (the per-layer
  memo of argument checks hits; shapes, counts, fields and diagnostics are all recomputed).

The torch column builds the same stack on the meta device and runs one forward pass (batch 1).
Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
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


def time_engine(n: int, runs: int) -> dict[str, float]:
    design = stack(n)
    start = time.perf_counter()
    analysis = analyze(design)
    cold = time.perf_counter() - start
    assert analysis.ok, analysis.errors[:1]
    warm = []
    for _ in range(runs):
        start = time.perf_counter()
        analyze(design)
        warm.append(time.perf_counter() - start)
    fresh = []
    for r in range(runs):
        renamed = stack(n, tag=f"r{r}_")
        start = time.perf_counter()
        analyze(renamed)
        fresh.append(time.perf_counter() - start)
    return {"cold": cold, "fresh": statistics.median(fresh), "warm": statistics.median(warm)}


def time_torch(n: int, runs: int) -> dict[str, float] | None:
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

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        build_and_run()
        times.append(time.perf_counter() - start)
    return {"cold": times[0], "median": statistics.median(times)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--torch-runs", type=int, default=3)
    parser.add_argument("--no-torch", action="store_true")
    options = parser.parse_args(argv)
    engine = time_engine(options.layers, options.runs)
    torch_times = None if options.no_torch else time_torch(options.layers, options.torch_runs)
    ms = 1000
    print(f"{options.layers}-layer stack (conv/bn/relu/pool/transposed/upsample), full recompute")
    print(f"{'':34}{'time (ms)':>12}{'torch / this':>14}")
    rows = [("engine, cold (first run)", engine["cold"]), ("engine, fresh layers (median)", engine["fresh"]),
            ("engine, warm (median)", engine["warm"])]
    reference = torch_times["median"] if torch_times else None
    for label, seconds in rows:
        ratio = f"{reference / seconds:13.0f}x" if reference else f"{'-':>14}"
        print(f"{label:34}{seconds * ms:12.2f}{ratio}")
    if torch_times:
        print(f"{'torch meta build + forward (first)':34}{torch_times['cold'] * ms:12.1f}")
        print(f"{'torch meta build + forward (median)':34}{torch_times['median'] * ms:12.1f}")
    else:
        print("torch is not installed: no comparison")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
