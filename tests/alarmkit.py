"""Helpers for the alarm tests: one-rule engines and synthetic signal blocks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ashisense.alarms import AlarmEngine, AlarmEvent, RuleSet, Transition, parse_rule_set
from ashisense.pipeline.types import SERIES, EstimateBlock

RATE_HZ = 80.0
W_N = 650.0  # therapist weight used by the synthetic signals


def engine_for(rule_toml: str, policy_toml: str = "") -> AlarmEngine:
    """An engine with the rules of a TOML snippet (one or more [[rule]] tables)."""
    return AlarmEngine(rules(rule_toml, policy_toml))


def rules(rule_toml: str, policy_toml: str = "") -> RuleSet:
    text = (f"[policy]\n{policy_toml}\n" if policy_toml else "") + rule_toml
    return parse_rule_set(text, "test.toml")


def times(duration_s: float, rate_hz: float = RATE_HZ, t0_s: float = 1000.0) -> np.ndarray:
    return t0_s + np.arange(round(duration_s * rate_hz)) / rate_hz


def estimate_block(
    t_s: np.ndarray, fill: float, pressure_basis: str, **series: np.ndarray
) -> EstimateBlock:
    """An estimate block at t_s: every series at fill unless given, one channel, a therapist
    of 640 N and a 700 N client (the engine's and the press tracker's input)."""
    n = len(t_s)
    fields: dict[str, object] = {name: np.full(n, fill) for name in SERIES}
    fields.update(
        t_s=t_s,
        region=np.full(n, 3, np.int8),
        no_go=np.zeros(n, bool),
        uncertain=np.zeros(n, bool),
        uncertain_reason=np.zeros(n, np.uint16),
        channels=("a",),
        force_n=np.ones((n, 1)),
        pressure_basis=pressure_basis,
        baseline_ready=True,
        client_n=700.0,
        client_cop_x_m=0.9,
        client_cop_y_m=0.0,
        therapist_weight_n=640.0,
        weight_source="profile",
    )
    fields.update(series)
    return EstimateBlock(**fields)  # type: ignore[arg-type]


def blocks(signals: Mapping[str, Any], size: int = 8) -> Iterator[dict[str, Any]]:
    """Cut whole-session signals into consecutive blocks of `size` samples."""
    n = len(signals["t_s"])
    for i in range(0, n, size):
        yield {k: v[i : i + size] if np.ndim(v) else v for k, v in signals.items()}


def run(engine: AlarmEngine, signals: Mapping[str, Any], size: int = 8) -> list[AlarmEvent]:
    """Feed a session block by block; all the rows it logged."""
    out: list[AlarmEvent] = []
    for block in blocks(signals, size):
        out += engine.process(block)
    return out


def raised(events: list[AlarmEvent], rule_id: str | None = None) -> list[AlarmEvent]:
    return [
        e
        for e in events
        if e.transition is Transition.RAISED and (rule_id is None or e.rule_id == rule_id)
    ]
