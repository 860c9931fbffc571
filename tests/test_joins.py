"""Skip connections: mismatch messages that name both layers, the axis, the difference and a fix that
works; receptive fields through a join (the union of both fields, and warnings when they are misaligned)."""

from __future__ import annotations

import pytest

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.layers.joins import zero_pad_fix


def _insert_fix(design: Design, join: str) -> Design:
    """The design with the suggested ZeroPad inserted just before the join."""
    analysis = analyze(design)
    index = design.index_of(join)
    result = analysis.layers[index]
    joined = analysis.layers[design.index_of(result.layer.inputs[-1])]
    ndim = len(result.input_shape) - 1
    pad = Layer.make(f"ZeroPad{ndim}d", "fix", {"padding": zero_pad_fix(result.input_shape, joined.output_shape)})
    layers = list(design.layers)
    layers.insert(index, pad)
    return design.with_layers(layers)


def test_unet_mismatch_names_both_layers_the_axis_and_the_difference() -> None:
    design = Design("u", InputSpec(1, (9, 10)), (
        Layer.make("Conv2d", "enc", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        Layer.make("MaxPool2d", "pool", {"kernel_size": 2}),
        Layer.make("ConvTranspose2d", "up", {"out_channels": 4, "kernel_size": 2, "stride": 2}),
        Layer.make("Concat", "cat", {"from": "enc"}),
    ))
    analysis = analyze(design)
    (error,) = analysis.errors
    assert (error.layer, error.rule, error.axis, error.argument) == ("cat", "join-size", 0, "from")
    assert error.message == ("Concat cannot join enc: the incoming tensor is 8×10 but enc's output is 9×10; "
                             "they differ on axis H by 1 (8 here, 9 in enc)")
    assert "`convdesigner sizes FILE`" in error.suggestion
    assert error.suggestion.endswith("insert {type: ZeroPad2d, padding: [0, 0, 0, 1]} just before cat to pad the "
                                     "incoming tensor to 9×10")
    fixed = analyze(_insert_fix(design, "cat"))
    assert fixed.ok and fixed.output_shape == (8, 9, 10)


def test_a_larger_incoming_tensor_is_cropped() -> None:
    design = Design("crop", InputSpec(2, (7,)), (
        Layer.make("Conv1d", "a", {"out_channels": 2, "kernel_size": 1}),
        Layer.make("MaxPool1d", "p", {"kernel_size": 2, "ceil_mode": True}),
        Layer.make("Upsample", "u", {"scale_factor": 2}),
        Layer.make("Add", "add", {"from": "a"}),
    ))
    (error,) = analyze(design).errors
    assert error.message.endswith("they differ on axis L by 1 (8 here, 7 in a)")
    assert "{type: ZeroPad1d, padding: [0, -1]} just before add to crop the incoming tensor to 7" in error.suggestion
    assert analyze(_insert_fix(design, "add")).output_shape == (2, 7)


def test_every_differing_axis_is_reported_and_fixed_in_pytorch_order() -> None:
    design = Design("3d", InputSpec(1, (5, 6, 7)), (
        Layer.make("Conv3d", "a", {"out_channels": 2, "kernel_size": 1}),
        Layer.make("Upsample", "u", {"size": [6, 6, 5]}),
        Layer.make("Concat", "cat", {"from": "a"}),
    ))
    (error,) = analyze(design).errors
    assert error.axis == 0
    assert error.message.endswith("they differ on axis D by 1 (6 here, 5 in a) and on axis W by 2 (5 here, 7 in a)")
    # PyTorch's order: (low, high) of W, then H, then D.
    assert "{type: ZeroPad3d, padding: [0, 2, 0, 0, 0, -1]} just before cat to pad or crop" in error.suggestion
    assert analyze(_insert_fix(design, "cat")).output_shape == (4, 5, 6, 7)


def test_add_with_different_channels_suggests_concat() -> None:
    design = Design("add", InputSpec(3, (8,)), (
        Layer.make("Conv1d", "a", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        Layer.make("Conv1d", "b", {"out_channels": 6, "kernel_size": 3, "padding": 1}),
        Layer.make("Add", "add", {"from": "a"}),
    ))
    (error,) = analyze(design).errors
    assert (error.layer, error.rule, error.argument) == ("add", "join-channels", "from")
    assert error.message == "Add needs equal channels, but the incoming tensor has 6 and a's output has 4"
    assert error.suggestion == "use Concat (giving 10 channels), or give the layer before add out_channels 4"


def test_joining_across_flatten_is_refused() -> None:
    design = Design("rank", InputSpec(3, (8,)), (
        Layer.make("Conv1d", "a", {"out_channels": 4, "kernel_size": 3}),
        Layer.make("Flatten", "f"),
        Layer.make("Concat", "cat", {"from": "a"}),
    ))
    (error,) = analyze(design).errors
    assert error.rule == "join-rank" and "different numbers of axes" in error.message


# ------------------------------------------------------------------------------------ receptive fields

def _chain(second_padding: object) -> Design:
    return Design("fields", InputSpec(1, (16,)), (
        Layer.make("Conv1d", "c1", {"out_channels": 2, "kernel_size": 3, "padding": 1}),
        Layer.make("Conv1d", "c2", {"out_channels": 2, "kernel_size": 3, "padding": second_padding}),
        Layer.make("Concat", "cat", {"from": "c1"}),
    ))


def test_aligned_join_keeps_the_larger_field_without_warning() -> None:
    analysis = analyze(_chain(1))
    cat = analysis.result("cat")
    assert cat.receptive_field.size == (5,) and cat.receptive_field.start == (0,)
    assert not cat.warnings
    # The exact dependency of an interior unit is the union of both branches' intervals.
    assert analysis.dependency_interval(2, (8,)) == ((6, 10),)


def test_misaligned_join_takes_the_union_and_warns() -> None:
    # c2 padded [2, 0]: its unit y reads c1's y-2..y, so the input's y-3..y+1 (centre y-1); c1's unit y
    # reads y-1..y+1 (centre y). The union is y-3..y+1: size 5, centred at y-1.
    analysis = analyze(_chain([[2, 0]]))
    cat = analysis.result("cat")
    assert analysis.ok
    assert cat.receptive_field.size == (5,) and cat.receptive_field.start == (-1,)
    assert not cat.warnings  # true of the layout, not a problem: information for the receptive-field panel
    (note,) = cat.infos
    assert note.rule == "field-offset"
    assert note.message == "the joined fields are centred differently on axis L (-1 and 0 in c1)"
    assert analysis.dependency_interval(2, (8,)) == ((5, 9),)


def test_joined_fields_with_different_jumps_warn_and_keep_the_larger() -> None:
    design = Design("jumps", InputSpec(1, (16,)), (
        Layer.make("Conv1d", "wide", {"out_channels": 2, "kernel_size": 5, "padding": 2}),
        Layer.make("Conv1d", "strided", {"out_channels": 2, "kernel_size": 1, "stride": 2}),
        Layer.make("ZeroPad1d", "pad", {"padding": [0, 8]}),
        Layer.make("Concat", "cat", {"from": "wide"}),
    ))
    analysis = analyze(design)
    cat = analysis.result("cat")
    assert analysis.ok
    (warning,) = cat.warnings
    assert warning.message == ("the joined fields step differently on axis L (jumps 2 and 1 in wide): the larger field "
                               "is kept")
    assert cat.receptive_field.size == (5,) and cat.receptive_field.jump == (2,)


@pytest.mark.parametrize("kind", ["Concat", "Add"])
def test_join_output_shapes(kind: str) -> None:
    design = Design("j", InputSpec(3, (6, 6)), (
        Layer.make("Conv2d", "a", {"out_channels": 3, "kernel_size": 3, "padding": 1}),
        Layer.make("Conv2d", "b", {"out_channels": 3, "kernel_size": 3, "padding": "same"}),
        Layer.make(kind, "j", {"from": "a"}),
    ))
    assert analyze(design).output_shape == ((6 if kind == "Concat" else 3), 6, 6)
