"""Recorder: the live analysis beside the writer; a recording that fails becomes an alarm
(the studio defaults' rule `recording_failing`)."""

from __future__ import annotations

import queue
from pathlib import Path

import numpy as np

from ashisense.alarms.defaults import studio_rules
from ashisense.profiles import load_client, load_therapist
from ashisense.rig import load_rig
from ashisense.session import RECORDER_FAULT_SIGNAL, Recorder
from ashisense.session.analysis import Step
from ashisense.session.setup import SessionSetup
from ashisense.session.snapshot import session_meta
from ashisense.sim.model import RigSimulator
from ashisense.store import SQLiteStore, WriterHealth
from firmware_bridge.blocks import SampleBlock
from firmware_bridge.listener import deliver
from firmware_bridge.protocol import Hello

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_the_studio_defaults_make_a_failing_recorder_a_technical_alarm() -> None:
    rule = studio_rules().get("recording_failing")
    assert rule.signal == RECORDER_FAULT_SIGNAL and rule.priority in ("medium", "high")


def test_a_full_disk_during_a_session_raises_the_recorders_technical_alarm(
    tmp_path: Path,
) -> None:
    rig = load_rig(EXAMPLES / "sim_rig.toml")
    client = load_client(EXAMPLES / "profiles" / "client_example.toml")
    therapist = load_therapist(EXAMPLES / "profiles" / "therapist_example.toml")
    meta = session_meta(rig, EXAMPLES / "sim_rig.toml", started_s=1.7e9, client=client)
    steps: queue.Queue[Step] = queue.Queue()
    faults: queue.Queue[WriterHealth] = queue.Queue()
    sim = RigSimulator("stepping", 80.0, seed=3, noise_counts=2000.0)  # noisy: compresses badly
    seq0 = 0

    def feed(recorder: Recorder, n: int) -> None:
        nonlocal seq0
        b = sim.next_block(n)
        block = SampleBlock(1.7e9 + b.t_s, b.t_s, np.arange(seq0, seq0 + n, dtype=np.int64),
                            b.counts, b.invalid, sim.channels)  # fmt: skip
        seq0 += n
        deliver(recorder, block)  # as the link's dispatcher does

    with SQLiteStore(tmp_path / "s.sqlite", max_bytes=160 * 1024) as store:
        recorder = Recorder(
            store, meta, SessionSetup(rig, client, therapist, studio_rules()),
            on_step=steps.put, on_fault=faults.put,
        )  # fmt: skip
        with recorder:
            deliver(recorder, Hello.from_dict(sim.hello))
            health = None
            while health is None:  # until the quota fills and the writer says so
                feed(recorder, 400)
                try:
                    health = faults.get(timeout=0.05)
                except queue.Empty:
                    continue
            assert health.state == "failed" and "full" in health.message
            feed(recorder, 8)
            raised = []
            while not steps.empty():
                raised += [e.rule_id for e in steps.get().alarms if e.transition == "raised"]
            assert "recording_failing" in raised
        assert recorder.writer.health.dropped_samples > 0  # counted, never silent
        assert recorder.failure is None and recorder.analysis is not None


def test_a_device_without_the_rigs_channels_leaves_the_recorder_raw_only(tmp_path: Path) -> None:
    rig = load_rig(EXAMPLES / "sim_rig.toml")
    meta = session_meta(rig, EXAMPLES / "sim_rig.toml", started_s=1.7e9)
    setup = SessionSetup(rig)
    with SQLiteStore(tmp_path / "s.sqlite") as store, Recorder(store, meta, setup) as recorder:
        hello = Hello.from_dict({**RigSimulator().hello, "channels": ["a", "b"]})
        deliver(recorder, hello)
        assert recorder.failed.is_set() and recorder.analysis is None
        assert isinstance(recorder.failure, ValueError)
        assert "do not match the rig file" in str(recorder.failure)
