"""SessionRunner: one wiring of writer, analysis and consumers; recordings come and go while
the analysis runs on, and a consumer that raises does not stop the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ashisense.alarms.defaults import studio_rules
from ashisense.profiles import load_client
from ashisense.rig import load_rig
from ashisense.session import SessionAnalysis, SessionListener, SessionRunner, SessionSetup, Step
from ashisense.session.snapshot import session_meta
from ashisense.sim.model import RigSimulator
from ashisense.store import SQLiteStore
from firmware_bridge.blocks import SampleBlock
from firmware_bridge.listener import deliver
from firmware_bridge.protocol import Hello

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RIG_FILE = EXAMPLES / "sim_rig.toml"


class Steps(SessionListener):
    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.analyses: list[tuple[SessionAnalysis | None, Exception | None]] = []

    def on_step(self, step: Step) -> None:
        self.steps.append(step)

    def on_analysis(self, analysis: SessionAnalysis | None, error: Exception | None) -> None:
        self.analyses.append((analysis, error))


class Broken(SessionListener):
    def on_step(self, step: Step) -> None:
        raise RuntimeError("a consumer with a bug")


class Feed:
    """The simulated rig's blocks, numbered on from one call to the next."""

    def __init__(self) -> None:
        self.sim = RigSimulator("stepping", 80.0, seed=5)
        self.seq = 0

    def block(self, n: int = 40) -> SampleBlock:
        b = self.sim.next_block(n)
        seq = np.arange(self.seq, self.seq + n, dtype=np.int64)
        self.seq += n
        return SampleBlock(1.7e9 + b.t_s, b.t_s, seq, b.counts, b.invalid, self.sim.channels)


def test_sessions_come_and_go_while_one_analysis_runs_on(tmp_path: Path, collector: Any) -> None:
    rig = load_rig(RIG_FILE)
    client = load_client(EXAMPLES / "profiles" / "client_example.toml")
    steps, raw = Steps(), collector
    setup = SessionSetup(rig, client, None, studio_rules())
    runner = SessionRunner(setup, listeners=[Broken(), steps])
    runner.add_raw_listener(raw)
    feed = Feed()
    deliver(runner, Hello.from_dict(feed.sim.hello))
    analysis = runner.analysis
    assert analysis is not None and steps.analyses == []  # the same rig: no new analysis
    for _ in range(5):
        deliver(runner, feed.block())  # no session yet: analysed, not recorded
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        ids = []
        for _ in range(2):
            meta = session_meta(rig, RIG_FILE, started_s=1.7e9, client=client)
            ids.append(runner.record(store, meta).session_id)
            for _ in range(3):
                deliver(runner, feed.block())
            stopped = runner.stop_recording()
            assert stopped is not None and runner.recording is None
        assert runner.analysis is analysis  # one analysis across both sessions
        for sid in ids:
            info = store.session(sid)
            assert store.sample_count(sid) == 120 and info.hello is not None
            assert len(info.baselines) >= 1  # the pipeline's state as the session started
            assert info.meta.calibration["channels"]
    assert len(steps.steps) == 11 and len(raw.blocks) == 11 and len(raw.hellos) == 1
    assert [int(s.block.seq[0]) for s in steps.steps] == [40 * i for i in range(11)]
    runner.stop()


def test_other_people_mean_a_new_analysis_and_a_device_that_does_not_fit_none() -> None:
    rig = load_rig(RIG_FILE)
    steps = Steps()
    runner = SessionRunner(SessionSetup(rig), listeners=[steps])
    first = runner.analysis
    client = load_client(EXAMPLES / "profiles" / "client_example.toml")
    runner.set_people(client, None)
    assert runner.analysis is not first and steps.analyses == [(runner.analysis, None)]
    deliver(runner, Hello.from_dict({**RigSimulator().hello, "channels": ["a", "b"]}))
    assert runner.analysis is None and isinstance(runner.failure, ValueError)
    assert steps.analyses[-1] == (None, runner.failure) and runner.problem
