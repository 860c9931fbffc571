"""Export a design as one self-contained PyTorch module: the code a PyTorch user would have written by hand.

`export_torch(design)` returns the text of a Python module that imports only torch (and ``OrderedDict``): a
``torch.nn.Module`` subclass named after the design, either an ``nn.Sequential`` subclass whose children are
keyed by the layer names (a straight chain of plain names) or a module with named attributes and a
``forward`` that keeps each tensor a later layer reads in a named variable (a graph: branches, joins, several
outputs), a comment on every layer with the output shape, receptive field and parameter count the engine
computed, and a ``__main__`` block that runs a zeros input and checks every output's shape and the parameter
count.

The module's state_dict keys are the layer names plus the parameter names, in both layouts: a chain's
children are keyed ``conv1`` (``conv1.weight``), and dotted layer names (``layer1.0.conv1``) become nested
``nn.ModuleDict`` blocks (``layer1.0.conv1.weight``), as in the PyTorch model the names come from. A name is
kept as it is where PyTorch accepts it as a key (an ASCII identifier that is no ``nn.Module`` attribute, or
a number); others get a safe variant. Modules the export adds (an explicit pad before a convolution) sit
beside the layer (``conv1_pad``) and never change its parameters' keys.

Choices:

- Arguments equal to PyTorch's defaults (the catalog's ``Argument.default``) are left out; a pooling stride
  equal to its kernel is left out too, as that is what PyTorch's default means. Widths the engine infers
  (``in_channels``, ``num_features``, ``in_features``, ``num_channels``) are always written.
- ``padding='same'`` and ``'valid'`` are written as the strings PyTorch accepts; the paper's ``full``
  padding (relationship 4, d(k - 1) on both sides) is written as that number, which PyTorch expresses.
  Asymmetric ``[low, high]`` padding, which a PyTorch convolution cannot express, becomes an explicit
  ``nn.ZeroPad{n}d`` (``ReflectionPad``/``ReplicationPad``/``CircularPad`` for the other padding modes,
  which pad exactly as the convolution's own ``padding_mode`` does) before the convolution, with padding 0.
- A layer does not run ``inplace`` when its input may share storage with a tensor that is read again later
  or is an output (an in-place activation would change it).

Safety: nothing the user typed is emitted as code. Layer and design names become ASCII identifiers that are
not keywords, builtins, dunders or ``nn.Module`` attributes, made unique; the names themselves, the
description and the engine's messages only appear in comments, with every line break and other
non-printable character escaped. Argument values are the engine-checked numbers and choices, written with
``repr``. The first two lines never hold user text (Python reads an encoding declaration there).
"""

from __future__ import annotations

import builtins
import keyword
import math
import re
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..engine.analysis import Analysis, LayerResult, analyze
from ..engine.arguments import Kind, is_uniform, per_axis
from ..engine.design import NETWORK_INPUT, Design, axis_name
from ..engine.graph import INPUT_INDEX, is_module_path
from ..engine.layers import CATALOG
from ..engine.naming import name_prefix
from .report import field_text, shape_text
from .safe_text import one_line as comment_text


class ExportError(Exception):
    """A design the engine refuses cannot be exported: ``messages`` holds the engine's diagnostic texts."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages) or "the design has errors")


#: The public attributes of ``torch.nn.Module`` (torch 2.x, plus a few device helpers of other versions): a
#: layer attribute of one of these names would break the module. A torch test keeps the list complete.
MODULE_ATTRIBUTES = frozenset("""
    T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda double
    dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter get_submodule half
    hpu ipu load_state_dict modules mps mtia named_buffers named_children named_modules named_parameters
    parameters register_backward_hook register_buffer register_forward_hook register_forward_pre_hook
    register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook
    register_load_state_dict_pre_hook register_module register_parameter register_state_dict_post_hook
    register_state_dict_pre_hook requires_grad_ set_extra_state set_submodule share_memory state_dict to
    to_empty train training type xla xpu zero_grad
""".split())

#: Names the generated code itself uses as variables: never a layer's attribute or variable.
CODE_NAMES = frozenset({"x", "x_input", "self", "torch", "nn", "F", "super", "model", "output", "outputs",
                        "parameters", "p", "OrderedDict"})
#: Attributes of ``nn.ModuleDict``: a block key of one of these names cannot be registered.
MODULE_DICT_ATTRIBUTES = frozenset("clear copy fromkeys get items keys pop popitem setdefault update values".split())
RESERVED = (frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | MODULE_ATTRIBUTES | CODE_NAMES
            | frozenset(dir(builtins)))
#: What a dotted name's first part (a block: an attribute, never a variable) cannot be, so that ``self.model``
#: of pix2pix or CycleGAN keeps its key: keywords and ``nn.Module`` attributes only.
BLOCK_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | MODULE_ATTRIBUTES
#: The public attributes ``nn.Sequential`` adds to ``nn.Module``'s: no key of a chain's child (a torch test
#: keeps the list complete).
SEQUENTIAL_ATTRIBUTES = frozenset({"append", "extend", "insert", "pop"})

MAX_IDENTIFIER = 40
MAX_CLASS_NAME = 60
MAX_SHOWN_NAME = 60
DESCRIPTION_WIDTH = 100

#: The pad layer that pads as a convolution's ``padding_mode`` does (PyTorch's convolution calls F.pad
#: with that mode), by mode.
PAD_MODULES = {"zeros": "ZeroPad", "reflect": "ReflectionPad", "replicate": "ReplicationPad",
               "circular": "CircularPad"}

# -- safe text ------------------------------------------------------------------------------------------

def comment_lines(text: str, width: int) -> list[str]:
    """Multi-line user text as safe comment lines: split at every kind of line break, then wrapped."""
    lines = []
    for line in text.splitlines():
        safe = comment_text(line)
        lines += textwrap.wrap(safe, width, break_on_hyphens=False) or [""]
    return lines


def string_literal(value: str) -> str:
    """A Python string literal of ``value``, made by ``repr`` (double-quoted where that needs no change)."""
    text = repr(value)
    if text.startswith("'") and '"' not in value and "'" not in value:
        text = '"' + text[1:-1] + '"'
    return text


def _ascii_words(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[A-Za-z0-9]+", ascii_text)


def _usable_key(part: str, reserved: frozenset[str]) -> bool:
    """Whether a name (or a dotted name's part) can be used as it is: an ASCII identifier of sensible
    length that is not reserved and does not start with '_'."""
    return (part.isascii() and part.isidentifier() and not part.startswith("_") and len(part) <= MAX_IDENTIFIER
            and part not in reserved)


def attribute_name(name: str, type_name: str, taken: set[str], reserved: frozenset[str] = RESERVED) -> str:
    """A layer's attribute (and variable) name: lower-case ASCII words joined by '_', never a keyword, a
    builtin, an ``nn.Module`` attribute or a name the code uses (``reserved``), never starting with '_' or a
    digit, and not in ``taken`` (which it is added to)."""
    base = "_".join(_ascii_words(name)).lower()[:MAX_IDENTIFIER].strip("_")
    prefix = name_prefix(type_name) if type_name in CATALOG else "layer"
    if not base:
        base = prefix
    elif base[0].isdigit():
        base = f"{prefix}_{base}"
    if base in reserved:
        base += "_"
    return _unique(base, taken)


def class_name(name: str) -> str:
    """The design's name as a CamelCase ASCII class name that is neither a keyword nor a builtin."""
    words = _ascii_words(name)
    base = "".join(w[0].upper() + w[1:] for w in words)[:MAX_CLASS_NAME]
    if not base:
        return "Model"
    if base[0].isdigit():
        base = "Model" + base
    if base in RESERVED or not base.isidentifier():
        base += "Model"
    return base


def _unique(base: str, taken: set[str]) -> str:
    name = base
    n = 2
    while name in taken:
        name = f"{base}_{n}"
        n += 1
    taken.add(name)
    return name


# -- literals -------------------------------------------------------------------------------------------

def literal(value: Any) -> str:
    """A checked argument value as Python source: numbers, booleans, None, choices (via repr), tuples."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f'float("{value}")'  # float("-inf"): -inf is no literal
    if isinstance(value, str):
        return string_literal(value)
    if isinstance(value, (list, tuple)):
        items = [literal(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    raise TypeError(f"cannot write {type(value).__name__} as a literal")


def _collapsed(value: Any) -> Any:
    """One value for every axis written once: (3, 3) -> 3; entries of None are kept as a tuple."""
    if isinstance(value, (list, tuple)) and value and is_uniform(value) and value[0] is not None:
        return value[0]
    return tuple(value) if isinstance(value, list) else value


def _same_value(a: Any, b: Any) -> bool:
    """Equal as PyTorch sees it: 1 and 1.0 are the same number, but True is not the number 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


# -- the plan: what each design layer becomes -----------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One piece of the generated model.

    ``kind`` is "module" (a constructor in ``__init__``, called in ``forward``) or "function" (a tensor
    operation written in ``forward``: ``torch.cat``, ``+``, ``*`` or Reshape's ``view``). ``role`` is "layer"
    for the design layer ``layer_index`` itself and "pad" for the explicit padding written before it.
    ``path`` is the module's name in the model (``enc1``, ``enc1_pad``, ``layer1.0.conv1``): what
    ``model.get_submodule`` takes; ``access`` the expression that reaches it in the code; ``variable``
    names the layer's output in ``forward``. ``comment`` is the comment text, already made safe;
    ``new_blocks`` the lines creating the ``nn.ModuleDict`` blocks the module needs first.
    """

    layer_index: int
    role: str
    kind: str
    code: str
    comment: str
    path: str | None = None
    variable: str | None = None
    access: str | None = None
    new_blocks: tuple[str, ...] = ()


@dataclass(frozen=True)
class TorchPlan:
    """The generated model's structure: how it is laid out and what each design layer became."""

    class_name: str
    layout: str  # "sequential" (a chain) or "attributes" (a graph)
    steps: tuple[Step, ...]
    analysis: Analysis
    notes: tuple[str, ...]
    heading: str  # the column heading of the layer comments

    def layer_steps(self) -> list[Step]:
        return [s for s in self.steps if s.role == "layer"]


@dataclass(frozen=True)
class _Columns:
    """The layer comments as a table: name, output shape, receptive field, parameters."""

    name: int
    shape: int
    field: int
    params: int

    @classmethod
    def of(cls, results: Sequence[LayerResult]) -> _Columns:
        def widest(texts: list[str], heading: str) -> int:
            return max([len(heading), *map(len, texts)])

        return cls(
            min(widest([_shown(r.name) for r in results], "layer"), 24),
            widest([shape_text(r.output_shape) for r in results], "output"),
            widest([field_text(r) for r in results], "field"),
            widest([f"{r.params or 0:,}" for r in results], "params"),
        )

    def heading(self) -> str:
        return f"{'layer':<{self.name}}  {'output':<{self.shape}}  {'field':<{self.field}}  {'params':>{self.params}}"

    def row(self, r: LayerResult, extra: str = "") -> str:
        return (f"{_shown(r.name):<{self.name}}  {shape_text(r.output_shape):<{self.shape}}  "
                f"{field_text(r):<{self.field}}  {r.params or 0:>{self.params},}{extra}")

    def pad_row(self, r: LayerResult, detail: str) -> str:
        return f"{_shown(r.name):<{self.name}}  {detail}"


def _shown(name: str) -> str:
    return comment_text(name, MAX_SHOWN_NAME)


def _labelled(r: LayerResult) -> str:
    """One layer's comment in words, for a line of ``forward``."""
    return f"{_shown(r.name)}: {shape_text(r.output_shape)}, field {field_text(r)}, {r.params or 0:,} params"


def _last_reads(analysis: Analysis) -> dict[int, float]:
    """Layer index (INPUT_INDEX: the network input) -> the index of the last layer that reads its output;
    infinity for the design's outputs, which the caller reads after the model."""
    last: dict[int, float] = {}
    for r in analysis.layers:
        for source in _reads(r):
            last[source] = max(last.get(source, -1), r.index)
    for name in analysis.design.output_names:
        last[analysis.result(name).index] = float("inf")
    return last


def _reads(r: LayerResult) -> tuple[int, ...]:
    """The tensors a layer's ``forward`` line reads: its operands and the layers its arguments name for their
    size (a named pool's indices are a tensor of their own: see `_indices_readers`)."""
    spec = CATALOG[r.type].torch
    return r.inputs + tuple(index for argument, index in r.references if argument != spec.indices_from)


def _indices_readers(analysis: Analysis) -> set[int]:
    """The layers whose module returns its indices too (``return_indices=True``): those a later layer's
    `TorchSpec.indices_from` argument names."""
    return {index for r in analysis.layers for argument, index in r.references
            if argument == CATALOG[r.type].torch.indices_from}


def _unsafe_inplace(analysis: Analysis) -> dict[int, str]:
    """Layers that must not run in place because their input may share storage with a tensor that is read
    again later or is an output (it is that tensor, or reached it only through layers that hand their input
    on: dropout in eval mode, Flatten's view, an in-place activation). Maps the layer index to the name of
    that tensor's layer."""
    last = _last_reads(analysis)
    unsafe: dict[int, str] = {}
    root: dict[int, int] = {INPUT_INDEX: INPUT_INDEX}  # layer -> the first tensor its output may share storage with
    members: dict[int, list[int]] = {INPUT_INDEX: [INPUT_INDEX]}
    for r in analysis.layers:
        if not r.inputs:
            continue
        source = r.inputs[0]
        inplace = bool(r.layer.get("inplace"))
        if inplace:
            live = [k for k in members[root[source]] if last.get(k, -1) > r.index]
            if live:
                unsafe[r.index] = analysis.layers[live[0]].name if live[0] != INPUT_INDEX else NETWORK_INPUT
                inplace = False
        if (inplace or CATALOG[r.type].torch.aliases_input) and not CATALOG[r.type].join:
            root[r.index] = root[source]
            members[root[source]].append(r.index)
        else:
            root[r.index] = r.index
            members[r.index] = [r.index]
    return unsafe


def _inferred_width(result: LayerResult, argument: str) -> int:
    assert result.input_shape is not None
    return result.input_shape[-1] if argument == "in_features" else result.input_shape[0]


def _constructor(result: LayerResult, inplace_allowed: bool, returns_indices: bool = False
                 ) -> tuple[str | None, str, str]:
    """The layer's constructor call (with ``return_indices=True`` when a later layer reads its indices), the
    explicit pad layer before it (or None) and what the pad does."""
    layer = result.layer
    layer_type = CATALOG[layer.type]
    given = layer.arguments
    ndim = len(result.input_shape or ()) - 1
    values: dict[str, Any] = {}
    pad_code = None
    pad_note = ""
    for arg in layer_type.arguments:
        name = arg.name
        if not arg.constructor:  # a parametrization's: written around the module below
            continue
        if arg.inferred and (name not in given or arg.kind != Kind.SHAPE):  # LayerNorm's given shape is kept
            values[name] = _inferred_width(result, name)
            continue
        if name not in given:
            continue
        value = given[name]
        if name == "inplace" and value and not inplace_allowed:
            continue
        if arg.kind == Kind.CONV_PADDING:
            if isinstance(value, str) and value in ("same", "valid"):
                values[name] = value
                continue
            assert result.geometry is not None
            pads = [(g.p_low, g.p_high) for g in result.geometry]
            if all(lo == hi for lo, hi in pads):
                value = tuple(lo for lo, _ in pads)  # also 'full': d(k - 1) on both sides
            else:
                mode = given.get("padding_mode", "zeros")
                flat = tuple(v for pair in reversed(pads) for v in pair)  # PyTorch's order: last axis first
                pad_code = f"nn.{PAD_MODULES[mode]}{ndim}d({literal(flat)})"
                pad_note = ", ".join(f"{axis_name(a, ndim)} {lo}+{hi}" for a, (lo, hi) in enumerate(pads))
                continue
        if name == "padding_mode" and pad_code is not None:
            continue
        if name == "stride" and arg.kind == Kind.OPTIONAL_AXES:  # pooling: the default is the kernel size
            if per_axis(value, ndim) == per_axis(given["kernel_size"], ndim):
                continue
        if arg.kind == Kind.SHAPE:  # sizes, never one per axis; a tuple even for one (nn.Unflatten takes no int)
            value = (value,) if isinstance(value, int) else tuple(value)
        else:
            value = _collapsed(value)
        if _same_value(value, _collapsed(arg.default)):
            continue
        values[name] = value
    parts = []
    positional = layer_type.torch.positional
    keyword_only = False
    for arg in layer_type.arguments:
        if arg.name not in values:
            if arg.name in positional:
                keyword_only = True
            continue
        text = literal(values[arg.name])
        if arg.name in positional and not keyword_only:
            parts.append(text)
        else:
            keyword_only = True
            parts.append(f"{arg.name}={text}")
    if returns_indices:
        parts.append("return_indices=True")
    torch_name = layer_type.torch_name or f"nn.{layer.type}"
    return pad_code, _parametrized(f"{torch_name}({', '.join(parts)})", given), pad_note


def _parametrized(code: str, given: dict[str, Any]) -> str:
    """A module with its weight parametrized, as ``torch.nn.utils.parametrizations`` writes it (dim only when
    the design gives it: PyTorch's default otherwise)."""
    kind = given.get("parametrization", "none")
    if kind == "none":
        return code
    dim = f", dim={literal(given['dim'])}" if "dim" in given else ""
    return f"nn.utils.parametrizations.{kind}({code}{dim})"


def _is_chain(analysis: Analysis) -> bool:
    """A straight chain of plain names: every layer reads the one above, no join, the last layer the only
    output. Written as an ``nn.Sequential`` subclass whose children are keyed by the names."""
    design = analysis.design
    if design.outputs and design.outputs != design.output_names[-1:] or design.output_names != (
            (design.layers[-1].name,) if design.layers else ()):
        return False
    return all(r.inputs == (r.index - 1 if r.index else INPUT_INDEX,) and not _in_forward(r)
               and not r.references and not is_module_path(r.name) for r in analysis.layers)


def _in_forward(r: LayerResult) -> bool:
    """Whether a layer is written as a tensor operation in ``forward`` (a join, Reshape's view, CenterCrop,
    an Upsample to another layer's size), not a module."""
    spec = CATALOG[r.type].torch
    return CATALOG[r.type].join or spec.expression is not None or (spec.functional is not None and bool(r.references))


@dataclass(frozen=True)
class _Place:
    """Where a module lives: its path (what ``get_submodule`` takes), the expression that reaches it in
    the generated code, and the lines that create the blocks it needs first."""

    path: str
    access: str
    new_blocks: tuple[str, ...] = ()


def _top_level(key: str) -> _Place:
    """The place of a module registered on the model itself under ``key``."""
    if key.isidentifier():
        return _Place(key, f"self.{key}")
    return _Place(key, f"getattr(self, {string_literal(key)})")


class _Blocks:
    """Places each layer's module in the model: a plain attribute, or a key in nested ``nn.ModuleDict``
    blocks for a dotted name (so that the state_dict keys are the name). A part that cannot be a key as it
    is (an ``nn.Module`` or ``nn.ModuleDict`` attribute) gets a safe variant, and then its key differs."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken  # the model's attribute names
        self.blocks: dict[str, tuple[str, set[str]]] = {}  # block path -> (access, keys used inside)
        self.top: dict[str, str] = {}  # a dotted name's first part -> its attribute
        self.named: dict[tuple[str, str], str] = {}  # (block path, part as named) -> the inner block's path

    def child(self, name: str, type_name: str) -> str:
        """A chain's child key: the name itself where ``nn.Sequential`` takes it as a key, else a safe
        variant."""
        usable = (_usable_key(name, BLOCK_RESERVED | SEQUENTIAL_ATTRIBUTES) or name.isdigit()) and \
            name not in self.taken
        key = name if usable else attribute_name(name, type_name, self.taken, RESERVED | SEQUENTIAL_ATTRIBUTES)
        self.taken.add(key)
        return key

    def layer(self, name: str, type_name: str) -> _Place:
        if not is_module_path(name):
            if name.isdigit() and name not in self.taken:  # a number keeps its key, as a block's does
                self.taken.add(name)
                return _top_level(name)
            return _top_level(attribute_name(name, type_name, self.taken))
        *block_parts, leaf = name.split(".")
        lines: list[str] = []
        path, access = self._top_block(block_parts[0], lines)
        for part in block_parts[1:]:
            path, access = self._inner(path, access, part, lines, block=True)
        path, access = self._inner(path, access, leaf, lines, block=False)
        return _Place(path, access, tuple(lines))

    def beside(self, place: _Place, suffix: str, type_name: str) -> _Place:
        """A place next to a layer's module for a module the export adds (its explicit pad)."""
        if "." not in place.path:  # a plain attribute
            return _top_level(_unique(f"{place.path}{suffix}", self.taken))
        block, leaf = place.path.rsplit(".", 1)
        return _Place(*self._inner(block, self.blocks[block][0], f"{leaf}{suffix}", [], block=False))

    def _top_block(self, part: str, lines: list[str]) -> tuple[str, str]:
        key = self.top.get(part)
        if key is None:
            usable = (_usable_key(part, BLOCK_RESERVED) or part.isdigit()) and part not in self.taken
            key = part if usable else attribute_name(part, "block", self.taken)
            self.taken.add(key)
            self.top[part] = key
            access = f"self.{key}" if key.isidentifier() else f"getattr(self, {string_literal(key)})"
            lines.append(f"self.{key} = nn.ModuleDict()" if key.isidentifier() else
                         f"self.add_module({string_literal(key)}, nn.ModuleDict())")
            self.blocks[key] = (access, set())
        return key, self.blocks[key][0]

    def _inner(self, parent: str, parent_access: str, part: str, lines: list[str], *, block: bool
               ) -> tuple[str, str]:
        """The path and access of ``part`` inside block ``parent``, creating it as a block when asked."""
        found = self.named.get((parent, part)) if block else None
        if found is not None:
            return found, self.blocks[found][0]
        keys = self.blocks[parent][1]
        key = part if part not in MODULE_ATTRIBUTES | MODULE_DICT_ATTRIBUTES else f"{part}_"
        key = _unique(key, keys)
        path = f"{parent}.{key}"
        access = f"{parent_access}[{string_literal(key)}]"
        if block:
            lines.append(f"{access} = nn.ModuleDict()")
            self.blocks[path] = (access, set())
            self.named[(parent, part)] = path
        return path, access


def torch_plan(design: Design) -> TorchPlan:
    """Analyse a design and lay out its PyTorch model; raise ExportError when the engine refuses it."""
    analysis = analyze(design)
    if not analysis.ok:
        raise ExportError([d.text for d in analysis.errors])
    results = analysis.layers
    chain = _is_chain(analysis)
    unsafe = _unsafe_inplace(analysis)
    columns = _Columns.of(results)

    taken: set[str] = set()
    blocks = _Blocks(taken)
    keys = [blocks.child(r.name, r.type) for r in results] if chain else []  # before the pads take theirs
    steps: list[Step] = []
    notes: list[str] = []
    indices = _indices_readers(analysis)
    for r in results:
        if _in_forward(r):  # never in a chain
            steps.append(Step(r.index, "layer", "function", r.type, _labelled(r),
                              variable=attribute_name(r.name, r.type, taken)))
            continue
        extra = ""
        if r.layer.get("inplace") and r.index in unsafe:
            extra = f"  (not in place: {_shown(unsafe[r.index])} is needed later)"
            notes.append("inplace")
        pad_code, code, pad_note = _constructor(r, r.index not in unsafe, r.index in indices)
        pad_comment = columns.pad_row(r, f"pads {pad_note} (low+high)")
        if not chain:
            place = blocks.layer(r.name, r.type)
            new_blocks = place.new_blocks
            if pad_code is not None:
                pad = blocks.beside(place, "_pad", r.type)
                steps.append(Step(r.index, "pad", "module", pad_code, pad_comment, path=pad.path, access=pad.access,
                                  new_blocks=new_blocks))
                new_blocks = ()
            # a plain attribute's name is its variable's; a dotted or numbered key's parts need not be identifiers
            variable = place.path if place.path.isidentifier() else \
                attribute_name(place.path, r.type, taken)
            steps.append(Step(r.index, "layer", "module", code, columns.row(r, extra), path=place.path,
                              access=place.access, new_blocks=new_blocks, variable=variable))
            continue
        key = keys[r.index]
        if pad_code is not None:
            steps.append(Step(r.index, "pad", "module", pad_code, pad_comment, path=_unique(f"{key}_pad", taken)))
        steps.append(Step(r.index, "layer", "module", code, columns.row(r, extra), path=key))
    if not chain:
        steps = _with_variables(analysis, steps)
    if any(s.role == "pad" for s in steps):
        notes.append("asymmetric")
    if any(r.layer.get("padding") == "full" for r in results):
        notes.append("full")
    return TorchPlan(class_name(design.name), "sequential" if chain else "attributes", tuple(steps), analysis,
                     tuple(dict.fromkeys(notes)),
                     columns.heading())


def _with_variables(analysis: Analysis, steps: list[Step]) -> list[Step]:
    """Name each layer's output in ``forward``: ``x`` where only the next layer reads it (and it is not an
    output), else the variable named as its module (``conv1 = self.conv1(x)``), kept for the layers that
    read it later."""
    last = _last_reads(analysis)
    read_count: dict[int, int] = {}
    for r in analysis.layers:
        for source in _reads(r):
            read_count[source] = read_count.get(source, 0) + 1
    passed_on = {r.index for r in analysis.layers if last.get(r.index) == r.index + 1 and read_count[r.index] == 1}
    return [replace(s, variable="x") if s.role == "layer" and s.layer_index in passed_on else s for s in steps]


# -- writing the module ---------------------------------------------------------------------------------

#: Code lines up to this length get their comments in one column; longer ones just follow with theirs.
COMMENT_COLUMN_LIMIT = 80

NOTE_TEXT = {
    "asymmetric": ["Asymmetric padding ([low, high] per axis) is written as an explicit pad layer before the",
                   "convolution, which then has padding 0: PyTorch's padding argument pads both sides equally."],
    "full": ["'full' padding is written as padding=d*(k-1), the same zeros on both sides."],
    "inplace": ["A layer whose input may share storage with a tensor that is read again later does not run in",
                "place (inplace is left out), so that tensor stays intact."],
}


def _aligned(lines: Sequence[tuple[str, str]], indent: str, heading: str = "") -> list[str]:
    """Code lines with their comments in one column (as far as the column limit allows), under a
    heading comment when one is given."""
    width = max((len(code) for code, comment in lines if comment and len(code) <= COMMENT_COLUMN_LIMIT),
                default=0)
    out = [f"{indent}{' ' * width}  # {heading}".rstrip()] if heading and lines else []
    for code, comment in lines:
        out.append(f"{indent}{code.ljust(width)}  # {comment}".rstrip() if comment else f"{indent}{code}")
    return out


def _dims(shape: tuple[int, ...]) -> str:
    return ", ".join(str(v) for v in shape)


def _header(plan: TorchPlan) -> list[str]:
    analysis = plan.analysis
    design = analysis.design
    output = ", ".join(shape_text(shape) for shape in _output_shapes(analysis))
    lines = [
        f'"""{plan.class_name}: a PyTorch model exported by convdesigner."""',
        "",
        f"# Design: {comment_text(design.name)}",
    ]
    lines += [f"# {line}".rstrip() for line in comment_lines(design.description, DESCRIPTION_WIDTH)]
    lines += [
        "#",
        f"# Input {shape_text(design.input.shape)}, output {output}, "
        f"{analysis.total_params:,} parameters, {analysis.total_macs:,} multiply-accumulates.",
        "# The comments give each layer's output shape (batch left out), its receptive field on the input",
        "# and its parameter count, as convdesigner computed them.",
    ]
    for note in plan.notes:
        lines += [f"# {text}" for text in NOTE_TEXT[note]]
    if analysis.warnings:
        lines.append("# convdesigner's warnings:")
        lines += [f"#   {comment_text(d.text)}" for d in analysis.warnings]
    imports = ["from collections import OrderedDict", ""] if plan.layout == "sequential" and plan.steps else []
    return lines + ["", *imports, "import torch", "from torch import nn", "", ""]


def _sequential_init(plan: TorchPlan) -> list[str]:
    """A chain's ``__init__`` body: its modules handed to ``nn.Sequential`` keyed by the layer names, so
    that ``forward`` is Sequential's own."""
    if not plan.steps:
        return ["        super().__init__()"]
    lines = ["        super().__init__(OrderedDict(["]
    lines += _aligned([(f"({string_literal(s.path or '')}, {s.code}),", s.comment) for s in plan.steps], " " * 12,
                      plan.heading)
    return lines + ["        ]))"]


def _join_expression(type_name: str, operands: list[str]) -> str:
    """A join as the tensor operation its type names (`TorchSpec.operator`)."""
    operator = CATALOG[type_name].torch.operator
    if operator == "cat":
        return f"torch.cat(({', '.join(operands)}), dim=1)"
    return f" {operator} ".join(operands)


def _graph_body(plan: TorchPlan) -> tuple[list[str], list[str]]:
    """A graph's ``__init__`` (after ``super().__init__()``) and ``forward``: each layer's output in ``x`` or
    its named variable (see `_with_variables`), joins written as tensor operations, the outputs returned in
    order."""
    analysis = plan.analysis
    indent = " " * 8
    variables = {s.layer_index: s.variable for s in plan.steps if s.role == "layer"}
    taken = set(variables.values()) | {s.path for s in plan.steps if s.path}  # type: ignore[misc]
    indices = {index: attribute_name(f"{analysis.layers[index].name}_indices", analysis.layers[index].type, taken)
               for index in sorted(_indices_readers(analysis))}
    input_readers = [r.index for r in analysis.layers if INPUT_INDEX in _reads(r)]
    variables[INPUT_INDEX] = "x" if input_readers in ([], [0]) and _reads(analysis.layers[0]).count(INPUT_INDEX) <= 1 \
        else "x_input"
    init_lines: list[tuple[str, str]] = []
    forward_lines: list[tuple[str, str]] = [("x_input = x", "")] if variables[INPUT_INDEX] == "x_input" else []
    outputs = [analysis.result(name).index for name in analysis.design.output_names]
    padded = False
    for s in plan.steps:
        r = analysis.layers[s.layer_index]
        init_lines += [(line, "") for line in s.new_blocks]
        if s.kind == "module":
            # a top-level key that is no identifier (a number) is registered by name; a block's key by its subscript
            by_name = s.path is not None and "." not in s.path and not s.path.isidentifier()
            init_lines.append((f"self.add_module({string_literal(s.path)}, {s.code})" if by_name else
                               f"{s.access} = {s.code}", s.comment))
        operands = [variables[i] for i in r.inputs]
        if s.role == "pad":
            forward_lines.append((f"x = {s.access}({operands[0]})", ""))
            padded = True
            continue
        spec = CATALOG[r.type].torch
        args = {**r.layer.arguments, **{argument: indices[i] if argument == spec.indices_from else variables[i]
                                        for argument, i in r.references}}  # the named layers' variables
        if s.kind == "module":
            call = spec.call(operands[0], args) if spec.call is not None else operands[0]
            expression = f"{s.access}({'x' if padded else call})"
        elif CATALOG[r.type].join:
            expression = _join_expression(r.type, operands)
        elif spec.expression is not None:
            expression = spec.expression(operands[0], args)
        else:
            expression = spec.functional(operands[0], args)  # type: ignore[misc]
        padded = False
        comment = s.comment if s.kind == "function" else ""
        if outputs == [r.index] and r.index == len(analysis.layers) - 1:
            forward_lines.append((f"return {expression}", comment))
            return _aligned(init_lines, indent, plan.heading), _aligned(forward_lines, indent)
        target = f"{variables[r.index]}, {indices[r.index]}" if r.index in indices else variables[r.index]
        forward_lines.append((f"{target} = {expression}", comment))
    returned = ", ".join(variables[i] for i in outputs)
    return _aligned(init_lines, indent, plan.heading), _aligned(forward_lines + [(f"return {returned}", "")], indent)


#: The self-check's batch: two samples, because with one PyTorch refuses normalisation that has a single
#: value to average (BatchNorm without running statistics, or GroupNorm, on a 1x1 map), which is a property of
#: the batch, not of the design.
CHECK_BATCH = 2


def _output_shapes(analysis: Analysis) -> list[tuple[int, ...]]:
    return [shape or analysis.design.input.shape for _, shape in analysis.outputs] or [analysis.design.input.shape]


def _main_block(plan: TorchPlan) -> list[str]:
    analysis = plan.analysis
    design = analysis.design
    shapes = _output_shapes(analysis)
    params = analysis.total_params
    lines = [
        'if __name__ == "__main__":',
        f"    model = {plan.class_name}().eval()",
        "    with torch.no_grad():",
    ]
    if len(shapes) == 1:
        expected = literal((CHECK_BATCH, *shapes[0]))
        lines += [
            f"        output = model(torch.zeros({_dims((CHECK_BATCH, *design.input.shape))}))",
            "    parameters = sum(p.numel() for p in model.parameters())",
            f'    assert tuple(output.shape) == {expected}, f"output shape {{tuple(output.shape)}}, expected {expected}"',
        ]
        shown = " {tuple(output.shape)}"
    else:
        expected = literal(tuple((CHECK_BATCH, *shape) for shape in shapes))
        lines += [
            f"        outputs = model(torch.zeros({_dims((CHECK_BATCH, *design.input.shape))}))",
            "    parameters = sum(p.numel() for p in model.parameters())",
            "    shapes = tuple(tuple(output.shape) for output in outputs)",
            f'    assert shapes == {expected}, f"output shapes {{shapes}}, expected {expected}"',
        ]
        shown = "s {shapes}"
    return lines + [
        f'    assert parameters == {params}, f"{{parameters:,}} parameters, expected {params:,}"',
        f'    print(f"OK: output{shown}, {{parameters:,}} parameters")',
    ]


def render(plan: TorchPlan) -> str:
    """The module text of a plan."""
    analysis = plan.analysis
    design = analysis.design
    shapes = _output_shapes(analysis)
    outputs = ", ".join(f"(N, {_dims(shape)})" for shape in shapes)
    returns = "torch.Tensor" if len(shapes) == 1 else f"tuple[{', '.join(['torch.Tensor'] * len(shapes))}]"
    lines = _header(plan)
    for helper in dict.fromkeys(CATALOG[r.type].torch.helper for r in analysis.layers):
        lines += [helper, "", ""] if helper else []
    lines += [
        f"class {plan.class_name}(nn.{'Sequential' if plan.layout == 'sequential' else 'Module'}):",
        f'    """Input (N, {_dims(design.input.shape)}) -> output{"s" if len(shapes) > 1 else ""} {outputs}; '
        f'{analysis.total_params:,} parameters."""',
        "",
        "    def __init__(self) -> None:",
    ]
    if plan.layout == "sequential":
        lines += _sequential_init(plan)
    else:
        init, forward = _graph_body(plan)
        lines += ["        super().__init__()", *init, "",
                  f"    def forward(self, x: torch.Tensor) -> {returns}:", *forward]
    lines += ["", "", *_main_block(plan)]
    return "\n".join(lines) + "\n"


def export_torch(design: Design) -> str:
    """The design as one self-contained PyTorch module (Python source that imports only torch).

    Raises ExportError with the engine's messages when the design has errors."""
    return render(torch_plan(design))


__all__ = ["ExportError", "Step", "TorchPlan", "attribute_name", "class_name", "comment_text", "export_torch",
           "render", "torch_plan"]
