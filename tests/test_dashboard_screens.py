"""The live page at every screen size a studio uses (a 10" tablet either way, a small laptop,
a phone), in real Chromium (Debian's, headless, via Playwright) against a real uvicorn server
on a scripted pty rig, with a high alarm raised: nothing overflows, the alarm's words with its
value and limit are whole, the header with link health and REC fits, and the feet force and
its region show without scrolling. Screenshots go to test-artifacts/live-<w>x<h>.png."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import dashkit
import pytest
from playwright.sync_api import Browser, FloatRect, Page

SIZES = [(1280, 800), (1024, 768), (768, 1024), (390, 844)]

# Element boxes and overflow, measured in the page.
BOXES_JS = """(sels) => {
  const root = document.documentElement;
  const out = { page: [root.scrollWidth, root.clientWidth], boxes: {}, clipped: [] };
  for (const sel of sels) {
    const el = document.querySelector(sel);
    if (!el) { out.boxes[sel] = null; continue; }
    const r = el.getBoundingClientRect();
    // seen, not only placed: the point at its centre is the element (no ancestor clips it)
    const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
    out.boxes[sel] = r.width > 0 && r.height > 0 && hit && el.contains(hit)
      ? [r.left, r.top, r.right, r.bottom] : null;
  }
  const texts = document.querySelectorAll(
    'header.top, header.top *, #alarms .alarm, #alarms .alarm *, #feet *, footer.controls');
  for (const el of texts) {
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible'
        || el.scrollWidth > el.clientWidth + 1 && el.matches('#alarms .msg, header.top'))
      out.clipped.push(`${el.tagName}.${el.className} ${el.scrollWidth}>${el.clientWidth}`);
  }
  return out;
}"""
IN_VIEW = ["#link", "#rec", "#feet-value", "#feet .region", "#alarms .alarm .msg"]


@pytest.fixture(scope="module")
def dash(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dashkit.Server, dashkit.ScriptedRig]]:
    tmp = tmp_path_factory.mktemp("screens")
    with dashkit.running_dashboard(tmp) as (server, rig):
        server.app.state.runtime.start_session(label="screens")
        rig.climb_on(560.0)  # over the client's upper-back limit: the longest banner we have
        yield server, rig


# The overload's row, found by its words: on a busy machine a pause of the rig may raise a
# newer "no data" alarm (latched until acknowledged), which then comes first.
OVERLOAD = "#alarms .alarm.high[data-state=active] .msg:has-text('kg > limit 45.9 kg')"


def _wait_until_shown(page: Page) -> None:
    """The overload alarm, the feet force and a healthy link on the page."""
    page.wait_for_selector(OVERLOAD, timeout=30_000)
    page.wait_for_selector("#feet-value:not(:text-is('–'))")
    page.wait_for_selector("#link .dot.ok", timeout=30_000)


def _box(page: Page, selector: str) -> FloatRect:
    """The element's box once it is on the page. The alarm rows are drawn anew when the link
    stalls and recovers (a busy machine): a row replaced between finding and measuring it
    has no box, so it is looked up again (a hang fails after 30 s)."""
    deadline = time.monotonic() + 30.0
    while (box := page.locator(selector).bounding_box()) is None:
        assert time.monotonic() < deadline, f"{selector} never on the page for 30 s"
        page.wait_for_timeout(100)
    return box


def _inside(box: list[float], width: int, height: int) -> bool:
    left, top, right, bottom = box
    return left >= 0 and top >= 0 and right <= width + 0.5 and bottom <= height + 0.5


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_live_page_fits_the_screen_with_the_alarm_whole(
    browser: Browser, dash: tuple[dashkit.Server, dashkit.ScriptedRig], width: int, height: int
) -> None:
    viewport = {"width": width, "height": height}
    with dashkit.watched_page(browser, dash[0], "/live", viewport=viewport) as page:
        _wait_until_shown(page)
        m: dict[str, Any] = page.evaluate(BOXES_JS, IN_VIEW)
        dashkit.shot(page, f"live-{width}x{height}")
        scroll_w, client_w = m["page"]
        assert scroll_w <= client_w, f"the page overflows sideways: {scroll_w} > {client_w}"
        assert m["clipped"] == [], f"text cut at {width}x{height}: {m['clipped']}"
        boxes = m["boxes"].items()
        outside = [s for s, box in boxes if box is None or not _inside(box, width, height)]
        assert outside == [], f"not on screen without scrolling at {width}x{height}: {outside}"
        box = _box(page, OVERLOAD)
        corners = [box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]]
        assert _inside(corners, width, height), f"the overload's words off screen: {box}"
        banner = page.inner_text(OVERLOAD)
        # the value and the limit, in the studio's unit (kg), both in words on the screen
        assert " kg > limit 45.9 kg" in banner and banner.startswith("Client's limit"), banner
        assert "REC session" in page.inner_text("#rec")
        # streaming again after any moment a busy machine kept frames from the page (the
        # header then honestly says "stalled")
        page.wait_for_selector("#link:has-text('streaming')", timeout=30_000)
