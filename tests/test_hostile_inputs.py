"""Hostile design files (issue 7): each is refused with a clear DesignFileError and with bounded memory.

The cases are measured by a fresh interpreter (this file run as a script with ``--measure``) that forks one
process per case, so the numbers are the loader's own and not the test runner's: the CPU time
``design_file.loads`` takes and the case process's peak resident memory (``wait4``'s ru_maxrss: the
interpreter, the input of up to 50 MB, and everything the loader allocates, in Python or in libyaml). The
tests assert the memory; the time, whose budget is a second, is a benchmark's (bench/bench_hostile.py), since
a slow spell of the machine must not fail the suite. A case still running after CHILD_CASE_LIMIT seconds is
stopped and fails here: a hang, or a blow-up, never passes.

"Clear" here means: a DesignFileError, every message placed as ``<hostile>:line:column: ...``, the first one
matching what the case is about, and the whole text short (a message never echoes megabytes of the file).

tests/test_design_file.py (the loader's own tests) already covers a nine-level billion laughs of layer
mappings, an alias inside its own anchor, an unknown alias, 100,000 levels of ``[``, 1,000 of ``{a:``, a
sparse 50 MiB file through ``load``, a PNG header, random and mutated bytes, UTF-16/UTF-32/UTF-8 with a
byte-order mark, UTF-16 without one, Latin-1, NaN and infinity in a layer argument, 10**9 and 10**100 as
a kernel size and as channels, and a negative input size. This file covers the rest: bombs inside layer
arguments, under the input and as mappings, wide fan-outs, long texts repeated through aliases, 50 MB of
bytes and of text, files of tiny values up to the size limit, block and mixed nesting 10,000 deep,
unclosed and complex-key nesting, real binary formats, more wrong encodings, and numbers in every place
(1e400, .nan, 10**100 in pairs and per-axis lists, hexadecimal, binary and base-60 integers, huge
mantissas, negative and zero sizes).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from convdesigner.io.design_file import MAX_FILE_BYTES, DesignFileError, loads

SOURCE = "<hostile>"
HEAD = "convdesigner: 1\nname: Hostile\ninput: {channels: 1, size: [8, 8]}\n"
#: The budget of one case: CPU seconds for loads (measured by bench/bench_hostile.py), the text of all its
#: messages, and the peak resident memory of the process that builds and loads it (the interpreter, the test
#: module, the input of up to 50 MB).
CPU_SECONDS = 1.0
MESSAGE_CHARS = 4_000
MAX_RSS_BYTES = 200_000_000
#: A case still running after this long is stopped (and fails): the suite must not hang.
CHILD_CASE_LIMIT = 20


@dataclass(frozen=True)
class Hostile:
    """One hostile file: how to build it, a pattern its first message must match, and one that no message
    may match (a message blaming the wrong thing). ``known``: the reason of a strict xfail, naming the
    reproducer in tests/test_fuzz.py's KNOWN_FAILURES notes or the final report. ``cpu_seconds``: the case's
    CPU budget, CPU_SECONDS unless the file is one the loader must read nearly whole to refuse."""

    id: str
    build: Callable[[], bytes | str]
    expect: str
    forbid: str | None = None
    known: str | None = None
    cpu_seconds: float = CPU_SECONDS


def _laughs(item: str, levels: int = 9, width: int = 10, flow: bool = True) -> list[str]:
    """Anchors &a0 .. &a<levels>, each a list of ``width`` aliases of the previous one (10**9 values)."""
    lines = [f"&a0 [{', '.join([item] * width)}]"]
    for n in range(1, levels + 1):
        lines.append(f"&a{n} [" + ", ".join([f"*a{n - 1}"] * width) + "]")
    return lines


def laughs_in_layers() -> str:
    return HEAD + "layers:\n" + "".join(f"  - {line}\n" for line in _laughs('"lol"'))


def laughs_in_an_argument() -> str:
    return HEAD + "layers:\n  - {type: Conv2d, out_channels: 2, kernel_size: [" + ", ".join(_laughs("1")) + "]}\n"


def laughs_under_the_input() -> str:
    return "convdesigner: 1\ninput: {channels: 1, size: [" + ", ".join(_laughs("8")) + "]}\n"


def laughs_of_mappings() -> str:
    keys = [f"k{n}" for n in range(10)]
    lines = ["&m0 {" + ", ".join(f"{k}: 1" for k in keys) + "}"]
    for n in range(1, 10):
        lines.append(f"&m{n} {{" + ", ".join(f"{k}: *m{n - 1}" for k in keys) + "}")
    return HEAD + "layers:\n  - {type: ReLU, inplace: [" + ", ".join(lines) + "]}\n"


def wide_fan_out() -> str:
    """One anchor of 1,000 values aliased 300 times: 300,000 values from 3 KB of aliases."""
    anchor = "&w [" + ", ".join(["1"] * 1000) + "]"
    return HEAD + "layers:\n  - {type: ReLU, x: [" + anchor + ", " + ", ".join(["*w"] * 300) + "]}\n"


def long_type_through_aliases() -> str:
    """A 10,000-character type name, used by 1,000 layers through an alias: 25 KB of file."""
    return HEAD + "layers:\n  - {type: &t " + "Conv" * 2_500 + "}\n" + "  - {type: *t}\n" * 1_000


def long_key_through_aliases() -> str:
    """A 10,000-character argument name, used by 1,000 layers through an alias."""
    return HEAD + "x: &k " + "pad" * 3_333 + "\nlayers:\n" + "  - {type: ReLU, *k : 1}\n" * 1_000


def long_unknown_type() -> str:
    return HEAD + "layers:\n  - {type: " + "Conv" * 200_000 + "}\n"


def long_unknown_key() -> str:
    return HEAD + "? " + "k" * 800_000 + "\n: 1\n"


def fifty_megabytes_of_bytes() -> bytes:
    """800,000 layers (one multiplication, so the child holds 50 MB once, not twice)."""
    return b"  - {type: Conv2d, out_channels: 4, kernel_size: 3, padding: 1}\n" * 800_000


def fifty_megabytes_of_text() -> str:
    return "# a comment line\n" * 3_000_000


def tiny_layers_up_to_the_limit() -> str:
    """Just under MAX_FILE_BYTES of ``- {type: ReLU}`` lines: about 70,000 layers, 210,000 values."""
    line = "- {type: ReLU}\n"
    head = HEAD + "layers:\n"
    return head + line * ((MAX_FILE_BYTES - len(head)) // len(line))


def tiny_numbers_up_to_the_limit() -> str:
    """Just under MAX_FILE_BYTES of one flow list of numbers: about 520,000 values, no alias."""
    head = HEAD + "layers:\n  - {type: ReLU, x: ["
    return head + "1," * ((MAX_FILE_BYTES - len(head) - 10) // 2) + "1]}\n"


def nested(opening: str, closing: str, depth: int = 10_000, inner: str = "1") -> str:
    return opening * depth + inner + closing * depth


def block_indentation(depth: int = 1_000) -> str:
    """1,000 levels of block mappings by indentation (500 KB: deeper would pass the size limit)."""
    return HEAD + "layers:\n" + "".join(" " * (n + 2) + "a:\n" for n in range(depth)) + " " * (depth + 2) + "1\n"


def random_bytes() -> bytes:
    return random.Random(7).randbytes(1_000_000)


def encoded(text: str, codec: str, errors: str = "strict") -> Callable[[], bytes]:
    return lambda: text.encode(codec, errors)


DESIGN = (HEAD + "description: Übergrößenträger «naïve» café\n"
          "layers:\n  - {type: Conv2d, out_channels: 2, kernel_size: 3}\n")


def long_name_in_from_keys() -> str:
    """A 100,000-character name that 20,000 ``from`` keys repeat through an alias: with 30,000 (880 KB),
    ``inspect`` passed 5.9 GB before the name limit (issue 17). 20,000 keep the parse itself (about 0.03 ms of
    CPU per layer line) well inside CPU_SECONDS."""
    return (HEAD + f"layers:\n  - {{type: Conv2d, name: &n {'n' * 100_000}, out_channels: 2, kernel_size: 1}}\n"
            + "  - {type: Add, from: *n}\n" * 20_000)


def layer(arguments: str) -> Callable[[], str]:
    return lambda: HEAD + "layers:\n  - {" + arguments + "}\n"


def top(text: str) -> Callable[[], str]:
    return lambda: text


NESTING = r"nested more than \d+ levels|exceeded maximum nesting depth"  # ours, or libyaml's own flow limit

CASES = [
    # YAML bombs: anchors and aliases that expand exponentially, or widely.
    Hostile("laughs-in-layers", laughs_in_layers, r"more than 200,000 values"),
    Hostile("laughs-in-an-argument", laughs_in_an_argument, r"more than 200,000 values"),
    Hostile("laughs-under-the-input", laughs_under_the_input, r"more than 200,000 values"),
    Hostile("laughs-of-mappings", laughs_of_mappings, r"more than 200,000 values"),
    Hostile("wide-fan-out", wide_fan_out, r"more than 200,000 values"),
    Hostile("long-type-through-aliases", long_type_through_aliases, r"unknown layer type"),
    Hostile("long-key-through-aliases", long_key_through_aliases, r"has no argument|unknown key"),
    Hostile("long-unknown-type", long_unknown_type, r"unknown layer type"),
    Hostile("long-unknown-key", long_unknown_key, r"unknown key"),
    # Names too long to serve anyone (issue 17): every table and message that repeats them stays bounded.
    Hostile("100000-character-name-in-20000-from-keys", long_name_in_from_keys,
            r"layer 1: a layer name may be at most 200 characters, but this one has 100,000"),
    Hostile("500000-character-name", layer("type: ReLU, name: " + "x" * 500_000),
            r"layer 1: a layer name may be at most 200 characters, but this one has 500,000"),
    # Huge files.
    Hostile("50-MB-of-bytes", fifty_megabytes_of_bytes, r"larger than a design file may be"),
    Hostile("50-MB-of-text", fifty_megabytes_of_text, r"longer than a design file may be"),
    # The largest file of the smallest layers: its 200,001st value is on line 66,666 of ~70,000, so the loader
    # parses nearly the whole megabyte before the limit stops it (PyYAML composes ~16 us a line: 0.6-1.15 s of
    # CPU on the 2-core development machine, by load). Its budget bounds that linear read (a blow-up would
    # pass it many times over), not a quick refusal, which no loader of a megabyte of YAML could give.
    Hostile("tiny-layers-up-to-the-limit", tiny_layers_up_to_the_limit, r"more than 200,000 values",
            forbid="alias", cpu_seconds=2.5),
    Hostile("tiny-numbers-up-to-the-limit", tiny_numbers_up_to_the_limit, r"more than 200,000 values",
            forbid="alias"),
    # Deep nesting.
    Hostile("10000-mappings-in-layers", top(HEAD + "layers: " + nested("{a: ", "}")), r"nested more than"),
    Hostile("10000-mixed-in-layers", top(HEAD + "layers: " + nested("[{a: ", "}]", 5_000)), r"nested more than"),
    Hostile("10000-lists-in-an-argument", layer("type: Conv2d, out_channels: 2, kernel_size: " + nested("[", "]")),
            NESTING),
    Hostile("10000-mappings-in-the-input", top("convdesigner: 1\ninput: " + nested("{a: ", "}")), r"nested more than"),
    Hostile("10000-block-sequences", top(HEAD + "layers:\n  " + "- " * 10_000 + "1\n"), r"nested more than"),
    Hostile("1000-block-mappings", block_indentation, r"nested more than"),
    Hostile("10000-unclosed-braces", top(HEAD + "layers: " + "{" * 10_000), NESTING),
    Hostile("10000-unclosed-brackets", top(HEAD + "layers: " + "[" * 10_000), NESTING),
    Hostile("5000-complex-keys", top(HEAD + "layers:\n  - " + "? " * 5_000 + "a\n"), NESTING),
    # Binary garbage.
    Hostile("1-MB-of-random-bytes", random_bytes, r"not UTF-8|binary"),
    Hostile("elf-executable", lambda: b"\x7fELF\x02\x01\x01" + bytes(57) + b"\x02\x00\x3e\x00", r"binary"),
    Hostile("gzipped-design", lambda: gzip.compress(DESIGN.encode(), mtime=0), r"binary"),
    Hostile("zip-archive", lambda: b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(20), r"binary"),
    Hostile("all-ff-bytes", lambda: b"\xff" * 4096, r"not UTF-8 text \(byte 0xff\)"),
    Hostile("only-nul-bytes", lambda: bytes(4096), r"binary|UTF-16"),
    # Wrong encodings.
    Hostile("utf-16-be-without-bom", encoded(DESIGN, "utf-16-be"), r"UTF-16 text without a byte-order mark"),
    Hostile("utf-32-le-without-bom", encoded(DESIGN, "utf-32-le"), r"UTF-(16|32)|binary"),
    Hostile("utf-16-with-bom-truncated", lambda: DESIGN.encode("utf-16")[:-1], r"starts as UTF-16 text but byte"),
    Hostile("utf-16-with-bom-lone-surrogate",
            lambda: (HEAD + "description: a\ud800b\n").encode("utf-16", "surrogatepass"), r"UTF-16"),
    Hostile("utf-32-with-bom-out-of-range", lambda: b"\xff\xfe\x00\x00" + b"\x00\x00\x11\x00" * 4, r"UTF-32"),
    Hostile("windows-1252-quotes", encoded(HEAD + "description: \u201cquoted\u201d\n", "cp1252"),
            r"not UTF-8 text \(byte 0x93\)"),
    Hostile("shift-jis", encoded(HEAD + "name: 畳み込み\n", "shift_jis"), r"not UTF-8 text"),
    Hostile("ebcdic", encoded(DESIGN, "cp500"), r"not UTF-8 text"),
    Hostile("overlong-utf-8", lambda: HEAD.encode() + b"description: \xc0\xaf\n", r"not UTF-8 text \(byte 0xc0\)"),
    Hostile("utf-8-encoded-surrogate", lambda: HEAD.encode() + b"description: \xed\xa0\x80\n",
            r"not UTF-8 text \(byte 0xed\)"),
    Hostile("utf-8-bom-then-utf-16-bom", lambda: b"\xef\xbb\xbf\xff\xfe" + DESIGN.encode("utf-16-le"),
            r"not UTF-8|binary|UTF-16"),
    Hostile("utf-8-bom-then-a-bad-byte", lambda: b"\xef\xbb\xbfconvdesigner: 1\n\xff", r"byte 19 is not UTF-8"),
    # Numbers: too large, not finite, not numbers at all, negative or zero sizes.
    Hostile("1.0e+400-kernel", layer("type: Conv2d, out_channels: 2, kernel_size: 1.0e+400"), r"kernel_size"),
    Hostile("1.0e+400-input-size", top("convdesigner: 1\ninput: {channels: 1, size: [8, 1.0e+400]}\n"),
            r"input size"),
    Hostile("minus-1.0e+400-momentum", layer("type: BatchNorm2d, momentum: -1.0e+400"), r"momentum"),
    Hostile("1.0e+400-scale-per-axis", layer("type: Upsample, scale_factor: [2.0, 1.0e+400]"), r"scale_factor"),
    Hostile("1e400-kernel", layer("type: Conv2d, out_channels: 2, kernel_size: 1e400"), r"kernel_size"),
    Hostile("1e400-input-size", top("convdesigner: 1\ninput: {channels: 1, size: [1e400, 8]}\n"), r"input size"),
    Hostile("minus-1e400-eps", layer("type: BatchNorm2d, eps: -1e400"), r"eps"),
    Hostile("1e400-scale", layer("type: Upsample, scale_factor: 1e400"), r"scale_factor"),
    Hostile("googol-in-a-padding-pair", layer(f"type: Conv2d, out_channels: 2, kernel_size: 3, "
                                              f"padding: [[0, {10**100}], [0, 0]]"), r"out of range"),
    Hostile("googol-in-optional-axes", layer(f"type: AdaptiveAvgPool2d, output_size: [null, {10**100}]"),
            r"out of range"),
    Hostile("googol-input-size", top(f"convdesigner: 1\ninput: {{channels: 1, size: [8, {10**100}]}}\n"),
            r"input size must be from 1 to"),
    Hostile("googol-format-version", top(f"convdesigner: {10**100}\ninput: {{channels: 1, size: [8]}}\n"),
            r"newer convdesigner"),
    Hostile("5000-digit-integer", layer("type: Conv2d, out_channels: 2, kernel_size: " + "9" * 5_000),
            r"more than 400 digits"),
    Hostile("500-digit-hexadecimal", layer("type: Conv2d, out_channels: 2, kernel_size: 0x" + "f" * 500),
            r"more than 400 digits"),
    Hostile("399-digit-binary", layer("type: Conv2d, out_channels: 2, kernel_size: 0b" + "1" * 397),
            r"out of range"),
    Hostile("base-60-integer", layer("type: Conv2d, out_channels: 2, kernel_size: " + "59:" * 120 + "59"),
            r"out of range"),
    Hostile("million-digit-mantissa", layer("type: LeakyReLU, negative_slope: " + "1" * 900_000 + ".5"),
            r"out of range|finite"),
    Hostile("nan-input-size", top("convdesigner: 1\ninput: {channels: 1, size: [.nan, 8]}\n"), r"input size"),
    Hostile("nan-channels", top("convdesigner: 1\ninput: {channels: .nan, size: [8]}\n"), r"input channels"),
    Hostile("nan-in-a-stride-list", layer("type: Conv2d, out_channels: 2, kernel_size: 3, stride: [1, .nan]"),
            r"stride"),
    Hostile("nan-scale", layer("type: Upsample, scale_factor: .nan"), r"scale_factor"),
    Hostile("nan-dropout", layer("type: Dropout, p: .NAN"), r"\bp\b"),
    Hostile("negative-channels", top("convdesigner: 1\ninput: {channels: -1, size: 8}\n"),
            r"input channels must be from 1 to"),
    Hostile("negative-scalar-size", top("convdesigner: 1\ninput: {channels: 1, size: -8}\n"),
            r"input size must be from 1 to"),
    Hostile("zero-sizes", top("convdesigner: 1\ninput: {channels: 1, size: [0, 0, 0]}\n"), r"input size must be"),
    Hostile("negative-output-padding", layer("type: ConvTranspose2d, out_channels: 2, kernel_size: 3, "
                                             "stride: 2, output_padding: -1"), r"output_padding"),
    Hostile("negative-stride", layer("type: Conv2d, out_channels: 2, kernel_size: 3, stride: [-1, 1]"), r"stride"),
    Hostile("zero-dilation", layer("type: Conv2d, out_channels: 2, kernel_size: 3, dilation: 0"), r"dilation"),
    Hostile("negative-groups", layer("type: Conv2d, out_channels: 2, kernel_size: 3, groups: -3"), r"groups"),
    Hostile("negative-scale", layer("type: Upsample, scale_factor: -2.0"), r"scale_factor"),
    Hostile("huge-negative-crop", layer("type: ZeroPad2d, padding: -1000000000"), r"out of range"),
    Hostile("negative-out-channels", layer("type: Linear, out_features: -10"), r"out_features"),
]


# -- the measuring child -------------------------------------------------------------------------------------

def _on_alarm(signum: int, frame: Any) -> None:
    raise TimeoutError(f"still running after {CHILD_CASE_LIMIT} s")


def _outcome(data: bytes | str) -> dict[str, Any]:
    try:
        loads(data, SOURCE)
    except DesignFileError as error:
        messages = error.messages
        return {"outcome": "DesignFileError", "messages": [m[:300] for m in messages[:5]],
                "problems": len(messages), "message_chars": len(error.text)}
    except Exception as error:  # what the test reports as a failure
        return {"outcome": type(error).__name__, "messages": [str(error)[:300]], "problems": 0, "message_chars": 0}
    return {"outcome": "loaded", "messages": [], "problems": 0, "message_chars": 0}


def _run_in_fork(case: Hostile) -> dict[str, Any]:
    """Build and load one case in a forked process of its own: its outcome, the CPU seconds ``loads``
    took, and the process's peak resident memory (which includes the input and the interpreter)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            signal.signal(signal.SIGALRM, _on_alarm)
            signal.alarm(CHILD_CASE_LIMIT)
            data = case.build()
            started = time.process_time()
            result = _outcome(data)
            result["cpu"] = time.process_time() - started
        except BaseException as error:
            result = {"outcome": "timeout" if isinstance(error, TimeoutError) else type(error).__name__,
                      "messages": [str(error)[:300]], "problems": 0, "message_chars": 0, "cpu": CHILD_CASE_LIMIT}
        with os.fdopen(write_end, "w") as out:
            json.dump(result, out)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    _, status, usage = os.wait4(pid, 0)
    result = json.loads(text) if text else {"outcome": f"died (wait status {status})", "messages": [],
                                             "problems": 0, "message_chars": 0, "cpu": 0.0}
    result["max_rss"] = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    result["id"] = case.id
    return result


def measure_cases(names: list[str] | None = None) -> list[dict[str, Any]]:
    """Every case (or the named ones), each in its own forked process."""
    return [_run_in_fork(case) for case in CASES if not names or case.id in names]


def measure_in_a_fresh_interpreter(names: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every case (or the named ones) measured by this file run with ``--measure`` in a fresh interpreter: the
    cases' results and the baseline's peak memory (used by the tests below and bench/bench_hostile.py)."""
    completed = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure", *names],
                               capture_output=True, text=True, timeout=600, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"the measuring process failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _child_main() -> None:
    baseline = _run_in_fork(Hostile("baseline", lambda: HEAD, ""))
    print(json.dumps({"results": measure_cases(sys.argv[2:] or None), "baseline_rss": baseline["max_rss"]}))


# -- the tests ------------------------------------------------------------------------------------------------

posix_only = pytest.mark.skipif(os.name != "posix", reason="measures with SIGALRM and getrusage (POSIX)")


@pytest.fixture(scope="module")
def measured() -> dict[str, Any]:
    """Every case measured once, in one fresh child process."""
    found = measure_in_a_fresh_interpreter()
    found["by_id"] = {r["id"]: r for r in found["results"]}
    return found


def _param(case: Hostile) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=case.known)] if case.known else []
    return pytest.param(case, id=case.id, marks=marks)


@posix_only
@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_hostile_file_is_refused_clearly_and_small(case: Hostile, measured: dict[str, Any]) -> None:
    result = measured["by_id"][case.id]
    assert result["outcome"] == "DesignFileError", result
    first = result["messages"][0]
    assert all(re.match(rf"^{re.escape(SOURCE)}:\d+:\d+: \S", m) for m in result["messages"]), result["messages"]
    assert re.search(case.expect, first), (case.expect, first)
    if case.forbid:
        assert not any(re.search(case.forbid, m) for m in result["messages"]), (case.forbid, result["messages"])
    assert result["message_chars"] <= MESSAGE_CHARS, f"{result['message_chars']:,} characters of messages"
    assert result["max_rss"] < MAX_RSS_BYTES, f"{result['max_rss'] / 1e6:.0f} MB resident at the peak"


@posix_only
def test_memory_is_measured_against_a_small_baseline(measured: dict[str, Any]) -> None:
    """The bound means something: a process that loads a three-line design stays far below it."""
    assert len(measured["results"]) == len(CASES)
    assert measured["baseline_rss"] < MAX_RSS_BYTES / 2


def test_every_case_is_hostile_and_unique() -> None:
    """The table itself: unique ids, and each file is built as documented (bombs small, big ones big)."""
    assert len({case.id for case in CASES}) == len(CASES)
    assert len(laughs_in_layers()) < 2_000 and len(wide_fan_out()) < 5_000
    assert len(fifty_megabytes_of_bytes()) > 50_000_000 and len(fifty_megabytes_of_text()) > 50_000_000
    assert MAX_FILE_BYTES - 64 < len(tiny_layers_up_to_the_limit().encode()) <= MAX_FILE_BYTES


# -- huge layers through the canvas and animate (issue 17) ------------------------------------------------
#
# These load (every number is within the loader's limits), and their arithmetic is enormous: 10^8 kernel taps
# per axis, outputs 4*10^8 wide, up to 10^17 steps. Opening one in the app reached 7.7 GB and segfaulted; a
# k=1000 convolution took 47 s and 1.1 GB for 4 frames of `animate`. Each now runs in a child process of its
# own, measured by wait4: it finishes, says what it cannot draw, and its peak resident memory stays small.

HUGE_LAYERS = {
    "transposed-2d-k1e8": ("{channels: 1, size: [4, 4]}",
                           "{type: ConvTranspose2d, name: up, out_channels: 1, kernel_size: 100000000, "
                           "stride: 100000000}"),
    "transposed-3d-k1e5": ("{channels: 1, size: [2, 2, 2]}",
                           "{type: ConvTranspose3d, name: up, out_channels: 1, kernel_size: 100000, "
                           "stride: 100000}"),
    "transposed-1d-dilated": ("{channels: 1, size: [1000]}",
                              "{type: ConvTranspose1d, name: up, out_channels: 1, kernel_size: 1000000, "
                              "stride: 3, dilation: 7}"),
    "conv-2d-k1000": ("{channels: 1, size: [1000, 1000]}",
                      "{type: Conv2d, name: up, out_channels: 1, kernel_size: 1000, padding: 1}"),
}
#: (case, view, frame size, whether its grids are too large to draw cell by cell at that size: more than
#: 16 cells a pixel)
ANIMATIONS = [("transposed-2d-k1e8", "direct", "320x200", True), ("transposed-2d-k1e8", "scatter", "320x200", True),
              ("transposed-2d-k1e8", "overlap", "320x200", True), ("transposed-3d-k1e5", "direct", "320x200", True),
              ("transposed-1d-dilated", "overlap", "320x200", True), ("conv-2d-k1000", "direct", "320x200", True),
              ("conv-2d-k1000", "direct", "800x480", False)]
#: The peak resident memory of a child: the interpreter, Qt and Pillow are 70-80 MB of it (the app ~150 MB).
ANIMATE_RSS_BYTES = 200_000_000
APP_RSS_BYTES = 400_000_000


def _huge_file(tmp_path: Path, case: str) -> Path:
    source, layer = HUGE_LAYERS[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(f"convdesigner: 1\nname: Huge\ninput: {source}\nlayers:\n  - {layer}\n")
    return path


#: Runs a command and reports its peak resident memory: a process of its own has that one child, so
#: RUSAGE_CHILDREN is the command's own (not the test runner's, nor an earlier child's).
MEASURE = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
           "print('maxrss', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
           "sys.exit(code)")


def _run_measured(args: list[str], cwd: Path) -> tuple[int, str, str, int]:
    """Run a convdesigner command in a child process: exit status, stdout, stderr and its peak resident
    memory in bytes."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "convdesigner", *args], cwd=cwd,
                          env=env, text=True, capture_output=True, timeout=300, check=False)  # a guard, no measure
    err, _, last = done.stderr.rstrip("\n").rpartition("\n")
    if not last.startswith("maxrss "):
        err, last = done.stderr, "maxrss 0"
    rss = int(last.split()[1]) * (1 if sys.platform == "darwin" else 1024)
    return done.returncode, done.stdout, err, rss


@posix_only
@pytest.mark.parametrize("case, view, size, coarse", ANIMATIONS, ids=[f"{c}-{v}-{s}" for c, v, s, _ in ANIMATIONS])
def test_animate_of_a_huge_layer_finishes_small_and_says_what_it_draws_in_blocks(tmp_path: Path, case: str, view: str,
                                                                                 size: str, coarse: bool) -> None:
    path = _huge_file(tmp_path, case)
    code, out, err, rss = _run_measured(["animate", str(path), "--layer", "up", "--view", view, "--size", size,
                                         "-o", str(tmp_path / "out.gif")], tmp_path)
    assert code == 0 and not err, err
    assert out.startswith(f"wrote {tmp_path / 'out.gif'}") and (tmp_path / "out.gif").stat().st_size > 0
    assert ("too large to draw cell by cell" in out) == coarse, out
    assert rss < ANIMATE_RSS_BYTES, f"{rss / 1e6:.0f} MB resident at the peak"


@posix_only
def test_animate_of_400_steps_peaks_as_low_as_one_step(tmp_path: Path) -> None:
    """The GIF's frames are streamed (issue 15): 400 frames of 800x480 add next to nothing to the peak of a
    one-frame animation, where Pillow's save_all held them all (~150 MiB more; bench/bench_animate.py)."""
    peaks, outs = {}, {}
    for size in (22, 3):  # 20x20 = 400 output positions, then 1
        path = tmp_path / f"conv-{size}.yaml"
        path.write_text(f"convdesigner: 1\nname: Steps\ninput: {{channels: 1, size: [{size}, {size}]}}\nlayers:\n"
                        "  - {type: Conv2d, name: up, out_channels: 1, kernel_size: 3}\n")
        code, outs[size], err, peaks[size] = _run_measured(["animate", str(path), "--layer", "up", "-o",
                                                            str(tmp_path / "out.gif")], tmp_path)
        assert code == 0 and "Traceback" not in err, err
    assert "400 frames, one per step" in outs[22] and "1 frames, one per step" in outs[3]
    assert peaks[22] < peaks[3] + 20_000_000, f"{peaks[22] / 1e6:.0f} MB for 400 steps, {peaks[3] / 1e6:.0f} for 1"


@posix_only
def test_animate_numbers_of_a_huge_layer_is_refused_clearly(tmp_path: Path) -> None:
    path = _huge_file(tmp_path, "transposed-2d-k1e8")
    code, out, err, rss = _run_measured(["animate", str(path), "--layer", "up", "--numbers", "-o",
                                         str(tmp_path / "out.gif")], tmp_path)
    assert code == 2 and not out and "Traceback" not in err
    assert "--numbers: numbers are shown for layers of up to 250,000 output cells times kernel taps" in err
    assert not (tmp_path / "out.gif").exists() and rss < ANIMATE_RSS_BYTES


@posix_only
@pytest.mark.parametrize("case", ["transposed-2d-k1e8", "transposed-3d-k1e5"])
def test_the_app_opens_a_huge_layer_and_paints_it(tmp_path: Path, case: str) -> None:
    """The app on the file, the layer selected, the window painted (7.7 GB and a segfault before)."""
    path = _huge_file(tmp_path, case)
    code, _out, err, rss = _run_measured([str(path), "--screenshot", str(tmp_path / "app.png"), "--select", "up"],
                                         tmp_path)
    assert code == 0 and "Traceback" not in err, err
    assert (tmp_path / "app.png").stat().st_size > 10_000
    assert rss < APP_RSS_BYTES, f"{rss / 1e6:.0f} MB resident at the peak"


if __name__ == "__main__" and sys.argv[1:2] == ["--measure"]:
    _child_main()
