"""Peak memory of ``convdesigner animate`` (issue 15: a 400-step layer peaked at 230 MiB; target <= 80 MiB).

    python bench/bench_animate.py [--runs 3] [--size 800x480]

Each case runs ``animate`` in a fresh child process, through a small parent that reports the child's peak
resident memory (``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the interpreter, Qt, Pillow and everything the
command allocates); the smallest of ``--runs`` runs is kept (other jobs on the machine only add to it). Cases:

* ``400 steps, streamed``: a 3x3 convolution on 22x22 (a 20x20 output: 400 frames) as the command writes it;
* ``400 steps, Pillow save_all``: the same GIF written the way it was before, Pillow's ``save(save_all=True,
  append_images=generator)``, which keeps every frame until the last (the same bytes; measured in the same run
  for the ratio);
* ``1 step``: a 3x3 convolution on 3x3, the floor of any animate run (Python, Qt, fonts, Pillow, one frame);
* ``k=10^8 transposed``: ``ConvTranspose2d(kernel_size=10**8, stride=10**8)`` on 4x4, 400 of its 1.6*10^17
  steps (issue 17: 7.7 GB before).

The verdict compares the streamed 400-step peak with the target; exit status 1 when it is over.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from table import Row, print_table

ROOT = Path(__file__).resolve().parent.parent
TARGET_MIB = 80.0

DESIGNS = {
    "conv-22": ("{channels: 1, size: [22, 22]}", "{type: Conv2d, name: layer, out_channels: 1, kernel_size: 3}"),
    "conv-3": ("{channels: 1, size: [3, 3]}", "{type: Conv2d, name: layer, out_channels: 1, kernel_size: 3}"),
    "transposed-1e8": ("{channels: 1, size: [4, 4]}", "{type: ConvTranspose2d, name: layer, out_channels: 1, "
                                                      "kernel_size: 100000000, stride: 100000000}"),
}

#: The parent: runs its arguments and prints the child's peak resident memory (KiB on Linux, bytes on macOS).
MEASURE = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")

#: ``animate`` with Pillow's own writer (every frame kept): the reference for the ratio.
PILLOW = ("import sys; from convdesigner.gui.canvas import export\n"
          "def pillow(target, first, rest, duration):\n"
          "    first.save(target, format='GIF', save_all=True, append_images=rest, duration=duration, loop=0,\n"
          "               optimize=False, disposal=1)\n"
          "export.write_gif_frames = pillow\n"
          "from convdesigner.cli import main\n"
          "sys.exit(main(sys.argv[1:]))")


def peak_mib(command: list[str]) -> float:
    """The peak resident memory of ``command`` in MiB."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    value = int(done.stdout.strip().splitlines()[-1])
    return value / (1024 * 1024 if sys.platform == "darwin" else 1024)


def rows(runs: int = 3, size: str = "800x480") -> list[tuple[str, float]]:
    """(case, smallest peak MiB over ``runs``) for every case."""
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for name, (source, layer) in DESIGNS.items():
            paths[name] = Path(folder, f"{name}.yaml")
            paths[name].write_text(f"convdesigner: 1\nname: Bench\ninput: {source}\nlayers:\n  - {layer}\n")
        out = str(Path(folder, "out.gif"))

        def animate(name: str, pillow: bool = False) -> list[str]:
            head = [sys.executable, "-c", PILLOW] if pillow else [sys.executable, "-m", "convdesigner"]
            return [*head, "animate", str(paths[name]), "--layer", "layer", "--size", size, "-o", out]

        cases = [("400 steps, streamed", animate("conv-22")), ("400 steps, Pillow save_all", animate("conv-22", True)),
                 ("1 step", animate("conv-3")), ("k=10^8 transposed, 400 frames", animate("transposed-1e8"))]
        return [(label, min(peak_mib(command) for _ in range(runs))) for label, command in cases]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", default="800x480")
    options = parser.parse_args()
    measured = dict(rows(options.runs, options.size))
    print(f"{'animate, peak resident memory':34} {'MiB':>8}")
    for label, mib in measured.items():
        print(f"{label:34} {mib:8.1f}")
    print()
    return print_table(table_rows(measured=measured))


def table_rows(quick: bool = False, measured: dict[str, float] | None = None) -> list[Row]:
    """Issue 15's row: the streamed 400-step peak against 80 MiB, with the Pillow reference of the same run."""
    measured = measured or dict(rows(1 if quick else 3))
    streamed = measured["400 steps, streamed"]
    detail = (f"Pillow save_all / streamed {measured['400 steps, Pillow save_all'] / streamed:.2f}x; "
              f"the frames (400 steps - 1 step) {streamed - measured['1 step']:.1f} MiB")
    return [Row("`animate` of a 400-step layer, peak memory", streamed, TARGET_MIB, "MiB", detail=detail)]


if __name__ == "__main__":
    sys.exit(main())
