"""Each room's live view on the desk: one Hub per room, fed from the broker feed's thread with
the room's own live-page messages (the one crossing into asyncio, as in the room)."""

from __future__ import annotations

import asyncio
import threading

from ashisense.studio.topics import TOPIC_TO_PAGE
from dashboard.hub import Hub


class RoomRelays:
    """Hubs by room id (made when a room is first heard of or asked for)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._hubs: dict[str, Hub] = {}
        self._lock = threading.Lock()

    def hub(self, room_id: str) -> Hub:
        with self._lock:
            hub = self._hubs.get(room_id)
            if hub is None:
                hub = self._hubs[room_id] = Hub(self._loop)
            return hub

    def relay(self, room_id: str, kind: str, text: str) -> None:
        """A room's message from the broker, to whoever watches that room (feed's thread)."""
        page_kind = TOPIC_TO_PAGE.get(kind)
        if page_kind is not None:
            self.hub(room_id).publish(page_kind, text)

    def close(self) -> None:
        with self._lock:
            hubs = list(self._hubs.values())
        for hub in hubs:
            hub.close()
