"""The link's arrival window: what came over the last second of host time, so a stalled or
unplugged rig shows as one at once (the device-time rate keeps its last value)."""

from __future__ import annotations

import pytest

from firmware_bridge.arrival import ArrivalWindow


def test_a_steady_stream_arrives_at_its_rate_then_silence_takes_it_to_zero() -> None:
    w = ArrivalWindow(window_s=1.0)
    for k in range(1, 41):  # 8 samples every 0.1 s: 80 Hz
        w.add(100.0 + k * 0.1, 8, 0)
    now = w.measure(104.0)
    assert now.rate_hz == pytest.approx(80.0)
    assert now.lost == 0 and now.silent_s == pytest.approx(0.0)
    stalled = w.measure(104.5)  # half a second without data
    assert stalled.rate_hz == pytest.approx(40.0)
    assert stalled.silent_s == pytest.approx(0.5)
    gone = w.measure(105.0)
    assert gone.rate_hz == 0.0 and gone.silent_s == pytest.approx(1.0)


def test_lost_samples_count_only_within_the_window() -> None:
    w = ArrivalWindow(window_s=1.0)
    w.add(10.0, 8, 0)
    w.add(10.5, 8, 12)
    w.add(11.2, 8, 0)
    assert w.measure(11.2).lost == 12
    assert w.measure(11.6).lost == 0


def test_before_any_data_nothing_arrived_and_silence_is_unknown() -> None:
    nothing = ArrivalWindow().measure(5.0)
    assert nothing.rate_hz == 0.0 and nothing.lost == 0 and nothing.silent_s is None


def test_the_window_keeps_few_marks_however_long_it_runs() -> None:
    w = ArrivalWindow(window_s=1.0)
    for k in range(10_000):
        w.add(k * 0.01, 1, 0)
    assert len(w._marks) <= 102
    assert w.measure(99.99).rate_hz == pytest.approx(100.0, abs=1.0)  # one read either side
