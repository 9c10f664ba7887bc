"""The zero-drift check flags channels whose unloaded zero moved beyond the limit, and age."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from calibration.drift import check_drift, measure_zero
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
