"""The design file (YAML v1): save then load gives the same design, saving is atomic, and every bad file (bad
syntax, types, keys, values, encodings, hostile structures) is refused fast with file:line:column."""

from __future__ import annotations

import io
import math
import os
import random
import re
import stat
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from convdesigner.engine.analysis import analyze
from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.engine.layers import CATALOG
from convdesigner.figures import example_designs
from convdesigner.io import design_file
from convdesigner.io.design_file import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_VALUE,
    DesignFileError,
    dumps,
    load,
    loads,
    save,
)

HEAD = "convdesigner: 1\nname: T\ninput: {channels: 1, size: [8, 8]}\n"
PLACED = re.compile(r"^bad\.yaml:(\d+):(\d+): ")


def refusal(text: str | bytes) -> list[str]:
    """The messages of loading a bad file, each checked to say bad.yaml:line:column."""
    with pytest.raises(DesignFileError) as caught:
        loads(text, "bad.yaml")
    messages = caught.value.messages
    assert messages and caught.value.text == "\n".join(messages)
    for message in messages:
        assert PLACED.match(message), message
    return messages


def place(message: str) -> tuple[int, int]:
    match = PLACED.match(message)
    assert match
    return int(match.group(1)), int(match.group(2))


# -- round trips ------------------------------------------------------------------------------------------------

SAMPLE = Design(
    "Sample", InputSpec(3, (32, 32)),
    (
        Layer.make("Conv2d", "conv1", out_channels=8, kernel_size=[3, 5], padding=[[1, 2], [0, 1]], bias=False),
        Layer.make("Conv2d", "same", out_channels=8, kernel_size=3, padding="same", dilation=2),
        Layer.make("BatchNorm2d", "bn", eps=1e-05, momentum=0.1),
        Layer.make("LeakyReLU", "lrelu", negative_slope=0.2),
        Layer.make("ConvTranspose2d", "up", out_channels=4, kernel_size=3, stride=2, padding=1, output_padding=1),
        Layer.make("Upsample", "resize", scale_factor=0.5),
        Layer.make("Concat", "join", **{"from": "lrelu"}),
        Layer.make("AdaptiveAvgPool2d", "gap", output_size=[None, 1]),
    ),
    'Text with "quotes", a colon: here, a # hash, unicode éλ→ and a newline\nsecond line',
)


def test_save_then_load_gives_the_same_design(tmp_path: Path) -> None:
    path = tmp_path / "sample.yaml"
    save(SAMPLE, path)
    assert load(path) == SAMPLE
    text = path.read_text(encoding="utf-8")
    assert text == dumps(SAMPLE)
    assert text.count("\n  - {") == len(SAMPLE.layers)  # one layer per line


@pytest.mark.parametrize("example", example_designs(), ids=lambda e: e.key)
def test_every_example_round_trips_through_save(example, tmp_path: Path) -> None:
    design = example.load()
    save(design, tmp_path / "copy.yaml")
    assert load(tmp_path / "copy.yaml") == design


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30) | st.sampled_from(
    ["true", "No", "null", "~", "1.5", "0x10", "2001-12-14", "- a", "&a", "*a", "!tag", "a: b", "'", '"', "\\", "\x85",
     "\ufeff", "\x7f", "\u2028", "\t\r\x00"])
_NUMBER = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6) | st.integers(-10**6, 10**6)


@given(name=_TEXT.filter(str.strip), description=_TEXT, layer_name=_TEXT.filter(str.strip), slope=_NUMBER,
       eps=st.floats(min_value=1e-12, max_value=1.0))
def test_any_text_and_number_round_trips(name: str, description: str, layer_name: str, slope: float,
                                         eps: float) -> None:
    design = Design(name, InputSpec(2, (5,)), (
        Layer.make("LeakyReLU", layer_name, negative_slope=slope),
        Layer.make("BatchNorm1d", layer_name + "_bn", eps=eps),
    ), description)
    assert loads(dumps(design)) == design


def test_keys_in_any_order_load_as_save_writes_them() -> None:
    shuffled = loads(HEAD + "layers:\n  - {bias: false, kernel_size: 3, type: Conv2d, out_channels: 4, name: c}\n")
    assert shuffled.layers[0].args == (("out_channels", 4), ("kernel_size", 3), ("bias", False))
    assert loads(dumps(shuffled)) == shuffled
    assert "  - {type: Conv2d, name: c, out_channels: 4, kernel_size: 3, bias: false}" in dumps(shuffled)


def test_a_lone_surrogate_is_saved_as_the_replacement_character() -> None:
    design = Design("D\ud800", InputSpec(1, (4,)))
    assert loads(dumps(design)).name == "D\ufffd"


def test_names_are_generated_when_absent_and_not_reused() -> None:
    design = loads(HEAD + "layers:\n  - {type: Conv2d, out_channels: 2, kernel_size: 3}\n  - {type: ReLU}\n"
                          "  - {type: Conv2d, name: conv2, out_channels: 2, kernel_size: 1}\n"
                          "  - {type: Conv2d, out_channels: 2, kernel_size: 1}\n")
    assert [layer.name for layer in design.layers] == ["conv1", "relu1", "conv2", "conv3"]


def test_large_designs_load() -> None:
    """5,000 layers load whole (bench/bench_huge.py times the round trip of 10,000)."""
    text = HEAD + "layers:\n" + "  - {type: Conv2d, out_channels: 4, kernel_size: 3, padding: 1}\n" * 5000
    design = loads(text)
    assert len(design.layers) == 5000 and design.layers[-1].name == "conv5000"


# -- atomic save ------------------------------------------------------------------------------------------------

def test_save_is_atomic_when_writing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "design.yaml"
    save(SAMPLE, path)
    before = path.read_bytes()

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(design_file.os, "replace", failing_replace)
    with pytest.raises(OSError):
        save(SAMPLE.with_layers(SAMPLE.layers[:1]), path)
    assert path.read_bytes() == before  # the old file, whole
    assert os.listdir(tmp_path) == ["design.yaml"]  # no temporary file left behind


def test_save_keeps_permissions_and_symbolic_links(tmp_path: Path) -> None:
    path = tmp_path / "design.yaml"
    save(SAMPLE, path)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # as a plain open() would create it
    path.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(path)
    save(SAMPLE.with_layers(()), link)
    assert link.is_symlink() and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert load(path).layers == ()


# -- errors, each with file:line:column ---------------------------------------------------------------------------

def test_malformed_yaml() -> None:
    [message] = refusal(HEAD + "layers:\n  - {type: Conv2d, out_channels: 4\n")
    assert "YAML syntax error" in message and place(message)[0] == 6
    [message] = refusal(HEAD + "layers:\n\t- {type: ReLU}\n")
    assert place(message) == (5, 1)
    [message] = refusal(HEAD + "---\nname: again\n")
    assert "one YAML document" in message and place(message) == (4, 1)


def test_wrong_types() -> None:
    [message] = refusal(HEAD + "layers:\n  - {type: Conv2d, out_channels: four, kernel_size: 3}\n")
    assert message == "bad.yaml:5:34: conv1: out_channels must be an integer, not the text 'four'"
    [message] = refusal(HEAD + "layers:\n  - {type: Conv2d, out_channels: 4, kernel_size: 3, bias: 1}\n")
    assert place(message) == (5, 59) and "bias must be true or false" in message
    [message] = refusal("convdesigner: 1\ninput: {channels: 1, size: [8, eight]}\n")
    assert place(message) == (2, 32) and "input size must be a whole number, not the text 'eight'" in message
    [message] = refusal(HEAD + "layers: {type: ReLU}\n")
    assert place(message) == (4, 9) and "'layers' must be a list" in message
    [message] = refusal(HEAD + "layers:\n  - ReLU\n")
    assert place(message) == (5, 5) and "each layer must be a mapping" in message
    [message] = refusal(HEAD + "description: 2001-12-14\n")
    assert place(message) == (4, 14) and "date is not allowed" in message
    [message] = refusal("convdesigner: '1'\ninput: {channels: 1, size: [8]}\n")
    assert place(message) == (1, 15) and "format version (1 or 2), not the text '1'" in message


def test_unknown_keys_and_types_say_did_you_mean() -> None:
    messages = refusal(HEAD + "layers:\n  - {type: Conv2d, out_channels: 4, kernal_size: 3}\n")
    assert "bad.yaml:5:37: conv1: Conv2d has no argument 'kernal_size' (did you mean 'kernel_size'?)" in messages
    [message] = refusal(HEAD + "layers:\n  - {type: Conv2D, out_channels: 4, kernel_size: 3}\n")
    assert message == "bad.yaml:5:12: unknown layer type 'Conv2D' (did you mean 'Conv2d'?)"
    [message] = refusal(HEAD + "layer:\n  - {type: ReLU}\n")
    assert message == "bad.yaml:4:1: unknown key 'layer' (did you mean 'layers'?)"
    messages = refusal("convdesigner: 1\ninput: {chanels: 1, size: [8]}\n")
    assert messages == ["bad.yaml:2:9: unknown input key 'chanels' (did you mean 'channels'?)",
                        "bad.yaml:2:8: 'input' needs channels and size: channels is missing"]


def test_out_of_range_values() -> None:
    [message] = refusal(HEAD + "layers:\n  - {type: Conv2d, out_channels: 0, kernel_size: 3}\n")
    assert message == "bad.yaml:5:34: conv1: out_channels must be at least 1, not 0"
    [message] = refusal(HEAD + "layers:\n  - {type: Dropout, p: 1.5}\n")
    assert place(message) == (5, 24) and "p" in message


@pytest.mark.parametrize("number", [10**9, 10**100, -(10**9), MAX_VALUE + 1])
def test_absurd_numbers_are_refused_where_they_stand(number: int) -> None:
    [message] = refusal(HEAD + f"layers:\n  - {{type: Conv2d, out_channels: 4, kernel_size: [3, {number}]}}\n")
    assert place(message) == (5, 54) and "out of range" in message and "conv1: kernel_size" in message
    [message] = refusal(f"convdesigner: 1\ninput: {{channels: {number}, size: [8]}}\n")
    assert place(message) == (2, 19)
    [message] = refusal(HEAD + f"layers:\n  - {{type: Upsample, scale_factor: {number}.0}}\n")
    assert place(message) == (5, 36) and "out of range" in message


def test_the_largest_allowed_value_loads() -> None:
    design = loads(f"convdesigner: 1\ninput: {{channels: {MAX_VALUE}, size: [8]}}\n")
    assert design.input.channels == MAX_VALUE


@pytest.mark.parametrize("text", [".nan", ".NaN", ".inf", "-.inf"])
def test_nan_and_infinity_are_refused(text: str) -> None:
    [message] = refusal(HEAD + f"layers:\n  - {{type: LeakyReLU, negative_slope: {text}}}\n")
    assert place(message) == (5, 39)
    [message] = refusal(HEAD + f"layers:\n  - {{type: Conv2d, out_channels: 4, kernel_size: {text}}}\n")
    assert place(message) == (5, 50)


@pytest.mark.parametrize("text", ["-.inf", ".inf", "-.Inf"])
def test_a_constant_pad_value_may_be_infinite_and_round_trips_exactly(text: str) -> None:
    """A pad of -inf before a max pool (an ONNX max pool's asymmetric pads) holds the value exactly."""
    design = loads(HEAD + f"layers:\n  - {{type: ConstantPad2d, padding: [0, 1, 1, 0], value: {text}}}\n")
    value = design.layers[0].get("value")
    assert math.isinf(value) and (value < 0) == text.startswith("-")
    assert loads(dumps(design)) == design and ("-.inf" if value < 0 else ".inf") in dumps(design)


def test_a_constant_pad_value_of_nan_is_refused() -> None:
    [message] = refusal(HEAD + "layers:\n  - {type: ConstantPad2d, padding: 1, value: .nan}\n")
    assert "value must be a number or ±inf, not nan" in message


def test_negative_sizes() -> None:
    [message] = refusal("convdesigner: 1\ninput: {channels: 1, size: [-4, 8]}\n")
    assert message == "bad.yaml:2:29: input size must be from 1 to 100,000,000, not -4"
    [message] = refusal(HEAD + "layers:\n  - {type: Conv2d, out_channels: 4, kernel_size: -3}\n")
    assert place(message) == (5, 50) and "kernel_size must be at least 1, not -3" in message


def test_a_newer_format_version_is_refused_clearly() -> None:
    [message] = refusal("convdesigner: 3\ninput: {channels: 1, size: [8]}\nlayers: [{type: Future3000}]\n")
    assert message.startswith("bad.yaml:1:15: this design uses format version 3, written by a newer convdesigner")
    assert "please update convdesigner" in message


def test_duplicate_names_and_keys() -> None:
    [message] = refusal(HEAD + "layers:\n  - {type: ReLU, name: a}\n  - {type: ReLU, name: a}\n")
    assert message == "bad.yaml:6:24: the name 'a' is already used by layer 1"
    [message] = refusal(HEAD + "name: Again\n")
    assert message == "bad.yaml:4:1: 'name' is given twice"
    [message] = refusal(HEAD + "layers:\n  - {type: ReLU, inplace: true, inplace: false}\n")
    assert place(message) == (5, 33)


def test_missing_input_and_missing_header() -> None:
    [message] = refusal("convdesigner: 1\nlayers: []\n")
    assert place(message) == (1, 1) and "needs an 'input'" in message
    [message] = refusal("convdesigner: 1\ninput: {channels: 1}\n")
    assert place(message) == (2, 8) and "size is missing" in message
    [message] = refusal("name: x\ninput: {channels: 1, size: [8]}\n")
    assert "'convdesigner: 2' line is missing" in message
    assert refusal("")[0] == "bad.yaml:1:1: the file is empty: a design starts with 'convdesigner: 2'"
    assert "is a mapping" in refusal("- 1\n- 2\n")[0]


def test_every_problem_is_reported_at_once() -> None:
    messages = refusal(HEAD + "layers:\n  - {type: Conv2d, out_channels: x, kernel_size: 3}\n  - {type: Relu}\n"
                              "  - {type: MaxPool2d, kernel_size: 0}\n")
    assert [place(m)[0] for m in messages] == [5, 6, 7]


def _billion_laughs(levels: int = 9) -> str:
    lines = [HEAD + "layers:", "  - &l0 {type: ReLU}"]
    for n in range(1, levels + 1):
        lines.append(f"  - &l{n} {{type: Identity, x: [" + ", ".join([f"*l{n - 1}"] * 10) + "]}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("text", [
    _billion_laughs(),
    HEAD + "layers: &a [*a]\n",  # an alias inside its own anchor
    HEAD + "layers:\n  - {type: ReLU, x: *nowhere}\n",
])
def test_alias_bombs_are_refused_fast_with_bounded_memory(text: str) -> None:
    tracemalloc.start()
    try:
        [message] = refusal(text)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 5_000_000
    assert "alias" in message


def test_deep_nesting_is_refused() -> None:
    nested = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    [message] = refusal(HEAD + f"layers:\n  - {{type: ReLU, x: {nested}}}\n")
    assert "nested more than 24 levels" in message and place(message)[0] == 5
    [message] = refusal(HEAD + "layers: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert "nest" in message
    [message] = refusal(HEAD + "description: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n")
    assert "nest" in message


def test_merge_keys_and_foreign_tags_are_refused() -> None:
    [message] = refusal(HEAD + "layers:\n  - {<<: {type: ReLU}}\n")
    assert place(message) == (5, 6) and "merge keys" in message
    [message] = refusal(HEAD + "description: !!python/object/apply:os.system [echo hi]\n")
    assert "tag" in message and place(message) == (4, 14)
    [message] = refusal(HEAD + "description: !!binary aGVsbG8=\n")
    assert "bytes is not allowed" in message


def test_binary_garbage() -> None:
    [message] = refusal(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "binary" in message and place(message) == (3, 1)  # the NUL byte after \x89PNG\r\n\x1a\n
    [message] = refusal(HEAD + "description: a\x07b\n")
    assert place(message) == (4, 15) and "U+0007" in message


@given(st.binary(max_size=300))
def test_random_bytes_never_raise_anything_but_a_design_file_error(data: bytes) -> None:
    try:
        loads(data, "bad.yaml")
    except DesignFileError as error:
        assert all(PLACED.match(m) for m in error.messages)


def test_random_mutations_of_a_real_file_fail_cleanly() -> None:
    original = dumps(SAMPLE).encode()
    generator = random.Random(7)
    for _ in range(300):
        data = bytearray(original)
        for _ in range(generator.randint(1, 4)):
            data[generator.randrange(len(data))] = generator.randrange(256)
        try:
            loads(bytes(data), "bad.yaml")
        except DesignFileError as error:
            assert all(PLACED.match(m) for m in error.messages)


def test_encodings() -> None:
    text = dumps(SAMPLE)
    for codec in ("utf-16", "utf-8-sig", "utf-32"):  # with a byte-order mark, as YAML allows
        assert loads(text.encode(codec)) == SAMPLE
    [message] = refusal(text.encode("utf-16-le"))  # no byte-order mark
    assert "UTF-16" in message and "save it as UTF-8" in message
    latin = HEAD + "description: café au lait\n"
    [message] = refusal(latin.encode("latin-1"))
    assert message == "bad.yaml:4:17: the file is not UTF-8 text (byte 0xe9): save it as UTF-8"


def test_a_huge_file_is_refused_without_reading_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.write(HEAD.encode() + b"layers:\n")
        handle.truncate(50 * MAX_FILE_BYTES)  # sparse: 50 MiB on paper
    reads: list[int] = []
    real_fdopen = os.fdopen

    class CountingReads(io.BufferedReader):
        def read(self, size: int | None = -1) -> bytes:
            reads.append(size)
            return super().read(size)

    def counting_fdopen(descriptor: int, mode: str = "r") -> io.BufferedReader:
        assert mode == "rb"
        return CountingReads(real_fdopen(descriptor, "rb", buffering=0))

    monkeypatch.setattr(os, "fdopen", counting_fdopen)
    small = tmp_path / "small.yaml"
    small.write_text(HEAD + "layers: []\n")
    load(small)
    assert reads == [MAX_FILE_BYTES + 1]  # the count sees a read: at most one byte more than a file may hold
    reads.clear()
    with pytest.raises(DesignFileError) as caught:
        load(path)
    assert reads == []  # refused on the size fstat gives, before one byte is read
    monkeypatch.undo()
    assert caught.value.messages == [f"{path}:1:1: the file is {50 * MAX_FILE_BYTES:,} bytes; a design file may "
                                     f"be at most {MAX_FILE_BYTES:,}"]
    [message] = refusal(b"#" * (MAX_FILE_BYTES + 1))
    assert "larger than a design file may be" in message


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(DesignFileError) as caught:
        load(tmp_path / "absent.yaml")
    assert "cannot read the file" in caught.value.text


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats() | st.text(max_size=8)
    | st.sampled_from(["same", "valid", "full", "nearest", "bilinear", "zeros"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(type_name=st.sampled_from(sorted(CATALOG)), data=st.data())
def test_any_argument_values_give_a_design_or_placed_errors(type_name: str, data: st.DataObject) -> None:
    """Whatever a file holds under a layer, loading gives a design (which saves and loads back the same, and
    which the engine analyses without raising) or errors with their places, never an exception."""
    names = list(CATALOG[type_name].argument_names) + ["name", "bogus"]
    arguments = data.draw(st.dictionaries(st.sampled_from(names), _VALUES, max_size=4))
    layers = [{"type": "Conv2d", "name": "c", "out_channels": 2, "kernel_size": 1}, {"type": type_name, **arguments}]
    spatial = data.draw(st.lists(st.integers(1, 12), min_size=1, max_size=3))
    text = yaml.safe_dump({"convdesigner": 1, "input": {"channels": 2, "size": spatial}, "layers": layers})
    try:
        design = loads(text, "bad.yaml")
    except DesignFileError as error:
        assert all(PLACED.match(m) for m in error.messages)
        return
    assert loads(dumps(design)) == design
    analyze(design)


# -- what every reader and writer checks (issue 17) ---------------------------------------------------------

def _relus(count: int) -> Design:
    return Design("Big", InputSpec(1, (8, 8)), tuple(Layer.make("ReLU", f"r{i}", {}) for i in range(count)))


def _folder_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_save_refuses_a_design_over_the_load_limit_before_writing(tmp_path: Path) -> None:
    """60,000 ReLUs take about 2 MB: saving it would write a file no one can open."""
    design = _relus(60_000)
    path = tmp_path / "big.yaml"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(design_file.DesignTooLarge) as caught:
        save(design, path)
    assert f"over the {MAX_FILE_BYTES:,}-byte limit" in str(caught.value)
    assert caught.value.size == len(dumps(design).encode())
    assert path.read_text(encoding="utf-8") == "old\n" and _folder_listing(tmp_path) == ["big.yaml"]
    design_file.check_design_size(dumps(_relus(10_000)))  # a design under the limit passes


def test_everything_under_the_write_limit_loads_back() -> None:
    """Writers and the loader agree: the largest text the writers accept is the largest the loader reads."""
    text = dumps(_relus(0)) + "#" * (MAX_FILE_BYTES - len(dumps(_relus(0))))
    design_file.check_design_size(text)
    loads(text.encode())
    with pytest.raises(design_file.DesignTooLarge):
        design_file.check_design_size(text + "#")
    with pytest.raises(DesignFileError):
        loads((text + "#").encode())


def _release_fifo(path: Path) -> None:
    """Open the FIFO's other end, so a reader blocked on it returns (the test then fails, without a hang)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_is_refused_before_it_is_read(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    outcome: list[BaseException | Design] = []

    def read() -> None:
        try:
            outcome.append(load(fifo))
        except BaseException as exc:  # the outcome is asserted below
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(20)
    blocked = reader.is_alive()
    if blocked:
        _release_fifo(fifo)
        reader.join(5)
    assert not blocked, "load() blocked on a FIFO"
    [error] = outcome
    assert isinstance(error, DesignFileError)
    assert error.messages == [f"{fifo}:1:1: cannot read the file: it is a FIFO (named pipe), not a regular file"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_writing_refuses_to_replace_a_fifo_or_a_device(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(OSError) as caught:
        save(_relus(1), fifo)
    assert caught.value.strerror == "it is a FIFO (named pipe), not a regular file"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and _folder_listing(tmp_path) == ["pipe.yaml"]
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of our own (needs root)
    except (PermissionError, AttributeError):
        return
    with pytest.raises(OSError) as caught:
        design_file.write_atomically(device, b"GIF89a")
    assert caught.value.strerror == "it is a character device, not a regular file"
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "out.gif"
    path.write_bytes(b"the previous file")

    def write_then_fill_the_disk(stream) -> None:
        stream.write(b"GIF89a half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        design_file.write_atomically(path, write_then_fill_the_disk)
    assert path.read_bytes() == b"the previous file" and _folder_listing(tmp_path) == ["out.gif"]
    design_file.write_atomically(path, lambda stream: stream.write(b"new"))
    assert path.read_bytes() == b"new"


def _dead_process_id() -> int:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_temporary_files_of_killed_writers_are_removed(tmp_path: Path) -> None:
    """A writer killed between its temporary file and the rename leaves `.NAME.PID.XXXX.tmp`: the next write of
    NAME removes those whose process is gone (and older versions' `.NAME.XXXX.tmp` over an hour old)."""
    path = tmp_path / "out.yaml"
    dead = tmp_path / f".out.yaml.{_dead_process_id()}.k1ll3d_x.tmp"
    alive = tmp_path / f".out.yaml.{os.getppid()}.wr1t1ng_.tmp"  # a running writer's file stays
    old = tmp_path / ".out.yaml.0ld3r_v3.tmp"
    recent = tmp_path / ".out.yaml.r3c3nt_v.tmp"
    other = tmp_path / f".other.yaml.{_dead_process_id()}.abcdefgh.tmp"  # another target's: not ours to clean
    for leftover in (dead, alive, old, recent, other):
        leftover.write_text("half a design", encoding="utf-8")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    save(_relus(1), path)
    assert _folder_listing(tmp_path) == sorted(p.name for p in (path, alive, recent, other))
    assert loads(path.read_bytes()) == _relus(1)


def test_a_layer_name_has_a_length_limit() -> None:
    name = "n" * design_file.MAX_NAME_LENGTH
    assert loads(HEAD + f"layers:\n  - {{type: ReLU, name: {name}}}\n").layers[0].name == name
    long_name = "x" * 100_000
    [message] = refusal(HEAD + "layers:\n  - {type: ReLU, name: a}\n" + f"  - {{type: ReLU, name: {long_name}}}\n")
    assert message == ("bad.yaml:6:24: layer 2: a layer name may be at most 200 characters, but this one has "
                       "100,000 (it starts 'xxxxxxxxxxxxxxxxxxxxxxxx')")


def test_the_non_printable_set_is_pyyamls_at_every_code_point() -> None:
    """The file check's character set (written as the ranges left out, to compile quickly) refuses exactly
    the characters PyYAML's reader refuses."""
    from yaml.reader import Reader

    every = "".join(map(chr, range(0x110000)))
    ours = [m.start() for m in design_file._NON_PRINTABLE.finditer(every)]
    assert ours == [m.start() for m in Reader.NON_PRINTABLE.finditer(every)]
    assert len(ours) == 2111  # \x00-\x08, \x0b, \x0c, \x0e-\x1f, \x7f-\x84, \x86-\x9f, the surrogates, \ufffe, \uffff
