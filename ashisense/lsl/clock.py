"""Host time → LSL time: one constant offset from AshiSense's host clock to pylsl.local_clock().

Sample times (SampleBlock.t_s, EstimateBlock.t_s) are the device clock mapped to
firmware_bridge.link.host_clock(): Unix seconds that never step (time.monotonic() plus an
offset fixed at import). pylsl.local_clock() is liblsl's steady clock, which on Linux is the
same CLOCK_MONOTONIC. Both advance together, so one offset, measured once, maps one to the
other for the life of the process; measuring it again later would only add jitter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pylsl

from firmware_bridge.link import host_clock

#: Readings taken to measure the offset; the one bracketed most tightly wins.
MEASURE_READS = 16


@dataclass(frozen=True)
class LslClock:
    """LSL time = host time + offset_s (seconds)."""

    offset_s: float

    @classmethod
    def measure(cls) -> LslClock:
        """The offset between host_clock() and pylsl.local_clock() now (sub-microsecond):
        each local_clock() reading is bracketed by two host readings, and the tightest
        bracket's midpoint is taken."""
        best_width_s, best_offset_s = np.inf, 0.0
        for _ in range(MEASURE_READS):
            before_s = host_clock()
            lsl_s = pylsl.local_clock()
            after_s = host_clock()
            if after_s - before_s < best_width_s:
                best_width_s = after_s - before_s
                best_offset_s = lsl_s - (before_s + after_s) / 2
        return cls(best_offset_s)

    @classmethod
    def starting_now(cls, t0_s: float) -> LslClock:
        """A recorded session replayed: host time t0_s (its start) becomes LSL time now, and
        later samples keep their recorded spacing (the device clock's)."""
        return cls(pylsl.local_clock() - t0_s)

    def to_lsl(self, t_s: np.ndarray) -> np.ndarray:
        """LSL times (float64) of host times t_s (any shape)."""
        return np.asarray(t_s, dtype=np.float64) + self.offset_s

    def one_to_lsl(self, t_s: float) -> float:
        """LSL time of one host time."""
        return float(t_s) + self.offset_s
