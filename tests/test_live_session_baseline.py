"""End to end over a real pty: a session started from the live runtime while the therapist is
already on the client keeps the pipeline's baseline, and its replay gives the live feet force
from the first recorded sample."""

from __future__ import annotations

import queue
import time
from pathlib import Path

import dashkit
import numpy as np

from ashisense.live import Display, LiveRuntime
from ashisense.pipeline.types import EstimateBlock
from ashisense.session.analysis import SessionAnalysis, Step
from ashisense.sim.ptyserver import PtyRig
from ashisense.store import open_store
from ashisense.store.replay import session_items


class Estimates(Display):
    """Every estimate the runtime shows, for a test to wait on."""

    def __init__(self) -> None:
        self.items: queue.Queue[EstimateBlock] = queue.Queue()
        self.seen: list[EstimateBlock] = []

    def estimate(self, est: EstimateBlock, seq: object, limits: object = None) -> None:
        self.items.put(est)

    def until(self, done: object, timeout_s: float = 30.0) -> EstimateBlock:
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout_s} s waiting for {done}")
            est = self.items.get(timeout=left)
            self.seen.append(est)
            if done(est):  # type: ignore[operator]
                return est


def test_a_session_started_mid_treatment_replays_the_live_feet_force(tmp_path: Path) -> None:
    rig = dashkit.ScriptedRig()
    display = Estimates()
    with (
        PtyRig(rig) as pty,  # type: ignore[arg-type]
        LiveRuntime(dashkit.live_config(tmp_path, pty.path), display) as runtime,
    ):
        display.until(lambda est: est.baseline_ready)
        rig.climb_on(250.0)
        display.until(lambda est: est.feet_n[-1] > 240)
        sid = runtime.start_session(label="mid-treatment")
        started = len(display.seen)
        display.until(lambda est: sum(len(e) for e in display.seen[started:]) > 80)
        assert runtime.stop_session() == sid
        display.until(lambda est: True)  # one more: every recorded block was shown
    live = EstimateBlock.concat(display.seen)
    with open_store(tmp_path / "sessions.sqlite", readonly=True) as store:
        info = store.session(sid)
        analysis = SessionAnalysis.for_session(info, alarms=False)
        steps = [analysis.feed(item) for item in session_items(store, sid)]
    got = EstimateBlock.concat([s.estimate for s in steps if isinstance(s, Step)])
    start = info.baselines[0]
    assert start.kind == "start" and start.state["client"]["how"] == "automatic"
    at = np.searchsorted(live.t_s, got.t_s)
    np.testing.assert_array_equal(live.t_s[at], got.t_s)  # the same samples, shown live
    assert got.feet_n[0] > 200.0  # from the first recorded sample
    np.testing.assert_allclose(got.feet_n, live.feet_n[at], rtol=0, atol=0.01)
