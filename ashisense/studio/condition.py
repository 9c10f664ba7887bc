"""The state of one of a room's links to the studio (the broker, the database), as the room
page and the desk show it: a technical condition, never a reason to stop monitoring."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

#: States of a link: not set up, working, not working (retrying).
OFF, OK, DOWN = "off", "ok", "down"


@dataclass(frozen=True)
class LinkCondition:
    """state: OFF, OK or DOWN; message: what is wrong (or what the link does); since_s: host
    time the state began; counters: what the link could not do (frames not sent, events
    dropped, copy lag in seconds...)."""

    state: str = OFF
    message: str = "not set up"
    since_s: float | None = None
    counters: tuple[tuple[str, float], ...] = ()

    def moved(self, state: str, message: str, t_s: float) -> LinkCondition:
        """This condition in `state` (since t_s if that is a change of state)."""
        since = self.since_s if state == self.state else t_s
        return replace(self, state=state, message=message, since_s=since)

    def counted(self, **counters: float) -> LinkCondition:
        return replace(self, counters=tuple({**dict(self.counters), **counters}.items()))

    def as_json(self) -> dict[str, Any]:
        """A JSON-able dict (counters not known, NaN, become None)."""
        doc = asdict(self)
        doc["counters"] = {k: v if math.isfinite(v) else None for k, v in self.counters}
        return doc
