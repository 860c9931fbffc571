"""Real networks written as designs: the export loads the original model's weights (its state_dict keys are the
layer names) and computes the same outputs, and the engine's receptive fields and dependency intervals match
PyTorch's autograd through branches and joins. The reference models live in tests/reference_models, written
from their public source."""

from __future__ import annotations

from pathlib import Path

import pytest

from convdesigner.engine.analysis import analyze
from convdesigner.io.design_file import load
from convdesigner.io.torch_export import export_torch, torch_plan

torch = pytest.importorskip("torch")
nn = torch.nn

from reference_models.resnet import resnet18  # noqa: E402

pytestmark = pytest.mark.torch

EXAMPLES = Path(__file__).resolve().parent.parent / "resources" / "examples"


def exported(path: Path) -> nn.Module:
    design = load(path)
    namespace: dict[str, object] = {"__name__": "exported"}
    exec(compile(export_torch(design), str(path), "exec"), namespace)
    return namespace[torch_plan(design).class_name]()  # type: ignore[operator]


def randomised(model: nn.Module, seed: int) -> nn.Module:
    """Random weights and batch-norm statistics, so that equal outputs mean equal computations."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            if tensor.dtype.is_floating_point:
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * 0.2 + 0.9 if tensor.dim() == 1
                             else torch.randn(tensor.shape, generator=generator) * 0.05)
    return model


def test_resnet18_design_loads_torchvisions_state_dict_and_computes_the_same() -> None:
    reference = randomised(resnet18(), seed=0).eval()
    model = exported(EXAMPLES / "resnet18.yaml").eval()
    assert set(model.state_dict()) == set(reference.state_dict())
    model.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = reference(x)
        got = model(x)
    assert got.shape == (2, 1000)
    assert torch.allclose(got, expected, atol=1e-5, rtol=1e-5), (got - expected).abs().max()


def structural(model: nn.Module) -> nn.Module:
    """The same wiring with every weight positive and every layer monotonic (max pooling as average pooling over
    the same window, batch norm as the identity), so the gradient is positive exactly where an output depends on
    an input: autograd then shows the structural dependencies the engine computes."""
    for name, module in list(model.named_modules()):
        if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d)):
            parent = model.get_submodule(name.rpartition(".")[0]) if "." in name else model
            average = nn.AvgPool1d if isinstance(module, nn.MaxPool1d) else nn.AvgPool2d
            replacement = average(module.kernel_size, module.stride, module.padding)
            if isinstance(parent, nn.ModuleDict):
                parent[name.rpartition(".")[2]] = replacement
            else:
                setattr(parent, name.rpartition(".")[2], replacement)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.modules.conv._ConvNd, nn.Linear)):  # direct and transposed, any rank
                module.weight.fill_(1.0)
                if module.bias is not None:
                    module.bias.fill_(0.0)
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_parameters()  # eval: (x - 0) / sqrt(1 + eps) * 1 + 0
    return model.eval()


@pytest.mark.parametrize(("layer", "unit"), [
    ("layer4.1.relu_1", (0, 0)), ("layer4.1.relu_1", (1, 1)), ("layer2.0.relu_1", (0, 3)),
    ("layer3.0.downsample.1", (2, 1)), ("layer1.1.relu_1", (7, 0)),
])
def test_resnet18_dependency_intervals_through_shortcuts_match_autograd(layer: str, unit: tuple[int, int]) -> None:
    size = (64, 64)  # small enough for a quick backward; the wiring is the same as at 224
    design = load(EXAMPLES / "resnet18.yaml")
    design = design.with_input(type(design.input)(3, size))
    analysis = analyze(design)
    index = design.index_of(layer)
    model = structural(exported(EXAMPLES / "resnet18.yaml"))
    assert analysis.dependency_interval(index, unit) == autograd_runs(model, layer, (3, *size), unit)


# -- more real graphs: fields through parallel branches, gates and skips --------------------------------------

def aspp_design():
    """DeepLabV3's ASPP head (torchvision/models/segmentation/deeplabv3.py, ASPP with rates 12, 24, 36) on a
    small feature map: a 1x1 branch, three dilated 3x3 branches and the pooled branch resized back, a 5-way
    Concat, then the 1x1 projection."""
    from convdesigner.engine.design import Design, InputSpec, Layer

    L = Layer.make
    branches = [L("Conv2d", "aspp.0.0", {"from": "input", "out_channels": 4, "kernel_size": 1, "bias": False})]
    for n, rate in enumerate((12, 24, 36), start=1):
        branches.append(L("Conv2d", f"aspp.{n}.0", {"from": "input", "out_channels": 4, "kernel_size": 3,
                                                    "padding": rate, "dilation": rate, "bias": False}))
    pooled = [L("AdaptiveAvgPool2d", "aspp.4.0", {"from": "input", "output_size": 1}),
              L("Conv2d", "aspp.4.1", {"out_channels": 4, "kernel_size": 1, "bias": False}),
              L("Upsample", "aspp.4.up", {"size": [40, 40], "mode": "bilinear", "align_corners": False})]
    join = L("Concat", "aspp.cat", {"from": [b.name for b in branches] + ["aspp.4.up"]})
    project = L("Conv2d", "project.0", {"out_channels": 4, "kernel_size": 1, "bias": False})
    return Design("ASPP", InputSpec(3, (40, 40)), (*branches, *pooled, join, project))


def wavenet_design():
    """Two WaveNet residual blocks (r9y9/wavenet_vocoder, modules.py ResidualConv1dGLU): a causal dilated
    convolution (left padding (k - 1) d), the gate tanh(a) * sigmoid(b) over its two halves, a 1x1 output
    added back to the block's input."""
    from convdesigner.engine.design import Design, InputSpec, Layer

    L = Layer.make
    layers = []
    block_input = "input"
    for n, dilation in enumerate((1, 4)):
        p = f"layers.{n}"
        layers += [
            L("Conv1d", f"{p}.conv_a", {"from": block_input, "out_channels": 4, "kernel_size": 3,
                                        "padding": [[2 * dilation, 0]], "dilation": dilation}),
            L("Tanh", f"{p}.tanh"),
            L("Conv1d", f"{p}.conv_b", {"from": block_input, "out_channels": 4, "kernel_size": 3,
                                        "padding": [[2 * dilation, 0]], "dilation": dilation}),
            L("Sigmoid", f"{p}.sigmoid"),
            L("Mul", f"{p}.gate", {"from": [f"{p}.tanh", f"{p}.sigmoid"]}),
            L("Conv1d", f"{p}.conv1x1_out", {"out_channels": 2, "kernel_size": 1}),
            L("Add", f"{p}.residual", {"from": [f"{p}.conv1x1_out", block_input]}),
        ]
        block_input = f"{p}.residual"
    return Design("WaveNet", InputSpec(2, (32,)), tuple(layers))


def exported_design(design) -> nn.Module:
    namespace: dict[str, object] = {"__name__": "exported"}
    exec(compile(export_torch(design), design.name, "exec"), namespace)
    return namespace[torch_plan(design).class_name]()  # type: ignore[operator]


def autograd_runs(model: nn.Module, module_path: str, shape: tuple[int, ...], unit: tuple[int, ...],
                  fill: float = 1.0):
    """The hull of the input positions, per axis, whose gradient is nonzero for one output unit of a module,
    on an input filled with ``fill`` (small where tanh or sigmoid would saturate to a zero derivative)."""
    captured = {}
    model.get_submodule(module_path).register_forward_hook(lambda _m, _i, out: captured.update(out=out))
    x = torch.full((1, *shape), fill, requires_grad=True)
    model(x)
    captured["out"][(0, slice(None), *unit)].sum().backward()
    touched = x.grad[0].abs().sum(0).nonzero()
    return tuple((int(touched[:, axis].min()), int(touched[:, axis].max())) for axis in range(len(unit)))


@pytest.mark.parametrize(("build", "layer", "units", "fill"), [
    (aspp_design, "project.0", [(0, 0), (20, 7), (39, 39)], 1.0),
    (wavenet_design, "layers.1.conv1x1_out", [(0,), (9,), (31,)], 0.01),
])
def test_fields_through_parallel_branches_and_gates_match_autograd(build, layer: str, units, fill: float) -> None:
    """ASPP's far-reaching dilated branches and its pooled branch (the whole input), WaveNet's causal gates:
    each unit's exact dependencies equal autograd's, with all weights positive (every path counts)."""
    design = build()
    analysis = analyze(design)
    assert analysis.ok
    model = structural(exported_design(design))
    for unit in units:
        assert analysis.dependency_interval(design.index_of(layer), unit) == autograd_runs(
            model, layer, design.input.shape, unit, fill), unit


def test_residual_unet_fields_through_its_skips_match_autograd() -> None:
    design = load(EXAMPLES / "residual-unet.yaml")
    design = design.with_input(type(design.input)(1, (16, 16)))
    analysis = analyze(design)
    model = structural(exported_design(design))
    for layer, unit in (("dec1.conv2", (0, 0)), ("dec1.conv2", (9, 4)), ("dec2.conv1", (3, 3)), ("head", (15, 15))):
        assert analysis.dependency_interval(design.index_of(layer), unit) == autograd_runs(
            model, layer, design.input.shape, unit), (layer, unit)
