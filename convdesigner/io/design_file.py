"""The design file: YAML, format version 2 (version 1 files load unchanged and mean what they meant).

```yaml
convdesigner: 2            # format and version
name: Generator            # the design's name (the exported class name, sanitised)
description: ...           # optional free text
input: {channels: 100, size: [1, 1]}
outputs: [up1]             # optional: the design's outputs in order (default: the last layer)
layers:
  - {type: ConvTranspose2d, name: up1, out_channels: 512, kernel_size: 4, bias: false}
  - {type: Conv2d, name: side, from: input, out_channels: 8, kernel_size: 1}
  - {type: Add, name: sum, from: [up1, side]}
```

``from`` names a layer's input: one layer above it, or ``input``; absent, the layer just above. A join
(Concat, Add, Mul) takes its operands in order, ``from: [a, b, ...]``, or one name, meaning the layer above
and then that one (version 1's only form). Version 2 adds ``from`` on any layer, join lists, ``outputs``,
``Mul`` and the arguments that name another layer (``size_from: enc1``, ``indices: pool1``: a version 1 file
that uses them is refused); saving writes version 1 when a design uses none of them, so older readers still
open it.

Loading uses PyYAML's safe parser only (libyaml's when available) and builds the node tree from its events
itself, without recursion, so a hostile file is refused while it is read: deeper nesting than MAX_DEPTH,
aliases that expand beyond MAX_NODES values (a "billion laughs"), files over MAX_FILE_BYTES, numbers over
MAX_VALUE. Every key and value is checked against the engine's layer catalog, and every problem is reported
as file:line:column. The schema checks types and ranges; the engine's rules (a kernel larger than its input,
a ``from`` naming no earlier layer, ...) are left to the analysis, so a design that breaks them still opens
and shows where it goes wrong.

Saving writes the canonical form (one layer per line, keys in the catalog's order) atomically.
"""

from __future__ import annotations

import errno
import math
import os
import re
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from ..engine.arguments import MAX_INT, describe, quoted
from ..engine.checks import check_arguments
from ..engine.design import Design, InputSpec, Layer
from ..engine.graph import reference_arguments
from ..engine.layers import CATALOG, did_you_mean
from ..engine.naming import MAX_NAME_LENGTH, NameAllocator

TYPE_CHECKING = False
if TYPE_CHECKING:  # not to read a file: typing (~2 ms), pathlib, tempfile, hashlib (to write or stamp one)
    from pathlib import Path
    from typing import Any, BinaryIO

FORMAT_KEY = "convdesigner"
FORMAT_VERSION = 2
TOP_KEYS = ("convdesigner", "name", "description", "input", "outputs", "layers")
WIRING_KEY = "from"
INPUT_KEYS = ("channels", "size")

#: Limits that keep a hostile file from exhausting time or memory. A design of 10,000 layers in the
#: canonical form takes well under 1 MiB.
MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 200_000  # values, once YAML aliases are followed
MAX_DEPTH = 24
MAX_LAYERS = 100_000
MAX_ERRORS = 20
#: The largest size, width or other number a design file may hold (absolute value). Larger ones are
#: typing slips (a few zeros too many): no tensor that large could be built.
MAX_VALUE = MAX_INT  # the engine's bound on every size and argument
MAX_DIGITS = 400
# MAX_NAME_LENGTH (engine/naming.py, 200 characters): the longest layer name; it keeps every table and message
# that repeats names bounded.

_SEQUENCE_TAG = "tag:yaml.org,2002:seq"
_MAPPING_TAG = "tag:yaml.org,2002:map"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"), (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
         (b"\xef\xbb\xbf", "utf-8-sig", "UTF-8"), (b"\xff\xfe", "utf-16-le", "UTF-16"),
         (b"\xfe\xff", "utf-16-be", "UTF-16"))
#: What YAML does not allow in a file, unescaped: the complement of YAML 1.1's printable set (as PyYAML's
#: reader checks it: \x09 \x0a \x0d \x20-\x7e \x85 \xa0-\ud7ff \ue000-\ufffd \U00010000-\U0010ffff), written
#: as the few ranges left out, which compile in a seventh of the time (every command that reads a file pays it).
_NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Problem:
    """One problem in a design file, at a 1-based line and column (a whole-file problem is at 1:1)."""

    message: str
    line: int = 1
    column: int = 1


class DesignFileError(Exception):
    """A design file that cannot be read: every problem with its place (at most MAX_ERRORS; ``hidden``
    counts the ones found beyond)."""

    def __init__(self, source: str, problems: list[Problem], hidden: int = 0) -> None:
        self.source = source
        self.problems = problems
        self.hidden = hidden
        super().__init__(self.text)

    @property
    def text(self) -> str:
        return "\n".join(self.messages)

    @property
    def messages(self) -> list[str]:
        """Every problem as 'file:line:column: message', then 'file: N more problems ...' when some were
        not listed."""
        more = [f"{self.source}: {self.hidden} more problem{'s were' if self.hidden > 1 else ' was'} found and "
                f"{'are' if self.hidden > 1 else 'is'} not listed (at most {MAX_ERRORS} are)"] if self.hidden else []
        return [self.format(p) for p in self.problems] + more

    def format(self, problem: Problem) -> str:
        where = self.source
        if problem.line:
            where += f":{problem.line}:{problem.column}"
        return f"{where}: {problem.message}"


# -- composing: the parser's events to a small node tree, every limit checked as the events arrive -----------

class _Node:
    """A composed YAML node: its resolved tag, its value (text for a scalar, a list of nodes for a sequence,
    a list of (key, value) pairs for a mapping) and its 1-based place."""

    __slots__ = ("tag", "value", "line", "column", "size", "height")

    def __init__(self, tag: str, value: Any, line: int, column: int) -> None:
        self.tag = tag
        self.value = value
        self.line = line
        self.column = column
        self.size = 1  # values in this node once aliases are followed
        self.height = 0  # levels of nesting below it


class _Scalar(_Node):
    __slots__ = ()


class _Sequence(_Node):
    __slots__ = ()


class _Mapping(_Node):
    __slots__ = ()


class _Refused(Exception):
    """A problem that stops reading at once (syntax, limits)."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.problem = Problem(message, line, column)


def _place_of(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


class _Composer:
    """Builds the node tree from the parser's events with an explicit stack (no recursion), refusing on the
    spot a file that nests deeper than MAX_DEPTH or whose aliases expand beyond MAX_NODES values."""

    def __init__(self, text: str) -> None:
        loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it
        self.loader = loader_class(text)
        self.anchors: dict[str, _Node] = {}
        self.aliased = False  # whether an alias was followed (for the message of a file with too many values)
        self.problems: list[Problem] = []  # found while composing, not fatal: duplicate keys

    def compose(self) -> _Node | None:
        try:
            loader = self.loader
            loader.get_event()  # stream start
            if loader.check_event(yaml.StreamEndEvent):
                return None
            loader.get_event()  # document start
            root = self._document()
            loader.get_event()  # document end
            if not loader.check_event(yaml.StreamEndEvent):
                line, column = _place_of(loader.peek_event().start_mark)
                raise _Refused("a design file holds one YAML document, but a second one starts here", line, column)
            return root
        finally:
            self.loader.dispose()

    def _document(self) -> _Node:
        loader = self.loader
        stack: list[tuple[_Node, list[_Node], str | None]] = []  # open collections, their children, anchors
        resolved: dict[tuple[str, Any], str] = {}  # a plain scalar's tag, by its text
        total = 0
        while True:
            event = loader.get_event()
            line, column = _place_of(event.start_mark)
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                node, children, anchor = stack.pop()
                node.size = 1 + sum(child.size for child in children)
                node.height = 1 + max((child.height for child in children), default=0)
                node.value = self._pairs(children) if isinstance(node, _Mapping) else children
                if anchor is not None:  # registered at its end: an alias inside itself is refused
                    self.anchors[anchor] = node
                done = node
            elif isinstance(event, yaml.AliasEvent):
                target = self.anchors.get(event.anchor)
                if target is None:
                    raise _Refused(f"the alias *{event.anchor} names no complete anchor &{event.anchor} before it",
                                   line, column)
                if len(stack) + target.height > MAX_DEPTH:
                    raise _Refused(f"values are nested more than {MAX_DEPTH} levels deep", line, column)
                self.aliased = True
                total += target.size
                done = target
            elif isinstance(event, yaml.ScalarEvent):
                total += 1
                tag = event.tag
                if tag is None or tag == "!":
                    key = (event.value, event.implicit)
                    tag = resolved.get(key) if len(event.value) <= 64 else None
                    if tag is None:
                        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                        if len(event.value) <= 64:
                            resolved[key] = tag  # layer lines repeat the same few words
                done = _Scalar(tag, event.value, line, column)
                if event.anchor is not None:
                    self.anchors[event.anchor] = done
            else:  # the start of a sequence or mapping
                total += 1
                if len(stack) >= MAX_DEPTH:
                    raise _Refused(f"values are nested more than {MAX_DEPTH} levels deep", line, column)
                kind = _Sequence if isinstance(event, yaml.SequenceStartEvent) else _Mapping
                tag = event.tag if event.tag not in (None, "!") else (
                    _SEQUENCE_TAG if kind is _Sequence else _MAPPING_TAG)
                stack.append((kind(tag, None, line, column), [], event.anchor))
                continue
            if total > MAX_NODES:
                through = " once its YAML aliases are followed" if self.aliased else ""
                raise _Refused(f"the file holds more than {MAX_NODES:,} values{through}", line, column)
            if not stack:
                return done
            stack[-1][1].append(done)

    def _pairs(self, children: list[_Node]) -> list[tuple[_Node, _Node]]:
        pairs = list(zip(children[0::2], children[1::2]))
        seen: set[str] = set()
        for key, _ in pairs:
            if isinstance(key, _Scalar):
                if key.value in seen:
                    self.problems.append(Problem(f"'{key.value}' is given twice", key.line, key.column))
                seen.add(key.value)
        return pairs


def _compose(text: str, source: str) -> tuple[_Node | None, list[Problem]]:
    composer = _Composer(text)
    try:
        return composer.compose(), composer.problems
    except _Refused as refused:
        raise DesignFileError(source, [refused.problem]) from None
    except yaml.MarkedYAMLError as exc:
        line, column = _place_of(exc.problem_mark or exc.context_mark)
        message = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
        raise DesignFileError(source, [Problem(f"YAML syntax error: {message}", line, column)]) from None
    except yaml.reader.ReaderError as exc:
        line, column = _text_place(text, exc.position)
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise DesignFileError(source, [Problem(f"the character U+{ord(character):04X} is not allowed in a YAML "
                                               "file", line, column)]) from None
    except yaml.YAMLError as exc:
        raise DesignFileError(source, [Problem(f"YAML error: {exc}")]) from None


def _text_place(text: str, position: int) -> tuple[int, int]:
    """The 1-based line and column of a character offset."""
    line_start = text.rfind("\n", 0, position) + 1
    return text.count("\n", 0, position) + 1, position - line_start + 1


def _bytes_place(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


# -- reading values ------------------------------------------------------------------------------------------

_INVALID = object()  # a value already reported as a problem


class _Reader:
    """Turns composed nodes into plain values (numbers, text, booleans, null, lists, dicts), reporting what
    is not allowed with its place."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.reported = 0  # every problem, also those past MAX_ERRORS
        self.constructor = yaml.constructor.SafeConstructor()

    def problem(self, message: str, node: _Node | None) -> None:
        self.reported += 1
        if len(self.problems) < MAX_ERRORS:
            line, column = (node.line, node.column) if node is not None else (1, 1)
            self.problems.append(Problem(message, line, column))

    def value(self, node: _Node) -> Any:
        """The plain value of a node; _INVALID (already reported) for what a design may not hold."""
        if isinstance(node, _Scalar):
            return self._scalar(node)
        if isinstance(node, _Sequence):
            if node.tag != _SEQUENCE_TAG:
                self.problem(f"the tag {node.tag} is not allowed in a design file", node)
                return _INVALID
            return [self.value(child) for child in node.value]
        if node.tag != _MAPPING_TAG:
            self.problem(f"the tag {node.tag} is not allowed in a design file", node)
            return _INVALID
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self.problem("YAML merge keys (<<) are not supported in a design file: write the keys out", key_node)
                continue
            key = self.value(key_node)
            if key is _INVALID:
                continue
            if not isinstance(key, str):
                self.problem(f"keys must be text, not {describe(key)}", key_node)
                continue
            result[key] = self.value(value_node)
        return result

    def _scalar(self, node: _Node) -> Any:
        if node.tag == "tag:yaml.org,2002:int" and len(node.value) > MAX_DIGITS:
            self.problem(f"a number with more than {MAX_DIGITS} digits", node)
            return _INVALID
        construct = self.constructor.yaml_constructors.get(node.tag)
        if construct is None:
            self.problem(f"the tag {node.tag} is not allowed in a design file", node)
            return _INVALID
        try:
            value = construct(self.constructor, yaml.ScalarNode(node.tag, node.value))
        except (yaml.YAMLError, ValueError, TypeError, OverflowError):
            self.problem(f"{node.value[:40]!r} cannot be read as a {node.tag.rsplit(':', 1)[-1]}", node)
            return _INVALID
        if not isinstance(value, (int, float, str, bool, type(None))):
            self.problem(f"{describe(value)} is not allowed here (only numbers, text, true/false and null)", node)
            return _INVALID
        return value


def _contains_invalid(value: Any) -> bool:
    if value is _INVALID:
        return True
    if isinstance(value, list):
        return any(_contains_invalid(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_invalid(v) for v in value.values())
    return False


def _numbers_out_of_range(value: Any, node: _Node) -> list[tuple[int | float, _Node]]:
    """Every number in a value (walking lists with their nodes) whose size exceeds MAX_VALUE. Infinities are
    values of their own, which the argument's check accepts (ConstantPad's value) or refuses."""
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [(value, node)] if math.isfinite(value) and abs(value) > MAX_VALUE else []
    if isinstance(value, list) and isinstance(node, _Sequence) and len(node.value) == len(value):
        return [found for v, n in zip(value, node.value) for found in _numbers_out_of_range(v, n)]
    return []


def _out_of_range_text(value: int | float) -> str:
    return f"{describe(value)} is out of range: a design file's numbers are at most {MAX_VALUE:,} in size"


# -- decoding -----------------------------------------------------------------------------------------------

def _decode(data: bytes, source: str) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise DesignFileError(source, [Problem(f"the file is larger than a design file may be ({MAX_FILE_BYTES:,} "
                                               "bytes)")])
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                # utf-8-sig counts from after the mark; the other codecs decode the mark itself
                offset = exc.start + (len(bom) if codec == "utf-8-sig" else 0)
                line, column = _bytes_place(data, offset)
                raise DesignFileError(source, [Problem(f"the file starts as {label} text but byte "
                                                       f"{offset} is not {label}: save it as UTF-8",
                                                       line, column)]) from None
    if data[:2].count(b"\x00") == 1 and data.count(b"\x00") * 3 >= len(data):
        raise DesignFileError(source, [Problem("the file looks like UTF-16 text without a byte-order mark: save it "
                                               "as UTF-8")])
    if b"\x00" in data:
        line, column = _bytes_place(data, data.index(b"\x00"))
        raise DesignFileError(source, [Problem("this is a binary file, not a YAML design (it holds a NUL byte)",
                                               line, column)])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _bytes_place(data, exc.start)
        raise DesignFileError(source, [Problem(f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}): save "
                                               "it as UTF-8", line, column)]) from None


# -- the schema ---------------------------------------------------------------------------------------------

def loads(text: str | bytes, source: str = "<design>") -> Design:
    """Parse a design file's text; raise DesignFileError naming every problem with its place."""
    if isinstance(text, bytes):
        text = _decode(text, source)
    elif len(text) > MAX_FILE_BYTES:
        raise DesignFileError(source, [Problem(f"the text is longer than a design file may be ({MAX_FILE_BYTES:,} "
                                               "characters)")])
    if "\x00" in text:
        line, column = _text_place(text, text.index("\x00"))
        raise DesignFileError(source, [Problem("this is binary data, not a YAML design (it holds a NUL character)",
                                               line, column)])
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        line, column = _text_place(text, bad.start())
        raise DesignFileError(source, [Problem(f"the control character U+{ord(bad.group()):04X} is not allowed in a "
                                               "YAML file (write it as an escape in double quotes)", line, column)])
    root, problems = _compose(text, source)
    reader = _Reader()
    reader.problems.extend(problems)
    design = _design(reader, root, source)
    if reader.problems or design is None:
        hidden = reader.reported - (len(reader.problems) - len(problems))
        raise DesignFileError(source, reader.problems or [Problem("not a design file")], hidden)
    return design


def _child(node: _Mapping, key: str) -> _Node | None:
    for key_node, value_node in node.value:
        if isinstance(key_node, _Scalar) and key_node.value == key:
            return value_node
    return None


def _key_node(node: _Mapping, key: str) -> _Node | None:
    for key_node, _ in node.value:
        if isinstance(key_node, _Scalar) and key_node.value == key:
            return key_node
    return None


def _unknown_keys(reader: _Reader, node: _Mapping, known: tuple[str, ...], what: str) -> None:
    for key_node, _ in node.value:
        key = key_node.value if isinstance(key_node, _Scalar) else None
        if key not in known:
            guess = did_you_mean(str(key), known) if key is not None else None
            hint = f" (did you mean '{guess}'?)" if guess else f"; the keys are {', '.join(known)}"
            reader.problem(f"unknown {what}key {quoted(key)}{hint}" if key is not None else
                           f"{what}keys must be text{hint}", key_node)


def _design(reader: _Reader, root: _Node | None, source: str) -> Design | None:
    if root is None:
        reader.problem("the file is empty: a design starts with 'convdesigner: 2'", None)
        return None
    if not isinstance(root, _Mapping):
        reader.problem("a design file is a mapping that starts with 'convdesigner: 2'", root)
        return None
    version_node = _child(root, FORMAT_KEY)
    if version_node is None:
        reader.problem("not a convdesigner design: the 'convdesigner: 2' line is missing", root)
        return None
    version = reader.value(version_node)
    if version is _INVALID:
        return None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        reader.problem(f"'convdesigner' must be the format version (1 or {FORMAT_VERSION}), not {describe(version)}", version_node)
        return None
    if version > FORMAT_VERSION:
        shown = version if version < 10**6 else describe(version)
        reader.problem(f"this design uses format version {shown}, written by a newer convdesigner; this version "
                       f"reads format {FORMAT_VERSION}: please update convdesigner", version_node)
        return None
    _unknown_keys(reader, root, TOP_KEYS, "")
    fallback = _stem(source) if source and not source.startswith("<") else "Design"
    name = _text(reader, root, "name", default=fallback)
    description = _text(reader, root, "description", default="")
    spec = _input(reader, root)
    outputs = _outputs(reader, root)
    layers = _layers(reader, root, spec.ndim if spec else 2, version)
    if spec is None or layers is None:
        return None
    return Design(name, spec, tuple(layers), description, outputs)


def _names(reader: _Reader, node: _Node, what: str, example: str) -> tuple[str, ...] | None:
    """A layer name or a list of them (``from``, ``outputs``); None after reporting a problem."""
    value = reader.value(node)
    if value is _INVALID or _contains_invalid(value):
        return None
    names = value if isinstance(value, list) else [value]
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        reader.problem(f"{what} names layers: {example}, not {describe(value)}", node)
        return None
    return tuple(names)


def _outputs(reader: _Reader, root: _Mapping) -> tuple[str, ...]:
    node = _child(root, "outputs")
    if node is None:
        return ()
    return _names(reader, node, "'outputs'", "outputs: [mu, logvar]") or ()


def _stem(path: str) -> str:
    """A file's name without its last suffix, as ``pathlib.PurePath(path).stem`` gives it (without importing
    pathlib for every load): ``designs/unet.yaml`` -> ``unet``, ``.hidden`` -> ``.hidden``."""
    name = os.path.basename(os.path.normpath(path))
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _text(reader: _Reader, root: _Mapping, key: str, default: str) -> str:
    node = _child(root, key)
    if node is None:
        return default
    value = reader.value(node)
    if value is _INVALID:
        return default
    if not isinstance(value, str):
        reader.problem(f"'{key}' must be text, not {describe(value)}", node)
        return default
    return value


def _input(reader: _Reader, root: _Mapping) -> InputSpec | None:
    node = _child(root, "input")
    if node is None:
        reader.problem("the design needs an 'input' with channels and size, e.g. "
                       "input: {channels: 3, size: [32, 32]}", root)
        return None
    if not isinstance(node, _Mapping):
        reader.problem("'input' must be a mapping like {channels: 3, size: [32, 32]}", node)
        return None
    _unknown_keys(reader, node, INPUT_KEYS, "input ")
    channels_node, size_node = _child(node, "channels"), _child(node, "size")
    if channels_node is None or size_node is None:
        missing = " and ".join(k for k, n in (("channels", channels_node), ("size", size_node)) if n is None)
        reader.problem(f"'input' needs channels and size: {missing} is missing", node)
        return None
    channels = reader.value(channels_node)
    ok = _positive_int(reader, channels, channels_node, "input channels")
    size = reader.value(size_node)
    if size is _INVALID or _contains_invalid(size):
        return None
    if isinstance(size, int) and not isinstance(size, bool):
        size = [size]
    if not isinstance(size, list) or not 1 <= len(size) <= 3:
        reader.problem(f"input size must be a list of 1, 2 or 3 sizes (one per spatial axis), not {describe(size)}",
                       size_node)
        return None
    places = size_node.value if isinstance(size_node, _Sequence) else [size_node] * len(size)
    for value, place in zip(size, places):
        ok = _positive_int(reader, value, place, "input size") and ok
    return InputSpec(channels, tuple(size)) if ok else None


def input_problem(value: Any, what: str) -> str | None:
    """What is wrong with a design's input channels or one of its sizes (``what``), None when nothing: each is a
    whole number from 1 to the engine's bound (the rule a design file's input obeys, and an import's)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return f"{what} must be a whole number, not {describe(value)}"
    limit = min(MAX_INT, MAX_VALUE)
    if not 1 <= value <= limit:
        return f"{what} must be from 1 to {limit:,}, not {describe(value)}"
    return None


def _positive_int(reader: _Reader, value: Any, node: _Node, what: str) -> bool:
    if value is _INVALID:
        return False
    problem = input_problem(value, what)
    if problem is not None:
        reader.problem(problem, node)
    return problem is None


def _layers(reader: _Reader, root: _Mapping, ndim: int, version: int) -> list[Layer] | None:
    node = _child(root, "layers")
    if node is None:
        return []
    if isinstance(node, _Scalar) and node.tag == "tag:yaml.org,2002:null":
        return []
    if not isinstance(node, _Sequence) or node.tag != _SEQUENCE_TAG:
        reader.problem("'layers' must be a list of layers, each a mapping with a 'type'", node)
        return None
    if len(node.value) > MAX_LAYERS:
        reader.problem(f"the design has {len(node.value):,} layers; at most {MAX_LAYERS:,} are supported", node)
        return None
    raw: list[tuple[_Mapping, dict[str, Any]]] = []
    for item in node.value:
        before = reader.reported
        value = reader.value(item)
        if reader.reported > before:
            continue
        if not isinstance(value, dict) or not isinstance(item, _Mapping):
            reader.problem(f"each layer must be a mapping with a 'type', not {describe(value)}", item)
            continue
        raw.append((item, value))
    names = NameAllocator(v["name"] for _, v in raw if isinstance(v.get("name"), str))
    layers: list[Layer] = []
    seen: dict[str, int] = {}
    for position, (item, value) in enumerate(raw, start=1):
        layer = _layer(reader, item, value, ndim, names, seen, position)
        if layer is not None and version < 2:
            for argument, _ in reference_arguments(layer):
                reader.problem(f"{layer.name}: {argument} names another layer, which format version {version} "
                               "cannot say: write 'convdesigner: 2' at the top", _child(item, argument) or item)
        if layer is not None:
            layers.append(layer)
    return layers


def _name_too_long(name: str, position: int) -> str:
    """The message for a layer name over MAX_NAME_LENGTH, echoing only its start."""
    return (f"layer {position}: a layer name may be at most {MAX_NAME_LENGTH} characters, but this one has "
            f"{len(name):,} (it starts {name[:24]!r})")


def _layer(reader: _Reader, item: _Mapping, value: dict[str, Any], ndim: int, names: NameAllocator,
           seen: dict[str, int], position: int) -> Layer | None:
    type_name = value.get("type")
    if type_name is None:
        reader.problem(f"layer {position} has no 'type' (a PyTorch class name such as Conv2d)", item)
        return None
    if not isinstance(type_name, str):
        reader.problem(f"a layer's type is a class name such as Conv2d, not {describe(type_name)}",
                       _child(item, "type"))
        return None
    if type_name not in CATALOG:
        guess = did_you_mean(type_name, list(CATALOG))
        reader.problem(f"unknown layer type {quoted(type_name)}" + (f" (did you mean '{guess}'?)" if guess else ""),
                       _child(item, "type"))
        return None
    name = value.get("name")
    if name is None:
        name = names.generated(type_name)
    elif not isinstance(name, str) or not name.strip():
        reader.problem(f"a layer name must be non-empty text, not {describe(name)}", _child(item, "name"))
        return None
    elif len(name) > MAX_NAME_LENGTH:
        reader.problem(_name_too_long(name, position), _child(item, "name"))
        return None
    elif name in seen:
        reader.problem(f"the name '{name}' is already used by layer {seen[name]}", _child(item, "name"))
        return None
    seen[name] = position
    inputs = _wiring(reader, item, name, CATALOG[type_name].join)
    order = {key: n for n, key in enumerate(CATALOG[type_name].argument_names)}
    given = [key for key in value if key not in ("type", "name", WIRING_KEY)]
    # In the catalog's order, as dumps() writes them, so that a loaded design equals its saved-and-loaded copy.
    args = {key: value[key] for key in sorted(given, key=lambda key: order.get(key, len(order)))}
    out_of_range = set()
    for key, argument in args.items():
        node = _child(item, key)
        for number, place in _numbers_out_of_range(argument, node) if node is not None else []:
            reader.problem(f"{name}: {key}: {_out_of_range_text(number)}", place)
            out_of_range.add(key)
    layer = Layer.make(type_name, name, args, inputs=inputs)
    layer_type = CATALOG[type_name]
    for refusal in check_arguments(layer_type, layer, layer_type.ndim or ndim):
        key = refusal.argument
        if key in out_of_range:
            continue
        node = (_key_node(item, key) if refusal.message.startswith(f"{type_name} has no argument")
                else _child(item, key)) if key else item
        hint = f" ({refusal.suggestion})" if refusal.suggestion else ""
        reader.problem(f"{name}: {refusal.message}{hint}", node or item)
    return layer


def _wiring(reader: _Reader, item: _Mapping, name: str, is_join: bool) -> tuple[str, ...]:
    """A layer's ``from``: one name, or for a join a list of two or more (a one-name list is refused: it
    would read as version 1's "the layer above, then this one")."""
    node = _child(item, WIRING_KEY)
    if node is None:
        return ()
    names = _names(reader, node, f"{name}: 'from'", "from: conv1" + (" or from: [a, b]" if is_join else ""))
    if names is None:
        return ()
    if isinstance(node, _Sequence):
        if not is_join:
            reader.problem(f"{name}: only a join (Concat, Add, Mul) reads several layers; write from: NAME", node)
            return ()
        if len(names) < 2:
            reader.problem(f"{name}: a join's list names two or more layers in order (from: [a, b]); "
                           f"from: {names[0] if names else 'NAME'} joins the layer above with it", node)
            return ()
    return names


def load(path: str | os.PathLike[str]) -> Design:
    """Read a design file; raise DesignFileError (also for a file that cannot be read)."""
    source = str(path)
    try:
        with _open_regular(path, source) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise DesignFileError(source, [Problem(f"the file is {size:,} bytes; a design file may be at most "
                                                       f"{MAX_FILE_BYTES:,}")])
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DesignFileError(source, [Problem(f"cannot read the file: {exc.strerror or exc}")]) from None
    return loads(data, source)


# -- writing -----------------------------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}


_BREAKS = {"\x85", "\u2028", "\u2029", "\ufeff"}  # line breaks to YAML 1.1 (and the byte-order mark)


def _quoted(text: str) -> str:
    """A YAML double-quoted string: everything outside YAML's printable set, the characters YAML folds as
    line breaks, and what a terminal or an editor would act on rather than show (bidirectional overrides and
    other format characters) escaped, so any text loads back and the file shows what it holds. A lone
    surrogate (no UTF-8 for it) becomes U+FFFD."""
    out = []
    for ch in text:
        if "\ud800" <= ch <= "\udfff":
            out.append("\ufffd")
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch in _BREAKS or _NON_PRINTABLE.match(ch) or not ch.isprintable():
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return _quoted(text)


def format_version(design: Design) -> int:
    """The oldest format that holds the design: 1 unless it uses ``outputs``, ``from`` on a layer that is
    not a join, a join's list form, an argument naming another layer, or a type a newer version introduced
    (`LayerType.version`)."""
    version = 2 if design.outputs else 1
    for layer in design.layers:
        layer_type = CATALOG.get(layer.type)
        is_join = layer_type is not None and layer_type.join
        if (layer.inputs and not is_join) or len(layer.inputs) > 1 or reference_arguments(layer):
            version = 2
        if layer_type is not None:
            version = max(version, layer_type.version)
    return version


def dumps(design: Design) -> str:
    """The canonical design file: what Save writes. One layer per line, keys in the catalog's order."""
    lines = [f"{FORMAT_KEY}: {format_version(design)}", f"name: {_scalar(design.name)}"]
    if design.description:
        lines.append(f"description: {_scalar(design.description)}")
    lines.append(f"input: {{channels: {design.input.channels}, size: {_scalar(list(design.input.size))}}}")
    if design.outputs:
        lines.append(f"outputs: {_scalar(list(design.outputs))}")
    if not design.layers:
        lines.append("layers: []")
        return "\n".join(lines) + "\n"
    lines.append("layers:")
    for layer in design.layers:
        layer_type = CATALOG.get(layer.type)
        order = {n: i for i, n in enumerate(layer_type.argument_names)} if layer_type else {}
        items = sorted(layer.args, key=lambda kv: order.get(kv[0], len(order)))
        fields = [f"type: {_scalar(layer.type)}", f"name: {_scalar(layer.name)}"]
        if layer.inputs:
            wiring = layer.inputs[0] if len(layer.inputs) == 1 else list(layer.inputs)
            fields.append(f"{WIRING_KEY}: {_scalar(wiring)}")
        fields += [f"{_scalar(k)}: {_scalar(v)}" for k, v in items]
        lines.append("  - {" + ", ".join(fields) + "}")
    return "\n".join(lines) + "\n"


def write_atomically(path: str | os.PathLike[str], data: str | bytes | Callable[[BinaryIO], None]) -> None:
    """Write ``data`` (text as UTF-8, bytes, or a function writing to a binary stream) to path through a
    temporary file in the same folder and a rename, so the file on disk is either the old one or the new
    one, never half-written. Every output file of the app and the commands is written through here.

    Raises OSError (the target untouched): also for a target that is not a regular file (a FIFO, a device),
    which is refused before anything is written. Temporary files that killed writers left for this target
    are removed (`remove_stale_temporaries`)."""
    import tempfile
    from pathlib import Path

    target = Path(os.path.realpath(path))  # through a symbolic link, so the link stays a link
    check_output_file(target)
    remove_stale_temporaries(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=_TEMPORARY_SUFFIX,
                                         dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            if callable(data):
                data(stream)
            else:
                stream.write(data.encode("utf-8") if isinstance(data, str) else data)
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            mode = target.stat().st_mode & 0o777
        else:  # what open() would have given a new file, not mkstemp's private 0600
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def save(design: Design, path: str | os.PathLike[str]) -> None:
    """Save a design atomically in the canonical format; DesignTooLarge (nothing written) when the file
    would be over the load limit."""
    text = dumps(design)
    check_design_size(text)
    write_atomically(path, text)


# -- what every reader and writer of files checks -----------------------------------------------------------

_TEMPORARY_SUFFIX = ".tmp"
#: A temporary file of an older version (no process id in its name) is stale once it is this old.
_UNOWNED_TEMPORARY_AGE_S = 3600


class DesignTooLarge(ValueError):
    """A design whose file would be over MAX_FILE_BYTES: it could not be opened again, so it is not written."""

    def __init__(self, size: int) -> None:
        self.size = size
        super().__init__(f"the design file would be {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for "
                         "opening a design file, so it was not written (remove layers or split the design)")


def check_design_size(text: str) -> None:
    """Raise DesignTooLarge when ``text`` (a design file, as written) is over the load limit: every writer of
    design files calls this before writing, so whatever is written can be opened."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise DesignTooLarge(size)


def _kind_of(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))
    return next((kind for test, kind in kinds if test(mode)), "a special file")


def not_a_regular_file(path: str | os.PathLike[str]) -> str | None:
    """Why an existing ``path`` may not be read or replaced as a design or output file (a FIFO, a device,
    a folder, ...), or None for a regular file or nothing there. Reading a FIFO would block for ever;
    replacing a device node (as root) would break the system."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return None if stat.S_ISREG(mode) else f"it is {_kind_of(mode)}, not a regular file"


def check_output_file(path: str | os.PathLike[str]) -> None:
    """Raise OSError when ``path`` exists and is not a regular file (nothing is written to it)."""
    why = not_a_regular_file(path)
    if why is not None:
        raise OSError(errno.EINVAL, why, str(path))


def _open_regular(path: str | os.PathLike[str], source: str) -> BinaryIO:
    """Open a regular file for reading without blocking on a FIFO (O_NONBLOCK), then refuse anything that is
    not a regular file: the check and the read concern the same file."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise DesignFileError(source, [Problem(f"cannot read the file: it is {_kind_of(mode)}, not a regular "
                                               "file")])
    return os.fdopen(descriptor, "rb")  # O_NONBLOCK means nothing to a regular file's reads


@dataclass(frozen=True)
class FileStamp:
    """A file as the app last read or wrote it (modification time, size, SHA-256 of its content): Save
    compares it with the file on disk, so a change made by another program is never overwritten unasked."""

    mtime_ns: int
    size: int
    sha256: str

    @staticmethod
    def of(path: str | os.PathLike[str]) -> FileStamp | None:
        """The stamp of a regular file; None when there is none (or it cannot be read)."""
        import hashlib

        try:
            with _open_regular(path, str(path)) as handle:
                status = os.fstat(handle.fileno())
                digest = hashlib.sha256()
                for chunk in iter(lambda: handle.read(1 << 16), b""):
                    digest.update(chunk)
        except (OSError, DesignFileError):
            return None
        return FileStamp(status.st_mtime_ns, status.st_size, digest.hexdigest())

    def changed_on_disk(self, path: str | os.PathLike[str]) -> bool:
        """Whether the file at ``path`` now holds something else: its time or size moved and its content
        differs (a file that is gone has not changed: saving creates it again)."""
        try:
            status = os.stat(path)
        except OSError:
            return False
        if (status.st_mtime_ns, status.st_size) == (self.mtime_ns, self.size):
            return False
        now = FileStamp.of(path)
        return now is None or now.sha256 != self.sha256


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill(pid, 0) would end the process there: assume it is running
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or no permission to ask: alive
        return True
    return True


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove the temporary files a killed writer left for ``target`` (``.NAME.PID.XXXX.tmp`` whose process
    is gone, and older versions' ``.NAME.XXXX.tmp`` over an hour old); the paths removed."""
    from pathlib import Path

    prefix = f".{target.name}."
    removed = []
    try:
        entries = [e for e in os.scandir(target.parent)
                   if e.name.startswith(prefix) and e.name.endswith(_TEMPORARY_SUFFIX)]
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        middle = entry.name[len(prefix):-len(_TEMPORARY_SUFFIX)]
        owner, _, random_part = middle.partition(".")
        try:
            if random_part and owner.isdigit():
                stale = not _process_alive(int(owner))
            else:
                stale = entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > _UNOWNED_TEMPORARY_AGE_S
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed
