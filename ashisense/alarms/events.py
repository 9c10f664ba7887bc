"""Alarm vocabulary after IEC 60601-1-8: priorities, states, transitions and the log row."""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass
from typing import Any


class Priority(enum.StrEnum):
    """Alarm priority; `rank` orders them (high first)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"high": 0, "medium": 1, "low": 2}[self.value]


class AlarmState(enum.StrEnum):
    """What an alarm shows and sounds (IEC 60601-1-8 names plus the quiet one).

    INACTIVE: no condition, nothing shown. ACTIVE: shown and sounding (a latched alarm whose
    condition ended stays ACTIVE until acknowledged). ACKNOWLEDGED: the operator took note;
    silent, still shown while the condition lasts. AUDIO_PAUSED: silent for a limited time,
    sounds again if the condition persists. OFF: the studio switched this alarm off; conditions
    are still tracked and logged, and the off state itself is always shown.
    """

    INACTIVE = "inactive"
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    AUDIO_PAUSED = "audio_paused"
    OFF = "off"


class Transition(enum.StrEnum):
    """Why a log row was written."""

    RAISED = "raised"  # the condition held for its delay
    CONDITION_ENDED = "condition_ended"  # cleared past the hysteresis, but the alarm latches
    CLEARED = "cleared"  # the alarm went back to inactive
    ACKNOWLEDGED = "acknowledged"
    AUDIO_PAUSED = "audio_paused"
    AUDIO_RESUMED = "audio_resumed"  # the pause ran out while the alarm was still on
    ALARM_OFF = "alarm_off"
    ALARM_ON = "alarm_on"
    UNAVAILABLE = "unavailable"  # the signals this rule needs are missing
    AVAILABLE = "available"


@dataclass(frozen=True)
class AlarmEvent:
    """One row of the alarm log: a transition of one rule's alarm.

    t_s: when (host time, s since the Unix epoch, as the samples). value: the measured value
    at that moment in the rule's unit (NaN when none applies), limit: the limit in force.
    from_state / state: the alarm state before and after.
    """

    t_s: float
    rule_id: str
    priority: Priority
    transition: Transition
    from_state: AlarmState
    state: AlarmState
    value: float
    limit: float
    message: str

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (enums as strings, NaN as None)."""
        row = asdict(self)
        for key in ("priority", "transition", "from_state", "state"):
            row[key] = str(row[key])
        for key in ("value", "limit"):
            if math.isnan(row[key]):
                row[key] = None
        return row


@dataclass(frozen=True)
class AlarmStatus:
    """What the display shows for one rule right now.

    condition: the alarm condition holds (after delay and hysteresis). latched: it ended but
    the alarm waits for acknowledgement. available: the rule's signals are present.
    audio_paused_until_s: end of an audio pause (NaN when none). since_s: start of the
    current state. value / limit: the last measured value and the limit in force.
    """

    rule_id: str
    priority: Priority
    state: AlarmState
    condition: bool
    latched: bool
    available: bool
    since_s: float
    audio_paused_until_s: float
    value: float
    limit: float
    message: str

    @property
    def audible(self) -> bool:
        """True when this alarm should be sounding."""
        return self.state is AlarmState.ACTIVE
