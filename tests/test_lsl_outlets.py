"""LslOutlets with a real pylsl inlet: samples stamped at their measuring time (host time +
one offset), gaps left open, markers held until a recorder connects, gap and baseline
markers, a device without HELLO, and a new device re-opening the streams under its serial."""

from __future__ import annotations

from pathlib import Path

import lslkit  # first: configures liblsl for this process
import numpy as np
import pylsl
import pytest
from storekit import sim_session

from ashisense.lsl import LslClock, LslOutlets, force_stream_name, marker_stream_name
from ashisense.rig import Rig
from ashisense.session.analysis import SessionAnalysis, Step
from ashisense.store import open_store
from ashisense.store.blocks import slice_block
from firmware_bridge.blocks import Gap, SampleBlock
from firmware_bridge.link import host_clock
from firmware_bridge.protocol import Hello


@pytest.fixture(scope="module")
def steps_and_rig(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Step], Rig, Hello]:
    """Six seconds of the simulated rig as 12 Steps of 40 samples, its rig and HELLO."""
    path: Path = tmp_path_factory.mktemp("lsl") / "sessions.db"
    with open_store(path) as store:
        sid = sim_session(store, 6.0)
        info = store.session(sid)
        analysis = SessionAnalysis.for_session(info, alarms=False)
        block = SampleBlock.concat(list(store.blocks(sid)))
    steps = [analysis.feed(slice_block(block, i, i + 40)) for i in range(0, len(block), 40)]
    assert info.hello is not None
    return [s for s in steps if s is not None], analysis.rig, Hello.from_dict(info.hello)


def _device(template: Hello) -> Hello:
    """The template's device under a serial no other test run uses."""
    return Hello(
        device=template.device,
        serial=lslkit.unique_serial(),
        firmware=template.firmware,
        rate_hz=template.rate_hz,
        channels=template.channels,
    )


def test_samples_carry_their_host_time_plus_one_offset_and_gaps_stay_open(
    steps_and_rig: tuple[list[Step], Rig, Hello],
) -> None:
    steps, rig, template = steps_and_rig
    room, hello = lslkit.unique_room(), _device(template)
    sent = steps[:4] + steps[8:]  # 4 blocks (160 samples) never arrived
    with LslOutlets(room, rig) as outlets:
        outlets.on_hello(hello)
        inlet = lslkit.open_inlet("Force", hello.serial, force_stream_name(room))
        markers = lslkit.open_inlet("Markers", hello.serial, marker_stream_name(room))
        assert outlets.wait_for_consumers(lslkit.RESOLVE_TIMEOUT_S)
        for step in steps[:4]:
            outlets.on_step(step)
        outlets.on_gap(Gap(steps[4].block.t_s[0], steps[7].block.t_s[-1], 160, "unplugged"))
        for step in steps[8:]:
            outlets.on_step(step)
        values, stamps = lslkit.pull_samples(inlet, sum(len(s.block) for s in sent))
        got = lslkit.pull_markers_until(markers, "gap")
        assert outlets.samples_sent == len(values)
    t_s = np.concatenate([s.estimate.t_s for s in sent])
    np.testing.assert_array_equal(stamps, t_s + outlets.clock.offset_s)
    np.testing.assert_array_equal(
        values[:, : len(rig.channels)],
        np.concatenate([s.estimate.force_n for s in sent]).astype(np.float32),
    )
    ts, body = got[-1]
    assert ts == steps[4].block.t_s[0] + outlets.clock.offset_s
    assert body == {
        "event": "gap",
        "t_s": steps[4].block.t_s[0],
        "t_end_s": steps[7].block.t_s[-1],
        "lost": 160,
        "reason": "unplugged",
    }


def test_measured_offset_maps_host_time_onto_lsl_local_clock() -> None:
    clock = LslClock.measure()
    mapped_s = clock.one_to_lsl(host_clock())
    later_s = pylsl.local_clock()
    # a bound that only catches a wrong clock (epoch vs monotonic: decades off)
    assert 0.0 <= later_s - mapped_s < 5.0


def test_markers_wait_for_a_recorder_and_a_new_device_reopens_the_streams(
    steps_and_rig: tuple[list[Step], Rig, Hello],
) -> None:
    steps, rig, template = steps_and_rig
    room, first, second = lslkit.unique_room(), _device(template), _device(template)
    t0_s = float(steps[0].estimate.t_s[0])
    baseline = {
        "kind": "automatic",
        "t_s": t0_s,
        "client": {"force_n": 640.5, "cop_x_m": 0.93, "cop_y_m": -0.01},
        "therapist_weight_est_n": None,
    }
    with LslOutlets(room, rig) as outlets:
        outlets.on_session("start", t0_s - 1.0, 7, "morning")
        outlets.on_hello(first)
        outlets.on_baseline(baseline)
        outlets.on_note(t0_s, "left knee sore", "therapist")
        markers = lslkit.open_inlet("Markers", first.serial, marker_stream_name(room))
        first_force = lslkit.open_inlet("Force", first.serial, force_stream_name(room))
        assert outlets.wait_for_consumers(lslkit.RESOLVE_TIMEOUT_S)
        outlets.on_step(steps[0])  # a step sends what was held once a recorder is there
        held = lslkit.pull_markers_until(markers, "note")
        outlets.on_hello(second)
        again = lslkit.open_inlet("Markers", second.serial, marker_stream_name(room))
        force = lslkit.open_inlet("Force", second.serial, force_stream_name(room))
        outlets.on_session("stop", t0_s + 1.0, 7, "morning")
        after = lslkit.pull_markers_until(again, "session", "stop")
        first_force.close_stream()
        acquisition = force.info(lslkit.RESOLVE_TIMEOUT_S).desc().child("acquisition")
    assert [b["event"] for _, b in held] == ["session", "baseline", "note"]
    assert held[0][0] == t0_s - 1.0 + outlets.clock.offset_s
    assert held[1][1] == {
        "event": "baseline",
        "t_s": t0_s,
        "kind": "automatic",
        "client_n": 640.5,
        "client_cop_x_m": 0.93,
        "client_cop_y_m": -0.01,
        "therapist_weight_est_n": None,
    }
    assert held[2][1]["text"] == "left knee sore"
    assert [b["action"] for _, b in after] == ["stop"]
    assert acquisition.child_value("serial_number") == second.serial


def test_a_device_without_hello_streams_under_the_room_at_the_rigs_rate(
    steps_and_rig: tuple[list[Step], Rig, Hello],
) -> None:
    steps, rig, _ = steps_and_rig
    room = lslkit.unique_room()
    with LslOutlets(room, rig) as outlets:
        outlets.on_step(steps[0])  # opens the outlets; nobody is connected yet
        inlet = lslkit.open_inlet("Force", f"ashisense-{room}", force_stream_name(room))
        assert outlets.wait_for_consumers(0.0) is False  # the marker stream has no consumer
        outlets.on_step(steps[1])
        values, _ = lslkit.pull_samples(inlet, len(steps[1].block))
        info = inlet.info(lslkit.RESOLVE_TIMEOUT_S)
    np.testing.assert_array_equal(
        values[:, : len(rig.channels)], steps[1].estimate.force_n.astype(np.float32)
    )
    assert info.nominal_srate() == (rig.device.rate_hz or pylsl.IRREGULAR_RATE)
    assert info.desc().child("acquisition").child_value("serial_number") == ""
