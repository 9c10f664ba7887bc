"""One hazard, one alarm: the rules watching one physical hazard folded into one status, and
the binding feet-force limit at each sample.

A therapist pressing too hard on the upper back trips the studio's overload rule and the
client's own upper-back limit at once. That is one hazard: one alarm, citing the binding
limit (the lowest that applies there at that moment), the other rule folded in as a cause.
Hazards are keyed by `RuleSpec.hazard_key`: every limit on the feet force (overload, no-go
regions, the lumbar band, a client's region limits) is one hazard; a grip loss, an impact, an
unsupported stance, off-rig support, imbalance, dwell and each technical fault are hazards of
their own, since what the therapist must do about each differs. The log keeps every rule's
rows; only what a person sees is folded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ashisense.alarms.events import (
    STATE_URGENCY,
    AlarmEvent,
    AlarmState,
    AlarmStatus,
    HazardStatus,
    Priority,
)
from ashisense.alarms.kinds import RuleSpec, Signals
from ashisense.alarms.kinds.force import RegionForce
from ashisense.alarms.wording import DISPLAY_UNITS


def _binding_order(s: AlarmStatus) -> tuple[bool, float, int]:
    """Sort key: condition holding first, then the tightest limit, then the priority."""
    tight = s.limit if s.direction == "above" else -s.limit
    return (not s.condition, math.inf if math.isnan(tight) else tight, s.priority.rank)


def hazard_text(causes: Sequence[AlarmStatus], specs: Mapping[str, RuleSpec], unit: str) -> str:
    """The words of one hazard in the display unit: the binding cause with its value (the
    episode's peak) and limit, then the folded causes by title with their limits."""
    lead, others = causes[0], causes[1:]
    spec = specs.get(lead.rule_id)
    value = lead.value if math.isnan(lead.peak) else lead.peak
    text = spec.wording(lead.where, value, lead.limit, unit) if spec else lead.message
    folded = []
    for other in others:
        other_spec = specs.get(other.rule_id)
        limit = f" (limit {other_spec.fmt(other.limit, unit)})" if other_spec else ""
        folded.append(f"{other.title}{limit}")
    return text + (f"; also over: {', '.join(folded)}" if folded else "")


def fold(statuses: Sequence[AlarmStatus], specs: Mapping[str, RuleSpec]) -> list[HazardStatus]:
    """The shown alarms, one per hazard: sounding first, then by priority.

    specs: the engine's rules by id (for the words, in every display unit).
    """
    groups: dict[str, list[AlarmStatus]] = {}
    for s in statuses:
        if s.shown:
            groups.setdefault(s.hazard or s.rule_id, []).append(s)
    hazards = []
    for key, rows in groups.items():
        rows.sort(key=_binding_order)
        lead, others = rows[0], sorted(rows[1:], key=lambda s: (s.priority.rank, s.limit))
        causes = (lead, *others)
        texts: dict[str, str] = {u: hazard_text(causes, specs, u) for u in DISPLAY_UNITS}
        hazards.append(HazardStatus(key, causes, texts))
    return sorted(
        hazards, key=lambda h: (STATE_URGENCY.index(h.state), h.priority.rank, h.lead.title)
    )


@dataclass(frozen=True)
class LimitSource:
    """A rule that can bind the feet force: its id, title, and regions (() = everywhere)."""

    rule_id: str
    title: str
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class BindingLimits:
    """The feet-force limit that held at each sample of a block and the rule it came from.

    limit_n: (n,) float64, NaN where no rule limits the feet force. source: (n,) int64, an
    index into `sources`, -1 where none. This is the limit an alarm on the feet force cites
    at that moment, so a display draws the limit that held then, not the one that holds now.
    """

    limit_n: np.ndarray
    source: np.ndarray
    sources: tuple[LimitSource, ...]

    def source_at(self, i: int) -> LimitSource | None:
        """The rule whose limit held at sample i (None when none did)."""
        k = int(self.source[i])
        return self.sources[k] if k >= 0 else None


def binding_limits(specs: Sequence[RuleSpec], sig: Signals) -> BindingLimits:
    """The lowest feet-force limit applying at each sample, among `specs` (the rules that
    alarm now: enabled, evaluated and not switched off) whose signals are in `sig`."""
    n = int(np.shape(sig["t_s"])[0])
    limit_n = np.full(n, np.nan)
    source = np.full(n, -1, dtype=np.int64)
    sources: list[LimitSource] = []
    for spec in specs:
        if any(name not in sig for name in spec.required_signals()):
            continue
        applies = spec.limit_applies(sig)
        if applies is None:
            continue
        lower = applies & ~(limit_n <= spec.limit_value)  # NaN (no limit yet) is lowered too
        regions = spec.regions if isinstance(spec, RegionForce) else ()
        limit_n[lower] = spec.limit_value
        source[lower] = len(sources)
        sources.append(LimitSource(spec.id, spec.title(), regions))
    return BindingLimits(limit_n, source, tuple(sources))


@dataclass(frozen=True)
class Banner:
    """One alarm as a person saw it, rebuilt from the log: a hazard shown from start_s to
    end_s (NaN: still shown at the log's end), its highest priority while shown, and the
    rules that were its causes (the binding one among them)."""

    hazard: str
    start_s: float
    end_s: float
    priority: Priority
    rule_ids: tuple[str, ...]


def banners(log: Iterable[AlarmEvent]) -> list[Banner]:
    """The alarms a person saw, one per hazard episode, from a complete alarm log (every
    rule's rows): what the folded display showed, for figures and reports."""
    shown: dict[str, set[str]] = {}
    current: dict[str, Banner] = {}
    out: list[Banner] = []
    for ev in log:
        key = ev.hazard or ev.rule_id
        rules = shown.setdefault(key, set())
        was_shown = bool(rules)
        if ev.state is AlarmState.INACTIVE:
            rules.discard(ev.rule_id)
        else:
            rules.add(ev.rule_id)
        if rules and ev.state not in (AlarmState.INACTIVE, AlarmState.OFF):
            b = current.get(key) or Banner(key, ev.t_s, math.nan, ev.priority, ())
            priority = min(b.priority, ev.priority, key=lambda p: p.rank)
            ids = tuple(dict.fromkeys((*b.rule_ids, ev.rule_id)))
            current[key] = Banner(key, b.start_s, math.nan, priority, ids)
        if was_shown and not rules and key in current:
            b = current.pop(key)
            out.append(Banner(key, b.start_s, ev.t_s, b.priority, b.rule_ids))
    out.extend(current.values())
    return sorted(out, key=lambda b: b.start_s)
