"""Export a design as one self-contained PyTorch module: the code a PyTorch user would have written by hand.

`export_torch(design)` returns the text of a Python module that imports only torch: a ``torch.nn.Module``
subclass named after the design, its layers as an ``nn.Sequential`` (a straight stack) or as named
attributes with a ``forward`` that keeps the outputs that ``Concat``/``Add`` join back in, a comment on
every layer with the output shape, receptive field and parameter count the engine computed, and a
``__main__`` block that runs a zeros input and checks the output shape and parameter count.

Choices:

- Arguments equal to PyTorch's defaults (the catalog's ``Argument.default``) are left out; a pooling stride
  equal to its kernel is left out too, as that is what PyTorch's default means. Widths the engine infers
  (``in_channels``, ``num_features``, ``in_features``, ``num_channels``) are always written.
- ``padding='same'`` and ``'valid'`` are written as the strings PyTorch accepts; the paper's ``full``
  padding (relationship 4, d(k - 1) on both sides) is written as that number, which PyTorch expresses.
  Asymmetric ``[low, high]`` padding, which a PyTorch convolution cannot express, becomes an explicit
  ``nn.ZeroPad{n}d`` (``ReflectionPad``/``ReplicationPad``/``CircularPad`` for the other padding modes,
  which pad exactly as the convolution's own ``padding_mode`` does) before the convolution, with padding 0.
- Where a join needs an earlier output later, layers in between do not run ``inplace`` (an in-place
  activation would change the kept tensor: it may be the same storage).

Safety: nothing the user typed is emitted as code. Layer and design names become ASCII identifiers that are
not keywords, builtins, dunders or ``nn.Module`` attributes, made unique; the names themselves, the
description and the engine's messages only appear in comments, with every line break and other
non-printable character escaped. Argument values are the engine-checked numbers and choices, written with
``repr``. The first two lines never hold user text (Python reads an encoding declaration there).
"""

from __future__ import annotations

import builtins
import keyword
import re
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..engine.analysis import Analysis, LayerResult, analyze
from ..engine.arguments import Kind, is_uniform, per_axis
from ..engine.design import Design, axis_name
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
CODE_NAMES = frozenset({"x", "self", "torch", "nn", "F", "super", "model", "output", "parameters", "p"})
RESERVED = (frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | MODULE_ATTRIBUTES | CODE_NAMES
            | frozenset(dir(builtins)))

MAX_IDENTIFIER = 40
MAX_CLASS_NAME = 60
MAX_SHOWN_NAME = 60
DESCRIPTION_WIDTH = 100

#: Leading arguments written positionally, as PyTorch users write them (``nn.Conv2d(3, 64, kernel_size=3)``).
POSITIONAL = {
    **{f"{family}{n}d": names for n in (1, 2, 3) for family, names in (
        ("Conv", ("in_channels", "out_channels")),
        ("ConvTranspose", ("in_channels", "out_channels")),
        ("BatchNorm", ("num_features",)),
        ("InstanceNorm", ("num_features",)),
        ("MaxPool", ("kernel_size",)),
        ("AvgPool", ("kernel_size",)),
        ("AdaptiveAvgPool", ("output_size",)),
        ("AdaptiveMaxPool", ("output_size",)),
        ("ZeroPad", ("padding",)),
        ("Dropout", ("p",)),
    )},
    "GroupNorm": ("num_groups", "num_channels"),
    "Linear": ("in_features", "out_features"),
    "LeakyReLU": ("negative_slope",),
    "Dropout": ("p",),
}

#: The pad layer that pads as a convolution's ``padding_mode`` does (PyTorch's convolution calls F.pad
#: with that mode), by mode.
PAD_MODULES = {"zeros": "ZeroPad", "reflect": "ReflectionPad", "replicate": "ReplicationPad",
               "circular": "CircularPad"}

JOIN_TYPES = ("Concat", "Add")

#: Layers whose output may share storage with their input (measured with torch 2.13 in eval mode; the
#: padding layers are included to be safe).
HANDS_ON_INPUT = frozenset({"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "Flatten", "ZeroPad1d", "ZeroPad2d",
                            "ZeroPad3d"})


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


def attribute_name(name: str, type_name: str, taken: set[str]) -> str:
    """A layer's attribute (and variable) name: lower-case ASCII words joined by '_', never a keyword, a
    builtin, an ``nn.Module`` attribute or a name the code uses, never starting with '_' or a digit, and not
    in ``taken`` (which it is added to)."""
    base = "_".join(_ascii_words(name)).lower()[:MAX_IDENTIFIER].strip("_")
    prefix = name_prefix(type_name) if type_name in CATALOG else "layer"
    if not base:
        base = prefix
    elif base[0].isdigit():
        base = f"{prefix}_{base}"
    if base in RESERVED:
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
        return repr(value)
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
    operation written in ``forward``: ``torch.cat``, ``+`` or ``torch.flatten``). ``role`` is "layer" for
    the design layer ``layer_index`` itself and "pad" for the explicit padding written before it. ``path``
    is the module's name in the model (``layers.3``, ``enc1``): what ``model.get_submodule`` takes;
    ``variable`` names the layer's output in ``forward`` when a join needs it later. ``comment`` is the
    comment text, already made safe.
    """

    layer_index: int
    role: str
    kind: str
    code: str
    comment: str
    path: str | None = None
    variable: str | None = None


@dataclass(frozen=True)
class TorchPlan:
    """The generated model's structure: how it is laid out and what each design layer became."""

    class_name: str
    layout: str  # "sequential", "features-classifier" or "attributes"
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


def _kept_outputs(analysis: Analysis) -> dict[int, int]:
    """Layer index -> index of the last join that needs its output."""
    last_use: dict[int, int] = {}
    for r in analysis.layers:
        if r.joined_index is not None:
            last_use[r.joined_index] = r.index
    return last_use


def _unsafe_inplace(analysis: Analysis) -> dict[int, str]:
    """Layers that must not run in place because their input may share storage with an earlier output a
    join still needs (it is that output, or reached it only through layers that hand their input on:
    dropout in eval mode, Flatten's view, an in-place activation). Maps the layer index to the name of
    that earlier layer."""
    last_use = _kept_outputs(analysis)
    unsafe: dict[int, str] = {}
    aliases: set[int] = set()  # kept layers whose output the running tensor may share storage with
    for r in analysis.layers:
        live = sorted(j for j in aliases if last_use[j] > r.index)
        inplace = bool(r.layer.get("inplace"))
        if inplace and live:
            unsafe[r.index] = analysis.layers[live[0]].name
            inplace = False
        aliases = set(aliases) if inplace or r.type in HANDS_ON_INPUT else set()
        if r.index in last_use:
            aliases.add(r.index)
    return unsafe


def _inferred_width(result: LayerResult, argument: str) -> int:
    assert result.input_shape is not None
    return result.input_shape[-1] if argument == "in_features" else result.input_shape[0]


def _constructor(result: LayerResult, inplace_allowed: bool) -> tuple[str | None, str, str]:
    """The layer's constructor call, the explicit pad layer before it (or None) and what the pad does."""
    layer = result.layer
    layer_type = CATALOG[layer.type]
    given = layer.arguments
    ndim = len(result.input_shape or ()) - 1
    values: dict[str, Any] = {}
    pad_code = None
    pad_note = ""
    for arg in layer_type.arguments:
        name = arg.name
        if arg.inferred:
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
        value = _collapsed(value)
        if _same_value(value, _collapsed(arg.default)):
            continue
        values[name] = value
    parts = []
    positional = POSITIONAL.get(layer.type, ())
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
    torch_name = layer_type.torch_name or f"nn.{layer.type}"
    return pad_code, f"{torch_name}({', '.join(parts)})", pad_note


def _split_at_flatten(analysis: Analysis) -> int | None:
    """The index of the one Flatten that divides a straight stack into features and classifier, written
    ``torch.flatten(x, 1)`` as torchvision does; None when the stack has no such single Flatten."""
    flattens = [r for r in analysis.layers if r.type == "Flatten"]
    if len(flattens) != 1:
        return None
    r = flattens[0]
    if r.layer.get("start_dim", 1) != 1 or r.layer.get("end_dim", -1) not in (-1, len(r.input_shape or ())):
        return None
    if r.index == 0 or r.index == len(analysis.layers) - 1:
        return None
    return r.index


def torch_plan(design: Design) -> TorchPlan:
    """Analyse a design and lay out its PyTorch model; raise ExportError when the engine refuses it."""
    analysis = analyze(design)
    if not analysis.ok:
        raise ExportError([d.text for d in analysis.errors])
    results = analysis.layers
    has_joins = any(r.type in JOIN_TYPES for r in results)
    split = None if has_joins else _split_at_flatten(analysis)
    layout = "attributes" if has_joins else "features-classifier" if split is not None else "sequential"
    unsafe = _unsafe_inplace(analysis) if has_joins else {}
    columns = _Columns.of(results)

    taken: set[str] = set()
    variables = {r.index: attribute_name(r.name, r.type, taken) for r in results} if has_joins else {}
    steps: list[Step] = []
    counters = {"layers": 0, "features": 0, "classifier": 0}
    notes: list[str] = []
    for r in results:
        if r.type in JOIN_TYPES:
            steps.append(Step(r.index, "layer", "function", r.type, _labelled(r), variable=variables[r.index]))
            continue
        if r.index == split:
            steps.append(Step(r.index, "layer", "function", "flatten", _labelled(r)))
            continue
        extra = ""
        if r.layer.get("inplace") and r.index in unsafe:
            extra = f"  (not in place: {_shown(unsafe[r.index])} is needed later)"
            notes.append("inplace")
        pad_code, code, pad_note = _constructor(r, r.index not in unsafe)
        pad_comment = columns.pad_row(r, f"pads {pad_note} (low+high)")
        if has_joins:
            attribute = variables[r.index]
            if pad_code is not None:
                steps.append(Step(r.index, "pad", "module", pad_code, pad_comment,
                                  path=_unique(f"{attribute}_pad", taken)))
            steps.append(Step(r.index, "layer", "module", code, columns.row(r, extra), path=attribute,
                              variable=attribute))
            continue
        container = "layers" if split is None else "features" if r.index < split else "classifier"
        if pad_code is not None:
            steps.append(Step(r.index, "pad", "module", pad_code, pad_comment,
                              path=f"{container}.{counters[container]}"))
            counters[container] += 1
        steps.append(Step(r.index, "layer", "module", code, columns.row(r, extra),
                          path=f"{container}.{counters[container]}"))
        counters[container] += 1
    if any(s.role == "pad" for s in steps):
        notes.append("asymmetric")
    if any(r.layer.get("padding") == "full" for r in results):
        notes.append("full")
    return TorchPlan(class_name(design.name), layout, tuple(steps), analysis, tuple(dict.fromkeys(notes)),
                     columns.heading())


# -- writing the module ---------------------------------------------------------------------------------

#: Code lines up to this length get their comments in one column; longer ones just follow with theirs.
COMMENT_COLUMN_LIMIT = 80

NOTE_TEXT = {
    "asymmetric": ["Asymmetric padding ([low, high] per axis) is written as an explicit pad layer before the",
                   "convolution, which then has padding 0: PyTorch's padding argument pads both sides equally."],
    "full": ["'full' padding is written as padding=d*(k-1), the same zeros on both sides."],
    "inplace": ["A layer whose input may share storage with an output that a later join needs does not run in",
                "place (inplace is left out), so that output stays intact."],
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
    output = analysis.output_shape or design.input.shape
    lines = [
        f'"""{plan.class_name}: a PyTorch model exported by convdesigner."""',
        "",
        f"# Design: {comment_text(design.name)}",
    ]
    lines += [f"# {line}".rstrip() for line in comment_lines(design.description, DESCRIPTION_WIDTH)]
    lines += [
        "#",
        f"# Input {shape_text(design.input.shape)}, output {shape_text(output)}, "
        f"{analysis.total_params:,} parameters, {analysis.total_macs:,} multiply-accumulates.",
        "# The comments give each layer's output shape (batch left out), its receptive field on the input",
        "# and its parameter count, as convdesigner computed them.",
    ]
    for note in plan.notes:
        lines += [f"# {text}" for text in NOTE_TEXT[note]]
    if analysis.warnings:
        lines.append("# convdesigner's warnings:")
        lines += [f"#   {comment_text(d.text)}" for d in analysis.warnings]
    return lines + ["", "import torch", "from torch import nn", "", ""]


def _sequential(plan: TorchPlan, attribute: str, steps: Sequence[Step]) -> list[str]:
    if not steps:
        return [f"        self.{attribute} = nn.Sequential()"]
    lines = [f"        self.{attribute} = nn.Sequential("]
    lines += _aligned([(f"{s.code},", s.comment) for s in steps], " " * 12, plan.heading)
    return lines + ["        )"]


def _body(plan: TorchPlan) -> tuple[list[str], list[str]]:
    """The lines of ``__init__`` (after ``super().__init__()``) and of ``forward``."""
    steps = plan.steps
    indent = " " * 8
    if plan.layout == "sequential":
        return _sequential(plan, "layers", steps), [f"{indent}return self.layers(x)"]
    if plan.layout == "features-classifier":
        flatten = next(s for s in steps if s.kind == "function")
        features = [s for s in steps if s.path and s.path.startswith("features.")]
        classifier = [s for s in steps if s.path and s.path.startswith("classifier.")]
        init = _sequential(plan, "features", features) + _sequential(plan, "classifier", classifier)
        forward = _aligned([("x = self.features(x)", ""), ("x = torch.flatten(x, 1)", flatten.comment),
                            ("return self.classifier(x)", "")], indent)
        return init, forward
    analysis = plan.analysis
    kept = _kept_outputs(analysis)
    by_layer = {s.layer_index: s for s in steps if s.role == "layer"}
    init_lines: list[tuple[str, str]] = []
    forward_lines: list[tuple[str, str]] = []
    current = "x"
    last = len(steps) - 1
    for position, s in enumerate(steps):
        if s.kind == "module":
            init_lines.append((f"self.{s.path} = {s.code}", s.comment))
        if s.role == "pad":
            forward_lines.append((f"x = self.{s.path}({current})", ""))
            current = "x"
            continue
        if s.kind == "module":
            expression = f"self.{s.path}({current})"
        else:
            joined = by_layer[analysis.layers[s.layer_index].joined_index].variable  # type: ignore[index]
            expression = (f"torch.cat(({current}, {joined}), dim=1)" if s.code == "Concat"
                          else f"{current} + {joined}")
        comment = s.comment if s.kind == "function" else ""
        if position == last:
            forward_lines.append((f"return {expression}", comment))
            return _aligned(init_lines, indent, plan.heading), _aligned(forward_lines, indent)
        target = s.variable if s.layer_index in kept else "x"
        assert target is not None
        forward_lines.append((f"{target} = {expression}", comment))
        current = target
    return _aligned(init_lines, indent, plan.heading), _aligned(forward_lines + [(f"return {current}", "")], indent)


#: The self-check's batch: two samples, because with one PyTorch refuses normalisation that has a single
#: value to average (BatchNorm without running statistics, or GroupNorm, on a 1x1 map), which is a property of
#: the batch, not of the design.
CHECK_BATCH = 2


def _main_block(plan: TorchPlan) -> list[str]:
    analysis = plan.analysis
    design = analysis.design
    expected = literal((CHECK_BATCH, *(analysis.output_shape or design.input.shape)))
    params = analysis.total_params
    return [
        'if __name__ == "__main__":',
        f"    model = {plan.class_name}().eval()",
        "    with torch.no_grad():",
        f"        output = model(torch.zeros({_dims((CHECK_BATCH, *design.input.shape))}))",
        "    parameters = sum(p.numel() for p in model.parameters())",
        f'    assert tuple(output.shape) == {expected}, f"output shape {{tuple(output.shape)}}, expected {expected}"',
        f'    assert parameters == {params}, f"{{parameters:,}} parameters, expected {params:,}"',
        '    print(f"OK: output {tuple(output.shape)}, {parameters:,} parameters")',
    ]


def render(plan: TorchPlan) -> str:
    """The module text of a plan."""
    analysis = plan.analysis
    design = analysis.design
    output = analysis.output_shape or design.input.shape
    init, forward = _body(plan)
    lines = _header(plan)
    lines += [
        f"class {plan.class_name}(nn.Module):",
        f'    """Input (N, {_dims(design.input.shape)}) -> output (N, {_dims(output)}); '
        f'{analysis.total_params:,} parameters."""',
        "",
        "    def __init__(self) -> None:",
        "        super().__init__()",
        *init,
        "",
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
        *forward,
        "",
        "",
        *_main_block(plan),
    ]
    return "\n".join(lines) + "\n"


def export_torch(design: Design) -> str:
    """The design as one self-contained PyTorch module (Python source that imports only torch).

    Raises ExportError with the engine's messages when the design has errors."""
    return render(torch_plan(design))


__all__ = ["ExportError", "Step", "TorchPlan", "attribute_name", "class_name", "comment_text", "export_torch",
           "render", "torch_plan"]
