"""Importing ONNX files (issue 14): what torch 2.13's exporter really writes (the dynamo exporter: batch norm
folded into the convolutions, weights in an external data file) imports with every shape equal to ONNX shape
inference, and the design's PyTorch export, loaded with the file's initializers, computes the original's
outputs within 1e-5 x max(1, |y|). Rules PyTorch lacks (auto_pad, asymmetric pads) become explicit padding."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxscript")
nn = torch.nn
F = torch.nn.functional

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402
from reference_models.mobilenetv2 import MobileNetV2  # noqa: E402
from reference_models.pix2pix_cyclegan import ResnetGenerator, UnetGenerator, unet_256  # noqa: E402
from reference_models.pytorch_examples import ESPCN, Discriminator, Generator, TransformerNet  # noqa: E402
from reference_models.resnet import resnet18, resnet50  # noqa: E402
from reference_models.unet3d import UNet3D  # noqa: E402
from test_import_torch import Chain, exported_module, one_thread  # noqa: E402,F401
from test_real_networks import randomised  # noqa: E402

from convdesigner.engine.analysis import analyze  # noqa: E402
from convdesigner.io.design_file import dumps, loads  # noqa: E402
from convdesigner.io.import_onnx import from_onnx, state_dict  # noqa: E402
from convdesigner.io.torch_export import export_torch  # noqa: E402

pytestmark = pytest.mark.torch


class Activations(nn.Module):
    """The activations and normalisations torch's exporter writes as ONNX PRelu (its slopes [1, C, 1, 1] and
    [1, 1, 1, 1]), HardSwish, InstanceNormalization and LogSoftmax."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, channels, 3)
        self.prelu = nn.PReLU(channels)
        self.shared = nn.PReLU()
        self.hardswish = nn.Hardswish()
        self.norm = nn.InstanceNorm2d(channels, affine=True, eps=1e-3)
        self.log_softmax = nn.LogSoftmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.log_softmax(self.norm(self.hardswish(self.shared(self.prelu(self.conv(x))))))


def onnx_file(model: nn.Module, shape: tuple[int, ...], path: Path) -> Path:
    torch.onnx.export(model, (torch.randn(1, *shape),), str(path), dynamo=True, verbose=False)
    return path


def assert_close(expected: torch.Tensor, got: torch.Tensor) -> None:
    """Equal within 1e-5 x max(1, |y|) (|y| the largest output): folding batch norm into the convolutions
    changes the rounding."""
    assert got.shape == expected.shape
    assert (got - expected).abs().max().item() <= 1e-5 * max(1.0, expected.abs().max().item())


@pytest.mark.parametrize(("factory", "shape"), [
    (Chain, (3, 16, 16)),
    (resnet18, (3, 64, 64)),
    (MobileNetV2, (3, 32, 32)),
    (Generator, (100, 1, 1)),
    (lambda: UnetGenerator(3, 3, 5, ngf=8, use_dropout=True), (3, 32, 32)),  # pix2pix's code, narrower
    (lambda: UNet3D(base=8), (3, 8, 8, 8)),  # the paper's layout, narrower
    (TransformerNet, (3, 32, 32)),  # fast-neural-style: InstanceNormalization
    (lambda: Activations(6), (3, 8, 8)),
])
def test_torch_onnx_export_round_trip(tmp_path: Path, factory, shape: tuple[int, ...]) -> None:
    original = randomised(factory(), 5).eval()
    path = onnx_file(original, shape, tmp_path / "model.onnx")
    result = from_onnx(path)
    assert result.problems == ()
    model = exported_module(result.design).eval()
    model.load_state_dict(state_dict(path, result), strict=True)
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert_close(original(x), model(x))


def test_dcgan_discriminator_reports_the_squeeze_and_keeps_the_rest(tmp_path: Path) -> None:
    """As from PyTorch (test_import_torch): ``output.view(-1, 1).squeeze(1)`` drops the channel axis a design
    keeps, so the Squeeze is reported and everything before it imports and computes the original."""
    original = randomised(Discriminator(), 3).eval()
    path = onnx_file(original, (3, 64, 64), tmp_path / "model.onnx")
    result = from_onnx(path)
    assert [p.op for p in result.problems] == ["Squeeze"]
    assert result.design.layers[-1].type == "Flatten"  # output.view(-1, 1)
    model = exported_module(result.design).eval()
    model.load_state_dict(state_dict(path, result), strict=True)
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert_close(original(x), model(x).squeeze(1))


#: Full-size networks exported once per test session: (factory, one sample's shape). Small inputs keep them
#: fast: ResNet-50 at 64x64; pix2pix's U-Net-256 needs 256x256 (eight halvings down to 1x1).
FULL_SIZE = {"resnet50": (resnet50, (3, 64, 64)), "unet_256": (unet_256, (3, 256, 256))}


def statistics_randomised(model: nn.Module, seed: int) -> nn.Module:
    """PyTorch's own initialisation of the weights (scaled to the fan-in, so that activations stay near 1
    through 16 full-width layers: far larger ones would make float32 rounding the measure) with random biases
    and batch-norm statistics (so that the exporter's folding has something to fold)."""
    torch.manual_seed(seed)
    model.apply(lambda module: module.reset_parameters() if hasattr(module, "reset_parameters") else None)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            if tensor.dtype.is_floating_point and tensor.dim() == 1:
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * 0.2 + 0.9)
    return model


@pytest.fixture(scope="session")
def full_size_onnx(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[nn.Module, Path]]:
    """ResNet-50 and the full-width pix2pix U-Net-256, random weights and statistics, in eval mode, exported
    with torch 2.13's default (dynamo) exporter: name -> (the original, its .onnx file)."""
    folder = tmp_path_factory.mktemp("full_size_onnx")
    exported = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for name, (factory, shape) in FULL_SIZE.items():
            original = statistics_randomised(factory(), 11).eval()
            exported[name] = (original, onnx_file(original, shape, folder / f"{name}.onnx"))
    finally:
        torch.set_num_threads(threads)
    return exported


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FULL_SIZE))
def test_full_size_networks_exported_by_torch_round_trip(full_size_onnx, name: str) -> None:
    """Batch norm folded into the convolutions, weights in external data: the import reports nothing, its
    export loads the initializers strictly and computes the original's outputs."""
    original, path = full_size_onnx[name]
    shape = FULL_SIZE[name][1]
    assert (path.parent / f"{path.name}.data").exists()
    result = from_onnx(path)
    assert result.problems == ()
    stored = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    assert analyze(result.design).total_params == sum(stored[name].size for name in result.weights)
    assert all(name in result.weights for name, array in stored.items() if array.dtype.kind == "f" and array.ndim)
    model = exported_module(result.design).eval()
    model.load_state_dict(state_dict(path, result), strict=True)
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        assert_close(original(x), model(x))


@pytest.mark.parametrize(("factory", "shape", "kind"), [
    (ESPCN, (1, 16, 16), "PixelShuffle"),  # DepthToSpace, mode CRD
    (lambda: ResnetGenerator(3, 3, ngf=8, n_blocks=1), (3, 32, 32), "ReflectionPad2d"),  # Pad, mode reflect
])
def test_pixel_shuffle_and_reflection_padding_round_trip(tmp_path: Path, factory, shape, kind: str) -> None:
    original = randomised(factory(), 3).eval()
    path = onnx_file(original, shape, tmp_path / "model.onnx")
    result = from_onnx(path)
    assert result.problems == ()
    assert kind in {layer.type for layer in result.design.layers}
    model = exported_module(loads(dumps(result.design))).eval()
    model.load_state_dict(state_dict(path, result), strict=True)
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        assert_close(original(x), model(x))


def test_external_data_and_weight_names(tmp_path: Path) -> None:
    path = onnx_file(randomised(resnet18(), 1).eval(), (3, 32, 32), tmp_path / "resnet.onnx")
    assert (tmp_path / "resnet.onnx.data").exists()  # the exporter keeps large weights beside the file
    result = from_onnx(path)
    names = [layer.name for layer in result.design.layers]
    assert names[0] == "conv1" and "layer4.1.conv2" in names and names[-1] == "fc"
    assert result.weights["layer1.0.conv1.weight"] == "layer1.0.conv1.weight"
    assert result.weights["fc.bias"] == "fc.bias"


def hand_made(tmp_path: Path, nodes: list, inputs: list, output_shape: list | None, initializers: list,
              opset: int = 18) -> Path:
    """A graph of the nodes from ``x`` to ``y`` (``output_shape`` None: left to shape inference)."""
    graph = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                                                    output_shape)], initializers)
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "hand.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), str(path))
    return path


def test_auto_pad_same_upper_becomes_asymmetric_padding(tmp_path: Path) -> None:
    weight = torch.randn(4, 3, 3, 3)
    node = helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER", strides=[2, 2], kernel_shape=[3, 3])
    path = hand_made(tmp_path, [node], [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                     [1, 4, 4, 4], [numpy_helper.from_array(weight.numpy(), "w")])
    result = from_onnx(path)
    assert result.problems == ()
    conv = result.design.layers[0]
    assert conv.get("padding") == ((0, 1), (0, 1))  # SAME_UPPER puts the odd unit at the end
    model = exported_module(result.design).eval()
    model.load_state_dict(state_dict(path, result), strict=True)
    x = torch.randn(1, 3, 8, 8)
    with torch.no_grad():
        assert_close(F.conv2d(F.pad(x, (0, 1, 0, 1)), weight, stride=2), model(x))


def test_asymmetric_average_pool_pads_before_the_pool(tmp_path: Path) -> None:
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[0, 1, 1, 0],
                            count_include_pad=1)
    path = hand_made(tmp_path, [node], [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 7, 7])],
                     [1, 2, 3, 3], [])
    result = from_onnx(path)
    assert result.problems == ()
    assert [layer.type for layer in result.design.layers] == ["ZeroPad2d", "AvgPool2d"]
    x = torch.randn(1, 2, 7, 7)
    with torch.no_grad():
        # pads = [H begin, W begin, H end, W end]; F.pad takes (W begin, W end, H begin, H end)
        assert_close(F.avg_pool2d(F.pad(x, (1, 0, 0, 1)), 3, 2), exported_module(result.design).eval()(x))


def matches_the_reference(path: Path, x: torch.Tensor, reference: Path | None = None):
    """Import, save and load the design file, export it, load the file's initializers strictly: the design's
    output equals onnx's reference evaluator on ``x`` (the import's shapes equal ONNX shape inference, else it
    would report them), run on ``reference`` where given (the same graph written otherwise). Returns the
    import."""
    result = from_onnx(path)
    assert result.problems == ()
    model = exported_module(loads(dumps(result.design))).eval()
    model.load_state_dict(state_dict(path, result), strict=True)
    (expected,) = ReferenceEvaluator(str(reference or path)).run(None, {"x": x.numpy()})
    with torch.no_grad():
        assert_close(torch.from_numpy(expected), model(x))
    return result


def value(name: str, shape: list) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


@pytest.mark.parametrize(("attributes", "size", "pads"), [
    ({"kernel_shape": [2, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER"}, 7, (0, 1, 0, 1)),  # TF 'SAME'
    ({"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_LOWER"}, 8, (1, 0, 1, 0)),
    ({"kernel_shape": [3, 3], "pads": [0, 1, 2, 0]}, 6, (1, 0, 0, 2)),  # [H begin, W begin, H end, W end]
    ({"kernel_shape": [3, 3], "pads": [2, 2, 2, 2]}, 5, 2),  # more than PyTorch's kernel_size // 2
])
def test_max_pool_pads_pytorch_lacks_become_a_pad_of_minus_infinity(tmp_path: Path, attributes, size: int,
                                                                     pads) -> None:
    """The input is all negative: a pad of zeros would win every window it touches, -inf never does. The
    reference is the graph written as ONNX defines the pool's padding, a Pad of -inf before a MaxPool without
    pads (onnx 1.23's reference MaxPool misplaces SAME_LOWER's odd unit and asymmetric pads; ONNX shape
    inference, which the import checks every shape against, agrees with the specification)."""
    node = helper.make_node("MaxPool", ["x"], ["y"], **attributes)
    path = hand_made(tmp_path, [node], [value("x", [1, 2, size, size])], None, [])
    flat = (pads,) * 4 if isinstance(pads, int) else pads
    onnx_pads = [0, 0, flat[2], flat[0], 0, 0, flat[3], flat[1]]  # N, C, H, W begins, then ends
    explicit = [helper.make_node("Pad", ["x", "pads", "minus_infinity"], ["p"], mode="constant"),
                helper.make_node("MaxPool", ["p"], ["y"], kernel_shape=attributes["kernel_shape"],
                                 strides=attributes.get("strides", [1, 1]))]
    reference = hand_made(tmp_path / "reference", explicit, [value("x", [1, 2, size, size])], None, [
        numpy_helper.from_array(torch.tensor(onnx_pads, dtype=torch.int64).numpy(), "pads"),
        numpy_helper.from_array(torch.tensor(-math.inf).numpy(), "minus_infinity")])
    x = -1 - torch.rand(1, 2, size, size)
    result = matches_the_reference(path, x, reference)
    pad, pool = result.design.layers
    assert (pad.type, pad.arguments) == ("ConstantPad2d", {"padding": pads, "value": -math.inf})
    assert pool.type == "MaxPool2d" and pool.get("padding") is None
    assert "float(\"-inf\")" in export_torch(result.design)


def test_dynamic_input_needs_and_takes_input_shape(tmp_path: Path) -> None:
    node = helper.make_node("Relu", ["x"], ["y"])
    path = hand_made(tmp_path, [node], [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
                     ["N", 3, "H", "W"], [])
    refused = from_onnx(path)
    assert refused.design is None and "give the input shape" in refused.problems[0].action
    result = from_onnx(path, (3, 10, 12))
    assert result.problems == () and result.design.input.shape == (3, 10, 12)
    refused = from_onnx(path, (4, 10, 12))  # the file fixes the channels
    assert refused.design is None and "fixed at 3×H×W" in refused.problems[0].message


def test_a_shape_given_for_a_file_whose_input_is_fixed_must_be_that_shape(tmp_path: Path) -> None:
    """A given input shape replaced a fixed one: 3 channels into a convolution whose weights read 1 imported
    without a word, and a smaller size broke the reshapes the exporter had folded for the file's size. Where the
    file fixes its input, the shape given must be that one (the app's Import dialog and ``--input`` alike), and
    no message names a command-line option."""
    weight = torch.randn(4, 1, 3, 3)
    path = hand_made(tmp_path, [helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3])],
                     [value("x", [1, 1, 8, 8])], None, [numpy_helper.from_array(weight.numpy(), "w")])
    assert from_onnx(path, (1, 8, 8)).problems == ()
    for given in ((3, 8, 8), (1, 16, 16), (1, 8)):
        refused = from_onnx(path, given)
        (problem,) = refused.problems
        assert refused.design is None and "fixed at 1×8×8" in problem.message, given
        assert "--" not in problem.text


def test_unsupported_operator_is_reported(tmp_path: Path) -> None:
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Erf", ["r"], ["y"])]
    path = hand_made(tmp_path, nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 4, 4])],
                     [1, 4, 4, 4], [])
    result = from_onnx(path)
    assert [(p.op, p.node) for p in result.problems] == [("Erf", "y")]
    assert "no layer type" in result.problems[0].message and result.exit_code == 1


def conv_node(tmp: list, name: str, source: str, out: str, weight: torch.Tensor, **attributes) -> onnx.NodeProto:
    """A Conv with a random bias; its initializers are appended to ``tmp``."""
    tmp += [numpy_helper.from_array(weight.numpy(), f"{name}.weight"),
            numpy_helper.from_array(torch.randn(weight.shape[0]).numpy(), f"{name}.bias")]
    return helper.make_node("Conv", [source, f"{name}.weight", f"{name}.bias"], [out], **attributes)


@pytest.mark.parametrize("mode", ["CRD", "DCR"])
def test_depth_to_space_after_a_convolution_is_a_pixel_shuffle_in_either_mode(tmp_path: Path, mode: str) -> None:
    """DCR orders the channels block first: the convolution before it gets its output channels reordered."""
    initializers: list = []
    nodes = [conv_node(initializers, "conv", "x", "c", torch.randn(12, 2, 3, 3), pads=[1, 1, 1, 1]),
             helper.make_node("DepthToSpace", ["c"], ["y"], blocksize=2, mode=mode)]
    path = hand_made(tmp_path, nodes, [value("x", [1, 2, 5, 4])], None, initializers)
    result = matches_the_reference(path, torch.randn(1, 2, 5, 4))
    assert [layer.type for layer in result.design.layers] == ["Conv2d", "PixelShuffle"]
    assert set(result.permuted) == ({"conv.weight", "conv.bias"} if mode == "DCR" else set())


def test_depth_to_space_dcr_without_a_convolution_before_it_is_reported(tmp_path: Path) -> None:
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("DepthToSpace", ["r"], ["y"], blocksize=2)]
    path = hand_made(tmp_path, nodes, [value("x", [1, 8, 4, 4])], [1, 2, 8, 8], [])
    result = from_onnx(path)
    assert [(p.op, p.node) for p in result.problems] == [("DepthToSpace", "y")]
    assert "DCR mode" in result.problems[0].message and "export with mode CRD" in result.problems[0].action


def test_depth_to_space_dcr_of_one_channel_needs_no_reordering(tmp_path: Path) -> None:
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("DepthToSpace", ["r"], ["y"], blocksize=3)]
    path = hand_made(tmp_path, nodes, [value("x", [1, 9, 2, 3])], None, [])
    result = matches_the_reference(path, torch.randn(1, 9, 2, 3))
    assert result.design.layers[-1].arguments == {"upscale_factor": 3} and not result.permuted


@pytest.mark.parametrize("channels", [1, 3])
def test_space_to_depth_is_a_pixel_unshuffle(tmp_path: Path, channels: int) -> None:
    """Block first, as DCR: for several channels the convolution reading it gets its input channels reordered."""
    initializers: list = []
    nodes = [helper.make_node("SpaceToDepth", ["x"], ["s"], blocksize=2),
             conv_node(initializers, "conv", "s", "y", torch.randn(5, 4 * channels, 1, 1))]
    path = hand_made(tmp_path, nodes, [value("x", [1, channels, 6, 4])], None, initializers)
    result = matches_the_reference(path, torch.randn(1, channels, 6, 4))
    assert [layer.type for layer in result.design.layers] == ["PixelUnshuffle", "Conv2d"]
    assert set(result.permuted) == (set() if channels == 1 else {"conv.weight"})


def test_space_to_depth_of_several_channels_without_a_convolution_is_reported(tmp_path: Path) -> None:
    nodes = [helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2)]
    path = hand_made(tmp_path, nodes, [value("x", [1, 3, 4, 4])], [1, 12, 2, 2], [])
    result = from_onnx(path)
    assert [p.op for p in result.problems] == ["SpaceToDepth"] and "block first" in result.problems[0].message


@pytest.mark.parametrize(("attributes", "size", "pads", "layers"), [
    # output_shape without auto_pad: total = s(i - 1) + output_padding + (k - 1)d + 1 - output_shape, the odd unit
    # at the start (ONNX's ConvTranspose): H 11 - 10 = 1 -> (1, 0), W 11 - 9 = 2 -> (1, 1)
    ({"strides": [2, 2], "output_shape": [10, 9]}, 5, [1, 1, 0, 1], ["ConvTranspose2d"]),
    ({"strides": [2, 2], "output_shape": [8, 8]}, 5, [2, 2, 1, 1], ["ConvTranspose2d"]),  # totals 3: (2, 1)
    # SAME_UPPER puts the odd unit at the end, which PyTorch cannot crop: a crop layer after
    ({"strides": [3, 2], "output_shape": [11, 8], "auto_pad": "SAME_UPPER"}, 4, [0, 0, 1, 1],
     ["ConvTranspose2d", "ZeroPad2d"]),
    ({"strides": [2, 3], "auto_pad": "SAME_LOWER"}, 4, [1, 0, 0, 0], ["ConvTranspose2d"]),  # output input x stride
    ({"strides": [2, 2], "pads": [1, 0, 1, 1], "output_padding": [1, 1]}, 4, None, ["ConvTranspose2d"]),
    ({"strides": [2, 2], "pads": [0, 1, 1, 2], "output_padding": [1, 0]}, 4, None, ["ConvTranspose2d", "ZeroPad2d"]),
])
def test_conv_transpose_output_shape_and_pads_as_onnx_specifies(tmp_path: Path, attributes, size: int, pads,
                                                                 layers) -> None:
    """Against onnx's reference evaluator; for ``output_shape`` and ``auto_pad`` (which it does not evaluate)
    on the same node with the pads the specification computes, and the output shape against shape inference."""
    weight = torch.randn(3, 2, 3, 3)  # ConvTranspose: [in, out / groups, k...]
    initializers = [numpy_helper.from_array(weight.numpy(), "w"), numpy_helper.from_array(torch.randn(2).numpy(), "b")]
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], **attributes)
    path = hand_made(tmp_path, [node], [value("x", [1, 3, size, size])], None, initializers)
    reference = None
    if pads is not None:
        explicit = {k: v for k, v in attributes.items() if k not in ("output_shape", "auto_pad")}
        reference = hand_made(tmp_path / "reference", [helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"],
                                                                        pads=pads, **explicit)],
                              [value("x", [1, 3, size, size])], None, initializers)
    result = matches_the_reference(path, torch.randn(1, 3, size, size), reference)
    assert [layer.type for layer in result.design.layers] == layers
    inferred = onnx.shape_inference.infer_shapes(onnx.load(str(path))).graph.output[0]
    expected = tuple(d.dim_value for d in inferred.type.tensor_type.shape.dim[2:])
    if "output_shape" in attributes:
        assert expected == tuple(attributes["output_shape"][-2:])
    assert analyze(result.design).layers[-1].output_shape[1:] == expected


def test_conv_transpose_that_would_add_units_at_the_start_is_reported(tmp_path: Path) -> None:
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[1, 1], output_shape=[9, 9])
    path = hand_made(tmp_path, [node], [value("x", [1, 3, 5, 5])], [1, 2, 9, 9],
                     [numpy_helper.from_array(torch.randn(3, 2, 3, 3).numpy(), "w")])
    result = from_onnx(path)
    assert [p.op for p in result.problems] == ["ConvTranspose"] and "crops -1 units at the start" in \
        result.problems[0].message


@pytest.mark.parametrize(("mode", "pads", "axes", "constant", "kind", "arguments"), [
    ("reflect", [0, 0, 1, 2, 0, 0, 2, 1], None, None, "ReflectionPad2d", {"padding": (2, 1, 1, 2)}),
    ("edge", [0, 0, 0, 3, 0, 0, 1, 0], None, None, "ReplicationPad2d", {"padding": (3, 0, 0, 1)}),
    ("wrap", [2, 1], [3], None, "CircularPad2d", {"padding": (2, 1, 0, 0)}),
    ("constant", [1, 1, 0, 2], [2, 3], 2.5, "ConstantPad2d", {"padding": (1, 2, 1, 0), "value": 2.5}),
    ("constant", [1, 0, 0, 1], [-2, -1], None, "ZeroPad2d", {"padding": (0, 1, 1, 0)}),
])
def test_pad_modes_become_their_pad_layers(tmp_path: Path, mode: str, pads, axes, constant, kind: str,
                                           arguments) -> None:
    initializers = [numpy_helper.from_array(torch.tensor(pads, dtype=torch.int64).numpy(), "pads")]
    inputs = ["x", "pads", "value" if constant is not None else "", "axes" if axes else ""]
    if constant is not None:
        initializers.append(numpy_helper.from_array(torch.tensor(constant).numpy(), "value"))
    if axes:
        initializers.append(numpy_helper.from_array(torch.tensor(axes, dtype=torch.int64).numpy(), "axes"))
    node = helper.make_node("Pad", [name for name in inputs if name] if not axes else inputs, ["y"], mode=mode)
    path = hand_made(tmp_path, [node], [value("x", [1, 2, 5, 6])], None, initializers)
    result = matches_the_reference(path, torch.randn(1, 2, 5, 6))
    (layer,) = result.design.layers
    assert (layer.type, layer.arguments) == (kind, arguments)


def test_malformed_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"\x08\x07garbage")
    result = from_onnx(path)
    assert result.design is None and "not a readable ONNX model" in result.problems[0].message


def test_spatial_mean_without_keepdims_and_matmul_with_a_stored_matrix(tmp_path: Path) -> None:
    matrix = torch.randn(3, 5)  # MatMul's [in, out]: the Linear weight is its transpose
    nodes = [helper.make_node("ReduceMean", ["x", "axes"], ["m"], keepdims=0),
             helper.make_node("MatMul", ["m", "w"], ["y"])]
    path = hand_made(tmp_path, nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 6])], [1, 5],
                     [numpy_helper.from_array(matrix.numpy(), "w"),
                      numpy_helper.from_array(torch.tensor([2, 3]).numpy(), "axes")])
    result = from_onnx(path)
    assert result.problems == ()
    assert [layer.type for layer in result.design.layers] == ["AdaptiveAvgPool2d", "Flatten", "Linear"]
    model = exported_module(result.design).eval()
    model.load_state_dict(state_dict(path, result), strict=True)
    x = torch.randn(2, 3, 4, 6)
    with torch.no_grad():
        assert_close(x.mean(dim=(2, 3)) @ matrix, model(x))


def reported(path: Path, op: str, *words: str) -> None:
    """The import reports exactly one problem, on ``op``, whose text holds every one of ``words``."""
    result = from_onnx(path)
    assert [p.op for p in result.problems] == [op], [p.text for p in result.problems]
    assert all(word in result.problems[0].text for word in words), result.problems[0].text


def softmax_before_opset_13(x: torch.Tensor, axis: int) -> torch.Tensor:
    """ONNX Softmax before opset 13: the input seen as a matrix of the axes before ``axis`` by those from it."""
    return torch.softmax(x.reshape(math.prod(x.shape[:axis]), -1), 1).reshape(x.shape)


@pytest.mark.parametrize(("shape", "attributes", "dim"), [
    ([1, 3, 1, 1], {}, 1),  # from axis 1 on: only the channels are longer than 1
    ([1, 3, 4, 5], {"axis": 3}, 3),  # from the last axis on: that axis alone
    ([1, 3, 1, 5], {"axis": 2}, 3),
])
def test_softmax_before_opset_13_that_is_one_axis_imports(tmp_path: Path, shape, attributes, dim: int) -> None:
    path = hand_made(tmp_path, [helper.make_node("Softmax", ["x"], ["y"], **attributes)], [value("x", shape)], None,
                     [], opset=11)
    result = from_onnx(path)
    assert result.problems == () and result.design.layers[0].arguments == {"dim": dim}
    x = torch.randn(*shape)
    with torch.no_grad():
        assert_close(softmax_before_opset_13(x, attributes.get("axis", 1)), exported_module(result.design)(x))


@pytest.mark.parametrize("attributes", [{}, {"axis": 1}, {"axis": -3}])
def test_softmax_before_opset_13_over_several_axes_is_reported(tmp_path: Path, attributes) -> None:
    """Before opset 13 Softmax normalises over every axis from ``axis`` (default 1) on at once: over C·H·W here,
    which no Softmax(dim) computes."""
    path = hand_made(tmp_path, [helper.make_node("Softmax", ["x"], ["y"], **attributes)], [value("x", [1, 3, 4, 4])],
                     None, [], opset=11)
    reported(path, "Softmax", "opset 11", "axes 1 to 3", "3×4×4")


@pytest.mark.parametrize(("op", "attributes", "dim"), [("Softmax", {}, -1), ("Softmax", {"axis": 1}, 1),
                                                       ("LogSoftmax", {"axis": 1}, 1), ("LogSoftmax", {}, -1)])
def test_softmax_from_opset_13_is_per_axis(tmp_path: Path, op: str, attributes, dim: int) -> None:
    path = hand_made(tmp_path, [helper.make_node(op, ["x"], ["y"], **attributes)], [value("x", [1, 3, 4, 5])], None,
                     [], opset=13)
    result = matches_the_reference(path, torch.randn(1, 3, 4, 5))
    assert (result.design.layers[0].type, result.design.layers[0].arguments) == (op, {"dim": dim})


def tensor(name: str, values: list, dtype=None) -> onnx.TensorProto:
    return numpy_helper.from_array(torch.tensor(values, dtype=dtype or torch.float32).numpy(), name)


def resize(tmp_path: Path, shape: list, attributes: dict, scales: list | None = None, sizes: list | None = None,
           opset: int = 18, op: str = "Resize") -> Path:
    """A Resize (or Upsample) of ``x`` by stored scales or sizes, inputs placed as ``opset`` takes them."""
    initializers = [tensor("scales", scales)] if scales is not None else []
    if sizes is not None:
        initializers.append(tensor("sizes", sizes, torch.int64))
    inputs = ["x", "scales"] if opset < 11 or op == "Upsample" else ["x", "", "scales" if scales else "",
                                                                       "sizes" if sizes else ""]
    node = helper.make_node(op, inputs, ["y"], **attributes)
    return hand_made(tmp_path, [node], [value("x", shape)], None, initializers, opset)


NEAREST = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}


@pytest.mark.parametrize(("shape", "attributes", "scales", "sizes", "arguments"), [
    ([1, 2, 5, 6], {"mode": "cubic"}, [1, 1, 2, 1.5], None,  # ONNX's default cubic_coeff_a is PyTorch's -0.75
     {"mode": "bicubic", "align_corners": False, "scale_factor": (2.0, 1.5)}),
    ([1, 2, 4, 5], {"mode": "linear", "antialias": 1}, [1, 1, 2, 3], None,  # antialias acts only when shrinking
     {"mode": "bilinear", "align_corners": False, "scale_factor": (2.0, 3.0)}),
    ([1, 2, 6, 5], {"mode": "linear", "coordinate_transformation_mode": "align_corners"}, [1, 1, 0.5, 2], None,
     {"mode": "bilinear", "align_corners": True, "scale_factor": (0.5, 2.0)}),
    ([1, 2, 4, 4], {**NEAREST, "axes": [2, 3]}, None, [8, 12], {"size": (8, 12)}),
    ([1, 2, 4, 4], {**NEAREST, "axes": [3]}, [3], None, {"scale_factor": (1.0, 3.0)}),
])
def test_resize_that_pytorch_computes_alike_imports(tmp_path: Path, shape, attributes, scales, sizes,
                                                    arguments) -> None:
    path = resize(tmp_path, shape, attributes, scales, sizes)
    result = matches_the_reference(path, torch.randn(*shape))
    (layer,) = result.design.layers
    assert (layer.type, layer.arguments) == ("Upsample", arguments)


@pytest.mark.parametrize(("op", "opset"), [("Resize", 10), ("Upsample", 9)])
def test_resize_before_opset_11_is_asymmetric_nearest(tmp_path: Path, op: str, opset: int) -> None:
    """Before opset 11 the scales are input 1 and the coordinates asymmetric: nearest by whole scales repeats
    each value (onnx's reference evaluator takes no opset-10 Resize: the reference is the same resize at
    opset 18)."""
    path = resize(tmp_path, [1, 2, 3, 4], {"mode": "nearest"}, [1, 1, 2, 3], opset=opset, op=op)
    result = matches_the_reference(path, torch.randn(1, 2, 3, 4),
                                   resize(tmp_path / "reference", [1, 2, 3, 4], NEAREST, [1, 1, 2, 3]))
    assert result.design.layers[0].arguments == {"scale_factor": (2.0, 3.0)}


@pytest.mark.parametrize(("shape", "attributes", "scales", "sizes", "opset", "words"), [
    ([1, 2, 4, 4], {"mode": "cubic", "cubic_coeff_a": -0.5}, [1, 1, 2, 2], None, 18,
     ("cubic_coeff_a -0.5", "-0.75")),
    ([1, 2, 4, 4], {"mode": "cubic", "exclude_outside": 1}, [1, 1, 2, 2], None, 18, ("exclude_outside",)),
    ([1, 2, 8, 8], {"mode": "linear", "antialias": 1}, [1, 1, 0.5, 0.5], None, 18, ("antialias", "shrinks")),
    ([1, 2, 8, 8], {"mode": "linear", "antialias": 1}, None, [1, 2, 8, 3], 18, ("antialias", "shrinks")),
    ([1, 2, 4, 4], {**NEAREST, "axes": [1, 2]}, [2, 2], None, 18, ("channel",)),
    ([1, 2, 4, 4], {**NEAREST, "keep_aspect_ratio_policy": "not_larger"}, None, [1, 2, 8, 12], 18,
     ("keep_aspect_ratio_policy",)),
    ([1, 2, 7, 7], {"mode": "linear", "coordinate_transformation_mode": "align_corners"}, [1, 1, 0.5, 0.5], None,
     18, ("align_corners", "3.5")),
    ([1, 2, 4, 4], {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"}, None,
     [1, 2, 1, 2], 18, ("pytorch_half_pixel", "1")),
    ([1, 2, 4, 4], {"mode": "linear"}, [1, 1, 2, 2], None, 10, ("asymmetric", "before opset 11")),
    ([1, 2, 4, 4], {"mode": "nearest"}, [1, 1, 1.5, 1.5], None, 10, ("before opset 11", "whole")),
])
def test_resize_that_pytorch_computes_otherwise_is_reported(tmp_path: Path, shape, attributes, scales, sizes,
                                                            opset: int, words) -> None:
    reported(resize(tmp_path, shape, attributes, scales, sizes, opset), "Resize", *words)


@pytest.mark.parametrize(("slopes", "arguments"), [([[[0.1]], [[-0.2]], [[0.3]]], {"num_parameters": 3}),
                                                   ([0.2], {})])
def test_prelu_of_a_slope_per_channel_or_one_slope_imports(tmp_path: Path, slopes, arguments) -> None:
    node = helper.make_node("PRelu", ["x", "slope"], ["y"])
    path = hand_made(tmp_path, [node], [value("x", [1, 3, 4, 5])], None, [tensor("slope", slopes)])
    result = matches_the_reference(path, torch.randn(1, 3, 4, 5))
    assert (result.design.layers[0].type, result.design.layers[0].arguments) == ("PReLU", arguments)


def test_prelu_whose_slopes_run_along_another_axis_is_reported(tmp_path: Path) -> None:
    """Slopes of shape [5] broadcast along the last axis (the width), not the channels."""
    node = helper.make_node("PRelu", ["x", "slope"], ["y"])
    path = hand_made(tmp_path, [node], [value("x", [1, 3, 4, 5])], None, [tensor("slope", [0.1] * 5)])
    reported(path, "PRelu", "slopes of shape [5]", "one per channel")


def test_hardswish_and_instance_normalization_import(tmp_path: Path) -> None:
    nodes = [helper.make_node("HardSwish", ["x"], ["h"]),
             helper.make_node("InstanceNormalization", ["h", "scale", "bias"], ["y"], epsilon=1e-3)]
    path = hand_made(tmp_path, nodes, [value("x", [1, 2, 4, 5])], None,
                     [tensor("scale", [1.5, 0.5]), tensor("bias", [0.1, -0.1])])
    result = matches_the_reference(path, 4 * torch.randn(1, 2, 4, 5))
    assert [(layer.type, layer.arguments) for layer in result.design.layers] == [
        ("Hardswish", {}), ("InstanceNorm2d", {"affine": True, "eps": 0.001})]


@pytest.mark.parametrize(("attributes", "kind"), [({"min": 0.0, "max": 6.0}, "ReLU6"), ({"min": 0.0}, "ReLU")])
def test_clip_before_opset_11_takes_its_bounds_as_attributes(tmp_path: Path, attributes, kind: str) -> None:
    path = hand_made(tmp_path, [helper.make_node("Clip", ["x"], ["y"], **attributes)], [value("x", [1, 2, 3, 4])],
                     None, [], opset=6)
    result = matches_the_reference(path, 5 * torch.randn(1, 2, 3, 4))
    assert [layer.type for layer in result.design.layers] == [kind]


@pytest.mark.parametrize(("opset", "attributes", "bounds"), [(6, {"min": -1.0, "max": 1.0}, "[-1, 1]"),
                                                             (6, {"max": 2.5}, "(-inf, 2.5]")])
def test_clip_to_other_bounds_is_reported_with_them(tmp_path: Path, opset: int, attributes, bounds: str) -> None:
    path = hand_made(tmp_path, [helper.make_node("Clip", ["x"], ["y"], **attributes)], [value("x", [1, 2, 3, 4])],
                     None, [], opset=opset)
    reported(path, "Clip", f"clips to {bounds}", "ReLU6")


def test_average_pool_with_dilations_is_reported(tmp_path: Path) -> None:
    """AveragePool takes dilations from opset 19; PyTorch's AvgPool has none."""
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], dilations=[2, 2])
    path = hand_made(tmp_path, [node], [value("x", [1, 2, 6, 6])], None, [], opset=19)
    reported(path, "AveragePool", "dilations [2, 2]", "no dilation")


def test_sum_of_several_tensors_imports_as_one_add(tmp_path: Path) -> None:
    """ONNX's Sum adds any number of equally shaped tensors: an Add join of them all (it had no layer type)."""
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Sigmoid", ["x"], ["s"]),
             helper.make_node("Sum", ["x", "r", "s"], ["y"])]
    path = hand_made(tmp_path, nodes, [value("x", [1, 2, 4, 5])], None, [])
    result = matches_the_reference(path, torch.randn(1, 2, 4, 5))
    assert [(layer.type, layer.inputs) for layer in result.design.layers][-1] == ("Add", ("input", "r", "s"))


def test_a_weight_two_layers_read_is_written_for_both(tmp_path: Path) -> None:
    """torch's exporter stores identical initializers once (two InstanceNorms' default scales and shifts of an
    untrained fast-neural-style): ``--weights`` wrote them for one layer, and the strict load failed."""
    nodes = [helper.make_node("InstanceNormalization", ["x", "scale", "bias"], ["a"]),
             helper.make_node("Relu", ["a"], ["r"]),
             helper.make_node("InstanceNormalization", ["r", "scale", "bias"], ["y"])]
    path = hand_made(tmp_path, nodes, [value("x", [1, 2, 4, 5])], None,
                     [tensor("scale", [1.5, 0.5]), tensor("bias", [0.1, -0.1])])
    result = matches_the_reference(path, torch.randn(1, 2, 4, 5))
    assert [layer.type for layer in result.design.layers] == ["InstanceNorm2d", "ReLU", "InstanceNorm2d"]


def test_a_pad_whose_pads_are_computed_is_reported_not_a_traceback(tmp_path: Path) -> None:
    """torch's legacy exporter computes ZeroPad's pads (Constant, then Cast, ...): the import read them as stored
    and ended in a KeyError traceback."""
    nodes = [helper.make_node("Constant", [], ["stored"], value=numpy_helper.from_array(
                 torch.tensor([0, 0, 1, 0, 0, 2]).numpy(), "stored")),
             helper.make_node("Cast", ["stored"], ["pads"], to=TensorProto.INT64),
             helper.make_node("Pad", ["x", "pads"], ["y"])]
    path = hand_made(tmp_path, nodes, [value("x", [1, 2, 5])], None, [])
    problems = from_onnx(path).problems
    assert any(p.op == "Pad" and "its pads are computed" in p.message for p in problems)
