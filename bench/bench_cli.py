"""The command line's rows of issue 15: ``inspect`` of a small design against importing PyYAML alone, and
``mirror`` of a 10,000-layer design against ``inspect`` of the same file.

    python bench/bench_cli.py [--runs 15] [--python PATH]

Every case runs in a fresh process (the installed convdesigner, run from outside the checkout, as users run
it); the time is the child's CPU time (user + system: steady on a shared machine), the median over the runs,
the two sides of a ratio alternating so that they see the same load. One warm-up run of each command first
(not counted) writes the bytecode caches, even where ``PYTHONDONTWRITEBYTECODE`` is set, as an installed
package has them.

* ``inspect small.yaml`` / ``python -c "import yaml"``: the start of a command (the interpreter, PyYAML, the
  engine, the command's own modules) and its work on a 3-layer design, against the interpreter and PyYAML
  alone (target <= 2x: a command imports only what it needs). A second line gives the same ratio without the
  site packages' start-up hooks (``python -S`` with the same import path): the hook of an editable install
  imports pathlib at every start, on both sides, which a regular install does not;
* ``mirror`` of a 10,000-layer design / ``inspect`` of the same file (``-o`` to a file; target <= 2x: linear,
  where naming the decoder's layers was quadratic). The design repeats Conv2d 3x3 / BatchNorm2d / ReLU /
  Dropout with short names, so that its mirror (20,000 layers) stays under the design-file size limit.

The exit status is 1 when a row misses its target. Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from table import Row, print_table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from convdesigner.engine import Design, InputSpec, Layer
from convdesigner.io.design_file import dumps

#: The children run outside the checkout so that they import the installed convdesigner, not ./convdesigner.
WORKDIR = tempfile.gettempdir()
#: What the pip-generated ``convdesigner`` script runs.
ENTRY = "import sys; from convdesigner.cli import main; sys.exit(main())"

SMALL = Design("Small", InputSpec(3, (32, 32)), (
    Layer.make("Conv2d", "conv1", out_channels=8, kernel_size=3, padding=1),
    Layer.make("ReLU", "relu1"),
    Layer.make("MaxPool2d", "pool1", kernel_size=2),
))

BLOCK = (("Conv2d", "c", {"out_channels": 4, "kernel_size": 3, "padding": 1}), ("BatchNorm2d", "b", {}),
         ("ReLU", "r", {}), ("Dropout", "d", {}))


def mirrorable(layers: int = 10_000) -> Design:
    """``layers`` layers of the block above on 1x32x32 (its mirror fits in a design file)."""
    return Design("Mirror", InputSpec(1, (32, 32)), tuple(
        Layer.make(BLOCK[j % 4][0], f"{BLOCK[j % 4][1]}{j // 4}", BLOCK[j % 4][2]) for j in range(layers)))


def _environment(path: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode caches
    if path is not None:
        env["PYTHONPATH"] = path
    return env


def _import_path(python: str) -> str:
    """The folders holding convdesigner and PyYAML as ``python`` finds them (through its site packages' hooks:
    an editable install's finder), for running it without them (``-S``)."""
    code = ("import os, convdesigner, yaml; print(os.pathsep.join(os.path.dirname(os.path.dirname(m.__file__)) "
            "for m in (convdesigner, yaml)))")
    return subprocess.run([python, "-c", code], capture_output=True, text=True, env=_environment(), cwd=WORKDIR,
                          check=True).stdout.strip()


def child_cpu(command: list[str], env: dict[str, str]) -> float:
    """The CPU seconds (user + system) of running ``command`` to its exit (which must be 0)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=WORKDIR, timeout=600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[-3:])}: exit {done.returncode}: {done.stderr.strip()[-800:]}")
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def ratio_of(numerator: list[str], denominator: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    """(median CPU of numerator, of denominator), the two run alternately after one warm-up run each."""
    child_cpu(numerator, env)
    child_cpu(denominator, env)
    tops, bottoms = [], []
    for _ in range(runs):
        tops.append(child_cpu(numerator, env))
        bottoms.append(child_cpu(denominator, env))
    return statistics.median(tops), statistics.median(bottoms)


def table_rows(quick: bool = False, python: str = sys.executable, runs: int | None = None) -> list[Row]:
    """Issue 15's two command-line rows, each against its reference measured in the same run."""
    env = _environment()
    command = [python, "-c", ENTRY]
    with tempfile.TemporaryDirectory() as folder:
        small, huge, out = (str(Path(folder, name)) for name in ("small.yaml", "mirror.yaml", "out.yaml"))
        Path(small).write_text(dumps(SMALL), encoding="utf-8")
        Path(huge).write_text(dumps(mirrorable()), encoding="utf-8")
        inspect_small, yaml_alone = ratio_of([*command, "inspect", small], [python, "-c", "import yaml"],
                                             runs or (5 if quick else 15), env)
        bare_small, bare_yaml = ratio_of([python, "-S", "-c", ENTRY, "inspect", small],
                                         [python, "-S", "-c", "import yaml"], runs or (5 if quick else 15),
                                         _environment(_import_path(python)))
        mirror, inspect_huge = ratio_of([*command, "mirror", huge, "-o", out], [*command, "inspect", huge],
                                        runs or (1 if quick else 3), env)
    return [
        Row('`convdesigner inspect small.yaml` / `python -c "import yaml"`', inspect_small / yaml_alone, 2.0,
            detail=f"CPU {inspect_small * 1000:.0f} ms / {yaml_alone * 1000:.0f} ms\n    without the site packages' "
                   f"start-up hooks (python -S; an editable install's finder imports pathlib in both): "
                   f"{bare_small * 1000:.0f} ms / {bare_yaml * 1000:.0f} ms = {bare_small / bare_yaml:.2f}x"),
        Row("`mirror` of a 10,000-layer design / `inspect` of the same file", mirror / inspect_huge, 2.0,
            detail=f"CPU {mirror:.2f} s / {inspect_huge:.2f} s"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="runs per command (default 15 for the small design, 3 for "
                                                 "the large one)")
    parser.add_argument("--quick", action="store_true", help="5 and 1 runs")
    parser.add_argument("--python", default=sys.executable, help="the interpreter of the environment to time")
    options = parser.parse_args(argv)
    return print_table(table_rows(options.quick, options.python, options.runs))


if __name__ == "__main__":
    sys.exit(main())
