"""Bar zero tracking: follows drift while unloaded, never while loaded, bounded and logged."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from ashisense.pipeline import Pipeline
from ashisense.pipeline.settings import PipelineSettings
from tests.pipelinekit import RATE_HZ, THERAPIST, block, rig, scene


def drifting_bars(r, n: int, drift_n: float, load_n: float = 0.0) -> np.ndarray:
    """Bars reading `drift_n` (N per bar cell) of zero drift, plus an optional hand load."""
    forces = scene(r, n, bar_left_n=load_n, hands_x=(0.95, 0.95))
    forces[:, r.index("bar")] += drift_n
    return forces


def test_zero_follows_drift_while_the_bars_are_unloaded(caplog: pytest.LogCaptureFixture) -> None:
    r = rig("bars_only_rig")
    p = Pipeline(r, None, THERAPIST)
    with caplog.at_level(logging.DEBUG, logger="ashisense.pipeline.zero"):
        p.process(block(r, drifting_bars(r, int(6 * RATE_HZ), 1.5)))
    assert p.state.bar_zero_n == pytest.approx(dict.fromkeys(r.channels, -1.5), abs=0.02)
    assert "bar zero tracked (unloaded)" in caplog.text
    est = p.process(block(r, drifting_bars(r, 40, 1.5), first=int(6 * RATE_HZ)))
    np.testing.assert_allclose(est.bar_n, 0.0, atol=0.05)


def test_zero_is_not_tracked_under_load() -> None:
    r = rig("bars_only_rig")
    p = Pipeline(r, None, THERAPIST)
    est = p.process(block(r, drifting_bars(r, int(6 * RATE_HZ), 1.5, load_n=200.0)))
    assert all(v == 0.0 for v in p.state.bar_zero_n.values())
    np.testing.assert_allclose(est.bar_n, 200.0 + 4 * 1.5, atol=0.05)


def test_zero_tracking_is_bounded_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    r = rig("bars_only_rig")
    p = Pipeline(r, None, THERAPIST, settings=PipelineSettings(zero_band_n=3.0, zero_limit_n=2.0))
    with caplog.at_level(logging.WARNING, logger="ashisense.pipeline.zero"):
        for k in range(8):  # drift creeps up 1 N per 2 s, past the 2 N bound
            p.process(block(r, drifting_bars(r, int(2 * RATE_HZ), 0.9 * (k + 1)), first=k * 160))
    assert max(abs(v) for v in p.state.bar_zero_n.values()) == pytest.approx(2.0)
    assert "at its limit of +-2 N" in caplog.text
