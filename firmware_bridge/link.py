"""The rig link: opens any pyserial URL, reads in its own thread, survives unplugging.

Bytes go through the pure decoder and stream stages; what comes out is handed to the
dispatcher, whose thread fans it out to listeners. Any loss of the port (unplug, I/O
error, silent device) becomes a recorded Gap and a reconnect with backoff, forever.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import serial

from firmware_bridge.arrival import ArrivalWindow
from firmware_bridge.blocks import Gap, SampleBlock
from firmware_bridge.errors import DeviceChangedError, HelloTimeout, LinkTimeout
from firmware_bridge.inputs import InputCounters, make_input
from firmware_bridge.listener import Dispatcher, Item, Listener
from firmware_bridge.protocol import Hello

log = logging.getLogger(__name__)

InputKind = Literal["protocol", "ascii"]
HELLO_RETRY_S = 0.5
HELLO_TIMEOUT_S = 10.0
#: How long wait_for_hello lets the first opening of the port take before its timeout starts
#: (opening a simulated rig boots it, which takes a busy host seconds).
OPEN_WAIT_S = 60.0
READ_TIMEOUT_S = 0.01
RATE_WINDOW_S = 2.0
#: How long catch_up waits for the link to read and the listeners to take what it read.
CATCH_UP_S = 0.5


def host_clock() -> float:
    """Host time in Unix seconds that never steps (monotonic, anchored once to the wall clock)."""
    return _EPOCH_OFFSET + time.monotonic()


_EPOCH_OFFSET = time.time() - time.monotonic()


@dataclass
class LinkStats:
    """Link health as a person reads it: what came, what was lost, how the link is doing."""

    state: str = "starting"
    url: str = ""
    device: dict[str, Any] | None = None
    samples: int = 0
    lost_samples: int = 0
    bad_packets: int = 0
    bad_detail: dict[str, int] = field(default_factory=dict)
    reconnects: int = 0
    rate_hz: float = 0.0
    last_counts: dict[str, int] = field(default_factory=dict)
    last_error: str = ""
    gaps: int = 0
    identified: bool = False  # the device said who it is on this connection: its data flows
    held_samples: int = 0  # received after a reconnect, waiting for the HELLO (at most 10 s)
    refused: str = ""  # why the device that answers is refused, until one is taken (accepted)
    # over the last second of host time (rate_hz is device time: it keeps the last rate
    # through a stall): samples per second that arrived, samples lost, and how long the
    # port has been silent (s; None before any data)
    recent_rate_hz: float = 0.0
    recent_lost: int = 0
    silent_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Tries:
    """What the link tried since it started, for a message when no device answered."""

    opens: int = 0
    open_failures: int = 0
    last_open_error: str = ""
    hello_asks: int = 0
    refused: str = ""  # why the last device that answered was refused ('' if none was)


def set_low_latency(port: serial.SerialBase) -> bool:
    """Ask Linux for the 1 ms latency timer of an FTDI-type USB serial adapter.

    FTDI chips hold bytes up to 16 ms by default; ASYNC_LOW_LATENCY (and the sysfs
    latency_timer) brings that to 1 ms. Returns True when it took; ports that have no
    such setting (CDC-ACM, pty, sockets) are left alone.
    """
    ok = False
    with contextlib.suppress(Exception):
        port.set_low_latency_mode(True)  # type: ignore[attr-defined]
        ok = True
    name = Path(str(getattr(port, "port", "") or "")).resolve().name
    timer = Path(f"/sys/bus/usb-serial/devices/{name}/latency_timer")
    if name and timer.exists():
        with contextlib.suppress(OSError):
            timer.write_text("1")
            ok = True
    return ok


class Link:
    """Connects to a rig at `url` and delivers Hello, SampleBlock, Gap, DeviceEvent, GridBlock.

    kind "protocol" speaks PROTOCOL.md; kind "ascii" reads integer lines (then
    `ascii_channels` and `ascii_rate_hz` are required); the kinds are in
    firmware_bridge.inputs.INPUT_KINDS. `expected_channels`, when given, must match the
    device's HELLO. Listeners are called from one dispatcher thread.

    read_every_s (settable at any time): while streaming, the least time between two reads of
    the port. 0 (the default) reads bytes as soon as they come; a caller that needs no
    promptness (nobody watches the live view) reads less often: the port's buffer holds the
    bytes, blocks come fewer and bigger, and every listener's per-block cost is paid less
    often. The samples and the gaps are the same either way; host times come from the same
    clock fit, whose per-second minimum delay is then that of the quickest of ~10 reads.
    """

    def __init__(
        self,
        url: str,
        *,
        listeners: Iterable[Listener] = (),
        kind: InputKind = "protocol",
        baudrate: int = 921_600,
        expected_channels: tuple[str, ...] | None = None,
        ascii_channels: tuple[str, ...] | None = None,
        ascii_rate_hz: float | None = None,
        stall_timeout_s: float | None = None,
        reconnect_max_s: float = 0.25,
    ) -> None:
        self._input = make_input(kind, url, ascii_channels, ascii_rate_hz)
        self.url = url
        self.kind = kind
        self.baudrate = baudrate
        self.expected_channels = expected_channels
        self.stall_timeout_s = stall_timeout_s
        self.reconnect_max_s = reconnect_max_s
        self._dispatcher = Dispatcher(listeners)
        self._stats = LinkStats(url=url)
        self._tries = Tries()
        self._counters = InputCounters()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._identified = threading.Event()
        self._tried_open = threading.Event()  # the first opening of the port has ended
        self._accept = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"ashisense-link {url}", daemon=True)
        self._port: serial.SerialBase | None = None
        self._rate_marks: deque[tuple[float, int]] = deque()
        self._arrival = ArrivalWindow()
        self._write_lock = threading.Lock()
        self.read_every_s = 0.0
        self._wake = threading.Event()  # read now (catch_up), whatever read_every_s says
        self._marks: list[threading.Event] = []  # catch_up's, set once the listeners have it

    # -- public API -------------------------------------------------------------------
    def start(self) -> Link:
        """Start the reading thread (returns self)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop reading, deliver what is queued, stop listeners."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(5.0)
        self._dispatcher.stop()

    def __enter__(self) -> Link:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_listener(self, listener: Listener) -> None:
        self._dispatcher.add(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._dispatcher.remove(listener)

    @property
    def hello(self) -> Hello | None:
        """What the device last said it is (None before it first did)."""
        return self._input.hello

    @property
    def stats(self) -> LinkStats:
        """A snapshot of link health (safe to read from any thread)."""
        with self._lock:
            recent = self._arrival.measure(host_clock())
            return LinkStats(
                **{
                    **self._stats.__dict__,
                    "bad_detail": dict(self._stats.bad_detail),
                    "recent_rate_hz": recent.rate_hz,
                    "recent_lost": recent.lost,
                    "silent_s": recent.silent_s,
                }
            )

    def wait_for_hello(self, timeout_s: float = HELLO_TIMEOUT_S) -> Hello:
        """Block until the device has said who it is on the current connection.

        Raises HelloTimeout after timeout_s, saying what was tried and what was heard
        (the port never opened, silence, garbage, packets but no HELLO, a refused device).
        The timeout is the device's: it starts when the first opening of the port ended
        (which may take up to OPEN_WAIT_S more).
        """
        if self._thread.is_alive():
            self._tried_open.wait(OPEN_WAIT_S)
        hello = self.hello if self._identified.wait(timeout_s) else None
        if hello is not None:
            return hello
        with self._lock:
            tries, heard = Tries(**self._tries.__dict__), self._counters
        raise hello_timeout(self.url, timeout_s, self._input.handshake, tries, heard)

    def accept_new_device(self) -> None:
        """A person accepts the device the link refused as changed (another serial, model or
        channel list): from the next connection, within about a second, its HELLO is taken
        and its data flows, after a Gap. The rig's expected_channels still apply."""
        self._accept.set()

    def catch_up(self, timeout_s: float = CATCH_UP_S) -> bool:
        """Read the port now and wait until what it held has reached every listener: what a
        caller needs before acting on "the newest sample" while reads are spaced out
        (read_every_s). True once it has (at once when reads are not spaced out or nothing
        streams), False after timeout_s (the listeners are behind, or the link went down)."""
        if self.read_every_s <= 0 or not self._identified.is_set():
            return True
        reached = threading.Event()
        with self._lock:
            self._marks.append(reached)
        self._wake.set()
        return reached.wait(timeout_s)

    def send(self, command: str) -> None:
        """Send one command line (e.g. 'RATE 80') to the device if connected."""
        with self._write_lock:
            if self._port is not None:
                self._port.write(command.encode("ascii") + b"\n")

    # -- thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        backoff_s = 0.02
        down_reason: str | None = None
        while not self._stop.is_set():
            try:
                port = serial.serial_for_url(
                    self.url, baudrate=self.baudrate, timeout=READ_TIMEOUT_S, write_timeout=1.0
                )
            except (serial.SerialException, OSError, ValueError) as err:
                self._tried_open.set()
                self._set(state="waiting for device", last_error=f"cannot open: {err}")
                with self._lock:
                    self._tries.open_failures += 1
                    self._tries.last_open_error = str(err)
                self._stop.wait(backoff_s)
                backoff_s = min(self.reconnect_max_s, backoff_s * 2)
                continue
            backoff_s = 0.02
            self._tried_open.set()
            with self._lock:
                self._tries.opens += 1
            try:
                self._session(port, down_reason)
                down_reason = None
            except DeviceChangedError as err:
                log.error("%s", err)
                self._set(
                    state="refused: device changed",
                    last_error=str(err),
                    refused=str(err),
                    identified=False,
                    held_samples=0,
                )
                with self._lock:
                    self._tries.refused = str(err)
                self._dispatcher.put(err)
                self._stop.wait(1.0)
                down_reason = down_reason or "device changed"
            except (serial.SerialException, OSError, LinkTimeout) as err:
                if not self._stop.is_set():
                    log.warning("%s: link lost: %s", self.url, err)
                    down_reason = f"link down: {err}"
                    self._set(state="reconnecting", last_error=str(err), identified=False)
            finally:
                self._identified.clear()
                with self._write_lock:
                    self._port = None
                with contextlib.suppress(Exception):
                    port.close()
        self._set(state="stopped", identified=False)

    def _session(self, port: serial.SerialBase, down_reason: str | None) -> None:
        """Talk to one opened port until it fails or we stop."""
        set_low_latency(port)
        with self._write_lock:
            self._port = port
        self._set(state="connected, waiting for HELLO")
        if self._accept.is_set():
            self._accept.clear()
            self._input.accept_new_device()
        opening = self._input.reset(down_reason)
        if down_reason is not None:
            with self._lock:
                self._stats.reconnects += 1
        self._deliver(port, opening)
        last_ask_s = -math.inf
        last_data_s = time.monotonic()
        marks: list[threading.Event] = []  # catch_up's, answered by the next whole read
        while not self._stop.is_set():
            if self._asks_hello() and time.monotonic() - last_ask_s >= HELLO_RETRY_S:
                # asked until answered, even while bytes flow: one lost answer must not
                # leave a device that streams from boot unheard
                port.write(b"HELLO?\n")
                last_ask_s = time.monotonic()
                with self._lock:
                    self._tries.hello_asks += 1
            self._wake.clear()  # this read answers every catch_up made so far
            marks = self._take_marks(marks)
            waiting = port.in_waiting
            data = port.read(waiting if waiting > 0 else 1)
            now_s = time.monotonic()
            if data:
                last_data_s = now_s
                self._deliver(port, self._decode(data, _EPOCH_OFFSET + now_s))
            # all that waited was read (not just a first byte), or the port was quiet
            drained = waiting > 0 or not data
            if drained:
                for reached in marks:
                    self._dispatcher.mark(reached)
                marks = []
            if now_s - last_data_s > self._stall_s():
                raise LinkTimeout(f"no data for {now_s - last_data_s:.1f} s")
            if data and drained and self.read_every_s > 0 and self._identified.is_set():
                # the rest of the interval, unless catch_up (or stop) wants a read now
                self._wake.wait(self.read_every_s - (time.monotonic() - now_s))

    def _take_marks(self, carried: list[threading.Event]) -> list[threading.Event]:
        """catch_up's marks made so far (and those a read carried over), to pass to the
        dispatcher behind the read that follows: a mark made during a read waits for the
        next one, which comes at once (catch_up woke the link)."""
        if not self._marks:
            return carried
        with self._lock:
            new, self._marks = self._marks, []
        return carried + new

    def _asks_hello(self) -> bool:
        return self._input.handshake and not self._input.identified

    def _deliver(self, port: serial.SerialBase, items: list[Item]) -> None:
        """Hand items to the dispatcher; first check and start a device that just said who
        it is (DeviceChangedError if it is not the rig's)."""
        hello = self._input.hello
        if not self._identified.is_set() and self._input.identified and hello is not None:
            self._check_expected(hello)
            if self._input.handshake:
                port.write(b"START\n")
            self._set(state="streaming", device=hello.to_dict(), identified=True, refused="")
            with self._lock:
                self._tries.refused = ""
            self._identified.set()
        for item in items:
            self._dispatcher.put(item)

    def _stall_s(self) -> float:
        if self.stall_timeout_s is not None:
            return self.stall_timeout_s
        hello = self.hello
        return max(1.0, 20.0 / hello.rate_hz) if hello else 2.0

    def _check_expected(self, hello: Hello) -> None:
        if self.expected_channels is not None and hello.channels != self.expected_channels:
            raise DeviceChangedError(
                f"{self.url}: device channels {list(hello.channels)} differ from the rig's "
                f"{list(self.expected_channels)}"
            )

    def _decode(self, data: bytes, host_rx_s: float) -> list[Item]:
        items = self._input.feed(data, host_rx_s)
        counters = self._input.counters()
        blocks = [i for i in items if isinstance(i, SampleBlock)]
        with self._lock:
            self._counters = counters
            s = self._stats
            s.bad_detail = dict(counters.bad_detail)
            s.bad_packets = counters.bad
            arrived = sum(len(b) for b in blocks)
            newly_lost = max(0, counters.lost_samples - s.lost_samples)
            if arrived or newly_lost:
                self._arrival.add(host_rx_s, arrived, newly_lost)
            s.lost_samples = counters.lost_samples
            s.held_samples = counters.held_samples
            s.gaps += sum(isinstance(i, Gap) for i in items)
            if blocks:
                s.samples += arrived
                last = blocks[-1]
                s.last_counts = dict(zip(last.channels, last.counts[-1].tolist(), strict=True))
                s.rate_hz = self._measure_rate(last)
        return items

    def _measure_rate(self, block: SampleBlock) -> float:
        """Samples per second of device time over the last couple of seconds."""
        self._rate_marks.append((float(block.t_device_s[-1]), int(block.seq[-1])))
        while len(self._rate_marks) > 2 and (
            self._rate_marks[-1][0] - self._rate_marks[0][0] > RATE_WINDOW_S
            or self._rate_marks[-1][0] < self._rate_marks[0][0]
        ):
            self._rate_marks.popleft()
        (t0, s0), (t1, s1) = self._rate_marks[0], self._rate_marks[-1]
        return float((s1 - s0) / (t1 - t0)) if t1 > t0 and s1 > s0 else self._stats.rate_hz

    def _set(self, **values: Any) -> None:
        with self._lock:
            for k, v in values.items():
                setattr(self._stats, k, v)


def hello_timeout(
    url: str, timeout_s: float, handshake: bool, tries: Tries, heard: InputCounters
) -> HelloTimeout:
    """The error for a device that did not say who it is: what was tried, what was heard."""
    asked = f", asked HELLO? {_times(tries.hello_asks)}" if handshake else ""
    tried = f"opened the port {_times(tries.opens)}{asked}"
    if tries.refused:
        word, what = "refused", f"a device answered and was refused: {tries.refused}"
    elif tries.opens == 0:
        word, tried = "cannot open", f"opening the port {_times(tries.open_failures)}"
        what = f"it could not be opened: {tries.last_open_error}"
        if not tries.open_failures:
            tried, what = "opening the port", "nothing: the first attempt had not finished"
    elif heard.bytes_in == 0:
        word, what = "silence", "no bytes at all"
    elif heard.good == 0:
        reasons = ", ".join(f"{k} {v}" for k, v in heard.bad_detail.items()) or "no frame ended"
        word, what = "garbage", f"{heard.bytes_in} bytes of garbage, no valid packet ({reasons})"
    else:
        word = "no hello"
        what = f"{heard.bytes_in} bytes with {heard.good} valid packets, but no HELLO"
    return HelloTimeout(
        f"{url}: no device said who it is within {timeout_s:g} s; tried {tried}; heard {what}",
        url=url,
        heard=word,
    )


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


__all__ = [
    "HELLO_TIMEOUT_S",
    "InputKind",
    "Link",
    "LinkStats",
    "Tries",
    "hello_timeout",
    "host_clock",
    "set_low_latency",
]
