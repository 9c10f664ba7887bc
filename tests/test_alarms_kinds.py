"""Each rule kind on synthetic signals: it alarms on its event and stays quiet otherwise."""

from __future__ import annotations

import numpy as np
import pytest
from alarmkit import RATE_HZ, W_N, engine_for, raised, run, times

from ashisense.alarms import SignalError, Transition
from ashisense.bodymap import REGION_CODE


def session(duration_s: float = 20.0, **overrides: object) -> dict:
    """A therapist standing still on the client: half the weight on the bars, centred."""
    t = times(duration_s)
    n = t.shape[0]
    sig = {
        "t_s": t,
        "feet_n": np.full(n, 0.5 * W_N),
        "bar_n": np.full(n, 0.5 * W_N),
        "bar_left_n": np.full(n, 0.25 * W_N),
        "bar_right_n": np.full(n, 0.25 * W_N),
        "bar_left_share": np.full(n, 0.5),
        "support_ratio": np.ones(n),
        "feet_x_m": np.full(n, 0.6),
        "feet_y_m": np.full(n, 0.05),
        "region": np.full(n, REGION_CODE["upper_back"], dtype=np.int8),
        "therapist_weight_n": W_N,
    }
    sig.update(overrides)
    return sig


def during(t: np.ndarray, a_s: float, b_s: float) -> np.ndarray:
    rel = t - t[0]
    return (rel >= a_s) & (rel < b_s)


def rule(kind: str, priority: str = "high", **fields: object) -> str:
    body = "\n".join(
        f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}".replace("'", '"')
        for k, v in fields.items()
    )
    return f'[[rule]]\nid = "r"\nkind = "{kind}"\npriority = "{priority}"\n{body}\n'


def first_raise_rel_s(events, t0: float) -> float:
    (ev,) = raised(events)
    return ev.t_s - t0


def test_region_force_alarms_in_its_regions_only_and_names_the_region() -> None:
    eng = engine_for(rule("region_force", regions=["neck", "popliteal"], limit_n=60, delay_s=0.2))
    sig = session()
    t = sig["t_s"]
    region = sig["region"].copy()
    region[during(t, 5, 7)] = REGION_CODE["lumbar"]  # loaded, but not a no-go region
    region[during(t, 10, 12)] = REGION_CODE["neck"]
    events = run(eng, session(region=region))
    assert first_raise_rel_s(events, t[0]) == pytest.approx(10.2, abs=1 / RATE_HZ)
    assert "neck" in raised(events)[0].message


def test_region_force_holds_its_verdict_while_a_heavy_load_has_no_position() -> None:
    eng = engine_for(rule("region_force", regions=["neck"], limit_n=60))
    sig = session()
    region = sig["region"].copy()
    t = sig["t_s"]
    region[during(t, 5, 15)] = REGION_CODE["neck"]
    region[during(t, 7, 9)] = -1  # position unknown (client moving): no clearing, no new alarm
    events = run(eng, session(region=region))
    assert [e.transition for e in events] == [Transition.RAISED, Transition.CONDITION_ENDED]
    assert events[1].t_s - t[0] == pytest.approx(15.0, abs=1 / RATE_HZ)


def test_rise_rate_catches_an_impact_but_not_a_slow_shift() -> None:
    t = times(20)
    feet = np.full(t.shape, 200.0)
    feet += np.clip((t - t[0] - 5) / 2.0, 0, 1) * 200  # 200 N over 2 s: 100 N/s
    feet += np.clip((t - t[0] - 12) / 0.04, 0, 1) * 250  # 250 N in 40 ms: 6,250 N/s
    eng = engine_for(rule("rise_rate", "medium", limit_n_per_s=4000, clear_delay_s=2.0))
    events = run(eng, session(feet_n=feet))
    assert 12.0 <= first_raise_rel_s(events, t[0]) <= 12.1
    assert raised(events)[0].value > 4000


def _grip(left_lost: float, right_lost: float, duration_s: float) -> dict:
    """Each bar holds 0.3 W, then loses a share of that within duration_s; the feet catch it."""
    t = times(10)
    ramp = np.clip((t - t[0] - 5) / duration_s, 0, 1)
    left, right = 0.3 * W_N * (1 - left_lost * ramp), 0.3 * W_N * (1 - right_lost * ramp)
    return session(10, bar_left_n=left, bar_right_n=right, feet_n=W_N - left - right)


def test_grip_loss_alarms_when_a_hand_lets_go_quickly() -> None:
    grip = rule("bar_drop", limit_share=0.1, window_s=0.1, min_bar_fraction=0.75)
    events = run(engine_for(grip), _grip(0.95, 0.0, 0.08))
    assert 5.0 <= first_raise_rel_s(events, times(10)[0]) <= 5.1
    assert "left hand" in raised(events)[0].message
    assert raised(run(engine_for(grip), _grip(0.95, 0.0, 1.0))) == []  # slow transfer
    assert raised(run(engine_for(grip), _grip(0.45, 0.45, 0.08))) == []  # a quick step
    assert raised(run(engine_for(grip), _grip(0.9, 0.9, 0.05)))  # both hands slip


def test_unsupported_needs_the_feet_on_the_client() -> None:
    t = times(20)
    bar = np.where(during(t, 5, 10), 0.02 * W_N, 0.5 * W_N)
    feet_off = np.where(during(t, 5, 10), 0.0, 0.5 * W_N)  # standing beside the table
    on_client = rule("unsupported", "medium", limit_share=0.08, on_client_share=0.5, delay_s=0.5)
    events = run(engine_for(on_client), session(bar_n=bar, feet_n=W_N - bar))
    assert first_raise_rel_s(events, t[0]) == pytest.approx(5.5, abs=1 / RATE_HZ)
    assert raised(run(engine_for(on_client), session(bar_n=bar, feet_n=feet_off))) == []


def test_balance_needs_time_and_load_on_the_bars() -> None:
    t = times(20)
    share = np.where(during(t, 2, 4), 0.9, 0.5)  # 2 s lopsided: shorter than the delay
    share[during(t, 8, 14)] = 0.1
    bal = rule("balance", "low", limit_share=0.8, delay_s=3.0, min_bar_n=100)
    events = run(engine_for(bal), session(bar_left_share=share))
    assert first_raise_rel_s(events, t[0]) == pytest.approx(11.0, abs=1 / RATE_HZ)
    assert "right heavy" in raised(events)[0].message
    light = session(bar_left_share=share, bar_n=np.full(t.shape, 50.0))
    assert raised(run(engine_for(bal), light)) == []


def test_support_low_alarms_on_a_foot_off_the_rig() -> None:
    t = times(20)
    ratio = np.where(during(t, 5, 12), 0.6, 1.0)
    ratio[during(t, 2, 3)] = 0.7  # a step's m*a swing: shorter than the delay
    off = rule("support_low", "medium", limit_ratio=0.8, delay_s=2.0)
    events = run(engine_for(off), session(support_ratio=ratio))
    assert first_raise_rel_s(events, t[0]) == pytest.approx(7.0, abs=1 / RATE_HZ)


def test_dwell_counts_time_on_one_spot_despite_jitter() -> None:
    t = times(120)
    rng = np.random.default_rng(0)
    x = 0.70 + rng.normal(0, 0.01, t.shape)  # on a grid line of 0.10 m spots
    x[during(t, 30, 31)] = 1.2  # moved away, then back: the clock restarts at 31 s
    dwell = rule("dwell", "low", limit_s=60, spot_m=0.1, min_force_n=100)
    events = run(engine_for(dwell), session(120, feet_x_m=x))
    assert first_raise_rel_s(events, t[0]) == pytest.approx(91.0, abs=0.1)


def test_above_and_below_work_on_any_named_signal_and_scalars() -> None:
    calib = rule("above", "low", signal="calibration_age_days", limit=90)
    eng = engine_for(calib)
    eng.set_context(calibration_age_days=120.0)
    (ev,) = raised(run(eng, session(2)))
    assert "120.0 days" in ev.message and "90.0 days" in ev.message
    low = rule("below", "low", signal="pressure_kpa", limit=10)
    assert raised(run(engine_for(low), session(2, pressure_kpa=20.0))) == []


def test_a_rule_whose_signals_are_missing_is_logged_unavailable_once() -> None:
    eng = engine_for(rule("bar_drop", limit_share=0.2))
    sig = session(2)
    del sig["bar_left_n"]
    events = run(eng, sig)
    assert [e.transition for e in events] == [Transition.UNAVAILABLE]
    assert "bar_left_n" in events[0].message
    assert not eng.status()[0].available


def test_malformed_signals_are_refused() -> None:
    eng = engine_for(rule("feet_force", limit_n=400))
    with pytest.raises(SignalError, match="t_s"):
        eng.process({"feet_n": np.zeros(3)})
    with pytest.raises(SignalError, match="feet_n"):
        eng.process({"t_s": np.arange(3.0), "feet_n": np.zeros(4)})
    with pytest.raises(SignalError, match="increasing"):
        eng.process({"t_s": np.array([0.0, 2.0, 1.0]), "feet_n": np.zeros(3)})


def test_samples_overlapping_the_previous_block_are_skipped_and_the_rest_evaluated() -> None:
    eng = engine_for(rule("feet_force", limit_n=400))
    eng.process({"t_s": np.arange(3.0), "feet_n": np.zeros(3)})
    (ev,) = eng.process({"t_s": np.arange(1.0, 5.0), "feet_n": np.full(4, 500.0)})
    assert eng.skipped_samples == 2 and ev.t_s == 3.0
