"""The dashboard in real Chromium (Debian's, headless, via Playwright) against a real uvicorn
server on a scripted pty rig: login, live numbers, an overload alarm and its acknowledgement,
review playback. Screenshots go to test-artifacts/ for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator

import dashkit
import pytest
from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def dash(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dashkit.Server, dashkit.ScriptedRig]]:
    tmp = tmp_path_factory.mktemp("browser")
    with dashkit.running_dashboard(tmp) as (server, rig):
        # Record from before the therapist climbs on: the review derives the session again
        # from its raw counts, client baseline included.
        server.app.state.runtime.start_session(label="browser test")
        dashkit.wait_for_message(server, server.login(), dashkit.frames_counter(100))
        rig.wobble_n = 25.0
        rig.climb_on(250.0)
        yield server, rig


@pytest.fixture(scope="module")
def page(browser: Browser, dash: tuple[dashkit.Server, dashkit.ScriptedRig]) -> Iterator[Page]:
    """A logged-in page on the live view."""
    with dashkit.watched_page(browser, dash[0], "/live") as pg:
        yield pg


def _clear_alarms(page: Page) -> None:
    """Acknowledge what is shown (the alarms of a start on a busy machine) until none is."""
    if page.query_selector_all("#alarms .alarm"):
        page.click("#btn-ack")
        page.wait_for_selector("#alarms .alarm", state="detached", timeout=30_000)


def test_a_wrong_password_is_refused(
    browser: Browser, dash: tuple[dashkit.Server, dashkit.ScriptedRig]
) -> None:
    server, _ = dash
    with dashkit.watched_page(browser) as pg:
        pg.goto(f"{server.url}/login")
        pg.fill("#password", "not the password")
        pg.click("button[type=submit]")
        pg.wait_for_selector("#err:has-text('Wrong password')")
        assert "/login" in pg.url
        assert pg.context.cookies() == []


def test_the_live_page_shows_numbers_that_change(page: Page) -> None:
    # selectors only: the page's Content-Security-Policy forbids Playwright's string eval
    page.wait_for_selector("body[data-frames]")
    first = page.inner_text("#feet-value")
    page.wait_for_selector(f"#feet-value:not(:text-is('{first}'))")
    shown = ("#feet-value", "#feet .region", "#bars .bar-left")
    feet, region, bar_left = dashkit.live_texts(page, shown)
    assert 20 < float(feet) < 30  # 250 N +- 25 N is 23-28 kgf
    assert region == "Upper back"
    assert bar_left not in ("", "–")
    # streaming again after any moment a busy machine kept frames from the page (the
    # header then honestly says "stalled")
    page.wait_for_selector("#link:has-text('streaming')", timeout=30_000)
    assert "REC session" in page.inner_text("#rec")
    dashkit.shot(page, "live")


# The overload's banner, found by its words: on a busy machine a pause of the scripted rig
# (a thread of this process) may raise a "No data from the rig" alarm beside it.
OVERLOAD = "#alarms .alarm.high:has(.msg:has-text('limit 45.9 kg'))"
NO_DATA = "No data from the rig"


def _banners_but_no_data(page: Page) -> list[str]:
    """The words of every alarm banner shown, but a "no data" one."""
    texts = [b.inner_text() for b in page.query_selector_all("#alarms .alarm")]
    return [t for t in texts if NO_DATA not in t]


def test_an_overload_shows_the_high_priority_alarm_and_acknowledge_works(
    page: Page, dash: tuple[dashkit.Server, dashkit.ScriptedRig]
) -> None:
    _, rig = dash
    page.wait_for_selector("body[data-frames]")
    _clear_alarms(page)  # a busy machine may have raised a technical alarm at start
    rig.watch(450.0)  # the client's upper-back limit (examples/profiles/client_example.toml)
    rig.set_feet(560.0, slew_n_per_s=1500.0)
    # the deadline only catches a hang; how fast it shows is a figure (benchmarks/)
    page.wait_for_selector(f"{OVERLOAD}.flash[data-state=active]", timeout=30_000)
    assert rig.first_over_s is not None
    assert page.get_attribute("body", "data-audible") == "high"
    dashkit.shot(page, "live-alarm")
    page.click(f"{OVERLOAD} button[data-act=pause]")
    page.wait_for_selector(f"{OVERLOAD}.flash[data-state=audio_paused]")  # still flashing
    if not page.query_selector_all("#alarms .alarm[data-state=active]"):
        assert page.get_attribute("body", "data-audible") == ""  # but silent
    page.click("#btn-ack")
    page.wait_for_selector(f"{OVERLOAD}[data-state=acknowledged]")
    assert page.query_selector_all("#alarms .alarm.flash") == []  # silent and steady now
    (text,) = _banners_but_no_data(page)  # two rules tripped: one alarm
    assert "limit 45.9 kg" in text and "also over" in text  # the studio's unit, in words
    assert "feet_overload" not in text and " N " not in text
    assert page.get_attribute("body", "data-audible") == ""
    rig.set_feet(250.0, slew_n_per_s=1500.0)
    page.wait_for_selector(OVERLOAD, state="detached")


def test_review_plays_back_the_recorded_session(page: Page) -> None:
    page.click("#btn-stop")
    page.wait_for_selector("#rec:has-text('not recording')")
    page.goto(page.url.replace("/live", "/review?session=1"))
    page.wait_for_selector("body[data-loaded='1'][data-state='ready']", timeout=30000)
    assert "session 1" in page.inner_text("#summary")
    assert page.query_selector_all("#alarmlog tbody tr")  # the overload is in the alarm log
    assert page.query_selector_all(".flash") == []  # history, not flashing banners
    page.click("#btn-play")
    page.wait_for_selector("#clock:has-text('0:01 /')")
    page.evaluate(
        "() => { const s = document.querySelector('#scrub'); s.value = '500';"
        " s.dispatchEvent(new Event('input')); }"
    )
    page.click("#btn-play")  # pause
    half = float(page.get_attribute("body", "data-playhead") or 0)
    assert half > 1.0
    assert page.inner_text("#feet-value") not in ("", "–")
    dashkit.shot(page, "review")
