"""A room's publisher and the desk's feed over a real Mosquitto (password file, per-room ACL):
presence and last will, numbered events in order and once, the live page's messages passed
on as they are, a room refused when it writes as another room."""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import ROOMS, STUDIO
from infrakit import MosquittoBroker, MqttProbe
from studiokit import desk_feed, events, presence, publisher, room_row, room_state, wait_for

from ashisense.studio.feed import StudioFeed
from ashisense.studio.topics import SCHEMA_VERSION, room_topic


@pytest.fixture
def desk(mqtt_broker: MosquittoBroker) -> Iterator[tuple[StudioFeed, queue.Queue[Any]]]:
    with desk_feed(mqtt_broker, STUDIO) as feed_and_relayed:
        yield feed_and_relayed


def test_a_room_shows_online_then_offline_when_it_stops(mqtt_broker, desk) -> None:
    feed, _ = desk
    room = publisher(mqtt_broker, STUDIO, ROOMS[0])

    def heard_online() -> bool:
        # The desk shows a room online while it hears from it (a live room's health comes
        # twice a second): keep talking, or a busy machine's late look sees it silent.
        room.publish("status", json.dumps({"type": "status", "session_id": None}))
        return room_state(feed, ROOMS[0]) == "online"

    try:
        wait_for(heard_online, "the room online")
    finally:
        room.stop()
    wait_for(lambda: room_state(feed, ROOMS[0]) == "offline", "the room offline")
    assert room_row(feed, ROOMS[0])["reason"] == "stopped"


def test_events_arrive_in_order_once_and_page_messages_as_sent(mqtt_broker, desk) -> None:
    feed, relayed = desk
    room = publisher(mqtt_broker, STUDIO, ROOMS[1])
    try:
        for i in range(50):
            room.on_note(1000.0 + i, f"note {i}", "test")
        wait_for(lambda: len(events(feed, ROOMS[1])) == 50, "50 notes at the desk")
        frame = {"type": "frame", "seq": 7, "feet_n": 123.4}  # QoS 0: sent once connected
        room.publish("frame", json.dumps(frame, separators=(",", ":")))
        texts = [e["text"] for e in events(feed, ROOMS[1])]
        assert texts == [f"note {i}" for i in range(50)]
        while True:
            room_id, kind, text = relayed.get(timeout=30)
            if kind == "frame":
                break
        assert room_id == ROOMS[1]
        assert json.loads(text) == {"v": SCHEMA_VERSION, **frame}
    finally:
        room.stop()


def test_a_room_cannot_publish_as_another_room(mqtt_broker, desk) -> None:
    feed, _ = desk
    probe = MqttProbe(mqtt_broker, ROOMS[0])
    try:
        topic = room_topic(STUDIO, ROOMS[2], "event")
        doc = {"v": SCHEMA_VERSION, "type": "event", "event": "note", "boot": "x", "n": 1}
        reason = probe.publish(topic, json.dumps(doc).encode())
        assert reason.is_failure and "authori" in str(reason).lower()
        own = room_topic(STUDIO, ROOMS[0], "event")
        assert not probe.publish(own, json.dumps(doc).encode()).is_failure
        wait_for(lambda: events(feed, ROOMS[0]), "the room's own event at the desk")
        assert events(feed, ROOMS[2]) == []
    finally:
        probe.close()


def test_events_beyond_the_local_queue_are_reported_lost(own_mosquitto: MosquittoBroker) -> None:
    broker = own_mosquitto
    with desk_feed(broker, STUDIO) as (feed, _):
        room = publisher(broker, STUDIO, ROOMS[0], max_queued=5)
        try:
            wait_for(lambda: presence(feed, ROOMS[0]) == "online", "the room's presence")
            broker.stop()
            wait_for(lambda: room.condition.state == "down", "the room seeing the broker gone")
            for i in range(20):
                room.on_note(2000.0 + i, f"note {i}")
            broker.start()
            wait_for(lambda: any(e["event"] == "lost" for e in events(feed, ROOMS[0])),
                     "the report of what was dropped")  # fmt: skip
            notes = [e for e in events(feed, ROOMS[0]) if e["event"] == "note"]
            (lost,) = [e for e in events(feed, ROOMS[0]) if e["event"] == "lost"]
            assert len(notes) + lost["kinds"]["note"] == 20 and len(notes) <= 5
            assert lost["count"] == sum(lost["kinds"].values())
            kept = range(20 - len(notes), 20)  # the oldest dropped: the newest, in order
            assert [n["text"] for n in notes] == [f"note {i}" for i in kept]
        finally:
            room.stop()
