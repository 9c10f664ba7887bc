"""The runtime's display for the browser: encodes messages in the acquisition thread and hands
them to the Hub (the one crossing into asyncio). Frames are capped at `max_fps`; the strip
points and the feet peak of the samples in between ride along with the next frame."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from ashisense.alarms import AlarmStatus
from ashisense.live import Display, LiveSetup, LiveStatus
from ashisense.pipeline.types import EstimateBlock, GridEstimate
from dashboard.frames import (
    alarms_message,
    frame_message,
    grid_message,
    mat_columns,
    setup_message,
    status_message,
)


class Sink(Protocol):
    """Where a HubDisplay hands its messages: the Hub (the browsers), or a studio's broker."""

    def publish(self, kind: str, text: str) -> None: ...

    @property
    def viewers(self) -> int: ...


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
        self._strip: list[tuple[float, float]] = []
        self._strip_bin = -1
        self._peak_n = -math.inf
        self._next_frame = 0.0
        self._next_grid = 0.0

    def setup(self, setup: LiveSetup) -> None:
        with self._lock:
            self._setup = setup
            self._mat_idx = mat_columns(setup.rig)
        self.hub.publish("setup", encode(setup_message(setup, self._units())))

    def republish_setup(self) -> None:
        """Send the setup again (the studio changed a setting such as units)."""
        with self._lock:
            setup = self._setup
        if setup is not None:
            self.setup(setup)

    def estimate(self, est: EstimateBlock, seq: np.ndarray) -> None:
        if len(est) == 0:
            return
        # One strip point per 1/strip_hz bin: the first sample of each new bin.
        bins = np.floor(est.t_s * self._strip_hz).astype(np.int64)
        prev = np.concatenate([[self._strip_bin], bins[:-1]])
        keep = np.flatnonzero(bins != prev)
        self._strip_bin = int(bins[-1])
        points = zip(est.t_s[keep].tolist(), est.feet_display_n[keep].tolist(), strict=True)
        self._strip.extend(points)
        self._peak_n = float(np.fmax.reduce(est.feet_n, initial=self._peak_n))
        now = time.monotonic()
        if now < self._next_frame:
            return
        self._next_frame = now + self._frame_gap_s
        with self._lock:
            mat_idx = self._mat_idx
        msg = frame_message(est, int(seq[-1]), mat_idx, self._strip, self._peak_n)
        self._strip, self._peak_n = [], -math.inf
        self.hub.publish("frame", encode(msg))

    def grid(self, est: GridEstimate) -> None:
        now = time.monotonic()
        if now < self._next_grid:
            return
        msg = grid_message(est)
        if msg is not None:
            self._next_grid = now + self._grid_gap_s
            self.hub.publish("grid", encode(msg))

    def alarms(self, statuses: Sequence[AlarmStatus]) -> None:
        self.hub.publish("alarms", encode(alarms_message(statuses, time.time())))

    def status(self, status: LiveStatus) -> None:
        self.hub.publish("status", encode(status_message(status, self.hub.viewers)))
