"""From decoded packets to timestamped blocks: seq gaps, clock unwrap, host time, restarts.

Pure like the decoder: the caller passes the host time at which the bytes arrived.
"""

from __future__ import annotations

import itertools

import numpy as np

from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock
from firmware_bridge.decoder import EventPacket, GridPacket, Packet, RawSamples
from firmware_bridge.errors import DeviceChangedError
from firmware_bridge.listener import Item
from firmware_bridge.protocol import Hello
from firmware_bridge.timemap import ClockMapper, DeviceClock

SEQ_WRAP = 1 << 16
OUTAGE_SETTLE_S = 0.5
_BITS = np.arange(32, dtype=np.uint32)


class SampleStream:
    """Turns the decoder's packets into SampleBlocks, Gaps, DeviceEvents and GridBlocks.

    Lost samples (a jump in seq) become a Gap; no value is invented. A device whose clock
    goes back has restarted: a Gap with an unknown count is emitted and the clock fit
    starts again. Samples before the first HELLO carry no channel names and are dropped,
    counted in `unannounced`.
    """

    def __init__(self) -> None:
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
        self._held: list[tuple[RawSamples, float]] = []
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

    def push(self, packets: list[Packet], host_rx_s: float) -> list[Item]:
        """Process packets that arrived at host_rx_s, in order."""
        out: list[Item] = []
        for p in packets:
            if isinstance(p, RawSamples):
                if self._awaiting_hello:
                    self._held.append((p, host_rx_s))
                elif self.hello is None:
                    self.unannounced += len(p.records)
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

    def _hello(self, hello: Hello, out: list[Item]) -> None:
        if self.hello is not None and hello.channels != self.hello.channels:
            discarded = sum(len(r.records) for r, _ in self._held)
            self._held.clear()
            raise DeviceChangedError(
                f"device {hello.device} serial {hello.serial} came back with channels "
                f"{list(hello.channels)}, expected {list(self.hello.channels)}; refusing it "
                f"({discarded} samples discarded)"
            )
        self.hello = hello
        out.append(hello)
        self._awaiting_hello = False
        held, self._held = self._held, []
        for raw, rx in held:
            self._samples(raw.records, rx, out)

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
                self._restart(out)

    def _restart(self, out: list[Item]) -> None:
        self.restarts += 1
        if self._last_t_s is not None:
            reason = "device restarted" + (f" after {self._outage}" if self._outage else "")
            out.append(Gap(self._last_t_s, self._last_t_s, -1, reason))
            self._outage = None
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
                self.lost_samples += lost
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
