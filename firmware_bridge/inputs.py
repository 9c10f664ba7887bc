"""One input decoder per kind of device: bytes in, link items out (no port, thread or clock).

The link owns the port, the thread and the clock; it hands every read to the decoder it
was built with and asks it the same few things whatever the kind: who the device is,
whether it has said so on this connection, and what was counted. A new kind of input
(a TCP rig that speaks lines, a recorded-bytes file) is one more class here and one
entry in INPUT_KINDS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from firmware_bridge.ascii import AsciiLineDecoder
from firmware_bridge.decoder import FrameDecoder
from firmware_bridge.listener import Item
from firmware_bridge.protocol import Hello
from firmware_bridge.stream import SampleStream


@dataclass(frozen=True)
class InputCounters:
    """What an input has counted since it was made (all connections together)."""

    bytes_in: int = 0
    good: int = 0  # valid packets (protocol) or sample lines (ASCII)
    bad_detail: dict[str, int] = field(default_factory=dict)  # non-zero reasons only
    lost_samples: int = 0
    held_samples: int = 0  # waiting for the device's HELLO after a reconnect

    @property
    def bad(self) -> int:
        return sum(self.bad_detail.values())


class InputDecoder(Protocol):
    """The interface the link drives: one object per link, kept across reconnects."""

    #: True: the device must be asked `HELLO?` until it answers, then told `START`.
    #: False: the input says who the device is by itself when a connection opens.
    handshake: bool

    @property
    def hello(self) -> Hello | None:
        """The device as it last described itself (None before the first time)."""

    @property
    def identified(self) -> bool:
        """Has the device said who it is on the current connection?"""

    def reset(self, down_reason: str | None) -> list[Item]:
        """A new connection (after the link was down for `down_reason`, if given); the items
        to deliver at once."""

    def feed(self, data: bytes, host_rx_s: float) -> list[Item]:
        """Decode bytes that arrived at host time host_rx_s (Unix seconds)."""

    def counters(self) -> InputCounters:
        """What was received, dropped and lost so far."""

    def accept_new_device(self) -> None:
        """Let the next HELLO introduce another device than the one the link had."""


class ProtocolInput:
    """PROTOCOL.md devices: COBS/CRC framing, then seq gaps, clock and device identity."""

    handshake = True

    def __init__(self) -> None:
        self._decoder = FrameDecoder()
        self._stream = SampleStream()
        self._identified = False

    @property
    def hello(self) -> Hello | None:
        return self._stream.hello

    @property
    def identified(self) -> bool:
        return self._identified

    def reset(self, down_reason: str | None) -> list[Item]:
        self._decoder.reset()
        self._identified = False
        if down_reason is not None:
            self._stream.reconnected(down_reason)
        return []

    def feed(self, data: bytes, host_rx_s: float) -> list[Item]:
        items = self._stream.push(self._decoder.feed(data), host_rx_s)
        self._identified = self._identified or any(isinstance(i, Hello) for i in items)
        return items

    def counters(self) -> InputCounters:
        c = self._decoder.counters
        reasons = ("bad_cobs", "bad_crc", "bad_length", "bad_type", "bad_body", "oversize")
        return InputCounters(
            bytes_in=c.bytes_in,
            good=c.packets,
            bad_detail={k: getattr(c, k) for k in reasons if getattr(c, k)},
            lost_samples=self._stream.lost_samples,
            held_samples=self._stream.held_samples,
        )

    def accept_new_device(self) -> None:
        self._stream.accept_new_device()


class AsciiInput:
    """DIY sketches printing integer lines: no handshake, the rig file names the channels."""

    handshake = False
    identified = True

    def __init__(self, channels: tuple[str, ...], rate_hz: float, source: str) -> None:
        self._decoder = AsciiLineDecoder(channels, rate_hz, source=source)
        self._bytes_in = 0

    @property
    def hello(self) -> Hello:
        return self._decoder.hello

    def reset(self, down_reason: str | None) -> list[Item]:
        self._decoder.reset()
        return [self._decoder.hello]

    def feed(self, data: bytes, host_rx_s: float) -> list[Item]:
        self._bytes_in += len(data)
        block = self._decoder.feed(data, host_rx_s)
        return [block] if block is not None else []

    def counters(self) -> InputCounters:
        bad = self._decoder.bad_lines
        return InputCounters(
            bytes_in=self._bytes_in,
            good=self._decoder.samples,
            bad_detail={"bad_lines": bad} if bad else {},
        )

    def accept_new_device(self) -> None:
        """Nothing to accept: the rig file, not the device, says what an ASCII input is."""


InputFactory = Callable[[str, "tuple[str, ...] | None", "float | None"], InputDecoder]


def _ascii(source: str, channels: tuple[str, ...] | None, rate_hz: float | None) -> InputDecoder:
    if not channels or not rate_hz:
        raise ValueError("link: ascii input needs channel names and a nominal rate_hz")
    return AsciiInput(channels, rate_hz, source)


#: Input kinds by name: factory(source URL, channel names, nominal rate_hz).
INPUT_KINDS: dict[str, InputFactory] = {
    "protocol": lambda source, channels, rate_hz: ProtocolInput(),
    "ascii": _ascii,
}


def make_input(
    kind: str,
    source: str,
    channels: tuple[str, ...] | None = None,
    rate_hz: float | None = None,
) -> InputDecoder:
    """The decoder for an input kind; ValueError naming the known kinds for any other."""
    factory = INPUT_KINDS.get(kind)
    if factory is None:
        known = " or ".join(repr(k) for k in INPUT_KINDS)
        raise ValueError(f"link: input kind must be {known}, got {kind!r}")
    return factory(source, channels, rate_hz)
