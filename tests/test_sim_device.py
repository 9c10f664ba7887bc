"""The simulated rig as a device: sim:// URLs, commands, byte faults, and the pty server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import serial

from ashisense.sim.device import AHEAD_S, SimConfig, SimDevice, SimUrlError
from ashisense.sim.ptyserver import PtyRig
from firmware_bridge.decoder import EventPacket, FrameDecoder, RawSamples
from firmware_bridge.link import Link
from firmware_bridge.protocol import Hello


def decode_all(data: bytes) -> tuple[list, FrameDecoder]:
    dec = FrameDecoder()
    return dec.feed(data), dec


def test_url_parameters_and_errors():
    cfg = SimConfig.from_url("sim://overload?seed=4&rate=1000&speed=fast&grid=1&corrupt_per_s=2")
    assert (cfg.scenario, cfg.seed, cfg.rate_hz, cfg.speed, cfg.grid) == (
        "overload",
        4,
        1000.0,
        0.0,
        True,
    )
    assert cfg.faults.corrupt_per_s == 2.0
    with pytest.raises(SimUrlError, match=r"unknown parameter.*'sed'.*known"):
        SimConfig.from_url("sim://calm?sed=1")
    with pytest.raises(SimUrlError, match="rate"):
        SimConfig.from_url("sim://calm?rate=fast")


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("speed=-1", "speed must be > 0 (x real time) or 'fast', got -1"),
        ("speed=nan", "speed must be > 0 (x real time) or 'fast', got nan"),
        ("rate=0", "rate must be a number of Hz > 0, got 0"),
        ("rate=-80", "rate must be a number of Hz > 0, got -80"),
    ],
)
def test_a_rate_or_speed_that_makes_no_sense_is_refused(query: str, said: str) -> None:
    with pytest.raises(SimUrlError) as err:
        SimConfig.from_url(f"sim://calm?{query}")
    assert str(err.value) == f"sim://calm?{query}: {said}"


def test_fast_device_streams_valid_samples_with_hello_first():
    dev = SimDevice(SimConfig.from_url("sim://calm?seed=1&speed=fast"))
    packets, dec = decode_all(dev.pump() + dev.pump())
    assert isinstance(packets[0], Hello)
    assert packets[0].channels == dev.model.channels
    assert isinstance(packets[1], EventPacket) and packets[1].payload["event"] == "boot"
    rec = np.concatenate([p.records for p in packets if isinstance(p, RawSamples)])
    assert np.array_equal(rec["seq"], np.arange(rec.size))
    assert np.all(np.diff(rec["t_us"].astype(np.int64)) == 12_500)
    assert dec.counters.bad_packets == 0


def test_commands_are_answered():
    dev = SimDevice(SimConfig.from_url("sim://calm?speed=fast&boot_stream=0"))
    dev.pump()
    assert not [p for p in decode_all(dev.pump())[0] if isinstance(p, RawSamples)]
    dev.write(b"HELLO?\nSTART\nRATE 1000\nRATE lots\nJUMP\n")
    packets, _ = decode_all(dev.pump())
    events = [p.payload for p in packets if isinstance(p, EventPacket)]
    assert isinstance(packets[0], Hello)
    assert {"event": "rate", "rate_hz": 1000.0} in events
    assert [e["event"] for e in events].count("error") == 2
    assert any("unknown command 'JUMP'" in e.get("message", "") for e in events)
    rec = np.concatenate([p.records for p in packets if isinstance(p, RawSamples)])
    assert rec.size > 0
    dev.write(b"STOP\n")
    dev.pump()
    assert not [p for p in decode_all(dev.pump())[0] if isinstance(p, RawSamples)]


def test_corrupted_bytes_cost_only_the_packets_they_hit():
    dev = SimDevice(SimConfig.from_url("sim://stepping?seed=2&speed=fast&corrupt_per_s=20"))
    data = b"".join(dev.pump() for _ in range(40))  # 10240 samples = 128 s at 80 Hz
    packets, dec = decode_all(data)
    rec = np.concatenate([p.records for p in packets if isinstance(p, RawSamples)])
    clean = SimDevice(SimConfig.from_url("sim://stepping?seed=2&speed=fast"))
    ref, _ = decode_all(b"".join(clean.pump() for _ in range(40)))
    ref_rec = np.concatenate([p.records for p in ref if isinstance(p, RawSamples)])
    # every sample that got through is exactly the one the device sent
    assert np.array_equal(ref_rec[rec["seq"].astype(np.int64)]["counts"], rec["counts"])
    lost = ref_rec.size - rec.size
    assert 0 < lost <= 2 * 20 * 128 * 1.5
    assert dec.counters.bad_packets >= lost * 0.5


def test_sim_url_opens_through_pyserial_and_link_measures_rate(collector):
    with Link("sim://calm?seed=3&rate=200&speed=4", listeners=[collector]) as link:
        hello = link.wait_for_hello(5)
        collector.wait_for(lambda: collector.n_samples >= 1600, timeout_s=30)
        stats = link.stats
    assert hello.device == "AshiSense-Sim"
    assert stats.lost_samples == 0 and stats.bad_packets == 0
    assert stats.rate_hz == pytest.approx(200, rel=0.02)  # device-clock rate, not wall rate


def test_unplug_fault_is_a_gap_and_a_reconnect(collector):
    url = "sim://calm?seed=5&rate=100&speed=1&unplug_every_s=1.5&unplug_s=0.3"
    with Link(url, listeners=[collector]) as link:
        collector.wait_for(lambda: collector.gaps and collector.n_samples > 200, timeout_s=30)
        stats = link.stats
    assert "link down" in collector.gaps[0].reason
    assert stats.reconnects >= 1
    # each outage loses its 0.3 s at 100 Hz (the sample at its edge may come in its own
    # gap on a busy machine), and no value is invented for them
    lost = sum(g.lost for g in collector.gaps)
    assert 20 * stats.reconnects <= lost <= 40 * (stats.reconnects + 1)
    seqs = np.concatenate([b.seq for b in collector.blocks])
    assert np.all(np.diff(seqs) >= 1)


def test_pty_rig_serves_any_serial_program(tmp_path):
    dev = SimDevice(SimConfig.from_url("sim://calm?seed=1&rate=80"))
    with PtyRig(dev, link_path=tmp_path / "ttyRIG") as rig:
        target = os.path.realpath(rig.path)
        port = serial.Serial(rig.path, timeout=0.1)
        try:
            port.write(b"HELLO?\n")
            dec = FrameDecoder()
            got: list = []
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not any(isinstance(p, Hello) for p in got):
                got += dec.feed(port.read(256))
        finally:
            port.close()
    assert any(isinstance(p, Hello) for p in got)
    assert target.startswith("/dev/pts/")
    assert not (tmp_path / "ttyRIG").exists()  # the link goes away with the rig


def test_simulate_and_monitor_commands_end_to_end(tmp_path):
    link = tmp_path / "ttyRIG"
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ashisense",
            "simulate",
            "stepping",
            "--link",
            str(link),
            "--seconds",
            "30",
            "--truth",
            str(tmp_path / "truth.csv"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    ) as sim:
        try:
            first = sim.stdout.readline() if sim.stdout else ""
            assert str(link) in first, first
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ashisense",
                    "monitor",
                    str(link),
                    "--seconds",
                    "2",
                    "--json",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            )
        finally:
            sim.terminate()
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["device"]["device"] == "AshiSense-Sim"
    assert report["samples"] > 80
    assert report["rate_hz"] == pytest.approx(80, rel=0.05)
    assert report["lost_samples"] == 0 and report["bad_packets"] == 0
    assert {"samples", "lost_samples", "bad_packets", "reconnects", "rate_hz"} <= set(report)
    header = (tmp_path / "truth.csv").read_text().splitlines()[0]
    assert header.startswith("t_s,feet_n,feet_x_m")


def test_in_real_time_each_sample_goes_out_when_taken_though_the_model_runs_in_blocks():
    dev = SimDevice(SimConfig.from_url("sim://stepping?seed=4&rate=80"))
    calls: list[int] = []
    next_block = dev.model.next_block
    dev.model.next_block = lambda n: calls.append(n) or next_block(n)  # type: ignore[method-assign]
    boot = dev.pump(dev._boot_wall)
    per_pump = []
    wire = bytearray(boot)
    for k in range(1, 801):  # 10 s, pumped at each sample's end
        out = dev.pump(dev._boot_wall + k / 80 + 1e-6)
        per_pump.append(len([p for p in decode_all(out)[0] if isinstance(p, RawSamples)]))
        wire += out
    assert per_pump == [1] * 800  # one sample out per period, none early, none held back
    assert len(calls) <= 800 / (80 * AHEAD_S) + 1  # the model ran in blocks
    packets, dec = decode_all(bytes(wire))
    rec = np.concatenate([p.records for p in packets if isinstance(p, RawSamples)])
    # the same stream as a device run as fast as read (the model is chunk-invariant)
    fast = SimDevice(SimConfig.from_url("sim://stepping?seed=4&rate=80&speed=fast"))
    ref, _ = decode_all(b"".join(fast.pump() for _ in range(4)))
    ref_rec = np.concatenate([p.records for p in ref if isinstance(p, RawSamples)])
    assert np.array_equal(rec, ref_rec[:800])
    assert dec.counters.bad_packets == 0
