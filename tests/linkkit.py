"""Link test kit: a scripted device on the master side of a real pty, and pty plumbing.

The device answers `HELLO?` (or not, or with other bytes), notes every command line it
is sent, and can stream SAMPLEs from boot as a device that never waits for START does.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import tty
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from firmware_bridge.link import Link
from firmware_bridge.listener import Listener
from firmware_bridge.protocol import encode_hello, encode_samples

if TYPE_CHECKING:
    from tests.conftest import Collector

CHANNELS = ["a", "b", "c"]
HELLO: dict[str, Any] = {
    "protocol": 1,
    "device": "test-rig",
    "serial": "T1",
    "firmware": "0",
    "rate_hz": 1000,
    "channels": CHANNELS,
}
WRITE_WAIT_S = 0.05


def samples(first_seq: int, n: int, t0_us: int = 0, rate_hz: float = 1000) -> bytes:
    """Wire bytes of SAMPLEs first_seq.. with counts (seq, -seq, 3 seq), one per period."""
    seq = np.arange(first_seq, first_seq + n)
    t_us = t0_us + (seq * 1e6 / rate_hz).astype(np.int64)
    counts = np.stack([seq, -seq, seq * 3], axis=1)
    return encode_samples(seq, t_us, np.zeros(n, dtype=np.int64), counts)


class PtyDevice:
    """A device on the master side of a pty that answers HELLO? with `hello`.

    `reply` replaces the HELLO answer with other bytes (garbage, samples); the first
    `lost_answers` answers are lost on the way; while `answering` is clear the device
    hears HELLO? and says nothing.
    """

    def __init__(
        self,
        master: int,
        hello: dict[str, Any],
        *,
        reply: bytes | None = None,
        lost_answers: int = 0,
        answering: bool = True,
    ) -> None:
        self.master = master
        os.set_blocking(master, False)  # a full pty must never hang the device's threads
        self.hello = hello
        self.reply = encode_hello(hello) if reply is None else reply
        self.lost_answers = lost_answers
        self.commands: list[str] = []
        self.asked = threading.Event()
        self.answering = threading.Event()
        if answering:
            self.answering.set()
        self.got_start = threading.Event()
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, name="ashisense-test-device")]
        self._threads[0].start()

    def _run(self) -> None:
        buf = b""
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.master], [], [], 0.02)
                if not ready:
                    continue
                buf += os.read(self.master, 1024)
            except BlockingIOError:
                continue
            except OSError:
                return
            *lines, buf = buf.split(b"\n")
            for line in lines:
                self._command(line.decode().strip())

    def _command(self, cmd: str) -> None:
        self.commands.append(cmd)
        if cmd == "HELLO?":
            self.asked.set()
            if not self.answering.is_set():
                return
            if self.lost_answers:
                self.lost_answers -= 1
                return
            self.send(self.reply)
        elif cmd == "START":
            self.got_start.set()

    def stream(self, every_s: float = 0.002, per_write: int = 2) -> None:
        """Stream SAMPLEs from now on, whether or not anyone listens or said START."""
        thread = threading.Thread(
            target=self._stream, args=(every_s, per_write), name="ashisense-test-streamer"
        )
        self._threads.append(thread)
        thread.start()

    def _stream(self, every_s: float, per_write: int) -> None:
        seq = 0
        while not self._stop.wait(every_s):
            with contextlib.suppress(OSError):
                _, writable, _ = select.select([], [self.master], [], 0)
                if writable:  # a device whose host does not read drops its output
                    self.send(samples(seq, per_write))
            seq += per_write

    def send(self, data: bytes) -> None:
        """Write all of data to the pty (waiting while its buffer is full)."""
        view = memoryview(data)
        with self._write_lock:
            while view and not self._stop.is_set():
                _, writable, _ = select.select([], [self.master], [], WRITE_WAIT_S)
                if writable:
                    with contextlib.suppress(BlockingIOError):
                        view = view[os.write(self.master, view) :]

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2)


@contextlib.contextmanager
def streaming_link(
    pty_pair: tuple[int, str], *listeners: Listener
) -> Iterator[tuple[PtyDevice, Link]]:
    """A device answering HELLO on the pty's master and a Link to it on the slave, past the
    handshake (HELLO heard, START sent); leaving closes the link, then stops the device."""
    master, path = pty_pair
    dev = PtyDevice(master, HELLO)
    try:
        with Link(path, listeners=list(listeners)) as link:
            link.wait_for_hello(5)
            assert dev.got_start.wait(5), f"no START sent; commands seen: {dev.commands}"
            yield dev, link
    finally:
        dev.stop()


def open_pty(link_path: Path) -> tuple[int, int]:
    """A new pty whose slave is reachable at link_path (as a by-id symlink would be).

    Returns (master, slave); the slave fd is held so the master does not read a hang-up.
    """
    master, slave = os.openpty()
    tty.setraw(slave)
    tmp = link_path.with_suffix(".tmp")
    tmp.symlink_to(os.ttyname(slave))
    tmp.replace(link_path)
    return master, slave


def unplug(*fds: int) -> None:
    """Close the fds of a pty: the link's side gets an I/O error, as when a cable is pulled."""
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


class PtyPort:
    """A stable path (like a udev by-id link) into which pty devices are plugged and pulled."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fds: tuple[int, ...] = ()
        self._device: PtyDevice | None = None

    def plug(self, hello: dict[str, Any], **options: Any) -> PtyDevice:
        """A new pty behind the path, with a device on it (PtyDevice options)."""
        master, slave = open_pty(self.path)
        self._fds = (master, slave)
        self._device = PtyDevice(master, hello, **options)
        return self._device

    def pull(self) -> None:
        """Stop the device, close its pty and take the path away, as udev takes a by-id link
        away with the cable: the link's side gets an I/O error, and a reconnect never opens
        the closed pty's number, which another process (another test) may have been given."""
        if self._device is not None:
            self._device.stop()
        self.path.unlink(missing_ok=True)
        unplug(*self._fds)
        self._fds, self._device = (), None

    def __enter__(self) -> PtyPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pull()


def stream_then_pull(
    port: PtyPort, link: Link, collector: Collector, hello: dict[str, Any], n: int
) -> None:
    """Plug in a device, take n samples from it, pull its cable and see the link notice."""
    dev = port.plug(hello)
    link.wait_for_hello(5)
    assert dev.got_start.wait(5)
    dev.send(samples(0, n, rate_hz=hello["rate_hz"]))
    collector.wait_for(lambda: collector.n_samples == n)
    port.pull()
    collector.wait_for(lambda: link.stats.state != "streaming", timeout_s=30)
