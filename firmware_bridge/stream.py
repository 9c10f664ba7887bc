"""From decoded packets to timestamped blocks: seq gaps, clock unwrap, host time, restarts.

Pure like the decoder: the caller passes the host time at which the bytes arrived.
"""

from __future__ import annotations

import itertools
from collections import deque

import numpy as np

from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock
from firmware_bridge.decoder import EventPacket, GridPacket, Packet, RawSamples
from firmware_bridge.errors import DeviceChangedError
from firmware_bridge.listener import Item
from firmware_bridge.protocol import Hello
from firmware_bridge.timemap import ClockMapper, DeviceClock

SEQ_WRAP = 1 << 16
OUTAGE_SETTLE_S = 0.5
HOLD_S = 10.0
_BITS = np.arange(32, dtype=np.uint32)


class SampleStream:
    """Turns the decoder's packets into SampleBlocks, Gaps, DeviceEvents and GridBlocks.

    Lost samples (a jump in seq) become a Gap; no value is invented. A device whose clock
    goes back has restarted: a Gap with an unknown count is emitted and the clock fit
    starts again. Samples before the first HELLO carry no channel names and are dropped,
    counted in `unannounced`. After a reconnect, samples wait for the device's HELLO: at
    most `hold_s` of them (at the known rate), older ones dropped and counted as lost. A
    HELLO from another device (model, serial or channels) is refused until
    `accept_new_device()`.
    """

    def __init__(self, hold_s: float = HOLD_S) -> None:
        self.hold_s = hold_s
        self.hello: Hello | None = None
        self.samples = 0
        self.lost_samples = 0
        self.unannounced = 0
        self.restarts = 0
        self._clock = DeviceClock()
        self._mapper = ClockMapper()
        self._last_seq: int | None = None  # unwrapped
        self._last_t_s: float | None = None
        self._last_t_dev_s: float | None = None
        self._awaiting_hello = False
        self._held: deque[tuple[RawSamples, float]] = deque()
        self._held_n = 0
        # samples dropped while held, already in lost_samples; the seq jump at release
        # counts them again, so that jump's count is reduced by these
        self._dropped_held = 0
        self._accept_new = False
        self._outage: str | None = None
        # samples buffered in the device before the outage may arrive first; a loss seen
        # within OUTAGE_SETTLE_S of reconnecting belongs to the outage, else none was lost
        self._outage_until_s = np.inf

    def reconnected(self, reason: str) -> None:
        """The link was down (`reason`) and is back: hold samples until the device's HELLO.

        The clock and seq carry on if the device kept running, so lost samples are counted
        exactly; a device that rebooted shows as a restart. Either way a Gap is recorded.
        """
        self._awaiting_hello = True
        self._outage = reason
        self._outage_until_s = np.inf

    def accept_new_device(self) -> None:
        """Let the next HELLO introduce another device (a person accepted it): the stream
        starts again with a Gap, as after a restart."""
        self._accept_new = True

    @property
    def held_samples(self) -> int:
        """Samples waiting for the device's HELLO after a reconnect."""
        return self._held_n

    def push(self, packets: list[Packet], host_rx_s: float) -> list[Item]:
        """Process packets that arrived at host_rx_s, in order."""
        out: list[Item] = []
        for p in packets:
            if isinstance(p, RawSamples):
                if self.hello is None:
                    self.unannounced += len(p.records)
                elif self._awaiting_hello:
                    self._hold(p, host_rx_s)
                else:
                    self._samples(p.records, host_rx_s, out)
            elif isinstance(p, Hello):
                self._hello(p, out)
            elif isinstance(p, EventPacket):
                t_dev = self._unwrap_near(p.t_us)
                t_host = self._mapper.map_or(t_dev, host_rx_s)
                out.append(DeviceEvent(t_s=t_host, t_device_s=t_dev, payload=p.payload))
            elif isinstance(p, GridPacket):
                out.append(self._grid(p, host_rx_s))
        return out

    def _hold(self, raw: RawSamples, host_rx_s: float) -> None:
        """Keep samples for the HELLO, at most hold_s of them; older ones are lost."""
        assert self.hello is not None
        self._held.append((raw, host_rx_s))
        self._held_n += len(raw.records)
        excess = self._held_n - max(1, int(self.hold_s * self.hello.rate_hz))
        while excess > 0:
            oldest, rx = self._held[0]
            if len(oldest.records) <= excess:
                self._held.popleft()
                dropped = len(oldest.records)
            else:
                self._held[0] = (RawSamples(oldest.records[excess:]), rx)
                dropped = excess
            excess -= dropped
            self._held_n -= dropped
            self.lost_samples += dropped
            self._dropped_held += dropped

    def _hello(self, hello: Hello, out: list[Item]) -> None:
        change = _identity_change(self.hello, hello)
        if change and not self._accept_new:
            discarded = self._held_n
            self._held.clear()
            self._held_n = 0
            raise DeviceChangedError(
                f"the device that came back has {change}; refusing it until the new device "
                f"is accepted ({discarded} samples discarded)"
            )
        if change:
            self._restart(out, f"device replaced: {change}")
        self._accept_new = False
        self.hello = hello
        out.append(hello)
        self._awaiting_hello = False
        held, self._held, self._held_n = self._held, deque(), 0
        for raw, rx in held:
            self._samples(raw.records, rx, out)
        self._dropped_held = 0

    def _unwrap_near(self, t_us: int) -> float:
        """Seconds of a stray device timestamp (EVENT, GRID) on the sample clock's scale."""
        if self._last_t_dev_s is None:
            return t_us / 1e6
        last_us = round(self._last_t_dev_s * 1e6)
        delta = (t_us - last_us) % (1 << 32)
        if delta > 1 << 31:
            delta -= 1 << 32
        return (last_us + delta) / 1e6

    def _grid(self, p: GridPacket, host_rx_s: float) -> GridBlock:
        t_dev = self._unwrap_near(p.t_us)
        t_s = self._mapper.map_or(t_dev, host_rx_s)
        return GridBlock(
            t_s=np.array([t_s]), seq=np.array([p.seq], dtype=np.int64), values=p.values[None]
        )

    def _samples(self, rec: np.ndarray, host_rx_s: float, out: list[Item]) -> None:
        assert self.hello is not None
        while rec.size:
            t_us, k = self._clock.unwrap(rec["t_us"])
            if k:
                self._continuing(rec[:k], t_us, host_rx_s, out)
                rec = rec[k:]
            if rec.size:  # the clock went back at rec[0]: the device restarted
                self.restarts += 1
                self._restart(out, "device restarted")

    def _restart(self, out: list[Item], what: str) -> None:
        """Forget the device's clock and seq: what follows is not a continuation."""
        if self._last_t_s is not None:
            reason = what + (f" after {self._outage}" if self._outage else "")
            out.append(Gap(self._last_t_s, self._last_t_s, -1, reason))
            self._outage = None
        self._dropped_held = 0  # counted as lost already; no seq jump will count them again
        self._clock.reset()
        self._mapper.reset()
        self._last_seq = None
        self._last_t_dev_s = None

    def _continuing(
        self, rec: np.ndarray, t_us: np.ndarray, host_rx_s: float, out: list[Item]
    ) -> None:
        assert self.hello is not None
        t_dev_s = t_us / 1e6
        raw_seq = rec["seq"].astype(np.int64)
        prev = raw_seq[0] - 1 if self._last_seq is None else self._last_seq
        dseq = np.diff(raw_seq, prepend=prev % SEQ_WRAP) % SEQ_WRAP
        # more than a whole seq period can vanish in a long outage: the clock tells how many
        t_prev = t_dev_s[0] if self._last_t_dev_s is None else self._last_t_dev_s
        dt_s = np.diff(t_dev_s, prepend=t_prev)
        by_clock = np.rint(dt_s * self.hello.rate_hz).astype(np.int64)
        wraps = np.maximum(0, (by_clock - dseq + SEQ_WRAP // 2) // SEQ_WRAP)
        dseq = dseq + wraps * SEQ_WRAP
        dseq[dseq == 0] = 1  # a repeated seq is a device bug; keep order, never drop data
        seq = prev + np.cumsum(dseq)
        t_s = self._mapper.observe_and_map(t_dev_s, host_rx_s)
        counts = np.ascontiguousarray(rec["counts"], dtype=np.int32)
        invalid = ((rec["invalid"][:, None] >> _BITS[: counts.shape[1]]) & 1).astype(bool)
        cuts = np.flatnonzero(dseq > 1)
        bounds = [0, *cuts.tolist(), seq.size]
        if self._outage and np.isinf(self._outage_until_s):
            self._outage_until_s = host_rx_s + OUTAGE_SETTLE_S
        for a, b in itertools.pairwise(bounds):
            if a == b:
                continue
            lost = int(dseq[a] - 1)
            no_loss_seen = a == 0 and not cuts.size and host_rx_s > self._outage_until_s
            if lost > 0 or (self._outage and no_loss_seen):
                t0 = float(t_s[a - 1]) if a else (self._last_t_s or float(t_s[0]))
                reason = self._outage or "samples lost between device and host"
                out.append(Gap(t0, float(t_s[a]), lost, reason))
                self.lost_samples += max(0, lost - self._dropped_held)
                self._dropped_held = 0
                self._outage = None
            out.append(
                SampleBlock(
                    t_s=t_s[a:b],
                    t_device_s=t_dev_s[a:b],
                    seq=seq[a:b],
                    counts=counts[a:b],
                    invalid=invalid[a:b],
                    channels=self.hello.channels,
                )
            )
        self.samples += seq.size
        self._last_seq = int(seq[-1])
        self._last_t_s = float(t_s[-1])
        self._last_t_dev_s = float(t_dev_s[-1])


def _identity_change(old: Hello | None, new: Hello) -> str:
    """How `new` differs from the device `old` said it was ('' when it is the same one)."""
    if old is None:
        return ""
    if new.channels != old.channels:
        return f"channels {list(new.channels)}, expected {list(old.channels)}"
    if (new.device, new.serial) != (old.device, old.serial):
        return (
            f"model {new.device} serial {new.serial}, expected model {old.device} "
            f"serial {old.serial}"
        )
    return ""
