"""The zero-drift check flags channels whose unloaded zero moved beyond the limit, and age;
the monitor does it on a stream wherever a group of cells is unloaded and at rest."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.drift import ZeroDriftMonitor, check_drift, measure_zero
from calibration.errors import CalibrationMismatchError
from calibration.files import CalibrationFile, ChannelCalibration

CAL = CalibrationFile(
    version=1,
    created_utc="2025-01-01T00:00:00Z",
    device_serial="SN",
    channels={
        "a": ChannelCalibration(1000.0, 0.001),
        "b": ChannelCalibration(-500.0, 0.002),
    },
    method="test",
    report={},
    unloaded_zero_counts={"a": 1000.0, "b": -500.0},
)


def test_a_zero_moved_beyond_the_limit_is_reported_in_newtons():
    check = check_drift(CAL, {"a": 1000.0 + 3000, "b": -500.0 + 100}, limit_n=2.0)
    assert check.beyond == ("a",)
    assert check.channels[0].drift_n == pytest.approx(3.0)
    assert check.channels[1].drift_n == pytest.approx(0.2)
    assert "a zero moved +3.0 N (+3000 counts)" in check.message()


def test_age_against_the_studio_interval():
    now = datetime(2025, 7, 1, tzinfo=UTC)
    old = check_drift(CAL, {"a": 1000.0}, 2.0, interval_days=90, now=now)
    assert old.stale and old.beyond == ()
    assert "181 days old (interval 90)" in old.message()
    fresh = check_drift(CAL, {"a": 1000.0}, 2.0, interval_days=365, now=now)
    assert not fresh.stale and fresh.message() == "calibration holds"


def test_an_unknown_channel_is_an_error():
    with pytest.raises(CalibrationMismatchError, match="unknown"):
        check_drift(CAL, {"zz": 0.0}, 1.0)


def test_measure_zero_only_from_a_signal_at_rest():
    rng = np.random.default_rng(0)
    t = np.arange(400) / 80.0
    quiet = 1000 + rng.normal(0, 10, (400, 2))
    zero = measure_zero(t, quiet, ("a", "b"))
    assert zero is not None and zero["a"] == pytest.approx(1000, abs=3)
    moving = quiet + 2000 * np.exp(-t / 0.5)[:, None]
    assert measure_zero(t[:200], moving[:200], ("a", "b")) is None


# -- ZeroDriftMonitor: the same on the raw stream, however it is cut ---------------------------
RATE_HZ = 80.0
GAIN = {"a": 0.002, "b": 0.002, "c": 0.001}


def stream(seconds: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """a and b (one group) unloaded, their zeros moved by +30 N and -4 N; c loaded by 300 N."""
    rng = np.random.default_rng(seed)
    t = 1000.0 + np.arange(round(seconds * RATE_HZ)) / RATE_HZ
    counts = np.column_stack(
        [
            15_000 + rng.normal(0, 20, t.size),
            -2_000 + rng.normal(0, 20, t.size),
            300_000 + rng.normal(0, 20, t.size),
        ]
    )
    return t, counts


def monitor() -> ZeroDriftMonitor:
    return ZeroDriftMonitor(
        ("a", "b", "c"), {"a": 0.0, "b": 0.0, "c": 0.0}, GAIN, [["a", "b"], ["c"]], limit_n=20.0
    )


def test_the_monitor_judges_an_unloaded_group_at_rest_and_leaves_a_loaded_one() -> None:
    t, counts = stream(5.0)
    m = monitor()
    value = m.update(t, counts, np.zeros(counts.shape, dtype=bool))
    assert np.isnan(value[: round(2 * RATE_HZ)]).all()  # judged once the first window is over
    assert value[-1] == pytest.approx(30.0, abs=0.1)
    beyond = {d.channel: d.beyond for d in m.drifts()}
    assert beyond == {"a": True, "b": False}  # c carries 300 N: not an unloaded zero


def test_a_moving_load_is_not_taken_for_a_zero() -> None:
    t, counts = stream(5.0)
    counts[:, 0] += 3_000 * np.sin(2 * np.pi * 0.5 * t)  # a hand swaying on the bar
    value = monitor().update(t, counts, np.zeros(counts.shape, dtype=bool))
    assert np.isnan(value).all()


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(0, 799), max_size=12), gap_at=st.integers(100, 700))
def test_the_monitor_gives_the_same_values_however_the_stream_is_cut(
    cuts: list[int], gap_at: int
) -> None:
    t, counts = stream(10.0, seed=1)
    invalid = np.zeros(counts.shape, dtype=bool)
    whole = monitor()
    before = whole.update(t[:gap_at], counts[:gap_at], invalid[:gap_at])
    whole.reset()  # samples were lost here
    want = np.concatenate([before, whole.update(t[gap_at:], counts[gap_at:], invalid[gap_at:])])
    cut = monitor()
    got = []
    bounds = sorted({0, gap_at, len(t), *cuts})
    for lo, hi in itertools.pairwise(bounds):
        if lo == gap_at:
            cut.reset()
        got.append(cut.update(t[lo:hi], counts[lo:hi], invalid[lo:hi]))
    np.testing.assert_array_equal(np.concatenate(got), want)
