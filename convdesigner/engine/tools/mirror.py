"""Mirror: the decoder that takes an encoder's output back to its input shape, step by step.

For a run of encoder layers, each shape-changing layer is mirrored in reverse order, so that after the
mirror of layer j the tensor has exactly the shape layer j received:

* ``ConvNd`` becomes ``ConvTransposeNd`` with the same kernel, stride, dilation and groups,
  ``out_channels`` = the channels the convolution received, its padding, and the output padding of the
  paper's relationship 14, a = (i + 2p - d(k - 1) - 1) mod s, for the exact size i the convolution saw
  (per axis), so that (o - 1)s - 2p + d(k - 1) + a + 1 = i.
* Asymmetric padding (explicit ``[low, high]`` pairs, ``same`` with an even dilated kernel) has no exact
  transposed convolution, since PyTorch's takes one padding for both sides. Seen as the paper's
  equivalent convolution, the direct convolution pads by (p_low, p_high) and its transpose therefore
  computes the full transposed output and crops p_low units at the low end and p_high at the high end.
  The mirror does exactly that: a transposed convolution with padding q <= min(p_low, ...) and an output
  padding a < max(s, d), followed by ``ZeroPadNd`` with negative padding (a crop) for the remaining
  units; q and a are chosen to leave the smallest crop (often none: q = p_low when p_high - p_low equals
  the unvisited units). ``full`` padding is symmetric and needs no crop.
* ``ConvTransposeNd`` becomes ``ConvNd`` with the same arguments (plus a crop of floor(a / s) units at the
  high end when a large output padding left more than the convolution returns).
* Pooling (max, average, adaptive) becomes ``Upsample`` (nearest): with ``scale_factor`` when the size the
  pooling saw is a whole multiple of its output on every axis (the decoder then follows a change of input
  size), else with ``size``, the exact size the pooling saw.
* ``Upsample`` becomes ``AvgPoolNd`` with ``kernel_size`` = the factor when its output is a whole multiple
  of its input on every axis, else ``AdaptiveAvgPoolNd`` to the exact size it saw.
* ``ZeroPadNd`` becomes ``ZeroPadNd`` with the padding negated (a crop undoes a pad and vice versa).
* ``Concat`` becomes a 1x1 ``ConvNd`` back to the channels it received; ``Add`` keeps the shape and is
  left out.
* Normalisation, activation and dropout layers keep the shape. The decoder revisits, in reverse, every
  tensor the encoder had, and applies there the pointwise layers the encoder applied there: after the
  mirror of layer j come the normalisation, activation and dropout layers that followed the layer before
  j (same types and arguments, widths inferred), at the same shape and channels as in the encoder. So in
  ``conv1 bn relu pool conv2 bn relu`` the decoder is ``convT(conv2) upsample bn relu convT(conv1)``. The
  first layer of the run has nothing before it (it saw the run's input), so the decoder ends without
  normalisation or activation (a linear output: add a Sigmoid or Tanh yourself), and a convolution there
  keeps PyTorch's default bias. Pointwise layers at the start of the run are not repeated.

``Flatten`` and ``Linear`` end the spatial layout, so a run containing them is refused.

On a graph the mirror follows the main path: from the run's last layer back along each layer's first input
(the running tensor; for the whole design, from its first output back to the input). Branches off that path
(a ResNet's projection shortcut, a U-Net's skip source) are left where they are and not mirrored:
`branches_left_out` names them. ``Mul`` keeps the shape like ``Add`` and is left out too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from math import gcd
from typing import Any

from ..analysis import Analysis, LayerResult, analyze
from ..arithmetic import conv_output_size, output_padding_for, transposed_output_size, unvisited_size
from ..checks import check_arguments
from ..design import Design, Layer
from ..layers import CATALOG
from ..naming import generated_name

POINTWISE_FAMILIES = ("Normalisation", "Activation", "Dropout")
CONVOLUTION = "Convolution"
TRANSPOSED = "Transposed convolution"


class MirrorError(ValueError):
    """The run cannot be mirrored; the message says why, naming the layer."""


@dataclass(frozen=True)
class TransposedInverse:
    """How a transposed convolution returns exactly to the size i its direct convolution saw, on one
    axis: its padding and output padding, then a crop of ``crop_low``/``crop_high`` units."""

    padding: int
    output_padding: int
    crop_low: int = 0
    crop_high: int = 0


def transposed_inverse(i: int, k: int, s: int, p_low: int, p_high: int, d: int = 1) -> TransposedInverse:
    """The transposed convolution that undoes, shape for shape, the direct convolution (i, k, s,
    p_low, p_high, d). Symmetric padding: relationship 14 exactly. Asymmetric: the smallest crop (see
    the module docstring); the result is checked against `transposed_output_size`."""
    o = conv_output_size(i, k, s, p_low, p_high, d)
    if p_low == p_high:
        answer = TransposedInverse(p_low, output_padding_for(i, k, s, p_low, d))
    else:
        answer = _asymmetric_inverse(i, k, s, p_low, p_high, d, o)
    restored = transposed_output_size(o, k, s, answer.padding, answer.output_padding, d)
    assert restored - answer.crop_low - answer.crop_high == i, (i, k, s, p_low, p_high, d, answer)
    return answer


def _asymmetric_inverse(i: int, k: int, s: int, p_low: int, p_high: int, d: int, o: int) -> TransposedInverse:
    """The smallest crop for asymmetric padding, in O(1). With output padding a (PyTorch allows
    0 <= a < max(s, d)) the padding is q = min(p_low, p_high - u + a) (u: the unvisited units, so q >= 0
    needs a >= u - p_high) and the crop totals |p_low - p_high + u - a|: it is smallest, ties going to
    the smaller a, for the a that makes the transposed convolution with padding p_low return exactly to i
    (no crop), clamped to the allowed range."""
    unvisited = unvisited_size(i, k, s, p_low, p_high, d)
    exact = i - transposed_output_size(o, k, s, p_low, 0, d)  # = p_low - p_high + unvisited
    a = min(max(exact, unvisited - p_high, 0), max(s, d) - 1)
    q = min(p_low, p_high - unvisited + a)
    return TransposedInverse(q, a, p_low - q, p_high - unvisited + a - q)


@dataclass
class _Decoder:
    """The decoder being built: its layers, the names already taken in the design, the run's spatial
    rank and the encoder layer being mirrored (named when a mirror cannot be written)."""

    taken: set[str]
    ndim: int
    source: LayerResult | None = None
    layers: list[Layer] = field(default_factory=list)

    def add(self, type_name: str, args: dict[str, Any]) -> None:
        """Append a layer, checked like the engine checks it (`check_arguments`: kinds and ranges, such as
        ``MAX_INT``), so the decoder never holds an argument the engine refuses."""
        name = generated_name(type_name, self.taken)
        layer = Layer.make(type_name, name, {k: v for k, v in args.items() if v is not None})
        problems = check_arguments(CATALOG[type_name], layer, self.ndim)
        if problems:
            where = f"{self.source.name} ({self.source.type})" if self.source is not None else "the run"
            raise MirrorError(f"cannot mirror {where}: its mirror ({type_name}) would be refused: "
                              f"{problems[0].message}")
        self.taken.add(name)
        self.layers.append(layer)

    def crop(self, ndim: int, crops: list[tuple[int, int]]) -> None:
        """A ZeroPadNd with negative padding, PyTorch's order (last axis first)."""
        if any(low or high for low, high in crops):
            padding = [-v for low, high in reversed(crops) for v in (low, high)]
            self.add(f"ZeroPad{ndim}d", {"padding": padding})


def _compact(values: Iterable[Any]) -> Any:
    """One value when every axis has the same, else the list."""
    values = list(values)
    return values[0] if len(set(values)) == 1 else values


def _nonzero(values: Iterable[int]) -> Any:
    values = list(values)
    return _compact(values) if any(values) else None


def _family(layer: Layer) -> str:
    layer_type = CATALOG.get(layer.type)
    return layer_type.family if layer_type else ""


def _copied(layer: Layer, channels: int) -> tuple[str, dict[str, Any]]:
    """A pointwise layer for the decoder: same type and arguments, widths left to inference."""
    layer_type = CATALOG[layer.type]
    inferred = {a.name for a in layer_type.arguments if a.inferred}
    args = {k: v for k, v in layer.args if k not in inferred}
    if layer.type == "GroupNorm":
        args["num_groups"] = gcd(args["num_groups"], channels)
    return layer.type, args


def _mirror_convolution(decoder: _Decoder, r: LayerResult, final: bool) -> None:
    assert r.input_shape is not None and r.geometry is not None
    layer = r.layer
    ndim = len(r.input_shape) - 1
    inverses = [transposed_inverse(g.i, g.k, g.s, g.p_low, g.p_high, g.d) for g in r.geometry]
    decoder.add(f"ConvTranspose{ndim}d", {
        "out_channels": r.input_shape[0],
        "kernel_size": layer.get("kernel_size"),
        "stride": layer.get("stride"),
        "padding": _nonzero(x.padding for x in inverses),
        "output_padding": _nonzero(x.output_padding for x in inverses),
        "groups": layer.get("groups"),
        "bias": None if final else layer.get("bias"),
        "dilation": layer.get("dilation"),
    })
    decoder.crop(ndim, [(x.crop_low, x.crop_high) for x in inverses])


def _mirror_transposed(decoder: _Decoder, r: LayerResult, final: bool) -> None:
    assert r.input_shape is not None and r.output_shape is not None and r.geometry is not None
    layer = r.layer
    ndim = len(r.input_shape) - 1
    decoder.add(f"Conv{ndim}d", {
        "out_channels": r.input_shape[0],
        "kernel_size": layer.get("kernel_size"),
        "stride": layer.get("stride"),
        "padding": layer.get("padding"),
        "dilation": layer.get("dilation"),
        "groups": layer.get("groups"),
        "bias": None if final else layer.get("bias"),
    })
    crops = []
    for g, o in zip(r.geometry, r.output_shape[1:]):
        back = conv_output_size(o, g.k, g.s, g.p_low, g.p_low, g.d)
        crops.append((0, back - g.i))
    decoder.crop(ndim, crops)


def _mirror_resampling(decoder: _Decoder, r: LayerResult) -> None:
    """Pooling, up-sampling, zero padding and joins: shape-only layers."""
    assert r.input_shape is not None and r.output_shape is not None
    layer = r.layer
    ndim = len(r.input_shape) - 1
    seen, made = r.input_shape[1:], r.output_shape[1:]
    family = _family(layer)
    if layer.type == "Concat":
        decoder.add(f"Conv{ndim}d", {"out_channels": r.input_shape[0], "kernel_size": 1})
    elif family == "Padding":
        padding = layer.get("padding")
        decoder.add(layer.type, {"padding": -padding if isinstance(padding, int) else [-v for v in padding]})
    elif seen == made:
        return  # a pooling or up-sampling that kept the size: nothing to undo
    elif family == "Pooling":
        if all(i % o == 0 for i, o in zip(seen, made)):
            decoder.add("Upsample", {"scale_factor": _compact(i // o for i, o in zip(seen, made))})
        else:
            decoder.add("Upsample", {"size": _compact(seen)})
    elif layer.type == "Upsample":
        if all(o % i == 0 for i, o in zip(seen, made)):
            decoder.add(f"AvgPool{ndim}d", {"kernel_size": _compact(o // i for i, o in zip(seen, made))})
        else:
            decoder.add(f"AdaptiveAvgPool{ndim}d", {"output_size": _compact(seen)})
    else:
        raise MirrorError(f"{layer.name}: a {layer.type} cannot be mirrored")


def main_path(analysis: Analysis, last: int, first: int = 0) -> list[LayerResult]:
    """The layers from ``last`` back along each layer's first input, down to index ``first``, in computation
    order: the path the mirror follows through a graph (layers whose wiring is unresolved read the one above)."""
    path = []
    index = last
    while index >= first:
        r = analysis.layers[index]
        path.append(r)
        index = r.inputs[0] if r.inputs else index - 1
    return path[::-1]


def branches_left_out(analysis: Analysis, first: int, last: int) -> list[str]:
    """The layers of the run first..last that are off its main path: the mirror leaves them out."""
    on_path = {r.index for r in main_path(analysis, last, first)}
    return [r.name for r in analysis.layers[first:last + 1] if r.index not in on_path]


def _check_run(analysis: Analysis, first: int, last: int) -> list[LayerResult]:
    count = len(analysis.layers)
    if not 0 <= first <= last < count:
        raise MirrorError(f"the run {first + 1}..{last + 1} is not within the design's {count} layers")
    run = main_path(analysis, last, first)
    for r in run:
        if not r.computed:
            problem = next((d.text for d in analysis.errors), f"{r.name} is not computed")
            raise MirrorError(f"cannot mirror {r.name}: the design has an error there or above it ({problem})")
        if _family(r.layer) == "Linear" or len(r.output_shape) != len(r.input_shape):  # type: ignore[arg-type]
            raise MirrorError(f"cannot mirror {r.name} ({r.type}): it ends the spatial layout; mirror the "
                              "layers before it")
        if len(r.input_shape) < 2:  # type: ignore[arg-type]
            raise MirrorError(f"cannot mirror {r.name} ({r.type}): its input has no spatial axes (it comes "
                              "after a Flatten or Linear); mirror the layers before those")
    return run


def _blocks(run: list[LayerResult]) -> list[tuple[LayerResult, list[LayerResult]]]:
    """The run as blocks: a layer that may change the shape, and the pointwise layers right after it.
    Pointwise layers before the first such layer, and joins that keep the shape (``Add``, ``Mul``), start no
    block."""
    blocks: list[tuple[LayerResult, list[LayerResult]]] = []
    for r in run:
        shape_keeping_join = CATALOG[r.type].join and r.output_shape == r.input_shape
        if _family(r.layer) in POINTWISE_FAMILIES or shape_keeping_join:
            if blocks and not shape_keeping_join:
                blocks[-1][1].append(r)
        else:
            blocks.append((r, []))
    return blocks


def mirror_layers(design: Design, first: int, last: int) -> list[Layer]:
    """The decoder for ``design.layers[first..last]`` (inclusive), in the order to append it: from the
    run's output shape back to the shape its first layer receives, step by step in reverse. New names are
    unique in the design. Raises MirrorError when the run cannot be mirrored or changes no shape."""
    run = _check_run(analyze(design), first, last)
    decoder = _Decoder({layer.name for layer in design.layers}, len(run[0].input_shape) - 1)  # type: ignore[arg-type]
    blocks = _blocks(run)
    for b in range(len(blocks) - 1, -1, -1):
        r = blocks[b][0]
        decoder.source = r
        family = _family(r.layer)
        if family == CONVOLUTION:
            _mirror_convolution(decoder, r, final=b == 0)
        elif family == TRANSPOSED:
            _mirror_transposed(decoder, r, final=b == 0)
        else:
            _mirror_resampling(decoder, r)
        if b > 0:
            assert r.input_shape is not None
            for follower in blocks[b - 1][1]:
                decoder.add(*_copied(follower.layer, r.input_shape[0]))
    if not decoder.layers:
        raise MirrorError(f"nothing to mirror: layers {first + 1} to {last + 1} "
                          f"({run[0].name} to {run[-1].name}) change no shape")
    return decoder.layers


def spatial_encoder_end(analysis: Analysis) -> int:
    """How many leading layers the mirror keeps: up to the main path's last layer before its first Flatten or
    Linear (the path from the design's first output back to the input)."""
    outputs = analysis.design.output_names
    if not outputs:
        return 0
    end = 0
    for r in main_path(analysis, analysis.result(outputs[0]).index):
        if _family(r.layer) == "Linear" or (r.computed and len(r.output_shape) != len(r.input_shape)):  # type: ignore[arg-type]
            break
        end = r.index + 1
    return end


def mirror_design(design: Design) -> Design:
    """The design with the mirrored decoder of its whole spatial encoder appended, so that its output
    has the input's shape. The encoder stops before the first Flatten or Linear; the layers from there
    on (a classifier head) are replaced by the decoder. Raises MirrorError for a design with errors or
    nothing to mirror."""
    analysis = analyze(design)
    if not analysis.ok:
        raise MirrorError(f"the design has errors; fix them first ({analysis.errors[0].text})")
    end = spatial_encoder_end(analysis)
    if end == 0:
        what = f"it starts with {design.layers[0].name} ({design.layers[0].type})" if design.layers else \
            "it has no layers"
        raise MirrorError(f"nothing to mirror: {what}")
    decoder = mirror_layers(design, 0, end - 1)
    return design.with_layers(design.layers[:end] + tuple(decoder)).with_outputs(())
