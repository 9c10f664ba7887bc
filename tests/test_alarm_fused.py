"""The rules measured in one compiled call (alarms/kinds/fused.py) give, however the stream is
cut, what the plain array arithmetic of each measure gives over the whole stream."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ashisense.alarms import AlarmEngine, parse_rule_set
from ashisense.alarms.kinds import BindContext
from tests.alarmref import let_go_reference

RATE_HZ = 80.0
RULES = parse_rule_set(
    """
[[rule]]
id = "impact"
kind = "rise_rate"
priority = "medium"
limit_n_per_s = 4000
window_s = 0.05

[[rule]]
id = "grip_loss"
kind = "bar_drop"
priority = "high"
limit_share = 0.1
window_s = 0.1
min_bar_fraction = 0.75
on_client_share = 0.3
"""
)
W_N = 700.0


def stream(seed: int, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    feet_n = 300.0 + np.cumsum(rng.normal(0.0, 20.0, n))
    feet_n[rng.random(n) < 0.05] = math.nan
    bars = np.clip(150.0 + np.cumsum(rng.normal(0.0, 30.0, (2, n)), axis=1), 0.0, None)
    bars[:, rng.random(n) < 0.03] = 0.0  # a hand lets go
    return {
        "t_s": 50.0 + np.arange(n) / RATE_HZ,
        "feet_n": feet_n,
        "bar_left_n": bars[0],
        "bar_right_n": bars[1],
        "therapist_weight_n": np.full(n, W_N),
    }


def measured(rule_id: str, sig: dict[str, np.ndarray], cuts: list[int]) -> np.ndarray:
    """The rule's values over the stream, measured block by block (its own measurer)."""
    measure = RULES.get(rule_id).measurer(BindContext())
    edges = [0, *sorted(set(cuts)), len(sig["t_s"])]
    blocks = [measure({k: v[a:b] for k, v in sig.items()}) for a, b in itertools.pairwise(edges)]
    return np.concatenate([m.value for m in blocks])


cut_lists = st.lists(st.integers(1, 399), max_size=40)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), cut_lists)
def test_rise_rate_is_the_rise_over_its_window_however_cut(seed: int, cuts: list[int]) -> None:
    sig = stream(seed, 400)
    t_s, x = sig["t_s"], sig["feet_n"]
    lag = 4  # 0.05 s at 80 Hz
    want = np.full(400, math.nan)
    want[lag:] = (x[lag:] - x[:-lag]) / (t_s[lag:] - t_s[:-lag])
    np.testing.assert_array_equal(measured("impact", sig, cuts), want)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), cut_lists)
def test_grip_loss_is_the_larger_let_go_however_cut(seed: int, cuts: list[int]) -> None:
    sig = stream(seed, 400)
    bars = np.stack([sig["bar_left_n"], sig["bar_right_n"]])
    let_go = let_go_reference(bars, 400, 9, 0.75)  # a 0.1 s window: 8 samples back and now
    np.testing.assert_array_equal(measured("grip_loss", sig, cuts), let_go.max(axis=0) / W_N)


def test_a_first_block_of_one_sample_starts_the_windows() -> None:
    """The first sample alone cannot say the rate; held, it starts both windows once the
    second block tells the interval (a rise and a let-go measured across the two blocks)."""
    engine = AlarmEngine(RULES)
    sig = stream(1, 6)
    sig["feet_n"] = np.array([100.0, 100.0, 100.0, 100.0, 900.0, 900.0])  # a stamp at 4
    sig["bar_left_n"] = np.array([300.0, 300.0, 300.0, 300.0, 0.0, 0.0])  # let go at 4
    engine.process({k: v[:1] for k, v in sig.items()})
    events = engine.process({k: v[1:] for k, v in sig.items()})
    raised = {(e.rule_id, e.t_s) for e in events if str(e.transition) == "raised"}
    assert raised == {("impact", sig["t_s"][4]), ("grip_loss", sig["t_s"][4])}
