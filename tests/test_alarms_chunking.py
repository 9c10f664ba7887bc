"""The whole studio rule set gives the same alarm log however a session is cut into blocks."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ashisense.alarms import AlarmEngine, load_rule_set
from ashisense.sim import RigSimulator
from tests.alarmsimkit import truth_signals
from tests.simfeedkit import sim_profiles

RULES = load_rule_set(Path(__file__).resolve().parents[1] / "examples/rules/studio_default.toml")


def session(scenario: str) -> dict:
    """Two minutes of a scenario's ground truth as alarm signals (every kind has work)."""
    client, therapist = sim_profiles()
    truth = RigSimulator(scenario, seed=3).next_block(9600).truth
    sig = truth_signals(truth, client.body_map(), therapist.weight_n)
    sig["lost_n"] = np.where(np.arange(9600) % 997 == 0, 3.0, 0.0)
    return sig


SESSIONS = {name: session(name) for name in ("grip_loss", "impact", "no_go")}


def log_of(sig: dict, cuts: list[int]) -> list[tuple]:
    engine = AlarmEngine.for_session(RULES, sim_profiles()[0])
    edges = [0, *sorted(set(cuts)), len(sig["t_s"])]
    for a, b in itertools.pairwise(edges):
        engine.process({k: v[a:b] if np.ndim(v) else v for k, v in sig.items()})
    return [(e.t_s, e.rule_id, str(e.transition), e.value, e.message) for e in engine.log]


@pytest.mark.parametrize("scenario", sorted(SESSIONS))
def test_one_pass_raises_the_scenarios_alarms(scenario: str) -> None:
    raised = {e[1] for e in log_of(SESSIONS[scenario], []) if e[2] == "raised"}
    assert {"grip_loss": "grip_loss", "impact": "impact", "no_go": "no_go"}[scenario] in raised


@settings(max_examples=15, deadline=None)
@given(
    st.sampled_from(sorted(SESSIONS)),
    st.lists(st.integers(1, 9599), min_size=1, max_size=40),
    st.integers(1, 3),
)
def test_any_cutting_gives_the_same_log(scenario: str, cuts: list[int], tiny: int) -> None:
    sig = SESSIONS[scenario]
    cuts = cuts + list(range(1, 1 + tiny))  # blocks of one sample at the start, too
    assert log_of(sig, cuts) == log_of(sig, [])
