"""One alarm's IEC 60601-1-8 state: condition, latch, acknowledgement, audio pause, alarm off.

Pure bookkeeping: no rule, no signal, no clock. Each operation returns the log row of the
transition it caused, or None when it changed nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ashisense.alarms.events import AlarmEvent, AlarmState, RuleLabel, Transition


@dataclass
class AlarmStateMachine:
    """States of one rule's alarm. rule: names the rule on its rows. latching: the alarm stays
    on after its condition ends, until acknowledged (a studio policy per priority). where:
    what the rule said at the last raise (a region), carried by the episode's rows. Row times
    never go back: a transition decided from samples older than this alarm's last row is
    stamped with that row's time (the order stays causal)."""

    rule: RuleLabel
    latching: bool
    where: str = ""
    condition: bool = False
    latched: bool = False
    acknowledged: bool = False
    paused_until_s: float = math.nan
    off: bool = False
    state: AlarmState = AlarmState.INACTIVE
    since_s: float = math.nan
    last_row_s: float = math.nan

    def _derive(self) -> AlarmState:
        if self.off:
            return AlarmState.OFF
        if not (self.condition or self.latched):
            return AlarmState.INACTIVE
        if self.acknowledged:
            return AlarmState.ACKNOWLEDGED
        if not math.isnan(self.paused_until_s):
            return AlarmState.AUDIO_PAUSED
        return AlarmState.ACTIVE

    def row(
        self, t_s: float, transition: Transition, value: float, limit: float, message: str
    ) -> AlarmEvent:
        """The log row of a transition, after the flags changed (or a note when none did)."""
        if t_s < self.last_row_s:
            t_s = self.last_row_s
        self.last_row_s = t_s
        before, self.state = self.state, self._derive()
        if self.state is not before:
            self.since_s = t_s
        return AlarmEvent(
            t_s=t_s,
            rule_id=self.rule.rule_id,
            priority=self.rule.priority,
            transition=transition,
            from_state=before,
            state=self.state,
            value=value,
            limit=limit,
            message=message,
            title=self.rule.title,
            where=self.where,
            unit=self.rule.unit,
            hazard=self.rule.hazard,
        )

    def _quiet(self) -> None:
        """Forget acknowledgement, latch and pause: the alarm episode is over."""
        self.latched = self.acknowledged = False
        self.paused_until_s = math.nan

    def raise_(self, t_s: float, value: float, limit: float, message: str) -> AlarmEvent:
        """The condition started: a new episode that sounds (an earlier pause does not carry)."""
        self.condition = True
        self._quiet()
        return self.row(t_s, Transition.RAISED, value, limit, message)

    def end(self, t_s: float, value: float, limit: float, message: str) -> AlarmEvent:
        """The condition ended: the alarm latches if it must and nobody acknowledged it yet."""
        self.condition = False
        if self.latching and not self.off and not self.acknowledged:
            self.latched = True
            return self.row(t_s, Transition.CONDITION_ENDED, value, limit, message)
        self._quiet()
        return self.row(t_s, Transition.CLEARED, value, limit, message)

    def acknowledge(
        self, t_s: float, value: float, limit: float, message: str
    ) -> AlarmEvent | None:
        """Operator acknowledgement: silences while the condition lasts; resets a latch."""
        if self.state not in (AlarmState.ACTIVE, AlarmState.AUDIO_PAUSED):
            return None
        if self.condition:
            self.acknowledged = True
            self.paused_until_s = math.nan
        else:
            self._quiet()
        return self.row(t_s, Transition.ACKNOWLEDGED, value, limit, message)

    def pause_audio(
        self, t_s: float, until_s: float, value: float, limit: float, message: str
    ) -> AlarmEvent | None:
        """Silence a sounding alarm until until_s; it sounds again then if still on."""
        if self.state is not AlarmState.ACTIVE:
            return None
        self.paused_until_s = until_s
        return self.row(t_s, Transition.AUDIO_PAUSED, value, limit, message)

    def expire(self, t_s: float, value: float, limit: float, message: str) -> AlarmEvent | None:
        """End an audio pause whose time is up; the alarm sounds again if still on."""
        if math.isnan(self.paused_until_s) or t_s < self.paused_until_s:
            return None
        self.paused_until_s = math.nan
        return self.row(t_s, Transition.AUDIO_RESUMED, value, limit, message)

    def switch(self, t_s: float, off: bool, value: float, limit: float, message: str) -> AlarmEvent:
        """Alarm off (indefinite, still tracked and shown as off) or back on."""
        self.off = off
        self._quiet()
        return self.row(
            t_s, Transition.ALARM_OFF if off else Transition.ALARM_ON, value, limit, message
        )
