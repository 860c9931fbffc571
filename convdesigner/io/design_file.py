"""The design file: YAML, format version 1.

```yaml
convdesigner: 1            # format and version
name: Generator            # the design's name (the exported class name, sanitised)
description: ...           # optional free text
input: {channels: 100, size: [1, 1]}
layers:
  - {type: ConvTranspose2d, name: up1, out_channels: 512, kernel_size: 4, bias: false}
```

Loading parses with PyYAML's safe composer only, walks the node tree itself (so anchors and aliases cannot
expand without bound and nesting cannot recurse without bound) and checks every key and value against
the engine's layer catalog. Every problem is reported with file, line and column. The schema checks
types and ranges; the engine's rules (a kernel larger than its input, ...) are left to the analysis, so a
design that breaks them still opens and shows where it goes wrong.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..engine.analysis import check_arguments
from ..engine.arguments import MAX_INT, describe
from ..engine.design import Design, InputSpec, Layer
from ..engine.layers import CATALOG, did_you_mean
from ..engine.naming import generated_name

FORMAT_KEY = "convdesigner"
FORMAT_VERSION = 1
TOP_KEYS = ("convdesigner", "name", "description", "input", "layers")
INPUT_KEYS = ("channels", "size")

#: Limits that keep a hostile file from exhausting time or memory.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_NODES = 200_000  # values after aliases are followed
MAX_DEPTH = 24
MAX_LAYERS = 100_000
MAX_ERRORS = 20


@dataclass(frozen=True)
class Problem:
    """One problem in a design file, at a 1-based line and column (0: unknown)."""

    message: str
    line: int = 0
    column: int = 0


class DesignFileError(Exception):
    """A design file that cannot be read: every problem with its place."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(self.text)

    @property
    def text(self) -> str:
        return "\n".join(self.format(p) for p in self.problems)

    def format(self, problem: Problem) -> str:
        where = self.source
        if problem.line:
            where += f":{problem.line}:{problem.column}"
        return f"{where}: {problem.message}"


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0


class _Reader:
    """Turns composed YAML nodes into plain values, keeping each node's place."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.budget = _Budget()
        self.constructor = yaml.constructor.SafeConstructor()

    def problem(self, message: str, node: yaml.Node | None) -> None:
        line = node.start_mark.line + 1 if node is not None else 0
        column = node.start_mark.column + 1 if node is not None else 0
        if len(self.problems) < MAX_ERRORS:
            self.problems.append(Problem(message, line, column))

    def value(self, node: yaml.Node, depth: int = 0) -> Any:
        """The plain value of a node: scalars, lists and dicts only."""
        self.budget.nodes += 1
        if self.budget.nodes > MAX_NODES:
            raise _TooBig(f"the file expands to more than {MAX_NODES:,} values (through YAML aliases?)", node)
        if depth > MAX_DEPTH:
            raise _TooBig(f"values are nested more than {MAX_DEPTH} levels deep", node)
        if isinstance(node, yaml.ScalarNode):
            if node.tag == "tag:yaml.org,2002:int" and len(node.value) > 400:
                raise _TooBig("a number with more than 400 digits", node)
            value = self.constructor.construct_object(node)
            if not isinstance(value, (int, float, str, bool, type(None))):
                self.problem(f"{describe(value)} is not allowed here (only numbers, text, true/false and null)", node)
                return None
            return value
        if isinstance(node, yaml.SequenceNode):
            return [self.value(child, depth + 1) for child in node.value]
        if isinstance(node, yaml.MappingNode):
            result = {}
            for key_node, value_node in node.value:
                key = self.value(key_node, depth + 1)
                if not isinstance(key, str):
                    self.problem(f"keys must be text, not {describe(key)}", key_node)
                    continue
                if key in result:
                    self.problem(f"'{key}' is given twice", key_node)
                result[key] = self.value(value_node, depth + 1)
            return result
        self.problem("unsupported YAML node", node)
        return None


class _TooBig(Exception):
    def __init__(self, message: str, node: yaml.Node | None) -> None:
        super().__init__(message)
        self.node = node


def _decode(data: bytes, source: str) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise DesignFileError(source, [Problem(f"the file is {len(data):,} bytes; a design file may be at most "
                                               f"{MAX_FILE_BYTES:,}")])
    if b"\x00" in data:
        raise DesignFileError(source, [Problem("this is a binary file, not a YAML design")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return_problem = Problem(f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                                 f"{exc.start})", line, 0)
        raise DesignFileError(source, [return_problem]) from None


def _compose(text: str, source: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise DesignFileError(source, [Problem(f"YAML syntax error: {message}", line, column)]) from None
    except yaml.YAMLError as exc:
        raise DesignFileError(source, [Problem(f"YAML error: {exc}")]) from None
    except RecursionError:
        raise DesignFileError(source, [Problem("values are nested too deeply")]) from None


def _child(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None


def _key_node(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node
    return None


def loads(text: str | bytes, source: str = "<design>") -> Design:
    """Parse a design file's text; raise DesignFileError naming every problem with its place."""
    if isinstance(text, bytes):
        text = _decode(text, source)
    root = _compose(text, source)
    reader = _Reader(source)
    try:
        design = _design(reader, root, source)
    except _TooBig as exc:
        reader.problems.insert(0, Problem(str(exc), *(_place(exc.node))))
        design = None
    except RecursionError:
        reader.problems.insert(0, Problem("values are nested too deeply"))
        design = None
    if reader.problems or design is None:
        raise DesignFileError(source, reader.problems or [Problem("not a design file")])
    return design


def _place(node: yaml.Node | None) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (0, 0)


def _design(reader: _Reader, root: yaml.Node | None, source: str) -> Design | None:
    if root is None:
        reader.problem("the file is empty: a design starts with 'convdesigner: 1'", None)
        return None
    if not isinstance(root, yaml.MappingNode):
        reader.problem("a design file is a mapping that starts with 'convdesigner: 1'", root)
        return None
    version_node = _child(root, FORMAT_KEY)
    if version_node is None:
        reader.problem("not a convdesigner design: the 'convdesigner: 1' line is missing", root)
        return None
    version = reader.value(version_node)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        reader.problem(f"'convdesigner' must be the format version 1, not {describe(version)}", version_node)
        return None
    if version > FORMAT_VERSION:
        reader.problem(f"this design uses format version {version}, written by a newer convdesigner; this "
                       f"version reads format {FORMAT_VERSION}: please update convdesigner", version_node)
        return None
    for key_node, _ in root.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key not in TOP_KEYS:
            guess = did_you_mean(str(key), TOP_KEYS)
            hint = f" (did you mean '{guess}'?)" if guess else f"; the keys are {', '.join(TOP_KEYS)}"
            reader.problem(f"unknown key '{key}'{hint}", key_node)
    name = _text(reader, root, "name", default=Path(source).stem if source and not source.startswith("<") else "Design")
    description = _text(reader, root, "description", default="")
    spec = _input(reader, root)
    layers = _layers(reader, root, spec.ndim if spec else 2)
    if spec is None or layers is None:
        return None
    return Design(name, spec, tuple(layers), description)


def _text(reader: _Reader, root: yaml.MappingNode, key: str, default: str) -> str:
    node = _child(root, key)
    if node is None:
        return default
    value = reader.value(node)
    if not isinstance(value, str):
        reader.problem(f"'{key}' must be text, not {describe(value)}", node)
        return default
    return value


def _input(reader: _Reader, root: yaml.MappingNode) -> InputSpec | None:
    node = _child(root, "input")
    if node is None:
        reader.problem("the design needs an 'input' with channels and size, e.g. "
                       "input: {channels: 3, size: [32, 32]}", root)
        return None
    if not isinstance(node, yaml.MappingNode):
        reader.problem("'input' must be a mapping like {channels: 3, size: [32, 32]}", node)
        return None
    for key_node, _ in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key not in INPUT_KEYS:
            guess = did_you_mean(str(key), INPUT_KEYS)
            reader.problem(f"unknown input key '{key}'" + (f" (did you mean '{guess}'?)" if guess else
                                                            "; the keys are channels and size"), key_node)
    channels_node, size_node = _child(node, "channels"), _child(node, "size")
    if channels_node is None or size_node is None:
        reader.problem("'input' needs both channels and size", node)
        return None
    channels = reader.value(channels_node)
    ok = _positive_int(reader, channels, channels_node, "input channels")
    size = reader.value(size_node)
    if isinstance(size, int) and not isinstance(size, bool):
        size = [size]
    if not isinstance(size, list) or not 1 <= len(size) <= 3:
        reader.problem(f"input size must be a list of 1, 2 or 3 sizes (one per spatial axis), not {describe(size)}",
                       size_node)
        return None
    places = size_node.value if isinstance(size_node, yaml.SequenceNode) else [size_node] * len(size)
    for value, place in zip(size, places):
        ok = _positive_int(reader, value, place, "input size") and ok
    return InputSpec(channels, tuple(size)) if ok else None


def _positive_int(reader: _Reader, value: Any, node: yaml.Node, what: str) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        reader.problem(f"{what} must be an integer, not {describe(value)}", node)
        return False
    if not 1 <= value <= MAX_INT:
        reader.problem(f"{what} must be from 1 to {MAX_INT}, not {describe(value)}", node)
        return False
    return True


def _layers(reader: _Reader, root: yaml.MappingNode, ndim: int) -> list[Layer] | None:
    node = _child(root, "layers")
    if node is None:
        return []
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return []
    if not isinstance(node, yaml.SequenceNode):
        reader.problem("'layers' must be a list of layers, each a mapping with a 'type'", node)
        return None
    if len(node.value) > MAX_LAYERS:
        reader.problem(f"the design has {len(node.value):,} layers; at most {MAX_LAYERS:,} are supported", node)
        return None
    raw: list[tuple[yaml.Node, dict[str, Any]]] = []
    for item in node.value:
        value = reader.value(item, depth=2)
        if not isinstance(value, dict):
            reader.problem(f"each layer must be a mapping with a 'type', not {describe(value)}", item)
            continue
        raw.append((item, value))
    names = [v.get("name") for _, v in raw if isinstance(v.get("name"), str)]
    taken = set(names)
    layers: list[Layer] = []
    seen: dict[str, int] = {}
    for position, (item, value) in enumerate(raw, start=1):
        layer = _layer(reader, item, value, ndim, taken, seen, position)
        if layer is not None:
            layers.append(layer)
    return layers


def _layer(reader: _Reader, item: yaml.MappingNode, value: dict[str, Any], ndim: int, taken: set[str],
           seen: dict[str, int], position: int) -> Layer | None:
    type_name = value.get("type")
    if type_name is None:
        reader.problem(f"layer {position} has no 'type' (a PyTorch class name such as Conv2d)", item)
        return None
    if not isinstance(type_name, str) or type_name not in CATALOG:
        guess = did_you_mean(str(type_name), list(CATALOG)) if isinstance(type_name, str) else None
        reader.problem(f"unknown layer type {describe(type_name) if not isinstance(type_name, str) else repr(type_name)}"
                       + (f" (did you mean '{guess}'?)" if guess else ""), _child(item, "type"))
        return None
    name = value.get("name")
    if name is None:
        name = generated_name(type_name, taken)
        taken.add(name)
    elif not isinstance(name, str) or not name.strip():
        reader.problem(f"a layer name must be non-empty text, not {describe(name)}", _child(item, "name"))
        return None
    elif name in seen:
        reader.problem(f"the name '{name}' is already used by layer {seen[name]}", _child(item, "name"))
        return None
    seen[name] = position
    args = {k: v for k, v in value.items() if k not in ("type", "name")}
    layer = Layer.make(type_name, name, args)
    layer_type = CATALOG[type_name]
    for refusal in check_arguments(layer_type, layer, layer_type.ndim or ndim):
        key = refusal.argument
        node = (_key_node(item, key) if refusal.message.startswith(f"{type_name} has no argument")
                else _child(item, key)) if key else item
        hint = f" ({refusal.suggestion})" if refusal.suggestion else ""
        reader.problem(f"{name}: {refusal.message}{hint}", node or item)
    return layer


def load(path: str | os.PathLike[str]) -> Design:
    """Read a design file; raise DesignFileError (also for a file that cannot be read)."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DesignFileError(source, [Problem(f"cannot read the file: {exc.strerror or exc}")]) from None
    return loads(data, source)


# -- writing -----------------------------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


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
    return json.dumps(text, ensure_ascii=False)


def dumps(design: Design) -> str:
    """The canonical design file: what Save writes. One layer per line, keys in the catalog's order."""
    lines = [f"{FORMAT_KEY}: {FORMAT_VERSION}", f"name: {_scalar(design.name)}"]
    if design.description:
        lines.append(f"description: {_scalar(design.description)}")
    lines.append(f"input: {{channels: {design.input.channels}, size: {_scalar(list(design.input.size))}}}")
    if not design.layers:
        lines.append("layers: []")
        return "\n".join(lines) + "\n"
    lines.append("layers:")
    for layer in design.layers:
        layer_type = CATALOG.get(layer.type)
        order = {n: i for i, n in enumerate(layer_type.argument_names)} if layer_type else {}
        items = sorted(layer.args, key=lambda kv: order.get(kv[0], len(order)))
        fields = [f"type: {_scalar(layer.type)}", f"name: {_scalar(layer.name)}"]
        fields += [f"{_scalar(k)}: {_scalar(v)}" for k, v in items]
        lines.append("  - {" + ", ".join(fields) + "}")
    return "\n".join(lines) + "\n"


def write_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Write text to path through a temporary file in the same folder and a rename, so the file on disk
    is either the old one or the new one, never half-written."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o777)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def save(design: Design, path: str | os.PathLike[str]) -> None:
    """Save a design atomically in the canonical format."""
    write_atomically(path, dumps(design))
