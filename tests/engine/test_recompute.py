"""A recompute gives the same analysis: the engine's per-layer memos (argument checks and per-axis plans,
keyed on the Layer object) never change a result, and equal-looking values of other types are told apart."""

from __future__ import annotations

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.analysis import Analysis


def mixed_design(tag: str = "") -> Design:
    layers = []
    for j in range(12):
        layers += [
            Layer.make("Conv2d", f"{tag}conv{j}", out_channels=8, kernel_size=[3, 5], padding="same"),
            Layer.make("BatchNorm2d", f"{tag}bn{j}"),
            Layer.make("MaxPool2d", f"{tag}pool{j}", kernel_size=2, ceil_mode=j % 2 == 0),
            Layer.make("ConvTranspose2d", f"{tag}up{j}", out_channels=8, kernel_size=4, stride=2, padding=1),
            Layer.make("Upsample", f"{tag}resize{j}", scale_factor=[2, 3], mode="bilinear"),
            Layer.make("Conv2d", f"{tag}down{j}", out_channels=8, kernel_size=3, stride=[2, 3], padding=1),
        ]
    return Design("mixed", InputSpec(8, (21, 30)), tuple(layers))


def summary(analysis: Analysis) -> list[tuple]:
    return [(r.input_shape, r.output_shape, r.params, r.macs, r.receptive_field, r.geometry,
             [(d.severity, d.rule, d.message, d.suggestion, d.axis) for d in r.diagnostics],
             r.field_maps, r.sources)
            for r in analysis.layers]


def test_recompute_and_fresh_layers_agree() -> None:
    design = mixed_design()
    first = analyze(design)
    assert first.ok
    assert summary(analyze(design)) == summary(first)  # warm: the same Layer objects again
    fresh = analyze(mixed_design())  # equal values, new objects
    assert summary(fresh) == summary(first)
    assert [r.output_shape for r in first.layers][:6] == [
        (8, 21, 30), (8, 21, 30), (8, 11, 15), (8, 22, 30), (8, 44, 90), (8, 22, 30)]
    assert [r.output_shape for r in first.layers][-6:] == [
        (8, 22, 30), (8, 22, 30), (8, 11, 15), (8, 22, 30), (8, 44, 90), (8, 22, 30)]


def test_equal_values_of_another_type_are_checked_again() -> None:
    """3 == 3.0 and 1 == True in Python; a memo keyed on the layer's value would mix them up."""
    good = Layer.make("Conv1d", "c", out_channels=2, kernel_size=3)
    bad = Layer.make("Conv1d", "c", out_channels=2, kernel_size=3.0)
    assert good == bad
    for layer, ok in ((good, True), (bad, False), (good, True), (bad, False)):
        assert analyze(Design("d", InputSpec(1, (8,)), (layer,))).ok is ok
    flag = Layer.make("Conv1d", "c", out_channels=2, kernel_size=3, bias=1)
    assert not analyze(Design("d", InputSpec(1, (8,)), (flag,))).ok


# -- reusing the unchanged prefix of the analysis before an edit ----------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

EDIT_LAYERS = [
    Layer.make("Conv2d", "e_conv", out_channels=4, kernel_size=3, padding=1),
    Layer.make("Conv2d", "e_big", out_channels=4, kernel_size=99),  # an error
    Layer.make("MaxPool2d", "e_pool", kernel_size=2),
    Layer.make("ReLU", "e_relu"),
    Layer.make("Concat", "e_join", **{"from": "conv0"}),  # a join that may not fit
]


@given(
    st.integers(0, 71), st.sampled_from(["replace", "insert", "delete", "input"]), st.sampled_from(EDIT_LAYERS),
)
def test_an_analysis_reusing_the_previous_one_equals_a_fresh_one(position: int, edit: str, new: Layer) -> None:
    design = mixed_design()
    before = analyze(design)
    layers = list(design.layers)
    if edit == "replace":
        layers[position] = new
    elif edit == "insert":
        layers.insert(position, new)
    elif edit == "delete":
        del layers[position]
    edited = design.with_layers(layers)
    if edit == "input":
        edited = edited.with_input(InputSpec(8, (22, 30)))
    reused = analyze(edited, previous=before)
    assert summary(reused) == summary(analyze(edited))
    assert [d.text for d in reused.diagnostics] == [d.text for d in analyze(edited).diagnostics]
    if edit in ("replace", "insert"):
        # the layers before the edit kept their results (the very same objects)
        assert all(a is b for a, b in zip(reused.layers[:position], before.layers[:position]))


def test_a_previous_analysis_with_a_join_hint_is_not_reused() -> None:
    layers = (
        Layer.make("Conv1d", "enc", out_channels=2, kernel_size=3, padding=1),
        Layer.make("MaxPool1d", "down", kernel_size=2),
        Layer.make("Upsample", "up", scale_factor=2),
        Layer.make("Concat", "join", **{"from": "enc"}),
        Layer.make("ReLU", "relu"),
    )
    design = Design("d", InputSpec(1, (9,)), layers)
    before = analyze(design)
    assert before.errors[0].rule == "join-size"
    edited = design.with_layers(layers[:4] + (Layer.make("Conv1d", "more", out_channels=2, kernel_size=5),))
    assert [d.text for d in analyze(edited, previous=before).diagnostics] == [d.text for d in analyze(edited).diagnostics]
