"""Mirror: any valid encoder, mirrored, comes back to its input shape step by step, in the engine and in
PyTorch (modules built directly with torch.nn and run on zeros)."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convdesigner.engine import Design, InputSpec, Layer, analyze, arithmetic, naming
from convdesigner.engine.analysis import Analysis
from convdesigner.engine.arithmetic import (
    TransposedInverse,
    conv_output_size,
    output_padding_for,
    transposed_inverse,
    transposed_output_size,
    unvisited_size,
)
from convdesigner.engine.tools.mirror import (
    MirrorError,
    mirror_design,
    mirror_layers,
    spatial_encoder_end,
)

# ------------------------------------------------------------------------------------------ generation


def _axes(draw: st.DrawFn, ndim: int, lo: int, hi: int) -> int | list[int]:
    if draw(st.booleans()):
        return draw(st.integers(lo, hi))
    return draw(st.lists(st.integers(lo, hi), min_size=ndim, max_size=ndim))


def _padding(draw: st.DrawFn, ndim: int, stride: Any) -> Any:
    forms = ["int", "axes", "pairs", "valid", "full"] + (["same"] if stride == 1 else [])
    form = draw(st.sampled_from(forms))
    if form == "int":
        return draw(st.integers(0, 3))
    if form == "axes":
        return draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim))
    if form == "pairs":
        pair = st.lists(st.integers(0, 3), min_size=2, max_size=2)
        return draw(st.lists(st.one_of(st.integers(0, 3), pair), min_size=ndim, max_size=ndim))
    return form


def _candidate(draw: st.DrawFn, ndim: int, name: str, channels: int) -> list[Layer]:
    kind = draw(st.sampled_from(["conv", "conv", "conv", "pool", "adaptive", "upsample", "pad"]))
    if kind == "conv":
        stride = _axes(draw, ndim, 1, 3)
        groups = draw(st.sampled_from([1, 1, 2])) if channels % 2 == 0 else 1
        args = {"out_channels": draw(st.integers(1, 3)) * groups, "kernel_size": _axes(draw, ndim, 1, 4),
                "stride": stride, "padding": _padding(draw, ndim, stride), "dilation": _axes(draw, ndim, 1, 2),
                "groups": groups, "bias": draw(st.booleans())}
        block = [Layer.make(f"Conv{ndim}d", name, args)]
        if draw(st.booleans()):
            block.append(Layer.make(draw(st.sampled_from([f"BatchNorm{ndim}d", f"InstanceNorm{ndim}d"])), f"n{name}"))
        activation = draw(st.sampled_from(["", "ReLU", "LeakyReLU", "Tanh"]))
        if activation == "LeakyReLU":
            block.append(Layer.make(activation, f"a{name}", {"negative_slope": 0.2}))
        elif activation:
            block.append(Layer.make(activation, f"a{name}"))
        return block
    if kind == "pool":
        kernel = draw(st.integers(1, 3))
        args = {"kernel_size": kernel, "stride": draw(st.sampled_from([None, 1, 2, 3])),
                "padding": draw(st.integers(0, kernel // 2)), "ceil_mode": draw(st.booleans())}
        pool = draw(st.sampled_from(["MaxPool", "AvgPool"]))
        return [Layer.make(f"{pool}{ndim}d", name, {k: v for k, v in args.items() if v is not None})]
    if kind == "adaptive":
        return [Layer.make(f"AdaptiveAvgPool{ndim}d", name, {"output_size": draw(st.integers(1, 6))})]
    if kind == "upsample":
        return [Layer.make("Upsample", name, {"scale_factor": draw(st.sampled_from([2, 3, 1.5]))})]
    return [Layer.make(f"ZeroPad{ndim}d", name, {"padding": draw(st.lists(st.integers(-1, 2), min_size=2 * ndim,
                                                                                max_size=2 * ndim))})]


@st.composite
def encoders(draw: st.DrawFn) -> Design:
    """A valid encoder: 1 to 5 shape-changing blocks, each kept only when the design stays valid."""
    ndim = draw(st.integers(1, 3))
    high = {1: 64, 2: 24, 3: 10}[ndim]
    size = tuple(draw(st.integers(3, high)) for _ in range(ndim))
    design = Design("encoder", InputSpec(draw(st.integers(1, 4)), size))
    for j in range(draw(st.integers(1, 5))):
        analysis = analyze(design)
        channels = analysis.output_shape[0]
        block = _candidate(draw, ndim, f"l{j}", channels)
        candidate = design.with_layers(design.layers + tuple(block))
        result = analyze(candidate)
        if result.ok and all(v <= 4 * high for v in result.output_shape[1:]):
            design = candidate
    return design


# --------------------------------------------------------------------------------------------- engine

def _shapes(analysis: Analysis) -> list[tuple[int, ...]]:
    return [analysis.design.input.shape] + [r.output_shape for r in analysis.layers]


def _shape_changes(analysis: Analysis, count: int) -> list[tuple[int, ...]]:
    """The input shapes of the first ``count`` layers that change the shape (what the decoder must
    revisit, in reverse)."""
    return [r.input_shape for r in analysis.layers[:count] if r.input_shape != r.output_shape]


@given(encoders())
def test_mirrored_encoder_returns_to_its_input_shape_step_by_step(design: Design) -> None:
    before = analyze(design)
    try:
        mirrored = mirror_design(design)
    except MirrorError as error:  # only when no layer changes the shape and none is a convolution
        assert "nothing to mirror" in str(error)
        assert all(r.input_shape == r.output_shape and "Conv" not in r.type for r in before.layers)
        return
    analysis = analyze(mirrored)
    assert analysis.ok, [d.text for d in analysis.errors]
    assert analysis.output_shape == design.input.shape
    # Step by step: every shape the encoder's shape-changing layers received comes back, in reverse order.
    decoder_shapes = _shapes(analysis)[len(design.layers):]
    expected = _shape_changes(before, len(design.layers))[::-1]
    position = 0
    for shape in expected:
        position = decoder_shapes.index(shape, position)
    names = [layer.name for layer in mirrored.layers]
    assert len(names) == len(set(names))


def test_convolution_becomes_the_transposed_convolution_of_relationship_14() -> None:
    # Figure 4.7: the direct convolution i = 6, k = 3, s = 2, p = 1 -> 3 has a = 1.
    design = Design("fig47", InputSpec(2, (6, 6)), (
        Layer.make("Conv2d", "conv", {"out_channels": 5, "kernel_size": 3, "stride": 2, "padding": 1, "bias": False}),
        Layer.make("BatchNorm2d", "bn"), Layer.make("ReLU", "relu"),
    ))
    (layer,) = mirror_layers(design, 0, 2)
    assert layer.type == "ConvTranspose2d"
    # The first convolution's mirror is the decoder's last layer: no activation, PyTorch's default bias.
    assert layer.arguments == {"out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}
    assert analyze(design.with_layers(design.layers + (layer,))).output_shape == (2, 6, 6)


def test_pointwise_layers_come_back_at_the_shape_the_encoder_had_them() -> None:
    design = Design("two", InputSpec(3, (32, 32)), (
        Layer.make("Conv2d", "c1", {"out_channels": 8, "kernel_size": 4, "stride": 2, "padding": 1, "bias": False}),
        Layer.make("BatchNorm2d", "b1", {"num_features": 8}),
        Layer.make("LeakyReLU", "a1", {"negative_slope": 0.2}),
        Layer.make("MaxPool2d", "p1", {"kernel_size": 2}),
        Layer.make("Conv2d", "c2", {"out_channels": 16, "kernel_size": 3, "dilation": 2}),
        Layer.make("GroupNorm", "g2", {"num_groups": 4}),
        Layer.make("ReLU", "a2"),
    ))
    decoder = mirror_layers(design, 0, 6)
    # c2's mirror returns to p1's output (no pointwise layers there); the up-sampling returns to the
    # 16x16 tensor that b1 and a1 saw; c1's mirror returns to the input, so it ends bare.
    assert [(x.type, x.name) for x in decoder] == [
        ("ConvTranspose2d", "convtranspose1"), ("Upsample", "upsample1"), ("BatchNorm2d", "batchnorm1"),
        ("LeakyReLU", "leakyrelu1"), ("ConvTranspose2d", "convtranspose2"),
    ]
    assert decoder[0].arguments == {"out_channels": 8, "kernel_size": 3, "dilation": 2}
    assert decoder[1].arguments == {"scale_factor": 2}  # 16 -> 8 divides exactly
    assert decoder[2].arguments == {}  # num_features is inferred again
    assert decoder[3].arguments == {"negative_slope": 0.2}
    assert decoder[4].arguments == {"out_channels": 3, "kernel_size": 4, "stride": 2, "padding": 1}
    mirrored = analyze(design.with_layers(design.layers + tuple(decoder)))
    assert mirrored.ok and mirrored.output_shape == (3, 32, 32)


def test_inexact_pooling_becomes_upsample_to_the_exact_size() -> None:
    design = Design("odd", InputSpec(1, (7, 9)), (Layer.make("MaxPool2d", "p", {"kernel_size": 2, "ceil_mode": True}),))
    (layer,) = mirror_layers(design, 0, 0)
    assert layer.arguments == {"size": (7, 9)}


def test_upsample_zero_padding_and_joins_are_mirrored() -> None:
    design = Design("misc", InputSpec(2, (10,)), (
        Layer.make("Conv1d", "c", {"out_channels": 3, "kernel_size": 3, "padding": 1}),
        Layer.make("Upsample", "u", {"scale_factor": 2}),
        Layer.make("Upsample", "v", {"scale_factor": 1.5}),
        Layer.make("ZeroPad1d", "z", {"padding": [1, -2]}),
        Layer.make("Add", "add", {"from": "z"}),
        Layer.make("ReLU", "r"),
    ))
    decoder = mirror_layers(design, 0, 5)
    assert [(x.type, x.arguments) for x in decoder] == [
        ("ZeroPad1d", {"padding": (-1, 2)}),
        ("AdaptiveAvgPool1d", {"output_size": 20}),  # 30 is not a whole multiple of 20
        ("AvgPool1d", {"kernel_size": 2}),
        ("ConvTranspose1d", {"out_channels": 2, "kernel_size": 3, "padding": 1}),
    ]


def test_concat_becomes_a_pointwise_convolution_back_to_its_channels() -> None:
    design = Design("cat", InputSpec(2, (8,)), (
        Layer.make("Conv1d", "c", {"out_channels": 3, "kernel_size": 3, "padding": 1}),
        Layer.make("Concat", "cat", {"from": "c"}),
    ))
    mirrored = mirror_design(design)
    assert [(x.type, x.arguments) for x in mirrored.layers[2:]] == [
        ("Conv1d", {"out_channels": 3, "kernel_size": 1}),
        ("ConvTranspose1d", {"out_channels": 2, "kernel_size": 3, "padding": 1}),
    ]


@pytest.mark.parametrize(("padding", "expected"), [
    # 'same' with k = 4: (1, 2); the transposed convolution pads 1 and the high unit is cropped.
    ("same", [("ConvTranspose1d", {"out_channels": 1, "kernel_size": 4, "padding": 1}),
              ("ZeroPad1d", {"padding": (0, -1)})]),
    # full: p = 3 on both sides, relationship 14 applies with no crop.
    ("full", [("ConvTranspose1d", {"out_channels": 1, "kernel_size": 4, "padding": 3})]),
    # [2, 1]: q = 1 and a crop of 1 at the low end.
    ([[2, 1]], [("ConvTranspose1d", {"out_channels": 1, "kernel_size": 4, "padding": 1}),
                ("ZeroPad1d", {"padding": (-1, 0)})]),
])
def test_asymmetric_and_named_paddings(padding: Any, expected: list) -> None:
    design = Design("p", InputSpec(1, (11,)), (Layer.make("Conv1d", "c", {"out_channels": 2, "kernel_size": 4,
                                                                       "padding": padding}),))
    decoder = mirror_layers(design, 0, 0)
    assert [(x.type, x.arguments) for x in decoder] == expected
    assert analyze(design.with_layers(design.layers + tuple(decoder))).output_shape == (1, 11)


@given(i=st.integers(1, 40), k=st.integers(1, 6), s=st.integers(1, 4), lo=st.integers(0, 5), hi=st.integers(0, 5),
       d=st.integers(1, 3))
def test_transposed_inverse_restores_the_size(i: int, k: int, s: int, lo: int, hi: int, d: int) -> None:
    o = conv_output_size(i, k, s, lo, hi, d)
    if o < 1:
        return
    inverse = transposed_inverse(i, k, s, lo, hi, d)
    assert inverse.padding >= 0 and 0 <= inverse.output_padding < max(s, d)
    assert inverse.crop_low >= 0 and inverse.crop_high >= 0
    restored = transposed_output_size(o, k, s, inverse.padding, inverse.output_padding, d)
    assert restored - inverse.crop_low - inverse.crop_high == i
    if lo == hi:  # relationship 14, no crop
        assert (inverse.padding, inverse.output_padding) == (lo, output_padding_for(i, k, s, lo, d))
        assert inverse.crop_low == inverse.crop_high == 0



def _smallest_crop_by_trying_every_output_padding(i: int, k: int, s: int, lo: int, hi: int,
                                                  d: int) -> tuple[int, int, int, int]:
    """The former search, kept as an oracle: every output padding a < max(s, d), smallest crop first,
    then the smallest a."""
    unvisited = unvisited_size(i, k, s, lo, hi, d)
    candidates = []
    for a in range(max(s, d)):
        q = min(lo, hi - unvisited + a)
        if q >= 0:
            candidates.append((lo - q + hi - unvisited + a - q, a, q, lo - q, hi - unvisited + a - q))
    _, a, q, crop_low, crop_high = min(candidates)
    return q, a, crop_low, crop_high


@given(i=st.integers(1, 60), k=st.integers(1, 6), s=st.integers(1, 9), lo=st.integers(0, 12), hi=st.integers(0, 12),
       d=st.integers(1, 9))
def test_transposed_inverse_leaves_the_smallest_crop(i: int, k: int, s: int, lo: int, hi: int, d: int) -> None:
    if conv_output_size(i, k, s, lo, hi, d) < 1:
        return
    inverse = transposed_inverse(i, k, s, lo, hi, d)
    assert (inverse.padding, inverse.output_padding, inverse.crop_low, inverse.crop_high) == \
        _smallest_crop_by_trying_every_output_padding(i, k, s, lo, hi, d)


def test_transposed_inverse_of_a_huge_stride_is_immediate() -> None:
    """Stride 10^8, padding (2, 1), i = 3: o = 1 and a = 6 restores 3 with padding 2 and no crop, computed
    directly: the transposed output size is worked out once per answer (its check), where trying every
    a < 10^8 took minutes."""
    with patch.object(arithmetic, "transposed_output_size", wraps=arithmetic.transposed_output_size) as sizes:
        assert transposed_inverse(3, 1, 10**8, 2, 1) == TransposedInverse(2, 6)
        # dilation 10^8 - 1, padding (3, 1), i = 10^8: o = 5, nothing unvisited, a = 3 - 1 = 2 (an output
        # padding below the dilation, as PyTorch allows) restores 10^8 with padding 3 and no crop.
        assert transposed_inverse(10**8, 2, 1, 3, 1, 10**8 - 1) == TransposedInverse(3, 2)
    assert sizes.call_count <= 4


def _name_probes(layers: int) -> int:
    """How many candidate names (stem + number) mirroring a stack of ``layers`` convolutions tries."""
    stack = tuple(Layer.make("Conv1d", f"c{j}", out_channels=2, kernel_size=3, padding=1) for j in range(layers))
    with patch.object(naming, "_numbered", wraps=naming._numbered) as numbered:
        decoder = mirror_design(Design("d", InputSpec(2, (8,)), stack)).layers[layers:]
    assert len(decoder) == layers and len({layer.name for layer in decoder}) == layers
    return numbered.call_count


def test_mirroring_is_linear_in_the_layers() -> None:
    """Each decoder name is found in constant time (one set of taken names, a next number per stem): ten
    times the layers, at most ten times the names tried (the decoder of 10,000 layers took 4 s when every name
    was counted from 1 again)."""
    assert _name_probes(2000) <= 10 * _name_probes(200) + 10


def test_mirror_refuses_what_the_engine_would_refuse() -> None:
    """A decoder argument beyond the arguments' range, or a run without spatial axes, is a MirrorError."""
    padded = Design("p", InputSpec(1, (1,)), (Layer.make("ZeroPad1d", "z", {"padding": 100_000_000}),
                                              Layer.make("MaxPool1d", "m", {"kernel_size": 2})))
    with pytest.raises(MirrorError, match=r"cannot mirror m \(MaxPool1d\): its mirror \(Upsample\) would be "
                                          r"refused: size is out of range: 200000001"):
        mirror_layers(padded, 1, 1)
    flat = Design("f", InputSpec(3, (2,)), (Layer.make("Flatten", "f"), Layer.make("Concat", "j", {"from": "f"})))
    assert analyze(flat).ok
    with pytest.raises(MirrorError, match=r"cannot mirror j \(Concat\): its input has no spatial axes"):
        mirror_layers(flat, 1, 1)


def test_new_names_are_unique_in_the_design() -> None:
    design = Design("names", InputSpec(1, (8,)), (
        Layer.make("Conv1d", "convtranspose1", {"out_channels": 2, "kernel_size": 3}),
        Layer.make("Conv1d", "convtranspose2", {"out_channels": 2, "kernel_size": 3}),
    ))
    assert [x.name for x in mirror_layers(design, 0, 1)] == ["convtranspose3", "convtranspose4"]


def test_mirror_design_replaces_the_head_and_refuses_clearly() -> None:
    design = Design("classifier", InputSpec(1, (8, 8)), (
        Layer.make("Conv2d", "c", {"out_channels": 4, "kernel_size": 3, "stride": 2}),
        Layer.make("Flatten", "f"), Layer.make("Linear", "fc", {"out_features": 10}),
    ))
    assert spatial_encoder_end(analyze(design)) == 1
    mirrored = mirror_design(design)
    assert [x.name for x in mirrored.layers] == ["c", "convtranspose1"]
    assert analyze(mirrored).output_shape == (1, 8, 8)
    with pytest.raises(MirrorError, match="ends the spatial layout"):
        mirror_layers(design, 0, 1)
    with pytest.raises(MirrorError, match="nothing to mirror: it starts with f"):
        mirror_design(design.with_layers(design.layers[1:]))
    with pytest.raises(MirrorError, match="nothing to mirror: layers 1 to 1"):
        mirror_design(design.with_layers([Layer.make("ReLU", "r")]))
    with pytest.raises(MirrorError, match="the design has errors"):
        mirror_design(design.with_layers([Layer.make("Conv2d", "c", {"out_channels": 4, "kernel_size": 9})]))
    with pytest.raises(MirrorError, match="not within"):
        mirror_layers(design, 2, 5)


# ---------------------------------------------------------------------------------------------- torch

def _torch_layer(torch: Any, analysis: Analysis, index: int) -> Any:
    """The torch.nn module for one analysed layer, built from its arguments (and the engine's resolved
    padding for convolutions, with an explicit pad where PyTorch's padding cannot say it)."""
    nn = torch.nn
    r = analysis.layers[index]
    layer = r.layer
    args = dict(layer.args)
    channels = r.input_shape[0]
    ndim = len(r.input_shape) - 1
    name = layer.type
    if name.startswith("ConvTranspose"):
        return getattr(nn, name)(channels, **args)
    if name.startswith("Conv"):
        args.pop("padding", None)
        pads = [(g.p_low, g.p_high) for g in r.geometry]
        conv = getattr(nn, name)(channels, padding=tuple(min(lo, hi) for lo, hi in pads), **args)
        if all(lo == hi for lo, hi in pads):
            return conv
        extra = [v for lo, hi in reversed(pads) for v in (lo - min(lo, hi), hi - min(lo, hi))]
        return nn.Sequential(getattr(nn, f"ZeroPad{ndim}d")(tuple(extra)), conv)
    if name.startswith(("BatchNorm", "InstanceNorm")):
        return getattr(nn, name)(channels, **args)
    if name == "GroupNorm":
        return nn.GroupNorm(args["num_groups"], channels)
    return getattr(nn, name)(**args)


@given(encoders())
def test_mirrored_encoder_runs_in_torch_with_the_engine_shapes(design: Design) -> None:
    torch = pytest.importorskip("torch")
    try:
        analysis = analyze(mirror_design(design))
    except MirrorError:
        return
    x = torch.zeros((2, *design.input.shape))  # batch 2: BatchNorm in training mode needs more than 1 value
    with torch.no_grad():
        for index, r in enumerate(analysis.layers):
            x = _torch_layer(torch, analysis, index)(x)
            assert tuple(x.shape[1:]) == r.output_shape, r.layer
    assert tuple(x.shape[1:]) == design.input.shape


# -- graphs ---------------------------------------------------------------------------------------------------

def test_mirror_of_a_graph_follows_the_main_path_and_names_the_branches_it_leaves_out() -> None:
    from pathlib import Path

    from convdesigner.engine.tools.mirror import branches_left_out
    from convdesigner.io.design_file import load

    design = load(Path(__file__).resolve().parent.parent / "resources" / "examples" / "resnet18.yaml")
    analysis = analyze(design)
    end = spatial_encoder_end(analysis)
    assert design.layers[end - 1].name == "avgpool"  # flatten and fc end the spatial layout
    assert branches_left_out(analysis, 0, end - 1) == [f"layer{n}.0.downsample.{m}" for n in (2, 3, 4) for m in (0, 1)]
    mirrored = analyze(mirror_design(design))
    assert mirrored.ok and mirrored.output_shape == design.input.shape
    decoder = mirrored.layers[end:]
    assert not any(r.type in ("Add", "Mul") for r in decoder)
    # every convolution on the main path and none of the shortcuts' is mirrored as a transposed one
    main_convolutions = [r for r in analysis.layers[:end] if r.type == "Conv2d" and "downsample" not in r.name]
    assert sum(r.type == "ConvTranspose2d" for r in decoder) == len(main_convolutions)


def test_mirror_reads_the_end_of_the_main_path_even_when_a_branch_is_listed_last() -> None:
    design = Design("branchy", InputSpec(1, (16,)), (
        Layer.make("Conv1d", "enc", {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}),
        Layer.make("Conv1d", "side", {"from": "input", "out_channels": 4, "kernel_size": 1, "stride": 2}),
        Layer.make("Add", "sum", {"from": ["enc", "side"]}),
        Layer.make("ReLU", "out"),
    ))
    mirrored = analyze(mirror_design(design))
    assert mirrored.ok and mirrored.output_shape == (1, 16)
    assert [r.type for r in mirrored.layers[4:]] == ["ConvTranspose1d"]
