"""The layer types of issue 13, on cases measured on torch 2.13 (docs/torch-rules.md, section 13).

The property tests in test_torch_parity.py and test_export_torch.py draw these types at random; these cases
pin the exact rules, counts, messages and receptive fields."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.layers import CATALOG
from convdesigner.engine.tools.mirror import mirror_layers


def run(shape: tuple[int, ...], type_name: str, args: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    design = Design("t", InputSpec(shape[0], shape[1:]), (Layer.make(type_name, "layer", args or {}),))
    return analyze(design).layers[0]


@pytest.mark.parametrize("type_name", ["Identity", "LogSoftmax", "Softmax2d", "Hardswish", "Mish", "PReLU",
                                       "ReLU6"])
def test_activations_keep_the_shape_and_the_field(type_name: str) -> None:
    result = run((3, 5, 4), type_name)
    assert result.output_shape == (3, 5, 4)
    assert result.receptive_field is not None and result.receptive_field.size == (1, 1)
    assert CATALOG[type_name].family == "Activation" and CATALOG[type_name].version == 1


def test_prelu_counts_one_slope_or_one_per_channel() -> None:
    assert run((3, 8), "PReLU").params == 1
    assert run((3, 8), "PReLU", {"num_parameters": 3}).params == 3
    refused = run((3, 8), "PReLU", {"num_parameters": 2})
    assert not refused.computed
    assert refused.errors[0].argument == "num_parameters"
    assert "num_parameters is 2 but the incoming tensor has 3 channels" in refused.errors[0].text


def test_softmax2d_takes_images_and_signals_only() -> None:
    assert run((3, 4, 4), "Softmax2d").computed
    signal = run((3, 4), "Softmax2d")
    assert signal.computed and "batch axis" in signal.warnings[0].text
    assert not run((3, 4, 4, 4), "Softmax2d").computed


def test_log_softmax_checks_its_dim() -> None:
    assert run((3, 4, 5), "LogSoftmax", {"dim": -4}).computed
    refused = run((3, 4, 5), "LogSoftmax", {"dim": 4})
    assert not refused.computed and "dim 4 is out of range" in refused.errors[0].text


# -- the pad layers -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("type_name", "size", "padding", "expected"), [
    ("ReflectionPad1d", 3, [2, 0], 5), ("ReflectionPad1d", 3, [3, 0], None), ("ReflectionPad1d", 3, [2, -1], 4),
    ("ReflectionPad1d", 2, [-3, 5], None), ("ReflectionPad1d", 2, [-2, 0], None),
    ("ReplicationPad1d", 1, [-2, 4], 3), ("ReplicationPad1d", 3, [4, 0], 7), ("ReplicationPad1d", 2, [-2, 0], None),
    ("CircularPad1d", 3, [3, 0], 6), ("CircularPad1d", 3, [4, 0], None), ("CircularPad1d", 4, [1, -2], 3),
    ("CircularPad1d", 4, [2, -3], None), ("CircularPad1d", 3, [1, -4], None),
    ("ConstantPad1d", 1, [-2, 4], None), ("ConstantPad1d", 3, [3, -3], 3),
])
def test_pad_layers_follow_torch(type_name: str, size: int, padding: list[int], expected: int | None) -> None:
    args: dict[str, Any] = {"padding": padding}
    if type_name.startswith("Constant"):
        args["value"] = 1.5
    result = run((2, size), type_name, args)
    assert (result.output_shape[1] if result.computed else None) == expected, result.errors
    if expected is None:
        assert result.errors[0].argument == "padding"


def test_reflection_padding_names_its_limit() -> None:
    refused = run((1, 3, 3), "ReflectionPad2d", {"padding": [0, 0, 3, 0]})
    assert "reflect padding of 3 must be smaller than the input size 3 on axis H" in refused.errors[0].text
    wrapped = run((1, 4), "CircularPad1d", {"padding": [2, -3]})
    assert "wraps around more than once: at most the 1 units left after cropping on axis L" in wrapped.errors[0].text


def test_a_pad_layer_is_a_window_of_one_and_mirrors_as_a_crop() -> None:
    design = Design("p", InputSpec(2, (6, 6)), (
        Layer.make("ReflectionPad2d", "pad", {"padding": 3}),
        Layer.make("Conv2d", "conv", {"out_channels": 2, "kernel_size": 7}),
    ))
    analysis = analyze(design)
    assert analysis.ok and analysis.layers[1].output_shape == (2, 6, 6)
    assert analysis.layers[1].receptive_field.size == (7, 7)  # ignoring the borders, as every field
    decoder = mirror_layers(design, 0, 0)
    assert [(layer.type, layer.get("padding")) for layer in decoder] == [("ZeroPad2d", -3)]
    assert analyze(design.with_layers((*design.layers[:1], *decoder))).layers[-1].output_shape == (2, 6, 6)


def test_constant_pad_needs_its_value() -> None:
    result = run((1, 4), "ConstantPad1d", {"padding": 1})
    assert not result.computed and "value" in result.errors[0].text


def test_the_readme_names_every_layer_type() -> None:
    """README.md's layer list names each type of the catalog ({1,2,3}d written once for the three ranks)."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Layer types"):text.index("## Examples and paper figures")]
    named = set(re.findall(r"`(\w+)`", section))
    for stem in re.findall(r"`(\w+)\{1,2,3\}d`", section):
        named |= {f"{stem}{n}d" for n in (1, 2, 3)}
    assert set(CATALOG) <= named, sorted(set(CATALOG) - named)


# -- PixelShuffle and PixelUnshuffle ------------------------------------------------------------------------

def test_pixel_shuffle_moves_channels_to_space_and_back() -> None:
    shuffled = run((12, 3, 5), "PixelShuffle", {"upscale_factor": 2})
    assert shuffled.output_shape == (3, 6, 10) and shuffled.params == 0
    assert run((3, 6, 10), "PixelUnshuffle", {"downscale_factor": 2}).output_shape == (12, 3, 5)
    refused = run((18, 2, 2), "PixelShuffle", {"upscale_factor": 2})
    assert "channels divisible by upscale_factor² = 4, but the incoming tensor has 18" in refused.errors[0].text
    assert refused.errors[0].argument == "upscale_factor"
    odd = run((2, 4, 3), "PixelUnshuffle", {"downscale_factor": 2})
    assert "width divisible by downscale_factor 2" in odd.errors[0].text and odd.errors[0].axis == 1
    assert not run((4, 4), "PixelShuffle", {"upscale_factor": 1}).computed  # images only (docs: rank)


@pytest.mark.parametrize(("type_name", "factor"), [("PixelShuffle", 2), ("PixelShuffle", 3), ("PixelUnshuffle", 2)])
def test_pixel_shuffle_dependencies_equal_torch(type_name: str, factor: int) -> None:
    """Every output unit's dependency interval (over all channels) is what torch's forward pass reads."""
    torch = pytest.importorskip("torch")
    shape = (factor * factor, 3, 2) if type_name == "PixelShuffle" else (2, 2 * factor, factor)
    key = "upscale_factor" if type_name == "PixelShuffle" else "downscale_factor"
    design = Design("t", InputSpec(shape[0], shape[1:]), (Layer.make(type_name, "layer", {key: factor}),))
    analysis = analyze(design)
    module = getattr(torch.nn, type_name)(factor)
    base = torch.randn(1, *shape)
    reference = module(base)
    _, rows, cols = analysis.layers[0].output_shape
    for y in range(rows):
        for x in range(cols):
            read = set()
            for h in range(shape[1]):
                for w in range(shape[2]):
                    changed = base.clone()
                    changed[0, :, h, w] += 1.0
                    if not torch.equal(module(changed)[0, :, y, x], reference[0, :, y, x]):
                        read.add((h, w))
            (h_lo, h_hi), (w_lo, w_hi) = analysis.dependency_interval(0, (y, x))
            assert read == {(h, w) for h in range(h_lo, h_hi + 1) for w in range(w_lo, w_hi + 1)}, (y, x)


def test_pixel_shuffle_mirrors_as_unshuffle() -> None:
    design = Design("p", InputSpec(12, (3, 5)), (Layer.make("PixelShuffle", "up", {"upscale_factor": 2}),))
    decoder = mirror_layers(design, 0, 0)
    assert [(layer.type, layer.get("downscale_factor")) for layer in decoder] == [("PixelUnshuffle", 2)]


# -- Unflatten and Reshape ----------------------------------------------------------------------------------

def test_reshape_refuses_other_element_counts_naming_both() -> None:
    assert run((1, 64), "Reshape", {"shape": [4, 4, 4]}).output_shape == (4, 4, 4)
    assert run((1, 64), "Reshape", {"shape": [-1, 2, 2]}).output_shape == (16, 2, 2)
    refused = run((3, 8, 8), "Reshape", {"shape": [5, 5]})
    assert "shape 5×5 holds 25 elements but the incoming tensor 3×8×8 has 192" in refused.errors[0].text
    assert refused.errors[0].argument == "shape"
    assert "not a multiple of 5" in run((3, 8, 8), "Reshape", {"shape": [5, -1]}).errors[0].text
    assert "only one size" in run((1, 64), "Reshape", {"shape": [-1, -1]}).errors[0].text


def test_unflatten_splits_one_dimension() -> None:
    assert run((12, 5), "Unflatten", {"dim": 1, "unflattened_size": [3, -1]}).output_shape == (3, 4, 5)
    assert run((12, 5), "Unflatten", {"dim": -1, "unflattened_size": [5, 1]}).output_shape == (12, 5, 1)
    refused = run((12, 5), "Unflatten", {"dim": 1, "unflattened_size": [5, 2]})
    assert "unflattened_size 5×2 holds 10 elements but dim 1 of 12 units has 12" in refused.errors[0].text
    assert "batch" in run((12, 5), "Unflatten", {"dim": 0, "unflattened_size": [1, 1]}).errors[0].text
    assert "out of range" in run((12, 5), "Unflatten", {"dim": 3, "unflattened_size": [1]}).errors[0].text


def test_reshape_exports_as_a_view_and_saves_its_shape(tmp_path: Path) -> None:
    from convdesigner.io.design_file import load, save
    from convdesigner.io.torch_export import export_torch

    design = Design("vae", InputSpec(3, (8, 8)), (
        Layer.make("Flatten", "flatten"), Layer.make("Linear", "fc", {"out_features": 64}),
        Layer.make("Reshape", "to_map", {"shape": [4, 4, -1]}),
        Layer.make("Unflatten", "split", {"dim": 1, "unflattened_size": [2, 2]}),
    ))
    assert analyze(design).layers[-1].output_shape == (2, 2, 4, 4)
    assert "x = x.view(x.size(0), 4, 4, -1)" in export_torch(design)
    assert "nn.Unflatten(1, (2, 2))" in export_torch(design)
    save(design, tmp_path / "vae.yaml")
    assert load(tmp_path / "vae.yaml").layers == design.layers


# -- LayerNorm ----------------------------------------------------------------------------------------------

def test_layer_norm_counts_and_refuses_as_torch() -> None:
    assert run((4, 3, 5), "LayerNorm", {"normalized_shape": [4, 3, 5]}).params == 120
    assert run((4, 3, 5), "LayerNorm", {"normalized_shape": 5}).params == 10
    assert run((4, 3, 5), "LayerNorm", {"normalized_shape": [3, 5], "bias": False}).params == 15
    assert run((4, 3, 5), "LayerNorm", {"normalized_shape": [3, 5], "elementwise_affine": False}).params == 0
    refused = run((4, 3, 5), "LayerNorm", {"normalized_shape": [3]})
    assert "normalized_shape 3 must be the last dimensions of the incoming tensor 4×3×5" in refused.errors[0].text
    assert "needs normalized_shape" in run((4, 3, 5), "LayerNorm").errors[0].text


def test_layer_norm_after_linear_takes_the_feature_width_and_exports_it() -> None:
    from convdesigner.io.torch_export import export_torch

    design = Design("head", InputSpec(2, (4, 4)), (
        Layer.make("Flatten", "flatten"), Layer.make("Linear", "fc", {"out_features": 16}),
        Layer.make("LayerNorm", "norm"),
    ))
    assert analyze(design).layers[-1].params == 32
    assert "nn.LayerNorm(16)" in export_torch(design)


def test_layer_norm_over_the_map_makes_every_unit_read_the_whole_input() -> None:
    design = Design("ln", InputSpec(2, (6, 6)), (
        Layer.make("LayerNorm", "norm", {"normalized_shape": [2, 6, 6]}),
        Layer.make("LayerNorm", "rows", {"normalized_shape": 6}),
    ))
    analysis = analyze(design)
    assert analysis.layers[0].receptive_field.whole == (True, True)
    assert analysis.dependency_interval(0, (0, 0)) == ((0, 5), (0, 5))
    only_rows = analyze(design.with_layers(design.layers[1:]))
    assert only_rows.dependency_interval(0, (2, 3)) == ((2, 2), (0, 5))  # W normalised, H kept


# -- weight_norm and spectral_norm --------------------------------------------------------------------------

@pytest.mark.parametrize(("type_name", "args", "expected"), [
    ("Conv2d", {"out_channels": 8, "kernel_size": 3}, 224 + 8),  # torch 2.13: g is (8, 1, 1, 1)
    ("Conv2d", {"out_channels": 8, "kernel_size": 3, "dim": 1}, 224 + 3),
    ("Conv2d", {"out_channels": 8, "kernel_size": 3, "dim": -1}, 224 + 1),
    ("Conv2d", {"out_channels": 8, "kernel_size": 3, "dim": None}, 224 + 1),
    ("Conv2d", {"out_channels": 8, "kernel_size": [3, 2], "dim": -2}, 152 + 3),
    ("ConvTranspose2d", {"out_channels": 8, "kernel_size": 3}, 224 + 3),  # dim 0 is the input channel
    ("ConvTranspose2d", {"out_channels": 8, "kernel_size": 3, "dim": 1}, 224 + 8),
    ("Linear", {"out_features": 7}, 42 + 7),
])
def test_weight_norm_counts_g_and_v_as_torch(type_name: str, args: dict[str, Any], expected: int) -> None:
    shape = (5,) if type_name == "Linear" else (3, 6, 6)
    result = run((1, *shape) if type_name == "Linear" else shape, type_name, {**args, "parametrization": "weight_norm"})
    assert result.params == expected, result.errors


def test_spectral_norm_adds_no_parameters_and_dims_are_checked() -> None:
    assert run((3, 6, 6), "Conv2d", {"out_channels": 8, "kernel_size": 3, "parametrization": "spectral_norm"}).params == 224
    out_of_range = run((3, 6, 6), "Conv2d", {"out_channels": 8, "kernel_size": 3, "parametrization": "weight_norm",
                                             "dim": 4})
    assert "weight_norm's dim 4 is out of range for the weight of shape 8×3×3×3" in out_of_range.errors[0].text
    alone = run((3, 6, 6), "Conv2d", {"out_channels": 8, "kernel_size": 3, "dim": 1})
    assert "dim belongs to a parametrization" in alone.errors[0].text


def test_weight_norm_exports_with_parametrizations_and_saves_a_null_dim(tmp_path: Path) -> None:
    from convdesigner.io.design_file import load, save
    from convdesigner.io.torch_export import export_torch

    design = Design("tcn", InputSpec(2, (16,)), (
        Layer.make("Conv1d", "conv", {"out_channels": 4, "kernel_size": 3, "parametrization": "weight_norm"}),
        Layer.make("Conv1d", "whole", {"out_channels": 4, "kernel_size": 3, "parametrization": "weight_norm",
                                       "dim": None}),
    ))
    code = export_torch(design)
    assert "nn.utils.parametrizations.weight_norm(nn.Conv1d(2, 4, kernel_size=3))" in code
    assert "nn.utils.parametrizations.weight_norm(nn.Conv1d(4, 4, kernel_size=3), dim=None)" in code
    save(design, tmp_path / "tcn.yaml")
    assert load(tmp_path / "tcn.yaml").layers == design.layers


@pytest.mark.parametrize("padding", [[2, 1], [-1, 2], [3, -2], [0, 0]])
def test_constant_pad_dependencies_equal_torch(padding: list[int]) -> None:
    """A constant pad, then a convolution: each output unit's interval is what torch's forward pass reads
    (the constant cells read nothing)."""
    torch = pytest.importorskip("torch")
    design = Design("t", InputSpec(1, (6,)), (
        Layer.make("ConstantPad1d", "pad", {"padding": padding, "value": 2.5}),
        Layer.make("Conv1d", "conv", {"out_channels": 1, "kernel_size": 3, "bias": False}),
    ))
    analysis = analyze(design)
    model = torch.nn.Sequential(torch.nn.ConstantPad1d(tuple(padding), 2.5), torch.nn.Conv1d(1, 1, 3, bias=False))
    torch.nn.init.ones_(model[1].weight)
    base = torch.zeros(1, 1, 6)
    with torch.no_grad():
        reference = model(base)
        for y in range(analysis.layers[1].output_shape[1]):
            read = [x for x in range(6) if model(base.index_add(2, torch.tensor([x]), torch.ones(1, 1, 1)))[0, 0, y]
                    != reference[0, 0, y]]
            interval = analysis.dependency_interval(1, (y,))
            assert (None if not read else ((min(read), max(read)),)) == interval, y


@pytest.mark.parametrize(("kind", "padding"), [
    ("ReflectionPad1d", [2, 1]), ("ReplicationPad1d", [3, 0]), ("CircularPad1d", [2, 3]), ("ReflectionPad1d", [0, 4]),
    ("ReplicationPad1d", [-1, 2]), ("CircularPad1d", [1, 1]),
])
def test_copying_pad_dependencies_equal_torch(kind: str, padding: list[int]) -> None:
    """Reflect, replicate and circular pads copy input units into their padded cells: each output unit of the
    convolution after the pad reads the units torch's forward pass reads (the copies counted)."""
    torch = pytest.importorskip("torch")
    design = Design("t", InputSpec(1, (6,)), (
        Layer.make(kind, "pad", {"padding": padding}),
        Layer.make("Conv1d", "conv", {"out_channels": 1, "kernel_size": 3, "bias": False}),
    ))
    analysis = analyze(design)
    assert analysis.ok
    model = torch.nn.Sequential(getattr(torch.nn, kind)(tuple(padding)), torch.nn.Conv1d(1, 1, 3, bias=False))
    torch.nn.init.ones_(model[1].weight)
    base = torch.zeros(1, 1, 6, dtype=torch.float64)
    model = model.double()
    with torch.no_grad():
        reference = model(base)
        for y in range(analysis.layers[1].output_shape[1]):
            read = [x for x in range(6) if model(base.index_add(2, torch.tensor([x]), torch.ones(1, 1, 1,
                                                                dtype=torch.float64)))[0, 0, y] != reference[0, 0, y]]
            runs = analysis.dependencies(1, (y,))
            assert [x for lo, hi in runs[0] for x in range(lo, hi + 1)] == read, (y, runs)
