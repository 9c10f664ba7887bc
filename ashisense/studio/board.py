"""The desk's picture of every room, from what the rooms publish (topics.py).

Pure state, no threads or I/O: `RoomBoard.take(...)` is fed each message with the time it
arrived, `overview(now)` says per room what the desk shows. A room is "online" only while
it is heard from: its last will or a clean stop make it "offline", SILENCE_S without a word
(retained messages replayed by the broker do not count) makes it "silent", and while the
desk itself cannot reach the broker every room is "unreachable". Only an online room shows
its alarms as current; the others never look calm.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Any

from ashisense.studio.topics import read_payload

#: Seconds without a message after which a room counts as not reporting (rooms send their
#: health twice a second and frames up to 20 times a second).
SILENCE_S = 1.5
#: Events kept per room for the desk's log.
KEEP_EVENTS = 500


@dataclass
class RoomState:
    """What the desk knows of one room (documents as the room sent them)."""

    room_id: str
    name: str = ""
    presence: dict[str, Any] = field(default_factory=dict)
    setup: dict[str, Any] = field(default_factory=dict)
    alarms: dict[str, Any] = field(default_factory=dict)
    health: dict[str, Any] = field(default_factory=dict)
    frame: bytes = b""  # the newest frame as sent: read only when the overview needs it
    heard_at: float | None = None  # monotonic time of the last message sent live
    frame_at: float | None = None
    events: collections.deque[dict[str, Any]] = field(
        default_factory=lambda: collections.deque(maxlen=KEEP_EVENTS)
    )
    seen_events: set[tuple[str, int]] = field(default_factory=set)
    event_count: int = 0


class RoomBoard:
    """Every room of one studio as the desk sees it. Not thread-safe: callers lock."""

    def __init__(self) -> None:
        self.rooms: dict[str, RoomState] = {}
        self.connected = False

    def take(
        self, room_id: str, kind: str, doc: dict[str, Any], now: float, retained: bool
    ) -> bool:
        """One message (now: monotonic arrival time); False for a repeated event (QoS 1
        delivers at least once: the desk shows each event once)."""
        room = self.rooms.setdefault(room_id, RoomState(room_id, name=room_id))
        if not retained:
            room.heard_at = now
        if kind == "status":
            room.presence = doc
            room.name = str(doc.get("room") or room.name)
        elif kind == "event":
            return _take_event(room, doc)
        elif kind in ("setup", "alarms", "health"):
            setattr(room, kind, doc)
        return True

    def take_frame(self, room_id: str, data: bytes, now: float) -> None:
        """A room's newest frame (not parsed: 20 a second per room, read 4 times a second)."""
        room = self.rooms.setdefault(room_id, RoomState(room_id, name=room_id))
        room.frame, room.frame_at = data, now
        room.heard_at = now

    def state(self, room: RoomState, now: float) -> str:
        """online, offline (its will or a stop), silent (not heard from) or unreachable."""
        if not self.connected:
            return "unreachable"
        if room.presence.get("state") == "offline":
            return "offline"
        if room.heard_at is None or now - room.heard_at > SILENCE_S:
            return "silent"
        return "online"

    def overview(self, now: float) -> list[dict[str, Any]]:
        """One row per room, by name: what the desk's overview shows."""
        return [self._row(r, now) for r in sorted(self.rooms.values(), key=lambda r: r.name)]

    def _row(self, room: RoomState, now: float) -> dict[str, Any]:
        state = self.state(room, now)
        live = state == "online"
        setup, health = room.setup, room.health
        session = setup.get("session") or None
        recorder = health.get("recorder") or {}
        link = health.get("link") or {}
        frame_fresh = live and room.frame_at is not None and now - room.frame_at <= SILENCE_S
        frame = (read_payload(room.frame) if frame_fresh else None) or {}
        return {
            "room_id": room.room_id,
            "room": room.name,
            "state": state,
            "reason": room.presence.get("reason", "") if state == "offline" else "",
            "heard_s_ago": None if room.heard_at is None else round(now - room.heard_at, 2),
            "client": (setup.get("client") or {}).get("id"),
            "therapist": (setup.get("therapist") or {}).get("id"),
            "session_id": session.get("id") if session else None,
            "recording": health.get("session_id") is not None if live else None,
            "recorder": recorder.get("state") if live else None,
            "link": link.get("state") if live else None,
            "rate_hz": link.get("rate_hz") if live else None,
            "feet_n": frame.get("feet_n"),
            "region": frame.get("region"),
            "no_go": frame.get("no_go"),
            "feet_limit_n": setup.get("feet_limit_n"),
            "alarms": [_alarm(a) for a in room.alarms.get("list", [])],
            "audible": room.alarms.get("audible"),
            "alarms_current": live,
            "studio_link": room.presence.get("studio_link", {}),
            "events": room.event_count,
        }


def _alarm(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in ("rule_id", "priority", "state", "message")}


def _take_event(room: RoomState, doc: dict[str, Any]) -> bool:
    key = (str(doc.get("boot")), int(doc.get("n", -1)))
    if key in room.seen_events:
        return False
    room.seen_events.add(key)
    room.events.append(doc)
    _keep_in_order(room.events, key)
    room.event_count += 1
    return True


def _keep_in_order(events: collections.deque[dict[str, Any]], key: tuple[str, int]) -> None:
    """A QoS 1 event the broker redelivered late moves back before the room's later ones
    (events of one boot in their number order; the room numbers them as it sends)."""
    i = len(events) - 1
    while i > 0:
        before = events[i - 1]
        if str(before.get("boot")) != key[0] or int(before.get("n", -1)) < key[1]:
            break
        events[i - 1], events[i] = events[i], before
        i -= 1
