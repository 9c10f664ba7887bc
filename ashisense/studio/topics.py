"""The studio's topics and payloads (schema version 1), shared by rooms and the desk.

Every topic is `ashisense/<studio>/<room>/<kind>`; every payload is a JSON object with
"v": SCHEMA_VERSION. The kinds, who sends them and how:

    kind    QoS retained  payload
    status  1   yes       the room's presence: "online" with its name and studio link, or
                          "offline" (the last will, or a clean stop)
    setup   1   yes       the live page's setup: rig, client, therapist, limits, session
    alarms  1   yes       the live page's alarms: every alarm not inactive, the audible one
    event   1   no        numbered: an alarm transition, a note, or a report of lost events
    health  0   no        the live page's status: link, pipeline, recorder (twice a second)
    frame   0   no        the live page's frame, at most 20 a second
    grid    0   no        the live page's grid (heatmap), at most a few a second

setup, alarms, health, frame and grid are the very messages the room's own live page gets
over its websocket (dashboard.frames), so the desk shows a room with the same page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1
ROOT = "ashisense"


@dataclass(frozen=True)
class Kind:
    """How messages of one kind travel."""

    name: str
    qos: int
    retain: bool


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("status", 1, True),
        Kind("setup", 1, True),
        Kind("alarms", 1, True),
        Kind("event", 1, False),
        Kind("health", 0, False),
        Kind("frame", 0, False),
        Kind("grid", 0, False),
    )
}
#: The live page's message type -> the topic kind carrying it (and back).
PAGE_TO_TOPIC = {"setup": "setup", "alarms": "alarms", "status": "health", "frame": "frame",
                 "grid": "grid"}  # fmt: skip
TOPIC_TO_PAGE = {v: k for k, v in PAGE_TO_TOPIC.items()}


def room_topic(studio: str, room_id: str, kind: str) -> str:
    """ashisense/<studio>/<room>/<kind> (topic parts as urls.topic_part makes them)."""
    return f"{ROOT}/{studio}/{room_id}/{kind}"


def studio_filter(studio: str) -> str:
    """The subscription that sees every room of a studio."""
    return f"{ROOT}/{studio}/+/+"


def parse_topic(topic: str) -> tuple[str, str, str] | None:
    """(studio, room, kind) of one of our topics; None for anything else."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != ROOT or parts[3] not in KINDS:
        return None
    return parts[1], parts[2], parts[3]


def versioned(text: str) -> str:
    """A JSON object's text with "v" first: the live page's messages as they are sent on."""
    return f'{{"v":{SCHEMA_VERSION},{text[1:]}' if text != "{}" else f'{{"v":{SCHEMA_VERSION}}}'


def payload(**fields: Any) -> str:
    """A message of ours: compact JSON with "v" first (NaN refused: null it first)."""
    return json.dumps({"v": SCHEMA_VERSION, **fields}, separators=(",", ":"), allow_nan=False)


def read_payload(data: bytes | bytearray) -> dict[str, Any] | None:
    """A payload as a dict; None when it is not JSON, not an object or of another version."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("v") != SCHEMA_VERSION:
        return None
    return doc
