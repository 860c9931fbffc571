"""The PyTorch exporter's text (without torch) and the ``convdesigner export`` command.

What is checked: arguments equal to PyTorch's defaults are left out and inferred widths written, padding
PyTorch cannot express becomes an explicit pad layer, every layer has its comment with the engine's
numbers, names are sanitised (hostile names never reach the code: the code of a design with hostile names
is token for token the code of the same design with plain names), the command's output and exit codes, and
the golden exports of the bundled examples.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convdesigner.cli import main
from convdesigner.engine.analysis import analyze
from convdesigner.engine.design import Design, InputSpec, Layer
from convdesigner.engine.graph import is_module_path
from convdesigner.io.design_file import dumps, load, save
from convdesigner.io.report import field_text, shape_text
from convdesigner.io.torch_export import (
    MODULE_ATTRIBUTES,
    ExportError,
    attribute_name,
    class_name,
    comment_text,
    export_torch,
    torch_plan,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "resources" / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def design_of(*layers: Layer, channels: int = 3, size: tuple[int, ...] = (16, 16), name: str = "net") -> Design:
    return Design(name, InputSpec(channels, size), layers)


def conv(name: str = "conv", **args) -> Layer:
    return Layer.make("Conv2d", name, {"out_channels": 8, "kernel_size": 3, **args})


def code_lines(design: Design) -> list[str]:
    """The exported module's lines without their comments (layer lines only, stripped)."""
    return [line.split("  #")[0].strip() for line in export_torch(design).splitlines()]


def layer_code(design: Design, index: int = 0) -> str:
    """The constructor the exporter wrote for one design layer."""
    return next(s.code for s in torch_plan(design).steps if s.layer_index == index and s.role == "layer")


# -- arguments ----------------------------------------------------------------------------------------------

def test_arguments_equal_to_pytorch_defaults_are_left_out() -> None:
    design = design_of(conv(stride=1, padding=0, dilation=[1, 1], groups=1, bias=True, padding_mode="zeros"),
                       Layer.make("BatchNorm2d", "bn", {"eps": 1e-5, "momentum": 0.1, "affine": True}),
                       Layer.make("LeakyReLU", "act", {"negative_slope": 0.01, "inplace": False}),
                       Layer.make("MaxPool2d", "pool", {"kernel_size": 2, "stride": [2, 2], "ceil_mode": False}),
                       Layer.make("Dropout", "drop", {"p": 0.5}),
                       Layer.make("ELU", "elu", {"alpha": 1}))
    assert [layer_code(design, i) for i in range(6)] == [
        "nn.Conv2d(3, 8, kernel_size=3)", "nn.BatchNorm2d(8)", "nn.LeakyReLU()", "nn.MaxPool2d(2)", "nn.Dropout()",
        "nn.ELU()"]


def test_other_arguments_are_written_as_pytorch_users_write_them() -> None:
    design = design_of(conv(out_channels=8, kernel_size=[3, 5], stride=[2, 1], dilation=2, groups=1, bias=False,
                            padding=[1, 2], padding_mode="reflect"),
                       Layer.make("LeakyReLU", "act", {"negative_slope": 0.2, "inplace": True}),
                       Layer.make("MaxPool2d", "pool", {"kernel_size": 3, "stride": 2}),
                       Layer.make("Upsample", "up", {"scale_factor": [2.0, 2.0], "mode": "bilinear",
                                                     "align_corners": False}),
                       Layer.make("AdaptiveAvgPool2d", "gap", {"output_size": [None, 1]}),
                       Layer.make("Dropout", "drop", {"p": 0.25}))
    assert [layer_code(design, i) for i in range(6)] == [
        'nn.Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2), dilation=2, bias=False, '
        'padding_mode="reflect")',
        "nn.LeakyReLU(0.2, inplace=True)",
        "nn.MaxPool2d(3, stride=2)",
        'nn.Upsample(scale_factor=2.0, mode="bilinear", align_corners=False)',
        "nn.AdaptiveAvgPool2d((None, 1))",
        "nn.Dropout(0.25)",
    ]


def test_inferred_widths_are_written_explicitly() -> None:
    design = design_of(conv(out_channels=8), Layer.make("GroupNorm", "gn", {"num_groups": 2}),
                       Layer.make("InstanceNorm2d", "inorm", {"affine": True}),
                       Layer.make("ConvTranspose2d", "up", {"out_channels": 4, "kernel_size": 2, "stride": 2}),
                       Layer.make("Flatten", "flat"), Layer.make("BatchNorm1d", "bn"),
                       Layer.make("Linear", "fc", {"out_features": 10, "bias": False}), channels=5, size=(4, 4))
    assert [layer_code(design, i) for i in range(7)] == [
        "nn.Conv2d(5, 8, kernel_size=3)", "nn.GroupNorm(2, 8)", "nn.InstanceNorm2d(8, affine=True)",
        "nn.ConvTranspose2d(8, 4, kernel_size=2, stride=2)", "nn.Flatten()", "nn.BatchNorm1d(64)",
        "nn.Linear(64, 10, bias=False)"]


def test_linear_takes_its_width_from_the_last_axis() -> None:
    design = design_of(Layer.make("Linear", "fc", {"out_features": 7}), channels=2, size=(3, 5))
    assert layer_code(design) == "nn.Linear(5, 7)"


# -- padding ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("mode", "module"), [("zeros", "ZeroPad2d"), ("reflect", "ReflectionPad2d"),
                                              ("replicate", "ReplicationPad2d"), ("circular", "CircularPad2d")])
def test_asymmetric_padding_becomes_an_explicit_pad_layer(mode: str, module: str) -> None:
    design = design_of(conv(padding=[[0, 2], [1, 0]], padding_mode=mode))
    plan = torch_plan(design)
    assert [(s.role, s.code) for s in plan.steps] == [
        ("pad", f"nn.{module}((1, 0, 0, 2))"),  # PyTorch's order: the last axis (W) first
        ("layer", "nn.Conv2d(3, 8, kernel_size=3)"),  # padding 0, and no padding_mode
    ]
    text = export_torch(design)
    assert "Asymmetric padding ([low, high] per axis) is written as an explicit pad layer" in text
    assert "pads H 0+2, W 1+0 (low+high)" in text


def test_asymmetric_padding_in_one_and_three_dimensions() -> None:
    one = design_of(Layer.make("Conv1d", "c", {"out_channels": 2, "kernel_size": 3, "padding": [[2, 0]]}), size=(8,))
    assert [s.code for s in torch_plan(one).steps] == ["nn.ZeroPad1d((2, 0))", "nn.Conv1d(3, 2, kernel_size=3)"]
    three = design_of(Layer.make("Conv3d", "c", {"out_channels": 2, "kernel_size": 3, "padding": [1, [0, 1], 2],
                                                 "padding_mode": "circular"}), size=(6, 6, 6))
    assert [s.code for s in torch_plan(three).steps] == ["nn.CircularPad3d((2, 2, 0, 1, 1, 1))",
                                                        "nn.Conv3d(3, 2, kernel_size=3)"]


def test_symmetric_pairs_stay_in_the_convolution() -> None:
    assert layer_code(design_of(conv(padding=[[1, 1], [2, 2]]))) == "nn.Conv2d(3, 8, kernel_size=3, padding=(1, 2))"
    assert layer_code(design_of(conv(padding=[[1, 1], 1]))) == "nn.Conv2d(3, 8, kernel_size=3, padding=1)"


def test_same_and_valid_are_written_as_pytorch_strings_and_full_as_its_number() -> None:
    assert layer_code(design_of(conv(padding="same", kernel_size=4))) == 'nn.Conv2d(3, 8, kernel_size=4, padding="same")'
    assert layer_code(design_of(conv(padding="valid"))) == 'nn.Conv2d(3, 8, kernel_size=3, padding="valid")'
    full = design_of(conv(padding="full", kernel_size=[3, 5], dilation=2))
    assert layer_code(full) == "nn.Conv2d(3, 8, kernel_size=(3, 5), padding=(4, 8), dilation=2)"
    assert "'full' padding is written as padding=d*(k-1)" in export_torch(full)


# -- layout and comments ------------------------------------------------------------------------------------

def test_a_straight_stack_is_a_sequential_keyed_by_the_layer_names() -> None:
    design = design_of(conv(), Layer.make("ReLU", "relu", {"inplace": True}))
    plan = torch_plan(design)
    assert plan.layout == "sequential"
    assert [s.path for s in plan.steps] == ["conv", "relu"]
    lines = code_lines(design)
    assert "class Net(nn.Sequential):" in lines and "def forward(self, x: torch.Tensor) -> torch.Tensor:" not in lines
    start = lines.index("super().__init__(OrderedDict([")
    assert [line.split("  #")[0] for line in lines[start + 2:start + 5]] == [
        '("conv", nn.Conv2d(3, 8, kernel_size=3)),', '("relu", nn.ReLU(inplace=True)),', "]))"]
    assert "from collections import OrderedDict" in lines


def test_a_flatten_stays_in_the_chain_as_a_module() -> None:
    design = design_of(conv(), Layer.make("Flatten", "flatten"), Layer.make("Linear", "fc", {"out_features": 2}))
    plan = torch_plan(design)
    assert plan.layout == "sequential"
    assert [s.path for s in plan.steps] == ["conv", "flatten", "fc"]
    assert any(line.startswith('("flatten", nn.Flatten()),') for line in code_lines(design))


def test_chain_keys_keep_names_pytorch_takes_and_pads_never_take_a_layers_key() -> None:
    """A number (an imported top-level nn.Sequential's ``0``) stays a key; a keyword, an nn.Sequential
    attribute or a name that is no identifier gets a safe variant; the pad the export adds before an
    asymmetric convolution is keyed beside its layer, after every layer has its key."""
    design = design_of(conv("0", padding=[[0, 1], [1, 0]]), Layer.make("ReLU", "class"), Layer.make("ReLU", "append"),
                       Layer.make("ReLU", "c_pad"), Layer.make("ReLU", "a b"), conv("c", padding=[[0, 1], [1, 0]]))
    assert [s.path for s in torch_plan(design).steps] == [
        "0_pad", "0", "class_", "append_", "c_pad", "a_b", "c_pad_2", "c"]


def test_a_graph_with_dotted_names_that_start_with_a_digit_is_valid_python() -> None:
    """An nn.Sequential subclass with a branch (torchvision's DeepLabHead is one) imports as names such as
    ``0.a``: the variables of ``forward`` are identifiers (it assigned to ``0_a``, a syntax error)."""
    design = design_of(conv("0.a", padding=1), conv("0.b", padding=1, **{"from": "input"}),
                       Layer.make("Add", "add", {"from": ["0.a", "0.b"]}))
    text = export_torch(design)
    compile(text, "<export>", "exec")
    assert [(s.path, s.variable) for s in torch_plan(design).steps] == [("0.a", "conv_0_a"), ("0.b", "x"),
                                                                         (None, "add")]


def test_a_graph_keeps_digit_names_as_keys() -> None:
    """A graph's layer named by a number (an nn.Sequential subclass's child beside a residual block: ``0``,
    ``1.conv``, ``2``) keeps it as its key, as a chain and a dotted name's block do, so that the original
    state_dict loads; its variable in ``forward`` is an identifier."""
    design = design_of(conv("0", padding=1), conv("1.conv", padding=1), Layer.make("Add", "2", {"from": "0"}),
                       Layer.make("ReLU", "3"))
    plan = torch_plan(design)
    assert [s.path for s in plan.steps] == ["0", "1.conv", None, "3"]
    lines = code_lines(design)
    assert 'self.add_module("0", nn.Conv2d(3, 8, kernel_size=3, padding=1))' in lines
    assert 'self.add_module("3", nn.ReLU())' in lines
    start = lines.index("def forward(self, x: torch.Tensor) -> torch.Tensor:") + 1
    assert lines[start:start + 4] == ['conv_0 = getattr(self, "0")(x)', 'x = getattr(self, "1")["conv"](conv_0)',
                                      "x = x + conv_0", 'return getattr(self, "3")(x)']
    compile(export_torch(design), "<export>", "exec")


def test_joins_keep_the_outputs_they_need() -> None:
    design = design_of(conv("enc", padding=1), Layer.make("ReLU", "act"), Layer.make("Concat", "cat", {"from": "enc"}),
                       conv("mid", out_channels=16, padding=1), Layer.make("Add", "res", {"from": "cat"}))
    plan = torch_plan(design)
    assert plan.layout == "attributes"
    lines = code_lines(design)
    start = lines.index("def forward(self, x: torch.Tensor) -> torch.Tensor:") + 1
    assert lines[start:start + 5] == [
        "enc = self.enc(x)",
        "x = self.act(enc)",
        "cat = torch.cat((x, enc), dim=1)",
        "x = self.mid(cat)",
        "return x + cat",
    ]


def test_in_place_layers_that_could_change_a_kept_output_are_not_in_place() -> None:
    design = design_of(conv("enc", padding=1), Layer.make("Dropout", "drop"), Layer.make("ReLU", "r1", {"inplace": True}),
                       conv("c2", out_channels=8, padding=1), Layer.make("ReLU", "r2", {"inplace": True}),
                       Layer.make("Concat", "cat", {"from": "enc"}), Layer.make("ReLU", "r3", {"inplace": True}))
    codes = [layer_code(design, i) for i in (2, 4, 6)]
    assert codes == ["nn.ReLU()", "nn.ReLU(inplace=True)", "nn.ReLU(inplace=True)"]
    text = export_torch(design)
    assert "(not in place: enc is needed later)" in text


def test_every_layer_has_a_comment_with_the_engine_numbers() -> None:
    design = load(EXAMPLES / "unet-small.yaml")
    analysis = analyze(design)
    text = export_torch(design)
    for result in analysis.layers:
        pattern = (rf"# {re.escape(result.name)}[ :]+{re.escape(shape_text(result.output_shape))}[ ,]+"
                   rf"(field )?{re.escape(field_text(result))}[ ,]+{result.params:,}( params)?\b")
        assert re.search(pattern, text), result.name
    assert f"# Input 1×64×64, output 1×64×64, {analysis.total_params:,} parameters" in text
    for warning in analysis.warnings:
        assert f"#   {warning.text}\n" in text


def test_the_main_block_checks_the_engine_numbers() -> None:
    design = load(EXAMPLES / "dcgan-generator.yaml")
    analysis = analyze(design)
    text = export_torch(design)
    assert "        output = model(torch.zeros(2, 100, 1, 1))\n" in text
    assert "    assert tuple(output.shape) == (2, 3, 64, 64), " in text
    assert f"    assert parameters == {analysis.total_params}, " in text


def test_an_empty_design_exports_an_identity() -> None:
    text = export_torch(design_of())
    assert "class Net(nn.Sequential):" in text and "        super().__init__()\n" in text
    compile(text, "<empty>", "exec")


def test_a_design_with_errors_is_not_exported() -> None:
    design = design_of(conv(kernel_size=40), Layer.make("Nope", "x"))
    with pytest.raises(ExportError) as caught:
        export_torch(design)
    assert caught.value.messages == [d.text for d in analyze(design).errors]
    assert caught.value.messages[0].startswith("conv: kernel 40 is larger than the padded input 16 on axis H")


# -- names --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("dcgan-generator", "DcganGenerator"), ("UNetSmall", "UNetSmall"), ("my net 2", "MyNet2"), ("none", "NoneModel"),
    ("true", "TrueModel"), ("f", "FModel"), ("3d unet", "Model3dUnet"), ("", "Model"), ("名前", "Model"),
    ("Ünïcödé", "Unicode"), ("__import__('os').system('x')", "ImportOsSystemX"), ("Exception", "ExceptionModel"),
])
def test_class_names(name: str, expected: str) -> None:
    assert class_name(name) == expected


def test_attribute_names_are_safe_and_unique() -> None:
    taken: set[str] = set()
    names = ["forward", "training", "to", "__init__", "class", "x", "Conv1", "conv1", "conv-1", "1abc", "", "名前",
             "l" * 300, "self", "None", "print"]
    got = [attribute_name(n, "Conv2d", taken) for n in names]
    assert got == ["forward_", "training_", "to_", "init", "class_", "x_", "conv1", "conv1_2", "conv_1",
                   "conv_1abc", "conv", "conv_2", "l" * 40, "self_", "none", "print_"]
    assert len(set(got)) == len(got)
    for name in got:
        assert name.isidentifier() and name.isascii() and not keyword.iskeyword(name)
        assert name not in MODULE_ATTRIBUTES and not name.startswith("_")


def test_comment_text_escapes_every_line_break_and_invisible_character() -> None:
    text = comment_text("a\nb\rc\x0bd\x0ce\x85f\u2028g\u2029h\u202ei\x00j\tk ü")
    assert text == "a\\x0ab\\x0dc\\x0bd\\x0ce\\x85f\\u2028g\\u2029h\\u202ei\\x00j\\x09k ü"
    assert text.splitlines() == [text]


HOSTILE = ["forward", "training", "to", "cuda", "eval", "parameters", "__init__", "class", "x", "self", "torch",
           "a'b\"c", "line\nbreak", "cr\rlf", "sep\u2028par", "vt\x0bff\x0c", "__import__('os').system('x')",
           "Conv1", "conv1", "über", "名前", "l" * 300, "\u202eevil", "# -*- coding: latin-1 -*-", "\\", '"""']


def _plain_text_name(name: str) -> bool:
    """Any text is a name, except the reserved 'input' and dotted module paths, which are hierarchical."""
    return bool(name.strip()) and name != "input" and not is_module_path(name)


def hostile_and_plain(names: list[str], design_name: str, description: str) -> tuple[Design, Design]:
    """One design (convolutions with asymmetric padding, in-place ReLUs, Concat and Add) named with the
    given names, and the same design with plain names."""

    def build(layer_names: list[str], name: str, text: str) -> Design:
        layers = []
        for i, layer_name in enumerate(layer_names):
            kind = i % 4
            if kind == 0:
                layers.append(conv(layer_name, padding=[[0, 1], [1, 0]], out_channels=3))
            elif kind == 1:
                layers.append(Layer.make("ReLU", layer_name, {"inplace": True}))
            elif kind == 2:
                layers.append(Layer.make("Concat" if i % 8 == 2 else "Add", layer_name, {"from": layer_names[i - 2]}))
            else:
                layers.append(conv(layer_name, padding="same", out_channels=3))
        return Design(name, InputSpec(3, (9, 9)), tuple(layers), text)

    unique = list(dict.fromkeys(n for n in names if _plain_text_name(n)))
    return build(unique, design_name, description), build([f"n{i}" for i in range(len(unique))], "plain", "")


def normalised_code(text: str, design: Design) -> str:
    """The module's syntax tree without comments, with the identifiers the exporter derived from the names
    (the class, the layer attributes, a chain's keys and the variables of ``forward``) replaced in order of
    appearance, attributes and variables apart (a numbered layer's attribute is its number, its variable a
    word), attributes registered by key (``self.add_module("0", ...)``, ``getattr(self, "0")``) written as
    plain ones, and the module docstring (it starts with the class name) blanked."""
    plan = torch_plan(design)
    attributes = {s.path for s in plan.steps if s.path and "." not in s.path} if plan.layout != "sequential" else set()
    variables = {plan.class_name} | {s.variable for s in plan.steps if s.variable}
    renamed: dict[str, str] = {}
    renamed_attributes: dict[str, str] = {}
    keys: dict[str, str] = {}

    def rename(name: str) -> str:
        return renamed.setdefault(name, f"name{len(renamed)}") if name in variables else name

    def rename_attribute(name: str) -> str:
        return renamed_attributes.setdefault(name, f"attribute{len(renamed_attributes)}") if name in attributes \
            else name

    def on_self(node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id == "self"

    class ByKey(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            if isinstance(node.func, ast.Name) and node.func.id == "getattr" and on_self(node.args[0]):
                return ast.Attribute(node.args[0], node.args[1].value, ast.Load())
            return node

        def visit_Expr(self, node: ast.Expr) -> ast.AST:
            self.generic_visit(node)
            call = node.value
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "add_module" \
                    and on_self(call.func.value):
                return ast.Assign([ast.Attribute(call.func.value, call.args[0].value, ast.Store())], call.args[1],
                                  lineno=node.lineno)
            return node

    tree = ByKey().visit(ast.parse(text))
    tree.body[0] = ast.Expr(ast.Constant("module docstring"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            node.name = rename(node.name)
        elif isinstance(node, ast.Name):
            node.id = rename(node.id)
        elif isinstance(node, ast.Attribute) and on_self(node.value):
            node.attr = rename_attribute(node.attr)
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[1], ast.Call) and \
                isinstance(node.elts[0], ast.Constant):  # a chain's (key, module)
            node.elts[0].value = keys.setdefault(node.elts[0].value, f"key{len(keys)}")
    return ast.dump(tree)


def assert_safe(text: str, design: Design) -> None:
    lines = text.split("\n")
    assert lines[:2] == [f'"""{class_name(design.name)}: a PyTorch model exported by convdesigner."""', ""]
    compile(text.encode("utf-8"), "<export>", "exec")  # as Python reads a file: with its encoding declaration
    tree = ast.parse(text)
    imports = [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    ordered = ["from collections import OrderedDict"] if torch_plan(design).layout == "sequential" and design.layers \
        else []
    assert imports == [*ordered, "import torch", "from torch import nn"]
    assert [node.name for node in tree.body if isinstance(node, ast.ClassDef)] == [class_name(design.name)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            assert node.id.isascii() and node.id.isidentifier()
        if isinstance(node, ast.Attribute):
            assert node.attr.isascii() and not node.attr.startswith("_") or node.attr == "__init__"
    for token in tokenize.tokenize(io.BytesIO(text.encode("utf-8")).readline):
        if token.type == tokenize.COMMENT:
            assert not any(c in token.string for c in LINE_BREAKS)
            assert all(c.isprintable() for c in token.string)
    assert text.splitlines() == text.split("\n")[:-1]  # no line break of any kind inside a line


def test_hostile_names_never_reach_the_code() -> None:
    design, plain = hostile_and_plain(HOSTILE, "x'\"\n# -*- coding: latin-1 -*-\u2028", "desc\r\n\"\"\"\x0c\u2029")
    text = export_torch(design)
    assert_safe(text, design)
    assert normalised_code(text, design) == normalised_code(export_torch(plain), plain)
    for line in text.splitlines():
        if "__import__" in line:
            assert line.lstrip().startswith("#") or "  # " in line.split("__import__")[0], line


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=10), st.text(max_size=40),
       st.text(max_size=80))
def test_any_names_give_the_same_code_as_plain_names(names: list[str], design_name: str, description: str) -> None:
    design, plain = hostile_and_plain(names, design_name, description)
    if not design.layers:
        return
    assert analyze(design).ok
    text = export_torch(design)
    assert_safe(text, design)
    assert normalised_code(text, design) == normalised_code(export_torch(plain), plain)


@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=6, unique=True))
def test_any_names_in_a_sequential_are_only_comments(names: list[str]) -> None:
    names = [n for n in names if _plain_text_name(n)]
    design = design_of(*[Layer.make("ReLU", n) for n in names], name="".join(names))
    text = export_torch(design)
    assert_safe(text, design)
    plain = design_of(*[Layer.make("ReLU", f"r{i}") for i in range(len(names))])
    assert normalised_code(text, design) == normalised_code(export_torch(plain), plain)


# -- the command --------------------------------------------------------------------------------------------

@pytest.fixture
def design_file(tmp_path: Path) -> Path:
    path = tmp_path / "design.yaml"
    save(design_of(conv("enc"), Layer.make("Concat", "cat", {"from": "enc"}), name="Tiny"), path)
    return path


def test_export_to_torch_prints_the_module(design_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(design_file), "--to", "torch"]) == 0
    out, err = capsys.readouterr()
    assert out == export_torch(load(design_file))
    assert err == ""


def test_export_to_yaml_prints_the_canonical_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "loose.yaml"
    path.write_text("convdesigner: 1\nname: loose\ninput: {channels: 1, size: [8]}\nlayers:\n"
                    "  - type: Conv1d\n    out_channels: 2\n    kernel_size: 3\n", encoding="utf-8")
    assert main(["export", str(path), "--to", "yaml"]) == 0
    out = capsys.readouterr().out
    assert out == dumps(load(path))
    assert "  - {type: Conv1d, name: conv1, out_channels: 2, kernel_size: 3}\n" in out


@pytest.mark.parametrize("to", ["torch", "yaml"])
def test_export_writes_the_output_file(design_file: Path, tmp_path: Path, to: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"out.{to}"
    out.write_text("old", encoding="utf-8")
    assert main(["export", str(design_file), "--to", to, "-o", str(out)]) == 0
    expected = export_torch(load(design_file)) if to == "torch" else dumps(load(design_file))
    assert out.read_text(encoding="utf-8") == expected
    assert capsys.readouterr().out == ""
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left behind


@pytest.mark.parametrize("to", ["torch", "yaml"])
def test_a_design_with_errors_exits_1_with_the_engine_messages(tmp_path: Path, to: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    save(design_of(conv("big", kernel_size=20)), path)
    out_path = tmp_path / "out.py"
    assert main(["export", str(path), "--to", to, "-o", str(out_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert f"{path}: big: kernel 20 is larger than the padded input 16 on axis H" in err
    assert not out_path.exists()


def test_an_unreadable_file_exits_1_with_the_loader_messages(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("convdesigner: 1\ninput: {channels: 1, size: [8]}\nlayers:\n"
                    "  - {type: Conv1d, out_channel: 2, kernel_size: 3}\n", encoding="utf-8")
    assert main(["export", str(path), "--to", "torch"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:4:20: conv1: Conv1d has no argument 'out_channel' (did you mean 'out_channels'?)" in err


@pytest.mark.parametrize("arguments", [
    ["export"], ["export", "{file}"], ["export", "{file}", "--to", "onnx"], ["export", "missing.yaml", "--to", "torch"],
    ["export", "{file}", "--to", "torch", "-o", "{folder}"], ["export", "{folder}", "--to", "torch"],
])
def test_usage_errors_exit_2(arguments: list[str], design_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    filled = [a.format(file=design_file, folder=design_file.parent) for a in arguments]
    try:
        code = main(filled)
    except SystemExit as exit:  # argparse's own usage errors
        code = exit.code
    assert code == 2
    assert capsys.readouterr().err


def test_standard_output_is_utf8_whatever_the_locale(design_file: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "convdesigner", "export", str(design_file), "--to", "torch"],
                          capture_output=True, env={"PYTHONIOENCODING": "ascii", "PATH": ""}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8") == export_torch(load(design_file))
    assert "×".encode() in done.stdout


def test_an_output_that_cannot_be_written_exits_1(design_file: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no" / "such" / "folder" / "model.py"
    assert main(["export", str(design_file), "--to", "torch", "-o", str(target)]) == 1
    assert f"cannot write {target}" in capsys.readouterr().err


def test_the_export_command_imports_neither_qt_nor_torch() -> None:
    code = ("import sys\nfrom convdesigner.cli import main\nimport convdesigner.commands.export\n"
            "import convdesigner.io.torch_export\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'torch', 'numpy'))\n"
            "print(','.join(heavy))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


# -- golden files -------------------------------------------------------------------------------------------

def test_every_bundled_example_has_a_golden_export() -> None:
    examples = {p.stem for p in EXAMPLES.glob("*.yaml")}
    goldens = {p.stem for p in GOLDEN.glob("*.py")} - {"regenerate"}
    assert examples, "no bundled examples"
    assert goldens == examples, "run python tests/golden/regenerate.py"


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_export_of_each_example_equals_its_golden(example: Path) -> None:
    golden = GOLDEN / f"{example.stem}.py"
    assert golden.exists(), "run python tests/golden/regenerate.py"
    assert export_torch(load(example)) == golden.read_text(encoding="utf-8"), (
        f"the export of {example.name} changed: run python tests/golden/regenerate.py and review the diff")
