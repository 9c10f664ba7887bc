"""Alarm vocabulary after IEC 60601-1-8: priorities, states, transitions and the log row."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
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
class RuleLabel:
    """How an alarm's rows name its rule: id, priority, title (words), unit ("N" for forces)
    and hazard (its key)."""

    rule_id: str
    priority: Priority
    title: str = ""
    unit: str = ""
    hazard: str = ""


@dataclass(frozen=True, kw_only=True)
class AlarmReading:
    """What one rule's alarm says: the fields an AlarmEvent and an AlarmStatus share.

    state: the alarm state. value: the measured value in the rule's unit (NaN when none
    applies), limit: the limit in force. message: the words in newtons (RuleSpec.wording gives
    them in another unit). title: the rule in words; where: the region or channels in words
    ('' if none); unit: the rule's unit ("N" for forces); hazard: the hazard the rule watches
    (its key).
    """

    rule_id: str
    priority: Priority
    state: AlarmState
    value: float
    limit: float
    message: str
    title: str = ""
    where: str = ""
    unit: str = ""
    hazard: str = ""


@dataclass(frozen=True, kw_only=True)
class AlarmEvent(AlarmReading):
    """One row of the alarm log: a transition of one rule's alarm.

    t_s: when (host time, s since the Unix epoch, as the samples); the log's times never go
    back. from_state / state: the alarm state before and after; value and limit at that
    moment.
    """

    t_s: float
    transition: Transition
    from_state: AlarmState

    @property
    def value_n(self) -> float:
        """The value in newtons for a force rule, else NaN."""
        return self.value if self.unit == "N" else math.nan

    @property
    def limit_n(self) -> float:
        """The limit in newtons for a force rule, else NaN."""
        return self.limit if self.unit == "N" else math.nan

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (enums as strings, NaN as None), with value_n and limit_n."""
        row = asdict(self) | {"value_n": self.value_n, "limit_n": self.limit_n}
        for key in ("priority", "transition", "from_state", "state"):
            row[key] = str(row[key])
        for key in ("value", "limit", "value_n", "limit_n"):
            if math.isnan(row[key]):
                row[key] = None
        return row


@dataclass(frozen=True, kw_only=True)
class AlarmStatus(AlarmReading):
    """What the display shows for one rule right now.

    condition: the alarm condition holds (after delay and hysteresis). latched: it ended but
    the alarm waits for acknowledgement. available: the rule's signals are present.
    audio_paused_until_s: end of an audio pause (NaN when none). since_s: start of the
    current state. value / limit: the last measured value and the limit in force; peak: the
    most extreme value of the current or last episode. where: as the alarm was raised.
    direction: "above" or "below" the limit.
    """

    condition: bool
    latched: bool
    available: bool
    since_s: float
    audio_paused_until_s: float
    peak: float = math.nan
    direction: str = "above"

    @property
    def audible(self) -> bool:
        """True when this alarm should be sounding."""
        return self.state is AlarmState.ACTIVE

    @property
    def shown(self) -> bool:
        """True when a person sees this alarm (every state but inactive; off is shown)."""
        return self.state is not AlarmState.INACTIVE


# How urgent a shown state is, most urgent first (a hazard shows its most urgent cause's).
STATE_URGENCY = (
    AlarmState.ACTIVE,
    AlarmState.AUDIO_PAUSED,
    AlarmState.ACKNOWLEDGED,
    AlarmState.OFF,
    AlarmState.INACTIVE,
)


@dataclass(frozen=True)
class HazardStatus:
    """One physical hazard as a person sees it: one alarm, whatever number of rules it trips.

    hazard: its key (RuleSpec.hazard_key). causes: the shown alarms of its rules, the binding
    one first (condition holding, then the tightest limit), then by priority; the others are
    folded causes, not rival alarms. texts: the words a person reads per display unit (kg,
    lb, N), the binding limit cited and the folded causes named; see text(unit).
    """

    hazard: str
    causes: tuple[AlarmStatus, ...]
    texts: Mapping[str, str]

    def text(self, unit: str = "N") -> str:
        """The words in a display unit (kg, lb or N)."""
        return self.texts[unit]

    @property
    def titles(self) -> tuple[str, ...]:
        """The causes' rule titles, the binding one first (words, never ids)."""
        return tuple(c.title for c in self.causes)

    @property
    def lead(self) -> AlarmStatus:
        """The binding cause: its limit is the one the alarm cites."""
        return self.causes[0]

    @property
    def state(self) -> AlarmState:
        """The most urgent state among the causes (one still sounding makes it sound)."""
        return min((c.state for c in self.causes), key=STATE_URGENCY.index)

    @property
    def priority(self) -> Priority:
        """The highest priority among the causes that are not switched off."""
        live = [c.priority for c in self.causes if c.state is not AlarmState.OFF]
        return min(live or [self.lead.priority], key=lambda p: p.rank)

    @property
    def audible(self) -> bool:
        return any(c.audible for c in self.causes)

    @property
    def latched(self) -> bool:
        """Every cause's condition is over; acknowledging clears the alarm."""
        return all(not c.condition for c in self.causes) and any(c.latched for c in self.causes)

    @property
    def since_s(self) -> float:
        """When the earliest cause entered its state."""
        return min(c.since_s for c in self.causes)

    @property
    def audio_paused_until_s(self) -> float:
        """End of the latest audio pause among the causes (NaN when none)."""
        paused = [
            c.audio_paused_until_s for c in self.causes if not math.isnan(c.audio_paused_until_s)
        ]
        return max(paused) if paused else math.nan
