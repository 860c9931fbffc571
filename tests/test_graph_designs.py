"""Designs as graphs (format version 2): 'from' on any layer, joins over operands in order, outputs, dotted
module-path names; the loader, the writer and the engine's rules for each."""

from __future__ import annotations

import pytest

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.graph import order_problem, with_reference_renamed, without_layers
from convdesigner.io.design_file import DesignFileError, dumps, format_version, loads

HEAD = "convdesigner: 2\nname: g\ninput: {channels: 2, size: [8]}\n"


def conv(name: str, out: int = 4, k: int = 3, **kw: object) -> Layer:
    return Layer.make("Conv1d", name, out_channels=out, kernel_size=k, padding=k // 2, **kw)


def design(*layers: Layer, outputs: tuple[str, ...] = ()) -> Design:
    return Design("g", InputSpec(2, (8,)), layers, outputs=outputs)


def messages(text: str) -> list[str]:
    with pytest.raises(DesignFileError) as caught:
        loads(text, "g.yaml")
    return str(caught.value).splitlines()


# -- the file ---------------------------------------------------------------------------------------------

def test_from_on_any_layer_join_lists_and_outputs_load_and_round_trip() -> None:
    text = (HEAD + "outputs: [mu, logvar]\nlayers:\n"
            "  - {type: Conv1d, name: body, out_channels: 4, kernel_size: 3, padding: 1}\n"
            "  - {type: Conv1d, name: side, from: input, out_channels: 4, kernel_size: 1}\n"
            "  - {type: Add, name: sum, from: [body, side]}\n"
            "  - {type: Mul, name: gate, from: [sum, body, side]}\n"
            "  - {type: Conv1d, name: mu, out_channels: 2, kernel_size: 1}\n"
            "  - {type: Conv1d, name: logvar, from: gate, out_channels: 2, kernel_size: 1}\n")
    loaded = loads(text)
    assert loaded.outputs == ("mu", "logvar")
    assert [layer.inputs for layer in loaded.layers] == [(), ("input",), ("body", "side"), ("sum", "body", "side"),
                                                         (), ("gate",)]
    assert dumps(loaded) == text  # canonical: what was typed is what is written back
    analysis = analyze(loaded)
    assert analysis.ok and [r.inputs for r in analysis.layers] == [(-1,), (-1,), (0, 1), (2, 0, 1), (3,), (3,)]
    assert analysis.outputs == (("mu", (2, 8)), ("logvar", (2, 8)))


def test_version_1_files_keep_their_meaning_and_are_still_written_as_version_1() -> None:
    text = ("convdesigner: 1\nname: g\ninput: {channels: 2, size: [8]}\nlayers:\n"
            "  - {type: Conv1d, name: a, out_channels: 2, kernel_size: 3, padding: 1}\n"
            "  - {type: ReLU, name: r}\n"
            "  - {type: Concat, name: cat, from: a}\n")
    loaded = loads(text)
    assert analyze(loaded).layers[2].inputs == (1, 0)  # the layer above, then a (version 1's running tensor)
    assert format_version(loaded) == 1 and dumps(loaded) == text


@pytest.mark.parametrize(("change", "version"), [
    (lambda d: d.with_outputs(["a"]), 2),
    (lambda d: d.with_layers([*d.layers[:2], d.layers[2].with_inputs(["r", "a"])]), 2),
    (lambda d: d.with_layers([d.layers[0], d.layers[1].with_inputs(["input"]), d.layers[2]]), 2),
    (lambda d: d.with_layers([*d.layers[:2], Layer.make("Mul", "cat", {"from": "a"})]), 2),
    (lambda d: d.with_layers([Layer.make("ReLU", "layer1.0.relu"), *d.layers[1:]]), 1),  # any text was a name
])
def test_saving_writes_version_2_only_for_what_version_1_cannot_say(change, version: int) -> None:
    base = design(conv("a", 2), Layer.make("ReLU", "r"), Layer.make("Concat", "cat", {"from": "a"}))
    changed = change(base)
    text = dumps(changed)
    assert text.startswith(f"convdesigner: {version}\n")
    assert loads(text) == changed


def test_wiring_mistakes_in_the_file_are_placed_and_explained() -> None:
    [one_name_list] = messages(HEAD + "layers:\n  - {type: ReLU, name: a}\n  - {type: Add, name: j, from: [a]}\n")
    assert one_name_list.startswith("g.yaml:6:32: j: a join's list names two or more layers in order")
    [not_a_join] = messages(HEAD + "layers:\n  - {type: ReLU, name: a}\n  - {type: ReLU, name: b, from: [a, a]}\n")
    assert not_a_join.startswith("g.yaml:6:33: b: only a join (Concat, Add, Mul) reads several layers")
    [not_names] = messages(HEAD + "layers:\n  - {type: ReLU, name: a, from: 3}\n")
    assert not_names == "g.yaml:5:33: a: 'from' names layers: from: conv1, not 3"
    [outputs] = messages(HEAD + "outputs: [1]\nlayers: []\n")
    assert "'outputs' names layers" in outputs


def test_a_newer_version_is_refused_and_version_2_is_read() -> None:
    assert loads(HEAD + "layers: []\n").layers == ()
    [message] = messages("convdesigner: 3\ninput: {channels: 1, size: [8]}\n")
    assert "format version 3, written by a newer convdesigner" in message


# -- the engine's rules -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("layers", "rule", "text"), [
    ((Layer.make("ReLU", "a", {"from": "b"}), Layer.make("ReLU", "b")), "from",
     "there is no layer named 'b' above a to read"),
    ((Layer.make("ReLU", "a", {"from": "a"}),), "from", "'a' cannot read itself"),
    ((Layer.make("ReLU", "a"), Layer.make("Add", "j")), "from", "Add needs the layers it joins"),
    ((Layer.make("ReLU", "input"),), "name", "'input' is reserved for the network input"),
    ((Layer.make("ReLU", "blk.a"), Layer.make("ReLU", "blk")), "name", "'blk' is also the block of dotted names"),
    ((Layer.make("ReLU", "blk"), Layer.make("ReLU", "blk.a")), "name", "'blk' above is a layer, so it cannot"),
])
def test_impossible_wiring_and_names_are_errors_on_the_layer(layers: tuple[Layer, ...], rule: str, text: str) -> None:
    analysis = analyze(design(*layers))
    [error] = analysis.errors
    assert error.rule == rule and text in error.message
    assert error.layer == layers[-1].name if rule == "name" else True


def test_a_failed_branch_leaves_the_other_computed() -> None:
    analysis = analyze(design(conv("ok"), Layer.make("Conv1d", "bad", {"from": "input", "out_channels": 2,
                                                                        "kernel_size": 99}),
                              Layer.make("ReLU", "after_bad"), Layer.make("ReLU", "after_ok", {"from": "ok"})))
    assert [r.computed for r in analysis.layers] == [True, False, False, True]
    assert [r.errors != () for r in analysis.layers] == [False, True, False, False]


def test_join_errors_name_every_operand_that_disagrees() -> None:
    analysis = analyze(design(conv("a", 4), conv("b", 4, k=1, **{"from": "input", "stride": 2}),
                              conv("c", 3, **{"from": "input"}),
                              Layer.make("Add", "sum", {"from": ["a", "b", "c"]})))
    [error] = analysis.errors
    assert error.rule == "join-channels"
    assert error.message == "Add needs equal channels, but a's output has 4 and c's output has 3"
    analysis = analyze(design(conv("a", 4), conv("b", 4, k=1, **{"from": "input", "stride": 2}),
                              conv("c", 4, k=1, **{"from": "input", "stride": 4}),
                              Layer.make("Concat", "cat", {"from": ["a", "b", "c"]})))
    [error] = analysis.errors
    assert error.message.startswith("Concat cannot join b (and c also differs): a's output is 8 but b's output is 4")
    assert "{type: ZeroPad1d, padding: [0, -4], from: a} and join it in place of a" in error.suggestion


def test_unread_layers_warn_and_outputs_must_exist() -> None:
    analysis = analyze(design(conv("a"), conv("dead", **{"from": "input"}), Layer.make("ReLU", "r", {"from": "a"})))
    [warning] = analysis.warnings
    assert warning.layer == "dead" and warning.rule == "unread"
    analysis = analyze(design(conv("a"), conv("dead", **{"from": "input"}), Layer.make("ReLU", "r", {"from": "a"}),
                              outputs=("r", "dead")))
    assert not analysis.warnings and analysis.ok
    analysis = analyze(design(conv("a"), outputs=("A", "a", "a")))
    assert [d.text for d in analysis.errors] == [
        "outputs: there is no layer named 'A' to output; did you mean 'a'?",
        "outputs: a layer is listed twice among the outputs; list each output once"]


def test_a_join_field_is_the_union_over_every_path() -> None:
    """A wide branch (k=5) and a narrow one (k=1) from the input: each output unit reads the wide window."""
    analysis = analyze(design(conv("wide", k=5), conv("narrow", k=1, **{"from": "input"}),
                              Layer.make("Add", "sum", {"from": ["narrow", "wide"]})))
    total = analysis.result("sum")
    assert total.receptive_field.size == (5,)
    assert analysis.dependency_interval(2, (0,)) == ((0, 2),)
    assert analysis.dependency_interval(2, (4,)) == ((2, 6),)


# -- edits that keep the wiring valid ---------------------------------------------------------------------

def test_deleting_a_layer_rewires_its_readers_to_what_it_read() -> None:
    base = design(conv("a"), conv("b", **{"from": "input"}), Layer.make("ReLU", "r"),
                  Layer.make("Add", "sum", {"from": ["a", "r"]}), outputs=("sum", "r"))
    after, notes = without_layers(base, [2])
    assert [layer.inputs for layer in after.layers] == [(), ("input",), ("a", "b")]
    assert after.outputs == ("sum", "b")
    assert notes == ["sum now reads a, b"]
    assert analyze(after).ok
    after, notes = without_layers(base, [1])  # r read b (the layer above): it now reads b's input
    assert after.layers[1].inputs == ("input",) and notes == ["r now reads input"]


def test_renaming_follows_every_reference_and_moves_check_the_order() -> None:
    base = design(conv("a"), Layer.make("ReLU", "r", {"from": "a"}), outputs=("a",))
    renamed = with_reference_renamed(base, "a", "stem")
    assert renamed.layers[1].inputs == ("stem",) and renamed.outputs == ("stem",)
    swapped = base.with_layers(reversed(base.layers))
    assert order_problem(swapped) == "r reads a, which would then come after it: a layer reads only layers above it"
    assert order_problem(base) is None


def test_a_unit_that_reads_the_whole_input_says_so() -> None:
    """After global pooling every unit reads the whole input: the field is the whole input, whatever its size
    (ResNet-18's avgpool: 627 on a 224 input, the size of one corner unit's field grown through the stack)."""
    from pathlib import Path

    from convdesigner.io.design_file import load
    from convdesigner.io.report import field_text

    analysis = analyze(load(Path(__file__).resolve().parent.parent / "resources" / "examples" / "resnet18.yaml"))
    pooled = analysis.result("avgpool")
    assert pooled.receptive_field.size == (627, 627) and pooled.receptive_field.whole == (True, True)
    assert field_text(pooled) == "627×627 (whole input)"
    assert analysis.result("layer4.1.relu_1").receptive_field.whole == (False, False)  # 435 > 224, but a corner
    wide = analyze(design(conv("wide", k=17)))  # 8 inputs: every unit's 17-wide window covers them all
    assert wide.layers[0].receptive_field.whole == (True,)
    assert analyze(design(conv("narrow", k=3))).layers[0].receptive_field.whole == (False,)


def test_a_from_naming_an_unknown_layer_shows_only_that_error() -> None:
    """Reproducer: a join whose `from` names an unknown layer made the layers it does name "unread" too."""
    for names in (["a", "b", "nope"], ["nope", "a", "b"]):
        analysis = analyze(design(conv("a"), conv("b", **{"from": "input"}), Layer.make("Add", "j", {"from": names})))
        assert not analysis.warnings, (names, [w.text for w in analysis.warnings])
        [error] = analysis.errors
        assert error.layer == "j" and error.rule == "from" and "nope" in error.text
    # one name: the join adds it to the layer above, which it reads
    analysis = analyze(design(conv("a"), Layer.make("Add", "j", {"from": "nope"})))
    assert not analysis.warnings and [e.layer for e in analysis.errors] == ["j"]
    # a reference to an unknown layer: the operand it reads is read all the same
    analysis = analyze(design(conv("a"), Layer.make("CenterCrop", "c", {"size_from": "nope"})))
    assert not analysis.warnings and [e.layer for e in analysis.errors] == ["c"]
    # a layer that reads one tensor from an unknown name does not read the layer above
    analysis = analyze(design(conv("a"), conv("c", **{"from": "nope"})))
    assert [(w.layer, w.rule) for w in analysis.warnings] == [("a", "unread")]
