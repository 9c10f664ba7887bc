"""The engine's vectorised block stage (all rules settled at once) logs what a plain per-rule,
per-sample evaluation logs, for random signals cut into random blocks."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ashisense.alarms import AlarmEngine, load_rule_set
from ashisense.alarms.kinds.loops import let_go_n
from ashisense.bodymap import REGIONS
from tests.alarmref import ReferenceEngine, let_go_reference
from tests.simfeedkit import sim_profiles

RULES = load_rule_set(Path(__file__).resolve().parents[1] / "examples/rules/studio_default.toml")
RATE_HZ = 80.0
W_N = 650.0


def random_session(seed: int, n: int) -> dict[str, np.ndarray]:
    """Signals that wander across every studio limit: overloads, regions, drops, NaN gaps."""
    rng = np.random.default_rng(seed)
    t_s = 1000.0 + np.arange(n) / RATE_HZ

    def walk(scale: float, start: float) -> np.ndarray:
        return start + np.cumsum(rng.normal(0.0, scale, n))

    def hold(values: np.ndarray) -> np.ndarray:  # piecewise constant, runs of ~0.5 s
        return np.repeat(values, 40)[:n]

    swing = np.sin(2 * np.pi * t_s / rng.uniform(3.0, 9.0) + rng.uniform(0, 6.3))
    jumps = np.cumsum(np.where(rng.random(n) < 0.01, rng.normal(0.0, 150.0, n), 0.0))
    feet_n = np.clip(350.0 + 300.0 * swing + walk(5.0, 0.0) + jumps, 0.0, 900.0)
    feet_n[rng.random(n) < 0.02] = np.nan
    left_n = np.clip(walk(10.0, 100.0), 0.0, 400.0) * hold(rng.random(n // 40 + 1) > 0.3)
    right_n = np.clip(walk(10.0, 100.0), 0.0, 400.0) * hold(rng.random(n // 40 + 1) > 0.3)
    bar_n = left_n + right_n
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(bar_n > 0, left_n / bar_n, 0.5)
    return {
        "t_s": t_s,
        "feet_n": feet_n,
        "region": hold(rng.integers(-1, len(REGIONS), n // 40 + 1)).astype(np.int8),
        "bar_left_n": left_n,
        "bar_right_n": right_n,
        "bar_n": bar_n,
        "bar_left_share": share,
        "support_ratio": (bar_n + np.nan_to_num(feet_n)) / W_N,
        "feet_x_m": hold(rng.normal(0.0, 0.05, n // 40 + 1)),
        "feet_y_m": hold(rng.normal(0.0, 0.05, n // 40 + 1)),
        "therapist_weight_n": np.full(n, W_N),
        "lost_n": np.where(rng.random(n) < 0.01, 3.0, 0.0),
        "invalid_mask": hold(rng.random(n // 40 + 1) < 0.1).astype(np.int64) * 5,
    }


def log_of(engine: AlarmEngine, sig: dict[str, np.ndarray], cuts: list[int]) -> list[tuple]:
    edges = [0, *sorted(set(cuts)), len(sig["t_s"])]
    for a, b in itertools.pairwise(edges):
        engine.process({k: v[a:b] for k, v in sig.items()})
    rows = [(e.t_s, e.rule_id, str(e.transition), e.value, e.message) for e in engine.log]
    status = [(s.rule_id, str(s.state), s.value, s.peak) for s in engine.status()]
    return [repr(r) for r in rows + status]  # repr: NaN equals NaN


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(1, 2399), max_size=60),
    st.integers(1, 9),
)
def test_vectorised_blocks_log_what_the_reference_logs(
    seed: int, cuts: list[int], block: int
) -> None:
    sig = random_session(seed, 2400)
    client = sim_profiles()[0]
    fixed = list(range(block, 2400, block * 37))  # runs of small blocks too
    got = log_of(AlarmEngine.for_session(RULES, client), sig, cuts + fixed)
    want = log_of(ReferenceEngine.for_session(RULES, client), sig, [])
    assert got == want
    assert any("raised" in row for row in want)  # the signals did cross limits


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.just(2), st.integers(1, 40)),
        elements=st.floats(-1e3, 1e3) | st.just(math.nan) | st.just(math.inf),
    ),
    st.integers(1, 17),
    st.integers(1, 40),
    st.floats(0.0, 1.0),
)
def test_let_go_is_the_drop_from_each_windows_most(
    history_n: np.ndarray, width: int, n: int, min_fraction: float
) -> None:
    n = min(n, history_n.shape[1])
    np.testing.assert_array_equal(
        let_go_n(history_n, n, width, min_fraction),
        let_go_reference(history_n, n, width, min_fraction),
    )
