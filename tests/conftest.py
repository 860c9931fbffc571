"""Test settings: offscreen Qt, hypothesis profiles, and failing on exceptions in Qt slots."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))


@pytest.fixture
def canvas(qtbot):
    """A shown sliding-window canvas (tests/test_canvas.py, tests/test_numbers_mode.py)."""
    from convdesigner.gui.canvas import CanvasWidget

    widget = CanvasWidget()
    widget.resize(1000, 640)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
