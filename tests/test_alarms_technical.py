"""Technical alarms: a stale link (ticks and replays), lost samples, bad channels."""

from __future__ import annotations

import numpy as np
import pytest
from alarmkit import engine_for, no_data_rule, raised, rules, run, times

from ashisense.alarms import AlarmEngine, BindContext, Transition
from ashisense.alarms.technical import LinkHealth, PortSilence
from firmware_bridge.blocks import Gap, SampleBlock

NO_DATA = no_data_rule(latching=False)


def _after_a_second_of_samples() -> tuple[AlarmEngine, float]:
    """A no-data engine fed a second of samples, and the last sample's time."""
    eng = engine_for(NO_DATA)
    t = times(1.0)
    run(eng, {"t_s": t})
    return eng, float(t[-1])


def test_a_dead_link_alarms_on_clock_ticks_alone() -> None:
    eng, last = _after_a_second_of_samples()
    assert eng.tick(last + 0.4) == []
    (ev,) = eng.tick(last + 0.6)
    assert (ev.transition, ev.value) == (Transition.RAISED, pytest.approx(0.6))
    assert "0.6 s" in ev.message
    back = run(eng, {"t_s": times(2.0, t0_s=last + 5.0)})
    assert [e.transition for e in back] == [Transition.CLEARED]
    assert back[0].t_s == pytest.approx(last + 5.5)


def test_a_replayed_gap_alarms_when_live_ticks_would_have() -> None:
    eng, last = _after_a_second_of_samples()
    events = run(eng, {"t_s": times(2.0, t0_s=last + 3.0)})  # no ticks in between
    assert [e.transition for e in events] == [Transition.RAISED, Transition.CLEARED]
    assert events[0].t_s == pytest.approx(last + 0.5, abs=1e-6)


def test_a_session_that_never_starts_streaming_alarms() -> None:
    eng = engine_for(NO_DATA)
    assert eng.tick(100.0) == []
    assert raised(eng.tick(100.6))


def _ticks(
    eng: AlarmEngine, silence: PortSilence, host_s: list[float], received: list[int]
) -> list:
    """Clock ticks at host times, the reader's sample count at each; the rows they logged."""
    return [
        ev
        for h, n in zip(host_s, received, strict=True)
        for ev in eng.tick(h, silence.seen_s(h, n))
    ]


def test_a_dispatcher_running_behind_a_live_port_raises_no_no_data_alarm() -> None:
    # A 0.6 s stall of the consumers with no lost samples: the reader keeps counting
    # samples, the ticks come on time, the blocks come late but contiguous in device time.
    (eng, last), silence = _after_a_second_of_samples(), PortSilence(tick_s=0.25)
    ticks = [last + 0.25 * k for k in range(1, 5)]
    assert _ticks(eng, silence, ticks, [80 + 20 * k for k in range(1, 5)]) == []
    assert run(eng, {"t_s": times(1.0, t0_s=last + 1 / 80)}) == []
    assert eng.tick(last + 1.1) == []  # and the samples themselves are fresh


def test_a_tick_that_came_late_with_the_whole_host_raises_no_no_data_alarm() -> None:
    # Both cores busy: the ticker and the reader stalled together for 0.6 s; the late tick
    # cannot tell a silent port from a stalled reader, the next one on time does.
    (eng, last), silence = _after_a_second_of_samples(), PortSilence(tick_s=0.25)
    assert _ticks(eng, silence, [last + 0.1, last + 0.7], [80, 80]) == []
    assert run(eng, {"t_s": times(0.7, t0_s=last + 1 / 80)}) == []
    after = float(times(0.7, t0_s=last + 1 / 80)[-1])
    assert _ticks(eng, silence, [after + 0.05, after + 0.3], [136, 140]) == []


def test_a_real_silence_on_the_port_raises_no_data_within_a_tick_of_the_limit() -> None:
    (eng, last), silence = _after_a_second_of_samples(), PortSilence(tick_s=0.25)
    ticks = [last + 0.25 * k for k in range(1, 5)]
    events = _ticks(eng, silence, ticks, [80] * 4)  # the reader counts nothing more
    (up,) = raised(events)
    assert 0.5 < up.t_s - last <= 0.75


def _block(
    t0_s: float,
    counts: np.ndarray,
    invalid: np.ndarray | None = None,
    channels: tuple[str, ...] = ("a", "b", "c"),
) -> SampleBlock:
    n, c = counts.shape
    t = t0_s + np.arange(n) / 80.0
    return SampleBlock(
        t_s=t,
        t_device_s=t.copy(),
        seq=np.arange(n, dtype=np.int64),
        counts=counts.astype(np.int32),
        invalid=np.zeros((n, c), bool) if invalid is None else invalid,
        channels=channels,
    )


def _noisy(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(-40, 40, (n, 3)) + 1000


CHANNELS = """
[[rule]]
id = "invalid"
kind = "channel_flags"
priority = "medium"
signal = "invalid_mask"
[[rule]]
id = "saturated"
kind = "channel_flags"
priority = "medium"
signal = "saturated_mask"
[[rule]]
id = "flat"
kind = "channel_flags"
priority = "medium"
signal = "flat_mask"
[[rule]]
id = "lost"
kind = "lost_rate"
priority = "medium"
limit_pct = 1.0
window_s = 10.0
"""


def test_link_health_flags_invalid_saturated_and_stuck_channels_by_name() -> None:
    health = LinkHealth(("bar_left_head", "bar_left_foot", "mat_head_left"), flat_s=2.0)
    eng = AlarmEngine(rules(CHANNELS), BindContext(channel_names=health.channels))
    counts = _noisy(800)
    counts[100:120, 1] = 2**23 - 1  # saturated 250 ms
    counts[300:, 2] = 1234  # stuck from 3.75 s
    invalid = np.zeros((800, 3), bool)
    invalid[600:610, 0] = True
    events = []
    for i in range(0, 800, 8):
        block = _block(1000 + i / 80, counts[i : i + 8], invalid[i : i + 8], health.channels)
        events += eng.process({"t_s": block.t_s, **health.signals(block)})
    got = {e.rule_id: e for e in raised(events)}
    assert set(got) == {"invalid", "saturated", "flat"}
    assert "bar_left_foot" in got["saturated"].message
    assert "mat_head_left" in got["flat"].message
    assert got["flat"].t_s == pytest.approx(1000 + 300 / 80 + 2.0, abs=1 / 80)
    assert "bar_left_head" in got["invalid"].message


def test_lost_samples_above_the_rate_alarm_once_and_clear() -> None:
    health = LinkHealth(("a", "b", "c"))
    eng = engine_for(CHANNELS)
    events = []
    t0 = 1000.0
    for k in range(300):  # 30 s of 8-sample blocks (10 blocks a second)
        if k in (100, 101, 102):
            health.on_gap(Gap(t0, t0 + 0.05, lost=4, reason="crc"))  # 12 lost of ~800
        block = _block(t0, _noisy(8, k))
        events += eng.process({"t_s": block.t_s, **health.signals(block)})
        t0 += 0.1
    lost = [e for e in events if e.rule_id == "lost"]
    assert [e.transition for e in lost] == [Transition.RAISED, Transition.CLEARED]
    assert lost[0].value > 1.0 and "%" in lost[0].message
