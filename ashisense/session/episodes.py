"""The alarm log as a trainer reads it: one row per alarm episode (raised, until its
condition ended), not one per state transition."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from ashisense.store.records import AlarmRecord

#: Transitions that end an alarm's condition (a latched alarm ends its condition first).
_ENDS = ("condition_ended", "cleared")


@dataclass(frozen=True)
class AlarmEpisode:
    """One raised alarm. t_s, end_s: host times it was raised and its condition ended (None:
    still on when the session ended). value: the largest value logged while it lasted (in the
    rule's unit; NaN when none applies), limit: the limit it was raised against. region: where
    the feet were when it was raised ("" unknown). acknowledged: by the operator."""

    t_s: float
    end_s: float | None
    rule_id: str
    priority: str
    value: float
    limit: float
    message: str
    region: str = ""
    acknowledged: bool = False

    def duration_s(self, session_end_s: float) -> float:
        """How long the condition lasted (to the session's end when it never ended)."""
        return (session_end_s if self.end_s is None else self.end_s) - self.t_s


def alarm_episodes(
    alarms: Iterable[AlarmRecord], region_at: Callable[[float], str] = lambda _t: ""
) -> list[AlarmEpisode]:
    """Episodes from an alarm log in time order, in the order they were raised."""
    done: list[AlarmEpisode] = []
    open_: dict[str, AlarmEpisode] = {}
    for a in alarms:
        ep = open_.get(a.rule_id)
        if a.transition == "raised":
            if ep is not None:  # raised again without an end logged: close the old one here
                done.append(replace(ep, end_s=a.t_s))
            open_[a.rule_id] = AlarmEpisode(
                a.t_s, None, a.rule_id, a.priority, a.value, a.limit, a.message, region_at(a.t_s)
            )
            continue
        if ep is None:
            continue
        acknowledged = ep.acknowledged or a.transition == "acknowledged"
        ep = replace(ep, value=_max(ep.value, a.value), acknowledged=acknowledged)
        if a.transition in _ENDS:
            done.append(replace(ep, end_s=a.t_s))
            del open_[a.rule_id]
        else:
            open_[a.rule_id] = ep
    done += open_.values()
    return sorted(done, key=lambda e: e.t_s)


def _max(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else max(a, b)
