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

from dataclasses import dataclass, field
from typing import Any

from ..analysis import Analysis, LayerResult, analyze
from ..arguments import Kind
from ..checks import check_arguments
from ..design import Design, Layer
from ..layers import CATALOG
from ..naming import NameAllocator


class MirrorError(ValueError):
    """The run cannot be mirrored; the message says why, naming the layer."""


@dataclass
class _Decoder:
    """The decoder being built: its layers, the names already taken in the design (with the next number
    per stem, so that each name is found in constant time), the run's spatial rank and the encoder layer
    being mirrored (named when a mirror cannot be written)."""

    names: NameAllocator
    ndim: int
    source: LayerResult | None = None
    layers: list[Layer] = field(default_factory=list)

    def add(self, type_name: str, args: dict[str, Any]) -> None:
        """Append a layer, checked like the engine checks it (`check_arguments`: kinds and ranges, such as
        ``MAX_INT``), so the decoder never holds an argument the engine refuses."""
        layer = Layer.make(type_name, self.names.generated(type_name),
                           {k: v for k, v in args.items() if v is not None})
        problems = check_arguments(CATALOG[type_name], layer, self.ndim)
        if problems:
            where = f"{self.source.name} ({self.source.type})" if self.source is not None else "the run"
            raise MirrorError(f"cannot mirror {where}: its mirror ({type_name}) would be refused: "
                              f"{problems[0].message}")
        self.layers.append(layer)

    def crop(self, ndim: int, crops: list[tuple[int, int]]) -> None:
        """A ZeroPadNd with negative padding, PyTorch's order (last axis first)."""
        if any(low or high for low, high in crops):
            padding = [-v for low, high in reversed(crops) for v in (low, high)]
            self.add(f"ZeroPad{ndim}d", {"padding": padding})


def _copied(layer: Layer, channels: int) -> tuple[str, dict[str, Any]]:
    """A pointwise layer for the decoder: same type and arguments, widths left to inference (a given shape, such
    as LayerNorm's normalized_shape, is kept), adapted to the channels where it runs (`LayerType.copy_arguments`)."""
    layer_type = CATALOG[layer.type]
    inferred = {a.name for a in layer_type.arguments if a.inferred and a.kind != Kind.SHAPE}
    args = {k: v for k, v in layer.args if k not in inferred}
    if layer_type.copy_arguments is not None:
        args = layer_type.copy_arguments(args, channels)
    return layer.type, args


def _ends_spatial_layout(r: LayerResult) -> bool:
    """Whether the spatial layout ends at this layer: it changes the rank (Flatten) or its receptive field
    ends there (Linear mixes the last axis): nothing to mirror from there on."""
    if r.output_shape is None or r.input_shape is None:
        return False
    return len(r.output_shape) != len(r.input_shape) or r.sources is None


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
        if _ends_spatial_layout(r):
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
        layer_type = CATALOG[r.type]
        shape_keeping_join = layer_type.join and r.output_shape == r.input_shape
        if layer_type.pointwise or shape_keeping_join:
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
    decoder = _Decoder(NameAllocator(layer.name for layer in design.layers),
                       len(run[0].input_shape) - 1)  # type: ignore[arg-type]
    blocks = _blocks(run)
    for b in range(len(blocks) - 1, -1, -1):
        r = blocks[b][0]
        decoder.source = r
        rule = CATALOG[r.type].mirror
        if rule is None:
            raise MirrorError(f"{r.name}: a {r.type} cannot be mirrored")
        rule(decoder, r, b == 0)
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
        if _ends_spatial_layout(r):
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
