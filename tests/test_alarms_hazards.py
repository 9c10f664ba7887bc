"""One hazard, one alarm: rules on the same force fold into one alarm citing the binding limit,
separate hazards stay separate, the log stays complete, and people read words in their unit."""

from __future__ import annotations

import numpy as np
import pytest
from alarmkit import raised, times

from ashisense.alarms import AlarmEngine, AlarmState, Priority, alarm_text, force_text
from ashisense.alarms.defaults import studio_rules
from ashisense.alarms.wording import UnitError
from ashisense.bodymap import REGION_CODE
from ashisense.store import AlarmRecord

CLIENT = {"weight_kg": 70, "max_feet_n": 500, "limits_n": {"upper_back": 450.0}}


def press(region: str, feet_n: float, seconds: float = 1.0, t0_s: float = 1000.0) -> dict:
    t = times(seconds, t0_s=t0_s)
    return {"t_s": t, "feet_n": np.full(t.shape, feet_n), "region": REGION_CODE[region]}


def test_an_overload_over_two_limits_is_one_alarm_citing_the_binding_limit() -> None:
    eng = AlarmEngine.for_session(studio_rules(), CLIENT)
    events = eng.process(press("upper_back", 520.0))
    # the log keeps every rule's transitions ...
    assert {e.rule_id for e in raised(events)} == {"feet_overload", "feet_overload_upper_back"}
    # ... a person sees one alarm, the tightest limit cited, the other rule folded in
    (hazard,) = eng.hazards()
    assert hazard.lead.rule_id == "feet_overload_upper_back" and hazard.lead.limit == 450.0
    assert [c.rule_id for c in hazard.causes] == ["feet_overload_upper_back", "feet_overload"]
    assert hazard.priority is Priority.HIGH and hazard.state is AlarmState.ACTIVE
    assert hazard.text("N") == (
        "Client's limit for the upper back (upper back): 520 N > limit 450 N; "
        "also over: Feet force over the client's limit (limit 481 N)"
    )


def test_the_folded_alarm_takes_the_highest_priority_of_its_causes() -> None:
    eng = AlarmEngine.for_session(studio_rules(), {"weight_kg": 70})
    eng.process(press("lumbar", 520.0, seconds=2.0))
    (hazard,) = eng.hazards()
    assert hazard.lead.rule_id == "lumbar_band"  # 300 N binds on the lumbar band ...
    assert hazard.lead.priority is Priority.MEDIUM
    assert hazard.priority is Priority.HIGH  # ... and the overload makes it high
    assert hazard.titles == (
        "Lumbar/kidney band over its limit",
        "Feet force over the client's limit",
    )


def test_a_no_go_region_under_an_overload_cites_the_no_go_limit() -> None:
    eng = AlarmEngine.for_session(studio_rules(), CLIENT)
    eng.process(press("neck", 520.0))
    (hazard,) = eng.hazards()
    assert hazard.lead.rule_id == "no_go" and hazard.lead.where == "neck"
    assert hazard.text("kg").startswith("Load on a no-go region (neck): 53.0 kg > limit 6.1 kg")


def test_acknowledging_the_alarm_silences_every_rule_folded_into_it() -> None:
    eng = AlarmEngine.for_session(studio_rules(), CLIENT)
    eng.process(press("upper_back", 520.0))
    acks = eng.acknowledge(1001.0, "feet_overload_upper_back")
    assert {e.rule_id for e in acks} == {"feet_overload", "feet_overload_upper_back"}
    (hazard,) = eng.hazards()
    assert hazard.state is AlarmState.ACKNOWLEDGED and not hazard.audible


def test_grip_loss_during_an_overload_is_a_separate_hazard() -> None:
    # What the therapist must do differs (regain the bar vs ease off): two alarms.
    t = times(1.0)
    n = t.shape[0]
    left = np.where(np.arange(n) < 40, 300.0, 0.0)  # the left hand lets go at 0.5 s
    eng = AlarmEngine.for_session(studio_rules(), CLIENT)
    eng.process(
        {
            "t_s": t,
            "feet_n": np.full(n, 520.0),
            "region": REGION_CODE["pelvis"],
            "bar_left_n": left,
            "bar_right_n": np.full(n, 100.0),
            "therapist_weight_n": 900.0,
        }
    )
    keys = sorted(h.hazard for h in eng.hazards())
    assert keys == ["bar_drop", "feet_force"]


def test_what_a_person_reads_never_names_a_rule_id() -> None:
    eng = AlarmEngine.for_session(studio_rules(), CLIENT)
    eng.process(press("upper_back", 520.0) | {"lost_n": np.full(80, 1.0)})
    eng.tick(1003.0)  # no data for 2 s
    ids = set(eng.rule_set.ids())
    hazards = eng.hazards()
    assert len(hazards) >= 2
    for h in hazards:
        for unit in ("kg", "lb", "N"):
            assert not any(rule_id in h.text(unit) for rule_id in ids), h.text(unit)
        assert not any(rule_id in title for title in h.titles for rule_id in ids)


def test_log_rows_read_in_any_unit_from_the_rule_and_stored_numbers() -> None:
    eng = AlarmEngine.for_session(studio_rules(), CLIENT)
    (row, *_) = raised(eng.process(press("upper_back", 520.0)), "feet_overload_upper_back")
    assert row.value_n == 520.0 and row.limit_n == 450.0 and row.where == "upper back"
    rule = eng.rule(row.rule_id)
    assert alarm_text(row, rule, "lb") == (
        "Client's limit for the upper back (upper back): 117 lb > limit 101 lb"
    )
    stored = AlarmRecord.of(row)  # the store keeps numbers and the message, not the words
    assert (
        alarm_text(stored, rule, "kg")
        == "Client's limit for the upper back: 53.0 kg > limit 45.9 kg"
    )
    assert alarm_text(stored, None, "kg") == stored.message  # an unknown rule keeps its message
    assert force_text(98.0665, "kg") == "10.0 kg" and force_text(float("nan"), "N") == "n/a"
    with pytest.raises(UnitError, match="kg, lb, N"):
        force_text(1.0, "stone")
