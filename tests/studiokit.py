"""Helpers for the studio tests: a desk feed and room publishers on a test broker, waiting
on what the desk's board holds (the board offers nothing to wait on but its lock)."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from dashkit import EXAMPLES, ROOT
from infrakit import MosquittoBroker, free_port

from ashisense.store import open_store
from ashisense.studio.feed import StudioFeed
from ashisense.studio.publisher import RoomPublisher
from ashisense.studio.urls import StudioUrl

#: Deadline for something the studio should do soon: generous, only to catch a hang.
DEADLINE_S = 30.0


def studio_url(broker: MosquittoBroker, user: str, studio: str) -> StudioUrl:
    return StudioUrl.parse(f"{broker.url(user)}/{studio}")


def wait_for(check: Callable[[], Any], what: str, timeout_s: float = DEADLINE_S) -> Any:
    """Poll check() (threads and servers of others offer no event) until it is truthy."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.02)


def room_row(feed: StudioFeed, room_id: str) -> dict[str, Any] | None:
    """The desk's overview row of one room (None before the desk heard of it)."""
    return next((r for r in feed.overview()["rooms"] if r["room_id"] == room_id), None)


def room_state(feed: StudioFeed, room_id: str) -> str | None:
    row = room_row(feed, room_id)
    return None if row is None else row["state"]


def presence(feed: StudioFeed, room_id: str) -> str | None:
    """The last presence ("online", "offline") a room sent the desk, however long ago: a
    bare publisher says it once, where the desk's shown state wants a word every 1.5 s."""
    with feed.lock:
        room = feed.board.rooms.get(room_id)
        return None if room is None else room.presence.get("state")


def events(feed: StudioFeed, room_id: str) -> list[dict[str, Any]]:
    """The events the desk took from one room, in the order they came."""
    with feed.lock:
        room = feed.board.rooms.get(room_id)
        return [] if room is None else list(room.events)


def publisher(broker: MosquittoBroker, studio: str, room: str, **kw: Any) -> RoomPublisher:
    """A started publisher logged in as the room's own account (its name's topic part)."""
    return RoomPublisher(studio_url(broker, room, studio), room, **kw).start()


@contextlib.contextmanager
def desk_feed(
    broker: MosquittoBroker, studio: str
) -> Iterator[tuple[StudioFeed, queue.Queue[Any]]]:
    """The desk's subscription to a studio (connected), and a queue of what it relays."""
    relayed: queue.Queue[Any] = queue.Queue()
    feed = StudioFeed(studio_url(broker, "desk", studio), lambda *m: relayed.put(m)).start()
    try:
        if not feed.connected.wait(DEADLINE_S):
            raise AssertionError(
                f"the desk did not connect: {feed.problem}\n{broker.log()[-2000:]}"
            )
        yield feed, relayed
    finally:
        feed.stop()


def alarm_events(feed: StudioFeed, room_id: str) -> list[tuple[float, str, str]]:
    """(t_s, rule_id, transition) of the alarm events the desk took from a room, in order."""
    return [
        (e["t_s"], e["rule_id"], e["transition"])
        for e in events(feed, room_id)
        if e["event"] == "alarm"
    ]


def session_alarms_at_desk(feed: StudioFeed, room_id: str, log: list[Any]) -> list[Any]:
    """The desk's alarm events of one session (those its log holds), in the desk's order."""
    logged = set(log)
    return [e for e in alarm_events(feed, room_id) if e in logged]


def stored_session(target: str | Path, uuid: str) -> dict[str, Any] | None:
    """What a store holds of the session with this UUID (None if it is not there): samples,
    their seq numbers, alarm log, notes, gaps, whether it stopped."""
    with open_store(target, readonly=True) as store:
        info = next((i for i in store.sessions() if i.uuid == uuid), None)
        if info is None:
            return None
        blocks = list(store.blocks(info.id))
        return {
            "samples": store.sample_count(info.id),
            "seq": np.concatenate([b.seq for b in blocks]) if blocks else np.empty(0),
            "alarms": [(a.t_s, a.rule_id, a.transition) for a in store.alarms(info.id)],
            "notes": [(n.t_s, n.text) for n in store.annotations(info.id)],
            "gaps": [(g.t_start_s, g.lost) for g in store.gaps(info.id)],
            "faults": [(f.kind, f.message) for f in store.faults(info.id)],
            "stopped": info.stopped_s is not None,
        }


def assert_copied_once(source: Path, target: str, uuid: str) -> None:
    """The database holds exactly what the room's file holds of a session: every sample once
    (same seq numbers in the same order), the same alarm log, notes and gaps."""
    mine, theirs = stored_session(source, uuid), stored_session(target, uuid)
    assert mine is not None and theirs is not None
    assert theirs["samples"] == mine["samples"] == len(np.unique(theirs["seq"]))
    assert np.array_equal(theirs["seq"], mine["seq"])
    for key in ("alarms", "notes", "gaps", "stopped"):
        assert theirs[key] == mine[key], key


class RoomProcess:
    """`ashisense serve` for a simulated rig as a room of the studio, in its own process:
    its port and first-run password once it listens; stop() as Ctrl-C, kill() as SIGKILL."""

    def __init__(self, home: Path, room: str, broker_url: str, store_url: str | None,
                 device: str) -> None:  # fmt: skip
        self.port = free_port()
        args = ["--rig", str(EXAMPLES / "sim_rig.toml"), "--device", device,
                "--profiles", str(EXAMPLES / "profiles"), "--home", str(home),
                "--port", str(self.port), "--room", room, "--studio", broker_url]  # fmt: skip
        if store_url is not None:
            args += ["--store", store_url]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ashisense", "serve", *args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        )  # fmt: skip
        assert self.proc.stdout is not None
        lines = [self.proc.stdout.readline(), self.proc.stdout.readline()]
        found = re.match(r"login password: (\S+)", lines[1])
        if found is None:
            self.kill()
            raise AssertionError(f"ashisense serve did not start: {lines}")
        self.password = found.group(1)
        self.url = f"http://127.0.0.1:{self.port}"

    def start_session(self) -> int:
        """Start recording through the room's API (as a tablet would)."""
        with httpx.Client(base_url=self.url, timeout=DEADLINE_S) as http:
            token = http.post("/api/login", json={"password": self.password}).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            res = http.post("/api/session/start", json={}, headers=auth)
            assert res.status_code == 200, res.text
            return int(res.json()["session_id"])

    def stop(self) -> int:
        """Ctrl-C; returns the exit code."""
        return self._end(signal.SIGINT)

    def kill(self) -> None:
        """SIGKILL: the room dies without a word (the broker sends its last will)."""
        self._end(signal.SIGKILL)

    def _end(self, how: signal.Signals) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(how)
        code = self.proc.wait(DEADLINE_S)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return code
