"""The rig link: opens any pyserial URL, reads in its own thread, survives unplugging.

Bytes go through the pure decoder and stream stages; what comes out is handed to the
dispatcher, whose thread fans it out to listeners. Any loss of the port (unplug, I/O
error, silent device) becomes a recorded Gap and a reconnect with backoff, forever.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import serial

from firmware_bridge.ascii import AsciiLineDecoder
from firmware_bridge.blocks import Gap, SampleBlock
from firmware_bridge.decoder import FrameDecoder
from firmware_bridge.errors import DeviceChangedError, LinkTimeout
from firmware_bridge.listener import Dispatcher, Item, Listener
from firmware_bridge.protocol import Hello
from firmware_bridge.stream import SampleStream

log = logging.getLogger(__name__)

InputKind = Literal["protocol", "ascii"]
HELLO_RETRY_S = 0.5
READ_TIMEOUT_S = 0.01
RATE_WINDOW_S = 2.0


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

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
    `ascii_channels` and `ascii_rate_hz` are required). `expected_channels`, when given,
    must match the device's HELLO. Listeners are called from one dispatcher thread.
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
        if kind not in ("protocol", "ascii"):
            raise ValueError(f"link: input kind must be 'protocol' or 'ascii', got {kind!r}")
        if kind == "ascii" and (not ascii_channels or not ascii_rate_hz):
            raise ValueError("link: ascii input needs channel names and a nominal rate_hz")
        self.url = url
        self.kind = kind
        self.baudrate = baudrate
        self.expected_channels = expected_channels
        self.stall_timeout_s = stall_timeout_s
        self.reconnect_max_s = reconnect_max_s
        self._dispatcher = Dispatcher(listeners)
        self._decoder = FrameDecoder()
        self._stream = SampleStream()
        self._ascii = (
            AsciiLineDecoder(ascii_channels, ascii_rate_hz, source=url)
            if kind == "ascii" and ascii_channels and ascii_rate_hz
            else None
        )
        self._stats = LinkStats(url=url)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._hello_event = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"ashisense-link {url}", daemon=True)
        self._port: serial.SerialBase | None = None
        self._rate_marks: deque[tuple[float, int]] = deque()
        self._write_lock = threading.Lock()

    # -- public API -------------------------------------------------------------------
    def start(self) -> Link:
        """Start the reading thread (returns self)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop reading, deliver what is queued, stop listeners."""
        self._stop.set()
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
        return self._ascii.hello if self._ascii else self._stream.hello

    @property
    def stats(self) -> LinkStats:
        """A snapshot of link health (safe to read from any thread)."""
        with self._lock:
            return LinkStats(**{**self._stats.__dict__, "bad_detail": dict(self._stats.bad_detail)})

    def wait_for_hello(self, timeout_s: float = 5.0) -> Hello:
        """Block until the device has said who it is; LinkTimeout otherwise."""
        if not self._hello_event.wait(timeout_s) or self.hello is None:
            raise LinkTimeout(f"{self.url}: no HELLO from the device within {timeout_s} s")
        return self.hello

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
                self._set(state="waiting for device", last_error=f"cannot open: {err}")
                self._stop.wait(backoff_s)
                backoff_s = min(self.reconnect_max_s, backoff_s * 2)
                continue
            backoff_s = 0.02
            try:
                self._session(port, down_reason)
                down_reason = None
            except DeviceChangedError as err:
                log.error("%s", err)
                self._set(state="refused: device changed", last_error=str(err))
                self._dispatcher.put(err)
                self._stop.wait(1.0)
                down_reason = down_reason or "device changed"
            except (serial.SerialException, OSError, LinkTimeout) as err:
                if not self._stop.is_set():
                    log.warning("%s: link lost: %s", self.url, err)
                    down_reason = f"link down: {err}"
                    self._set(state="reconnecting", last_error=str(err))
            finally:
                with self._write_lock:
                    self._port = None
                with contextlib.suppress(Exception):
                    port.close()
        self._set(state="stopped")

    def _session(self, port: serial.SerialBase, down_reason: str | None) -> None:
        """Talk to one opened port until it fails or we stop."""
        set_low_latency(port)
        with self._write_lock:
            self._port = port
        self._decoder.reset()
        if self._ascii:
            self._ascii.reset()
            self._hello_event.set()
            self._set(state="streaming", device=self._ascii.hello.to_dict())
            self._dispatcher.put(self._ascii.hello)
        else:
            if down_reason is not None:
                self._stream.reconnected(down_reason)
            port.write(b"HELLO?\n")
            self._set(state="connected, waiting for HELLO")
        if down_reason is not None:
            with self._lock:
                self._stats.reconnects += 1
        started = self._ascii is not None  # ASCII sketches stream without a handshake
        last_hello_ask = last_data = time.monotonic()
        while not self._stop.is_set():
            waiting = port.in_waiting
            data = port.read(waiting if waiting > 0 else 1)
            now_mono = time.monotonic()
            if data:
                last_data = now_mono
                items = self._decode(data, _EPOCH_OFFSET + now_mono)
                if not started and self.hello is not None:
                    self._check_expected(self.hello)
                    port.write(b"START\n")
                    started = True
                    self._hello_event.set()
                    self._set(state="streaming", device=self.hello.to_dict())
                for item in items:
                    self._dispatcher.put(item)
            elif not started and now_mono - last_hello_ask > HELLO_RETRY_S:
                port.write(b"HELLO?\n")
                last_hello_ask = now_mono
            if now_mono - last_data > self._stall_s():
                raise LinkTimeout(f"no data for {now_mono - last_data:.1f} s")

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
        if self._ascii:
            block = self._ascii.feed(data, host_rx_s)
            items: list[Item] = [block] if block is not None else []
            bad = {"bad_lines": self._ascii.bad_lines}
        else:
            items = self._stream.push(self._decoder.feed(data), host_rx_s)
            bad = self._decoder.counters.as_dict()
        blocks = [i for i in items if isinstance(i, SampleBlock)]
        with self._lock:
            s = self._stats
            s.bad_detail = {k: v for k, v in bad.items() if k.startswith("bad_") and v}
            s.bad_packets = sum(s.bad_detail.values()) if self._ascii else bad["bad_packets"]
            s.lost_samples = self._stream.lost_samples
            s.gaps += sum(isinstance(i, Gap) for i in items)
            if blocks:
                s.samples += sum(len(b) for b in blocks)
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


__all__ = ["InputKind", "Link", "LinkStats", "host_clock", "set_low_latency"]
