"""Fuzzing the loader, the engine, the exporter, the report, the tools and the numbers (issue 7).

Two generators feed one pipeline check (`check_text`):

* hypothesis builds YAML documents: arbitrary structures (random keys, types, nesting, huge, negative and
  NaN numbers) and design-shaped ones (catalog layer types with random arguments of every kind);
* a seeded mutation loop damages the bundled examples (byte flips, deleted or duplicated lines, swapped
  tokens, numbers set to 0, -1, 10**9, 10**100, 1e308, .nan, changed types, renamed keys).

The contract checked on every case:

* the loader (`design_file.loads`) returns a Design or raises DesignFileError, nothing else;
* the engine (`analyze`, `Analysis.dependency_interval`, the receptive field) never raises: errors are
  diagnostics; every number it reports is a sane one (positive shapes, intervals inside the input);
* the report is JSON (strict: no NaN) and the table is text;
* `export_torch` compiles for every design the engine accepts and raises ExportError otherwise; a sample of
  the small ones (TORCH_RUNS) runs under PyTorch, checking its output shape and parameter count;
* the tools raise only their own errors (MirrorError, SolveError) and their answers hold: every solved
  padding gives the target size, a mirrored decoder brings the run's output back to its input shape, a
  size `valid_input_sizes` lists analyses without errors; also on designs of hundreds of layers, in bounded
  memory (tracemalloc);
* the commands, run as processes on mutated files with hostile names (CLI_CASES; issue 17): no traceback,
  the documented exit code, nothing a terminal would act on, no line beyond a fixed width, also with a
  cp1252 output; their peak memory (getrusage) on huge names stays bounded;
* a saved design loads back as itself;
* the numbers engine agrees with itself on small layers (direct = matrix view, direct = scatter view);
* no call into convdesigner takes longer than CASE_SECONDS of CPU (a SIGALRM timer interrupts it and the
  case is reported).

Case counts: a few hundred by default (seconds); in CI (HYPOTHESIS_PROFILE=ci, or CI set) tens of
thousands in total. CONVDESIGNER_FUZZ_CASES (mutation cases) and CONVDESIGNER_FUZZ_EXAMPLES (examples per
hypothesis test), CONVDESIGNER_FUZZ_CLI_CASES and CONVDESIGNER_FUZZ_TORCH_RUNS override them.

Known failures, found by this fuzzer and not yet fixed in the modules at fault, are listed in KNOWN_FAILURES
with a tiny reproducer each. The reproducers are strict xfail tests (they flip to failures once fixed, so
the entry can go), and the fuzz loops skip cases that fail in exactly that known way, so that they keep
looking for new failures.
"""

from __future__ import annotations

import copy
import importlib.util
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import tracemalloc
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convdesigner.engine.analysis import Analysis, LayerResult, analyze
from convdesigner.engine.checks import check_arguments
from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.engine.layers import CATALOG
from convdesigner.engine.numeric import (
    TRANSPOSED,
    NumericLayer,
    NumericState,
    format_number,
    matrix_forward,
    supports,
)
from convdesigner.engine.tools.mirror import MirrorError, main_path, mirror_layers
from convdesigner.engine.tools.sizes import input_sizes, valid_input_sizes
from convdesigner.engine.tools.solve import SolveError, solve_padding
from convdesigner.io.design_file import DesignFileError, dumps, loads
from convdesigner.io.report import report, table
from convdesigner.io.safe_text import MESSAGE_WIDTH
from convdesigner.io.torch_export import ExportError, export_torch

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the mutants are made quickly
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml")) + sorted((EXAMPLES / "paper").glob("*.yaml"))

#: Every call into convdesigner (loading, analysing, exporting, one tool, one layer's numbers) must finish
#: within this many seconds of CPU; a case makes a dozen such calls.
CASE_SECONDS = 2.0
#: A case is given up after this much wall time even on a machine too loaded to give it the CPU.
WAIT_LIMIT = 30.0

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default")
IN_CI = _PROFILE == "ci"
MUTATION_CASES = int(os.environ.get("CONVDESIGNER_FUZZ_CASES") or (24_000 if IN_CI else 300))
HYPOTHESIS_EXAMPLES = int(os.environ.get("CONVDESIGNER_FUZZ_EXAMPLES") or (2_500 if IN_CI else 0))

# The tools are checked on every design of up to TOOL_MAX_LAYERS layers (and, in
# test_fuzz_tools_on_large_designs, on designs of hundreds of layers); the numbers on small layers only: they
# are exact, pure-Python and meant for what a canvas can draw; the bench (bench/bench_huge.py) times them on
# huge designs.
TOOL_MAX_LAYERS = 64
TOOL_MAX_SIZE = 256
SIZES_SCAN_HIGH = 24
NUMERIC_MAX_CELLS = 400
NUMERIC_MAX_MATRIX = 10_000
NUMERIC_MAX_LAYERS = 2


def fuzz_settings(**extra: Any) -> Callable:
    """The conftest profile's settings, with more examples in CI (or CONVDESIGNER_FUZZ_EXAMPLES)."""
    kwargs: dict[str, Any] = {"suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                                                        HealthCheck.filter_too_much], **extra}
    if HYPOTHESIS_EXAMPLES:
        kwargs["max_examples"] = HYPOTHESIS_EXAMPLES
    return settings(**kwargs)


# -- the time budget ------------------------------------------------------------------------------------------

class CaseTimeout(Exception):
    """A case ran past CASE_SECONDS: a hang, or something far too slow for an interactive app.
    ``functions``: where it was interrupted, outermost first."""

    def __init__(self, message: str, functions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.functions = functions


def _functions(tb: Any) -> tuple[str, ...]:
    """The function names of a traceback, read from its frames (a traceback entry made by a signal handler
    may have no line number, which traceback.extract_tb and pytest's reports do not survive)."""
    names = []
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return tuple(names)


_budget_depth = 0


@contextmanager
def time_budget(seconds: float = CASE_SECONDS) -> Iterator[None]:
    """Interrupt the block with CaseTimeout once it has spent ``seconds`` of CPU time (a SIGPROF timer, which
    counts this process's CPU only, where there is one), and fail a block that overran while the timer could
    not interrupt it (inside a long C call).

    The budget is CPU time only, so a loaded CI machine never fails a case that merely waited for a core; a
    wall-clock timer of WAIT_LIMIT still ends a block that waits for ever without using the CPU."""
    global _budget_depth
    if _budget_depth:  # inside another budget: that one governs
        yield
        return
    use_alarm = hasattr(signal, "setitimer") and os.name == "posix"
    started_cpu = time.process_time()
    if use_alarm:
        def on_cpu(signum: int, frame: Any) -> None:
            raise CaseTimeout(f"the case ran longer than {seconds} s of CPU")

        def on_wall(signum: int, frame: Any) -> None:
            cpu = time.process_time() - started_cpu
            raise CaseTimeout(f"the case waited {WAIT_LIMIT} s ({cpu:.1f} s of CPU)")
        previous = signal.signal(signal.SIGPROF, on_cpu), signal.signal(signal.SIGALRM, on_wall)
        signal.setitimer(signal.ITIMER_PROF, seconds)
        signal.setitimer(signal.ITIMER_REAL, WAIT_LIMIT)
    _budget_depth += 1
    try:
        yield
    except CaseTimeout as exc:  # raised again without the signal handler's frames, naming where it stopped
        functions = exc.functions or _functions(exc.__traceback__)
        raise CaseTimeout(f"{exc} in {' > '.join(functions[-5:])}", functions) from None
    finally:
        _budget_depth -= 1
        if use_alarm:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGPROF, previous[0])
            signal.signal(signal.SIGALRM, previous[1])
    cpu = time.process_time() - started_cpu
    if cpu > seconds * 1.5:
        raise CaseTimeout(f"the case took {cpu:.1f} s of CPU (budget {seconds} s)")


def timed(call: Callable[..., Any], *args: Any) -> Any:
    """One call into convdesigner under the time budget."""
    with time_budget():
        return call(*args)


# -- known failures ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KnownFailure:
    """A failure the fuzzer found, not yet fixed: the exception type, a pattern its message matches and
    the function at fault (as it appears in the traceback). ``reproducer`` names the xfail test."""

    exception: type[BaseException]
    message: str
    function: str
    reproducer: str

    def matches(self, exc: BaseException) -> bool:
        if not isinstance(exc, self.exception) or not re.search(self.message, str(exc)):
            return False
        functions = getattr(exc, "functions", ()) or _functions(exc.__traceback__)
        return self.function in functions


#: The reproducer of each: a strict xfail test below, named in ``reproducer``.
UPSAMPLE_TINY_SCALE = ("convdesigner: 1\ninput: {channels: 1, size: [100000]}\n"
                       "layers:\n  - {type: Upsample, scale_factor: 0.0001}\n")

SOLVE_BEYOND_RANGE = ("convdesigner: 1\ninput: {channels: 1, size: [1]}\nlayers:\n"
                      "  - {type: Conv1d, out_channels: 1, kernel_size: 5, dilation: 100000000, padding: same}\n")
MIRROR_AFTER_FLATTEN = ("convdesigner: 1\ninput: {channels: 3, size: [2]}\nlayers:\n"
                        "  - {type: Flatten}\n  - {type: Concat, from: flatten1}\n")
SIZES_PAST_TENSOR_LIMIT = ("convdesigner: 1\ninput: {channels: 1, size: [2]}\nlayers:\n"
                           "  - {type: ConvTranspose1d, out_channels: 100000000, kernel_size: 1, stride: 100000000}\n")
MIRROR_HUGE_STRIDE = ("convdesigner: 1\ninput: {channels: 1, size: [3]}\nlayers:\n"
                      "  - {type: Conv1d, out_channels: 1, kernel_size: 1, stride: 100000000, padding: [[2, 1]]}\n")
MIRROR_BEYOND_RANGE = ("convdesigner: 1\ninput: {channels: 1, size: [1]}\nlayers:\n"
                       "  - {type: ZeroPad1d, padding: 100000000}\n  - {type: MaxPool1d, kernel_size: 2}\n")
SPARSE_DEPENDENCY = ("convdesigner: 1\ninput: {channels: 1, size: [100000000]}\nlayers:\n"
                     "  - {type: Conv1d, out_channels: 1, kernel_size: 3, dilation: 2}\n"
                     "  - {type: ConvTranspose1d, out_channels: 1, kernel_size: 1000, dilation: 65536}\n"
                     "  - {type: MaxPool1d, kernel_size: 1000}\n")
HUGE_FRACTIONAL_JUMP = ("convdesigner: 1\ninput: {channels: 1, size: [1]}\nlayers:\n"
                        + "  - {type: Conv1d, out_channels: 1, kernel_size: 1, stride: 100000000}\n" * 39
                        + "  - {type: Upsample, scale_factor: 3}\n")

KNOWN_FAILURES: list[KnownFailure] = [
]


def is_known(exc: BaseException) -> bool:
    return any(known.matches(exc) for known in KNOWN_FAILURES)


class KnownFailureSeen(Exception):
    """A case that fails in a known way (see KNOWN_FAILURES): skipped by the fuzz loops."""


# -- the pipeline check -----------------------------------------------------------------------------------

def check_text(data: str | bytes) -> Design | None:
    """Load a document and, when it is a design, run everything on it. Returns the design (None when the
    loader refused it with DesignFileError)."""
    try:
        design = timed(loads, data, "<fuzz>")
    except DesignFileError as exc:
        assert exc.problems, "a DesignFileError names at least one problem"
        for message in exc.messages:
            assert message.startswith("<fuzz>:") and message.strip(), message
        return None
    assert isinstance(design, Design)
    check_design(design)
    return design


def check_design(design: Design) -> Analysis:
    """The engine, report, exporter, tools and numbers on one design (see the module docstring)."""
    analysis = timed(analyze, design)
    check_analysis(analysis)
    check_report(analysis)
    check_export(design, analysis)
    if analysis.ok and len(design.layers) <= TOOL_MAX_LAYERS and max(design.input.size) <= TOOL_MAX_SIZE:
        check_tools(design, analysis)
    check_numbers(analysis)
    return analysis


def check_analysis(analysis: Analysis) -> None:
    """A layer that reads a failed layer (or the input, when the input is refused) is not computed, one whose
    inputs were computed either is or has an error; a computed layer's numbers are sane; a reached layer's
    argument errors are exactly what `check_arguments` says of it (the engine may remember checks, but never
    another layer's)."""
    design = analysis.design
    assert len(analysis.layers) == len(design.layers)
    done = {-1: not analysis.input_diagnostics}  # by index: was it computed
    computed = []
    for r in analysis.layers:
        for d in r.diagnostics:
            assert isinstance(d.text, str) and d.text
        done[r.index] = r.computed
        if r.inputs and not all(done[i] for i in r.inputs):
            assert not r.computed and not r.errors, f"{r.name} reads a failed layer but is computed or refused"
            continue
        check_argument_errors(r)
        if not r.computed:
            assert r.errors, f"{r.name} is not computed but has no error"
            continue
        assert not r.errors
        assert all(isinstance(n, int) and n >= 1 for n in r.output_shape), (r.name, r.output_shape)
        assert r.params is not None and r.params >= 0 and r.macs is not None and r.macs >= 0
        rf = r.receptive_field
        if rf is not None:
            assert len(rf.size) == len(rf.jump) == len(rf.start) == len(r.output_shape) - 1
            # size 0: no output unit reads any input unit (every tap lands on an inserted zero or padding), so
            # unit 0 has no field centre either (start None; it is None too when only unit 0 reads nothing).
            # Jump 0: every unit along the axis reads the same units (a softmax or LayerNorm over the whole axis)
            assert all(jump >= 0 for jump in rf.jump), rf
            assert all(size >= 0 and (size > 0 or start is None) for size, start in zip(rf.size, rf.start)), rf
        computed.append(r.index)
    if analysis.ok:
        assert all(r.computed for r in analysis.layers)
        assert analysis.output_shape is not None
    for index in sorted(set(computed[:1] + computed[len(computed) // 2:][:1] + computed[-1:])):
        check_dependency(analysis, index)


def check_argument_errors(r: LayerResult) -> None:
    layer_type = CATALOG.get(r.type)
    if layer_type is None or r.input_shape is None or any(d.rule == "name" for d in r.errors):
        return  # not a catalog type, not reached, or refused for its name before its arguments are checked
    expected = check_arguments(layer_type, r.layer, layer_type.ndim or max(1, len(r.input_shape) - 1))
    got = [d for d in r.errors if d.rule == "argument"]
    assert [p.message for p in expected] == [d.message for d in got], (r.layer, expected, got)


def check_dependency(analysis: Analysis, index: int) -> None:
    """The dependency interval of a corner, the centre and the far corner: inside the network input."""
    r = analysis.layers[index]
    spatial = r.output_shape[1:]
    size = analysis.design.input.size
    for position in {tuple(0 for _ in spatial), tuple(n // 2 for n in spatial), tuple(n - 1 for n in spatial)}:
        interval = timed(analysis.dependency_interval, index, position)
        if interval is None:
            continue
        assert len(interval) == len(size) == len(spatial), (r.name, position, interval)
        for (low, high), n in zip(interval, size):
            assert 0 <= low <= high < n, (r.name, position, interval, size)


def check_report(analysis: Analysis) -> None:
    record = timed(report, analysis)
    text = json.dumps(record, allow_nan=False)
    assert json.loads(text)["name"] == analysis.design.name
    assert len(record["layers"]) == len(analysis.layers)
    assert isinstance(timed(table, analysis), str)


def check_export(design: Design, analysis: Analysis) -> None:
    try:
        code = timed(export_torch, design)
    except ExportError as exc:
        assert not analysis.ok, f"export refused a design the engine accepts: {exc}"
        assert exc.messages
        return
    assert analysis.ok, "export accepted a design with errors"
    compiled = compile(code, "<exported>", "exec")
    if _torch_runs_left and HAS_TORCH and _small_enough_to_run(analysis):
        run_exported(compiled)


#: Exported modules run under PyTorch, at most this many per test process (the first run imports torch).
TORCH_RUNS = int(os.environ.get("CONVDESIGNER_FUZZ_TORCH_RUNS") or (400 if IN_CI else 12))
HAS_TORCH = importlib.util.find_spec("torch") is not None
_torch_runs_left = TORCH_RUNS


def _small_enough_to_run(analysis: Analysis) -> bool:
    """A design whose forward pass on a batch of 2 takes moments: few values, weights and MACs."""
    design = analysis.design
    inputs = design.input.channels * prod(design.input.size)
    return (inputs <= 200_000 and (analysis.total_activations or 0) <= 500_000
            and (analysis.total_params or 0) <= 500_000 and (analysis.total_macs or 0) <= 20_000_000)


def run_exported(compiled: Any) -> None:
    """Run the exported module as a script: it builds the model, runs zeros through it and checks the
    output shape and the parameter count the engine computed (its own asserts)."""
    global _torch_runs_left
    _torch_runs_left -= 1
    with redirect_stdout(io.StringIO()) as out:
        exec(compiled, {"__name__": "__main__"})
    assert out.getvalue().startswith("OK: output ("), out.getvalue()


def check_tools(design: Design, analysis: Analysis) -> None:
    rng = random.Random(len(design.layers) * 7919 + sum(design.input.size))
    # solve: the layer's own output size is reachable, and every listed solution reaches its target.
    for r in analysis.layers:
        layer_type = CATALOG.get(r.type)
        if layer_type is None or layer_type.family not in ("Convolution", "Transposed convolution"):
            continue
        if len(r.input_shape) - 1 != layer_type.ndim:
            continue
        own = r.output_shape[1:]
        for target in (own, tuple(max(1, n + rng.randint(-3, 3)) for n in own)):
            try:
                solved = timed(solve_padding, analysis, r.index, target)
            except SolveError:
                assert target != own, f"{r.name}: solve refused the layer's own output size {own}"
                continue
            assert solved.ok or target != own, f"{r.name}: no padding reaches its own output size {own}"
            for solution in solved.solutions[:2]:
                fixed = timed(analyze, design.with_layers(design.layers[:r.index] +
                                                          (r.layer.with_args(**solution.arguments),)))
                got = fixed.layers[r.index]
                assert got.computed, (f"solve: {r.name}: {solution.arguments} is refused: "
                                      f"{[d.text for d in got.errors]}")
                assert got.output_shape[1:] == target, f"solve: {r.name}: {solution.arguments} gives {got.output_shape}"
        break
    # mirror: the decoder brings the run's output back to the shape its main path starts from (the run's first
    # layer on a chain; on a graph, the first layer reached back along first inputs without leaving the run).
    first = rng.randrange(len(design.layers)) if design.layers else 0
    last = rng.randrange(first, len(design.layers)) if design.layers else 0
    if design.layers:
        try:
            decoder = timed(mirror_layers, design, first, last)
        except MirrorError:
            pass
        else:
            mirrored = timed(analyze, design.with_layers(design.layers[:last + 1] + tuple(decoder)))
            assert mirrored.ok, f"mirror: layers {first}..{last}: {[d.text for d in mirrored.errors]}"
            start = main_path(analysis, last, first)[0]
            assert mirrored.output_shape == start.input_shape, \
                f"mirror: layers {first}..{last} end at {mirrored.output_shape}: {decoder}"
    # valid input sizes: each listed size analyses without errors.
    axis = rng.randrange(design.input.ndim)
    sizes = timed(valid_input_sizes, design, axis, 1, SIZES_SCAN_HIGH)
    for n in sizes[:2] + sizes[-1:]:
        size = list(design.input.size)
        size[axis] = n
        resized = timed(analyze, design.with_input(InputSpec(design.input.channels, tuple(size))))
        assert resized.ok, f"sizes: {n} on axis {axis} is listed, but: {[d.text for d in resized.errors]}"


def check_numbers(analysis: Analysis) -> None:
    """The numbers mode of every small sliding-window layer: the direct, matrix and scatter views agree."""
    checked = 0
    for r in analysis.layers:
        if not r.computed or not supports(r) or checked == NUMERIC_MAX_LAYERS:
            continue
        layer = NumericLayer.from_result(r)
        if max(prod(layer.input_shape), prod(layer.window_shape), prod(layer.kernel_shape)) > NUMERIC_MAX_CELLS:
            continue  # the numbers mode builds every cell of the input grid: small layers only
        checked += 1
        with time_budget():
            check_layer_numbers(r, layer)


def check_layer_numbers(r: LayerResult, layer: NumericLayer) -> None:
    """One small layer's numbers: the direct view, explanations, the matrix and scatter views agree."""
    state = NumericState.default(layer)
    output = state.output
    assert output.shape == layer.output_shape
    for step in {0, layer.steps // 2, layer.steps - 1}:
        assert isinstance(state.explain(step).line(max_terms=6), str)
    for value in output.values[:4]:
        assert isinstance(format_number(value, 2), str)
    if layer.has_weights and prod(layer.input_shape) * prod(layer.output_shape) <= NUMERIC_MAX_MATRIX:
        assert matrix_forward(layer, state.input, state.kernel) == output, r.name
    if layer.kind == TRANSPOSED:
        assert state.scatter_output() == output, r.name
        assert isinstance(state.explain_scatter(0).line(), str)


def run_case(data: str | bytes) -> Design | None:
    """One fuzz case (every call into convdesigner under the time budget); a known failure is turned into
    KnownFailureSeen."""
    try:
        return check_text(data)
    except Exception as exc:
        if is_known(exc):
            raise KnownFailureSeen(str(exc)) from exc
        raise


# -- (a) hypothesis documents -------------------------------------------------------------------------------

ALL_KEYS = sorted({"convdesigner", "name", "description", "input", "layers", "channels", "size", "type"}
                  | {a.name for t in CATALOG.values() for a in t.arguments})
SPECIAL_NUMBERS = [0, -1, 1, 2, 10**9, 10**100, -(10**100), 2**31, 2**31 - 1, 2**63, 1e308, -1e308, 1e-308,
                   float("nan"), float("inf"), float("-inf"), 0.5, -0.0, 100_000_000, 100_000_001]
WORDS = sorted(CATALOG) + ALL_KEYS + ["valid", "same", "full", "zeros", "reflect", "nearest", "bilinear",
                                      "true", "null", "~", "yes", "1e400", ".nan", "0x10", "0o17", "1_000"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10), st.integers(), st.sampled_from(SPECIAL_NUMBERS),
    st.floats(), st.sampled_from(WORDS), st.text(max_size=12),
)
keys = st.one_of(st.sampled_from(ALL_KEYS), st.text(max_size=10), st.integers(-3, 3), st.booleans(), st.none())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
                      max_leaves=25)


def dump(document: Any, flow: bool) -> str:
    return yaml.dump(document, Dumper=SAFE_DUMPER, default_flow_style=flow, sort_keys=False, allow_unicode=True)


small = st.integers(1, 12)
#: Large values the loader still accepts (up to MAX_VALUE), and tiny positive scale factors.
EXTREME_NUMBERS = [1000, 65_536, 10**6, 99_999_999, 100_000_000, 1e-4, 1e-8, 0.0005, 0.0004999]
sizes = st.one_of(st.integers(1, 40), st.integers(1, 40), st.integers(1, 40),
                  st.sampled_from([1, 2, 3, 4, 5, 7, 8, 16, 32, 64, 1000, 65_536, 10**6, 100_000_000]))


def argument_value(kind: str, ndim: int, choices: tuple[str, ...], names: list[str],
                   hostile: bool) -> st.SearchStrategy:
    """A value for one argument of a kind: plausible (the engine's rules may still refuse it) or, in a
    hostile document, now and then anything at all."""
    per_axis = st.lists(st.integers(0, 6), min_size=ndim, max_size=ndim)
    plausible = {
        "int": st.integers(1, 16),
        "axes": st.one_of(st.integers(1, 5), per_axis.map(lambda v: [max(1, x) for x in v])),
        "conv_padding": st.one_of(st.integers(0, 3), st.sampled_from(["valid", "same", "full"]),
                                  per_axis, st.lists(st.lists(st.integers(0, 3), min_size=2, max_size=2),
                                                     min_size=ndim, max_size=ndim)),
        "pad_list": st.one_of(st.integers(-2, 3), st.lists(st.integers(-2, 3), min_size=2 * ndim, max_size=2 * ndim)),
        "bool": st.booleans(),
        "float": st.floats(0, 1),
        "choice": st.sampled_from(choices or ("x",)),
        "optional_axes": st.one_of(st.none(), st.integers(1, 8),
                                   st.lists(st.one_of(st.none(), st.integers(1, 8)), min_size=ndim, max_size=ndim)),
        "scale": st.one_of(st.none(), st.integers(1, 4), st.sampled_from([0.5, 1.5, 2.0, 3.0]),
                           st.lists(st.sampled_from([1, 2, 0.5, 1.5]), min_size=ndim, max_size=ndim),
                           st.floats(1e-9, 1e-2), st.sampled_from(EXTREME_NUMBERS)),
        "optional_int": st.one_of(st.none(), st.integers(1, 9)),
        "dim": st.integers(-4, 4),
        "layer_ref": st.sampled_from(names) if names else st.text(max_size=6),
    }.get(kind, scalars)
    if kind in ("int", "axes", "conv_padding", "pad_list", "optional_axes", "optional_int"):
        extreme = st.sampled_from(EXTREME_NUMBERS).map(int)
        plausible = st.one_of(plausible, plausible, plausible, extreme, st.lists(extreme, min_size=ndim,
                                                                                 max_size=ndim))
    if not hostile:
        return plausible
    return st.one_of(plausible, plausible, plausible, plausible, scalars)


@st.composite
def layer_dicts(draw: st.DrawFn, ndim: int, names: list[str], hostile: bool) -> dict[str, Any]:
    """One layer: a catalog type (mostly of the input's dimensionality) with some of its arguments."""
    same_ndim = [n for n, t in CATALOG.items() if t.ndim in (None, ndim)]
    types = st.sampled_from(same_ndim)
    if hostile:
        types = st.one_of(types, types, types, st.sampled_from(sorted(CATALOG)), scalars)
    type_name = draw(types)
    layer: dict[str, Any] = {"type": type_name}
    if draw(st.booleans()):
        if hostile and draw(st.integers(0, 3)) == 0:
            layer["name"] = draw(st.one_of(st.sampled_from(names) if names else st.just("a"), st.text(max_size=8),
                                           scalars))
        else:
            layer["name"] = f"n{len(names)}"
        if isinstance(layer["name"], str):
            names.append(layer["name"])
    layer_type = CATALOG.get(type_name) if isinstance(type_name, str) else None
    if layer_type is not None:
        for argument in layer_type.arguments:
            odds = 7 if argument.inferred else 2
            if argument.required or draw(st.integers(0, odds)) == 0:
                layer[argument.name] = draw(argument_value(argument.kind, layer_type.ndim or ndim,
                                                           argument.choices, names, hostile))
    if hostile and draw(st.integers(0, 5)) == 0:
        layer[draw(st.sampled_from(ALL_KEYS + ["bogus"]))] = draw(scalars)
    return layer


@st.composite
def design_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A design-shaped document. Three in four are clean (valid keys and types; the engine's rules may
    still refuse them), the others hostile here and there."""
    hostile = draw(st.integers(0, 3)) == 0
    ndim = draw(st.integers(1, 3))
    names: list[str] = []
    document: dict[str, Any] = {"convdesigner": 1}
    if hostile and draw(st.integers(0, 4)) == 0:
        document["convdesigner"] = draw(scalars)
    if draw(st.booleans()):
        document["name"] = draw(st.one_of(st.text(max_size=20), scalars) if hostile else st.text(max_size=20))
    spatial = [draw(sizes) for _ in range(ndim)]
    document["input"] = {"channels": draw(small), "size": spatial}
    if hostile and draw(st.integers(0, 4)) == 0:
        document["input"] = draw(values)
    document["layers"] = draw(st.lists(layer_dicts(ndim, names, hostile), max_size=10))
    return document


@pytest.mark.parametrize("flow", [False, True], ids=["block", "flow"])
@fuzz_settings()
@given(document=values)
def test_fuzz_arbitrary_documents(document: Any, flow: bool) -> None:
    """Random structures, serialised as YAML, and with a design's first line in front."""
    text = dump(document, flow)
    guard(text)
    guard("convdesigner: 1\n" + text if not isinstance(document, dict) else dump({"convdesigner": 1, **document}, flow))


@fuzz_settings()
@given(document=design_documents(), flow=st.booleans())
def test_fuzz_design_documents(document: dict[str, Any], flow: bool) -> None:
    """Design-shaped documents with catalog layer types and random arguments of every kind."""
    guard(dump(document, flow))


YAML_PIECES = (list("{}[]:,-&*!|>'\"#%@` \n\t?.0123456789e") + [": ", "- ", "\n  ", "&a ", "*a", "!!int ", "<<: "]
               + WORDS)


@fuzz_settings()
@given(text=st.lists(st.sampled_from(YAML_PIECES), max_size=40).map("".join))
def test_fuzz_yaml_syntax(text: str) -> None:
    """YAML punctuation soup after a valid first line: syntax errors are DesignFileErrors with a place."""
    guard("convdesigner: 1\n" + text)
    guard(text)


@fuzz_settings()
@given(document=design_documents())
def test_fuzz_engine_without_loader(document: dict[str, Any]) -> None:
    """The engine on designs built directly (as the GUI builds them), whatever the arguments hold: it never
    raises, and everything downstream holds."""
    spec = document["input"]
    if not isinstance(spec, dict):
        return
    channels, size = spec.get("channels", 1), spec.get("size", [1])
    if not isinstance(size, list) or not size:
        return
    layers = []
    for position, item in enumerate(document["layers"]):
        type_name = item.get("type")
        name = item.get("name", f"layer{position}")
        args = {k: v for k, v in item.items() if k not in ("type", "name")}
        layers.append(Layer.make(type_name if isinstance(type_name, str) else str(type_name),
                                 name if isinstance(name, str) else str(name), args))
    design = Design("Fuzzed", InputSpec(channels, tuple(size)), tuple(layers))
    try:
        check_design(design)
    except Exception as exc:
        if not is_known(exc):
            raise


def guard(text: str) -> None:
    """run_case, skipping known failures (their reproducers are the xfail tests below)."""
    try:
        run_case(text)
    except KnownFailureSeen:
        pass


# -- (b) mutations of the bundled examples ---------------------------------------------------------------------

MUTANT_NUMBERS = ["0", "-1", "1000000000", "1" + "0" * 100, "1e308", ".nan", "-.inf", "1e400", "2147483648",
                  "100000001", "-100000000", "100000000", "99999999", "65536", "0.5", "3", "1", "2", "0.0001",
                  "1.0e-8"]
MUTANT_VALUES = MUTANT_NUMBERS + ["true", "null", "~", "''", "x", "[]", "{}", "[1, 2]", "[[0, 1], [1, 0]]", "same",
                                  "full", "valid", "[1, null]", "{a: 1}", "&a [1]", "*a", "!!binary AAAA",
                                  "!!python/object:os.system", "Conv2d", "Concat", "'\\x00'"]
TOKEN = re.compile(rb"[A-Za-z_][A-Za-z0-9_.\-]*|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|[{}\[\]:,]")
NUMBER = re.compile(rb"(?<![A-Za-z_\d.])-?\d+(?:\.\d+)?(?![A-Za-z_\d])")
KEY = re.compile(rb"([A-Za-z_]+):")


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random mutation of a YAML file's bytes."""
    kind = rng.randrange(10)
    lines = data.split(b"\n")
    if kind == 0 and data:  # flip a byte
        at = rng.randrange(len(data))
        return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1:]
    if kind == 1 and data:  # a random byte inserted or replaced
        at = rng.randrange(len(data))
        return data[:at] + bytes([rng.randrange(256)]) + data[at + rng.randrange(2):]
    if kind == 2 and len(lines) > 1:  # delete a line
        del lines[rng.randrange(len(lines))]
        return b"\n".join(lines)
    if kind == 3:  # duplicate a line (duplicate keys and names)
        at = rng.randrange(len(lines))
        lines.insert(at, lines[at])
        return b"\n".join(lines)
    tokens = list(TOKEN.finditer(data))
    if kind == 4 and len(tokens) > 1:  # swap two tokens
        a, b = sorted(rng.sample(tokens, 2), key=lambda m: m.start())
        if a.end() <= b.start():
            return data[:a.start()] + b.group() + data[a.end():b.start()] + a.group() + data[b.end():]
    numbers = list(NUMBER.finditer(data))
    if kind in (5, 6) and numbers:  # a number changed (to an edge value or a neighbour)
        m = rng.choice(numbers)
        if kind == 5:
            new = rng.choice(MUTANT_NUMBERS).encode()
        else:
            new = str(int(float(m.group())) + rng.choice([-2, -1, 1, 2])).encode()
        return data[:m.start()] + new + data[m.end():]
    if kind == 7 and tokens:  # a value's type changed
        m = rng.choice(tokens)
        return data[:m.start()] + rng.choice(MUTANT_VALUES).encode() + data[m.end():]
    keys_found = list(KEY.finditer(data))
    if kind == 8 and keys_found:  # a key renamed (to another real key, or a near miss)
        m = rng.choice(keys_found)
        key = m.group(1).decode()
        new = rng.choice(ALL_KEYS + [key[:-1] or "x", key + "s", key.upper()])
        return data[:m.start(1)] + new.encode() + data[m.end(1):]
    if kind == 9 and len(lines) > 2:  # a block of lines moved
        a = rng.randrange(len(lines))
        b = rng.randrange(a, min(len(lines), a + 4)) + 1
        block, rest = lines[a:b], lines[:a] + lines[b:]
        at = rng.randrange(len(rest) + 1)
        return b"\n".join(rest[:at] + block + rest[at:])
    return data + rng.choice([b"\n  - {type: ReLU}", b"\n- x",
                              b"\n  - {type: Conv2d, out_channels: 2, kernel_size: 99}",
                              b"\n  - {type: Add, from: nothing}", b"]", b"\n\t"])


#: Names that once reached the terminal raw, broke a non-UTF-8 output or padded every table row (issue 17).
HOSTILE_NAMES = ["\x1b[2J\x1b]0;title\x07", "名前", "line\nbreak", "\u202eevil", "cr\rlf", "\x9b31m", "n" * 5000]

MUTANT_PY_VALUES: list[Any] = [0, -1, 1, 2, 3, 5, 10**9, 10**100, 1e308, float("nan"), float("-inf"), 2**31, 0.5,
                               100_000_000, 65_536, 1e-4, 1e-8, 0.25,
                               True, None, "", "x", [], {}, [1, 2], [[0, 1], [1, 0]], [1, 2, 3], [0, 0, 0, 0],
                               "same", "full", "valid", [1, None], {"a": 1}, "Conv2d", [2.5], -0.0]


def mutate_structure(document: dict[str, Any], rng: random.Random) -> None:
    """One random change, in place, to an example's design structure (its layers, arguments and input):
    the mutations that reach the engine rather than the YAML parser."""
    layers: list[Any] = document["layers"]
    if not layers:
        layers.append({"type": rng.choice(sorted(CATALOG))})
        return
    at = rng.randrange(len(layers))
    layer = layers[at] if isinstance(layers[at], dict) else {}
    kind = rng.randrange(12)
    if kind == 0:  # a layer deleted
        del layers[at]
    elif kind == 1:  # a layer duplicated (with its name)
        layers.insert(at, dict(layer))
    elif kind == 2:  # a layer moved
        layers.insert(rng.randrange(len(layers) + 1), layers.pop(at))
    elif kind == 3:  # a layer's type changed
        layer["type"] = rng.choice(sorted(CATALOG))
    elif kind == 4 and layer:  # an argument set to an edge value
        layer[rng.choice(sorted(layer))] = rng.choice(MUTANT_PY_VALUES)
    elif kind == 5:  # an argument of the type added, with some value
        type_name = layer.get("type")
        layer_type = CATALOG.get(type_name) if isinstance(type_name, str) else None
        if layer_type is not None and layer_type.arguments:
            argument = rng.choice(layer_type.arguments)
            other = rng.choice(layers)
            layer[argument.name] = (other.get(argument.name, rng.choice(MUTANT_PY_VALUES))
                                    if isinstance(other, dict) and rng.random() < 0.5 else rng.choice(MUTANT_PY_VALUES))
    elif kind == 6 and len(layer) > 1:  # an argument removed
        del layer[rng.choice([k for k in layer if k != "type"] or ["type"])]
    elif kind == 7:  # a number nudged
        numeric = [k for k, v in layer.items() if isinstance(v, int) and not isinstance(v, bool)]
        if numeric:
            key = rng.choice(numeric)
            layer[key] = rng.choice([layer[key] + 1, layer[key] - 1, layer[key] * 2, layer[key] // 2, -layer[key]])
    elif kind == 8:  # the input changed
        spec = document.get("input")
        if isinstance(spec, dict) and isinstance(spec.get("size"), list):
            size = spec["size"]
            choice = rng.randrange(4)
            if choice == 0:
                spec["size"] = [rng.choice([1, 2, 3, 5, 7, 17, 1000, 100_000_000]) for _ in size]
            elif choice == 1:
                spec["size"] = size + [size[-1]] if len(size) < 3 else size[:-1]
            elif choice == 2:
                spec["channels"] = rng.choice([1, 2, 3, 7, 1000, 100_000_000])
            else:
                spec["size"] = [max(1, n + rng.choice([-2, -1, 1, 2])) for n in size]
    elif kind == 9:  # a join pointed elsewhere, or added
        names = [x.get("name") for x in layers[:at] if isinstance(x, dict) and x.get("name")]
        if names:
            layers.insert(at + 1, {"type": rng.choice(["Concat", "Add"]), "from": rng.choice(names)})
    elif kind == 10:  # two layers swapped
        other = rng.randrange(len(layers))
        layers[at], layers[other] = layers[other], layers[at]
    else:  # a layer renamed (possibly to another's name)
        names = [x.get("name") for x in layers if isinstance(x, dict) and x.get("name")]
        layer["name"] = rng.choice(names + ["x", ""] + HOSTILE_NAMES) if names else "x"


def mutants(count: int, seed: int) -> Iterator[tuple[int, Path, bytes]]:
    """``count`` mutants of the bundled examples (1 to 3 mutations each, of the structure or of the bytes),
    reproducible from the seed."""
    sources = [(path, path.read_bytes()) for path in EXAMPLE_FILES]
    designs = [(path, yaml.load(data, Loader=SAFE_LOADER)) for path, data in sources]
    designs = [(path, document) for path, document in designs if isinstance(document, dict) and document.get("layers")]
    for case in range(count):
        rng = random.Random(seed * 1_000_003 + case)
        mutations = rng.choice((1, 1, 1, 2, 3))
        if rng.random() < 0.6:
            path, document = designs[case % len(designs)]
            document = copy.deepcopy(document)
            for _ in range(mutations):
                mutate_structure(document, rng)
            data = yaml.dump(document, Dumper=SAFE_DUMPER, sort_keys=False, allow_unicode=True, width=200).encode()
        else:
            path, data = sources[case % len(sources)]
            for _ in range(mutations):
                data = mutate(data, rng)
        yield case, path, data


def test_bundled_examples_pass_the_pipeline() -> None:
    """The unmutated examples load (except the gallery's index, which is not a design) and pass every check."""
    loaded = 0
    for path in EXAMPLE_FILES:
        with time_budget():
            design = check_text(path.read_bytes())
        if path.name == "index.yaml":
            assert design is None
        else:
            assert design is not None and analyze(design).ok, path
            loaded += 1
    assert loaded >= 25


@pytest.mark.parametrize("seed", [1, 2])
def test_fuzz_mutated_examples(seed: int) -> None:
    """MUTATION_CASES // 2 mutants per seed; a failure names the case, the source file and the exact bytes."""
    known = 0
    designs = 0
    for case, path, data in mutants(MUTATION_CASES // 2, seed):
        try:
            design = run_case(data)
        except KnownFailureSeen:
            known += 1
        except Exception as exc:
            raise AssertionError(f"mutation case {case} (seed {seed}) of {path.name} fails with "
                                 f"{type(exc).__name__}: {exc}\ninput: {data!r}") from exc
        else:
            designs += design is not None
    assert designs > MUTATION_CASES // 20, "the mutants should often still be designs"


# -- targeted cases -----------------------------------------------------------------------------------------

#: Values that Python finds equal (and hashes alike) but the engine must tell apart: an int where a float
#: is allowed is fine, a float or a boolean where an integer is needed is not.
TWINS = [("kernel_size", 3, 3.0), ("kernel_size", 1, True), ("padding", 0, False), ("bias", True, 1),
         ("stride", [1, 2], [1.0, 2])]


@pytest.mark.parametrize(("argument", "first", "second"), TWINS)
def test_analysis_does_not_depend_on_what_was_analysed_before(argument: str, first: Any, second: Any) -> None:
    """Analysing a layer, then the same layer with an equal-comparing value of another type, gives each
    the argument errors `check_arguments` gives it: no check result leaks from one layer to the other."""
    def design(value: Any) -> Design:
        conv = Layer.make("Conv2d", "conv", {"out_channels": 2, "kernel_size": 3, argument: value})
        return Design("Twins", InputSpec(1, (8, 8)), (conv,))

    for a, b in ((first, second), (second, first)):
        for value in (a, b):
            r = analyze(design(value)).layers[0]
            check_argument_errors(r)



@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="SIGALRM timers are POSIX")
def test_the_time_budget_interrupts_a_hang_but_not_a_wait() -> None:
    """The per-case guard itself: an endless loop is stopped, a case that only waits is not."""
    started = time.perf_counter()
    with pytest.raises(CaseTimeout), time_budget(0.3):
        while True:
            pass
    assert time.perf_counter() - started < 5
    with time_budget(0.2):
        time.sleep(0.5)


def test_upsample_with_a_tiny_scale_factor() -> None:
    """A scale factor of 0.0001 on 100,000 samples (10 out): the engine gives a result (it once divided by
    zero turning the factor into a short fraction), and the field steps by exactly 10,000."""
    design = loads(UPSAMPLE_TINY_SCALE)
    analysis = analyze(design)
    assert analysis.layers[0].output_shape == (1, 10)
    assert analysis.layers[0].receptive_field.jump == (10000,)
    check_design(design)


def test_known_failure_solve_lists_a_padding_out_of_range() -> None:
    """A dilated kernel reaching 400,000,000 units with padding 'same': every padding solve lists must be
    one the engine accepts (or solve must say no padding in range reaches the target)."""
    design = loads(SOLVE_BEYOND_RANGE)
    analysis = analyze(design)
    assert analysis.ok
    solved = solve_padding(analysis, 0, (1,))
    for solution in solved.solutions:
        fixed = analyze(design.with_layers((design.layers[0].with_args(**solution.arguments),)))
        assert fixed.ok, [d.text for d in fixed.errors]


def test_known_failure_mirror_after_flatten() -> None:
    design = loads(MIRROR_AFTER_FLATTEN)
    assert analyze(design).ok
    with pytest.raises(MirrorError):
        mirror_layers(design, 1, 1)


def test_known_failure_sizes_past_the_tensor_limit() -> None:
    design = loads(SIZES_PAST_TENSOR_LIMIT)
    assert 1024 not in valid_input_sizes(design, 0, 1000, 1024)
    assert not analyze(design.with_input(InputSpec(1, (1024,)))).ok


def test_known_failure_mirror_hangs_on_a_huge_stride() -> None:
    """Mirroring a convolution with asymmetric padding and a stride of 10^8 must take moments."""
    design = loads(MIRROR_HUGE_STRIDE)
    assert analyze(design).ok
    with time_budget():
        mirror_layers(design, 0, 0)


def test_known_failure_mirror_writes_a_size_out_of_range() -> None:
    design = loads(MIRROR_BEYOND_RANGE)
    assert analyze(design).ok
    try:
        decoder = mirror_layers(design, 1, 1)
    except MirrorError:
        return
    mirrored = analyze(design.with_layers(design.layers + tuple(decoder)))
    assert mirrored.ok, [d.text for d in mirrored.errors]


def test_known_failure_dependency_interval_on_a_sparse_field() -> None:
    """One dependency query (what hovering a unit on the canvas asks) must take well under half a second."""
    analysis = analyze(loads(SPARSE_DEPENDENCY))
    assert analysis.ok
    centre = analysis.layers[2].output_shape[1] // 2
    with time_budget(0.5):
        interval = analysis.dependency_interval(2, (centre,))
    assert interval == ((17264536, 82736003),)


def test_report_of_a_huge_fractional_jump() -> None:
    """The engine accepts the design (every size stays 1 or 3); inspect --json must print it too."""
    analysis = analyze(loads(HUGE_FRACTIONAL_JUMP))
    assert analysis.ok
    assert json.loads(json.dumps(report(analysis), allow_nan=False))["output"] == [1, 3]



# -- the command line on fuzzed files (issue 17) ------------------------------------------------------------

#: Mutated files run through the commands as real processes (each command a process, about 0.15 s).
CLI_CASES = int(os.environ.get("CONVDESIGNER_FUZZ_CLI_CASES") or (60 if IN_CI else 5))
CLI_COMMANDS = (("inspect",), ("inspect", "--json"), ("sizes", "--range", "1", "32"), ("mirror",),
                ("export", "--to", "torch"), ("solve", "--layer", "LAYER", "--target", "5"))
#: No line of a table or a message is longer (names are shortened, messages bounded).
CLI_LINE_LIMIT = MESSAGE_WIDTH + 100


def with_hostile_names(data: bytes, rng: random.Random) -> bytes:
    """The file with its design and one layer renamed to hostile names (unchanged when it is no design)."""
    try:
        document = yaml.load(data, Loader=SAFE_LOADER)
    except yaml.YAMLError:
        return data
    if not isinstance(document, dict) or not isinstance(document.get("layers"), list) or not document["layers"]:
        return data
    document["name"] = rng.choice(HOSTILE_NAMES)
    layer = rng.choice(document["layers"])
    if isinstance(layer, dict):
        layer["name"] = rng.choice(HOSTILE_NAMES)
    return yaml.dump(document, Dumper=SAFE_DUMPER, sort_keys=False, allow_unicode=True, width=200).encode()


def unsafe_characters(text: str) -> list[str]:
    """Characters a terminal acts on rather than shows: controls but the line break, format characters,
    line and paragraph separators."""
    return [c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]


def check_cli_run(command: tuple[str, ...], result: subprocess.CompletedProcess, encoding: str,
                  analysis: Analysis | None) -> None:
    """One command's process: no traceback, the documented exit code, output a terminal shows as it is."""
    out, err = result.stdout.decode(encoding), result.stderr.decode(encoding, "replace")
    assert "Traceback" not in err and "Traceback" not in out, err
    assert result.returncode in ((0, 1, 2) if command[0] == "solve" else (0, 1)), err
    assert unsafe_characters(out) == [] and unsafe_characters(err) == [], (out + err)[:2000]
    tables = command[0] in ("inspect", "sizes", "solve") and "--json" not in command
    for line in err.splitlines() + (out.splitlines() if tables else []):
        assert len(line) <= CLI_LINE_LIMIT, line[:300]
    ok = analysis is not None and analysis.ok
    if command[0] in ("inspect", "export"):
        assert (result.returncode == 0) == ok, (ok, err[:2000])
    elif result.returncode == 0 and command[0] != "solve":  # solve answers for the failing layer itself
        assert ok, out[:2000]
    if "--json" in command:
        record = json.loads(out)
        assert (record["errors"] == []) == ok


def test_fuzz_cli_on_mutated_files(tmp_path: Path) -> None:
    """CLI_CASES mutants (every other one with hostile names) through every command, as processes; half with
    a cp1252 standard output (Windows, redirected)."""
    for case, source, data in mutants(CLI_CASES, seed=3):
        rng = random.Random(case)
        if case % 2 == 0:
            data = with_hostile_names(data, rng)
        path = tmp_path / f"case{case}.yaml"
        path.write_bytes(data)
        try:
            design: Design | None = loads(data, str(path))
        except DesignFileError:
            design = None
        analysis = analyze(design) if design is not None else None
        layer = design.layers[0].name if design is not None and design.layers else "x"
        for n, command in enumerate(CLI_COMMANDS):
            encoding = "cp1252" if (case + n) % 2 else "utf-8"
            args = [layer if word == "LAYER" else word for word in command]
            result = subprocess.run([sys.executable, "-m", "convdesigner", args[0], str(path), *args[1:]],
                                    capture_output=True, timeout=120, cwd=tmp_path,
                                    env={**os.environ, "PYTHONIOENCODING": encoding})
            try:
                check_cli_run(command, result, "utf-8" if command[0] in ("mirror", "export") else encoding,
                              analysis)
            except AssertionError as exc:
                raise AssertionError(f"CLI case {case} ({source.name}), {' '.join(args)} with {encoding} output: "
                                     f"{exc}\ninput: {data[:3000]!r}") from exc


#: The peak resident memory allowed for one command on the large files below (a Python process with the
#: engine loaded takes about 50 MB; the findings of issue 17 took gigabytes).
CLI_MEMORY_LIMIT_MB = 400
#: The layers of those files (the finding had 30,000; 3,000 already took 600 MB before the fix).
MEMORY_CASE_LAYERS = 10_000 if IN_CI else 3_000


def memory_cases(folder: Path) -> list[Path]:
    """A 100,000-character name that every layer joins (`from`), and a 500,000-character name above rows
    of short ones: each once took gigabytes in `inspect`."""
    joined = folder / "joined.yaml"
    lines = ["convdesigner: 1", "input: {channels: 1, size: [4]}", "layers:",
             f"  - {{type: ReLU, name: &n {'a' * 100_000}}}"]
    joined.write_text("\n".join(lines + ["  - {type: Add, from: *n}"] * MEMORY_CASE_LAYERS) + "\n")
    wide = folder / "wide.yaml"
    lines = ["convdesigner: 1", "input: {channels: 1, size: [4]}", "layers:", f"  - {{type: ReLU, name: {'w' * 500_000}}}"]
    wide.write_text("\n".join(lines + ["  - {type: ReLU}"] * MEMORY_CASE_LAYERS) + "\n")
    return [joined, wide]


def peak_memory_mb(args: list[str]) -> tuple[int, float]:
    """Run ``convdesigner ARGS`` as a child process: its exit code and peak resident memory in MB
    (``resource.getrusage`` of the children, measured by a parent made for it)."""
    code = ("import resource, subprocess, sys\n"
            "r = subprocess.run([sys.executable, '-m', 'convdesigner', *sys.argv[1:]], stdout=subprocess.DEVNULL,"
            " stderr=subprocess.DEVNULL)\n"
            "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600,
                         check=True).stdout.split()
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KB on Linux
    return int(out[0]), int(out[1]) / scale


@pytest.mark.skipif(not sys.platform.startswith(("linux", "darwin")), reason="resource.getrusage of children")
def test_cli_memory_stays_bounded_on_huge_names(tmp_path: Path) -> None:
    commands = [["inspect"], ["inspect", "--json"], ["export", "--to", "torch"]]
    if IN_CI:
        commands += [["mirror"]]  # sizes' memory: test_fuzz_tools_on_large_designs, tests/test_tools_sizes.py
    for path in memory_cases(tmp_path):
        for command in commands:
            code, megabytes = peak_memory_mb([command[0], str(path), *command[1:]])
            assert code in (0, 1), (path.name, command, code)
            assert megabytes < CLI_MEMORY_LIMIT_MB, (path.name, command, f"{megabytes:.0f} MB")


# -- the tools on large designs ----------------------------------------------------------------------------

LARGE_CASES = 8 if IN_CI else 2
#: tracemalloc's peak while the tools run on one large design.
LARGE_TOOLS_MEMORY = 5_000_000


def large_design(rng: random.Random, layers: int) -> Design:
    """A 2-D design of ``layers`` layers that mostly computes: convolutions (padded or not), normalisation,
    activations, poolings followed by up-sampling, and Add joins of an earlier layer of the same shape."""
    size = rng.choice([16, 24, 32, 48, 64])
    out: list[Layer] = []
    shapes: list[int] = []
    current = size
    while len(out) < layers:
        n = len(out)
        kind = rng.randrange(8)
        if kind == 0 and current >= 8:
            out += [Layer.make("MaxPool2d", f"p{n}", {"kernel_size": 2, "ceil_mode": rng.random() < 0.5}),
                    Layer.make("Upsample", f"u{n}", {"scale_factor": 2})]
            current = -(-current // 2) * 2 if out[-2].get("ceil_mode") else current // 2 * 2
            shapes += [0, current]
            continue
        if kind == 1 and current >= 6:
            out.append(Layer.make("Conv2d", f"c{n}", {"out_channels": 4, "kernel_size": 3}))
            current -= 2
        elif kind == 2 and current in shapes[:-1]:
            source = max(i for i, s in enumerate(shapes[:-1]) if s == current)
            out.append(Layer.make("Add", f"a{n}", {"from": out[source].name}))
        elif kind == 3:
            out.append(Layer.make("BatchNorm2d", f"b{n}"))
        elif kind in (4, 5):
            out.append(Layer.make(rng.choice(["ReLU", "LeakyReLU", "Tanh"]), f"r{n}"))
        else:
            out.append(Layer.make("Conv2d", f"c{n}", {"out_channels": 4, "kernel_size": 3, "padding": 1}))
        shapes.append(current)
    return Design("Large", InputSpec(4, (size, size)), tuple(out[:layers]))


@pytest.mark.parametrize("seed", range(LARGE_CASES))
def test_fuzz_tools_on_large_designs(seed: int) -> None:
    """solve, mirror and sizes (with their checks of check_tools) on designs of hundreds of layers, and a
    scan of 256 sizes on every axis, in bounded memory (the scan once kept every layer's result per size)."""
    rng = random.Random(seed)
    design = large_design(rng, rng.randrange(150, 600) if IN_CI else rng.randrange(100, 250))
    analysis = analyze(design)
    tracemalloc.start()
    try:
        with time_budget(CASE_SECONDS * 10):
            check_tools(design, analysis)
            input_sizes(design, 1, 256)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < LARGE_TOOLS_MEMORY, f"{peak:,} bytes"


def test_a_saved_design_loads_back(tmp_path: Path) -> None:
    """Every fuzzed design that loads is saved in the canonical form, which loads back as the same design."""
    for case, _, data in mutants(60, seed=4):
        try:
            design = loads(data, "<fuzz>")
        except DesignFileError:
            continue
        assert loads(dumps(design), "<saved>") == design, f"mutation case {case}: {data!r}"


def test_a_saved_design_fits_the_load_limit(tmp_path: Path) -> None:
    """60,000 ReLUs fit in 1 MiB written in flow style, but their canonical form is 2 MB: saving must refuse
    (saying so, before writing) or write what loads."""
    from convdesigner.io.design_file import save

    text = "convdesigner: 1\ninput: {channels: 1, size: [4]}\nlayers: [" + ", ".join(["{type: ReLU}"] * 60_000) + "]\n"
    design = loads(text, "<flow>")
    path = tmp_path / "saved.yaml"
    try:
        save(design, str(path))
    except Exception:  # refused: nothing may be written
        assert not path.exists()
        return
    assert loads(path.read_bytes(), str(path)) == design
