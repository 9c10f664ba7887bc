"""The throwaway servers the studio tests stand on: a broker that checks passwords and keeps
each room to its own topics, and a PostgreSQL cluster that keeps its data across a restart."""

from __future__ import annotations

import psycopg
import pytest
from conftest import STUDIO
from infrakit import MosquittoBroker, MqttProbe, PostgresCluster

# The broker is shared by the run: these tests read and write topics of their own, never the
# rooms' (whose retained status messages a desk subscribing to ashisense/# would get first).
PROBE = "probe-infra"


def _topic(room: str) -> str:
    return f"ashisense/{STUDIO}/{room}/{PROBE}"


def test_broker_delivers_a_room_message_to_the_desk(mqtt_broker: MosquittoBroker) -> None:
    desk, room = MqttProbe(mqtt_broker, "desk"), MqttProbe(mqtt_broker, "room-1")
    try:
        assert desk.subscribe(f"ashisense/+/+/{PROBE}")[0].value == 1  # granted QoS 1
        code = room.publish(_topic("room-1"), b"calm")
        assert not code.is_failure
        msg = desk.next_message()
        assert (msg.topic, msg.payload) == (_topic("room-1"), b"calm")
    finally:
        desk.close()
        room.close()


def test_broker_refuses_a_wrong_password(mqtt_broker: MosquittoBroker) -> None:
    probe = MqttProbe(mqtt_broker, "room-1", password="wrong")
    try:
        assert probe.connect_code.is_failure
        assert probe.connect_code.getName() in ("Bad user name or password", "Not authorized")
    finally:
        probe.close()


def test_broker_refuses_a_room_publishing_as_another_room(mqtt_broker: MosquittoBroker) -> None:
    desk, room = MqttProbe(mqtt_broker, "desk"), MqttProbe(mqtt_broker, "room-1")
    try:
        desk.subscribe(f"ashisense/+/+/{PROBE}")
        refused = room.publish(_topic("room-2"), b"forged")
        assert refused.getName() == "Not authorized"
        room.publish(_topic("room-1"), b"own")
        # Both went through one connection in order: the first thing the desk sees is the second.
        assert desk.next_message().payload == b"own"
        assert desk.messages.empty()
        # and the desk may read but not write
        assert desk.publish(_topic("room-1"), b"desk").getName() == "Not authorized"
    finally:
        desk.close()
        room.close()


def test_broker_keeps_qos1_messages_for_a_persistent_session_across_a_restart(
    own_mosquitto: MosquittoBroker,
) -> None:
    def desk() -> MqttProbe:
        return MqttProbe(own_mosquitto, "desk", client_id="desk-kept", session_expiry_s=3600)

    first = desk()
    first.subscribe("ashisense/#")
    first.close()
    room = MqttProbe(own_mosquitto, "room-2")
    room.publish(f"ashisense/{STUDIO}/room-2/alarm", b"raised")  # queued for the absent desk
    room.close()
    own_mosquitto.stop()
    own_mosquitto.start()
    again = desk()
    try:
        assert again.next_message().payload == b"raised"
    finally:
        again.close()


def test_postgres_round_trip_with_password_and_restart(own_postgres: PostgresCluster) -> None:
    url = own_postgres.create_database("roundtrip")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO t VALUES (1, 'one')")
    own_postgres.stop(immediate=True)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=5)
    own_postgres.start()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT v FROM t WHERE k = 1").fetchone() == ("one",)
    wrong = url.replace(own_postgres.password, "wrong")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=5)
