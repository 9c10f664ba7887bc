"""The alarm log's order is causal, always: however the samples are cut into blocks and the
clock ticks fall between them, times never go back, and each rule's rows follow its states."""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pytest
from alarmkit import engine_for, no_data_rule, times
from hypothesis import given, settings
from hypothesis import strategies as st

from ashisense.alarms import AlarmEngine, AlarmEvent, AlarmState, Transition
from ashisense.alarms.defaults import studio_rules
from ashisense.sim import RigSimulator
from tests.alarmsimkit import truth_signals
from tests.simfeedkit import sim_profiles

NO_DATA = no_data_rule()


def _session() -> dict:
    """A minute of the no-go scenario's ground truth as alarm signals."""
    client, therapist = sim_profiles()
    truth = RigSimulator("no_go", seed=5).next_block(4800).truth
    return truth_signals(truth, client.body_map(), therapist.weight_n)


SESSION = _session()


def assert_causal(log: list[AlarmEvent]) -> None:
    """Times never go back; each rule's rows chain its states; a condition ends only after
    it was raised."""
    assert all(a.t_s <= b.t_s for a, b in itertools.pairwise(log))
    state: dict[str, AlarmState] = defaultdict(lambda: AlarmState.INACTIVE)
    condition: dict[str, bool] = defaultdict(bool)
    for ev in log:
        assert ev.from_state is state[ev.rule_id], ev
        state[ev.rule_id] = ev.state
        if ev.transition is Transition.RAISED:
            assert not condition[ev.rule_id], ev
            condition[ev.rule_id] = True
        elif ev.transition in (Transition.CONDITION_ENDED, Transition.CLEARED):
            assert condition[ev.rule_id], ev
            condition[ev.rule_id] = False


def test_a_late_block_after_a_tick_raised_no_data_ends_it_after_the_raise() -> None:
    # The 65 ms case: a tick raised no-data, then the samples that were on their way came in
    # (stamped before the tick): their condition end is logged after the raise, not before.
    eng = engine_for(NO_DATA)
    eng.process({"t_s": times(1.0, t0_s=99.0)})
    (up,) = eng.tick(100.6)
    down = eng.process({"t_s": times(1.0, t0_s=100.0)})
    assert (up.transition, down[0].transition) == (Transition.RAISED, Transition.CONDITION_ENDED)
    assert down[0].t_s >= up.t_s
    assert_causal(eng.log)


@settings(max_examples=25, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 4799), min_size=1, max_size=60),
    lags=st.lists(st.floats(0.0, 0.8), min_size=1, max_size=60),
    acks=st.lists(st.booleans(), min_size=1, max_size=60),
)
def test_chunked_feeds_with_ticks_and_acknowledgements_log_in_causal_order(
    cuts: list[int], lags: list[float], acks: list[bool]
) -> None:
    sig = SESSION
    eng = AlarmEngine.for_session(studio_rules(), sim_profiles()[0])
    edges = [0, *sorted(set(cuts)), len(sig["t_s"])]
    for k, (a, b) in enumerate(itertools.pairwise(edges)):
        eng.process({key: v[a:b] if np.ndim(v) else v for key, v in sig.items()})
        host_s = float(sig["t_s"][b - 1]) + lags[k % len(lags)]  # the host runs behind
        eng.tick(host_s)
        if acks[k % len(acks)]:
            eng.acknowledge(host_s)
    assert any(e.transition is Transition.RAISED for e in eng.log)
    assert_causal(eng.log)


@pytest.mark.parametrize("size", [1, 8, 333])
def test_every_block_size_logs_in_causal_order(size: int) -> None:
    eng = AlarmEngine.for_session(studio_rules(), sim_profiles()[0])
    n = len(SESSION["t_s"])
    for a in range(0, n, size):
        eng.process({k: v[a : a + size] if np.ndim(v) else v for k, v in SESSION.items()})
        eng.tick(float(SESSION["t_s"][min(a + size, n) - 1]) + 0.05)
    assert_causal(eng.log)
