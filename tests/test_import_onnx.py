"""Importing ONNX files (issue 14): what torch 2.13's exporter really writes (the dynamo exporter: batch norm
folded into the convolutions, weights in an external data file) imports with every shape equal to ONNX shape
inference, and the design's PyTorch export, loaded with the file's initializers, computes the original's
outputs within 1e-5 x max(1, |y|). Rules PyTorch lacks (auto_pad, asymmetric pads) become explicit padding."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxscript")
nn = torch.nn
F = torch.nn.functional

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from reference_models.mobilenetv2 import MobileNetV2  # noqa: E402
from reference_models.pix2pix_cyclegan import ResnetGenerator, UnetGenerator  # noqa: E402
from reference_models.pytorch_examples import ESPCN, Generator  # noqa: E402
from reference_models.resnet import resnet18  # noqa: E402
from test_import_torch import Chain, exported_module, one_thread  # noqa: E402,F401
from test_real_networks import randomised  # noqa: E402

from convdesigner.io.import_onnx import from_onnx, state_dict  # noqa: E402

pytestmark = pytest.mark.torch


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


@pytest.mark.parametrize(("factory", "shape", "op"), [
    (ESPCN, (1, 16, 16), "DepthToSpace"),  # PixelShuffle
    (lambda: ResnetGenerator(3, 3, ngf=8, n_blocks=1), (3, 32, 32), "Pad"),  # ReflectionPad2d
])
def test_exported_models_with_missing_types_are_reported(tmp_path: Path, factory, shape, op: str) -> None:
    result = from_onnx(onnx_file(factory().eval(), shape, tmp_path / "model.onnx"))
    assert result.problems and {p.op for p in result.problems} == {op}
    assert all("imported as ZeroPad2d" in p.message or "no layer type" in p.message for p in result.problems)
    assert result.design is not None


def test_external_data_and_weight_names(tmp_path: Path) -> None:
    path = onnx_file(randomised(resnet18(), 1).eval(), (3, 32, 32), tmp_path / "resnet.onnx")
    assert (tmp_path / "resnet.onnx.data").exists()  # the exporter keeps large weights beside the file
    result = from_onnx(path)
    names = [layer.name for layer in result.design.layers]
    assert names[0] == "conv1" and "layer4.1.conv2" in names and names[-1] == "fc"
    assert result.weights["layer1.0.conv1.weight"] == "layer1.0.conv1.weight"
    assert result.weights["fc.bias"] == "fc.bias"


def hand_made(tmp_path: Path, nodes: list, inputs: list, output_shape: list, initializers: list) -> Path:
    graph = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                                                    output_shape)], initializers)
    path = tmp_path / "hand.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(path))
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


def test_asymmetric_max_pool_is_reported(tmp_path: Path) -> None:
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2], auto_pad="SAME_UPPER")
    path = hand_made(tmp_path, [node], [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 7, 7])],
                     [1, 2, 4, 4], [])
    result = from_onnx(path)
    assert result.design is None
    assert result.problems[0].op == "MaxPool" and "-inf" in result.problems[0].message


def test_dynamic_input_needs_and_takes_input_shape(tmp_path: Path) -> None:
    node = helper.make_node("Relu", ["x"], ["y"])
    path = hand_made(tmp_path, [node], [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
                     ["N", 3, "H", "W"], [])
    refused = from_onnx(path)
    assert refused.design is None and "give --input" in refused.problems[0].action
    result = from_onnx(path, (3, 10, 12))
    assert result.problems == () and result.design.input.shape == (3, 10, 12)


def test_unsupported_operator_is_reported(tmp_path: Path) -> None:
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("DepthToSpace", ["r"], ["y"], blocksize=2)]
    path = hand_made(tmp_path, nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 4, 4])],
                     [1, 1, 8, 8], [])
    result = from_onnx(path)
    assert [(p.op, p.node) for p in result.problems] == [("DepthToSpace", "y")]
    assert "no layer type" in result.problems[0].message and result.exit_code == 1


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
