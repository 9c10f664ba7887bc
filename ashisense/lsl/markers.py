"""The marker stream's texts: one short JSON object per event, with no I/O.

Every marker has "event" (what happened) and "t_s" (its host time, Unix seconds, as in the
session file); the rest depends on the event (docs/lsl.md has the schema). Unknown values
(NaN) are null.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ashisense.alarms import AlarmEvent
from ashisense.session.runner import SessionAction
from ashisense.store.records import AlarmRecord
from firmware_bridge.blocks import DeviceEvent, Gap


@dataclass(frozen=True)
class Marker:
    """One marker: its host time (s) and its JSON text."""

    t_s: float
    text: str


def _number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _marker(event: str, t_s: float, **fields: Any) -> Marker:
    body = {"event": event, "t_s": float(t_s), **fields}
    return Marker(float(t_s), json.dumps(body, separators=(",", ":"), allow_nan=False))


def alarm_marker(event: AlarmEvent) -> Marker:
    """An alarm transition (raised, cleared, acknowledged, ...): the alarm log's row of it
    (AlarmRecord), its rule id under "rule"."""
    record = AlarmRecord.of(event)
    fields = {("rule" if k == "rule_id" else k): v for k, v in dataclasses.asdict(record).items()}
    fields.update(value=_number(record.value), limit=_number(record.limit))
    return _marker("alarm", **fields)


def note_marker(t_s: float, text: str, author: str = "") -> Marker:
    """A note pinned to a time of the session."""
    return _marker("note", t_s, text=text, author=author)


def session_marker(
    action: SessionAction, t_s: float, session_id: int | None = None, label: str = ""
) -> Marker:
    """A recording session starts or stops."""
    return _marker("session", t_s, action=action, session=session_id, label=label)


def gap_marker(gap: Gap) -> Marker:
    """Samples that never arrived (at the gap's start; lost -1: unknown count)."""
    return _marker(
        "gap",
        gap.t_start_s,
        t_end_s=float(gap.t_end_s),
        lost=int(gap.lost),
        reason=gap.reason,
    )


def device_marker(event: DeviceEvent) -> Marker:
    """A device EVENT (its name and the JSON object the device sent)."""
    return _marker("device", event.t_s, name=event.name, payload=event.payload)


def baseline_marker(state: Mapping[str, Any], fallback_t_s: float) -> Marker:
    """A baseline change (Pipeline.baseline_changes(): kind, client baseline, weight). Its
    time is the state's t_s, or fallback_t_s for a state that holds from the first sample."""
    t_s = state.get("t_s")
    client = state.get("client") or {}
    return _marker(
        "baseline",
        fallback_t_s if t_s is None else float(t_s),
        kind=str(state.get("kind", "")),
        client_n=_number(client.get("force_n")),
        client_cop_x_m=_number(client.get("cop_x_m")),
        client_cop_y_m=_number(client.get("cop_y_m")),
        therapist_weight_est_n=_number(state.get("therapist_weight_est_n")),
    )
