"""End to end on labelled simulated sessions: sim counts -> pipeline -> alarms, at 80 Hz.

Every injected dangerous episode is alarmed within its rule's condition delay + 100 ms of
the true onset (from the simulator's ground truth), and calm or stepping work raises no
high-priority alarm. The long figures (10 simulated hours) are in benchmarks/bench_alarms.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ashisense.alarms import Priority, load_rule_set
from ashisense.sim import PHASES
from tests.alarmsimkit import DANGEROUS, run_labelled, score

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RULES = load_rule_set(EXAMPLES / "rules" / "studio_default.toml")
RIG = EXAMPLES / "sim_rig.toml"


@pytest.mark.parametrize("scenario", sorted(DANGEROUS))
def test_every_dangerous_episode_is_alarmed_in_time(scenario: str) -> None:
    run = run_labelled(scenario, 300.0, RULES, RIG, seed=11)
    scores = [s for s in score(run, RULES) if s.phase == scenario]
    assert len(scores) >= 3, f"expected several {scenario} episodes in 5 minutes"
    not_alarmable = [s for s in scores if not s.alarmable]
    assert not not_alarmable, f"the truth never crossed the limit in {not_alarmable}"
    late = [s for s in scores if not s.in_time(0.1)]
    assert not late, f"missed or late: {late}"


@pytest.mark.parametrize("scenario", ["calm", "stepping"])
def test_normal_work_raises_no_high_priority_alarm(scenario: str) -> None:
    run = run_labelled(scenario, 900.0, RULES, RIG, seed=5)
    high = [e for e in run.raised() if e.priority is Priority.HIGH]
    assert high == []
    working = run.phase != PHASES.index("off")
    assert working.mean() > 0.5, "the therapist should be on the client most of the time"
