"""What arrived on the port over the last second of host time: samples, lost samples, silence.

The link's `rate_hz` is measured in device time, so a device that stops sending (a stall, an
unplugged cable) leaves it at the last rate. This window answers what a person watching the
link needs now: how many samples arrived in the last second, how many were lost, and how long
the port has been silent. Pure: the caller gives the times; no clock, thread or port inside.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Arrival:
    """Samples per second that arrived over the last `window_s` of host time (0 when silent),
    samples lost in that time, and host seconds since data last arrived (None before any)."""

    rate_hz: float
    lost: int
    silent_s: float | None


class ArrivalWindow:
    """Marks (host time, samples and lost samples so far) as data arrive; `measure(now_s)`
    counts what arrived over the `window_s` before now. One mark per read, not per sample."""

    def __init__(self, window_s: float = 1.0) -> None:
        self.window_s = window_s
        self._marks: deque[tuple[float, int, int]] = deque()
        self._samples = 0
        self._lost = 0
        self._dropped = (0, 0)  # totals at the newest mark let go

    def add(self, host_s: float, samples: int, lost: int) -> None:
        """`samples` arrived at host_s, and `lost` were found missing before them."""
        self._samples += samples
        self._lost += lost
        self._marks.append((host_s, self._samples, self._lost))
        # keep one mark at or before the window's start: the totals there are the baseline
        while len(self._marks) > 1 and self._marks[1][0] <= host_s - self.window_s:
            self._dropped = self._marks.popleft()[1:]

    def measure(self, now_s: float) -> Arrival:
        """What arrived over (now_s - window_s, now_s]."""
        if not self._marks:
            return Arrival(0.0, 0, None)
        start_s = now_s - self.window_s
        base_samples, base_lost = self._dropped
        for host_s, samples, lost in self._marks:
            if host_s > start_s:
                break
            base_samples, base_lost = samples, lost
        last_s = self._marks[-1][0]
        return Arrival(
            (self._samples - base_samples) / self.window_s,
            self._lost - base_lost,
            max(0.0, now_s - last_s),
        )
