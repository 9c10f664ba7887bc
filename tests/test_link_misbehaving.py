"""Devices that do not behave, over a real pty: a lost HELLO answer, a HELLO that never comes,
a different device behind the same port, a port that never opens."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from firmware_bridge.errors import DeviceChangedError, HelloTimeout, LinkTimeout
from firmware_bridge.link import Link
from tests.conftest import Collector
from tests.linkkit import HELLO, PtyDevice, PtyPort, samples, stream_then_pull


def test_a_device_streaming_from_boot_whose_hello_answer_was_lost_is_asked_again(
    pty_pair: tuple[int, str], collector: Collector
) -> None:
    master, path = pty_pair
    dev = PtyDevice(master, HELLO, lost_answers=1)
    dev.stream()  # bytes flow all the time: the link is never idle long enough to re-ask
    try:
        with Link(path, listeners=[collector]) as link:
            hello = link.wait_for_hello(5)
            assert dev.got_start.wait(5)
            collector.wait_for(lambda: collector.n_samples > 0)
            stats = link.stats
    finally:
        dev.stop()
    assert hello.serial == "T1"
    assert dev.commands.count("HELLO?") >= 2
    assert stats.identified and stats.state == "streaming"


def test_after_a_reconnect_at_most_10_s_of_samples_wait_for_the_hello(
    tmp_path: Path, collector: Collector
) -> None:
    hello = {**HELLO, "rate_hz": 100}
    with (
        PtyPort(tmp_path / "ttyRIG") as port,
        Link(str(port.path), listeners=[collector], stall_timeout_s=5.0) as link,
    ):
        stream_then_pull(port, link, collector, hello, 50)
        dev = port.plug(hello, answering=False)  # its answers are lost, for now
        assert dev.asked.wait(5), "the link did not reopen the port"
        dev.send(samples(50, 1500, rate_hz=100))  # 15 s of samples, and no HELLO
        # all 1500 read: the newest 1000 (10 s) held, the 500 before them dropped and lost
        collector.wait_for(lambda: link.stats.held_samples + link.stats.lost_samples == 1500)
        waiting = link.stats
        dev.answering.set()
        collector.wait_for(lambda: collector.n_samples == 1050)
        stats = link.stats
    assert not waiting.identified and waiting.state == "connected, waiting for HELLO"
    assert (waiting.held_samples, waiting.lost_samples) == (1000, 500)
    seqs = np.concatenate([b.seq for b in collector.blocks])
    assert seqs.tolist() == [*range(50), *range(550, 1550)]
    assert [g.lost for g in collector.gaps] == [500]
    assert stats.lost_samples == 500 and stats.held_samples == 0 and stats.identified


@pytest.mark.parametrize(
    ("field", "value"), [("serial", "T2"), ("device", "other-rig")], ids=["serial", "model"]
)
def test_a_device_that_returns_as_another_device_is_refused_until_a_person_accepts_it(
    tmp_path: Path, collector: Collector, field: str, value: str
) -> None:
    with (
        PtyPort(tmp_path / "ttyRIG") as port,
        Link(str(port.path), listeners=[collector], stall_timeout_s=1.0) as link,
    ):
        stream_then_pull(port, link, collector, HELLO, 10)
        dev = port.plug({**HELLO, field: value})  # same channel names
        collector.wait_for(lambda: collector.errors, timeout_s=5)
        refused = link.stats
        assert not dev.got_start.is_set()
        link.accept_new_device()
        assert dev.got_start.wait(5), "the accepted device was not started"
        dev.send(samples(0, 20))
        collector.wait_for(lambda: collector.n_samples == 30)
    err = collector.errors[0]
    assert isinstance(err, DeviceChangedError) and value in str(err)
    assert refused.state.startswith("refused") and not refused.identified
    said = [h.to_dict()[field] for h in collector.hellos]
    assert said[0] == HELLO[field] and said[-1] == value
    (gap,) = collector.gaps
    assert gap.lost == -1 and "device replaced" in gap.reason


def test_a_port_that_cannot_be_opened_says_so_when_waiting_for_hello(tmp_path: Path) -> None:
    url = str(tmp_path / "ttyNOPE")
    with Link(url) as link, pytest.raises(HelloTimeout) as err:
        link.wait_for_hello(0.5)
    assert isinstance(err.value, LinkTimeout) and isinstance(err.value, TimeoutError)
    assert err.value.heard == "cannot open" and err.value.url == url
    assert url in str(err.value) and "could not be opened" in str(err.value)
    assert "No such file" in str(err.value)


def test_an_unknown_simulated_device_cannot_be_opened() -> None:
    import ashisense.sim.model  # noqa: F401  (loaded before the clock starts: it takes seconds)

    with Link("sim://nosuch") as link, pytest.raises(HelloTimeout) as err:
        link.wait_for_hello(2)
    assert err.value.heard == "cannot open" and "unknown scenario 'nosuch'" in str(err.value)


@pytest.mark.parametrize(
    ("reply", "heard", "said"),
    [
        (None, "silence", "no bytes at all"),
        (b"\x13\x37 not a packet \x00" * 3, "garbage", "bytes of garbage, no valid packet"),
        (samples(0, 5), "no hello", "valid packets, but no HELLO"),
    ],
    ids=["silence", "garbage", "samples-but-no-hello"],
)
def test_a_device_that_never_says_hello_is_described_by_what_was_heard(
    pty_pair: tuple[int, str], reply: bytes | None, heard: str, said: str
) -> None:
    master, path = pty_pair
    dev = PtyDevice(master, HELLO, reply=reply, answering=reply is not None)
    try:
        with Link(path) as link, pytest.raises(HelloTimeout) as err:
            link.wait_for_hello(1.5)
    finally:
        dev.stop()
    assert dev.commands.count("HELLO?") >= 2
    assert err.value.heard == heard
    assert said in str(err.value) and "asked HELLO?" in str(err.value)


def test_a_refused_device_is_named_when_waiting_for_hello(
    pty_pair: tuple[int, str],
) -> None:
    master, path = pty_pair
    dev = PtyDevice(master, HELLO)
    try:
        with Link(path, expected_channels=("x", "y")) as link, pytest.raises(HelloTimeout) as err:
            link.wait_for_hello(1.5)
    finally:
        dev.stop()
    assert err.value.heard == "refused" and "differ from the rig's" in str(err.value)
