"""A recompute gives the same analysis: the engine's memos (argument checks, per-axis plans and a layer's
evaluation on a shape, keyed on the layer's type-tagged value) never change a result, equal-looking values of
other types are told apart, and the memos hold a whole design, so that analysing it again evaluates no rule."""

from __future__ import annotations

from unittest.mock import patch

import convdesigner.engine.analysis as analysis_module
from convdesigner.engine import Design, InputSpec, Layer, analyze, memo
from convdesigner.engine.analysis import Analysis
from convdesigner.engine.evaluation import LayerContext
from convdesigner.engine.layers import CATALOG
from convdesigner.io.design_file import dumps, loads


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


def rule_evaluations(work) -> int:  # type: ignore[no-untyped-def]
    """How many layer rules ``work()`` evaluates (the engine builds one LayerContext per evaluation)."""
    calls = []

    def context(*args, **kwargs) -> LayerContext:  # type: ignore[no-untyped-def]
        calls.append(args[0])
        return LayerContext(*args, **kwargs)

    with patch.object(analysis_module, "LayerContext", context):
        work()
    return len(calls)


def test_a_stack_repeating_a_block_evaluates_each_layer_of_the_block_once() -> None:
    """1,000 layers repeating a block of 10 that keeps its shapes: 10 evaluations, whatever the names."""
    memo.clear_all()
    block = [("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}), ("BatchNorm2d", {}), ("ReLU", {}),
             ("MaxPool2d", {"kernel_size": 2}), ("ConvTranspose2d", {"out_channels": 4, "kernel_size": 4, "stride": 2,
                                                                    "padding": 1}),
             ("Conv2d", {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}),
             ("Upsample", {"scale_factor": 2}), ("LeakyReLU", {"negative_slope": 0.2}), ("Dropout", {}), ("Tanh", {})]
    layers = tuple(Layer.make(block[j % 10][0], f"layer{j}", block[j % 10][1]) for j in range(1000))
    design = Design("stack", InputSpec(4, (16, 16)), layers)
    assert rule_evaluations(lambda: analyze(design).ok) == 10
    assert analyze(design).ok and analyze(design).output_shape == (4, 16, 16)


def test_a_huge_design_loaded_again_evaluates_no_rule_again() -> None:
    """The memos are sized to the design: 10,000 layers that all differ (each evaluated once) are all found
    again when the file is loaded again (new objects, equal values). Capped at 8,192 entries, the second
    analysis evaluated every layer again."""
    memo.clear_all()
    layers = tuple(Layer.make("Conv1d", f"c{j}", out_channels=j % 50 + 1, kernel_size=1 + j % 2)
                   for j in range(10_000))
    design = Design("huge", InputSpec(1, (20_000,)), layers)
    first = None

    def analyse_first() -> None:
        nonlocal first
        first = analyze(design)

    assert rule_evaluations(analyse_first) == 10_000
    loaded = loads(dumps(design))
    assert loaded.layers == design.layers and loaded.layers[0] is not design.layers[0]
    again = None

    def analyse_again() -> None:
        nonlocal again
        again = analyze(loaded)

    assert rule_evaluations(analyse_again) == 0
    assert [(r.output_shape, r.params, r.macs) for r in again.layers] == \
        [(r.output_shape, r.params, r.macs) for r in first.layers]


def test_equal_values_of_another_type_are_checked_again() -> None:
    """3 == 3.0 and 1 == True in Python; a memo keyed on the layer's value would mix them up."""
    good = Layer.make("Conv1d", "c", out_channels=2, kernel_size=3)
    bad = Layer.make("Conv1d", "c", out_channels=2, kernel_size=3.0)
    assert good == bad
    for layer, ok in ((good, True), (bad, False), (good, True), (bad, False)):
        assert analyze(Design("d", InputSpec(1, (8,)), (layer,))).ok is ok
    flag = Layer.make("Conv1d", "c", out_channels=2, kernel_size=3, bias=1)
    assert not analyze(Design("d", InputSpec(1, (8,)), (flag,))).ok
    slope = [Layer.make("LeakyReLU", "r", negative_slope=v) for v in (0.5, 1, True)]
    assert [analyze(Design("d", InputSpec(1, (8,)), (layer,))).ok for layer in slope * 2] == [True, True, False] * 2


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
    # the analysis before the edit, whose fields nobody had asked for, still gives its own
    assert summary(before) == summary(analyze(design))


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


def test_an_analysis_is_freed_as_soon_as_it_is_dropped() -> None:
    """Fields composed when asked keep no reference cycle: without the cycle collector, a dropped analysis (its
    fields asked for or not, reusing a previous one or not) is freed at once, so re-analysing a huge design
    leaves no garbage for a full collection."""
    import gc
    import weakref

    design = mixed_design()
    before = analyze(design)
    gc.disable()
    try:
        for ask in (False, True):
            edited = design.with_layers(design.layers[:-1] + (Layer.make("ReLU", "last"),))
            analysis = analyze(edited, previous=before)
            if ask:
                assert analysis.layers[5].receptive_field is not None
            gone = [weakref.ref(analysis), weakref.ref(analysis.layers[-1])]
            del analysis
            assert [ref() for ref in gone] == [None, None]
    finally:
        gc.enable()


def tracked_objects_made(work) -> int:  # type: ignore[no-untyped-def]
    """How many objects the cycle collector tracks that ``work()`` made and its result still holds (with the
    collector off, so that nothing is collected in between)."""
    import gc

    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        kept = work()
        made = len(gc.get_objects()) - before
    finally:
        gc.enable()
    del kept
    return made


def test_an_analysis_makes_one_tracked_object_per_layer_at_any_size() -> None:
    """A warm analysis makes one object per layer for the cycle collector to follow (its slotted, frozen
    LayerResult: no attribute dictionary), its warnings, and a few for the whole analysis: as many per layer
    at 144 and at 2,016 layers,
    so the collector's work and the memory touched per layer do not grow with the design."""
    counts = {}
    for blocks in (2, 28):  # 144 and 2,016 layers
        design = mixed_design().with_layers(sum((mixed_design(f"b{k}").layers for k in range(blocks)), ()))
        analyze(design)  # the memos hold every evaluation: what remains is the per-layer work
        counts[len(design.layers)] = tracked_objects_made(lambda design=design: analyze(design)) / len(design.layers)
    # one LayerResult per layer; a sixth of these layers warn (a tuple and a Diagnostic naming the layer)
    assert max(counts.values()) <= 1.5 and counts[2016] <= counts[144] + 0.02, counts


def test_a_layer_result_is_frozen_and_copies_equal() -> None:
    import copy
    import dataclasses
    import pickle

    analysis = analyze(mixed_design())
    result = analysis.layers[3]
    try:
        result.params = 0  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("a LayerResult accepted an assignment")
    for copied in (copy.deepcopy(result), pickle.loads(pickle.dumps(result))):
        assert copied == result and copied.diagnostics == result.diagnostics
        assert copied.receptive_field == result.receptive_field


# -- layers that name other layers: the memo sees what they read of them ---------------------------------------

def cropped(reference_padding: int) -> Design:
    """A CenterCrop to the size of ``ref``, whose size the padding of ``ref`` sets (the crop's arguments
    stay the same)."""
    return Design("crop", InputSpec(1, (12, 12)), (
        Layer.make("Conv2d", "ref", out_channels=1, kernel_size=5, padding=reference_padding),
        Layer.make("CenterCrop", "crop", size_from="ref", inputs=["input"]),
    ))


def test_a_layer_naming_another_is_evaluated_again_when_the_named_layer_changes_size() -> None:
    """Equal CenterCrops (same type, same arguments, same input) naming layers of different sizes crop to
    different sizes: a memo keyed on the crop's value and input shape alone returned the first crop's size."""
    shapes = [analyze(cropped(padding)).result("crop").output_shape for padding in (0, 1, 2, 0)]
    assert shapes == [(1, 8, 8), (1, 10, 10), (1, 12, 12), (1, 8, 8)]
    design = cropped(0)  # the same design object re-analysed after an edit of the named layer
    before = analyze(design)
    edited = design.with_layers((design.layers[0].with_args(padding=1), design.layers[1]))
    assert analyze(edited, previous=before).result("crop").output_shape == (1, 10, 10)


def unpooled(pool: dict, pool_name: str = "pool", size: int = 8) -> Design:
    return Design("segnet", InputSpec(1, (size, size)), (
        Layer.make("MaxPool2d", pool_name, pool),
        Layer.make("MaxUnpool2d", "unpool", kernel_size=2, indices=pool_name),
    ))


def test_a_layer_naming_another_is_evaluated_again_when_the_named_layer_changes_but_not_its_shapes() -> None:
    """A MaxUnpool reads its pool's window (where values land) and quotes its name: pools of equal shapes but
    other arguments give other fields, other names other messages, each as a fresh analysis gives them."""
    designs = [unpooled({"kernel_size": 2}), unpooled({"kernel_size": 3, "stride": 2, "padding": 1}),
               unpooled({"kernel_size": 2}, size=9), unpooled({"kernel_size": 2}, "other", size=9)]
    warm = [summary(analyze(design)) for design in designs]
    fresh = []
    for design in designs:
        memo.clear_all()
        fresh.append(summary(analyze(design)))
    assert warm == fresh
    assert [s[0][1] for s in warm] == [(1, 4, 4)] * 4
    assert warm[0][1][4] != warm[1][1][4]  # the same shapes, other receptive fields
    assert "pool's indices" in warm[2][1][6][0][2] and "other's indices" in warm[3][1][6][0][2]


def test_an_analysis_works_out_its_errors_warnings_and_totals_once() -> None:
    """An analysis is immutable: what it derives from every layer (its errors, warnings and totals, which the
    views read several times per edit) reads the layers the first time only, and stays what a fresh
    reading gives."""
    from convdesigner.engine.analysis import LayerResult

    design = mixed_design()
    broken = design.with_layers(design.layers[:40] + (Layer.make("Conv2d", "huge", out_channels=8, kernel_size=99),)
                                + design.layers[40:])
    reads = []
    errors, diagnostics = LayerResult.errors, LayerResult.diagnostics
    with patch.object(LayerResult, "errors", property(lambda r: reads.append(r.index) or errors.fget(r))), \
            patch.object(LayerResult, "diagnostics", property(lambda r: reads.append(r.index) or diagnostics.fget(r))):
        for analysis in (analyze(design), analyze(broken)):
            first = (analysis.ok, analysis.errors, analysis.warnings, analysis.total_params, analysis.total_macs,
                     analysis.total_activations, analysis.output_shape)
            assert reads
            reads.clear()
            again = (analysis.ok, analysis.errors, analysis.warnings, analysis.total_params, analysis.total_macs,
                     analysis.total_activations, analysis.output_shape)
            assert reads == [] and again == first
    fresh = analyze(broken)
    assert not fresh.ok and fresh.errors[0].layer == "huge" and fresh.warnings == first[2]
    assert fresh.total_params == sum(r.params or 0 for r in fresh.layers) == first[3]


def test_an_edit_that_keeps_the_geometry_above_a_layer_composes_no_field_again() -> None:
    """Receptive fields are memoised by value on what they depend on (the operand's field maps, the layer's
    sources, its spatial size): after an edit of channels, or a kernel set back, asking for every field
    composes none again, and every field equals a fresh analysis's."""
    design = mixed_design()
    fields = [r.receptive_field for r in analyze(design).layers]
    first = design.layers[0]
    channels = design.with_layers((first.with_args(out_channels=16),) + design.layers[1:])
    wider = design.with_layers((first.with_args(kernel_size=[5, 5]),) + design.layers[1:])
    compose = analysis_module.compose
    composed: list[tuple] = []
    analyses = []
    for edited, expected in ((channels, fields), (wider, None), (design, fields)):
        composed.clear()
        with patch.object(analysis_module, "compose", lambda *a: composed.append(a) or compose(*a)):
            analyses.append(analyze(edited))
            found = [r.receptive_field for r in analyses[-1].layers]
        if expected is None:
            assert composed and found != fields  # a wider kernel: every field below it composed again
        else:
            assert composed == [] and found == expected
    for analysis in analyses:
        memo.clear_all()
        assert summary(analyze(analysis.design)) == summary(analysis)  # as composed afresh


def test_names_are_checked_again_from_the_first_layer_renamed() -> None:
    """An analysis reusing the previous one skips the name check of a layer named, with every layer above it,
    as before and computed then; from the first renamed layer on (and wherever a layer failed before) names
    are checked again: a rename that makes a name clash, reserved or a dotted block of another, and one that
    mends it, give what a fresh analysis gives."""
    design = mixed_design()
    names = [layer.name for layer in design.layers]
    for position, name, clashing in ((2, names[6], 6), (8, names[1], 8), (0, "input", 0), (4, f"{names[9]}.a", 9),
                                     (3, f"{names[3]}.part", None)):
        layers = list(design.layers)
        layers[position] = layers[position].renamed(name)
        renamed = design.with_layers(layers)
        for before, after in ((design, renamed), (renamed, design)):
            reused = analyze(after, previous=analyze(before))
            fresh = analyze(after)
            assert summary(reused) == summary(fresh)
            assert [d.text for d in reused.diagnostics] == [d.text for d in fresh.diagnostics]
        failed = [r.index for r in analyze(renamed, previous=analyze(design)).layers if
                  any(d.rule == "name" for d in r.errors)]
        assert failed == ([] if clashing is None else [clashing]), (position, name)


def joined_design() -> Design:
    """mixed_design's first blocks, with a join far below that reads the first layer and a MaxUnpool naming a
    pool: layers whose results an edit above changes without changing the layers between."""
    layers = list(mixed_design().layers[:18])
    layers += [
        Layer.make("MaxPool2d", "pool", kernel_size=2, stride=2),
        Layer.make("Conv2d", "mid", out_channels=8, kernel_size=3, padding=1),
        Layer.make("MaxUnpool2d", "unpool", kernel_size=2, indices="pool"),
        Layer.make("AdaptiveAvgPool2d", "squeeze", output_size=4),
        Layer.make("AdaptiveAvgPool2d", "first", output_size=4, **{"from": "conv0"}),
        Layer.make("Concat", "both", **{"from": ["squeeze", "first"]}),
    ]
    return Design("joined", InputSpec(8, (21, 30)), tuple(layers))


EDITS = [{"out_channels": 16}, {"kernel_size": 5}, {"kernel_size": 1, "padding": 0}, {"padding": 2},
         {"stride": 1}, {"kernel_size": 3}, {"scale_factor": 2}]


@given(st.sampled_from([mixed_design, joined_design]), st.integers(0, 71), st.sampled_from(EDITS))
def test_an_edit_keeping_the_names_reuses_the_results_below_it_as_a_fresh_analysis_would(
        make, position: int, changes: dict) -> None:
    """An edit of a layer's arguments changes the results below it until the shapes reconverge (a change of
    channels does after the next convolution): from where no layer below reads a changed result, the results of
    before stand. Whatever the edit, the analysis equals a fresh one (shapes, counts, fields, diagnostics)."""
    design = make()
    position %= len(design.layers)
    layer = design.layers[position]
    changes = {k: v for k, v in changes.items() if k in CATALOG[layer.type].argument_names}
    edited = design.with_layers(design.layers[:position] + (layer.with_args(**changes),)
                                + design.layers[position + 1:])
    before = analyze(design)
    [r.receptive_field for r in before.layers]  # fields known before the edit are composed again if need be
    reused, fresh = analyze(edited, previous=before), analyze(edited)
    assert summary(reused) == summary(fresh)
    assert [d.text for d in reused.diagnostics] == [d.text for d in fresh.diagnostics]


def test_a_change_of_channels_evaluates_the_layers_until_the_shapes_reconverge() -> None:
    """Work, not time: an out_channels edit of the first layer of a long stack evaluates the layers whose
    input changed (down to the next convolution), not the rest; a join far below that reads the edited layer
    is evaluated again too, and the results agree with a fresh analysis."""
    design = mixed_design().with_layers(sum((mixed_design(f"b{k}").layers for k in range(4)), ()))
    edited = design.with_layers((design.layers[0].with_args(out_channels=16),) + design.layers[1:])
    before = analyze(design)
    evaluated = []
    evaluate = analysis_module._evaluate_layer
    with patch.object(analysis_module, "_evaluate_layer", lambda index, *a: evaluated.append(index) or
                      evaluate(index, *a)):
        reused = analyze(edited, previous=before)
    # the conv, its batch norm and pool (16 channels), the transposed conv that makes 8 again, and the layer
    # reading it (a result whose input changed counts as changed: a layer naming it reads its input shape)
    assert evaluated == [0, 1, 2, 3, 4], evaluated
    assert summary(reused) == summary(analyze(edited))
    joined = joined_design()
    edited = joined.with_layers((joined.layers[0].with_args(out_channels=16),) + joined.layers[1:])
    before = analyze(joined)
    evaluated.clear()
    with patch.object(analysis_module, "_evaluate_layer", lambda index, *a: evaluated.append(index) or
                      evaluate(index, *a)):
        reused = analyze(edited, previous=before)
    assert evaluated == list(range(len(joined.layers)))  # the last layer reads the edited one
    assert reused.layers[-1].output_shape == (16 + 8, 4, 4) and summary(reused) == summary(analyze(edited))
