"""The pipeline as a Listener behind the real dispatcher thread: estimates out, errors reported."""

from __future__ import annotations

import queue

import numpy as np
import pytest

from ashisense.pipeline import EstimateBlock, Pipeline
from ashisense.rig import RigMismatchError
from firmware_bridge.blocks import Gap
from firmware_bridge.listener import Dispatcher
from firmware_bridge.protocol import Hello
from tests.pipelinekit import CLIENT, THERAPIST, PipelineListener, block, rig, scene


def hello(channels: tuple[str, ...], rate_hz: float = 80.0) -> Hello:
    return Hello.from_dict(
        {
            "protocol": 1,
            "device": "test",
            "serial": "T-1",
            "firmware": "0",
            "rate_hz": rate_hz,
            "channels": list(channels),
        }
    )


def test_blocks_through_the_dispatcher_come_out_as_estimates() -> None:
    r = rig()
    out: queue.Queue[EstimateBlock] = queue.Queue()
    listener = PipelineListener(Pipeline(r, CLIENT, THERAPIST), [out.put])
    d = Dispatcher([listener])
    try:
        d.put(hello(r.channels))
        d.put(block(r, scene(r, 100)))
        d.put(Gap(t_start_s=1.25, t_end_s=1.5, lost=20, reason="seq jump"))
        d.put(block(r, scene(r, 100), first=120))
        first, second = out.get(timeout=5), out.get(timeout=5)
    finally:
        d.stop()
    assert len(first) == len(second) == 100
    assert first.baseline_ready  # one stable second in the first block
    np.testing.assert_allclose(second.feet_n, 0.0, atol=0.1)


def test_a_device_with_other_channels_is_reported_to_the_error_sinks() -> None:
    r = rig()
    errors: queue.Queue[BaseException] = queue.Queue()
    d = Dispatcher([PipelineListener(Pipeline(r), error_sinks=[errors.put])])
    try:
        d.put(hello((*r.channels[:-1], "temperature")))
        mismatch = errors.get(timeout=5)
    finally:
        d.stop()
    assert isinstance(mismatch, RigMismatchError)
    assert "missing ['mat_foot_right']" in str(mismatch) and "extra ['temperature']" in str(
        mismatch
    )


def test_hello_sets_the_rate_used_by_the_filters() -> None:
    r = rig()
    p = Pipeline(r, CLIENT, THERAPIST)
    PipelineListener(p).on_hello(hello(r.channels, rate_hz=250.0))
    est = p.process(block(r, scene(r, 300), rate_hz=250.0))
    assert est.baseline_ready
    first = int(np.argmax(~np.isnan(est.feet_n)))
    assert first == pytest.approx(250, abs=2)  # one second at 250 Hz, not at 80


def test_a_new_rate_keeps_the_client_baseline() -> None:
    r = rig()
    p = Pipeline(r, CLIENT, THERAPIST, rate_hz=80.0)
    p.process(block(r, scene(r, 160)))
    before = p.state.client_n
    p.set_rate(250.0)
    assert p.state.baseline_ready and p.state.client_n == before
