"""Helpers for the alarm tests: one-rule engines and synthetic signal blocks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ashisense.alarms import AlarmEngine, AlarmEvent, RuleSet, Transition, parse_rule_set

RATE_HZ = 80.0
W_N = 650.0  # therapist weight used by the synthetic signals


def engine_for(rule_toml: str, policy_toml: str = "") -> AlarmEngine:
    """An engine with the rules of a TOML snippet (one or more [[rule]] tables)."""
    return AlarmEngine(rules(rule_toml, policy_toml))


def no_data_rule(*, latching: bool | None = None) -> str:
    """A high-priority no-data rule (0.5 s without samples; clears 0.5 s after they are back),
    latching as the policy says unless `latching` says otherwise."""
    latch = "" if latching is None else f"latching = {str(latching).lower()}\n"
    return (
        '[[rule]]\nid = "no_data"\nkind = "no_data"\npriority = "high"\n'
        f"limit_s = 0.5\nclear_delay_s = 0.5\n{latch}"
    )


def rules(rule_toml: str, policy_toml: str = "") -> RuleSet:
    text = (f"[policy]\n{policy_toml}\n" if policy_toml else "") + rule_toml
    return parse_rule_set(text, "test.toml")


def times(duration_s: float, rate_hz: float = RATE_HZ, t0_s: float = 1000.0) -> np.ndarray:
    return t0_s + np.arange(round(duration_s * rate_hz)) / rate_hz


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
