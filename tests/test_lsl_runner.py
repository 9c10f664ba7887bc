"""LslOutlets wired to a SessionRunner as `serve` and `record` wire it (a raw listener and a
SessionListener): an inlet gets every sample, the overload alarm from the runner's engine,
a device EVENT, and the streams end when the runner stops."""

from __future__ import annotations

from pathlib import Path

import lslkit  # first: configures liblsl for this process
import numpy as np

from ashisense.lsl import LslOutlets, force_stream_name, marker_stream_name
from ashisense.session.runner import SessionRunner
from ashisense.session.setup import SessionSetup
from ashisense.session.snapshot import (
    client_of,
    contraindications_of,
    rig_of,
    rules_of,
    therapist_of,
)
from ashisense.store import open_store
from ashisense.store.replay import session_items
from firmware_bridge.blocks import DeviceEvent, SampleBlock
from firmware_bridge.listener import deliver
from firmware_bridge.protocol import Hello


def test_a_session_runner_streams_steps_alarms_and_device_events(tmp_path: Path) -> None:
    sid, serial = lslkit.record_overload(tmp_path / "sessions.db")
    with open_store(tmp_path / "sessions.db", readonly=True) as store:
        info = store.session(sid)
        items = list(session_items(store, sid))
    rig, room = rig_of(info), lslkit.unique_room()
    lsl = LslOutlets(room, rig)
    setup = SessionSetup(
        rig, client_of(info), therapist_of(info), rules_of(info), contraindications_of(info)
    )
    runner = SessionRunner(setup, listeners=[lsl])
    runner.add_raw_listener(lsl)
    hello, rest = items[0], items[1:]
    assert isinstance(hello, Hello)
    runner.on_hello(hello)  # the outlets open for this device
    force = lslkit.open_inlet("Force", serial, force_stream_name(room))
    markers = lslkit.open_inlet("Markers", serial, marker_stream_name(room))
    assert lsl.wait_for_consumers(lslkit.RESOLVE_TIMEOUT_S)
    lsl.on_session("start", info.meta.started_s, sid, "lab run")
    for item in rest:
        deliver(runner, item)
    blocks = [item for item in rest if isinstance(item, SampleBlock)]
    last_s = float(blocks[-1].t_s[-1])
    runner.on_event(DeviceEvent(last_s, 10.0, {"event": "client", "button": "stop"}))
    n = sum(len(b) for b in blocks)
    values, stamps = lslkit.pull_samples(force, n)
    got = lslkit.pull_markers_until(markers, "device")
    runner.stop()  # stops its raw listeners: the outlets close
    assert lsl.has_consumers() is False
    bodies = [body for _, body in got]
    assert bodies[0]["event"] == "session" and bodies[0]["label"] == "lab run"
    raised = [b["rule"] for b in bodies if b["event"] == "alarm" and b["transition"] == "raised"]
    assert raised == ["feet_overload_lumbar"]
    assert bodies[-1] == {
        "event": "device",
        "t_s": last_s,
        "name": "client",
        "payload": {"event": "client", "button": "stop"},
    }
    assert values.shape == (n, len(rig.channels) + 10)
    assert np.all(np.diff(stamps) > 0)
