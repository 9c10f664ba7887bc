"""The runtime's display for the browser: encodes messages in the acquisition thread and hands
them to the Hub (the one crossing into asyncio). Frames are capped at `max_fps` and only built
while someone watches. Each frame carries the strip points and the feet peak since the
previous frame and of the STRIP_RESEND_S before it, so a viewer that missed a few frames
(dashboard.hub drops them for a viewer that is behind) still draws every point and every peak;
the page keeps the points it has not seen (newer than its last)."""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from ashisense.alarms import BindingLimits, HazardStatus
from ashisense.live import Display, LiveSetup, LiveStatus
from ashisense.pipeline.types import EstimateBlock, GridEstimate
from ashisense.store import PressRecord
from dashboard.frames import (
    alarms_message,
    frame_message,
    grid_message,
    mat_columns,
    press_message,
    setup_message,
    status_message,
)


class Sink(Protocol):
    """Where a HubDisplay hands its messages: the Hub (the browsers), or a studio's broker."""

    def publish(self, kind: str, text: str, seq: int | None = None) -> None: ...

    @property
    def viewers(self) -> int: ...


STRIP_RESEND_S = 0.25


def encode(msg: dict[str, Any]) -> str:
    """Compact JSON; NaN was turned into null already, so allow_nan=False guards that."""
    return json.dumps(msg, separators=(",", ":"), allow_nan=False)


class HubDisplay(Display):
    """A Display that publishes JSON messages through a Hub.

    units(): the studio's unit now (read when a setup is sent). max_fps: most frames a second
    (at 80 Hz every block makes a frame). strip_hz: points per second kept for the force strip.
    grid_fps: most grid frames a second.
    """

    def __init__(
        self,
        hub: Sink,
        units: Callable[[], str],
        *,
        max_fps: float = 100.0,
        strip_hz: float = 50.0,
        grid_fps: float = 10.0,
    ) -> None:
        self.hub = hub
        self._units = units
        self._frame_gap_s = 1.0 / max_fps
        self._strip_hz = strip_hz
        self._grid_gap_s = 1.0 / grid_fps
        self._lock = threading.Lock()
        self._setup: LiveSetup | None = None
        self._mat_idx = np.empty(0, dtype=np.intp)
        # (t_s, feet_n, limit_n) since STRIP_RESEND_S before the previous frame
        self._strip: deque[tuple[float, float, float]] = deque()
        self._hazards: Sequence[HazardStatus] = ()
        self._strip_bin = -1
        self._peaks: deque[tuple[float, float]] = deque()  # (t_s, peak) per block, as above
        self._framed_t_s = -math.inf  # the newest sample of the previous frame
        self._next_frame = 0.0
        self._next_grid = 0.0

    @property
    def watched(self) -> bool:
        return bool(self.hub.viewers)

    def setup(self, setup: LiveSetup) -> None:
        with self._lock:
            self._setup = setup
            self._mat_idx = mat_columns(setup.rig)
        self.hub.publish("setup", encode(setup_message(setup, self._units())))

    def republish_setup(self) -> None:
        """Send the setup and the alarms again (the studio changed a setting such as units)."""
        with self._lock:
            setup, hazards = self._setup, self._hazards
        if setup is not None:
            self.setup(setup)
        self.alarms(hazards)

    def estimate(
        self, est: EstimateBlock, seq: np.ndarray, limits: BindingLimits | None = None
    ) -> None:
        if len(est) == 0:
            return
        if not self.hub.viewers:  # nobody watches: no frame to build
            self._strip.clear()
            self._peaks.clear()
            self._framed_t_s = -math.inf
            return
        self._keep_recent(est, limits)
        now = time.monotonic()
        if now < self._next_frame:
            return
        self._next_frame = now + self._frame_gap_s
        with self._lock:
            mat_idx = self._mat_idx
        for recent in (self._strip, self._peaks):
            while recent and recent[0][0] <= self._framed_t_s - STRIP_RESEND_S:
                recent.popleft()
        peak_n = max((p for _, p in self._peaks), default=math.nan)
        msg = frame_message(est, int(seq[-1]), mat_idx, self._strip, peak_n, limits)
        self.hub.publish("frame", encode(msg), int(seq[-1]))
        self._framed_t_s = float(est.t_s[-1])

    def _keep_recent(self, est: EstimateBlock, limits: BindingLimits | None) -> None:
        """Add the block's strip points (the first sample of each 1/strip_hz bin, with the
        limit that held then) and feet peak."""
        bins = np.floor(est.t_s * self._strip_hz).astype(np.int64)
        prev = np.concatenate([[self._strip_bin], bins[:-1]])
        keep = np.flatnonzero(bins != prev)
        self._strip_bin = int(bins[-1])
        limit_n = limits.limit_n[keep] if limits is not None else np.full(keep.shape, np.nan)
        points = zip(
            est.t_s[keep].tolist(),
            est.feet_display_n[keep].tolist(),
            limit_n.tolist(),
            strict=True,
        )
        self._strip.extend(points)
        peak_n = float(np.fmax.reduce(est.feet_n, initial=-math.inf))
        self._peaks.append((float(est.t_s[-1]), peak_n))

    def grid(self, est: GridEstimate) -> None:
        now = time.monotonic()
        if now < self._next_grid:
            return
        msg = grid_message(est)
        if msg is not None:
            self._next_grid = now + self._grid_gap_s
            self.hub.publish("grid", encode(msg))

    def alarms(self, hazards: Sequence[HazardStatus]) -> None:
        with self._lock:
            self._hazards = tuple(hazards)
        msg = alarms_message(hazards, time.time(), self._units())
        self.hub.publish("alarms", encode(msg))

    def status(self, status: LiveStatus) -> None:
        self.hub.publish("status", encode(status_message(status, self.hub.viewers)))

    def press(self, press: PressRecord) -> None:
        self.hub.publish("press", encode(press_message(press)))
