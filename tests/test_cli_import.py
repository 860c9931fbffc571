"""``convdesigner import`` (issue 14): a good source prints a design that loads; every bad source (a missing
file, a class that is not a module, a constructor that raises, untraceable control flow, an unsupported op)
ends in a clear message and exit 1 or 2, never a traceback. Most cases run the command's ``main`` in this
process (an exception escaping it fails the test); a few run in a child process, as users run it."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from convdesigner.cli import main
from convdesigner.io.design_file import load, loads

pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def run(*args: str) -> subprocess.CompletedProcess:
    """The command run by ``main`` in this process: its exit code and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["import", *args])
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def run_child(*args: str, prelude: str = "") -> subprocess.CompletedProcess:
    code = f"{prelude}import sys; from convdesigner.cli import main; sys.exit(main(sys.argv[1:]))"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-c", code, "import", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.py"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


MODELS = """
    import torch
    from torch import nn

    class Small(nn.Module):
        def __init__(self, width=8):
            super().__init__()
            self.conv = nn.Conv2d(3, width, 3, padding=1)
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(self.conv(x))

    def small(width=4):
        return Small(width)

    class NotAModule:
        pass

    class Raises(nn.Module):
        def __init__(self):
            super().__init__()
            raise ValueError("no weights here")

    class Branches(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            if x.mean() > 0:
                return self.conv(x)
            return x

    class Shuffles(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.shuffle = nn.ChannelShuffle(2)

        def forward(self, x):
            return self.shuffle(self.conv(x))

    def not_a_model():
        return 42
"""


def assert_clean(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr + result.stdout


def test_file_class_with_kwargs_prints_the_design(tmp_path: Path) -> None:
    path = write(tmp_path, MODELS)
    result = run(f"{path}:Small", "--input", "3", "16", "16", "--kwargs", '{"width": 6}')
    assert result.returncode == 0, result.stderr
    design = loads(result.stdout)
    assert [(layer.name, layer.type, layer.get("out_channels")) for layer in design.layers] == [
        ("conv", "Conv2d", 6), ("act", "ReLU", None)]
    assert design.input.shape == (3, 16, 16)


def test_function_source_and_output_file(tmp_path: Path) -> None:
    path = write(tmp_path, MODELS)
    out = tmp_path / "design.yaml"
    result = run(f"{path}:small", "--input", "3", "8", "8", "-o", str(out))
    assert result.returncode == 0 and result.stdout == ""
    assert load(out).layers[0].get("out_channels") == 4


def test_package_module_source() -> None:
    result = run("reference_models.resnet:resnet18", "--input", "3", "32", "32")
    assert result.returncode == 0, result.stderr
    assert "layer4.1.relu_1" in result.stdout


@pytest.mark.parametrize(("source", "message"), [
    ("{path}.missing.py:Model", "no such file: {path}.missing.py"),
    ("{path}:NotAModule", "NotAModule is a class but not a torch.nn.Module subclass"),
    ("{path}:Raises", "Raises() raised ValueError: no weights here"),
    ("{path}:not_a_model", "not_a_model() returned a int, not a torch.nn.Module"),
    ("{path}:Nothing", "has no Nothing; it defines Branches, Raises, Shuffles, Small, not_a_model, small"),
    ("no_such_package.models:Model", "no module named 'no_such_package'"),
    ("{path}:Branches", "torch.fx cannot trace the model"),
])
def test_bad_sources_exit_2_with_a_message(tmp_path: Path, source: str, message: str) -> None:
    path = write(tmp_path, MODELS)
    result = run(source.format(path=path), "--input", "3", "8", "8")
    assert result.returncode == 2
    assert message.format(path=path) in result.stderr
    assert_clean(result)
    assert result.stdout == ""


@pytest.mark.parametrize(("name", "code", "message"), [
    ("Branches", 2, "control flow"),
    ("Raises", 2, "Raises() raised ValueError: no weights here"),
    ("Shuffles", 1, "shuffle [nn.ChannelShuffle]"),
])
def test_child_process_bad_sources_give_no_traceback(tmp_path: Path, name: str, code: int, message: str) -> None:
    path = write(tmp_path, MODELS)
    result = run_child(f"{path}:{name}", "--input", "3", "8", "8")
    assert result.returncode == code and message in result.stderr and f"{path}:" in result.stderr
    assert_clean(result)


def test_unsupported_op_imports_the_rest_with_exit_1(tmp_path: Path) -> None:
    path = write(tmp_path, MODELS)
    result = run(f"{path}:Shuffles", "--input", "3", "8", "8")
    assert result.returncode == 1
    assert "shuffle [nn.ChannelShuffle]" in result.stderr and "no layer type" in result.stderr
    assert "imported with 1 problem" in result.stderr
    assert [layer.name for layer in loads(result.stdout).layers] == ["conv"]
    assert_clean(result)


@pytest.mark.parametrize(("args", "message"), [
    (["{path}:Small"], "--input is required"),
    (["{path}:Small", "--input", "3"], "give the channels, then 1 to 3 spatial sizes"),
    (["{path}:Small", "--input", "3", "8", "8", "--kwargs", "width=2"], "--kwargs is not valid JSON"),
    (["{path}:Small", "--input", "3", "8", "8", "--kwargs", "[1]"], "--kwargs must be a JSON object"),
    (["{path}", "--input", "3", "8", "8"], "give FILE.py:Name or package.module:Name"),
])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    path = write(tmp_path, MODELS)
    result = run(*(a.format(path=path) for a in args))
    assert result.returncode == 2 and message in result.stderr
    assert_clean(result)


def test_without_torch_it_names_the_extra(tmp_path: Path) -> None:
    path = write(tmp_path, MODELS)
    result = run_child(f"{path}:Small", "--input", "3", "8", "8", prelude="import sys; sys.modules['torch'] = None; ")
    assert result.returncode == 2
    assert 'pip install "convdesigner[torch]"' in result.stderr
    assert_clean(result)


def test_malformed_onnx_exits_2(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"not a model")
    result = run(str(path))
    assert result.returncode == 2 and "is not a readable ONNX model" in result.stderr
    assert_clean(result)
    missing = run(str(tmp_path / "absent.onnx"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_onnx_with_weights_writes_the_state_dict_the_export_loads(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    import torch
    from onnx import TensorProto, helper, numpy_helper, save

    weight = torch.randn(5, 4)
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["x"], ["f"]), helper.make_node("Gemm", ["f", "w"], ["y"], transB=1)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, 1, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5])], [numpy_helper.from_array(weight.numpy(), "w")])
    path = tmp_path / "dense.onnx"
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(path))
    weights = tmp_path / "weights.pt"
    result = run(str(path), "--input", "4", "1", "1", "--weights", str(weights), "-o", str(tmp_path / "d.yaml"))
    assert result.returncode == 0, result.stderr
    state = torch.load(weights)
    [linear] = [layer.name for layer in load(tmp_path / "d.yaml").layers if layer.type == "Linear"]
    assert set(state) == {f"{linear}.weight"}  # a chain's children are keyed by the layer names
    assert torch.equal(state[f"{linear}.weight"], weight)
    assert [layer.type for layer in load(tmp_path / "d.yaml").layers] == ["Flatten", "Linear"]


def test_without_onnx_it_names_the_extra(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"")
    result = run_child(str(path), prelude="import sys; sys.modules['onnx'] = None; ")
    assert result.returncode == 2
    assert 'pip install "convdesigner[onnx]"' in result.stderr
    assert_clean(result)


@pytest.mark.parametrize(("shape", "message"), [
    (["3", "200000000", "200000000"], "input size must be from 1 to 100,000,000, not 200000000"),
    (["200000000", "8", "8"], "input channels must be from 1 to 100,000,000, not 200000000"),
])
def test_onnx_input_beyond_a_design_files_limits_exits_2_and_writes_nothing(tmp_path: Path, shape: list[str],
                                                                            message: str) -> None:
    """A design file refuses such an input (`inspect` would not open what was written): refused alike here."""
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper, save

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", "C", "H", "W"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", "C", "H", "W"])])
    path = tmp_path / "dynamic.onnx"
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(path))
    result = run(str(path), "--input", *shape, "-o", str(tmp_path / "d.yaml"))
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "d.yaml").exists()
    assert_clean(result)
