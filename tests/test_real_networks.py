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
        if isinstance(module, nn.MaxPool2d):
            parent = model.get_submodule(name.rpartition(".")[0]) if "." in name else model
            replacement = nn.AvgPool2d(module.kernel_size, module.stride, module.padding)
            if isinstance(parent, nn.ModuleDict):
                parent[name.rpartition(".")[2]] = replacement
            else:
                setattr(parent, name.rpartition(".")[2], replacement)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.weight.fill_(1.0)
                if module.bias is not None:
                    module.bias.fill_(0.0)
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_parameters()  # eval: (x - 0) / sqrt(1 + eps) * 1 + 0
    return model.eval()


def autograd_interval(model: nn.Module, module_path: str, size: tuple[int, int], unit: tuple[int, int]
                      ) -> tuple[tuple[int, int], ...]:
    captured = {}
    model.get_submodule(module_path).register_forward_hook(lambda _m, _i, out: captured.update(out=out))
    x = torch.ones(1, 3, *size, requires_grad=True)
    model(x)
    captured["out"][0, :, unit[0], unit[1]].sum().backward()
    touched = x.grad[0].sum(0).nonzero()
    return tuple((int(touched[:, axis].min()), int(touched[:, axis].max())) for axis in range(2))


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
    assert analysis.dependency_interval(index, unit) == autograd_interval(model, layer, size, unit)
