"""Device clock → host clock: unwrap t_us and follow the drift between the two crystals.

USB delivery only ever delays a sample, so for each packet `host_rx - t_device` is the
true clock offset plus a non-negative latency. The minimum of that per window of device
time tracks the offset; a line fitted through the recent minima follows the drift
(tens of ppm) without taking on the jitter (milliseconds).
"""

from __future__ import annotations

from collections import deque

import numpy as np

WRAP_US = 1 << 32
SLEW = 0.9
MIN_WINDOWS_FOR_SLOPE = 10
#: ±0.5 %: crystals and even ceramic resonators stay inside it
MAX_DRIFT = 5e-3
NEAR_LINE_S = 1e-3


class DeviceClock:
    """Unwraps the u32 microsecond device clock of one connection."""

    def __init__(self) -> None:
        self._last_raw: int | None = None
        self._last_us = 0

    def reset(self) -> None:
        """Forget the clock: the next sample starts a new connection or a rebooted device."""
        self._last_raw = None
        self._last_us = 0

    def unwrap(self, t_us: np.ndarray) -> tuple[np.ndarray, int]:
        """Unwrapped device times (µs, int64) of the leading samples that continue this clock.

        Returns (times, k): times covers t_us[:k]. k < len(t_us) means the clock went back
        at index k (by less than half the wrap range, so it is no wrap): the device
        restarted and the caller resets and unwraps the rest as a new clock.
        """
        raw = t_us.astype(np.int64)
        first = raw[0] if self._last_raw is None else self._last_raw
        start = raw[0] if self._last_raw is None else self._last_us
        steps = np.diff(raw, prepend=first) % WRAP_US
        back = np.flatnonzero(steps > WRAP_US // 2)
        k = int(back[0]) if back.size else raw.size
        times = start + np.cumsum(steps[:k])
        if k:
            self._last_raw = int(raw[k - 1])
            self._last_us = int(times[-1])
        return times, k


class ClockMapper:
    """Maps unwrapped device seconds to host seconds with a drift-following fit.

    window_s: span of device time over which the minimum offset is taken; history: how
    many windows the line is fitted through (the span over which drift is followed).
    """

    def __init__(self, window_s: float = 1.0, history: int = 120) -> None:
        self.window_s = window_s
        self.history = history
        self.reset()

    def reset(self) -> None:
        """Start over (new connection or restarted device clock)."""
        self._mins: deque[tuple[float, float]] = deque(maxlen=self.history)
        self._win: int | None = None
        self._win_min = (0.0, np.inf)  # (device time, offset) of the open window's minimum
        self._t_ref = 0.0
        self._offset = np.nan
        self._slope = 0.0
        self._floor_u = -np.inf

    def observe_and_map(self, t_dev_s: np.ndarray, host_rx_s: float | np.ndarray) -> np.ndarray:
        """Take arrivals (device times, received at host_rx_s) and return their host times."""
        offs = np.asarray(host_rx_s, dtype=np.float64) - t_dev_s
        win = np.floor(t_dev_s / self.window_s).astype(np.int64)
        # device time is monotonic within a connection, so windows are contiguous runs
        starts = np.flatnonzero(np.diff(win, prepend=win[0] - 1))
        ends = [*starts[1:].tolist(), offs.size]
        refit = np.isnan(self._offset)
        for s, e in zip(starts.tolist(), ends, strict=True):
            if self._win is not None and win[s] != self._win:
                self._mins.append(self._win_min)
                self._win_min = (0.0, np.inf)
                refit = True
            self._win = int(win[s])
            i = s + int(np.argmin(offs[s:e]))
            if offs[i] < self._win_min[1]:
                self._win_min = (float(t_dev_s[i]), float(offs[i]))
                refit = refit or len(self._mins) < 2
        if refit:
            self._refit()
        mapped = t_dev_s + self._offset + self._slope * (t_dev_s - self._t_ref)
        # When a better minimum moves the fit back, slew instead of stepping: consecutive
        # host times advance by at least SLEW of the device interval, so they never go back.
        u = np.maximum.accumulate(np.maximum(mapped - SLEW * t_dev_s, self._floor_u))
        self._floor_u = float(u[-1])
        return u + SLEW * t_dev_s

    def map_or(self, t_dev_s: float, fallback_s: float) -> float:
        """Host time of one device time by the current fit (no observation); fallback before one."""
        if np.isnan(self._offset):
            return fallback_s
        return float(t_dev_s + self._offset + self._slope * (t_dev_s - self._t_ref))

    def _refit(self) -> None:
        pts = [*self._mins, self._win_min] if np.isfinite(self._win_min[1]) else [*self._mins]
        if len(self._mins) < MIN_WINDOWS_FOR_SLOPE:
            # too short a span to see drift: the lowest offset so far is the best estimate
            self._t_ref, self._offset = min(pts, key=lambda p: p[1])
            self._slope = 0.0
            return
        t, o = np.array(pts).T
        t_ref = float(t[-1])
        # Latency is never negative, so every window minimum lies on or above the true
        # offset line. Fit from below: of the lines under all points, the one closest to
        # them on average is the lower-hull edge spanning their mean time. Windows far
        # above it (every packet delayed: a stall, a backlog) then leave the mean.
        hull = _lower_hull(t, o)
        near = np.ones(t.size, dtype=bool)
        for _ in range(2):
            slope = _edge_slope(t[hull], o[hull], float(t[near].mean()))
            slope = float(np.clip(slope, -MAX_DRIFT, MAX_DRIFT))
            offset = float(np.min(o - slope * (t - t_ref)))
            near = o - (offset + slope * (t - t_ref)) <= NEAR_LINE_S
        self._t_ref, self._offset, self._slope = t_ref, offset, slope


def _lower_hull(t: np.ndarray, o: np.ndarray) -> np.ndarray:
    """Indices of the lower convex hull of points sorted by t (monotone chain)."""
    hull: list[int] = []
    for i in range(t.size):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (t[b] - t[a]) * (o[i] - o[a]) - (o[b] - o[a]) * (t[i] - t[a]) <= 0:
                hull.pop()
            else:
                break
        hull.append(i)
    return np.array(hull)


def _edge_slope(t: np.ndarray, o: np.ndarray, t_mid: float) -> float:
    """Slope of the hull edge over t_mid (hull points sorted by t)."""
    if t.size < 2:
        return 0.0
    k = int(np.clip(np.searchsorted(t, t_mid), 1, t.size - 1))
    return float((o[k] - o[k - 1]) / (t[k] - t[k - 1]))
