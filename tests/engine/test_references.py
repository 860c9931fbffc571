"""Layers that name other layers in arguments (issue 13): Upsample's and CenterCrop's ``size_from``, MaxUnpool's
``indices`` and ``size_from``. The graph resolves, renames and rewires them as ``from``; the rules see the named
layer's shapes; the design file needs version 2; the export keeps the named tensors in variables. Against
torch 2.13 (docs/torch-rules.md §14): shapes, refusals, counts and the forward pass's dependencies."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convdesigner.engine import Design, InputSpec, Layer, analyze
from convdesigner.engine.graph import order_problem, with_reference_renamed, without_layers
from convdesigner.io.design_file import DesignFileError, dumps, loads

torch = pytest.importorskip("torch")
from test_dependencies import check_against_torch  # noqa: E402
from test_export_torch import build, check_against_engine  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Implicit dimension choice")


def conv(name: str, channels: int = 2, kernel: int = 3, padding: int = 0, **wiring: Any) -> Layer:
    return Layer.make("Conv2d", name, {"out_channels": channels, "kernel_size": kernel, "padding": padding}, **wiring)


def unet(size: int = 12) -> Design:
    """The original U-Net's step: the encoder's tensor cropped to the decoder's size and concatenated."""
    return Design("unet", InputSpec(1, (size, size)), (
        conv("enc", 2),
        Layer.make("MaxPool2d", "pool", {"kernel_size": 2}),
        conv("mid", 2),
        Layer.make("Upsample", "up", {"scale_factor": 2}),
        Layer.make("CenterCrop", "crop", {"size_from": "up"}, inputs=["enc"]),
        Layer.make("Concat", "cat", {}, inputs=["crop", "up"]),
    ))


def segnet(size: tuple[int, ...] = (8, 8), **unpool: Any) -> Design:
    """SegNet's step: a MaxPool's indices put its (changed) values back, optionally to another layer's size."""
    ndim = len(size)
    return Design("segnet", InputSpec(1, size), (
        Layer.make(f"Conv{ndim}d", "enc", {"out_channels": 2, "kernel_size": 3, "padding": 1}),
        Layer.make(f"MaxPool{ndim}d", "pool", {"kernel_size": 2}),
        Layer.make(f"Conv{ndim}d", "mid", {"out_channels": 2, "kernel_size": 3, "padding": 1}),
        Layer.make(f"MaxUnpool{ndim}d", "unpool", {"kernel_size": 2, "indices": "pool", **unpool}),
    ))


# -- the graph ------------------------------------------------------------------------------------------------

def test_a_reference_names_a_layer_above_only() -> None:
    design = unet()
    later = design.with_layers((*design.layers[:4], design.layers[4].with_args(size_from="cat"), design.layers[5]))
    refused = analyze(later).result("crop")
    assert refused.errors[0].argument == "size_from"
    assert "there is no layer named 'cat' above crop for size_from" in refused.errors[0].text
    itself = analyze(design.with_layers((*design.layers[:4], design.layers[4].with_args(size_from="crop"))))
    assert "'crop' cannot read itself" in itself.result("crop").errors[0].text
    assert order_problem(design.with_layers((design.layers[4], *design.layers[:4], design.layers[5]))) is not None


def test_the_rules_see_the_named_layers_shape_and_readers_count_it() -> None:
    design = unet(12)  # enc 10, pool 5, mid 3, up 6: crop 10 -> 6, dropping 2 on the low side
    analysis = analyze(design)
    assert analysis.ok, analysis.errors
    crop = analysis.result("crop")
    assert crop.output_shape == (2, 6, 6) and crop.params == 0 and crop.macs == 0
    assert crop.references == (("size_from", 3),)
    assert analysis.dependencies(4, (0, 0)) == ([(2, 4)], [(2, 4)])  # enc's unit 2 reads input 2..4
    # a layer read only through size_from is read: no "unread" warning
    side = Design("t", InputSpec(1, (8,)), (
        Layer.make("Conv1d", "a", {"out_channels": 1, "kernel_size": 3}),
        Layer.make("Upsample", "b", {"size_from": "input"}),
        Layer.make("CenterCrop", "c", {"size_from": "a"}),
    ))
    result = analyze(side)
    assert result.ok and not result.warnings and result.result("c").output_shape == (1, 6)
    check_against_engine(side)
    late = Design("t", InputSpec(1, (8,)), (Layer.make("Conv1d", "a", {"out_channels": 1, "kernel_size": 3}),
                                            Layer.make("Conv1d", "d", {"out_channels": 1, "kernel_size": 3}),
                                            Layer.make("Upsample", "b", {"size_from": "input"})))
    check_against_engine(late)  # forward keeps the input for b's size_from


def test_a_layer_that_names_a_failed_layer_is_not_computed() -> None:
    design = unet()
    broken = design.with_layers((*design.layers[:3], design.layers[3].with_args(scale_factor=None)) + design.layers[4:])
    analysis = analyze(broken)
    assert analysis.result("up").errors and not analysis.result("crop").computed
    assert not analysis.result("crop").errors  # only the failed layer says why


def test_renaming_and_deleting_keep_references_valid() -> None:
    design = unet()
    renamed = with_reference_renamed(design, "up", "upsampled")
    assert renamed.layers[4].get("size_from") == "upsampled" and renamed.layers[5].inputs == ("crop", "upsampled")
    unpooled = with_reference_renamed(segnet(), "pool", "p1")
    assert unpooled.layers[3].get("indices") == "p1"
    rewired, notes = without_layers(design, [3])  # delete up: crop now crops to what up read
    assert rewired.layers[3].get("size_from") == "mid"
    assert "crop's size_from now names mid" in notes
    assert analyze(rewired).result("crop").output_shape == (2, 3, 3)
    gone, notes = without_layers(segnet(), [1])  # the pool: the unpool now names a Conv2d, which the rule refuses
    error = analyze(gone).result("unpool").errors[0]
    assert error.argument == "indices" and "indices names enc, a Conv2d" in error.text


# -- the design file ------------------------------------------------------------------------------------------

def test_references_round_trip_in_version_2_and_version_1_refuses_them() -> None:
    for design in (unet(), segnet(size_from="enc")):
        text = dumps(design)
        assert text.startswith("convdesigner: 2\n")
        assert loads(text) == design
    text = dumps(Design("t", InputSpec(1, (8,)), (Layer.make("Upsample", "u", {"size_from": "input"}),)))
    assert "size_from: input" in text and text.startswith("convdesigner: 2")
    with pytest.raises(DesignFileError) as refused:
        loads(text.replace("convdesigner: 2", "convdesigner: 1"))
    assert "u: size_from names another layer, which format version 1 cannot say" in str(refused.value)
    assert ":5:" in str(refused.value)  # the line of the layer's size_from


# -- Upsample size_from ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("mode", "size", "target"), [
    ("nearest", (5,), (11,)), ("linear", (4,), (3,)), ("bilinear", (3, 4), (7, 2)), ("nearest", (2, 3, 2), (4, 3, 5)),
    ("area", (6, 6), (4, 5)), ("bicubic", (3, 3), (6, 5)),
])
def test_upsample_to_another_layers_size_matches_torch(mode: str, size: tuple[int, ...], target: tuple[int, ...]) -> None:
    design = Design("t", InputSpec(2, size), (
        Layer.make(f"AdaptiveAvgPool{len(size)}d", "ref", {"output_size": list(target)}),
        Layer.make("Upsample", "up", {"size_from": "ref", "mode": mode}, inputs=["input"]),
        Layer.make("Concat", "cat", {}, inputs=["ref", "up"]),
    ))
    analysis = analyze(design)
    assert analysis.ok, analysis.errors
    x = torch.randn(1, 2, *size)
    expected = torch.nn.functional.interpolate(x, size=target, mode=mode).shape
    assert (1, *analysis.result("up").output_shape) == tuple(expected)
    check_against_engine(design)
    check_against_torch(design.with_layers(design.layers[:2]))


@pytest.mark.parametrize(("args", "message"), [
    ({"size_from": "input", "size": 4}, "size_from (input) gives the output size, so size cannot be given too"),
    ({"size_from": "input", "scale_factor": 2}, "exactly one of size (or size_from) and scale_factor"),
    ({"size_from": "input", "recompute_scale_factor": True}, "recompute_scale_factor has no meaning"),
    ({"size_from": "flat"}, "size_from names flat, of shape 8 (no spatial axes), but Upsample receives 1×2×4"),
])
def test_upsample_size_from_refusals(args: dict[str, Any], message: str) -> None:
    design = Design("t", InputSpec(1, (2, 4)), (
        Layer.make("Flatten", "flat"),
        Layer.make("Upsample", "up", args, inputs=["input"]),
    ))
    error = analyze(design).result("up").errors[0]
    assert message in error.text


# -- CenterCrop -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("size", "target"), [((9,), (4,)), ((7, 6), (4, 6)), ((5, 8), (2, 3)), ((4, 5, 6), (1, 2, 3))])
def test_center_crop_takes_n_minus_r_halved_off_the_low_side(size: tuple[int, ...], target: tuple[int, ...]) -> None:
    ndim = len(size)
    design = Design("t", InputSpec(1, size), (
        Layer.make(f"AdaptiveMaxPool{ndim}d", "ref", {"output_size": list(target)}),
        Layer.make("CenterCrop", "crop", {"size_from": "ref"}, inputs=["input"]),
    ))
    analysis = analyze(design)
    crop = analysis.result("crop")
    assert crop.output_shape == (1, *target) and crop.params == 0
    x = torch.arange(float(torch.tensor(size).prod())).reshape(1, 1, *size)
    model, _ = build(design.with_outputs(["crop"]))
    expected = x[(0, 0, *(slice((n - r) // 2, (n - r) // 2 + r) for n, r in zip(size, target)))]
    assert torch.equal(model(x)[0, 0], expected)
    for unit in itertools.product(*(range(r) for r in target)):  # an offset selection: exactly one unit
        assert analysis.dependencies(1, unit) == tuple([(u + (n - r) // 2,) * 2] for u, n, r in zip(unit, size, target))
    assert crop.receptive_field.size == (1,) * ndim
    assert_autograd_dependencies(analysis, 1, lambda t: model(t))
    check_against_engine(design.with_outputs(["crop"]))
    check_against_torch(design)


def test_center_crop_refuses_a_smaller_tensor_naming_both_sizes() -> None:
    design = Design("t", InputSpec(1, (6, 6)), (
        Layer.make("ZeroPad2d", "big", {"padding": [0, 0, 1, 1]}),
        Layer.make("CenterCrop", "crop", {"size_from": "big"}, inputs=["input"]),
    ))
    error = analyze(design).result("crop").errors[0]
    assert error.argument == "size_from" and error.axis == 0
    assert "crop: axis H has 6 units, fewer than the 8 of big that it is cropped to" in error.text


# -- MaxUnpool ------------------------------------------------------------------------------------------------

def torch_unpool_shape(size: tuple[int, ...], pool: dict[str, Any], unpool: dict[str, Any],
                       output_size: tuple[int, ...] | None, zeros: bool = False) -> tuple[int, ...] | str:
    """The unpool's output shape in torch, or its error, on random data (or zeros: every window's first tap is
    its maximum, the smallest index the window can give)."""
    ndim = len(size)
    x = torch.zeros(1, 2, *size) if zeros else torch.randn(1, 2, *size)
    values, indices = getattr(torch.nn, f"MaxPool{ndim}d")(**pool, return_indices=True)(x)
    try:
        out = getattr(torch.nn, f"MaxUnpool{ndim}d")(**unpool)(values, indices, output_size=output_size)
    except (RuntimeError, ValueError) as error:
        return str(error).splitlines()[0]
    return tuple(out.shape[1:])


@settings(max_examples=120, deadline=None)
@given(ndim=st.integers(1, 3), data=st.data())
def test_max_unpool_shapes_and_refusals_match_torch(ndim: int, data: st.DataObject) -> None:
    """Random pools and unpools (kernel, stride, padding, output_size from another layer) against torch. Where
    torch's verdict depends on the data (an index beyond the output), the engine accepts with a warning."""
    size = tuple(data.draw(st.integers(2, 9)) for _ in range(ndim))
    k = data.draw(st.integers(1, 3))
    pool = {"kernel_size": k, "stride": data.draw(st.integers(1, 3)), "padding": data.draw(st.integers(0, k // 2))}
    kernel = data.draw(st.integers(1, 4))
    unpool = {"kernel_size": kernel, "stride": data.draw(st.integers(1, 3)), "padding": data.draw(st.integers(0, 2))}
    target = tuple(data.draw(st.integers(1, 12)) for _ in range(ndim)) if data.draw(st.booleans()) else None
    layers = [Layer.make(f"MaxPool{ndim}d", "pool", pool)]
    if target is not None:
        layers.insert(0, Layer.make(f"AdaptiveAvgPool{ndim}d", "ref", {"output_size": list(target)}, inputs=["input"]))
        layers[1] = layers[1].with_inputs(["input"])
    extra = {"size_from": "ref"} if target is not None else {}
    layers.append(Layer.make(f"MaxUnpool{ndim}d", "unpool", {**unpool, "indices": "pool", **extra}))
    design = Design("t", InputSpec(2, size), tuple(layers))
    analysis = analyze(design)
    if not analysis.result("pool").computed:
        return  # a pool torch refuses too (test_torch_parity covers pooling)
    result = analysis.result("unpool")
    verdict = torch_unpool_shape(size, pool, unpool, target)
    if result.computed:
        # accepted: some data runs (zeros: each window's smallest index), so the refusal is never certain
        assert not isinstance(torch_unpool_shape(size, pool, unpool, target, zeros=True), str)
        if isinstance(verdict, str):
            assert "Found an invalid max index" in verdict and any(w.rule == "unpool-size" for w in result.warnings)
        else:
            assert result.output_shape == verdict and result.params == 0
            check_against_engine(design.with_outputs(["unpool"]))
    else:
        error = result.errors[0]
        if not isinstance(verdict, str):  # the one deviation: torch gives an empty tensor for an output of 0
            assert verdict[1:].count(0) and "would be 0" in error.text, (verdict, error)
        else:
            assert error.rule == "unpool-size", (verdict, error)


def test_an_unpool_that_no_data_can_run_is_refused() -> None:
    """MaxPool1d(2) on 4 units, then MaxUnpool1d(1): output 2, but the pool's second window holds indices 2 and
    3 only, beyond the output for any data (torch: "Found an invalid max index: 2"; found by the CI fuzz
    profile). An index that only may fall beyond stays a warning; one that never can is no warning about it."""
    def unpool(kernel: int, size: int = 4) -> Any:
        design = Design("t", InputSpec(1, (size,)), (
            Layer.make("MaxPool1d", "pool", {"kernel_size": 2}),
            Layer.make("MaxUnpool1d", "unpool", {"kernel_size": kernel, "indices": "pool"})))
        return analyze(design).result("unpool")

    certain = unpool(1)
    assert not certain.computed
    assert certain.errors[0].rule == "unpool-size" and "any data" in certain.errors[0].text
    assert torch_unpool_shape((4,), {"kernel_size": 2}, {"kernel_size": 1}, None, zeros=True).startswith(
        "Found an invalid max index")
    maybe = unpool(3)  # output 4 of 4 taps: every index lands (the same size)
    assert maybe.computed and not maybe.warnings
    shorter = unpool(2, 5)  # pool input 5, output 4: index 4 is never taken (the last window reads 2 and 3)
    assert shorter.computed and not any("depends on the data" in w.text for w in shorter.warnings)
    data = unpool(1, 3)  # pool input 3 (one window, 0 and 1), output 1: index 1 falls beyond if it is the max
    assert data.computed and any("depends on the data" in w.text for w in data.warnings)


def test_max_unpool_output_size_rule_is_torchs() -> None:
    """(i - 1) s - 2p + k, or size_from strictly within the stride of it."""
    assert analyze(segnet((8, 8))).result("unpool").output_shape == (2, 8, 8)
    for wanted, ok in ((7, False), (9, True), (6, False), (10, False)):
        design = Design("t", InputSpec(1, (8, 8)), (
            Layer.make("MaxPool2d", "pool", {"kernel_size": 2}),
            Layer.make("AdaptiveAvgPool2d", "ref", {"output_size": wanted}, inputs=["input"]),
            Layer.make("MaxUnpool2d", "unpool", {"kernel_size": 2, "indices": "pool", "size_from": "ref"},
                       inputs=["pool"]),
        ))
        result = analyze(design).result("unpool")
        assert result.computed == ok, result.errors
        if wanted == 7:  # within the stride, but the last window's indices (54, 55, 62, 63) are all beyond 49
            assert "last window holds the indices 54 to 63 of its 8×8 input, beyond the 49 cells of the output 7×7" \
                in result.errors[0].text
        elif not ok:
            assert f"output size {wanted} from ref on axis H is not strictly between 6 and 10" in result.errors[0].text
        else:  # 9 x 9 holds every index of the 8 x 8 input, at other places than the pool took them from
            assert [w.rule for w in result.warnings] == ["unpool-size"]
            assert "the values land at other places" in result.warnings[0].text


def test_max_unpool_refuses_indices_of_another_layer_or_shape() -> None:
    design = segnet()
    wrong = analyze(design.with_layers((*design.layers[:3], design.layers[3].with_args(indices="enc"))))
    assert "indices names enc, a Conv2d: MaxUnpool2d puts back the values of a MaxPool2d" in \
        wrong.result("unpool").errors[0].text
    widened = design.with_layers((*design.layers[:2], conv("mid", 3, padding=1), design.layers[3]))
    error = analyze(widened).result("unpool").errors[0]
    assert "the indices of pool have the shape 2×4×4, but the input has 3×4×4" in error.text


def test_max_unpool_exports_the_pool_with_its_indices() -> None:
    design = segnet((8, 8), size_from="enc")
    model, plan = build(design)
    code = "\n".join(f"{s.code}" for s in plan.steps)
    assert "nn.MaxPool2d(2, return_indices=True)" in code
    from convdesigner.io.torch_export import export_torch
    text = export_torch(design)
    assert "x, pool_indices = self.pool(enc)" in text
    assert "self.unpool(x, pool_indices, output_size=enc.shape[2:])" in text
    check_against_engine(design)


@pytest.mark.parametrize("size", [(8,), (6, 6), (4, 4, 4)])
def test_max_unpool_dependencies_hold_what_torch_reads(size: tuple[int, ...]) -> None:
    """Data-dependent: a unit receives the value of the pooled window it lies in, if it was that window's
    maximum. The engine's set is the union over the windows that can land on the unit (the values' and the
    indices' dependencies): every unit the forward pass reads on random data lies in it, and a unit that is
    the maximum of its window reads exactly that window's dependencies."""
    design = segnet(size)
    analysis = analyze(design)
    assert analysis.ok
    index = len(design.layers) - 1
    model, _ = build(design)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        x = torch.rand((1, 1, *size), generator=generator, dtype=torch.float64)
        model = model.double()
        base = model(x)
        read: dict[tuple[int, ...], set[tuple[int, ...]]] = {}
        for unit in itertools.product(*(range(n) for n in size)):
            bumped = x.clone()
            bumped[(0, 0, *unit)] += 1e-3
            changed = (model(bumped) - base).abs().sum(dim=(0, 1)) > 1e-12
            for out in torch.nonzero(changed).tolist():
                read.setdefault(tuple(out), set()).add(unit)
    for out in itertools.product(*(range(n) for n in size)):
        runs = analysis.dependencies(index, out)
        engine = [{v for lo, hi in axis for v in range(lo, hi + 1)} for axis in runs]
        for unit in read.get(out, set()):
            assert all(u in axis for u, axis in zip(unit, engine)), (out, unit, runs)
        # the union of the pool's window (k 2) around the unit, through enc's and mid's kernels (3, padded)
        window = [(2 * (u // 2) - 1 - 2, 2 * (u // 2) + 2 + 2) for u in out]  # mid reads 2 pool units more
        assert runs == tuple([(max(0, lo), min(n - 1, hi))] for (lo, hi), n in zip(window, size))


def test_max_unpool_counts_and_field() -> None:
    analysis = analyze(segnet((8, 8)))
    unpool = analysis.result("unpool")
    assert unpool.params == 0 and unpool.macs == 0
    # unit u holds the value of pool window u // 2: mid's field there (8), which holds that window's (4)
    assert unpool.receptive_field.size == (8, 8)
    assert unpool.receptive_field.jump == (1, 1)


# -- circular padding that crops the other side (docs/torch-rules.md §13) -------------------------------------

@pytest.mark.parametrize(("size", "padding"), [
    ((4,), [1, -2]), ((5,), [2, -1]), ((6,), [-2, 3]), ((6,), [-1, 1]), ((5,), [-3, 2]), ((7,), [3, -2]),
    ((4, 5), [2, -1, -1, 2]), ((6, 3), [-1, 1, 2, -3]), ((3, 4, 5), [1, -2, -1, 1, 2, -1]),
])
def test_circular_padding_that_crops_wraps_the_cropped_tensor(size: tuple[int, ...], padding: list[int]) -> None:
    """PyTorch crops first and wraps what is left: (1, -2) on [0, 1, 2, 3] gives [1, 0, 1]. Each output unit's
    exact dependencies equal the input units its gradient reaches (torch autograd: a pad only copies)."""
    ndim = len(size)
    design = Design("t", InputSpec(1, size), (Layer.make(f"CircularPad{ndim}d", "pad", {"padding": padding}),))
    analysis = analyze(design)
    assert analysis.ok, analysis.errors
    assert_autograd_dependencies(analysis, 0, getattr(torch.nn, f"CircularPad{ndim}d")(tuple(padding)))


def assert_autograd_dependencies(analysis, index: int, forward) -> None:  # type: ignore[no-untyped-def]
    """Per axis, each output unit's exact dependencies are the input units its gradient reaches (exact for the
    layers that only copy: pads and crops), and torch makes the engine's shape."""
    size = analysis.design.input.size
    x = torch.rand((1, analysis.design.input.channels, *size), dtype=torch.float64, requires_grad=True)
    out = forward(x)
    assert tuple(out.shape[1:]) == analysis.layers[index].output_shape
    for unit in itertools.product(*(range(n) for n in out.shape[2:])):
        (grad,) = torch.autograd.grad(out[(0, 0, *unit)], x, retain_graph=True)
        reached = torch.nonzero(grad[0].abs().sum(0)).tolist()
        expected = tuple(sorted({u[axis] for u in reached}) for axis in range(len(size)))
        runs = analysis.dependencies(index, unit)
        assert tuple(sorted(v for lo, hi in axis for v in range(lo, hi + 1)) for axis in runs) == expected, unit


def test_a_center_crop_mirrors_as_the_zero_padding_it_took_off() -> None:
    from convdesigner.engine.tools.mirror import mirror_layers

    design = Design("t", InputSpec(1, (12, 11)), (
        conv("enc", 2),
        Layer.make("Upsample", "up", {"size": [5, 4]}),
        Layer.make("CenterCrop", "crop", {"size_from": "up"}, inputs=["enc"]),
    ))
    (pad,) = mirror_layers(design, 2, 2)
    assert pad.type == "ZeroPad2d" and pad.get("padding") == (2, 3, 2, 3)  # W 9 -> 4, H 10 -> 5: low 2, high 3
    assert analyze(design.with_layers((*design.layers, pad))).layers[-1].output_shape == (2, 10, 9)


def test_inspect_json_names_the_referenced_layers() -> None:
    from convdesigner.io.report import report

    layers = report(analyze(segnet(size_from="enc")))["layers"]
    assert layers[3]["references"] == {"indices": "pool", "size_from": "enc"}
    assert layers[2]["references"] == {}
    unresolved = report(analyze(segnet(size_from="nothing")))["layers"][3]
    assert unresolved["references"] == {"indices": "pool", "size_from": "nothing"} and unresolved["errors"]


def test_the_sizes_scan_follows_references() -> None:
    """The size-only walk hands the rules the named layers' shapes as the analysis does: the U-Net crop works
    where every size it crops from is at least the decoder's, the SegNet unpool wherever the pool drops nothing."""
    from convdesigner.engine.tools.sizes import valid_input_sizes

    for design in (unet(12), segnet((8, 8), size_from="enc")):
        sizes = valid_input_sizes(design, 0, 1, 40)
        expected = [n for n in range(1, 41) if analyze(design.with_input(InputSpec(1, (n, 8)))).ok
                    and not any(w.rule == "stride-drops-input" for w in
                                analyze(design.with_input(InputSpec(1, (n, 8)))).warnings)]
        assert sizes == expected and sizes
