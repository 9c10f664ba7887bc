"""A live page that tells the truth, in real Chromium (Debian's, headless, via Playwright)
against a real uvicorn server on a scripted pty rig: the strip's limit line is the limit that
held at each moment; a region no rule alarms on is said neutrally, never as a danger; link
health turns red at a device stall (before the link's own timeout) and never says "80 Hz"
while nothing comes (the strip shows the stall as a gap); a stale heatmap blanks; every
number follows the studio's unit."""

from __future__ import annotations

import time
from collections.abc import Iterator

import dashkit
import pytest
from playwright.sync_api import Browser, Page

from dashboard.app import create_app

# Feet on the lumbar band of the example client (limit 200 N) and astride its spine.
LUMBAR_XY_M = (0.70, 0.10)
SPINE_XY_M = (0.50, 0.0)

# The strip's canvas, read back: per pixel column, the top row of the red limit line
# (#ff3b30) and whether the white force trace (#f2f6fa) passes there.
STRIP_JS = """() => {
  const c = document.querySelector('#strip');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const red = [], white = [];
  for (let x = 0; x < c.width; x++) {
    let r = -1, w = false;
    for (let y = 0; y < c.height; y++) {
      const o = (y * c.width + x) * 4;
      if (r < 0 && d[o] > 230 && d[o + 1] < 90 && d[o + 2] < 80) r = y;
      if (d[o] > 225 && d[o + 1] > 225 && d[o + 2] > 225) w = true;
    }
    red.push(r); white.push(w);
  }
  return { red, white, dpr: window.devicePixelRatio || 1 };
}"""


@pytest.fixture(scope="module")
def dash(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dashkit.Server, dashkit.ScriptedRig]]:
    tmp = tmp_path_factory.mktemp("truth")
    with dashkit.running_dashboard(tmp) as (server, rig):
        server.app.state.runtime.start_session(label="truth")
        rig.climb_on(150.0)  # under every limit on the way: no force alarm
        yield server, rig


@pytest.fixture(scope="module")
def page(browser: Browser, dash: tuple[dashkit.Server, dashkit.ScriptedRig]) -> Iterator[Page]:
    with dashkit.watched_page(browser, dash[0], "/live") as pg:
        pg.wait_for_selector("#link .dot.ok", timeout=30_000)
        yield pg


def _wait_data_s(page: Page, seconds: float) -> None:
    """Let `seconds` of live data reach the page (counted in frames, 80 a second at most)."""
    start = int(page.get_attribute("body", "data-frames") or 0)
    page.wait_for_selector(
        f"body[data-frames]:not([data-frames='{start}'])", timeout=30_000
    )  # frames flow
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)


def test_the_strip_draws_the_limit_that_held_at_each_moment(
    page: Page, dash: tuple[dashkit.Server, dashkit.ScriptedRig]
) -> None:
    _, rig = dash
    page.wait_for_selector("#feet .region:text-is('Upper back')", timeout=30_000)
    _wait_data_s(page, 3.0)  # the upper back's limit, 450 N
    rig.x_m, rig.y_m = LUMBAR_XY_M
    page.wait_for_selector("#feet .region:has-text('umbar')", timeout=30_000)
    # lumbar 200 N, the alarm's (read while shown: a stalled frame blanks it)
    dashkit.live_texts(page, ("#feet .sub",), lambda t: "limit 20.4 kg" in t[0])
    _wait_data_s(page, 3.0)
    strip = page.evaluate(STRIP_JS)
    dashkit.shot(page, "live-strip-limits")
    red = [(x, y) for x, y in enumerate(strip["red"]) if y >= 0]
    assert red, "no limit line on the strip"
    (x_first, y_first), (x_last, y_last) = red[0], red[-1]
    # the older part at the upper back's 450 N, higher up than the lumbar's 200 N now
    assert y_last - y_first > 10 * strip["dpr"], (red[0], red[-1])
    assert x_last - x_first > 100
    rig.x_m, rig.y_m = dashkit.UPPER_BACK_XY_M


def test_feet_astride_the_spine_are_said_neutrally_without_a_danger(
    page: Page, dash: tuple[dashkit.Server, dashkit.ScriptedRig]
) -> None:
    _, rig = dash
    rig.x_m, rig.y_m = SPINE_XY_M
    region = page.wait_for_selector("#feet .region[data-state=unguarded]", timeout=30_000)
    assert region is not None
    assert region.inner_text() == "Feet straddling the spine"
    assert "nogo" not in (region.get_attribute("class") or "")
    colour = page.evaluate("() => getComputedStyle(document.querySelector('#feet .region')).color")
    assert colour != "rgb(255, 59, 48)"  # not the danger red
    assert page.query_selector_all("#feet .band .fill.bad") == []
    assert "spine" not in page.inner_text("#alarms").lower()  # and no alarm says otherwise
    dashkit.shot(page, "live-spine")
    rig.x_m, rig.y_m = dashkit.UPPER_BACK_XY_M
    page.wait_for_selector("#feet .region:text-is('Upper back')", timeout=30_000)


def test_every_number_follows_the_studio_unit(
    page: Page, dash: tuple[dashkit.Server, dashkit.ScriptedRig]
) -> None:
    _, rig = dash
    page.select_option("#units", "lb")
    page.wait_for_selector("#feet .unit:text-is('lb')", timeout=30_000)
    assert page.text_content(".strip-unit") == "lb"
    rig.set_feet(560.0, slew_n_per_s=1500.0)  # over the upper back's 450 N: a high alarm
    banner = page.wait_for_selector("#alarms .alarm.high:has-text('upper back')", timeout=30_000)
    assert banner is not None
    text = banner.inner_text()
    (sub,) = dashkit.live_texts(page, ("#feet .sub",), lambda t: "limit" in t[0])
    # the banner's limit and the one under the big number: one text, in pounds
    assert "limit 101 lb" in text and "kg" not in text and " N " not in text, text
    assert "limit 101 lb" in sub and "peak 10 s" in sub and "kg" not in sub, sub
    page.click("#btn-start")
    page.wait_for_selector("#dlg-start[open] #sel-client option", state="attached")
    options = page.text_content("#sel-client") or ""
    page.keyboard.press("Escape")
    assert "lb)" in options and "kg" not in options, options
    page.click("#btn-ack")
    rig.set_feet(150.0, slew_n_per_s=1500.0)
    page.wait_for_selector(
        "#alarms .alarm.high:has-text('upper back')", state="detached", timeout=30_000
    )
    page.select_option("#units", "kg")
    page.wait_for_selector("#feet .unit:text-is('kg')", timeout=30_000)


def test_a_stalled_device_turns_link_health_red_before_the_link_times_out_and_leaves_a_gap(
    page: Page, dash: tuple[dashkit.Server, dashkit.ScriptedRig]
) -> None:
    _, rig = dash
    page.wait_for_selector("#link .dot.ok", timeout=30_000)
    _wait_data_s(page, 2.0)
    rig.stalled = True
    # red from the page's own watch on its frames (0.3 s, checked every 0.1 s: within 0.5 s
    # by construction), before the link's own 1 s timeout changes its state: "stalled"
    page.wait_for_selector("#link.bad:has-text('stalled · no data')", timeout=5000)
    page.wait_for_selector("#feet-value:text-is('–')", timeout=1000)
    # held past the link's own 1 s timeout: it reconnects and says "streaming" again, but
    # nothing comes, and the header must say so, never a rate
    page.wait_for_timeout(1500)
    link = page.inner_text("#link")
    dashkit.shot(page, "live-stalled")
    assert "Hz" not in link and "no data" in link, link
    assert page.query_selector_all("#link .dot.ok") == []
    rig.stalled = False
    page.wait_for_selector("#link .dot.ok", timeout=30_000)
    _wait_data_s(page, 1.0)
    white = page.evaluate(STRIP_JS)["white"]
    drawn = [x for x, w in enumerate(white) if w]
    holes = [x for x in range(drawn[0], drawn[-1]) if not white[x]]
    assert len(holes) > 20, "the stall is not a gap on the strip"
    dashkit.shot(page, "live-after-stall")


def test_an_unplugged_rig_is_red_and_says_no_rate(
    page: Page, dash: tuple[dashkit.Server, dashkit.ScriptedRig]
) -> None:
    _, rig = dash
    page.wait_for_selector("#link .dot.ok", timeout=30_000)
    rig.unplugged = True  # last: the pty comes back under another path the link never opens
    page.wait_for_selector("#link.bad", timeout=5000)
    page.wait_for_selector("#link:not(:has-text('streaming'))", timeout=5000)
    page.wait_for_selector("#feet-value:text-is('–')", timeout=1000)  # the numbers blank too
    link = page.inner_text("#link")
    assert "Hz" not in link and "no data" in link, link
    dashkit.shot(page, "live-unplugged")


def test_a_stale_heatmap_blanks(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The simulated grid rig stalling now and then (sim:// faults): the heatmap shows while
    grid frames come and blanks while they do not, rather than passing for the pressure now."""
    tmp = tmp_path_factory.mktemp("grid")
    device = "sim://calm?seed=1&grid=1&stall_every_s=5&stall_s=2"
    live = dashkit.live_config(tmp, device, rig_file=dashkit.EXAMPLES / "grid_rig.toml")
    port = dashkit.free_port()
    settings = dashkit.dashboard_settings(tmp, live, port)
    with (
        dashkit.Server(create_app(settings), port) as server,
        dashkit.watched_page(browser, server, "/live") as page,
    ):
        heat = "#table image[href^='data:'][visibility=visible]"
        page.wait_for_selector(heat, state="attached", timeout=20000)
        page.wait_for_selector("#link.bad", timeout=10000)  # the next stall
        # blank while frames do not come (a stall every 5 s: a busy machine may catch the next)
        page.wait_for_selector(heat, state="detached", timeout=15000)
        dashkit.shot(page, "live-grid-stalled")
        page.wait_for_selector(heat, state="attached", timeout=10000)  # back
