"""The alarm engine: rules evaluated per block, vectorized over samples, state carried.

Feed it blocks of signals (`process`), clock ticks (`tick`, so a dead link still alarms) and
operator actions (`acknowledge`, `pause_audio`, `set_alarm_off`). Every transition becomes an
AlarmEvent row, kept in `log`, returned, and handed to each listener (the recorder). What a
person sees is `hazards()`: one alarm per physical hazard (hazards.py), in the display unit.
Thread-safe: the acquisition thread and the user interface may call it concurrently.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ashisense.alarms.errors import AlarmPolicyError, UnknownRuleError
from ashisense.alarms.events import (
    STATE_URGENCY,
    AlarmEvent,
    AlarmStatus,
    HazardStatus,
    Priority,
    RuleLabel,
    Transition,
)
from ashisense.alarms.hazards import BindingLimits, binding_limits, fold
from ashisense.alarms.kinds import BindContext, Measure, Measurer, RuleSpec, Signals
from ashisense.alarms.kinds.client import ClientButton
from ashisense.alarms.kinds.force import FEET_FORCE_HAZARD
from ashisense.alarms.kinds.fused import Fused, FusedMeasures
from ashisense.alarms.limits import ClientLimits, ContraindicationMap, tighten_for_client
from ashisense.alarms.rules import RuleSet
from ashisense.alarms.settle import RuleArrays
from ashisense.alarms.signals import as_signals
from ashisense.alarms.state import AlarmStateMachine
from ashisense.alarms.timing import ConditionTimer

log = logging.getLogger(__name__)

AlarmListener = Callable[[AlarmEvent], None]


class _Bound:
    """A rule at work in one session: its spec, timer and alarm state; its value and peak
    live in the engine's RuleArrays at `index` (its measure: the engine's _EngineMeasures)."""

    def __init__(
        self, spec: RuleSpec, alarm: AlarmStateMachine, state: RuleArrays, index: int
    ) -> None:
        self.spec, self.alarm = spec, alarm
        self.timer = ConditionTimer(spec.delay_s, spec.clear_delay_s)
        self.state, self.index = state, index
        self.available: bool | None = None
        self.missing: tuple[str, ...] = ()
        # the spec's, read once: every block compares with them
        self.limit = spec.limit_value
        self.hysteresis = spec.hysteresis_value
        self.above = spec.direction == "above"
        self.sync()

    @property
    def value(self) -> float:
        """The last known measured value."""
        return float(self.state.value[self.index])

    @value.setter
    def value(self, x: float) -> None:
        self.state.value[self.index] = x

    @property
    def peak(self) -> float:
        """The most extreme value of the current (or last) episode."""
        return float(self.state.peak[self.index])

    @peak.setter
    def peak(self, x: float) -> None:
        self.state.peak[self.index] = x

    def sync(self) -> None:
        """Copy the timer's condition and waiting verdict into the shared arrays, with the
        test of the verdict that can change the condition (RuleArrays.set_verdict)."""
        state, i = self.state, self.index
        state.active[i], state.waiting[i] = self.timer.active, self.timer.waiting
        state.set_verdict(i, self.above, self.limit, self.hysteresis)


@dataclass
class _Compiled:
    """The rules one set of signal names lets the engine evaluate, where their values live in
    the engine's RuleArrays, and how they are measured: rows of the engine's FusedMeasures
    (`fused`: [row, place among `rules`]) or each by its own measurer (`plain`: place,
    measurer)."""

    missing: list[tuple[_Bound, tuple[str, ...]]]
    rules: list[_Bound]
    needs: tuple[str, ...]  # the signals they use
    index: np.ndarray
    fused: np.ndarray
    plain: list[tuple[int, Measurer]]
    detailed: list[bool]  # per place: a fused row with a detail its message names

    @classmethod
    def of(
        cls, missing: list[tuple[_Bound, tuple[str, ...]]], measures: _EngineMeasures
    ) -> _Compiled:
        rules = [rt for rt, lacks in missing if not lacks]
        needs = dict.fromkeys(s for rt in rules for s in rt.spec.read_signals())
        places = np.array([rt.index for rt in rules], dtype=np.intp)
        rows = [measures.row.get(rt.index, -1) for rt in rules]
        fused = np.array([(r, p) for p, r in enumerate(rows) if r >= 0], dtype=np.int64)
        plain = [
            (p, measures.own[rt.index]) for p, rt in enumerate(rules) if rt.index in measures.own
        ]
        detailed = [r >= 0 and measures.fused.detailed[r] for r in rows]
        return cls(missing, rules, tuple(needs), places, fused.reshape(-1, 2), plain, detailed)


@dataclass
class _EngineMeasures:
    """How an engine measures its rules, state carried for the whole session: the fused rows
    and each fused rule's row by its index; the other rules' own measurers by index."""

    fused: FusedMeasures
    row: dict[int, int]
    own: dict[int, Measurer]

    @classmethod
    def of(cls, specs: Sequence[RuleSpec], ctx: BindContext) -> _EngineMeasures:
        rows: list[Fused] = []
        row: dict[int, int] = {}
        own: dict[int, Measurer] = {}
        for i, spec in enumerate(specs):
            found = spec.fused(ctx)
            if found is None:
                own[i] = spec.measurer(ctx)
            else:
                row[i] = len(rows)
                rows.append(found)
        return cls(FusedMeasures(rows), row, own)


def _newest_known(values: np.ndarray, known: np.ndarray, carry: np.ndarray) -> np.ndarray:
    """Per row of (k, n) values, the newest one that is known, else that row's `carry`."""
    if np.count_nonzero(known[:, -1]) == known.shape[0]:  # the usual case: a known last sample
        return values[:, -1]
    rows = np.arange(values.shape[0])
    newest = values.shape[1] - 1 - np.argmax(known[:, ::-1], axis=1)
    return np.where(known[rows, newest], values[rows, newest], carry)


def _measure_arrays(k: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A block's measures for k rules to fill: value (k, n), applies (k, n) bool (where the
    rule's limit holds) and detail (k, n) int64 (what a message names: a region, a hand)."""
    return np.empty((k, n)), np.empty((k, n), dtype=bool), np.empty((k, n), dtype=np.int64)


def _crossing_s(spec: RuleSpec) -> float:
    """How long after the newest sample a ticking rule's value crosses its limit."""
    return spec.limit_value * (1 + 1e-9) + 1e-9


def _last_known(values: np.ndarray, carry: float) -> np.ndarray:
    """Each value, or the last known one before it where it is NaN."""
    idx = np.where(np.isnan(values), -1, np.arange(values.shape[0]))
    np.maximum.accumulate(idx, out=idx)
    return np.where(idx >= 0, values[np.maximum(idx, 0)], carry)


class AlarmEngine:
    """Evaluates a rule set over a session. Build it with `for_session` to apply a client.

    rule_set: the rules as they apply (already tightened for the client). ctx: client weight
    and channel names. notes: how the limits were tightened (kept for the log and reports).
    """

    def __init__(
        self, rule_set: RuleSet, ctx: BindContext | None = None, notes: Sequence[str] = ()
    ) -> None:
        self.ctx = ctx or BindContext()
        self.rule_set = rule_set.with_rules(r.for_client(self.ctx) for r in rule_set)
        self.notes = list(notes)
        self.log: list[AlarmEvent] = []
        self.skipped_samples = 0  # samples refused for coming before the previous block's end
        specs = [spec for spec in self.rule_set if spec.enabled]
        self._state = RuleArrays(len(specs))
        self._measures = _EngineMeasures.of(specs, self.ctx)
        self._rules: dict[str, _Bound] = {
            spec.id: _Bound(
                spec,
                AlarmStateMachine(
                    RuleLabel(
                        spec.id, spec.priority, spec.title(), spec.value_unit, spec.hazard_key()
                    ),
                    self.rule_set.latches(spec),
                ),
                self._state,
                i,
            )
            for i, spec in enumerate(specs)
        }
        self._ticking = [rt for rt in self._rules.values() if rt.spec.ticking]
        # a block starting this soon after the last needs no tick replayed (_catch_up)
        self._no_catch_up_s = min((_crossing_s(rt.spec) for rt in self._ticking), default=math.inf)
        self._pausing = False  # some alarm's audio is paused (_expire has work)
        # the rules a block can evaluate, by the set of signals it carries (it seldom changes)
        self._compiled: dict[frozenset[str], _Compiled] = {}
        self._current: _Compiled | None = None  # the previous block's: availability settled
        # the previous block's signal names, in order, and their rules
        self._named: tuple[tuple[str, ...], _Compiled | None] = ((), None)
        self._listeners: list[AlarmListener] = []
        self._context: dict[str, float] = {}
        self._lock = threading.RLock()
        self._last_t_s = math.nan  # newest sample
        self._log_t_s = -math.inf  # newest row of the log: no row is stamped before it
        self._last_tick_s = math.nan
        self._first_tick_s = math.nan

    @classmethod
    def for_session(
        cls,
        rule_set: RuleSet,
        client: Any = None,
        contraindications: ContraindicationMap | None = None,
        channel_names: Iterable[str] = (),
        signal_limits: Mapping[str, float] | None = None,
    ) -> AlarmEngine:
        """An engine with the studio's rules tightened for this client (see limits.py).

        client: a ClientProfile, a dict with its keys, or None (studio limits only).
        signal_limits: the rig's limits for named signals (BindContext.signal_limits).
        """
        rules, notes = tighten_for_client(rule_set, client, contraindications)
        ctx = BindContext(
            ClientLimits.of(client).weight_n, tuple(channel_names), dict(signal_limits or {})
        )
        return cls(rules, ctx, notes)

    # -- listeners and context -------------------------------------------------------------

    def add_listener(self, listener: AlarmListener) -> None:
        """Call listener(event) for every transition from now on (in the caller's thread)."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: AlarmListener) -> None:
        with self._lock:
            self._listeners.remove(listener)

    def set_context(self, **values: float) -> None:
        """Session-wide values every block gets unless it carries its own (for example the
        recorder's recorder_fault, or a fixed therapist_weight_n)."""
        with self._lock:
            self._context.update(values)
            self._named = ((), None)  # the next block compiles with the new names

    # -- evaluation ------------------------------------------------------------------------

    def process(self, signals: Mapping[str, Any]) -> list[AlarmEvent]:
        """Evaluate one block of signals (see signals.py); returns the transitions it caused.

        Samples not after the previous block's last (a device that restarted, a replay
        overlapping) are skipped with a warning: alarms keep running on the rest. Raises
        SignalError for malformed signals (those the rules use: the others are not read).
        """
        with self._lock:
            compiled = self._compile(signals)
            sig = as_signals(signals, self._context, compiled.needs)
            t_s = sig["t_s"]
            last_s = self._last_t_s
            stale = 0
            if t_s[0] <= last_s:  # some samples not after the last block's (NaN: none)
                stale = int(np.searchsorted(t_s, last_s, side="right"))
            if stale:
                log.warning(
                    "alarms: skipped %d samples not after the previous block's last time "
                    "%.6f (first %.6f)",
                    stale,
                    self._last_t_s,
                    t_s[0],
                )
                self.skipped_samples += stale
                sig = {k: v[stale:] for k, v in sig.items()}
                t_s = sig["t_s"]
            if t_s.shape[0] == 0:
                return []
            events = self._catch_up(float(t_s[0]))
            if compiled is not self._current:
                self._current = compiled
                for rt, missing in compiled.missing:
                    events += self._availability(rt, float(t_s[0]), missing)
            events += self._evaluate(compiled, sig, t_s)
            self._last_t_s = float(t_s[-1])
            events += self._expire(self._last_t_s)
            return self._publish(events)

    def _compile(self, signals: Mapping[str, Any]) -> _Compiled:
        """The rules a block with these signals (and the context) lets the engine evaluate,
        and what the others lack. The usual block has the previous one's names: its rules."""
        names = tuple(signals)
        last_names, last = self._named
        if last is not None and names == last_names:
            return last
        keys = frozenset(signals.keys() | self._context.keys())
        found = self._compiled.get(keys)
        if found is None:
            found = _Compiled.of(
                [
                    (rt, tuple(s for s in rt.spec.required_signals() if s not in keys))
                    for rt in self._rules.values()
                ],
                self._measures,
            )
            self._compiled[keys] = found
        self._named = (names, found)
        return found

    def _evaluate(self, c: _Compiled, sig: Signals, t_s: np.ndarray) -> list[AlarmEvent]:
        """Measure every rule on the block, settle the quiet ones together (the usual block:
        nothing can start a condition while off or end it while on; RuleArrays.settle), and
        compare the others sample by sample (_advance), in rule order."""
        if not c.rules:
            return []
        value, applies, detail = out = _measure_arrays(len(c.rules), t_s.shape[0])
        if c.fused.shape[0]:
            fused = self._measures.fused
            fused.measure(fused.matrix(sig, t_s.shape[0]), c.fused, out)
        plain = {p: measure(sig) for p, measure in c.plain}
        for p, m in plain.items():
            value[p] = m.value
            applies[p] = True if m.applies is None else m.applies
        busy = self._state.settle(c.index, value, applies)
        if not np.count_nonzero(busy):
            return []
        events: list[AlarmEvent] = []
        for i in np.flatnonzero(busy).tolist():
            named = detail[i] if c.detailed[i] else None
            m = plain[i] if i in plain else Measure(value[i], applies[i], named)
            events += self._advance(c.rules[i], t_s, m)
        return events

    def tick(self, t_s: float, data_seen_s: float = math.nan) -> list[AlarmEvent]:
        """Clock tick (live: a few times a second): stale-link rules and audio pauses.

        data_seen_s: when data last arrived on the port, if the caller knows it better than
        the newest sample processed (a dispatcher running behind the port is not a silent
        port; technical.PortSilence). The age of the data is measured from the later of both.
        """
        with self._lock:
            if math.isnan(self._first_tick_s):
                self._first_tick_s = t_s
            events = []
            for rt in self._ticking:
                events += self._tick_rule(rt, t_s, data_seen_s)
            if not t_s <= self._last_tick_s:
                self._last_tick_s = t_s
            events += self._expire(t_s)
            return self._publish(events)

    def _tick_rule(self, rt: _Bound, t_s: float, data_seen_s: float = math.nan) -> list[AlarmEvent]:
        since_s = np.fmax(self._last_t_s, data_seen_s)
        since_s = since_s if not math.isnan(since_s) else self._first_tick_s
        age_s = t_s - since_s if not math.isnan(since_s) else math.nan
        value = rt.spec.tick_value(age_s, self._context)
        return self._advance(rt, np.array([t_s]), Measure(np.array([value])))

    def press(
        self, t_s: float, button: str, feet_n: float = math.nan, region: int = -1
    ) -> list[AlarmEvent]:
        """The client pressed `button` (handset or client page) at host time t_s: every
        client_button rule for it alarms at once, citing feet_n (N, NaN unknown) and the
        region code under the feet (-1 unknown). The press is a moment, so its condition is
        over at once: a latching alarm stays on until acknowledged."""
        with self._lock:
            events = []
            for rt in self._rules.values():
                spec = rt.spec
                if not isinstance(spec, ClientButton) or spec.button != button:
                    continue
                rt.value = rt.peak = feet_n
                rt.alarm.where = spec.describe(feet_n, region, self.ctx)
                message = spec.wording(rt.alarm.where, feet_n, math.nan)
                events.append(rt.alarm.raise_(t_s, feet_n, math.nan, message))
                latched = rt.alarm.latching and not rt.alarm.off
                after = "; latched until acknowledged" if latched else ""
                events.append(rt.alarm.end(t_s, feet_n, math.nan, f"{message}{after}"))
            return self._publish(events)

    def _catch_up(self, first_t_s: float) -> list[AlarmEvent]:
        """Replay the ticks a gap before this block should have had (exact in replays; live
        ticks usually did it already)."""
        if math.isnan(self._last_t_s) or first_t_s <= self._last_t_s + self._no_catch_up_s:
            return []
        events: list[AlarmEvent] = []
        for rt in self._ticking:
            crossing_s = self._last_t_s + _crossing_s(rt.spec)
            for t_s in dict.fromkeys((crossing_s, crossing_s + rt.spec.delay_s)):
                if t_s < first_t_s and not t_s <= self._last_tick_s:
                    events += self._tick_rule(rt, t_s)
        return events

    def _availability(self, rt: _Bound, t_s: float, missing: tuple[str, ...]) -> list[AlarmEvent]:
        available = not missing
        if rt.available == available:
            return []
        first = rt.available is None
        rt.available, rt.missing = available, missing
        if first and available:
            return []
        spec = rt.spec
        if available:
            msg = f"{spec.title()}: evaluated again (its signals are back)"
            transition = Transition.AVAILABLE
        else:
            msg = f"{spec.title()}: not evaluated, this rig gives no {', '.join(missing)}"
            transition = Transition.UNAVAILABLE
        return [rt.alarm.row(t_s, transition, math.nan, spec.limit_value, msg)]

    def _advance(self, rt: _Bound, t_s: np.ndarray, m: Measure) -> list[AlarmEvent]:
        """Compare one block's measured values with the limit sample by sample and log the
        transitions (the full comparison; quiet blocks are settled by _settle_quiet)."""
        events = self._compare(rt, t_s, m)
        rt.sync()
        return events

    def _compare(self, rt: _Bound, t_s: np.ndarray, m: Measure) -> list[AlarmEvent]:
        spec = rt.spec
        limit, hyst = rt.limit, rt.hysteresis
        value = m.value
        applies = np.ones(value.shape, dtype=bool) if m.applies is None else m.applies
        if rt.above:
            over, back = value > limit, value <= limit - hyst
        else:
            over, back = value < limit, value >= limit + hyst
        known = ~np.isnan(value) | ~applies
        was_active = rt.timer.active
        changes = rt.timer.update(t_s, applies & over, ~applies | back, known)
        shown = m.shown()
        extreme = np.fmax if rt.above else np.fmin
        if not changes:
            if was_active:
                rt.peak = float(extreme.reduce(shown, initial=rt.peak))
            carry = np.array([rt.value])
            rt.value = float(_newest_known(shown[None], ~np.isnan(shown)[None], carry)[0])
            return []
        shown = _last_known(shown, rt.value)
        events = []
        start, active = 0, was_active
        for i, on in changes:
            now_s, value_i = float(t_s[i]), float(shown[i])
            if on:
                rt.peak = value_i
                detail = None if m.detail is None else int(m.detail[i])
                rt.alarm.where = spec.describe(value_i, detail, self.ctx)
                msg = spec.wording(rt.alarm.where, value_i, limit)
                events.append(rt.alarm.raise_(now_s, value_i, limit, msg))
            else:
                rt.peak = float(extreme.reduce(shown[start : i + 1], initial=rt.peak))
                events.append(rt.alarm.end(now_s, value_i, limit, self._ended(rt, value_i)))
            start, active = i, on
        if active:
            rt.peak = float(extreme.reduce(shown[start:], initial=rt.peak))
        rt.value = float(shown[-1])
        return events

    def _ended(self, rt: _Bound, value: float) -> str:
        """The message of a condition that ended at `value`."""
        spec, alarm = rt.spec, rt.alarm
        latches = alarm.latching and not alarm.off and not alarm.acknowledged
        return (
            f"{spec.headed(alarm.where)}: back within limit ({spec.fmt(value)}), peak "
            f"{spec.fmt(rt.peak)}, limit {spec.fmt(rt.limit)}"
            + ("; latched until acknowledged" if latches else "")
        )

    def _expire(self, t_s: float) -> list[AlarmEvent]:
        if not self._pausing:  # the usual case: no audio pause to end
            return []
        events = []
        for rt in self._rules.values():
            if math.isnan(rt.alarm.paused_until_s):
                continue
            msg = f"{rt.spec.title()}: audio pause over, alarm still on"
            ev = rt.alarm.expire(t_s, rt.value, rt.spec.limit_value, msg)
            if ev is not None:
                events.append(ev)
        self._pausing = any(not math.isnan(rt.alarm.paused_until_s) for rt in self._rules.values())
        return events

    def _publish(self, events: list[AlarmEvent]) -> list[AlarmEvent]:
        """Log, return and hand out rows in time order. A row decided from samples older than
        the log's newest row (a block delivered after a tick or an operator action) is
        stamped with that row's time: the log's order is the order things were decided."""
        if not events:
            return events
        events.sort(key=lambda e: e.t_s)
        for i, ev in enumerate(events):
            if ev.t_s < self._log_t_s:
                events[i] = replace(ev, t_s=self._log_t_s)
            self._log_t_s = events[i].t_s
        self.log.extend(events)
        for ev in events:
            for listener in list(self._listeners):
                try:
                    listener(ev)
                except Exception:  # one failing consumer must not silence the alarms
                    log.exception("alarm listener %r failed", listener)
        return events

    # -- operator actions ------------------------------------------------------------------

    def _targets(self, rule_id: str | None, whole_hazard: bool = True) -> list[_Bound]:
        """The rules an action names: all (None), or the rule with every rule of its hazard
        (a person acts on the one alarm they see), or the rule alone."""
        if rule_id is None:
            return list(self._rules.values())
        if rule_id not in self._rules:
            raise UnknownRuleError(
                f"no enabled rule '{rule_id}'; rules: {', '.join(self._rules) or 'none'}"
            )
        if not whole_hazard:
            return [self._rules[rule_id]]
        hazard = self._rules[rule_id].alarm.rule.hazard
        return [rt for rt in self._rules.values() if rt.alarm.rule.hazard == hazard]

    def acknowledge(self, t_s: float, rule_id: str | None = None) -> list[AlarmEvent]:
        """Acknowledge one alarm (rule_id: any rule of its hazard; every folded cause is
        acknowledged) or all sounding ones: silent while the condition lasts, and a latched
        alarm whose condition ended goes back to inactive."""
        with self._lock:
            events = []
            for rt in self._targets(rule_id):
                msg = f"{rt.spec.title()}: acknowledged"
                ev = rt.alarm.acknowledge(t_s, rt.value, rt.spec.limit_value, msg)
                if ev is not None:
                    events.append(ev)
            return self._publish(events)

    def pause_audio(
        self, t_s: float, duration_s: float | None = None, rule_id: str | None = None
    ) -> list[AlarmEvent]:
        """Pause the sound of one or all sounding alarms for duration_s (default and maximum:
        the policy's audio_pause_max_s); it returns then if the alarm is still on."""
        max_s = self.rule_set.policy.audio_pause_max_s
        duration_s = max_s if duration_s is None else duration_s
        if not 0 < duration_s <= max_s:
            raise AlarmPolicyError(
                f"audio pause: expected 0 < duration_s <= {max_s:g} s (studio policy), "
                f"found {duration_s:g}"
            )
        with self._lock:
            events = []
            for rt in self._targets(rule_id):
                msg = f"{rt.spec.title()}: audio paused for {duration_s:g} s"
                ev = rt.alarm.pause_audio(t_s, t_s + duration_s, rt.value, rt.spec.limit_value, msg)
                if ev is not None:
                    events.append(ev)
                    self._pausing = True
            return self._publish(events)

    def set_alarm_off(self, t_s: float, rule_id: str, off: bool = True) -> list[AlarmEvent]:
        """Switch one rule's alarm off (indefinitely; shown as off, conditions still logged)
        or back on. Raises AlarmPolicyError when the policy does not allow it for the priority."""
        with self._lock:
            (rt,) = self._targets(rule_id, whole_hazard=False)
            allowed = self.rule_set.policy.alarm_off_allowed
            if off and rt.spec.priority not in allowed:
                raise AlarmPolicyError(
                    f"rule '{rule_id}': alarm off is allowed for priorities "
                    f"{', '.join(allowed) or 'none'} (studio policy), found {rt.spec.priority}"
                )
            if rt.alarm.off == off:
                return []
            word = "off (shown until switched back on)" if off else "on"
            msg = f"{rt.spec.title()}: alarm {word}"
            return self._publish([rt.alarm.switch(t_s, off, rt.value, rt.spec.limit_value, msg)])

    # -- what to show ----------------------------------------------------------------------

    def status(self) -> list[AlarmStatus]:
        """Every rule's alarm now: sounding ones first, then by priority."""
        with self._lock:
            rows = [
                AlarmStatus(
                    rule_id=rt.spec.id,
                    priority=rt.spec.priority,
                    state=rt.alarm.state,
                    condition=rt.alarm.condition,
                    latched=rt.alarm.latched,
                    available=bool(rt.available) or rt.available is None,
                    since_s=rt.alarm.since_s,
                    audio_paused_until_s=rt.alarm.paused_until_s,
                    value=rt.value,
                    limit=rt.spec.limit_value,
                    message=self._status_message(rt),
                    title=rt.alarm.rule.title,
                    where=rt.alarm.where,
                    unit=rt.alarm.rule.unit,
                    hazard=rt.alarm.rule.hazard,
                    peak=rt.peak,
                    direction=rt.spec.direction,
                )
                for rt in self._rules.values()
            ]
        return sorted(
            rows, key=lambda r: (STATE_URGENCY.index(r.state), r.priority.rank, r.rule_id)
        )

    def _status_message(self, rt: _Bound) -> str:
        if rt.available is False:
            return f"{rt.spec.title()}: not evaluated (no {', '.join(rt.missing)})"
        spec = rt.spec
        return f"{spec.title()}: {spec.fmt(rt.value)} (limit {spec.fmt(spec.limit_value)})"

    def hazards(self) -> list[HazardStatus]:
        """What a person sees: one alarm per hazard that is shown (its rules folded, the
        binding limit cited, words in each display unit); sounding first."""
        return fold(self.status(), {rt.spec.id: rt.spec for rt in self._rules.values()})

    def binding_limits(self, signals: Mapping[str, Any]) -> BindingLimits:
        """The feet-force limit that held at each sample of a block of signals and its rule
        (among the rules that alarm: evaluated and not switched off)."""
        with self._lock:
            specs = [
                rt.spec
                for rt in self._rules.values()
                if rt.alarm.rule.hazard == FEET_FORCE_HAZARD
                and rt.available is not False
                and not rt.alarm.off
            ]
        names = {"t_s", *(name for spec in specs for name in spec.required_signals())}
        return binding_limits(
            specs, as_signals({k: signals[k] for k in names & signals.keys()}, {})
        )

    def rule(self, rule_id: str) -> RuleSpec | None:
        """The rule with this id as it applies in this session (None if there is none)."""
        bound = self._rules.get(rule_id)
        return bound.spec if bound else None

    def audible_priority(self) -> Priority | None:
        """The highest priority among sounding alarms (what the speaker plays), or None."""
        sounding = [s.priority for s in self.status() if s.audible]
        return min(sounding, key=lambda p: p.rank) if sounding else None
