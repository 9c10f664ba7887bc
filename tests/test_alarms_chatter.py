"""No chatter: a value hovering at a limit under noise gives one alarm, not many."""

from __future__ import annotations

import numpy as np
from alarmkit import engine_for, raised, run, times
from hypothesis import given, settings
from hypothesis import strategies as st

LIMIT_N = 300.0
HYST_N = 20.0
RULE = f"""
[[rule]]
id = "lumbar"
kind = "feet_force"
priority = "medium"
limit_n = {LIMIT_N}
hysteresis_n = {HYST_N}
delay_s = 0.5
clear_delay_s = 1.0
"""


def hovering(seed: int, offset_n: float, noise_n: float, hover_s: float = 30.0) -> dict:
    """Feet force ramps up to the limit, hovers at limit + offset under noise, ramps down."""
    t = times(hover_s + 20.0)
    rel = t - t[0]
    rng = np.random.default_rng(seed)
    level = np.interp(rel, [0, 8, 10, 10 + hover_s, 12 + hover_s], [100, 100, 1, 1, 0])
    feet = 100 + level * (LIMIT_N + offset_n - 100) + rng.normal(0, noise_n, t.shape)
    return {"t_s": t, "feet_n": feet}


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    offset_n=st.floats(-HYST_N / 2, HYST_N / 2),
    noise_n=st.floats(0.0, HYST_N / 3),
    block=st.integers(4, 100),
)
def test_hovering_at_the_limit_alarms_at_most_once(
    seed: int, offset_n: float, noise_n: float, block: int
) -> None:
    events = run(engine_for(RULE), hovering(seed, offset_n, noise_n), size=block)
    n_raised = len(raised(events))
    assert n_raised <= 1
    if offset_n >= 2 * noise_n and offset_n > 0:
        assert n_raised == 1  # clearly over the limit on average: it does alarm


def test_hovering_with_noise_the_size_of_the_hysteresis_still_alarms_once() -> None:
    # HX711-class noise is a few newtons; here ten times that, centred just above the limit.
    events = run(engine_for(RULE), hovering(7, 5.0, 8.0))
    assert len(raised(events)) == 1
    assert len(events) == 2  # raised, then cleared once the force goes away
