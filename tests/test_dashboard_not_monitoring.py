"""A live page that never shows old data as live, in real Chromium (Debian's, headless, via
Playwright) against a real uvicorn server on a scripted pty rig: when the server goes away the
whole page turns NOT MONITORING (values blanked, alarms stale, recording unknown, the
technical alarm sounding) and recovers when it is back; a logout elsewhere sends it to the
login page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dashkit
import httpx
import pytest
from playwright.sync_api import Browser, Page

from ashisense.alarms import AlarmState

ALARM_ROWS = "#alarms .alarm[data-rule]"


@pytest.fixture
def dash(tmp_path: Path) -> Iterator[tuple[dashkit.Server, dashkit.ScriptedRig]]:
    """A live dashboard of its own: these tests stop it, or end its logins."""
    with dashkit.running_dashboard(tmp_path) as (server, rig):
        yield server, rig


@pytest.fixture
def page(browser: Browser, dash: tuple[dashkit.Server, dashkit.ScriptedRig]) -> Iterator[Page]:
    """A logged-in page on the live view, showing numbers."""
    with dashkit.watched_page(browser, dash[0], "/live") as pg:
        pg.wait_for_selector("body[data-frames]")
        yield pg


def _showing_live_numbers(page: Page) -> None:
    page.wait_for_selector("body[data-monitoring=on]", timeout=20000)
    page.wait_for_selector("#not-monitoring", state="hidden")
    page.wait_for_selector("#feet-value:not(:text-is('–'))", timeout=30000)


def _alarm_rules(page: Page) -> set[str]:
    return {row.get_attribute("data-rule") or "" for row in page.query_selector_all(ALARM_ROWS)}


def test_the_page_says_not_monitoring_while_the_server_is_gone_and_recovers(
    page: Page, dash: tuple[dashkit.Server, dashkit.ScriptedRig]
) -> None:
    server, rig = dash
    rig.climb_on(560.0)  # over the client's upper-back limit: a high alarm
    page.wait_for_selector("#alarms .alarm.high.flash", timeout=30_000)
    _showing_live_numbers(page)
    shown_before = _alarm_rules(page)
    server.stop()
    page.wait_for_selector("body[data-monitoring=off]", timeout=30_000)
    assert page.is_visible("#not-monitoring")
    assert "NOT MONITORING" in page.inner_text("#not-monitoring")
    # nothing from before passes for live: values blank, alarms stale and steady, REC unknown
    assert page.inner_text("#feet-value") == "–"
    assert page.inner_text("#bars .bar-left") == "–"
    assert page.inner_text("#bars .bar-right") == "–"
    assert page.query_selector_all("#alarms .alarm.flash") == []
    stale = page.query_selector_all("#alarms .alarm.stale")
    assert stale and "stale" in stale[0].inner_text().lower()
    assert page.inner_text("#rec") == "recording state unknown"
    assert page.get_attribute("body", "data-audible") == "high"  # the technical alarm
    dashkit.shot(page, "live-not-monitoring")
    rig.climb_off()
    server.start()  # the same app: the page's login still holds
    _showing_live_numbers(page)
    page.wait_for_selector("#rec:has-text('not recording')")
    assert page.query_selector_all("#alarms .alarm.stale") == []
    # the alarms shown are the new server's: the overload from before is not among them
    runtime = server.app.state.runtime
    now_raised = {h.lead.rule_id for h in runtime.hazards() if h.state is not AlarmState.INACTIVE}
    gone = shown_before - now_raised
    assert gone, f"the overload should be over: {shown_before} still raised"
    for rule in gone:
        page.wait_for_selector(f"{ALARM_ROWS}[data-rule='{rule}']", state="detached")


def test_a_logout_elsewhere_or_here_sends_the_open_page_to_the_login(
    page: Page, dash: tuple[dashkit.Server, dashkit.ScriptedRig]
) -> None:
    server, _ = dash
    _showing_live_numbers(page)
    cookie = next(c for c in page.context.cookies() if c["name"] == "ashisense_login")
    out = httpx.post(
        f"{server.url}/api/logout",
        headers={"Origin": server.url, "Cookie": server.cookie_header(cookie["value"])},
    )
    assert out.status_code == 200
    page.wait_for_url("**/login?next=*", timeout=30_000)
    page.fill("#password", dashkit.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/live")
    _showing_live_numbers(page)
    # the page's own Log out passes the origin rule, and ends the login on the server too
    cookie = next(c for c in page.context.cookies() if c["name"] == "ashisense_login")
    page.click("#btn-logout")
    page.wait_for_url("**/login?next=*", timeout=30_000)
    me = httpx.get(
        f"{server.url}/api/me", headers={"Cookie": server.cookie_header(cookie["value"])}
    )
    assert me.json()["logged_in"] is False
