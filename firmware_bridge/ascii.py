"""Input for DIY sketches that print one line of integers per sample (no framing, no clock).

Fields may be separated by commas, spaces, tabs or semicolons. Each sample is stamped
with host time: the last complete line of a read at its arrival time, earlier ones
spaced back by the nominal period. A malformed line is dropped and counted.
"""

from __future__ import annotations

import re

import numpy as np

from firmware_bridge.blocks import SampleBlock
from firmware_bridge.protocol import Hello

_SEP = re.compile(rb"[,;\s]+")
MAX_LINE_BYTES = 1024


class AsciiLineDecoder:
    """Parses integer lines into SampleBlocks; `channels` fixes the count and names."""

    def __init__(self, channels: tuple[str, ...], rate_hz: float, source: str = "ascii") -> None:
        if not channels:
            raise ValueError("ascii input: at least one channel name is needed")
        if rate_hz <= 0:
            raise ValueError(f"ascii input: rate_hz must be > 0, got {rate_hz}")
        self.channels = channels
        self.rate_hz = rate_hz
        self.hello = Hello.from_dict(
            {
                "protocol": 1,
                "device": "ascii-lines",
                "serial": source,
                "firmware": "unknown",
                "rate_hz": rate_hz,
                "channels": list(channels),
            }
        )
        self.bad_lines = 0
        self.samples = 0
        self._tail = b""
        self._discarding = False
        self._last_t_s = -np.inf

    def reset(self) -> None:
        """Drop a partial line (new connection)."""
        self._tail = b""
        self._discarding = False

    def feed(self, data: bytes, host_rx_s: float) -> SampleBlock | None:
        """Parse the complete lines in data; None when none completed."""
        lines = (self._tail + data).split(b"\n")
        self._tail = lines.pop()
        if self._discarding and lines:
            lines[0] = b""  # the rest of an over-long line: garbage, already counted
            self._discarding = False
        if len(self._tail) > MAX_LINE_BYTES:
            self.bad_lines += 0 if self._discarding else 1
            self._tail = b""
            self._discarding = True
        c = len(self.channels)
        rows: list[list[int]] = []
        for line in lines:
            fields = _SEP.split(line.strip())
            try:
                values = [int(f) for f in fields]
            except ValueError:
                self.bad_lines += 1 if line.strip() else 0
                continue
            if len(values) != c or not all(-(1 << 31) <= v < (1 << 31) for v in values):
                self.bad_lines += 1
                continue
            rows.append(values)
        if not rows:
            return None
        n = len(rows)
        t_s = host_rx_s - (n - 1 - np.arange(n)) / self.rate_hz
        # never go back in time when reads come faster than the nominal rate
        t_s = np.maximum(t_s, self._last_t_s + 1e-6 * (np.arange(n) + 1))
        self._last_t_s = float(t_s[-1])
        seq = np.arange(self.samples, self.samples + n, dtype=np.int64)
        self.samples += n
        return SampleBlock(
            t_s=t_s,
            t_device_s=t_s.copy(),
            seq=seq,
            counts=np.asarray(rows, dtype=np.int32),
            invalid=np.zeros((n, c), dtype=bool),
            channels=self.channels,
        )
