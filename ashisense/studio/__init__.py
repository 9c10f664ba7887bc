"""A room's link to its studio: live messages to the studio's MQTT broker (publisher), its
sessions copied into the studio's PostgreSQL as they record (copier), and what the desk reads
back from the broker (board). Topics and payloads: topics.py."""

from ashisense.studio.condition import LinkCondition
from ashisense.studio.errors import StudioError, StudioUrlError
from ashisense.studio.room import RoomConfig, RoomLink
from ashisense.studio.urls import StudioUrl, topic_part

__all__ = [
    "LinkCondition",
    "RoomConfig",
    "RoomLink",
    "StudioError",
    "StudioUrl",
    "StudioUrlError",
    "topic_part",
]
