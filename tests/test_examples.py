"""The bundled example designs: each loads, analyses without errors, is stored in the canonical form, and has
the shapes, parameter counts and receptive fields of the network it names (checked against PyTorch where it is
installed)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from convdesigner import assets
from convdesigner.engine.analysis import Analysis, analyze
from convdesigner.engine.design import Design
from convdesigner.figures import EXAMPLE_ORDER, default_example, example_designs
from convdesigner.io.design_file import dumps, loads

EXAMPLES = {example.key: example for example in example_designs()}

#: key -> (input shape, output shape, parameters). DCGAN: the PyTorch tutorial's models (3,576,704 and
#: 2,765,568 parameters); VGG-16 and AlexNet: torchvision's (138,357,544 and 61,100,840).
EXPECTED = {
    "dcgan-generator": ((100, 1, 1), (3, 64, 64), 3_576_704),
    "dcgan-discriminator": ((3, 64, 64), (1, 1, 1), 2_765_568),
    "conv-autoencoder": ((1, 28, 28), (1, 28, 28), 210_369),
    "vgg16": ((3, 224, 224), (1000,), 138_357_544),
    "alexnet": ((3, 224, 224), (1000,), 61_100_840),
    "unet-small": ((1, 64, 64), (1, 64, 64), 116_753),
    "residual-unet": ((1, 64, 64), (1, 64, 64), 119_777),
    "resnet18": ((3, 224, 224), (1000,), 11_689_512),  # torchvision's published count
}


def analysed(key: str) -> Analysis:
    return analyze(EXAMPLES[key].load())


def test_every_promised_example_is_bundled_in_order() -> None:
    assert list(EXAMPLES) == list(EXAMPLE_ORDER)
    assert set(EXPECTED) == set(EXAMPLES)
    assert default_example().key == "dcgan-generator"
    assert default_example().load() == EXAMPLES["dcgan-generator"].load()


@pytest.mark.parametrize("key", EXAMPLE_ORDER)
def test_example_analyses_cleanly_with_its_shapes_and_counts(key: str) -> None:
    analysis = analysed(key)
    assert analysis.ok, [d.text for d in analysis.errors]
    input_shape, output_shape, params = EXPECTED[key]
    assert analysis.design.input.shape == input_shape
    assert analysis.output_shape == output_shape
    assert analysis.total_params == params
    assert all(result.computed for result in analysis.layers)


@pytest.mark.parametrize("key", EXAMPLE_ORDER)
def test_example_is_canonical_and_round_trips(key: str) -> None:
    example = EXAMPLES[key]
    text = example.path.read_text(encoding="utf-8")
    design = loads(text, example.path.name)
    assert dumps(design) == text  # stored as Save writes it: one layer per line
    assert loads(dumps(design)) == design
    assert design.name == example.name and design.description == example.description
    assert len(example.description) > 40
    assert len({layer.name for layer in design.layers}) == len(design.layers)
    assert all(layer.name in text for layer in design.layers)  # every layer named in the file, none generated


def test_examples_listing_leaves_out_the_paper_figures() -> None:
    names = [node.name for node in assets.examples()]
    assert sorted(names) == sorted(f"{key}.yaml" for key in EXAMPLE_ORDER)


def test_dcgan_pair_mirrors_each_other() -> None:
    generator, discriminator = analysed("dcgan-generator"), analysed("dcgan-discriminator")
    up = [r.output_shape for r in generator.layers if r.type == "ConvTranspose2d"]
    down = [r.output_shape for r in discriminator.layers if r.type == "Conv2d"]
    assert up == [(512, 4, 4), (256, 8, 8), (128, 16, 16), (64, 32, 32), (3, 64, 64)]
    assert down == [(64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4), (1, 1, 1)]
    for design in (generator.design, discriminator.design):
        convolutions = [layer for layer in design.layers if layer.type.startswith("Conv")]
        assert all(layer.get("bias") is False and layer.get("kernel_size") == 4 for layer in convolutions)
    assert [layer.get("negative_slope") for layer in discriminator.design.layers if layer.type == "LeakyReLU"] \
        == [0.2] * 4
    assert generator.design.layers[-1].type == "Tanh" and discriminator.design.layers[-1].type == "Sigmoid"


def test_autoencoder_returns_to_its_input_size_through_output_padding() -> None:
    analysis = analysed("conv-autoencoder")
    shapes = {r.name: r.output_shape for r in analysis.layers}
    assert shapes["enc1"] == (16, 14, 14) and shapes["enc2"] == (32, 7, 7) and shapes["code"] == (64, 1, 1)
    assert shapes["dec2"] == (16, 14, 14) and shapes["dec3"] == (1, 28, 28)
    padded = [r for r in analysis.layers if r.type == "ConvTranspose2d" and r.layer.get("output_padding")]
    assert [r.name for r in padded] == ["dec2", "dec3"]
    for result in padded:
        assert all(axis.a == 1 for axis in result.geometry)


def test_unet_joins_the_encoder_outputs_of_the_same_size() -> None:
    analysis = analysed("unet-small")
    joins = [r for r in analysis.layers if r.type == "Concat"]
    assert [(r.name, r.layer.inputs[0], r.output_shape) for r in joins] == [
        ("skip2", "enc2_relu2", (64, 32, 32)),
        ("skip1", "enc1_relu2", (32, 64, 64)),
    ]


@pytest.mark.parametrize(("key", "layer", "size", "jump"), [
    # Araujo, Norris & Sim, "Computing receptive fields of convolutional neural networks", Distill 2019:
    # VGG-16 r = 212, S = 32; AlexNet r = 195, S = 32 (padding moves the field, not its size).
    ("vgg16", "pool5", 212, 32),
    ("vgg16", "conv5_3", 196, 16),
    ("alexnet", "pool5", 195, 32),
    ("alexnet", "conv1", 11, 4),
    ("resnet18", "layer4.1.relu_1", 435, 32),  # real-networks.md: ResNet-18's field at layer4
])
def test_receptive_fields_match_the_published_ones(key: str, layer: str, size: int, jump: int) -> None:
    field = analysed(key).result(layer).receptive_field
    assert field is not None
    assert field.size == (size, size)
    assert field.jump == (Fraction(jump), Fraction(jump))


def test_classifier_fields_end_at_flatten() -> None:
    analysis = analysed("vgg16")
    assert analysis.result("avgpool").receptive_field is not None
    assert analysis.result("flatten").receptive_field is None
    assert analysis.result("fc8").receptive_field is None


# -- against PyTorch ------------------------------------------------------------------------------------------

def torch_model(design: Design):
    """The design as a torch module: each layer built from its arguments with the widths the engine inferred;
    joins as torch.cat or the sum of their operands, in the design's wiring."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    analysis = analyze(design)
    inferred = {"Conv2d": "in_channels", "ConvTranspose2d": "in_channels", "BatchNorm2d": "num_features",
                "Linear": "in_features"}
    modules = {}
    for result in analysis.layers:
        layer = result.layer
        if layer.type in ("Concat", "Add"):
            continue
        args = {key: list(value) if isinstance(value, tuple) else value for key, value in layer.args}
        width = inferred.get(layer.type)
        if width and width not in args:
            args[width] = result.input_shape[0]
        modules[str(result.index)] = getattr(nn, layer.type)(**args)

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleDict(modules)

        def forward(self, x):
            values = {-1: x}  # by layer index; -1 is the network input
            for result in analysis.layers:
                operands = [values[i] for i in result.inputs]
                if result.type == "Concat":
                    values[result.index] = torch.cat(operands, dim=1)
                elif result.type == "Add":
                    values[result.index] = sum(operands[1:], operands[0])
                else:
                    values[result.index] = self.layers[str(result.index)](operands[0])
            return values[len(analysis.layers) - 1]

    return Model()


@pytest.mark.torch
@pytest.mark.parametrize("key", EXAMPLE_ORDER)
def test_examples_match_pytorch(key: str) -> None:
    torch = pytest.importorskip("torch")
    design = EXAMPLES[key].load()
    with torch.device("meta"):  # shapes and counts only: no memory for VGG's 138 million weights
        model = torch_model(design).eval()
        output = model(torch.zeros((1, *design.input.shape)))
    assert sum(p.numel() for p in model.parameters()) == EXPECTED[key][2]
    assert tuple(output.shape[1:]) == EXPECTED[key][1]
