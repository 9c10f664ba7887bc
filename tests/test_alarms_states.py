"""IEC 60601-1-8 alarm states: latching, acknowledgement, audio pause, alarm off, the log."""

from __future__ import annotations

import json

import numpy as np
import pytest
from alarmkit import engine_for, run, times

from ashisense.alarms import AlarmPolicyError, AlarmState, Priority, Transition, UnknownRuleError

OVERLOAD = """
[[rule]]
id = "overload"
kind = "feet_force"
priority = "{priority}"
limit_n = 400
hysteresis_n = 20
delay_s = 0.25
clear_delay_s = 0.5
{extra}
"""


def overload(priority: str = "high", extra: str = "", policy: str = ""):
    return engine_for(OVERLOAD.format(priority=priority, extra=extra), policy)


def pulse(start_s: float, end_s: float, total_s: float = 10.0, peak_n: float = 500.0) -> dict:
    t = times(total_s)
    rel = t - t[0]
    return {"t_s": t, "feet_n": np.where((rel >= start_s) & (rel < end_s), peak_n, 300.0)}


def test_high_priority_latches_until_acknowledged() -> None:
    eng = overload()
    sig = pulse(2.0, 4.0)
    events = run(eng, sig)
    assert [(e.transition, e.state) for e in events] == [
        (Transition.RAISED, AlarmState.ACTIVE),
        (Transition.CONDITION_ENDED, AlarmState.ACTIVE),
    ]
    raised, ended = events
    assert raised.t_s == pytest.approx(sig["t_s"][0] + 2.25, abs=1 / 80)
    assert "500 N" in raised.message and "400 N" in raised.message
    assert (raised.value, raised.limit) == (500.0, 400.0)
    assert "peak 500 N" in ended.message and "latched" in ended.message
    assert eng.status()[0].latched and eng.status()[0].audible
    (ack,) = eng.acknowledge(sig["t_s"][-1] + 1)
    assert (ack.transition, ack.from_state, ack.state) == (
        Transition.ACKNOWLEDGED,
        AlarmState.ACTIVE,
        AlarmState.INACTIVE,
    )
    assert eng.audible_priority() is None


def test_acknowledged_alarm_is_silent_while_the_condition_lasts_then_clears() -> None:
    eng = overload()
    sig = pulse(2.0, 6.0)
    t = sig["t_s"]
    run(eng, {k: v[:320] for k, v in sig.items()})  # up to 4 s: alarm on
    (ack,) = eng.acknowledge(t[319])
    assert ack.state is AlarmState.ACKNOWLEDGED
    assert eng.audible_priority() is None
    rest = run(eng, {k: v[320:] for k, v in sig.items()})
    assert [(e.transition, e.state) for e in rest] == [(Transition.CLEARED, AlarmState.INACTIVE)]


def test_medium_priority_does_not_latch_by_default_and_policy_or_rule_can_change_it() -> None:
    sig = pulse(2.0, 4.0)
    states = [e.transition for e in run(overload("medium"), sig)]
    assert states == [Transition.RAISED, Transition.CLEARED]
    latched = run(overload("medium", policy='latching = ["high", "medium"]'), sig)
    assert latched[-1].transition is Transition.CONDITION_ENDED
    unlatched = run(overload("high", extra="latching = false"), sig)
    assert unlatched[-1].transition is Transition.CLEARED


def test_audio_pause_is_time_limited_and_the_sound_returns_if_the_condition_persists() -> None:
    eng = overload()
    sig = pulse(1.0, 9.0)
    t = sig["t_s"]
    run(eng, {k: v[:160] for k, v in sig.items()})  # 2 s: alarm on
    (paused,) = eng.pause_audio(t[159], duration_s=3.0)
    assert paused.state is AlarmState.AUDIO_PAUSED
    assert eng.audible_priority() is None
    events = run(eng, {k: v[160:] for k, v in sig.items()})
    resumed = [e for e in events if e.transition is Transition.AUDIO_RESUMED]
    assert len(resumed) == 1 and resumed[0].state is AlarmState.ACTIVE
    assert t[159] + 3.0 <= resumed[0].t_s <= t[159] + 3.0 + 0.1


def test_audio_pause_longer_than_the_policy_allows_is_refused() -> None:
    eng = overload(policy="audio_pause_max_s = 60")
    with pytest.raises(AlarmPolicyError, match="60 s"):
        eng.pause_audio(0.0, duration_s=61.0)


def test_tick_ends_an_audio_pause_without_new_samples() -> None:
    eng = overload()
    sig = pulse(1.0, 9.0)
    run(eng, {k: v[:160] for k, v in sig.items()})
    t_pause = sig["t_s"][159]
    eng.pause_audio(t_pause, duration_s=2.0)
    assert eng.tick(t_pause + 1.0) == []
    (resumed,) = eng.tick(t_pause + 2.0)
    assert resumed.transition is Transition.AUDIO_RESUMED


def test_alarm_off_is_refused_for_high_priority_by_default() -> None:
    with pytest.raises(AlarmPolicyError, match="medium, low"):
        overload().set_alarm_off(0.0, "overload")


def test_alarm_off_is_shown_keeps_logging_and_sounds_again_when_switched_on() -> None:
    eng = overload("medium")
    sig = pulse(2.0, 8.0)
    t = sig["t_s"]
    (off,) = eng.set_alarm_off(t[0] - 1, "overload")
    assert off.state is AlarmState.OFF
    events = run(eng, {k: v[:400] for k, v in sig.items()})  # 5 s: condition present
    assert [(e.transition, e.state) for e in events] == [(Transition.RAISED, AlarmState.OFF)]
    assert eng.status()[-1].state is AlarmState.OFF  # still listed, shown as off
    (on,) = eng.set_alarm_off(t[399], "overload", off=False)
    assert on.state is AlarmState.ACTIVE
    assert eng.audible_priority() is Priority.MEDIUM


def test_unknown_rule_in_an_operator_action_names_the_rules() -> None:
    with pytest.raises(UnknownRuleError, match="overload"):
        overload().acknowledge(0.0, "no_such_rule")


def test_every_transition_reaches_listeners_and_the_log_as_json_rows() -> None:
    eng = overload()
    got: list = []

    def broken(_event: object) -> None:
        raise RuntimeError("a listener that fails must not stop the others")

    eng.add_listener(broken)
    eng.add_listener(got.append)
    events = run(eng, pulse(2.0, 4.0))
    events += eng.acknowledge(2000.0)
    assert got == events == eng.log and len(events) == 3
    rows = [json.loads(json.dumps(e.as_dict())) for e in events]
    assert [r["transition"] for r in rows] == ["raised", "condition_ended", "acknowledged"]
    assert set(rows[0]) == {
        "t_s",
        "rule_id",
        "priority",
        "transition",
        "from_state",
        "state",
        "value",
        "limit",
        "message",
        "title",
        "where",
        "unit",
        "hazard",
        "value_n",
        "limit_n",
    }
    assert rows[0]["unit"] == "N" and rows[0]["value_n"] == rows[0]["value"]
