"""A room on the studio's broker: its live messages, alarm transitions and notes, its presence.

`RoomPublisher` is a SessionListener of the room's runner (alarm transitions, notes) and a
message sink for a second live display (the live page's messages, thinned to 20 frames a
second: see topics.py for what goes where). Whoever calls it only appends to a bounded
handover queue and returns: a sender thread hands the messages to paho, whose own thread
talks to the broker and reconnects. While the broker is out of reach, frames and health are
not sent (counted), and QoS 1 messages are held, in order (at most max_queued; beyond it the
oldest are dropped, counted, and reported as a "lost" event once the broker is back). On
reconnecting, those paho had sent without an acknowledgement are taken back first, so the
broker gets every QoS 1 message in the order the room made it. The broker publishes the
retained "offline" presence (the last will) if the room dies.
"""

from __future__ import annotations

import collections
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import paho.mqtt.client as mqtt

from ashisense.alarms import AlarmEvent
from ashisense.session.runner import SessionListener
from ashisense.studio.client import Will, connect, make_client
from ashisense.studio.condition import DOWN, OK, LinkCondition
from ashisense.studio.topics import KINDS, PAGE_TO_TOPIC, payload, room_topic, versioned
from ashisense.studio.urls import StudioUrl, topic_part

log = logging.getLogger(__name__)

#: Seconds of silence after which the broker drops a hung room (and publishes its will at
#: 1.5 times that); a killed room's connection closes at once.
KEEPALIVE_S = 5
#: QoS 1 messages held while the broker is out of reach (an hour of events at 3 a second).
MAX_QUEUED = 10_000
#: Messages the handover queue holds before the sender takes them (oldest dropped beyond).
MAX_HANDOVER = 4096
#: A first connection this much later than the start counts as an outage (if it cost anything).
FIRST_CONNECT_GRACE_S = 5.0
#: How long stop() waits for the broker to take the "offline" presence.
STOP_WAIT_S = 2.0


class _Message(NamedTuple):
    kind: str  # the topic kind
    text: str
    t_s: float
    what: str = ""  # an event's name (alarm, note); else the kind


@dataclass(frozen=True)
class Outage:
    """A time the room could not reach the broker: from t_start_s to t_end_s (host time);
    frames_unsent: live messages not sent meanwhile; events_dropped: alarm transitions and
    notes that did not fit the local queue and never reached the broker."""

    t_start_s: float
    t_end_s: float
    frames_unsent: int
    events_dropped: int


class RoomPublisher(SessionListener):
    """Publishes one room under ashisense/<studio>/<room>/ (see module doc).

    room: the room's name as people say it ("Room 2"; its topic part is "room-2", which the
    broker's ACL gives this room's login). on_change(condition): the broker link's condition
    changed (from paho's thread; return at once). on_outage(outage): the broker is back after
    an outage in which something was not sent (paho's thread).
    """

    viewers = 1  # as a display's sink: the studio watches (frames are built for it)

    def __init__(
        self,
        url: StudioUrl,
        room: str,
        *,
        keepalive_s: int = KEEPALIVE_S,
        max_queued: int = MAX_QUEUED,
        on_change: Callable[[LinkCondition], None] | None = None,
        on_outage: Callable[[Outage], None] | None = None,
    ) -> None:
        self.url, self.room, self.room_id = url, room, topic_part(room, "--room")
        self.boot = secrets.token_hex(6)  # events are numbered per boot: the desk drops repeats
        self._keepalive_s, self._max_queued = keepalive_s, max_queued
        self._on_change, self._on_outage = on_change, on_outage
        self._lock = threading.Lock()
        self._handover: collections.deque[_Message] = collections.deque()
        # QoS 1 messages not yet with the broker, oldest first; and those paho has, by mid.
        self._held: collections.deque[_Message] = collections.deque()
        self._inflight: dict[int, _Message] = {}
        self._ready = threading.Event()  # connected, paho's unacknowledged ones taken back
        self._send_lock = threading.Lock()  # one of: the sender handing over, a reconnection
        self._wake, self._stopping = threading.Event(), threading.Event()
        self._n = 0
        self._studio_link: dict[str, Any] = {}
        self._condition = LinkCondition(DOWN, f"connecting to {url}", time.time())
        self._outage_start_s: float | None = time.time()
        self._was_connected = False
        self._unsent = 0  # frames not sent in this outage
        self._lost: list[_Message] = []  # QoS 1 messages dropped, not reported yet
        self._dropped_in_outage = 0
        will = Will(self.topic("status"), self._presence("offline", "connection lost"))
        self._client = make_client(url, f"ashisense-room-{url.studio}-{self.room_id}", will)
        self._client.on_connect = self._connected
        self._client.on_disconnect = self._disconnected
        self._client.on_publish = self._acknowledged
        self._sender = threading.Thread(target=self._send_loop, name="ashisense-mqtt-send")

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> RoomPublisher:
        """Connect in the background (and keep reconnecting); returns at once."""
        self._sender.start()
        connect(self._client, self.url, self._keepalive_s)
        return self

    def stop(self) -> None:
        """Send what is queued, say "offline" (stopped), disconnect. Idempotent."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake.set()
        if self._sender.is_alive():
            self._sender.join(10.0)
        info = self._client.publish(
            self.topic("status"), self._presence("offline", "stopped"), qos=1, retain=True
        )
        if self._client.is_connected():
            try:
                info.wait_for_publish(STOP_WAIT_S)
            except (RuntimeError, ValueError):  # the connection went meanwhile
                log.debug("the offline presence did not reach the broker")
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def condition(self) -> LinkCondition:
        with self._lock:
            return self._condition

    def topic(self, kind: str) -> str:
        return room_topic(self.url.studio, self.room_id, kind)

    # -- what the room hands over (any thread; never waits) --------------------------------
    def publish(self, kind: str, text: str, seq: int | None = None) -> None:
        """A live page message (setup, alarms, status, frame, grid) as the websocket sends it
        (seq: a frame's newest sample, which the message carries too)."""
        topic_kind = PAGE_TO_TOPIC.get(kind)
        if topic_kind is not None:
            self._put(_Message(topic_kind, versioned(text), time.time()))

    def on_alarm(self, event: AlarmEvent) -> None:
        self._event("alarm", event.as_dict())

    def on_note(self, t_s: float, text: str, author: str = "") -> None:
        self._event("note", {"t_s": t_s, "text": text, "author": author})

    def set_studio_link(self, **parts: Any) -> None:
        """Parts of the room's studio link the desk shows (the database copy's condition):
        sent again with the retained presence."""
        with self._lock:
            self._studio_link.update(parts)
        self._put(_Message("status", self._presence("online"), time.time()))

    # -- helpers -----------------------------------------------------------------------------
    def _event(self, event: str, fields: dict[str, Any]) -> None:
        """A numbered event (fields with its host time t_s) for the QoS 1 "event" topic."""
        self._put(_Message("event", self._numbered(event, fields), float(fields["t_s"]), event))

    def _numbered(self, event: str, fields: dict[str, Any]) -> str:
        with self._lock:
            self._n += 1
            n = self._n
        return payload(type="event", event=event, boot=self.boot, n=n, **fields)

    def _presence(self, state: str, reason: str = "") -> str:
        with self._lock:
            link = dict(self._studio_link)
        return payload(
            type="room", room=self.room, room_id=self.room_id, state=state, reason=reason,
            t_s=time.time(), boot=self.boot, studio_link=link,
        )  # fmt: skip

    def _put(self, message: _Message) -> None:
        with self._lock:
            if len(self._handover) >= MAX_HANDOVER:
                self._drop(self._handover.popleft())
            self._handover.append(message)
        self._wake.set()

    def _drop(self, message: _Message) -> None:
        """Count a message that will never be sent (lock held)."""
        if KINDS[message.kind].qos == 0:
            self._unsent += 1
        else:
            self._lost.append(message)
            self._dropped_in_outage += 1

    def _send_loop(self) -> None:
        while True:
            self._wake.wait(0.5)
            self._wake.clear()
            with self._lock:
                batch, self._handover = self._handover, collections.deque()
            for message in batch:
                self._send(message)
            self._hand_held()  # what waited for the broker, once it is back
            if self._report_lost():
                self._hand_held()
            if self._stopping.is_set():
                with self._lock:
                    if not self._handover:
                        return

    def _send(self, message: _Message) -> None:
        kind = KINDS[message.kind]
        if kind.qos == 0:
            if self._ready.is_set():
                self._client.publish(self.topic(message.kind), message.text, 0, kind.retain)
            else:
                with self._lock:
                    self._unsent += 1
            return
        with self._lock:
            self._hold([message])
        self._hand_held()

    def _hold(self, messages: list[_Message], first: bool = False) -> None:
        """Hold QoS 1 messages (at the front: taken back from paho); the oldest beyond
        max_queued are dropped and counted (lock held)."""
        if first:
            self._held.extendleft(reversed(messages))
        else:
            self._held.extend(messages)
        while len(self._held) > self._max_queued:
            self._drop(self._held.popleft())

    def _hand_held(self) -> None:
        """Hand the held QoS 1 messages to paho, oldest first, while connected."""
        with self._send_lock:
            while self._ready.is_set():
                with self._lock:
                    if not self._held:
                        return
                    message = self._held.popleft()
                kind = KINDS[message.kind]
                topic = self.topic(message.kind)
                info = self._client.publish(topic, message.text, kind.qos, kind.retain)
                with self._lock:
                    self._inflight[info.mid] = message

    def _report_lost(self) -> bool:
        """Once connected: one "lost" event for the QoS 1 messages dropped locally (what they
        were, when), after what was held (so that it drops nothing more); True if it was made."""
        with self._lock:
            lost = list(self._lost) if not self._held else []
        if not lost or not self._ready.is_set():
            return False
        kinds = collections.Counter(m.what or m.kind for m in lost)
        text = self._numbered("lost", {"t_s": time.time(), "count": len(lost),
                                       "kinds": dict(kinds), "t_first_s": lost[0].t_s,
                                       "t_last_s": lost[-1].t_s})  # fmt: skip
        with self._lock:
            del self._lost[: len(lost)]
            self._hold([_Message("event", text, time.time(), "lost")])
        log.error("studio link: %d messages dropped while the broker was out of reach", len(lost))
        return True

    def _set_condition(self, state: str, message: str) -> None:
        with self._lock:
            self._condition = self._condition.moved(state, message, time.time())
            condition = self._condition
        if self._on_change is not None:
            self._on_change(condition)

    # -- paho's thread -------------------------------------------------------------------------
    def _connected(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self._set_condition(DOWN, f"the broker at {self.url} refused the room: {reason}")
            return
        with self._send_lock:  # before paho sends again what it has: in order, through us
            self._take_back(client.drop_out_messages())
            client.publish(self.topic("status"), self._presence("online"), qos=1, retain=True)
            self._ready.set()
        with self._lock:
            start, self._outage_start_s = self._outage_start_s, None
            unsent, dropped = self._unsent, self._dropped_in_outage
            self._unsent = self._dropped_in_outage = 0
            late = start is not None and time.time() - start > FIRST_CONNECT_GRACE_S
            report = start is not None and (self._was_connected or (late and (unsent or dropped)))
            self._was_connected = True
        self._set_condition(OK, f"connected to {self.url}")
        self._wake.set()  # report drops now
        if report and start is not None and self._on_outage is not None:
            self._on_outage(Outage(start, time.time(), unsent, dropped))

    def _take_back(self, unacknowledged: list[mqtt.MQTTMessage]) -> None:
        """What paho sent without an acknowledgement goes back to the front of the held
        messages (the presence is sent afresh on every connection)."""
        with self._lock:
            inflight, self._inflight = self._inflight, {}
            back = [inflight[m.mid] for m in unacknowledged if m.mid in inflight]
            self._hold([m for m in back if m.kind != "status"], first=True)

    def _acknowledged(self, _c: Any, _u: Any, mid: int, reason: Any, _p: Any) -> None:
        with self._lock:
            message = self._inflight.pop(mid, None)
        if message is not None and reason.is_failure:
            log.error("the broker refused %s from %s: %s", message.kind, self.room_id, reason)

    def _disconnected(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._ready.clear()
        with self._lock:
            if self._outage_start_s is None:
                self._outage_start_s = time.time()
        if not self._stopping.is_set():
            self._set_condition(DOWN, f"broker {self.url} out of reach ({reason}); reconnecting")
