"""The live dashboard with a device that does not behave, over real ptys and uvicorn: one
that never says who it is keeps being retried, the page is told, and the no-data alarm
sounds; one that comes back as another device is refused with its own technical alarm until
a person accepts it from the page (POST /api/device/accept), and then its data flows."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dashkit
import httpx
import numpy as np
from websockets.sync.client import ClientConnection

from ashisense.live import load_live_config
from ashisense.rig import load_rig
from dashboard.app import create_app
from firmware_bridge.protocol import encode_samples
from tests.linkkit import PtyPort

MAT_RIG = dashkit.EXAMPLES / "mat_only_rig.toml"
MAT = load_rig(MAT_RIG)
HELLO_A: dict[str, Any] = {
    "protocol": 1,
    "device": "test-mat",
    "serial": "MAT-A",
    "firmware": "1",
    "rate_hz": 100,
    "channels": list(MAT.channels),
}


def _samples(first_seq: int, n: int) -> bytes:
    """n samples at 100 Hz of an unloaded mat (every cell at its zero)."""
    seq = np.arange(first_seq, first_seq + n)
    counts = np.tile(MAT.offsets_counts.astype(np.int64), (n, 1))
    return encode_samples(seq, seq * 10_000, np.zeros(n, dtype=np.int64), counts)


def _live(tmp: Path, url: str) -> dashkit.Server:
    live = load_live_config(
        MAT_RIG,
        store_path=tmp / "sessions.sqlite",
        profiles_dir=dashkit.EXAMPLES / "profiles",
        rules_path=dashkit.EXAMPLES / "rules" / "studio_default.toml",
        device_url=url,
    )
    port = dashkit.free_port()
    return dashkit.Server(create_app(dashkit.dashboard_settings(tmp, live, port)), port)


class Page:
    """What a live page would see: the latest status and alarms, read from a websocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.status: dict[str, Any] = {}
        self.alarms: list[dict[str, Any]] = []

    def until(self, predicate: Callable[[Page], bool], timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s  # only to catch hangs
        while not predicate(self):
            left = deadline - time.monotonic()
            assert left > 0, f"the page never saw {predicate}: {self.status} {self.alarms}"
            msg = json.loads(self.ws.recv(timeout=left))
            if msg["type"] == "status":
                self.status = msg
            elif msg["type"] == "alarms":
                self.alarms = msg["list"]

    def alarm(self, rule_id: str) -> dict[str, Any] | None:
        return next((a for a in self.alarms if a["rule_id"] == rule_id), None)


@contextlib.contextmanager
def _page(server: dashkit.Server) -> Iterator[tuple[Page, str]]:
    """A logged-in live page and its login token."""
    token = server.login()
    with dashkit.live_socket(server, token) as ws:
        yield Page(ws), token


def _accept(server: dashkit.Server, token: str) -> httpx.Response:
    headers = {"Cookie": server.cookie_header(token), "Origin": server.url}
    return httpx.post(f"{server.url}/api/device/accept", headers=headers)


def test_a_device_that_never_says_who_it_is_is_shown_and_raises_the_no_data_alarm(
    tmp_path: Path, pty_pair: tuple[int, str]
) -> None:
    with _live(tmp_path, pty_pair[1]) as server, _page(server) as (page, token):
        page.until(lambda p: p.alarm("no_data") is not None)
        page.until(lambda p: p.status["link"]["state"] == "connected, waiting for HELLO")
        refused = _accept(server, token)
    link = page.status["link"]
    assert link["identified"] is False and link["samples"] == 0 and link["refused"] == ""
    no_data = page.alarm("no_data")
    assert no_data is not None and no_data["priority"] == "high"
    assert refused.status_code == 409 and "no device is refused" in refused.text


def test_another_device_is_refused_with_an_alarm_until_a_person_accepts_it(
    tmp_path: Path,
) -> None:
    with PtyPort(tmp_path / "ttyMAT") as port, _live(tmp_path, str(port.path)) as server:
        first = port.plug(HELLO_A)
        with _page(server) as (page, token):
            assert first.got_start.wait(30), "the rig's own device was not started"
            first.send(_samples(0, 50))
            page.until(lambda p: p.status.get("link", {}).get("serial") == "MAT-A")
            port.pull()
            other = port.plug({**HELLO_A, "serial": "MAT-B"})
            page.until(lambda p: p.alarm("device_refused") is not None)
            page.until(lambda p: bool(p.status["link"]["refused"]))
            refused_status, refused_alarm = page.status["link"], page.alarm("device_refused")
            assert not other.got_start.is_set()
            accepted = _accept(server, token)
            assert other.got_start.wait(30), "the accepted device was not started"
            other.send(_samples(0, 50))
            page.until(lambda p: p.status["link"]["serial"] == "MAT-B")
            page.until(lambda p: p.alarm("device_refused") is None)
            after = page.status["link"]
    assert refused_status["state"].startswith("refused") and not refused_status["identified"]
    assert "MAT-B" in refused_status["refused"]
    assert refused_alarm is not None and refused_alarm["priority"] == "medium"
    assert refused_alarm["message"].startswith("Another device is connected")
    assert accepted.status_code == 200 and "MAT-B" in accepted.json()["message"]
    assert after["identified"] and after["refused"] == ""
