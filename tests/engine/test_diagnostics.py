"""Diagnostics, never exceptions: messages name the layer and the rule, layers after an error are not
computed, the stride-drops-input warning counts the lost units, and absurd values are refused quickly."""

from __future__ import annotations

from typing import Any

import pytest

from convdesigner.engine import CATALOG, Design, InputSpec, Layer, analyze
from convdesigner.engine.arguments import MAX_INT
from convdesigner.engine.checks import ERROR, WARNING


def run(shape: tuple[int, ...], *layers: Layer):
    return analyze(Design("d", InputSpec(shape[0], shape[1:]), tuple(layers)))


def test_kernel_too_large_names_layer_rule_and_axis() -> None:
    analysis = run((3, 9, 20),
                   Layer.make("Conv2d", "conv1", out_channels=4, kernel_size=1), Layer.make("ReLU", "relu1"),
                   Layer.make("Conv2d", "conv3", out_channels=4, kernel_size=7, dilation=2, padding=1),
                   Layer.make("ReLU", "relu3"), Layer.make("Conv2d", "conv4", out_channels=4, kernel_size=1))
    assert not analysis.ok and analysis.output_shape is None
    (error,) = analysis.errors
    assert error.layer == "conv3" and error.rule == "kernel-fits" and error.severity == ERROR
    assert (error.axis, error.argument) == (0, "kernel_size")
    assert error.text == ("conv3: kernel 7 (dilated 13) is larger than the padded input 11 on axis H; pad by 2 more "
                          "in total on axis H, use a kernel of at most 6 or a dilation of at most 1, or feed an "
                          "input of at least 11")
    # The layers before the error are computed, the erring one and everything after are not.
    assert [r.computed for r in analysis.layers] == [True, True, False, False, False]
    for r in analysis.layers[3:]:
        assert r.output_shape is None and r.params is None and r.receptive_field is None and not r.diagnostics
    assert analysis.layers[2].input_shape == (4, 9, 20)


def test_kernel_suggestion_without_dilation() -> None:
    (error,) = run((1, 4), Layer.make("Conv1d", "c", out_channels=1, kernel_size=6)).errors
    assert error.text == ("c: kernel 6 is larger than the padded input 4 on axis L; pad by 2 more in total on "
                          "axis L, use a kernel of at most 4, or feed an input of at least 6")


@pytest.mark.parametrize("shape,layer,text", [
    ((3, 8), Layer.make("Conv1d", "c", out_channels=4, kernel_size=3, stride=3),
     "c: the last 2 input positions on axis L are never visited: (i + p_low + p_high - d(k - 1) - 1) mod s = 2 "
     "with stride 3; give this layer an input of 6 or 9 on axis L, or pad by 1 more"),
    ((3, 9, 8), Layer.make("MaxPool2d", "pool", kernel_size=2),
     "pool: the last input row on axis H is never visited: (i + p_low + p_high - d(k - 1) - 1) mod s = 1 "
     "with stride 2; give this layer an input of 8 or 10 on axis H, or pad by 1 more"),
    ((3, 8, 7, 10), Layer.make("Conv3d", "c", out_channels=1, kernel_size=3, stride=[1, 2, 4]),
     "c: the last 3 input columns on axis W are never visited: (i + p_low + p_high - d(k - 1) - 1) mod s = 3 "
     "with stride 4; give this layer an input of 7 or 11 on axis W, or pad by 1 more"),
])
def test_stride_drops_input_warning_counts_units(shape: tuple[int, ...], layer: Layer, text: str) -> None:
    analysis = run(shape, layer)
    assert analysis.ok
    (warning,) = analysis.warnings
    assert warning.severity == WARNING and warning.rule == "stride-drops-input"
    assert warning.text == text


def test_no_warning_when_only_padding_is_unvisited() -> None:
    # Figure 2.7: the unvisited unit is padding, not data.
    assert not run((1, 6, 6), Layer.make("Conv2d", "c", out_channels=1, kernel_size=3, stride=2, padding=1)).warnings
    # ceil_mode covers the remainder.
    assert not run((1, 5, 5), Layer.make("MaxPool2d", "p", kernel_size=2, ceil_mode=True)).warnings


@pytest.mark.parametrize("layer,rule,fragment", [
    (Layer.make("ConvTranspose2d", "t", out_channels=2, kernel_size=3, stride=2, output_padding=2), "output-padding",
     "t: output_padding 2 must be smaller than the stride 2 or the dilation 1 on axis H"),
    (Layer.make("ConvTranspose2d", "t", out_channels=2, kernel_size=1, padding=5), "transposed-size",
     "t: padding 5 crops the whole output on axis H"),
    (Layer.make("Conv2d", "c", out_channels=4, kernel_size=3, groups=2), "groups",
     "c: groups (2) must divide in_channels (3)"),
    (Layer.make("Conv2d", "c", out_channels=4, kernel_size=3, stride=2, padding="same"), "same-padding",
     "c: padding='same' needs stride 1 on every axis"),
    (Layer.make("Conv2d", "c", out_channels=4, kernal_size=3), "argument",
     "c: Conv2d has no argument 'kernal_size'; did you mean 'kernel_size'?"),
    (Layer.make("Conv2D", "c", out_channels=4, kernel_size=3), "type",
     "c: unknown layer type 'Conv2D'; did you mean 'Conv2d'?"),
    (Layer.make("MaxPool2d", "p", kernel_size=3, padding=2), "pool-padding",
     "p: padding 2 is more than half the kernel 3 on axis H"),
    (Layer.make("Conv1d", "c", out_channels=4, kernel_size=3), "rank",
     "c: Conv1d needs an input with channels and 1 spatial axis, but it receives 3×9×8 (2 spatial axes); "
     "use Conv2d"),
    (Layer.make("Conv2d", "c", in_channels=4, out_channels=4, kernel_size=3), "width",
     "c: in_channels is 4 but the incoming tensor has 3 channels"),
    (Layer.make("Conv2d", "c", out_channels=4, kernel_size=[3, 3, 3]), "argument",
     "c: kernel_size must be one integer or 2 (one per spatial axis), not a list of 3 items"),
    (Layer.make("Conv2d", "c", out_channels=4, kernel_size=True), "argument",
     "c: kernel_size must be an integer or a list of 2 integers, not the boolean true"),
    (Layer.make("Conv2d", "c", out_channels=4, kernel_size=10**100), "argument",
     "c: kernel_size is out of range: a 101-digit number is larger than 100,000,000"),
    (Layer.make("Upsample", "u", scale_factor=float("nan")), "argument",
     "u: scale_factor must be a positive number, not the number nan"),
    (Layer.make("Upsample", "u", size=4, recompute_scale_factor=True), "upsample-size",
     "u: recompute_scale_factor has no meaning with an explicit size"),
    (Layer.make("InstanceNorm2d", "n"), None, None),
])
def test_error_messages(layer: Layer, rule: str | None, fragment: str | None) -> None:
    analysis = run((3, 9, 8), layer)
    if rule is None:
        assert analysis.ok
        return
    error = analysis.errors[0]
    assert error.rule == rule, [e.text for e in analysis.errors]
    assert error.text.startswith(fragment)


def test_instance_norm_on_a_single_unit_is_refused() -> None:
    (error,) = run((3, 1, 1), Layer.make("InstanceNorm2d", "n")).errors
    assert error.rule == "instance-norm-size"
    assert error.text.startswith("n: InstanceNorm2d needs more than one spatial unit per channel")


def test_batch_norm_with_an_eps_that_is_not_positive_is_refused() -> None:
    """PyTorch 2.13's batch_norm refuses eps <= 0 when training ("batch_norm eps must be positive during
    training"); found by the fuzz test, whose exported module failed its own check. A negative eps is out of
    the argument's range already. Instance and group norm take 0."""
    (error,) = run((3, 4, 4), Layer.make("BatchNorm2d", "n", eps=0.0)).errors
    assert (error.rule, error.argument) == ("eps", "eps")
    assert error.text.startswith("n: BatchNorm2d's eps must be positive, not 0.0")
    assert not run((3, 4, 4), Layer.make("BatchNorm2d", "n", eps=-1e-5)).ok
    for layer in (Layer.make("InstanceNorm2d", "n", eps=0.0), Layer.make("GroupNorm", "n", num_groups=1, eps=0.0)):
        assert run((3, 4, 4), layer).ok


def test_duplicate_name() -> None:
    analysis = run((3, 9, 8), Layer.make("Conv2d", "c", out_channels=4, kernel_size=3), Layer.make("ReLU", "c"))
    assert analysis.errors[0].text == "c: the name 'c' is already used by layer 1; give every layer its own name"


def test_input_problems() -> None:
    analysis = analyze(Design("d", InputSpec(0, (5, -1)), (Layer.make("ReLU", "r"),)))
    assert [d.text for d in analysis.errors] == ["input: channels must be at least 1, not 0",
                                                 "input: size on axis W must be at least 1, not -1"]
    assert not analysis.layers[0].computed
    huge = analyze(Design("d", InputSpec(1, (MAX_INT,) * 3), ()))
    assert huge.errors[0].rule == "input" and "more than PyTorch can address" in huge.errors[0].message


def test_outputs_beyond_int64_are_refused() -> None:
    (error,) = run((1, MAX_INT, 2**20), Layer.make("Upsample", "u", scale_factor=2**20)).errors
    assert error.rule == "tensor-size" and error.layer == "u"
    assert "more than PyTorch can address (2^63 bytes)" in error.message


ABSURD = [10**9, -(10**9), 10**100, 2**31, 0, -1, 1.5, float("inf"), float("nan"), True, "x", "", None, [],
          [10**9] * 3, [[1, 2]] * 3, {"a": 1}]


@pytest.mark.parametrize("type_name", sorted(CATALOG))
def test_absurd_values_give_diagnostics_not_exceptions(type_name: str) -> None:
    """Every argument of every layer type, set to absurd values: analyze() and dependency_interval() never
    raise, and every error names the layer and a rule."""
    layer_type = CATALOG[type_name]
    ndim = layer_type.ndim or 2
    shape = (4, *(6,) * ndim)
    base: dict[str, Any] = {a.name: _plausible(a.name) for a in layer_type.arguments if a.required}
    for argument in layer_type.arguments:
        for value in ABSURD:
            layer = Layer.make(type_name, "victim", {**base, argument.name: value})
            analysis = run(shape, Layer.make("ReLU", "before"), layer)
            for diagnostic in analysis.diagnostics:
                assert diagnostic.layer in ("before", "victim") and diagnostic.rule and diagnostic.message
            result = analysis.layers[1]
            if result.computed and result.output_shape and len(result.output_shape) > 1:
                analysis.dependency_interval(1, (0,) * (len(result.output_shape) - 1))


def _plausible(name: str) -> Any:
    return {"from": "before", "num_groups": 2, "output_size": 2, "padding": 1}.get(name, 3)


def test_long_periods_stay_fast_and_say_when_the_field_is_dropped() -> None:
    """A 4095 -> 4096 resize has a period of 4096 output units; the field is still tracked exactly through
    a long kernel, and dropped (with a warning, not a hang) when the next period would exceed the limit."""
    analysis = run((1, 4095), Layer.make("Upsample", "up", size=4096, mode="linear"),
                   Layer.make("Conv1d", "conv", out_channels=1, kernel_size=4000, padding=2000),
                   Layer.make("Upsample", "up2", size=4095, mode="linear"))
    assert analysis.ok
    assert analysis.result("conv").receptive_field.size == (4001,)
    assert analysis.result("up2").receptive_field is None
    assert [w.rule for w in analysis.warnings] == ["field-period"]
    assert analysis.dependency_interval(1, (0,)) == ((0, 1999),)


def test_huge_kernels_keep_dependency_intervals_cheap() -> None:
    analysis = run((1, MAX_INT), Layer.make("Conv1d", "c", out_channels=1, kernel_size=9 * 10**7, stride=3),
                   Layer.make("ConvTranspose1d", "t", out_channels=1, kernel_size=10**7, stride=7))
    assert analysis.ok
    # t's unit Y reads c's units x with 7x = Y - tap: x from ceil((Y - 10^7 + 1) / 7) = 335,097 to
    # floor(Y / 7) = 1,763,668; c's unit x reads the input from 3x to 3x + 9*10^7 - 1.
    assert analysis.dependency_interval(1, (12_345_678,)) == ((1_005_291, 95_291_003),)
    assert analysis.result("c").receptive_field.size == (9 * 10**7,)


def test_a_join_size_mismatch_names_the_nearest_input_sizes_that_work() -> None:
    """The U-Net case: two 2x poolings need an input that is a multiple of 4; 62 is not, 60 and 64 are."""
    layers = (
        Layer.make("Conv1d", "enc1", out_channels=4, kernel_size=3, padding=1),
        Layer.make("MaxPool1d", "down1", kernel_size=2),
        Layer.make("Conv1d", "enc2", out_channels=4, kernel_size=3, padding=1),
        Layer.make("MaxPool1d", "down2", kernel_size=2),
        Layer.make("ConvTranspose1d", "up2", out_channels=4, kernel_size=2, stride=2),
        Layer.make("Concat", "skip2", **{"from": "enc2"}),
    )
    (error,) = analyze(Design("unet", InputSpec(1, (62,)), layers)).errors
    assert error.rule == "join-size" and error.layer == "skip2"
    assert error.suggestion.startswith("the nearest input sizes that work are 60 or 64; or ")
    assert analyze(Design("unet", InputSpec(1, (64,)), layers)).ok
    assert analyze(Design("unet", InputSpec(1, (60,)), layers)).ok


def test_the_name_allocator_gives_the_names_unique_name_gives_one_at_a_time() -> None:
    from convdesigner.engine.naming import NameAllocator, copy_name, generated_name

    taken = ["conv1", "conv3", "relu1", "up2"]
    allocator = NameAllocator(taken)
    one_at_a_time = list(taken)
    for kind, value in [("generated", "Conv2d"), ("generated", "Conv2d"), ("generated", "ReLU"),
                        ("copy", "up2"), ("copy", "up2"), ("generated", "ConvTranspose2d")]:
        if kind == "generated":
            expected, got = generated_name(value, one_at_a_time), allocator.generated(value)
        else:
            expected, got = copy_name(value, one_at_a_time), allocator.copy(value)
        assert got == expected
        one_at_a_time.append(expected)
    assert one_at_a_time[4:] == ["conv2", "conv4", "relu2", "up1", "up3", "convtranspose1"]


def test_a_huge_design_gets_its_join_error_without_the_input_size_scan() -> None:
    """The nearest-input-sizes hint scans the design for a range of input sizes: past HINT_MAX_LAYERS it
    would hold up every edit, so the error keeps only its own suggestion."""
    from convdesigner.engine.analysis import HINT_MAX_LAYERS

    body = [Layer.make("ReLU", f"r{i}") for i in range(HINT_MAX_LAYERS)]
    layers = (Layer.make("Conv1d", "enc", out_channels=2, kernel_size=3, padding=1), *body,
              Layer.make("MaxPool1d", "down", kernel_size=2), Layer.make("Upsample", "up", scale_factor=2),
              Layer.make("Concat", "join", **{"from": "enc"}))
    (error,) = analyze(Design("d", InputSpec(1, (63,)), layers)).errors
    assert error.rule == "join-size" and "nearest input sizes" not in error.suggestion
    (small,) = analyze(Design("d", InputSpec(1, (63,)), (layers[0], *layers[-3:]))).errors
    assert small.suggestion.startswith("the nearest input sizes that work are 62 or 64")


def test_a_layer_only_named_by_another_is_read() -> None:
    """``size_from`` reads the named layer (its size): no unread warning for it, as for a layer ``from``
    names; the same layer named by nobody is unread."""
    ref = Layer.make("Conv2d", "ref", out_channels=1, kernel_size=5)
    named = analyze(Design("d", InputSpec(1, (12, 12)), (
        ref, Layer.make("CenterCrop", "crop", size_from="ref", inputs=["input"]))))
    assert named.ok and named.result("crop").output_shape == (1, 8, 8)
    assert named.result("ref").warnings == ()
    unnamed = analyze(Design("d", InputSpec(1, (12, 12)), (
        ref, Layer.make("CenterCrop", "crop", size=[8, 8], inputs=["input"]))))
    assert [d.rule for d in unnamed.result("ref").warnings] == ["unread"]


def test_a_wrong_rank_hint_names_only_classes_that_exist() -> None:
    """PixelShuffle (2-D only) on a 1-D signal hinted "use PixelShuff1d": the hint is the same family at the
    input's rank only for a type named by its rank (Conv2d -> Conv1d)."""
    shuffle = run((4, 8), Layer.make("PixelShuffle", "shuffle", upscale_factor=2)).errors[0]
    assert shuffle.rule == "rank" and "Shuff1d" not in shuffle.text and not shuffle.suggestion
    conv = run((3, 8), Layer.make("Conv2d", "conv", out_channels=4, kernel_size=3)).errors[0]
    assert conv.suggestion == "use Conv1d"
