"""Condition delay, clearing hysteresis and unknown samples, independent of block cuts."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ashisense.alarms.timing import ConditionTimer

RATE_HZ = 80.0


def transitions_s(
    value: np.ndarray, cuts: list[int], limit: float, hyst: float, delay_s: float, clear_s: float
) -> list[tuple[float, bool]]:
    """Feed value (sampled at RATE_HZ) cut at `cuts`; (time, on) of each transition."""
    t = np.arange(value.shape[0]) / RATE_HZ
    timer = ConditionTimer(delay_s, clear_s)
    out = []
    edges = [0, *sorted(set(cuts)), value.shape[0]]
    for a, b in itertools.pairwise(edges):
        v = value[a:b]
        known = ~np.isnan(v)
        with np.errstate(invalid="ignore"):
            changes = timer.update(t[a:b], v > limit, v <= limit - hyst, known)
        out += [(float(t[a + i]), on) for i, on in changes]
    return out


def test_condition_shorter_than_delay_never_alarms() -> None:
    value = np.zeros(400)
    value[100:119] = 10.0  # 19 samples = 237 ms over the limit, delay 250 ms
    assert transitions_s(value, [], 5.0, 1.0, 0.25, 0.0) == []


def test_condition_alarms_once_its_delay_has_passed() -> None:
    value = np.zeros(400)
    value[100:300] = 10.0
    (on, off) = transitions_s(value, [], 5.0, 1.0, 0.25, 0.5)
    assert on == (100 / RATE_HZ + 0.25, True)
    assert off == (300 / RATE_HZ + 0.5, False)


def test_hysteresis_keeps_a_dithering_value_on() -> None:
    value = np.zeros(800)
    value[100:700] = np.where(np.arange(600) % 2, 5.5, 4.5)  # crosses 5 every sample
    got = transitions_s(value, [], 5.0, 1.0, 0.0, 0.0)
    assert [on for _, on in got] == [True, False]
    assert got[1][0] == 700 / RATE_HZ


def test_unknown_samples_keep_the_previous_verdict() -> None:
    value = np.zeros(400)
    value[100:200] = 10.0
    value[200:300] = np.nan  # invalid input: the condition neither ends nor restarts
    value[300:] = 0.0
    got = transitions_s(value, [], 5.0, 1.0, 0.0, 0.0)
    assert got == [(100 / RATE_HZ, True), (300 / RATE_HZ, False)]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 4.5, 5.5, 10.0, float("nan")]), min_size=1, max_size=300),
    st.lists(st.integers(1, 299), max_size=20),
    st.sampled_from([0.0, 0.05, 0.3]),
    st.sampled_from([0.0, 0.1]),
)
def test_any_block_cutting_gives_the_same_transitions(
    values: list[float], cuts: list[int], delay_s: float, clear_s: float
) -> None:
    value = np.repeat(np.array(values), 3)
    cuts = [c for c in cuts if c < value.shape[0]]
    whole = transitions_s(value, [], 5.0, 1.0, delay_s, clear_s)
    assert transitions_s(value, cuts, 5.0, 1.0, delay_s, clear_s) == whole
    assert [on for _, on in whole] == [i % 2 == 0 for i in range(len(whole))]
