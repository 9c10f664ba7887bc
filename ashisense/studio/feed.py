"""The desk's subscription to every room of a studio: one paho client (its own thread,
reconnecting; a persistent session, so QoS 1 events sent while the desk is away wait at the
broker), each message into the RoomBoard and on to whoever relays a room's live view."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from ashisense.studio.board import RoomBoard
from ashisense.studio.client import connect, make_client
from ashisense.studio.topics import parse_topic, read_payload, studio_filter
from ashisense.studio.urls import StudioUrl

log = logging.getLogger(__name__)

KEEPALIVE_S = 5

#: relay(room_id, kind, text): a message of a room as it came (topic kind, payload text).
Relay = Callable[[str, str, str], None]


class StudioFeed:
    """Follows every room of `url.studio`. board: read under `lock`. relay: called in paho's
    thread for every message taken (events once each); must return at once. client_id:
    fixed, so that the broker keeps this desk's session across restarts of the desk."""

    def __init__(
        self, url: StudioUrl, relay: Relay | None = None, *, client_id: str | None = None
    ) -> None:
        self.url = url
        self.board = RoomBoard()
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.problem = f"connecting to {url}"
        self._relay = relay
        cid = client_id or f"ashisense-desk-{url.studio}-{secrets.token_hex(4)}"
        self._client = make_client(url, cid)
        self._client.on_connect = self._connected
        self._client.on_disconnect = self._disconnected
        self._client.on_message = self._message

    def start(self) -> StudioFeed:
        connect(self._client, self.url, KEEPALIVE_S)
        return self

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def overview(self) -> dict[str, Any]:
        """The desk's overview now: the broker link and one row per room."""
        with self.lock:
            rooms = self.board.overview(time.monotonic())
            connected = self.board.connected
        return {"type": "rooms", "broker": {"connected": connected, "problem": self.problem},
                "rooms": rooms}  # fmt: skip

    def room_name(self, room_id: str) -> str | None:
        """The name of a room the desk heard of (None for any other)."""
        with self.lock:
            room = self.board.rooms.get(room_id)
            return None if room is None else room.name

    def room_events(self, room_id: str) -> list[dict[str, Any]] | None:
        """The events taken from a room, oldest first (None: a room never heard of)."""
        with self.lock:
            room = self.board.rooms.get(room_id)
            return None if room is None else list(room.events)

    # -- paho's thread -------------------------------------------------------------------------
    def _connected(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self.problem = f"the broker at {self.url} refused the desk: {reason}"
            log.error("%s", self.problem)
            return
        client.subscribe(studio_filter(self.url.studio), qos=1)
        with self.lock:
            self.board.connected = True
        self.problem = ""
        self.connected.set()

    def _disconnected(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        with self.lock:
            self.board.connected = False
        self.connected.clear()
        self.problem = f"broker {self.url} out of reach ({reason}); reconnecting"

    def _message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        where = parse_topic(msg.topic)
        if where is None or where[0] != self.url.studio:
            return
        _studio, room_id, kind = where
        now = time.monotonic()
        if kind == "frame":  # the bulk: not parsed here (the overview reads the newest)
            with self.lock:
                self.board.take_frame(room_id, bytes(msg.payload), now)
            fresh = True
        else:
            doc = read_payload(msg.payload)
            if doc is None:
                return
            with self.lock:
                fresh = self.board.take(room_id, kind, doc, now, bool(msg.retain))
        if fresh and self._relay is not None:
            self._relay(room_id, kind, msg.payload.decode("utf-8"))
