"""The live runtime over a real pty: estimates and alarms reach the display, sessions record
raw data with their alarm log and notes, operator actions are logged, problems are said."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import dashkit
import pytest

from ashisense.alarms import BindingLimits, HazardStatus
from ashisense.alarms.kinds.force import FEET_FORCE_HAZARD
from ashisense.live import (
    Display,
    LiveError,
    LiveRuntime,
    LiveSetup,
    LiveStatus,
)
from ashisense.pipeline.types import EstimateBlock
from ashisense.profiles import Profiles, UnknownProfileError
from ashisense.sim.ptyserver import PtyRig
from ashisense.store import open_store
from firmware_bridge.blocks import SampleBlock
from firmware_bridge.link import host_clock


class QueueDisplay(Display):
    """Everything the runtime shows, in order, for a test to wait on."""

    def __init__(self) -> None:
        self.items: queue.Queue[tuple[str, Any]] = queue.Queue()

    def setup(self, setup: LiveSetup) -> None:
        self.items.put(("setup", setup))

    def estimate(self, est: EstimateBlock, seq: Any, limits: BindingLimits | None = None) -> None:
        self.items.put(("estimate", est))

    def alarms(self, hazards: Sequence[HazardStatus]) -> None:
        self.items.put(("alarms", list(hazards)))

    def status(self, status: LiveStatus) -> None:
        self.items.put(("status", status))

    def wait(self, predicate: Callable[[str, Any], bool], timeout_s: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout_s} s waiting for {predicate}")
            kind, obj = self.items.get(timeout=left)
            if predicate(kind, obj):
                return obj


def shown(rule_id: str, state: str) -> Callable[[str, Any], bool]:
    """The alarms shown include the hazard of this rule, in this state."""
    return lambda kind, obj: (
        kind == "alarms"
        and any(rule_id in (c.rule_id for c in h.causes) and str(h.state) == state for h in obj)
    )


def baseline(kind: str, obj: Any) -> bool:
    return kind == "estimate" and obj.baseline_ready


@pytest.fixture
def running(
    tmp_path: Path,
) -> Iterator[tuple[LiveRuntime, QueueDisplay, dashkit.ScriptedRig, PtyRig]]:
    rig = dashkit.ScriptedRig()
    with PtyRig(rig) as pty:  # type: ignore[arg-type]
        display = QueueDisplay()
        with LiveRuntime(dashkit.live_config(tmp_path, pty.path), display) as runtime:
            yield runtime, display, rig, pty


def test_a_session_records_raw_data_alarms_operator_actions_and_notes(
    running: tuple[LiveRuntime, QueueDisplay, dashkit.ScriptedRig, PtyRig], tmp_path: Path
) -> None:
    runtime, display, rig, _ = running
    sid = runtime.start_session(label="runtime test")
    display.wait(baseline)
    rig.climb_on(250.0)
    display.wait(lambda kind, est: kind == "estimate" and est.feet_n[-1] > 240)
    rig.set_feet(560.0, slew_n_per_s=1500.0)
    display.wait(shown("feet_overload_upper_back", "active"))
    assert runtime.acknowledge() >= 1
    display.wait(shown("feet_overload_upper_back", "acknowledged"))
    # one hazard, one alarm: the two rules it trips folded (a busy machine may show a
    # technical one beside it, a hazard of its own)
    (overload,) = [h for h in runtime.hazards() if h.hazard == FEET_FORCE_HAZARD]
    assert overload.lead.rule_id == "feet_overload_upper_back"
    assert "upper back" in overload.text("N") and "limit 450 N" in overload.text("N")
    assert "limit 45.9 kg" in overload.text("kg")
    runtime.annotate("pressed too hard", "test")
    assert runtime.stop_session() == sid
    with open_store(tmp_path / "sessions.sqlite", readonly=True) as store:
        info = store.session(sid)
        log = store.alarms(sid)
        notes = store.annotations(sid)
        samples = store.sample_count(sid)
    assert info.meta.label == "runtime test" and info.meta.client["id"] == "client-0001"
    assert info.hello is not None and info.hello["serial"] == "SCRIPT-1"
    assert samples > 100 and info.summary.peak_feet_n is not None
    assert info.summary.peak_feet_n > 500
    transitions = {(a.rule_id, a.transition) for a in log}
    assert ("feet_overload_upper_back", "raised") in transitions
    assert ("feet_overload_upper_back", "acknowledged") in transitions
    assert [n.text for n in notes] == ["pressed too hard"]


def test_operator_requests_that_cannot_be_met_say_why(
    running: tuple[LiveRuntime, QueueDisplay, dashkit.ScriptedRig, PtyRig],
) -> None:
    runtime, display, rig, _ = running
    with pytest.raises(LiveError, match="no session is being recorded"):
        runtime.annotate("nobody records this")
    with pytest.raises(UnknownProfileError, match="client-0001"):
        runtime.start_session(client_id="client-9999")
    display.wait(baseline)
    rig.climb_on(250.0)
    display.wait(lambda kind, est: kind == "estimate" and est.bar_n[-1] > 300)
    with pytest.raises(LiveError, match="baseline refused"):
        runtime.take_baseline()  # the bars are loaded: the therapist is on


def test_a_lost_link_raises_the_no_data_alarm(
    running: tuple[LiveRuntime, QueueDisplay, dashkit.ScriptedRig, PtyRig],
) -> None:
    _, display, _, pty = running
    display.wait(baseline)
    pty.unplug()
    # 0.5 s without samples, then the clock tick that notices (every 0.25 s); the wait's
    # deadline only catches a hang (the delay itself is a figure: benchmarks/)
    display.wait(shown("no_data", "active"), timeout_s=30)
    pty.replug()


def test_a_stalled_dispatcher_with_no_lost_samples_raises_no_technical_alarm(
    running: tuple[LiveRuntime, QueueDisplay, dashkit.ScriptedRig, PtyRig],
) -> None:
    runtime, display, _, _ = running
    display.wait(baseline)
    # what a busy machine lost before the stall (a late first read of the rig's pty) is not
    # this test's: the stall is measured from here
    lost_before = runtime.link.stats.lost_samples
    stalled = threading.Event()

    def stall(block: SampleBlock) -> None:
        if not stalled.is_set():
            stalled.set()
            threading.Event().wait(0.9)  # a consumer holds the dispatcher (ticks go on)

    runtime.add_block_tap(stall)
    assert stalled.wait(5.0)
    t_stall_s = host_clock()
    display.wait(lambda kind, est: kind == "estimate" and est.t_s[-1] > t_stall_s + 1.5)
    runtime.remove_block_tap(stall)
    engine = runtime.engine
    assert engine is not None and runtime.link.stats.lost_samples == lost_before
    raised = [e.message for e in engine.log if e.transition == "raised" and e.t_s >= t_stall_s]
    assert raised == []


def test_a_device_that_is_not_the_rig_is_refused_with_a_reason(tmp_path: Path) -> None:
    rig = dashkit.ScriptedRig()
    rig.hello["channels"] = [*rig.hello["channels"][:-1], "mystery"]
    with PtyRig(rig) as pty:  # type: ignore[arg-type]
        display = QueueDisplay()
        with LiveRuntime(dashkit.live_config(tmp_path, pty.path), display):
            status = display.wait(lambda kind, s: kind == "status" and bool(s.problem))
    assert "mystery" in status.problem and "mat_foot_right" in status.problem
    assert status.pipeline is None


def test_profiles_are_told_apart_by_their_fields() -> None:
    profiles = Profiles.from_folder(dashkit.EXAMPLES / "profiles")
    assert set(profiles.clients) == {"client-0001", "client-0002"}
    assert set(profiles.therapists) == {"therapist-0001"}
