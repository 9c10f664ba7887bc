"""The client's presses as data: each kept with its moment (feet force, region, pressure)
and the force 2 s later; "stop" alarms at once and latches; a stuck handset is a technical
alarm; presses are stored with the session (SQLite), read back, and copied to PostgreSQL."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ashisense.alarms import AlarmEngine, AlarmState, Priority, RuleFileError, parse_rule_set
from ashisense.alarms.defaults import studio_rules
from ashisense.alarms.kinds.client import HANDSET_STUCK_SIGNAL
from ashisense.bodymap import REGION_CODE
from ashisense.client.tracker import PressTracker
from ashisense.pipeline.types import EstimateBlock
from ashisense.store import Batch, PressRecord, SessionMeta, SQLiteStore, open_store
from ashisense.store.copy import copy_session
from tests.pipelinekit import estimate_block

RATE_HZ = 80.0


def estimates(t0_s: float, n: int, feet_n: float | np.ndarray, region: str) -> EstimateBlock:
    """n estimates from t0_s at RATE_HZ with this feet force in this region."""
    feet = np.broadcast_to(np.asarray(feet_n, dtype=np.float64), (n,)).copy()
    return estimate_block(
        t0_s + np.arange(n) / RATE_HZ,
        np.nan,
        "profile:whole_foot",
        feet_n=feet,
        feet_display_n=feet,
        pressure_kpa=feet / 14.0,
        region=np.full(n, REGION_CODE[region], np.int8),
    )


def test_a_press_keeps_its_moment_and_the_force_two_seconds_later() -> None:
    tracker = PressTracker()
    assert tracker.on_estimate(estimates(100.0, 80, 300.0, "upper_back")) == []
    now = tracker.press(100.5, "lighter", "handset")
    assert now.feet_n == 300.0 and now.region == "upper_back" and math.isnan(now.feet_after_n)
    assert now.pressure_kpa == pytest.approx(300.0 / 14.0)
    assert tracker.on_estimate(estimates(101.0, 80, 220.0, "upper_back")) == []
    (done,) = tracker.on_estimate(estimates(102.0, 80, 180.0, "lumbar"))
    assert done.feet_after_n == 180.0 and done.region == "upper_back" and tracker.waiting == 0


def test_a_press_that_arrives_before_its_samples_gets_its_own_moment() -> None:
    tracker = PressTracker()
    tracker.on_estimate(estimates(10.0, 80, 100.0, "thigh"))
    early = tracker.press(11.9, "lighter", "handset")  # its samples are not there yet
    assert early.feet_n == 100.0 and early.region == "thigh"  # the newest known, at once
    tracker.on_estimate(estimates(11.0, 160, np.linspace(100.0, 260.0, 160), "calf"))
    (kept,) = tracker.on_estimate(estimates(13.0, 80, 50.0, "calf"))
    assert kept.region == "calf" and kept.feet_n == pytest.approx(100.0 + 160.0 * 72 / 159)


def test_presses_still_waiting_are_kept_without_their_follow_up() -> None:
    tracker = PressTracker()
    tracker.press(5.0, "deeper", "page")  # before any estimate: nothing known
    (left,) = tracker.flush()
    assert left.button == "deeper" and left.source == "page" and left.region == ""
    assert math.isnan(left.feet_n) and math.isnan(left.feet_after_n)


def test_stop_alarms_high_at_once_latches_and_clears_on_acknowledge() -> None:
    engine = AlarmEngine(studio_rules())
    engine.process({"t_s": np.array([1.0, 1.0125]), "feet_n": np.array([200.0, 200.0])})
    rows = engine.press(1.02, "stop", 352.0, REGION_CODE["lumbar"])
    assert [(r.rule_id, r.transition, r.state) for r in rows] == [
        ("client_stop", "raised", AlarmState.ACTIVE),
        ("client_stop", "condition_ended", AlarmState.ACTIVE),
    ]
    assert rows[0].t_s == 1.02 and rows[0].priority is Priority.HIGH
    assert rows[0].value_n == 352.0 and rows[0].where == "lumbar / kidney band"
    assert "352 N" in rows[0].message and "lumbar" in rows[0].message
    (hazard,) = [h for h in engine.hazards() if h.hazard == "client_button:stop"]
    assert hazard.audible and hazard.latched and "35.9 kg" in hazard.text("kg")
    engine.acknowledge(2.0, "client_stop")
    assert not [h for h in engine.hazards() if h.hazard == "client_button:stop"]
    assert engine.press(3.0, "lighter", 100.0, REGION_CODE["thigh"]) == []


def test_a_stop_rule_with_a_delay_is_refused() -> None:
    text = '[[rule]]\nid = "s"\nkind = "client_button"\npriority = "high"\ndelay_s = 0.5\n'
    with pytest.raises(RuleFileError, match="a press alarms at once"):
        parse_rule_set(text, "studio.toml")


def test_a_stuck_handset_is_a_technical_alarm_naming_the_button() -> None:
    engine = AlarmEngine(studio_rules())
    engine.set_context(**{HANDSET_STUCK_SIGNAL: 0.0})
    engine.process({"t_s": np.array([1.0])})
    engine.set_context(**{HANDSET_STUCK_SIGNAL: 4.0})  # bit 2: "stop"
    rows = [r for r in engine.process({"t_s": np.array([2.0])}) if r.rule_id == "handset_stuck"]
    assert rows and rows[0].transition == "raised" and rows[0].priority is Priority.MEDIUM
    assert '"stop"' in rows[0].where and "may not be heard" in rows[0].message


def _session(store: SQLiteStore) -> int:
    sid = store.create_session(SessionMeta(started_s=100.0, client={"id": "c-1"}))
    return sid


PRESSES = [
    PressRecord(100.5, "lighter", "handset", 300.0, "upper_back", 21.4, "profile", 210.0),
    PressRecord(101.0, "stop", "page", 410.0, "lumbar", 29.3, "profile", math.nan),
    PressRecord(102.0, "deeper", "handset"),
]


def _same(a: PressRecord, b: PressRecord) -> bool:
    return all(
        (x == y) or (isinstance(x, float) and math.isnan(x) and math.isnan(y))
        for x, y in zip(a.__dict__.values(), b.__dict__.values(), strict=True)
    )


def test_presses_are_stored_with_the_session_and_read_back(tmp_path) -> None:
    with SQLiteStore(tmp_path / "s.db") as store:
        sid = _session(store)
        store.write(sid, Batch(presses=PRESSES[:2]))
        store.write(sid, Batch(presses=PRESSES[2:]))
    with open_store(tmp_path / "s.db", readonly=True) as store:
        back = store.presses(sid)
    assert len(back) == 3 and all(_same(a, b) for a, b in zip(back, PRESSES, strict=True))


def test_presses_are_copied_to_postgresql_once(tmp_path, pg_url: str) -> None:
    from ashisense.store.postgres import PostgresStore

    with SQLiteStore(tmp_path / "s.db") as src, PostgresStore(pg_url) as dst:
        sid = _session(src)
        src.write(sid, Batch(presses=PRESSES))
        first = copy_session(src, dst, sid)
        again = copy_session(src, dst, sid)
        back = dst.presses(first.target_id)
    assert first.rows_copied["presses"] == 3 and again.rows_copied["presses"] == 0
    assert len(back) == 3 and all(_same(a, b) for a, b in zip(back, PRESSES, strict=True))
