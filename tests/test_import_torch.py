"""Importing PyTorch models (issue 14): every reference network written from its public source imports with
every shape equal to a forward pass, its export loads the original's state_dict strictly and computes the same
outputs in eval mode; what the engine cannot hold is reported with its node, operation and source line."""

from __future__ import annotations

import math

import pytest

from convdesigner.engine.analysis import analyze
from convdesigner.io.design_file import dumps, loads
from convdesigner.io.torch_export import export_torch, torch_plan

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from reference_models.mobilenetv2 import MobileNetV2  # noqa: E402
from reference_models.pix2pix_cyclegan import resnet_9blocks, unet_256  # noqa: E402
from reference_models.pytorch_examples import ESPCN, Discriminator, Generator  # noqa: E402
from reference_models.resnet import resnet18, resnet50  # noqa: E402
from reference_models.segnet import SegNet  # noqa: E402
from reference_models.tcn import TemporalConvNet  # noqa: E402
from reference_models.unet3d import UNet3D  # noqa: E402
from test_real_networks import randomised  # noqa: E402

from convdesigner.io.import_torch import from_torch  # noqa: E402

pytestmark = pytest.mark.torch


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One intra-op thread: on a shared machine, more threads than free cores make the forward passes many
    times slower, not faster."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def exported_module(design) -> nn.Module:
    namespace: dict[str, object] = {"__name__": "exported"}
    exec(compile(export_torch(design), "<exported>", "exec"), namespace)
    return namespace[torch_plan(design).class_name]()  # type: ignore[operator]


def round_trip(original: nn.Module, shape: tuple[int, ...], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Import, save and reload the design, export it, load the original's state_dict strictly: both outputs."""
    original = randomised(original, seed).eval()
    result = from_torch(original, shape)
    assert result.design is not None
    design = loads(dumps(result.design))  # the design file holds all of it
    model = exported_module(design).eval()
    model.load_state_dict(original.state_dict(), strict=True)
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(seed + 1))
    with torch.no_grad():
        return original(x), model(x)


def assert_same(expected: torch.Tensor, got: torch.Tensor) -> None:
    assert got.shape == expected.shape
    assert (got - expected).abs().max().item() <= 1e-5


@pytest.mark.parametrize(("factory", "shape", "parameters"), [
    (resnet18, (3, 64, 64), 11_689_512),
    (resnet50, (3, 64, 64), 25_557_032),
    (MobileNetV2, (3, 64, 64), 3_504_872),
    (unet_256, (3, 256, 256), 54_413_955),
    (Generator, (100, 1, 1), 3_576_704),
    (UNet3D, (3, 16, 16, 16), 19_073_187),  # the paper's widths; 16^3 keeps it fast
])
def test_reference_network_round_trip(factory, shape: tuple[int, ...], parameters: int) -> None:
    original = factory()
    result = from_torch(original, shape)
    assert result.problems == ()
    assert analyze(result.design).total_params == parameters == sum(p.numel() for p in original.parameters())
    expected, got = round_trip(original, shape)
    assert_same(expected, got)


def test_3d_unet_imports_with_its_paths_and_skips() -> None:
    design = from_torch(UNet3D(base=4), (3, 8, 8, 8)).design
    names = [layer.name for layer in design.layers]
    assert names[:3] == ["encoders.0.conv1", "encoders.0.bn1", "encoders.0.relu1"]
    assert ["pool", "pool_1", "pool_2"] == [n for n in names if n.startswith("pool")]
    cats = [layer for layer in design.layers if layer.type == "Concat"]
    assert [layer.inputs[0] for layer in cats] == ["encoders.2.relu2", "encoders.1.relu2", "encoders.0.relu2"]
    assert {layer.type for layer in design.layers} >= {"Conv3d", "BatchNorm3d", "MaxPool3d", "ConvTranspose3d"}


def test_from_torch_is_part_of_the_package_api() -> None:
    import convdesigner

    result = convdesigner.from_torch(SharedWeights(), (4, 8, 8))
    assert [layer.type for layer in result.design.layers] == ["Conv2d", "ReLU", "Conv2d", "ReLU"]


def test_module_paths_and_repeated_calls_name_the_layers() -> None:
    design = from_torch(resnet18(), (3, 64, 64)).design
    names = [layer.name for layer in design.layers]
    assert names[:4] == ["conv1", "bn1", "relu", "maxpool"]
    assert "layer1.0.relu_1" in names and "layer4.1.conv2" in names
    assert {layer.type for layer in design.layers if layer.name.startswith("add")} == {"Add"}
    conv = design.layers[0]
    assert conv.arguments == {"out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3, "bias": False}


def test_unet_in_place_leaky_relu_is_read_by_the_skip() -> None:
    """pix2pix's inner blocks start with LeakyReLU(inplace=True) on x, then concatenate x: the original
    concatenates the activated x, and so must the design."""
    design = from_torch(unet_256(), (3, 256, 256)).design
    skips = [layer.inputs[0] for layer in design.layers if layer.type == "Concat"]
    assert "model.model.1.model.0" in skips  # the LeakyReLU, not the convolution model.model.0 before it
    assert "model.model.0" not in skips
    assert design.layers[design.index_of("model.model.1.model.0")].type == "LeakyReLU"


def test_dcgan_forward_that_tests_is_cuda_imports() -> None:
    result = from_torch(Generator(), (100, 1, 1))
    assert result.problems == ()
    assert analyze(result.design).layers[-1].output_shape == (3, 64, 64)


def test_dcgan_discriminator_reports_the_squeeze_and_keeps_the_rest() -> None:
    original = randomised(Discriminator(), 3).eval()
    result = from_torch(original, (3, 64, 64))
    assert [(p.node, p.op) for p in result.problems] == [("squeeze", "Tensor.squeeze")]
    assert "pytorch_examples.py:" in result.problems[0].source
    assert result.design.layers[-1].type == "Flatten"  # output.view(-1, 1)
    model = exported_module(result.design).eval()
    model.load_state_dict(original.state_dict(), strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert_same(original(x), model(x).squeeze(1))


def test_espcn_imports_its_pixel_shuffle() -> None:
    result = from_torch(ESPCN(), (1, 32, 32))
    assert not result.problems
    last = analyze(result.design).layers[-1]
    assert (last.type, last.name, last.output_shape) == ("PixelShuffle", "pixel_shuffle", (1, 96, 96))


def test_espcn_round_trip() -> None:
    expected, got = round_trip(ESPCN(), (1, 32, 32))
    assert_same(expected, got)


class PlainChain(nn.Module):
    """Undotted module names in a straight chain, as many small models have."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3)
        self.conv2 = nn.Conv2d(4, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(F.relu(self.conv1(x)))


def test_plain_chain_round_trip() -> None:
    expected, got = round_trip(PlainChain(), (3, 8, 8))
    assert_same(expected, got)


class BranchySequential(nn.Sequential):
    """An nn.Sequential subclass whose forward adds a shortcut (torchvision's DeepLabHead nests one such
    block): its children are numbers, and the design is a graph."""

    def __init__(self) -> None:
        super().__init__(nn.Conv2d(3, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self[0](x)
        return self[1](y) + y


class NestedBranchy(nn.Sequential):
    def __init__(self) -> None:
        super().__init__(BranchySequential(), nn.ReLU())


@pytest.mark.parametrize("factory", [BranchySequential, NestedBranchy])
def test_numbered_children_of_a_graph_keep_their_keys(factory) -> None:
    """Numbers as names in a graph: at the top (``0``, kept as keys, as a chain keeps them) and leading
    dotted names (``0.0``, whose variables in forward were not identifiers)."""
    original = factory()
    result = from_torch(original, (3, 8, 8))
    assert result.problems == ()
    expected, got = round_trip(original, (3, 8, 8))
    assert_same(expected, got)


def test_cyclegan_imports_its_reflection_padding() -> None:
    original = resnet_9blocks()
    result = from_torch(original, (3, 64, 64))
    assert result.problems == ()
    pads = [layer for layer in result.design.layers if layer.type == "ReflectionPad2d"]
    assert len(pads) == 2 + 2 * 9  # the two 7x7 convolutions' pads and two per residual block
    assert analyze(result.design).total_params == 11_378_179


def test_cyclegan_round_trip() -> None:
    expected, got = round_trip(resnet_9blocks(), (3, 64, 64))
    assert_same(expected, got)


class Pads(nn.Module):
    """Every pad module family and every F.pad mode, at 1-D, 2-D and 3-D, asymmetric, some pairs left out."""

    def __init__(self) -> None:
        super().__init__()
        self.reflect = nn.ReflectionPad2d((1, 2, 0, 1))
        self.replicate = nn.ReplicationPad2d(2)
        self.circular = nn.CircularPad2d((0, 1, 2, 0))
        self.constant = nn.ConstantPad2d((1, 0, 0, 1), -1.5)
        self.zero = nn.ZeroPad2d((0, 1, 1, 0))
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.zero(self.constant(self.circular(self.replicate(self.reflect(x)))))
        x = F.pad(x, (1, 2, 2, 1), mode="reflect")
        x = F.pad(x, (1, 0, 1, 0), mode="replicate")
        x = F.pad(x, (2, 1, 0, 2), mode="circular")
        x = F.pad(x, (1, 1, 0, 0), value=float("-inf"))
        x = F.max_pool2d(x, 2)
        x = F.pad(x, (0, 1))  # the last axis only: the first is padded by 0
        x = F.pad(x, (1, 1, 1, 1), value=0.5)
        return self.conv(F.pad(x, (1, 0, 0, 1)))


class Pads3d(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.reflect = nn.ReflectionPad3d((1, 0, 0, 1, 1, 1))
        self.replicate = nn.ReplicationPad1d((2, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(self.reflect(x), (1, 1, 0, 1, 1, 0), mode="circular")
        return self.replicate(torch.flatten(x, 2))


def test_every_pad_family_and_f_pad_mode_imports_as_its_layer_and_round_trips() -> None:
    result = from_torch(Pads(), (3, 8, 9))
    assert result.problems == ()
    layers = {layer.name: layer for layer in result.design.layers}
    assert [layers[n].type for n in ("reflect", "replicate", "circular", "constant", "zero")] == [
        "ReflectionPad2d", "ReplicationPad2d", "CircularPad2d", "ConstantPad2d", "ZeroPad2d"]
    assert layers["constant"].arguments == {"padding": (1, 0, 0, 1), "value": -1.5}
    assert [(layers[n].type, layers[n].arguments) for n in ("pad", "pad_1", "pad_2", "pad_3", "pad_4", "pad_5",
                                                            "pad_6")] == [
        ("ReflectionPad2d", {"padding": (1, 2, 2, 1)}), ("ReplicationPad2d", {"padding": (1, 0, 1, 0)}),
        ("CircularPad2d", {"padding": (2, 1, 0, 2)}), ("ConstantPad2d", {"padding": (1, 1, 0, 0), "value": -math.inf}),
        ("ZeroPad2d", {"padding": (0, 1, 0, 0)}), ("ConstantPad2d", {"padding": 1, "value": 0.5}),
        ("ZeroPad2d", {"padding": (1, 0, 0, 1)})]
    expected, got = round_trip(Pads(), (3, 8, 9))
    assert_same(expected, got)


def test_3d_and_1d_pads_round_trip() -> None:
    result = from_torch(Pads3d(), (2, 4, 5, 6))
    assert result.problems == ()
    assert [layer.type for layer in result.design.layers] == [
        "ReflectionPad3d", "CircularPad3d", "Flatten", "ReplicationPad1d"]
    expected, got = round_trip(Pads3d(), (2, 4, 5, 6))
    assert_same(expected, got)


class BadPad(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, (1, 1, 1, 1, 1, 1))  # the channels too


def test_a_pad_of_the_channels_is_reported() -> None:
    result = from_torch(BadPad(), (3, 8, 8))
    assert [(p.node, p.op) for p in result.problems] == [("pad", "torch.nn.functional.pad")]
    assert "pads 6 values; a pad layer pads the 2 spatial axes" in result.problems[0].message


class Chain(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.BatchNorm2d(8)
        self.up = nn.ConvTranspose2d(16, 4, 4, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = F.relu(self.norm(self.conv(x)))
        b = torch.tanh(a) + a
        c = F.interpolate(b, scale_factor=2, mode="bilinear", align_corners=False)
        c = F.max_pool2d(c, kernel_size=3, stride=2, padding=1)
        d = F.pad(c, [1, 1, 1, 1])
        d = F.avg_pool2d(d, 3, 1)
        return torch.flatten(self.up(torch.cat([d, a], 1)), 1)


def test_functions_and_methods_become_layers_and_round_trip() -> None:
    original = Chain()
    result = from_torch(original, (3, 16, 16))
    assert result.problems == ()
    types = [(layer.name, layer.type) for layer in result.design.layers]
    assert ("relu", "ReLU") in types and ("tanh", "Tanh") in types and ("add", "Add") in types
    assert ("interpolate", "Upsample") in types and ("max_pool2d", "MaxPool2d") in types
    assert ("pad", "ZeroPad2d") in types and ("cat", "Concat") in types and ("flatten", "Flatten") in types
    expected, got = round_trip(original, (3, 16, 16))
    assert_same(expected, got)


class Unsupported(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        y = torch.erf(y)  # same shape: passed on
        y = y * self.scale  # a parameter outside a layer
        return y.permute(0, 1, 3, 2)


def test_unsupported_operations_are_reported_with_node_op_and_line() -> None:
    result = from_torch(Unsupported(), (3, 8, 10))
    problems = {p.node: p for p in result.problems}
    assert problems["erf"].op == "torch.erf" and "passes its input on unchanged" in problems["erf"].action
    assert "test_import_torch.py:" in problems["erf"].source
    assert "scale" in problems["scale"].message
    assert problems["permute"].op == "Tensor.permute" and "left out" in problems["permute"].action
    assert any(p.op == "state_dict" and "scale" in p.message for p in result.problems)
    assert [layer.name for layer in result.design.layers] == ["conv"]


class Untraceable(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return self.conv(x)
        return x


def test_untraceable_model_is_reported_without_a_design() -> None:
    result = from_torch(Untraceable(), (3, 8, 8))
    assert result.design is None and result.exit_code == 2
    (problem,) = result.problems
    assert problem.op == "torch.fx" and "cannot trace" in problem.message
    assert "test_import_torch.py:" in problem.source and "control flow" in problem.action


def with_first_module_named(name: str) -> nn.Module:
    model = nn.Sequential()
    model.add_module(name, nn.Conv2d(3, 4, 3))
    model.add_module("act", nn.ReLU())
    return model


@pytest.mark.parametrize("name", ['conv"1', "class", "conv 1", "κόνβ"])
def test_a_module_name_that_is_no_identifier_imports_and_its_renamed_key_is_reported(name: str) -> None:
    """PyTorch takes any name without a dot (add_module); torch.fx's generated code does not (a quote, a
    keyword: a SyntaxError reached the user), and the export keys such a module by a safe variant, so the
    original's state_dict no longer loads strictly: that is reported with the key to map."""
    original = with_first_module_named(name)
    result = from_torch(original, (3, 8, 8))
    assert [layer.name for layer in result.design.layers] == [name, "act"]
    (problem,) = result.problems
    key = next(s.path for s in torch_plan(result.design).steps if s.layer_index == 0 and s.role == "layer")
    assert key != name
    assert (problem.node, problem.op) == (name, "state_dict") and f"'{key}'" in problem.message
    model = exported_module(result.design)
    model.load_state_dict({key + k[len(name):]: v for k, v in original.state_dict().items()}, strict=True)


def test_an_input_too_large_to_run_the_model_on_is_refused_before_it_runs() -> None:
    """The import runs the model on a sample of the input shape: one that would take gigabytes is refused
    with the rule, not allocated (an allocator error reached the user as a traceback)."""
    result = from_torch(ESPCN(), (1, 1_000_000, 1_000_000))
    assert result.design is None and result.exit_code == 2
    (problem,) = result.problems
    assert problem.op == "input" and "1,000,000,000,000 values" in problem.message
    assert "smaller" in problem.action


def tcn_block(parametrize) -> nn.Module:
    """locuslab/TCN's temporal block (TCN/tcn.py) in short: a dilated causal Conv1d under weight_norm, then ReLU."""
    return nn.Sequential(parametrize(nn.Conv1d(4, 8, 2, dilation=2, padding=2)), nn.ReLU())


@pytest.mark.parametrize("parametrize", [
    nn.utils.parametrizations.weight_norm,
    lambda module: nn.utils.parametrizations.weight_norm(module, dim=None),
    nn.utils.parametrizations.spectral_norm,
    lambda module: nn.utils.parametrizations.spectral_norm(nn.ConvTranspose1d(4, 8, 2, dilation=2)),
])
def test_a_parametrized_weight_imports_as_the_layers_parametrization(parametrize) -> None:
    """weight_norm (g and v: parameters beyond the weight's) and spectral_norm (buffers) of a weight import as
    the layer's ``parametrization`` and its dim: the parameter count is PyTorch's, and the export loads the
    original's state_dict strictly (a parametrized module was refused as a type convdesigner lacks)."""
    original = tcn_block(parametrize)
    result = from_torch(original, (4, 32))
    assert result.problems == ()
    assert analyze(result.design).total_params == sum(p.numel() for p in original.parameters())
    expected, got = round_trip(original, (4, 32))
    assert_same(expected, got)


@pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated")
@pytest.mark.parametrize(("parametrize", "kind", "renamed"), [
    (nn.utils.weight_norm, "weight_norm", "weight_g"),
    (nn.utils.spectral_norm, "spectral_norm", "weight_orig"),
])
def test_the_legacy_weight_hooks_import_as_the_parametrization_with_their_keys_reported(parametrize, kind: str,
                                                                                        renamed: str) -> None:
    """TCN applies the legacy torch.nn.utils.weight_norm, a forward hook: it imported as a plain convolution,
    8 parameters short and with no word of it. The design holds it as the parametrization (the export writes
    torch.nn.utils.parametrizations', whose keys differ), and the keys to map are reported."""
    original = tcn_block(parametrize)
    result = from_torch(original, (4, 32))
    assert dict(result.design.layers[0].arguments)["parametrization"] == kind
    assert analyze(result.design).total_params == sum(p.numel() for p in original.parameters())
    (problem,) = result.problems
    assert problem.op == "Conv1d" and f"'0.{renamed}'" in problem.message and "parametrizations.weight.original" in \
        problem.message


def test_a_parametrization_the_design_cannot_hold_is_reported() -> None:
    class Doubled(nn.Module):
        def forward(self, weight: torch.Tensor) -> torch.Tensor:
            return weight * 2

    conv = nn.Conv1d(4, 8, 2)
    nn.utils.parametrize.register_parametrization(conv, "weight", Doubled())
    result = from_torch(nn.Sequential(conv, nn.ReLU()), (4, 32))
    assert [p.op for p in result.problems][0] == "nn.Conv1d"
    assert "Doubled" in result.problems[0].message


class NormalisedOver(nn.Module):
    def __init__(self, normalized_shape) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 1)
        self.norm = nn.LayerNorm(normalized_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(x))


@pytest.mark.parametrize(("original", "shape"), [
    (NormalisedOver([8, 8, 8]), (3, 8, 8)),
    (NormalisedOver(8), (3, 8, 8)),
    (NormalisedOver([8, 5]), (3, 8, 5)),
    (nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.Unflatten(1, (2, 2, 2)), nn.Conv2d(2, 3, 1)), (3, 2, 2)),
    (nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.LayerNorm(8)), (3, 2, 2)),
])
def test_shapes_of_equal_sizes_and_normalised_shapes_import_as_the_module_has_them(original, shape) -> None:
    """LayerNorm over spatial axes needs its normalized_shape (an argument the engine infers only for a feature
    vector: it was left out, and the design refused), and a shape of equal sizes stays a shape (Unflatten's
    (2, 2, 2) became 2)."""
    result = from_torch(original, shape)
    assert result.problems == ()
    expected, got = round_trip(original, shape)
    assert_same(expected, got)


class PooledHead(nn.Module):
    """DeepLabV3's ASPPPooling (torchvision/models/segmentation/deeplabv3.py): a global pool, a 1x1 conv, then
    back to the input's size, read from the tensor (``x.shape[-2:]``)."""

    def __init__(self, read) -> None:
        super().__init__()
        self.read = read
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.conv = nn.Conv2d(4, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(self.pool(x))
        return F.interpolate(y, size=self.read(x), mode="bilinear", align_corners=False) + x


@pytest.mark.parametrize("read", [lambda x: x.shape[-2:], lambda x: (x.size(2), x.size(3))])
def test_a_size_read_from_a_tensor_is_no_problem_and_becomes_size_from(read) -> None:
    """Reading a tensor's size (DeepLab's ``x.shape[-2:]``, U-Net's ``x.size(2)``) computes no tensor: it was
    reported as an unsupported operation whose dependants were left out (none were); the interpolation to it
    becomes ``size_from`` that tensor, so the design follows other input sizes."""
    original = PooledHead(read)
    result = from_torch(original, (4, 9, 9))
    assert result.problems == ()
    upsample = next(layer for layer in result.design.layers if layer.type == "Upsample")
    assert dict(upsample.arguments)["size_from"] == "input" and "size" not in dict(upsample.arguments)
    expected, got = round_trip(original, (4, 9, 9))
    assert_same(expected, got)


def test_tcn_imports_its_chomps_as_crops_and_loads_with_the_reported_keys() -> None:
    """TCN (locuslab/TCN): each causal convolution is padded on both sides and chomped by slicing
    (``x[:, :, :-chomp]``), which imports as a zero pad of negative padding (it was an unsupported
    ``getitem`` and every later layer was left out); its legacy weight_norm and its layers registered twice
    (``conv1`` and ``net.0``) are reported with their keys, and with those keys mapped the export loads the
    original's weights strictly and computes the same."""
    original = randomised(TemporalConvNet(4, [8, 8, 6]), 0).eval()
    result = from_torch(original, (4, 32))
    kinds = sorted({(p.op, "legacy forward hook" in p.message) for p in result.problems})
    assert kinds == [("Conv1d", True), ("state_dict", False)] and len(result.problems) == 7
    assert "registered twice" in result.problems[-1].message
    crops = [dict(layer.arguments) for layer in result.design.layers if layer.type == "ZeroPad1d"]
    assert crops == [{"padding": (0, -1)}] * 2 + [{"padding": (0, -2)}] * 2 + [{"padding": (0, -4)}] * 2
    assert analyze(result.design).total_params == sum(p.numel() for p in original.parameters())
    model = exported_module(loads(dumps(result.design))).eval()
    legacy = {".weight_g": ".parametrizations.weight.original0", ".weight_v": ".parametrizations.weight.original1"}
    state = {}
    for key, value in original.state_dict().items():
        if ".net." not in key:  # the second names of the blocks' layers
            suffix = next((old for old in legacy if key.endswith(old)), None)
            state[key[:-len(suffix)] + legacy[suffix] if suffix else key] = value
    model.load_state_dict(state, strict=True)
    x = torch.randn(2, 4, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert_same(original(x), model(x))


class Cropped(nn.Module):
    def __init__(self, index) -> None:
        super().__init__()
        self.index = index
        self.conv = nn.Conv2d(3, 4, 3, padding=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)[self.index]


@pytest.mark.parametrize("index", [(slice(None), slice(None), slice(1, -2), slice(3, None)),
                                   (Ellipsis, slice(2, 7)), (slice(None), slice(None), slice(0, 9))])
def test_slices_of_the_spatial_axes_import_as_crops(index) -> None:
    """FCN's crop of the upsampled score map to the input (``x[:, :, a:a + h, b:b + w]``) and its kin."""
    original = Cropped(index)
    result = from_torch(original, (3, 9, 11))
    assert result.problems == ()
    expected, got = round_trip(original, (3, 9, 11))
    assert_same(expected, got)


@pytest.mark.parametrize("index", [(slice(None), slice(0, 2)), (slice(None), slice(None), 3),
                                   (slice(None), slice(None), slice(0, 9, 2))])
def test_a_slice_a_pad_cannot_crop_is_reported(index) -> None:
    result = from_torch(Cropped(index), (3, 9, 11))
    (problem,) = result.problems
    assert problem.op == "operator.getitem" and "x[:, :, a:b]" in problem.action


class UnpooledModules(nn.Module):
    """SegNet's pool and unpool as modules, the unpool told the size to restore (``output_size``)."""

    def __init__(self, ndim: int = 2) -> None:
        super().__init__()
        self.conv = getattr(nn, f"Conv{ndim}d")(3, 8, 3, padding=1)
        self.pool = getattr(nn, f"MaxPool{ndim}d")(2, return_indices=True)
        self.unpool = getattr(nn, f"MaxUnpool{ndim}d")(2)
        self.out = getattr(nn, f"Conv{ndim}d")(8, 2, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        pooled, indices = self.pool(y)
        return self.out(self.unpool(pooled, indices, output_size=y.shape[2:]))


@pytest.mark.parametrize(("original", "shape"), [(SegNet(3, 2, width=1 / 16), (3, 32, 32)),
                                                 (UnpooledModules(), (3, 9, 11)), (UnpooledModules(1), (3, 9))])
def test_segnets_pooling_indices_import_as_the_unpools_indices(original, shape) -> None:
    """SegNet (delta-onera/segnet_pytorch) pools with ``return_indices=True`` and unpools with those indices:
    the import said a design cannot hold them, though a MaxUnpool layer names its pool (``indices``)."""
    result = from_torch(original, shape)
    assert result.problems == ()
    unpools = [dict(layer.arguments) for layer in result.design.layers if layer.type.startswith("MaxUnpool")]
    pools = [layer.name for layer in result.design.layers if layer.type.startswith("MaxPool")]
    assert [u["indices"] for u in unpools] == pools[::-1]
    expected, got = round_trip(original, shape)
    assert_same(expected, got)


class SharedWeights(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(self.act(self.conv(x))))


def test_module_called_twice_gives_suffixed_layers_and_shared_weights_are_reported() -> None:
    result = from_torch(SharedWeights(), (4, 8, 8))
    assert [layer.name for layer in result.design.layers] == ["conv", "act", "conv_1", "act_1"]
    assert [p.node for p in result.problems] == ["conv_1"]
    assert "2 times with the same weights" in result.problems[0].message


def test_the_models_training_mode_is_left_as_it_was() -> None:
    model = MobileNetV2().train()
    model.classifier.eval()
    assert from_torch(model, (3, 32, 32)).problems == ()  # traced in eval mode: dropout is no problem
    assert model.training and model.features.training and not model.classifier.training


class TwoInputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor, y: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        return self.conv(x) + self.conv(y) * scale


def test_a_forward_with_two_inputs_is_reported() -> None:
    result = from_torch(TwoInputs(), (3, 8, 8))
    assert result.design is None
    assert "forward takes 2 tensors (x, y); a design has one input" in result.problems[0].message


def test_wrong_input_shape_is_reported() -> None:
    result = from_torch(resnet18(), (1, 64, 64))
    assert result.design is None and "fails on an input of shape (1, 64, 64)" in result.problems[0].message
