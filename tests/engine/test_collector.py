"""`analyze` pauses the cycle collector over its walk (engine/collector.py): no collection falls into it, and
the collector is on again afterwards exactly when it was on before, after an exception and a nested call too."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from unittest.mock import patch

import pytest
from test_recompute import mixed_design

import convdesigner.engine.analysis as analysis_module
from convdesigner.engine import Layer, analyze
from convdesigner.engine.collector import collector_paused


@pytest.fixture()
def collections() -> Iterator[list[int]]:
    """The generation of every collection the cycle collector starts meanwhile, with a young generation of
    50 objects (so that any walk of a few hundred layers would set one off)."""
    started: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(info["generation"])

    threshold = gc.get_threshold()
    was_on = gc.isenabled()
    gc.enable()
    gc.set_threshold(50, *threshold[1:])
    gc.callbacks.append(count)
    try:
        yield started
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*threshold)
        if not was_on:
            gc.disable()


def big_design():  # type: ignore[no-untyped-def]
    return mixed_design().with_layers(sum((mixed_design(f"b{k}").layers for k in range(8)), ()))  # 576 layers


def test_no_collection_falls_into_an_analysis(collections: list[int]) -> None:
    design = big_design()
    analyze(design)
    gc.collect()  # nothing pending from before
    collections.clear()
    analysis = analyze(design)
    during = len(collections)  # (read before anything is allocated: the first young collection follows)
    assert during == 0
    assert gc.isenabled()
    # the check itself can fail: the same walk with the collector on sets off collections
    with patch.object(analysis_module, "collector_paused", contextlib.nullcontext):
        del analysis
        gc.collect()
        collections.clear()
        analysis = analyze(design)
        during = len(collections)
    assert during > 5
    assert analysis.ok


def test_the_collector_is_on_again_after_an_exception(collections: list[int]) -> None:
    def failing(*args: object) -> None:
        raise RuntimeError("a defect inside the walk")

    with patch.object(analysis_module, "_with_unread_warnings", failing), pytest.raises(RuntimeError):
        analyze(big_design())
    assert gc.isenabled()


def test_a_nested_pause_leaves_the_collector_off_for_the_outer_one(collections: list[int]) -> None:
    design = big_design()

    def outer() -> tuple[bool, bool]:
        inner = analyze(design)
        return inner.ok, gc.isenabled()

    with collector_paused():
        assert outer() == (True, False)  # the inner analysis did not turn it on
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()  # the inner pause did not turn it on for the outer one
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        assert analyze(mixed_design()).ok
        with pytest.raises(ZeroDivisionError), collector_paused():
            1 // 0  # noqa: B018
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_rule_that_raises_is_not_a_cycle_left_to_the_collector(collections: list[int]) -> None:
    """The walk keeps a refusal without its traceback (a traceback's frames would refer back to the walk):
    an analysis with errors is freed as soon as it is dropped, like any other."""
    import weakref

    design = big_design()
    bad = design.with_layers(design.layers[:3] + (Layer.make("Conv2d", "huge", out_channels=8, kernel_size=999),)
                             + design.layers[3:])
    gc.disable()
    try:
        analysis = analyze(bad)
        assert not analysis.ok
        gone = [weakref.ref(analysis), weakref.ref(analysis.layers[3])]
        del analysis
        assert [ref() for ref in gone] == [None, None]
    finally:
        gc.enable()


def test_a_freezing_pause_freezes_what_was_made_before_it_ends() -> None:
    """How the app's start and a command's imports end their pause: what they made is frozen (no collection
    visits it again); a pause without ``freeze`` freezes nothing."""
    gc.collect()
    assert gc.get_freeze_count() == 0
    try:
        with collector_paused():
            kept = [[] for _ in range(100)]
        assert gc.get_freeze_count() == 0
        with collector_paused(freeze=True):
            kept.append([])
        assert gc.get_freeze_count() > 100
        assert gc.isenabled()
    finally:
        gc.unfreeze()
