"""The torch-free half of an import (issue 14): the builder names layers under the design's rules, wires them,
follows in-place writes, leaves out what depends on an unsupported operation, and reports every shape that
differs from the real one."""

from __future__ import annotations

from convdesigner.engine.design import InputSpec
from convdesigner.io.model_import import DesignBuilder, ImportProblem, shape_problems


def conv(builder: DesignBuilder, tensor: str, name: str, source: str, channels: int = 4) -> str | None:
    return builder.add(tensor, "Conv2d", name, {"out_channels": channels, "kernel_size": 3, "padding": 1}, [source])


def test_names_are_unique_and_never_a_block_of_another() -> None:
    builder = DesignBuilder("net", InputSpec(3, (8, 8)))
    conv(builder, "t1", "layer1.conv", "input")
    builder.add("t2", "ReLU", "layer1.relu", {}, ["t1"])
    builder.add("t3", "ReLU", "layer1.relu", {}, ["t2"])  # a module called again
    builder.add("t4", "ReLU", "layer1", {}, ["t3"])  # 'layer1' is the block of the names above
    assert [layer.name for layer in builder.layers] == ["layer1.conv", "layer1.relu", "layer1.relu_1", "layer1_1"]


def test_wiring_and_outputs() -> None:
    builder = DesignBuilder("net", InputSpec(3, (8, 8)))
    conv(builder, "a", "a", "input")
    conv(builder, "b", "b", "a")
    builder.add("c", "Add", "add", {}, ["b", "a"])
    conv(builder, "d", "d", "a")
    result = builder.build(["c", "d"], {"a": (4, 8, 8), "b": (4, 8, 8), "c": (4, 8, 8), "d": (4, 8, 8)})
    assert result.problems == ()
    layers = result.design.layers
    assert [layer.inputs for layer in layers] == [(), (), ("b", "a"), ("a",)]
    assert result.design.outputs == ("add", "d")


def test_an_in_place_write_is_what_later_readers_read() -> None:
    builder = DesignBuilder("net", InputSpec(3, (8, 8)))
    conv(builder, "x", "conv", "input")
    builder.add("act", "LeakyReLU", "act", {"inplace": True}, ["x"])
    builder.overwrite("x", "act")
    conv(builder, "y", "down", "act")
    builder.add("cat", "Concat", "cat", {}, ["x", "y"])  # x was overwritten by the activation
    assert builder.layers[-1].inputs == ("act", "down")


def test_left_out_operations() -> None:
    builder = DesignBuilder("net", InputSpec(3, (8, 8)))
    conv(builder, "a", "a", "input")
    problem = ImportProblem("op", "torch.erf", "no layer type")
    builder.left_out("b", ["a"], True, problem)  # same shape: passed over
    conv(builder, "c", "c", "b")
    builder.left_out("d", ["c"], False, problem)  # shape changes: what depends on it is left out
    assert conv(builder, "e", "e", "d") is None
    assert [layer.name for layer in builder.layers] == ["a", "c"]
    assert "passes its input on" in builder.problems[0].action and "left out" in builder.problems[1].action


def test_every_shape_that_differs_from_the_real_one_is_reported() -> None:
    builder = DesignBuilder("net", InputSpec(3, (8, 8)))
    conv(builder, "a", "a", "input")
    builder.add("b", "MaxPool2d", "pool", {"kernel_size": 2}, ["a"])
    result = builder.build(["b"], {"a": (4, 8, 8), "b": (4, 5, 5)})
    assert [(p.node, p.op) for p in result.problems] == [("pool", "MaxPool2d")]
    assert "(4, 4, 4)" in result.problems[0].message and "(4, 5, 5)" in result.problems[0].message
    assert shape_problems(result.design, builder.tensor_of_layer, {"a": (4, 8, 8), "b": (4, 4, 4)}) == []
