"""The review page as a trainer uses it, in real Chromium (Debian's, headless, Playwright)
against a real uvicorn server over a store of recorded sessions: a session opens and is
shown, a note is added, seen, edited, deleted and found in the report, two sessions compare
and their table of differences agrees with the export, an alarm row jumps to its moment.
Screenshots of each view at 1280x800 and 1024x768 go to test-artifacts/."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import dashkit
import pytest
import reviewkit
from playwright.sync_api import Browser, Page

from ashisense.bodymap import REGIONS

SIZES = ({"width": 1280, "height": 800}, {"width": 1024, "height": 768})
RATE_HZ = 80.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dashkit.Server]:
    folder = tmp_path_factory.mktemp("review-browser")
    with reviewkit.review_server(folder, (150.0, 100.0), 300) as srv:
        yield srv


@pytest.fixture(scope="module")
def page(browser: Browser, server: dashkit.Server) -> Iterator[Page]:
    with dashkit.watched_page(browser, viewport=SIZES[0]) as pg:
        pg.goto(f"{server.url}/review?session=1")
        pg.wait_for_url("**/login?next=*")
        pg.fill("#password", dashkit.PASSWORD)
        pg.fill("#name", "Aiko")
        pg.click("button[type=submit]")
        pg.wait_for_url("**/review?session=1")
        yield pg


def shots(page: Page, name: str) -> None:
    """Screenshots of the page at each size, as test-artifacts/<name>-<w>x<h>.png."""
    for size in (*SIZES[1:], SIZES[0]):  # back at the first size afterwards
        page.set_viewport_size(size)
        page.wait_for_timeout(300)  # a resize redraws on the next animation frame
        dashkit.shot(page, f"{name}-{size['width']}x{size['height']}")


def api(page: Page, server: dashkit.Server, path: str, body: Any = None) -> Any:
    """An API call with the page's login (and its Origin, for those that change things)."""
    if body is None:
        res = page.request.get(f"{server.url}{path}")
    else:
        res = page.request.post(f"{server.url}{path}", data=body, headers={"Origin": server.url})
    assert res.ok, res.text()
    return res.json()


def playhead_s(page: Page) -> float:
    return float(page.get_attribute("body", "data-playhead") or "nan")


def test_a_recorded_session_opens_and_is_shown(page: Page, server: dashkit.Server) -> None:
    page.wait_for_selector("body[data-loaded='1'][data-state='ready']", timeout=60_000)
    review = api(page, server, "/api/sessions/1/review")
    assert "session 1" in page.inner_text("#summary")
    assert page.is_hidden("#progress")
    rows = page.query_selector_all("#alarmlog tbody tr")
    assert len(rows) == len(review["episodes"]) > 0
    # the timeline is drawn: its canvas has lit pixels across its whole width
    lit = page.evaluate(
        """() => { const c = document.querySelector('#timeline');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const cols = new Set();
        for (let i = 0; i < d.length; i += 4) if (d[i] + d[i+1] + d[i+2] > 200)
          cols.add(Math.floor((i / 4) % c.width / (c.width / 10)));
        return cols.size; }"""
    )
    assert lit == 10
    box = page.locator("#timeline").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.wait_for_function("() => document.querySelector('#feet-value').textContent !== '–'")
    assert 60 < playhead_s(page) < 90
    page.click("#btn-play")
    page.wait_for_function(f"() => Number(document.body.dataset.playhead) > {playhead_s(page)}")
    page.click("#btn-play")
    shots(page, "review-session")


def test_an_alarm_row_jumps_to_its_moment(page: Page, server: dashkit.Server) -> None:
    review = api(page, server, "/api/sessions/1/review")
    t0 = review["overview"]["t_s"][0]
    episode = review["episodes"][2]
    page.select_option("#log-priority", episode["priority"])
    row = page.locator(f"#alarmlog tbody tr[data-t='{episode['t_s']}']")
    # the row's own click (the log's sticky filter bar may sit over a row scrolled to its edge)
    row.dispatch_event("click")
    at = episode["t_s"] - t0
    page.wait_for_function(f"() => document.body.dataset.jumped === '{at}'")
    page.wait_for_function(  # drawn at the next animation frame
        f"() => Math.abs(Number(document.body.dataset.playhead) - {at}) < 1e-6"
    )
    assert "current" in (row.get_attribute("class") or "")
    # the feet number stays in view beside the log
    feet = page.locator("#feet-value").bounding_box()
    assert feet is not None and feet["y"] >= 0 and feet["y"] + feet["height"] < 800
    page.wait_for_function("() => document.querySelector('#feet-value').textContent !== '–'")
    chips = page.inner_text("#atplayhead")
    assert episode["title"] in chips
    shots(page, "review-alarm")
    page.select_option("#log-priority", "")


def test_a_note_is_added_seen_edited_deleted_and_in_the_report(
    page: Page, server: dashkit.Server
) -> None:
    page.fill("#note-text", "heel drifts onto the lumbar band")
    page.click("#note-add")
    item = page.locator("#notelist li", has_text="heel drifts onto the lumbar band")
    item.wait_for()
    assert "Aiko" in item.inner_text()
    notes = api(page, server, "/api/sessions/1/review")["notes"]
    (note,) = [n for n in notes if n["text"] == "heel drifts onto the lumbar band"]
    t0 = page.evaluate("() => document.body.dataset.playhead")
    assert note["own"] and note["t_end_s"] is None and t0 is not None
    item.locator("button.edit").click()
    page.fill("#note-text", "heel on the lumbar band: move up")
    page.check("#note-range")
    page.fill("#note-end", "2:00")
    page.click("#note-add")
    edited = page.locator("#notelist li", has_text="heel on the lumbar band: move up")
    edited.wait_for()
    assert "–2:00" in edited.inner_text()
    shots(page, "review-notes")
    report = api(page, server, "/api/sessions/1/report", {})
    html = page.request.get(f"{server.url}{report['url']}").text()
    assert "Aiko: heel on the lumbar band: move up" in html
    edited.locator("button.delete").click()
    edited.wait_for(state="detached")
    assert all(n["id"] != note["id"] for n in api(page, server, "/api/sessions/1/review")["notes"])


def export_figures(page: Page, server: dashkit.Server, sid: int) -> dict[str, float]:
    """Figures computed from the session's CSV export and the limits its setup gives."""
    setup = api(page, server, f"/api/sessions/{sid}/review")["setup"]
    url = api(page, server, f"/api/sessions/{sid}/export", {"format": "csv"})["url"]
    rows = list(csv.DictReader(io.StringIO(page.request.get(f"{server.url}{url}").text())))
    limits = dict(zip(setup["regions"], setup["region_limits_n"], strict=True))
    out = {"peak_n": 0.0, "time_over_limit_s": 0.0} | {f"time_{r}": 0.0 for r in REGIONS}
    for r in rows:
        if not r["feet_n"]:
            continue
        feet = float(r["feet_n"])
        out["peak_n"] = max(out["peak_n"], feet)
        limit = limits[r["region"]] if r["region"] else setup["feet_limit_n"]
        out["time_over_limit_s"] += (feet > limit) / RATE_HZ
    for r in rows:
        if r["region"]:
            out[f"time_{r['region']}"] += 1 / RATE_HZ
    return out


def test_two_sessions_compare_and_the_table_agrees_with_the_export(
    page: Page, server: dashkit.Server
) -> None:
    page.click("#tab-compare")
    page.select_option("#cmp-session", "2")
    page.click("#cmp-go")
    page.wait_for_selector("body[data-compared='2']", timeout=60_000)
    table = {
        tr.get_attribute("data-key"): [
            tr.locator("td").nth(k).get_attribute("data-value") for k in (1, 2)
        ]
        for tr in page.locator("#cmp-table tr[data-key]").all()
    }
    for column, sid in ((0, 1), (1, 2)):
        want = export_figures(page, server, sid)
        for key, value in want.items():
            if key not in table:
                assert value == 0.0, key  # a region neither session reached
                continue
            shown = float(table[key][column] or 0)
            tolerance = 0.2 if key.startswith("peak") else 3 / RATE_HZ
            assert shown == pytest.approx(value, abs=tolerance), (sid, key)
    alarms = [api(page, server, f"/api/sessions/{sid}/review")["episodes"] for sid in (1, 2)]
    assert float(table["alarms_high"][0] or 0) == sum(e["priority"] == "high" for e in alarms[0])
    shots(page, "review-compare")
    page.select_option("#cmp-layout", "side")
    page.select_option("#cmp-align", "moment")
    page.fill("#cmp-b-at", "0:30")
    page.dispatch_event("#cmp-b-at", "change")
    assert page.locator("#cmp-charts canvas").count() == 2
    shots(page, "review-compare-side")


def test_a_session_is_evaluated_again_with_other_rules(page: Page) -> None:
    page.click("#tab-evaluate")
    page.select_option("#ev-rules", "strict.toml")
    page.click("#ev-go")
    page.wait_for_selector("body[data-evaluated]", timeout=60_000)
    rows = page.locator("#ev-rules-table tr").all()[1:]
    assert rows and "feet_overload" in page.inner_text("#ev-rules-table")
    assert page.locator("#ev-episodes tbody tr").count() == int(
        page.get_attribute("body", "data-evaluated") or -1
    )
    shots(page, "review-evaluate")
    page.click("#tab-session")
