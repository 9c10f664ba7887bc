"""Alarms on labelled simulated sessions: the figures the alarm engine is judged by.

A simulated session runs through the real path (RigSimulator counts -> Pipeline ->
AlarmEngine) and, beside it, a second engine reads the simulator's ground truth. Each
labelled dangerous episode (a run of one scenario phase) is then scored: the truth engine
says when the condition really began (its alarm time minus the rule's delay), the live
engine says when the therapist was told.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ashisense.alarms.engine import AlarmEngine
from ashisense.alarms.events import AlarmEvent, Transition
from ashisense.alarms.rules import RuleSet
from ashisense.alarms.signals import signals_from_estimate
from ashisense.alarms.technical import CalibrationHealth, LinkHealth
from ashisense.bodymap import BodyMap
from ashisense.pipeline.core import Pipeline
from ashisense.profiles import ClientProfile
from ashisense.rig import load_rig
from ashisense.sim import PHASES, RigSimulator, SimTruth
from tests.simfeedkit import sample_block, sim_profiles

# Dangerous phases of the simulator and the studio rule that must catch each.
DANGEROUS: dict[str, str] = {
    "overload": "feet_overload",
    "no_go": "no_go",
    "grip_loss": "grip_loss",
    "unsupported": "unsupported",
    "impact": "impact",
}
CLIENT_KG = 70.0
THERAPIST_KG = 65.0


def truth_signals(truth: SimTruth, body: BodyMap, therapist_weight_n: float) -> dict:
    """The alarm signals of the simulator's ground truth (what a perfect pipeline would say)."""
    bar_n = truth.bar_left_n + truth.bar_right_n
    with np.errstate(invalid="ignore", divide="ignore"):
        left_share = np.where(bar_n > 0, truth.bar_left_n / bar_n, np.nan)
    return {
        "t_s": truth.t_s,
        "feet_n": truth.feet_n,
        "bar_n": bar_n,
        "bar_left_n": truth.bar_left_n,
        "bar_right_n": truth.bar_right_n,
        "bar_left_share": left_share,
        "feet_x_m": truth.feet_x_m,
        "feet_y_m": truth.feet_y_m,
        "region": body.classify(truth.feet_x_m, truth.feet_y_m),
        "support_ratio": (bar_n + truth.feet_n) / therapist_weight_n,
        "therapist_weight_n": therapist_weight_n,
    }


@dataclass
class LabelledRun:
    """One simulated session: the live and truth alarm logs, and the phase of every sample."""

    scenario: str
    duration_s: float
    live: list[AlarmEvent]
    truth: list[AlarmEvent]
    t_s: np.ndarray
    phase: np.ndarray

    def raised(self, log: str = "live") -> list[AlarmEvent]:
        events = self.live if log == "live" else self.truth
        return [e for e in events if e.transition is Transition.RAISED]


def run_labelled(
    scenario: str,
    duration_s: float,
    rules: RuleSet,
    rig_path: str | Path,
    seed: int = 0,
    rate_hz: float = 80.0,
    block: int = 400,
    client: ClientProfile | None = None,
    operator: Callable[[AlarmEngine, float], None] | None = None,
) -> LabelledRun:
    """Run `scenario` for duration_s through sim, pipeline and alarms (with the link and
    calibration health signals), beside a truth engine. client: another profile of the
    simulated client (its limits); operator(engine, t_s): called after each block with the
    live engine and the block's last time (a therapist acknowledging alarms)."""
    sim_client, therapist = sim_profiles(CLIENT_KG, THERAPIST_KG)
    client = client or sim_client
    sim = RigSimulator(
        scenario, rate_hz=rate_hz, seed=seed, client_kg=CLIENT_KG, therapist_kg=THERAPIST_KG
    )
    rig = load_rig(rig_path)
    pipeline = Pipeline(rig, client, therapist, rate_hz=rate_hz)
    calibration = CalibrationHealth(rig)
    live = AlarmEngine.for_session(
        rules, client, channel_names=sim.channels, signal_limits=calibration.limits
    )
    truth = AlarmEngine.for_session(rules, client, channel_names=sim.channels)
    health = LinkHealth(sim.channels)
    body = client.body_map()
    times, phases = [], []
    n_total = round(duration_s * rate_hz)
    for first in range(0, n_total, block):
        b = sim.next_block(min(block, n_total - first))
        samples = sample_block(b.t_s, b.counts, b.invalid, sim.channels, first)
        est = pipeline.process(samples)
        signals = signals_from_estimate(est, rig.kind)
        live.process(signals | health.signals(samples) | calibration.signals(samples))
        truth.process(truth_signals(b.truth, body, therapist.weight_n))
        if operator is not None:
            operator(live, float(b.t_s[-1]))
        times.append(b.t_s)
        phases.append(b.truth.phase)
    return LabelledRun(
        scenario, duration_s, live.log, truth.log, np.concatenate(times), np.concatenate(phases)
    )


def episodes(t_s: np.ndarray, phase: np.ndarray, name: str) -> Iterator[tuple[float, float]]:
    """(start_s, end_s) of each run of consecutive samples in the named phase."""
    inside = np.concatenate([[False], phase == PHASES.index(name), [False]])
    edges = np.flatnonzero(np.diff(inside.astype(np.int8)))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        yield float(t_s[a]), float(t_s[b - 1])


@dataclass(frozen=True)
class EpisodeScore:
    """How one dangerous episode was alarmed.

    onset_s: when the condition truly began (truth alarm minus the rule's delay; NaN when the
    truth never crossed the limit: the episode was not alarmable). alarm_s: the live alarm
    (NaN when missed). latency_s: alarm_s - onset_s.
    """

    phase: str
    rule_id: str
    start_s: float
    end_s: float
    onset_s: float
    alarm_s: float
    delay_s: float

    @property
    def alarmable(self) -> bool:
        return not math.isnan(self.onset_s)

    @property
    def detected(self) -> bool:
        return not math.isnan(self.alarm_s)

    @property
    def latency_s(self) -> float:
        return self.alarm_s - self.onset_s

    def in_time(self, margin_s: float = 0.1) -> bool:
        """Alarmed within the rule's condition delay + margin_s of the true onset."""
        return self.detected and self.latency_s <= self.delay_s + margin_s


def score(
    run: LabelledRun, rules: RuleSet, dangerous: Mapping[str, str] = DANGEROUS
) -> list[EpisodeScore]:
    """Score every dangerous episode of a run (phases the mapping names)."""
    out = []
    for phase, rule_id in dangerous.items():
        delay_s = rules.get(rule_id).delay_s
        truth = [e.t_s for e in run.raised("truth") if e.rule_id == rule_id]
        live = [e.t_s for e in run.raised("live") if e.rule_id == rule_id]
        for start_s, end_s in episodes(run.t_s, run.phase, phase):
            hits = [t for t in truth if start_s <= t <= end_s + delay_s]
            onset_s = hits[0] - delay_s if hits else math.nan
            # A live alarm belongs to the episode from a second before it to a late limit
            # of one second after the true alarm (later than that is a miss, scored as such).
            latest_s = (hits[0] if hits else end_s + delay_s) + 1.0
            alarms = [t for t in live if start_s - 1.0 <= t <= latest_s]
            out.append(
                EpisodeScore(
                    phase,
                    rule_id,
                    start_s,
                    end_s,
                    onset_s,
                    alarms[0] if alarms else math.nan,
                    delay_s,
                )
            )
    return out
