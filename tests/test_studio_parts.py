"""The studio link's pure parts: broker URLs (TLS, the studio's name, no password in any
text), room names as topic parts, topics and payloads, and the desk's board (a room is online
only while heard from; events once each)."""

from __future__ import annotations

import pytest

from ashisense.studio import StudioUrl, StudioUrlError, topic_part
from ashisense.studio.board import SILENCE_S, RoomBoard
from ashisense.studio.topics import parse_topic, read_payload, room_topic, versioned


def test_a_broker_url_names_the_studio_and_hides_its_password() -> None:
    url = StudioUrl.parse("mqtts://room-2:s3cr%40t@broker.example/Downtown?ca=/etc/ca.pem")
    assert (url.host, url.port, url.tls, url.studio) == ("broker.example", 8883, True, "downtown")
    assert (url.user, url.password, url.ca_file) == ("room-2", "s3cr@t", "/etc/ca.pem")
    assert "s3cr" not in str(url) and "s3cr" not in repr(url)
    assert str(url) == "mqtts://room-2@broker.example:8883/downtown"
    plain = StudioUrl.parse("mqtt://desk@127.0.0.1")
    assert (plain.port, plain.tls, plain.studio, plain.password) == (1883, False, "studio", None)


@pytest.mark.parametrize(
    "bad", ["http://host", "mqtt://", "mqtt://host:99999", "mqtt://host/a+b", "mqtt://host/a%23b"]
)
def test_a_broker_url_that_cannot_be_used_says_why(bad: str) -> None:
    with pytest.raises(StudioUrlError, match="--studio"):
        StudioUrl.parse(bad)


def test_room_names_become_topic_parts() -> None:
    assert topic_part("Room 2", "--room") == "room-2"
    assert topic_part("  Massage  Room  ", "--room") == "massage-room"
    for bad in ("", "a/b", "room+", "#"):
        with pytest.raises(StudioUrlError, match="--room"):
            topic_part(bad, "--room")


def test_topics_and_payloads_round_trip() -> None:
    topic = room_topic("studio", "room-2", "frame")
    assert topic == "ashisense/studio/room-2/frame"
    assert parse_topic(topic) == ("studio", "room-2", "frame")
    assert parse_topic("ashisense/studio/room-2/unknown") is None
    assert read_payload(versioned('{"type":"frame","seq":3}').encode()) == {
        "v": 1, "type": "frame", "seq": 3}  # fmt: skip
    assert read_payload(b'{"v":2,"type":"frame"}') is None  # another schema version
    assert read_payload(b"not json") is None


def _board() -> RoomBoard:
    board = RoomBoard()
    board.connected = True
    return board


def test_a_room_is_online_only_while_it_is_heard_from() -> None:
    board = _board()
    online = {"v": 1, "type": "room", "room": "Room 1", "state": "online"}
    board.take("room-1", "status", online, now=100.0, retained=True)
    assert board.state(board.rooms["room-1"], 100.0) == "silent"  # retained: not heard now
    board.take("room-1", "health", {"session_id": None}, now=101.0, retained=False)
    assert board.state(board.rooms["room-1"], 101.0 + SILENCE_S) == "online"
    assert board.state(board.rooms["room-1"], 101.1 + SILENCE_S) == "silent"
    board.connected = False
    assert board.state(board.rooms["room-1"], 101.0) == "unreachable"
    board.connected = True
    board.take("room-1", "status", {**online, "state": "offline", "reason": "connection lost"},
               now=102.0, retained=False)  # fmt: skip
    (row,) = board.overview(102.0)
    assert (row["room"], row["state"], row["reason"]) == ("Room 1", "offline", "connection lost")
    assert row["alarms_current"] is False and row["feet_n"] is None


def test_the_desk_takes_each_event_once_in_order() -> None:
    board = _board()
    events = [{"v": 1, "type": "event", "event": "note", "boot": "b1", "n": n} for n in (1, 2)]
    taken = [board.take("room-1", "event", e, 1.0, False) for e in (*events, events[0])]
    assert taken == [True, True, False]
    assert [e["n"] for e in board.rooms["room-1"].events] == [1, 2]
    again = {**events[0], "boot": "b2"}  # the room restarted: its numbers start again
    assert board.take("room-1", "event", again, 2.0, False)


def test_the_overview_shows_a_frame_only_while_it_is_fresh() -> None:
    board = _board()
    frame = versioned('{"type":"frame","feet_n":312.4,"region":"upper_back","no_go":false}')
    board.take_frame("room-1", frame.encode(), now=10.0)
    (row,) = board.overview(10.5)
    assert (row["state"], row["feet_n"], row["region"]) == ("online", 312.4, "upper_back")
    (row,) = board.overview(10.0 + SILENCE_S + 0.1)
    assert (row["state"], row["feet_n"], row["region"]) == ("silent", None, None)
