"""The analysis as plain data: the JSON of ``convdesigner inspect --json`` (a public contract) and the
rows of its table.

JSON, one object: ``{"name", "input": [C, *spatial], "output", "outputs": [{"name", "output"}, ...],
"total_params", "total_macs", "total_activations", "errors": [...], "layers": [...]}``; each layer
``{"name", "type", "inputs": [names], "input", "output", "params", "macs", "activations",
"receptive_field": {"size", "jump", "start", "whole_input"} | null, "equivalent_convolution": {...} | null, "errors": [...],
"warnings": [...], "notes": [...]}``. ``inputs`` names the tensors the layer reads in order (``input``: the
network input); ``output`` is the first of the design's ``outputs``; ``notes`` is information that is not a
problem (a join's fields centred differently). Shapes leave out the batch
axis; per-axis lists hold one value per spatial axis; a fraction (a jump or start after up-sampling) is a
float, a whole number an int; a layer that was not computed has nulls. ``equivalent_convolution`` is given
for transposed convolutions only: ``{"input", "padding": [[low, high], ...], "kernel_size", "dilation",
"stride"}``. The top-level ``errors`` holds every error of the design (the input's, then each layer's, as in
the layers' own ``errors``); for a file that cannot be read, every problem as 'file:line:column: message'
(and, past the loader's MAX_ERRORS, one last 'file: N more problems ...'), with nulls and no layers.
"""

from __future__ import annotations

from fractions import Fraction

from ..engine.analysis import Analysis, LayerResult
from ..engine.design import NETWORK_INPUT
from ..engine.graph import reference_arguments
from .safe_text import MESSAGE_WIDTH, NAME_WIDTH, one_line

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is for type checkers: importing it costs every command ~2 ms
    from typing import Any


def number(value: Fraction | int | None) -> int | float | None:
    """A whole number as int, a fraction as float (JSON has no fractions); a fraction beyond a float's
    range (a jump of 10^312/3 after absurd strides) as the nearest int, which JSON holds exactly."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return value.numerator
        try:
            return float(value)
        except OverflowError:
            return round(value)
    return value


def _shape(shape: tuple[int, ...] | None) -> list[int] | None:
    return list(shape) if shape is not None else None


def _input_names(analysis: Analysis, result: LayerResult) -> list[str]:
    """The names of the tensors a layer reads; as written when its wiring could not be resolved."""
    if not result.inputs:
        return list(result.layer.inputs)
    return [analysis.layers[i].name if i >= 0 else NETWORK_INPUT for i in result.inputs]


def _reference_names(analysis: Analysis, result: LayerResult) -> dict[str, str]:
    """The layers its arguments name (``size_from``, ``indices``), by argument; as written when unresolved."""
    if not result.references:
        return dict(reference_arguments(result.layer))
    return {argument: analysis.layers[i].name if i >= 0 else NETWORK_INPUT for argument, i in result.references}


def layer_record(analysis: Analysis, result: LayerResult) -> dict[str, Any]:
    """One layer's JSON record."""
    rf = result.receptive_field
    equivalent = None
    if result.geometry and result.geometry[0].transposed:
        eq = [g.equivalent for g in result.geometry]
        equivalent = {
            "input": [e.input_size for e in eq],
            "padding": [[e.pad_low, e.pad_high] for e in eq],
            "kernel_size": [e.kernel_size for e in eq],
            "dilation": [e.dilation for e in eq],
            "stride": [e.stride for e in eq],
        }
    return {
        "name": result.name,
        "type": result.type,
        "inputs": _input_names(analysis, result),
        "references": _reference_names(analysis, result),
        "input": _shape(result.input_shape) if result.computed else None,
        "output": _shape(result.output_shape),
        "params": result.params,
        "macs": result.macs,
        "activations": result.activations,
        "receptive_field": None if rf is None else {
            "size": list(rf.size),
            "jump": [number(j) for j in rf.jump],
            "start": [number(s) for s in rf.start],
            "whole_input": list(rf.whole),
        },
        "equivalent_convolution": equivalent,
        "errors": [d.text for d in result.errors],
        "warnings": [d.text for d in result.warnings],
        "notes": [d.text for d in result.infos],
    }


def report(analysis: Analysis) -> dict[str, Any]:
    """The whole analysis as the JSON object ``inspect --json`` prints."""
    design = analysis.design
    return {
        "name": design.name,
        "input": list(design.input.shape),
        "output": _shape(analysis.output_shape),
        "outputs": [{"name": name, "output": _shape(shape)} for name, shape in analysis.outputs],
        "total_params": analysis.total_params,
        "total_macs": analysis.total_macs,
        "total_activations": analysis.total_activations,
        "errors": [d.text for d in analysis.errors],
        "layers": [layer_record(analysis, r) for r in analysis.layers],
    }


def file_error_report(messages: list[str]) -> dict[str, Any]:
    """The JSON ``inspect --json`` prints for a file that cannot be read: the same keys, nulls, and the
    problems (each 'file:line:column: message') in ``errors``."""
    return {"name": None, "input": None, "output": None, "outputs": [], "total_params": None, "total_macs": None,
            "total_activations": None, "errors": list(messages), "layers": []}


def json_text(record: dict[str, Any], ascii_only: bool = False) -> str:
    """``record`` as the indented JSON ``inspect --json`` prints, safe for a terminal: the characters JSON
    leaves raw that a terminal would act on (DEL, C1 controls, bidirectional overrides, U+2028) are written
    as \\u escapes, and with ``ascii_only`` (an output that is not UTF-8) everything beyond ASCII too. The
    data is the same."""
    import json  # only for --json: not at every start of the command line

    text = json.dumps(record, indent=2, ensure_ascii=ascii_only)
    if text.replace("\n", "").isprintable():
        return text
    return "".join(char if char == "\n" or char.isprintable() else _json_escape(char) for char in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def shape_text(shape: tuple[int, ...] | None) -> str:
    return "×".join(map(str, shape)) if shape is not None else "—"


def field_text(result: LayerResult) -> str:
    """The field's size per axis, and "(whole input)" where every unit reads the whole input."""
    rf = result.receptive_field
    if rf is None:
        return "—"
    size = "×".join(map(str, rf.size))
    return f"{size} (whole input)" if rf.whole and all(rf.whole) else size


def count_text(value: int | None) -> str:
    return f"{value:,}" if value is not None else "—"


def table(analysis: Analysis) -> str:
    """The plain-text table ``inspect`` prints: one row per layer, then totals and the diagnostics. User
    text is escaped and shortened (`one_line`), so each layer is one line of bounded width."""
    header = ("#", "name", "type", "output", "field", "params", "MACs", "notes")
    rows = [header]
    for r in analysis.layers:
        notes = "ERROR" if r.errors else (f"{len(r.warnings)} warning" + ("s" if len(r.warnings) > 1 else "")
                                          if r.warnings else ("not computed" if not r.computed else ""))
        rows.append((str(r.index + 1), one_line(r.name, NAME_WIDTH), one_line(r.type, NAME_WIDTH), shape_text(r.output_shape), field_text(r),
                     count_text(r.params), count_text(r.macs), notes))
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    right = {0, 5, 6}
    lines = [f"{one_line(analysis.design.name, NAME_WIDTH)}: input {shape_text(analysis.design.input.shape)}"]
    for n, row in enumerate(rows):
        cells = [cell.rjust(w) if c in right else cell.ljust(w) for c, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(f"output {shape_text(analysis.output_shape)}   parameters {analysis.total_params:,}   "
                 f"MACs {analysis.total_macs:,}   activations {analysis.total_activations:,}")
    for d in analysis.diagnostics:
        lines.append(f"{d.severity}: {one_line(d.text, MESSAGE_WIDTH)}")
    return "\n".join(lines)
