"""Parameter and MAC counts: VGG-16 (138,357,544), the DCGAN pair, and MACs against PyTorch's FLOP counter.

MACs follow README's "The engine's definitions": a transposed convolution does in_channels x
out_channels/groups x kernel volume multiply-accumulates per *input* unit. PyTorch's FlopCounterMode counts
2 FLOPs per MAC with the same convention (the input's spatial size for transposed convolutions).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convdesigner.engine import Design, InputSpec, Layer, analyze


def vgg16() -> Design:
    """torchvision's vgg16: 13 convolutions and the classifier behind AdaptiveAvgPool2d(7)."""
    layers: list[Layer] = []
    n = 0
    for count, width in [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]:
        for _ in range(count):
            n += 1
            layers += [Layer.make("Conv2d", f"conv{n}", out_channels=width, kernel_size=3, padding=1),
                       Layer.make("ReLU", f"relu{n}")]
        layers.append(Layer.make("MaxPool2d", f"pool{n}", kernel_size=2, stride=2))
    layers += [
        Layer.make("AdaptiveAvgPool2d", "avgpool", output_size=7), Layer.make("Flatten", "flatten"),
        Layer.make("Linear", "fc1", out_features=4096), Layer.make("ReLU", "relu_fc1"), Layer.make("Dropout", "drop1"),
        Layer.make("Linear", "fc2", out_features=4096), Layer.make("ReLU", "relu_fc2"), Layer.make("Dropout", "drop2"),
        Layer.make("Linear", "fc3", out_features=1000),
    ]
    return Design("VGG16", InputSpec(3, (224, 224)), tuple(layers))


def dcgan_generator(nz: int = 100, ngf: int = 64) -> Design:
    widths = [ngf * 8, ngf * 4, ngf * 2, ngf]
    layers = [Layer.make("ConvTranspose2d", "up1", out_channels=widths[0], kernel_size=4, stride=1, padding=0,
                         bias=False), Layer.make("BatchNorm2d", "bn1"), Layer.make("ReLU", "relu1")]
    for j, width in enumerate(widths[1:], start=2):
        layers += [Layer.make("ConvTranspose2d", f"up{j}", out_channels=width, kernel_size=4, stride=2, padding=1,
                              bias=False), Layer.make("BatchNorm2d", f"bn{j}"), Layer.make("ReLU", f"relu{j}")]
    layers += [Layer.make("ConvTranspose2d", "up5", out_channels=3, kernel_size=4, stride=2, padding=1, bias=False),
               Layer.make("Tanh", "tanh")]
    return Design("Generator", InputSpec(nz, (1, 1)), tuple(layers))


def dcgan_discriminator(ndf: int = 64) -> Design:
    layers = [Layer.make("Conv2d", "conv1", out_channels=ndf, kernel_size=4, stride=2, padding=1, bias=False),
              Layer.make("LeakyReLU", "lrelu1", negative_slope=0.2)]
    for j, width in enumerate([ndf * 2, ndf * 4, ndf * 8], start=2):
        layers += [Layer.make("Conv2d", f"conv{j}", out_channels=width, kernel_size=4, stride=2, padding=1,
                              bias=False), Layer.make("BatchNorm2d", f"bn{j}"),
                   Layer.make("LeakyReLU", f"lrelu{j}", negative_slope=0.2)]
    layers += [Layer.make("Conv2d", "conv5", out_channels=1, kernel_size=4, stride=1, padding=0, bias=False),
               Layer.make("Sigmoid", "sigmoid")]
    return Design("Discriminator", InputSpec(3, (64, 64)), tuple(layers))


def test_vgg16_parameter_count() -> None:
    analysis = analyze(vgg16())
    assert analysis.ok
    assert analysis.output_shape == (1000,)
    assert analysis.result("flatten").output_shape == (25088,)
    assert analysis.total_params == 138_357_544
    assert analysis.result("fc1").params == 25088 * 4096 + 4096
    # The thirteen convolutions do 15.47 GMACs on a 224x224 image, the classifier 0.12.
    assert analysis.total_macs == 15_470_264_320


def test_dcgan_counts() -> None:
    generator = analyze(dcgan_generator())
    assert generator.ok and generator.output_shape == (3, 64, 64)
    assert generator.total_params == 3_576_704
    discriminator = analyze(dcgan_discriminator())
    assert discriminator.ok and discriminator.output_shape == (1, 1, 1)
    assert discriminator.total_params == 2_765_568


def test_transposed_macs_count_every_input_unit() -> None:
    """ConvTranspose2d(100 -> 512, k=4) on 1x1: each of the one input unit's 100 channels meets 512 x 16
    weights. Counting per output unit (4 x 4 of them) would give 16 times too many."""
    up1 = analyze(dcgan_generator()).result("up1")
    assert up1.output_shape == (512, 4, 4)
    assert up1.macs == 1 * 100 * 512 * 16
    # A strided layer: 8x8 input units, 256 -> 128 channels, 4x4 kernel, whatever the padding crops.
    up3 = analyze(dcgan_generator()).result("up3")
    assert up3.input_shape == (256, 8, 8) and up3.macs == 64 * 256 * 128 * 16
    grouped = analyze(Design("g", InputSpec(4, (5,)), (
        Layer.make("ConvTranspose1d", "t", out_channels=6, kernel_size=3, stride=2, groups=2),))).layers[0]
    assert grouped.macs == 5 * 4 * (6 // 2) * 3
    assert grouped.params == 4 * (6 // 2) * 3 + 6


# ---------------------------------------------------------------------------------------------- PyTorch

DEVICE_TYPES = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Linear",
                "BatchNorm1d", "BatchNorm2d", "BatchNorm3d")

def torch_model(design: Design, device: str = "cpu") -> Any:
    """The design as torch modules, widths taken from the incoming tensor. VGG-16 goes on the meta device:
    counting needs no real weights (its shapes and verdicts are PyTorch's CPU ones, test_torch_parity)."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    x = torch.zeros(1, *design.input.shape, device=device)
    modules = []
    for layer in design.layers:
        kwargs = dict(layer.args)
        if layer.type.startswith(("Conv", "ConvTranspose")):
            kwargs["in_channels"] = x.shape[1]
        elif layer.type.startswith("BatchNorm"):
            kwargs["num_features"] = x.shape[1]
        elif layer.type == "Linear":
            kwargs["in_features"] = x.shape[-1]
        module = getattr(nn, layer.type)(**kwargs, device=device) if layer.type in DEVICE_TYPES else \
            getattr(nn, layer.type)(**kwargs)
        module.eval()
        with torch.no_grad():
            x = module(x)
        modules.append(module)
    return nn.Sequential(*modules)


@pytest.mark.parametrize("make", [dcgan_generator, dcgan_discriminator, vgg16])
def test_counts_equal_torch(make: Any) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    design = make()
    analysis = analyze(design)
    device = "meta" if make is vgg16 else "cpu"
    model = torch_model(design, device)
    assert analysis.total_params == sum(p.numel() for p in model.parameters())
    x = torch.zeros(1, *design.input.shape, device=device)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        y = model(x)
    assert analysis.output_shape == tuple(y.shape[1:])
    assert 2 * analysis.total_macs == counter.get_total_flops()


@st.composite
def counted_layer(draw: st.DrawFn) -> tuple[tuple[int, ...], Layer]:
    n = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([1, 2]))
    shape = (groups * draw(st.integers(1, 3)), *draw(st.lists(st.integers(3, 7), min_size=n, max_size=n)))
    kind = draw(st.sampled_from(["Conv", "ConvTranspose", "Linear"]))
    if kind == "Linear":
        return shape, Layer.make("Linear", "layer", out_features=draw(st.integers(1, 5)), bias=draw(st.booleans()))
    args = {
        "out_channels": groups * draw(st.integers(1, 3)), "kernel_size": draw(st.integers(1, 3)),
        "stride": draw(st.integers(1, 3)), "padding": draw(st.integers(0, 1)), "groups": groups,
        "bias": draw(st.booleans()), "dilation": draw(st.integers(1, 2)),
    }
    return shape, Layer.make(f"{kind}{n}d", "layer", args)


@given(counted_layer())
def test_random_layer_counts_equal_torch(case: tuple[tuple[int, ...], Layer]) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    shape, layer = case
    design = Design("one", InputSpec(shape[0], shape[1:]), (layer,))
    result = analyze(design).layers[0]
    if not result.computed:
        return
    model = torch_model(design)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, *shape))
    assert result.params == sum(p.numel() for p in model.parameters())
    assert 2 * result.macs == counter.get_total_flops()
