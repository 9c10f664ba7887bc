"""`record` and `monitor` against devices that never say who they are: a non-zero exit, a
message saying what was tried and heard, and no session left behind; `record --seconds`
counts from the device's HELLO, and its alarm clock ticks know when data last arrived."""

from __future__ import annotations

import math
import queue
import threading
from pathlib import Path
from typing import Any

import pytest
import serial

from ashisense.session.runner import SessionRunner
from ashisense.starter import starter_path
from ashisense.store import SQLiteStore
from ashisense_cli import main
from firmware_bridge import link as link_module
from firmware_bridge.link import Link
from firmware_bridge.protocol import Hello
from tests.linkkit import HELLO, PtyDevice

SIM_RIG = Path(__file__).resolve().parents[1] / "examples" / "sim_rig.toml"


def _record(out: Path, device: str, *more: str) -> int:
    return main(["record", "--rig", str(SIM_RIG), "--device", device, "--out", str(out), *more])


def _sessions(out: Path) -> list[object]:
    with SQLiteStore(out, readonly=True) as store:
        return list(store.sessions())


@pytest.mark.parametrize(
    ("device", "heard"),
    [
        ("{tmp}/ttyNOPE", "could not be opened: [Errno 2]"),
        ("sim://nosuch", "could not be opened: unknown scenario 'nosuch'"),
        ("{pty}", "heard no bytes at all"),
    ],
    ids=["missing-port", "unknown-sim", "silent-pty"],
)
def test_record_from_a_device_never_heard_fails_saying_why_and_saves_no_session(
    tmp_path: Path,
    pty_pair: tuple[int, str],
    capsys: pytest.CaptureFixture[str],
    device: str,
    heard: str,
) -> None:
    url = device.format(tmp=tmp_path, pty=pty_pair[1])
    out = tmp_path / "s.sqlite"
    code = _record(out, url, "--seconds", "3", "--hello-timeout", "1")
    err = capsys.readouterr().err
    assert code == 2
    assert f"{url}: no device said who it is within 1 s; tried " in err
    assert heard in err
    assert _sessions(out) == []


def test_monitor_of_a_silent_device_fails_saying_what_was_tried_and_heard(
    pty_pair: tuple[int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["monitor", pty_pair[1], "--seconds", "3", "--hello-timeout", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "no device said who it is within 1 s" in err and "asked HELLO?" in err
    assert "heard no bytes at all" in err


@pytest.mark.parametrize("command", ["record", "monitor"])
def test_the_hello_timeout_must_be_positive(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = {"record": ["--rig", str(SIM_RIG), "--out", "x.sqlite"], "monitor": ["sim://calm"]}
    with pytest.raises(SystemExit) as exit_:
        main([command, *argv[command], "--hello-timeout", "0"])
    assert exit_.value.code == 2
    assert "argument --hello-timeout: expected a number > 0, got '0'" in capsys.readouterr().err


def test_record_seconds_count_from_the_hello_and_ticks_know_when_data_arrived(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The starter rig's simulated device takes more than a second to boot and say HELLO:
    one second of recording still holds a second of its samples."""
    seen: list[float] = []
    tick = SessionRunner.tick

    def spy(self: SessionRunner, t_s: float, data_seen_s: float = math.nan) -> list[object]:
        seen.append(data_seen_s)
        return tick(self, t_s, data_seen_s)  # type: ignore[return-value]

    monkeypatch.setattr(SessionRunner, "tick", spy)
    out = tmp_path / "s.sqlite"
    rig = starter_path("rig.toml")
    assert main(["record", "--rig", str(rig), "--seconds", "1", "--out", str(out)]) == 0
    with SQLiteStore(out, readonly=True) as store:
        (info,) = store.sessions()
    assert info.hello is not None
    rate_hz = float(info.hello["rate_hz"])
    assert info.summary.samples >= 0.5 * rate_hz  # a second of data, give or take the ticks
    assert seen and all(math.isfinite(s) for s in seen[1:])  # the port's clock, every tick


def test_the_hello_timeout_starts_once_the_port_opened(
    pty_pair: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a simulated rig boots it, which takes a busy host seconds: that is not the
    device's silence."""
    opening, release = threading.Event(), threading.Event()
    real_open = serial.serial_for_url

    def slow_open(url: str, **options: Any) -> serial.SerialBase:
        opening.set()
        release.wait(30)
        return real_open(url, **options)

    monkeypatch.setattr(link_module.serial, "serial_for_url", slow_open)
    master, path = pty_pair
    dev = PtyDevice(master, HELLO)
    said: queue.Queue[Hello | BaseException] = queue.Queue()

    def wait() -> None:
        try:
            said.put(link.wait_for_hello(0.5))
        except Exception as err:  # handed to the test
            said.put(err)

    try:
        with Link(path) as link:
            assert opening.wait(10)
            waiter = threading.Thread(target=wait, name="test-wait-for-hello")
            waiter.start()
            with pytest.raises(queue.Empty):  # still opening: no timeout yet
                said.get(timeout=1.5)
            release.set()
            hello = said.get(timeout=30)
            waiter.join(5)
    finally:
        dev.stop()
    assert isinstance(hello, Hello) and hello.serial == HELLO["serial"]
