"""The studio's desk with the real parts: rooms as separate `ashisense serve` processes on
simulated rigs, a real Mosquitto and PostgreSQL, the desk on real uvicorn, seen in Chromium:
every room live, a room's own live view through the broker, every room's sessions from
PostgreSQL, a killed room offline. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dashkit
import httpx
import pytest
from conftest import ROOMS, STUDIO
from infrakit import MosquittoBroker
from playwright.sync_api import Browser, Page
from studiokit import DEADLINE_S, RoomProcess, studio_url, wait_for

from ashisense.studio.publisher import KEEPALIVE_S
from dashboard.desk.app import create_desk_app

#: A killed room is offline at the desk within the broker's keepalive (1.5 times the
#: interval: its last will), plus the desk's own push interval and a browser frame.
OFFLINE_WITHIN_MS = (KEEPALIVE_S * 1.5 + 2.0) * 1000


@pytest.fixture
def rooms(tmp_path: Path, mqtt_broker: MosquittoBroker, pg_url: str) -> Iterator[list[RoomProcess]]:
    made: list[RoomProcess] = []
    try:
        for i in (0, 1):
            url = f"{mqtt_broker.url(ROOMS[i])}/{STUDIO}"
            device = f"sim://stepping?seed={i + 1}"
            made.append(RoomProcess(tmp_path / f"room{i}", f"Room {i + 1}", url, pg_url, device))
        yield made
    finally:
        for room in made:
            room.kill()


@pytest.fixture
def desk(tmp_path: Path, mqtt_broker: MosquittoBroker, pg_url: str) -> Iterator[dashkit.Server]:
    port = dashkit.free_port()
    settings = dashkit.dashboard_settings(tmp_path / "desk", None, port, store_url=pg_url)
    app = create_desk_app(settings, studio_url(mqtt_broker, "desk", STUDIO))
    with dashkit.Server(app, port) as server:
        yield server


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with dashkit.watched_page(browser) as pg:
        yield pg


def _card(room_id: str, state: str = "online") -> str:
    return f'.room[data-room="{room_id}"][data-state="{state}"]'


def test_the_desk_shows_every_room_and_a_killed_room_goes_offline(
    rooms: list[RoomProcess], desk: dashkit.Server, page: Page
) -> None:
    sid = rooms[0].start_session()
    dashkit.open_logged_in(page, desk, "/desk")
    for room_id in ROOMS[:2]:
        page.wait_for_selector(_card(room_id), timeout=DEADLINE_S * 1000)
    recording = page.locator(_card(ROOMS[0]))
    recording.filter(has_text=f"REC session {sid}").wait_for(timeout=DEADLINE_S * 1000)
    assert "therapist" in recording.inner_text() and "Room 1" in recording.inner_text()
    assert "not recording" in page.locator(_card(ROOMS[1])).inner_text()
    dashkit.shot(page, "studio-desk")

    page.click(_card(ROOMS[0]))  # the room's own live view, fed through the broker
    page.wait_for_url(f"**/rooms/{ROOMS[0]}/")
    page.wait_for_selector("body[data-frames]", timeout=DEADLINE_S * 1000)
    wait_for(lambda: int(page.evaluate("document.body.dataset.frames")) > 20, "frames shown")
    assert page.locator("#btn-start").is_hidden() and page.locator("#btn-sound").is_visible()
    assert page.locator("#rec").inner_text() == f"● REC session {sid}"
    dashkit.shot(page, "studio-room-view")

    page.goto(f"{desk.url}/desk")
    page.wait_for_selector(_card(ROOMS[1]), timeout=DEADLINE_S * 1000)
    rooms[1].kill()
    page.wait_for_selector(_card(ROOMS[1], "offline"), timeout=OFFLINE_WITHIN_MS)
    page.wait_for_selector("body[data-audible=high]", timeout=30_000)
    assert "alarms unknown" in page.locator(_card(ROOMS[1], "offline")).inner_text()
    dashkit.shot(page, "studio-desk-room-offline")

    # every room's sessions, from PostgreSQL, for the review page
    auth = {"Authorization": f"Bearer {desk.login()}"}
    listed = wait_for(
        lambda: [r for r in httpx.get(f"{desk.url}/api/sessions", headers=auth).json()],
        "the recording session listed from PostgreSQL",
    )
    assert listed[0]["client"] == "client-0001"


def test_the_desk_keeps_the_rooms_security_rules(
    rooms: list[RoomProcess], desk: dashkit.Server
) -> None:
    with httpx.Client(base_url=desk.url, timeout=DEADLINE_S) as http:
        assert http.get("/api/rooms").status_code == 401
        assert http.get("/desk").headers["content-security-policy"].startswith("default-src")
        token = desk.login()
        auth = {"Authorization": f"Bearer {token}"}
        assert http.get("/rooms/no-such-room/", headers=auth).status_code == 404
        assert http.get("/api/sessions", headers=auth).status_code == 200
        assert http.get("/api/rooms", headers=auth).json()["broker"]["connected"] in (True, False)
