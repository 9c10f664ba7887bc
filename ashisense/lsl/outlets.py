"""The LSL consumer: a room's forces and estimates, and its events, as two LSL outlets.

A consumer of a SessionRunner both ways: as a raw listener (HELLO, gaps, device events,
stop) and as a SessionListener (analysis, steps, alarms, and the runner's sessions starting and
stopping and notes: on_session, on_note; a replay calls those itself).

Both outlets open once the device is known (its HELLO, or the first block of a device
without one) and open again when another device appears, since the device serial is the
streams' source_id. LSL gives an inlet only what is pushed after it connected, so markers
are held until the marker outlet has a consumer (a recorder that connects after the session
started still gets its start marker), at most PENDING_MARKERS of them.
Each block is one push_chunk with one LSL timestamp per sample (its measuring time);
samples that never arrived are not filled in: the stream simply has no samples there.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Mapping
from typing import Any

import pylsl

from ashisense.alarms import AlarmEvent
from ashisense.lsl.clock import LslClock
from ashisense.lsl.layout import Source, force_info, force_values, marker_info
from ashisense.lsl.markers import (
    Marker,
    alarm_marker,
    baseline_marker,
    device_marker,
    gap_marker,
    note_marker,
    session_marker,
)
from ashisense.rig import Rig
from ashisense.session.analysis import SessionAnalysis, Step
from ashisense.session.runner import SessionAction, SessionListener
from firmware_bridge.blocks import DeviceEvent, Gap
from firmware_bridge.link import host_clock
from firmware_bridge.listener import Listener
from firmware_bridge.protocol import Hello

#: Markers held while nobody takes the marker stream (the oldest go first beyond this).
PENDING_MARKERS = 1000
#: What each outlet keeps for a slow consumer (LSL: seconds at the nominal rate).
MAX_BUFFERED_S = 360


class LslOutlets(Listener, SessionListener):
    """Streams one room to LSL: "AshiSense <room>" (type Force) and "AshiSense <room> events"
    (type Markers).

    rig: the rig (channel roles and positions, geometry for the description; on_analysis
    brings the one resolved for the device). clock: host time → LSL time (default: measured
    now; a replay anchors its session at now). Thread-safe: blocks, alarms, notes may come
    from different threads. Use as a context manager, or call close() (or stop()).
    """

    def __init__(self, room: str, rig: Rig, *, clock: LslClock | None = None) -> None:
        self.room, self.rig = room, rig
        self.clock = clock or LslClock.measure()
        self._lock = threading.Lock()
        self._source: Source | None = None
        self._force: pylsl.StreamOutlet | None = None
        self._markers: pylsl.StreamOutlet | None = None
        self._pending: collections.deque[Marker] = collections.deque(maxlen=PENDING_MARKERS)
        self._last_t_s: float | None = None
        self.samples_sent = 0
        self.markers_sent = 0

    def on_hello(self, hello: Hello) -> None:
        """The device is known: open the outlets for it (again, if another device)."""
        self.open(Source.of_hello(hello))

    def open(self, source: Source) -> None:
        """Open both outlets for `source` (again, if another device; the same: nothing)."""
        with self._lock:
            self._open(source)

    def wait_for_consumers(self, timeout_s: float) -> bool:
        """Wait until both outlets have a consumer (a recorder took both streams), at most
        timeout_s in all; False if not by then or not open."""
        with self._lock:
            outlets = [o for o in (self._force, self._markers) if o is not None]
        deadline_s = host_clock() + timeout_s
        ready = [o.wait_for_consumers(max(0.0, deadline_s - host_clock())) for o in outlets]
        return len(outlets) == 2 and all(ready)

    def on_analysis(self, analysis: SessionAnalysis | None, error: Exception | None) -> None:
        """A new analysis: its rig (resolved for the device) describes the next outlets."""
        if analysis is not None:
            with self._lock:
                self.rig = analysis.rig

    def on_step(self, step: Step) -> None:
        """Push one block's calibrated forces and estimates, stamped with their times, and
        mark its baseline changes (its alarms come through on_alarm, as every transition)."""
        estimate = step.estimate
        if not len(estimate):
            return
        values = force_values(estimate)
        stamps = self.clock.to_lsl(estimate.t_s)
        with self._lock:
            if self._source is None or self._source.channels != estimate.channels:
                self._open(Source.headless(estimate.channels, self.rig.device.rate_hz))
            assert self._force is not None
            self._force.push_chunk(values, stamps.tolist())
            self._last_t_s = float(estimate.t_s[-1])
            self.samples_sent += len(estimate)
            self._flush()
        for state in step.baselines:
            self.on_baseline(state)

    def on_alarm(self, event: AlarmEvent) -> None:
        """An alarm transition, as a marker."""
        self._mark(alarm_marker(event))

    def on_note(self, t_s: float, text: str, author: str = "") -> None:
        """A note pinned to host time t_s, as a marker."""
        self._mark(note_marker(t_s, text, author))

    def on_session(
        self, action: SessionAction, t_s: float, session_id: int | None = None, label: str = ""
    ) -> None:
        """A recording session started or stopped at host time t_s, as a marker."""
        self._mark(session_marker(action, t_s, session_id, label))

    def on_gap(self, gap: Gap) -> None:
        """Samples that never arrived, as a marker (the force stream is not filled in)."""
        self._mark(gap_marker(gap))

    def on_event(self, event: DeviceEvent) -> None:
        """A device EVENT (e.g. the client's handset), as a marker."""
        self._mark(device_marker(event))

    def on_baseline(self, state: Mapping[str, Any]) -> None:
        """A baseline change (a state of Pipeline.baseline_changes()), as a marker."""
        with self._lock:
            fallback_t_s = host_clock() if self._last_t_s is None else self._last_t_s
        self._mark(baseline_marker(state, fallback_t_s))

    def has_consumers(self) -> bool:
        """Whether an inlet (a recorder) is connected to either outlet."""
        with self._lock:
            outlets = [o for o in (self._force, self._markers) if o is not None]
            return any(o.have_consumers() for o in outlets)

    def close(self) -> None:
        """Close both outlets (a consumer sees the streams end)."""
        with self._lock:
            self._force = self._markers = None
            self._source = None

    def stop(self) -> None:
        """The stream ends (Listener.stop): close()."""
        self.close()

    def _open(self, source: Source) -> None:
        """open() with the lock held (the outlets of another device are replaced)."""
        if source == self._source:
            return
        self._force = pylsl.StreamOutlet(
            force_info(self.room, source, self.rig), max_buffered=MAX_BUFFERED_S
        )
        self._markers = pylsl.StreamOutlet(
            marker_info(self.room, source), max_buffered=MAX_BUFFERED_S
        )
        self._source = source

    def _mark(self, marker: Marker) -> None:
        with self._lock:
            self._pending.append(marker)
            self._flush()

    def _flush(self) -> None:
        """Send the held markers once the marker outlet has a consumer (lock held)."""
        outlet = self._markers
        if not self._pending or outlet is None or not outlet.have_consumers():
            return
        while self._pending:
            marker = self._pending.popleft()
            outlet.push_sample([marker.text], self.clock.one_to_lsl(marker.t_s))
            self.markers_sent += 1
