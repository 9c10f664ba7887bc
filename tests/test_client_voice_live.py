"""The client's voice live, over a real pty: a device speaking protocol v1 sends client
EVENTs; "stop" raises a HIGH alarm within one sample period and is recorded with the force,
region and time; "lighter" reaches the live page in Chromium as a cue (not an alarm banner);
the client page's buttons do the same for a rig without a handset. Screenshots go to
test-artifacts/ (docs/client.md shows them)."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dashkit
import pytest
from playwright.sync_api import Browser, Page, expect

from ashisense.alarms import AlarmEvent
from ashisense.live import LiveRuntime
from ashisense.profiles import ClientProfile
from ashisense.session.analysis import PressStep, Step
from ashisense.session.runner import SessionListener
from ashisense.store import SQLiteStore
from tests.handsetkit import record_handset_session

RATE_HZ = 80.0
WAIT_S = 30.0  # generous: only to catch a hang on a loaded machine


class Watcher(SessionListener):
    """What the runner tells, in the order it tells it (dispatcher thread)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self.news: queue.Queue[tuple[str, Any]] = queue.Queue()

    def _add(self, kind: str, what: Any) -> None:
        with self._lock:
            self.seen.append((kind, what))
        self.news.put((kind, what))

    def on_step(self, step: Step) -> None:
        self._add("step", step)

    def on_alarm(self, event: AlarmEvent) -> None:
        self._add("alarm", event)

    def on_press(self, step: PressStep) -> None:
        self._add("press", step)

    def wait(self, kind: str, test: Any = lambda x: True) -> Any:
        """The first thing of this kind told so far for which test holds, waiting for it
        (fails after WAIT_S)."""
        deadline = time.monotonic() + WAIT_S
        while True:
            with self._lock:
                found = [w for k, w in self.seen if k == kind and test(w)]
            if found:
                return found[0]
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} as asked came within {WAIT_S} s")
            with contextlib.suppress(queue.Empty):
                self.news.get(timeout=left)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[LiveRuntime, dashkit.ScriptedRig, Watcher]]:
    with dashkit.scripted_pty() as (rig, path):
        runtime = LiveRuntime(dashkit.live_config(tmp_path, path))
        watcher = Watcher()
        runtime.runner.add_listener(watcher)
        with runtime:
            watcher.wait("step", lambda s: s.estimate.baseline_ready)
            yield runtime, rig, watcher


def test_stop_raises_high_within_one_sample_period_and_is_recorded(live) -> None:
    runtime, rig, watcher = live
    session_id = runtime.start_session(label="stop")
    rig.climb_on(250.0)
    watcher.wait("step", lambda s: s.estimate.feet_display_n[-1] > 240.0)
    rig.press("stop")
    press = watcher.wait("press", lambda p: p.press.button == "stop")
    raised = watcher.wait("alarm", lambda e: e.rule_id == "client_stop")
    assert raised.transition == "raised" and str(raised.priority) == "high"
    assert 0 <= raised.t_s - press.press.t_s < 1 / RATE_HZ
    # raised before any block that starts one sample period after the press was processed
    later = [
        i for i, (k, s) in enumerate(watcher.seen)
        if k == "step" and s.block.t_s[0] > press.press.t_s + 1 / RATE_HZ
    ]  # fmt: skip
    assert not later or watcher.seen.index(("alarm", raised)) < later[0]
    (stop,) = [h for h in runtime.hazards() if h.hazard == "client_button:stop"]
    assert stop.audible and stop.latched and "upper back" in stop.text("kg")
    rig.press("lighter")
    lighter = watcher.wait("press", lambda p: p.press.button == "lighter")
    assert lighter.alarms == [] and lighter.press.region == "upper_back"
    watcher.wait("step", lambda s: s.block.t_s[-1] > lighter.press.t_s + 2.2)
    runtime.acknowledge("client_stop")
    assert not [h for h in runtime.hazards() if h.hazard == "client_button:stop"]
    runtime.stop_session()
    with SQLiteStore(runtime.config.store_path, readonly=True) as store:
        presses = store.presses(session_id)
        alarms = [a for a in store.alarms(session_id) if a.rule_id == "client_stop"]
    assert [p.button for p in presses] == ["stop", "lighter"]
    assert all(p.region == "upper_back" and p.source == "handset" for p in presses)
    assert presses[0].feet_n == pytest.approx(250.0, abs=25.0)
    assert presses[1].feet_after_n == pytest.approx(250.0, abs=25.0)
    assert [a.transition for a in alarms] == ["raised", "condition_ended", "acknowledged"]
    # the alarm is raised at once with the force known then; the stored press takes the force
    # of its own sample once that arrives: the same moment, within a step's change
    assert alarms[0].t_s == presses[0].t_s
    assert alarms[0].value == pytest.approx(presses[0].feet_n, abs=25.0)
    assert "upper back" in alarms[0].message


def test_a_stuck_button_is_a_technical_alarm_the_therapist_sees(live) -> None:
    _runtime, rig, watcher = live
    rig.press("stop", event="handset_stuck")
    stuck = watcher.wait("alarm", lambda e: e.rule_id == "handset_stuck")
    assert stuck.transition == "raised" and '"stop"' in stuck.message
    rig.press("stop", event="handset_unstuck")
    watcher.wait("alarm", lambda e: e.rule_id == "handset_stuck" and e.transition == "cleared")


# -- in Chromium ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dash(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dashkit.Server, dashkit.ScriptedRig]]:
    tmp = tmp_path_factory.mktemp("voice")
    # Three earlier sessions of this client on the handset: a comfort map to propose from.
    client = ClientProfile(id="client-0001", weight_kg=70.0, height_m=1.85, head_x_m=0.02)
    with SQLiteStore(tmp / "sessions.sqlite") as store:
        for nth in range(3):
            record_handset_session(store, 300.0, nth, client=client)
    with dashkit.running_dashboard(tmp) as (server, rig):
        rig.climb_on(250.0)
        yield server, rig


def test_lighter_reaches_the_live_page_as_a_cue_and_the_client_page_works(
    browser: Browser, dash: tuple[dashkit.Server, dashkit.ScriptedRig]
) -> None:
    server, rig = dash
    runtime = server.app.state.runtime
    with contextlib.ExitStack() as pages:

        def opened(path: str, **context: Any) -> Page:
            return pages.enter_context(dashkit.watched_page(browser, server, path, **context))

        live_page = opened("/live")
        start_dialog(live_page)
        session_id = runtime.setup().session_id
        rig.press("lighter")
        cue = live_page.locator(".press-cue.lighter")
        expect(cue).to_be_visible(timeout=WAIT_S * 1000)
        expect(cue).to_contain_text("LIGHTER")
        expect(cue).to_contain_text("upper back")
        assert live_page.locator("#alarms .alarm").count() == 0  # a cue, not an alarm banner
        dashkit.shot(live_page, "client_cue_live")
        phone = opened("/client", viewport={"width": 390, "height": 760})
        # its buttons answer once the script has bound them (a busy machine runs it late)
        phone.wait_for_selector("body[data-ready='1']", timeout=WAIT_S * 1000)
        phone.click("button[data-button=deeper]")
        expect(live_page.locator(".press-cue.deeper")).to_contain_text("client page")
        expect(phone.locator("#sent")).to_contain_text("your therapist has been told")
        dashkit.shot(phone, "client_page")
        phone.click("button[data-button=stop]")
        high = live_page.locator("#alarms .alarm.high")
        expect(high).to_contain_text("The client asked to stop", timeout=WAIT_S * 1000)
        dashkit.shot(live_page, "client_stop_alarm")
        runtime.acknowledge()
        runtime.stop_session()
        review = opened(f"/review?session={session_id}")
        expect(review.locator("body")).to_have_attribute("data-press-marks", "3", timeout=20_000)
        review.select_option("#pf-button", "lighter")
        expect(review.locator("#pf-list .pf-row.lighter").first).to_be_attached()
        review.locator("#pf-list").scroll_into_view_if_needed()
        dashkit.shot(review, "client_review_presses")
        clients = opened("/clients?client=client-0001")
        expect(clients.locator("body")).to_have_attribute("data-loaded", "client-0001")
        expect(clients.locator("#table tr[data-region=upper_back]")).to_be_visible()
        dashkit.shot(clients, "client_comfort_map")


def start_dialog(live_page: Page) -> None:
    """Start a session from the live page, accepting the proposed comfort limit for the
    upper back (the therapist's way)."""
    live_page.click("#btn-start")
    row = live_page.locator("#proposals tr[data-region=upper_back]")
    expect(row).to_be_visible(timeout=WAIT_S * 1000)
    dashkit.shot(live_page, "client_proposals")
    for other in live_page.locator("#proposals tr[data-region] input[type=checkbox]").all():
        other.set_checked(False) if other.is_enabled() else None
    row.locator("input[type=checkbox]").check()
    live_page.click("#dlg-start button[value=ok]")
    expect(live_page.locator("#rec")).to_contain_text("REC", timeout=WAIT_S * 1000)
