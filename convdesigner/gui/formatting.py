"""How engine values read in the window: shapes, counts, bytes, fractions and layer arguments.

Display only: every number shown here was computed by the engine; this module only writes it down.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..engine.layers import CATALOG

if TYPE_CHECKING:
    from ..engine.analysis import Analysis

#: float32: four bytes per activation (the README's definition of activation memory).
BYTES_PER_ACTIVATION = 4


def total_memory(analysis: Analysis) -> int:
    """The design's activation memory for one sample, in bytes (the status bar's and the parameters dock's
    total)."""
    return analysis.total_activations * BYTES_PER_ACTIVATION

#: The paper's letters for the window arguments in the stack's "Arguments" column (a: output padding).
_LETTERS = {"kernel_size": "k", "stride": "s", "padding": "p", "dilation": "d", "output_padding": "a",
            "scale_factor": "×"}


#: Where the app offers what a command of the command line does (the engine's messages name the command).
COMMANDS_IN_APP = {"sizes": "Layer > Valid Input Sizes", "solve": "Layer > Solve Padding",
                   "mirror": "Layer > Mirror as Decoder", "inspect": "the analysis docks",
                   "export": "File > Export"}
_COMMAND = re.compile(r"`convdesigner (\w+)[^`]*`")


def app_text(text: str) -> str:
    """An engine message as the app says it: a pointer to a command ("`convdesigner sizes FILE` lists them")
    becomes the menu that does the same ("Layer > Valid Input Sizes lists them")."""
    return _COMMAND.sub(lambda m: COMMANDS_IN_APP.get(m.group(1), "the app"), text)


#: Engine warnings that are true of a layout by design, not a mistake: the app shows them as notes (no warning
#: mark) with why they are expected.
EXPECTED = {
    "field-offset": "expected where an encoder pools (or strides) down and a decoder up-samples back, as in a "
                        "U-Net: the decoder's receptive fields sit half a stride away from the encoder's it joins, "
                        "which the following convolutions absorb; not a mistake",
}


def warnings_of(diagnostics) -> list:
    """The warnings that need attention (not the EXPECTED notes, nor information)."""
    return [d for d in diagnostics if d.severity == "warning" and d.rule not in EXPECTED]


def note_text(diagnostic) -> str:
    """How a diagnostic reads in a list: "Warning: ...", or for information and an expected warning "Note: ..."
    (with why it is expected)."""
    if diagnostic.rule in EXPECTED:
        return f"Note: {app_text(diagnostic.text)} ({EXPECTED[diagnostic.rule]})"
    if diagnostic.severity == "info":
        return f"Note: {app_text(diagnostic.text)}"
    return ("" if diagnostic.severity == "error" else "Warning: ") + app_text(diagnostic.text)


def subtitle(type_name: str, layer_args: dict[str, Any]) -> str:
    """A layer type's one-line summary for this layer: "2-D convolution (set dilation for a dilated
    convolution)" becomes "2-D convolution, dilated (d = 2)" once the layer sets a dilation."""
    layer_type = CATALOG.get(type_name)
    if layer_type is None:
        return "unknown layer type"
    summary = layer_type.summary
    dilation = layer_args.get("dilation")
    dilated = dilation is not None and any(v != 1 for v in (dilation if isinstance(dilation, tuple) else (dilation,)))
    if dilated and "(set dilation" in summary:
        summary = f"{summary.split(' (set dilation')[0]}, dilated (d = {value_text(dilation)})"
    return summary


def shape_text(shape: tuple[int, ...] | None) -> str:
    """64×56×56 (channels first); an em dash when there is none."""
    if shape is None:
        return "—"
    return "×".join(str(v) for v in shape)


def compact(n: int | None) -> str:
    """A count in a few characters: 950, 12.3 k, 4.56 M, 1.2 G."""
    if n is None:
        return "—"
    for limit, suffix in ((10**12, " T"), (10**9, " G"), (10**6, " M"), (10**3, " k")):
        if abs(n) >= limit:
            value = n / limit
            digits = 2 if value < 10 else 1 if value < 100 else 0
            return f"{value:.{digits}f}{suffix}"
    return str(n)


def grouped(n: int | None) -> str:
    """An exact count with thin spaces between thousands: 1 234 567."""
    if n is None:
        return "—"
    return f"{n:,}".replace(",", "\u2009")


def bytes_text(n: int | None) -> str:
    """A byte count in binary units: 512 B, 3.1 KiB, 12.0 MiB."""
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def number(value: Fraction | int | float | None) -> str:
    """An exact number: 3, 1/2, 3.5 (a fraction with a short decimal form is written as a decimal)."""
    if value is None:
        return "—"
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        if value.denominator in (2, 4, 5, 8, 10):
            return f"{float(value):g}"
        return f"{value.numerator}/{value.denominator}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def fraction(value: Any) -> str:
    """An exact number always as a fraction when it is not whole: 3, 1/2, -3/4, 1/3 (the receptive-field
    jumps and starts are written one way, never 0.5 beside 1/3)."""
    if value is None:
        return "—"
    if type(value) is not Fraction:
        value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def per_axis(values: tuple[Any, ...] | None, joiner: str = "×", text=number) -> str:
    """One value per spatial axis, joined ("3×5"), or written once when every axis has the same ("3")."""
    if values is None:
        return "—"
    if values and values.count(values[0]) == len(values):  # (count: equal axes are often the same object)
        return text(values[0])
    return joiner.join(text(v) for v in values)


def value_text(value: Any) -> str:
    """An argument's value as typed: 3, 3×5, [1,2]/[0,0], same, true."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        if value and all(isinstance(v, tuple) for v in value):
            return "/".join("[" + ",".join(str(w) for w in v) + "]" for v in value)
        return "×".join("·" if v is None else value_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def arguments_text(layer_type_name: str, args: tuple[tuple[str, Any], ...], inputs: tuple[str, ...] = ()) -> str:
    """The arguments a layer sets, briefly, in the paper's letters: '512 ch, k4 s2 p1, bias false';
    the layers it reads first, where it names them: '← conv2' or '← a, b'."""
    layer_type = CATALOG.get(layer_type_name)
    order = {n: i for i, n in enumerate(layer_type.argument_names)} if layer_type else {}
    head, letters, rest = [], [], []
    if inputs:
        head.append(f"← {', '.join(inputs)}")
    for key, value in sorted(args, key=lambda kv: order.get(kv[0], len(order))):
        if key == "inplace":
            continue
        elif key == "out_channels":
            head.append(f"{value_text(value)} ch")
        elif key == "out_features":
            head.append(f"{value_text(value)} out")
        elif key in _LETTERS:
            letters.append(f"{_LETTERS[key]}{value_text(value)}")
        else:
            rest.append("no bias" if key == "bias" and value is False else f"{key} {value_text(value)}")
    parts = head + ([" ".join(letters)] if letters else []) + rest
    return ", ".join(parts)
