"""The link over a real pseudo-terminal: handshake, blocks, lost samples, unplug and replug."""

from __future__ import annotations

import os

import numpy as np
import pytest

from firmware_bridge.errors import DeviceChangedError
from firmware_bridge.link import Link
from firmware_bridge.protocol import encode_event, encode_samples
from tests.linkkit import (
    CHANNELS,
    HELLO,
    PtyDevice,
    PtyPort,
    samples,
    stream_then_pull,
    streaming_link,
)


def test_handshake_and_blocks_over_a_real_pty(pty_pair, collector):
    with streaming_link(pty_pair, collector) as (dev, link):
        assert link.wait_for_hello(5).channels == tuple(CHANNELS)
        dev.send(samples(0, 500) + encode_event(500_000, {"event": "overflow", "dropped": 3}))
        collector.wait_for(lambda: collector.n_samples == 500 and collector.events)
        stats = link.stats
    assert dev.commands[:2] == ["HELLO?", "START"]
    counts = np.concatenate([b.counts for b in collector.blocks])
    assert np.array_equal(counts[:, 0], np.arange(500))
    assert np.array_equal(counts[:, 1], -np.arange(500))
    t_s = np.concatenate([b.t_s for b in collector.blocks])
    # host times follow the device clock; a burst may only slow them (slew), never reverse
    step = np.diff(t_s)
    assert np.all((step > 0.9e-3 - 1e-6) & (step < 1e-3 + 1e-6)), step
    assert collector.events[0].payload == {"event": "overflow", "dropped": 3}
    assert stats.samples == 500 and stats.lost_samples == 0 and stats.bad_packets == 0
    assert stats.device == HELLO
    assert collector.stopped.is_set()


def test_lost_and_garbled_packets_are_counted_never_invented(pty_pair, collector):
    with streaming_link(pty_pair, collector) as (dev, link):
        wire = samples(0, 100)
        garbled = bytearray(samples(100, 1))
        garbled[5] ^= 0xFF
        dev.send(wire + bytes(garbled) + samples(101, 9) + samples(120, 10))
        collector.wait_for(lambda: collector.n_samples == 119)
        stats = link.stats
    seqs = np.concatenate([b.seq for b in collector.blocks])
    assert 100 not in seqs and not set(range(110, 120)) & set(seqs.tolist())
    assert stats.bad_packets == 1
    assert stats.lost_samples == 11
    assert [g.lost for g in collector.gaps] == [1, 10]


def test_unplug_and_replug_through_a_closed_and_reopened_pty(tmp_path, collector):
    with (
        PtyPort(tmp_path / "ttyRIG") as port,
        Link(str(port.path), listeners=[collector], stall_timeout_s=1.0) as link,
    ):
        stream_then_pull(port, link, collector, HELLO, 50)  # the link's side gets an I/O error
        dev = port.plug(HELLO)  # plugged back in, a new pty behind the same path
        assert dev.got_start.wait(5), "link did not reconnect and restart the stream"
        dev.send(samples(80, 20))  # the device kept counting while unplugged
        collector.wait_for(lambda: collector.n_samples == 70)
        stats = link.stats
    assert stats.reconnects == 1
    assert len(collector.gaps) == 1
    gap = collector.gaps[0]
    assert gap.lost == 30 and "link down" in gap.reason
    assert len(collector.hellos) == 2


def test_a_device_that_returns_with_other_channels_is_refused(tmp_path, collector):
    with (
        PtyPort(tmp_path / "ttyRIG") as port,
        Link(str(port.path), listeners=[collector], stall_timeout_s=1.0) as link,
    ):
        stream_then_pull(port, link, collector, HELLO, 10)
        dev = port.plug({**HELLO, "channels": ["a", "b"]})
        dev.send(
            encode_samples(np.arange(5), np.arange(5) * 1000, np.zeros(5, int), np.ones((5, 2)))
        )
        collector.wait_for(lambda: collector.errors, timeout_s=30)
        state = link.stats.state
    assert isinstance(collector.errors[0], DeviceChangedError)
    assert "expected ['a', 'b', 'c']" in str(collector.errors[0])
    assert state.startswith("refused")
    assert collector.n_samples == 10  # nothing from the wrong device got through


def test_expected_channels_mismatch_is_refused(pty_pair, collector):
    master, path = pty_pair
    dev = PtyDevice(master, HELLO)
    try:
        with Link(path, listeners=[collector], expected_channels=("x", "y")) as link:
            collector.wait_for(lambda: collector.errors, timeout_s=30)
            assert "differ from the rig's" in str(collector.errors[0])
            assert not dev.got_start.is_set()
            assert link.stats.state.startswith("refused")
    finally:
        dev.stop()


@pytest.mark.parametrize("sep", [b",", b" ", b"\t", b", "])
def test_ascii_lines_over_a_pty(pty_pair, collector, sep):
    master, path = pty_pair
    link = Link(
        path, listeners=[collector], kind="ascii", ascii_channels=("l", "r"), ascii_rate_hz=10
    )
    with link:
        collector.wait_for(lambda: collector.hellos)  # port open (opening flushes its input)
        lines = b"".join(sep.join(b"%d" % v for v in (i, -i)) + b"\r\n" for i in range(20))
        os.write(master, lines + b"oops,1\n" + b"7" + sep + b"8\n")
        collector.wait_for(lambda: collector.n_samples == 21)
        stats = link.stats
    counts = np.concatenate([b.counts for b in collector.blocks])
    assert counts[:20, 0].tolist() == list(range(20)) and counts[20].tolist() == [7, 8]
    assert stats.bad_packets == 1
