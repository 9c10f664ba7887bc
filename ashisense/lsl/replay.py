"""A recorded session played into LSL (`ashisense replay FILE SESSION --lsl`).

The session's first sample becomes LSL time "now" and every later sample keeps its recorded
spacing (the device clock's), whatever the replay speed; markers carry the session's start
and stop, its notes, gaps, baseline changes and the alarm transitions the replay derives.
"""

from __future__ import annotations

import collections
import time

from ashisense.lsl.clock import LslClock
from ashisense.lsl.layout import Source
from ashisense.lsl.outlets import LslOutlets
from ashisense.rig import Rig
from ashisense.session.analysis import Step
from ashisense.store.base import SessionStore
from ashisense.store.records import SessionInfo
from firmware_bridge.blocks import Gap
from firmware_bridge.listener import Item
from firmware_bridge.protocol import Hello

#: How often the end of a replay looks whether its consumers took the last samples.
LINGER_POLL_S = 0.05


class SessionPlayer:
    """Feeds one stored session's items and Steps into LslOutlets for `room`.

    Opens the outlets at once (so a recorder can connect before playing starts). Call feed()
    for every item with the Step SessionAnalysis gave for it, then finish() and close().
    """

    def __init__(self, store: SessionStore, info: SessionInfo, rig: Rig, room: str) -> None:
        self.info = info
        first = next(iter(store.blocks(info.id)), None)
        t0_s = info.meta.started_s if first is None or not len(first) else float(first.t_s[0])
        self.outlets = LslOutlets(room, rig, clock=LslClock.starting_now(t0_s))
        self._notes = collections.deque(store.annotations(info.id))
        self._last_t_s = t0_s
        if info.hello is not None:
            self.outlets.on_hello(Hello.from_dict(info.hello))
        else:
            self.outlets.open(Source.headless(info.channels, rig.device.rate_hz))
        self.outlets.on_session("start", info.meta.started_s, info.id, info.meta.label)

    def feed(self, item: Item, step: Step | None) -> None:
        """One replayed item (and its Step, for a sample block)."""
        if isinstance(item, Hello):
            self.outlets.on_hello(item)
        elif isinstance(item, Gap):
            self.outlets.on_gap(item)
        if step is None or not len(step.estimate):
            return
        self._last_t_s = float(step.estimate.t_s[-1])
        self._notes_until(self._last_t_s)
        self.outlets.on_step(step)
        for event in step.alarms:  # live, the runner hands on every transition instead
            self.outlets.on_alarm(event)

    def finish(self) -> None:
        """The remaining notes, then the session's stop."""
        self._notes_until(float("inf"))
        stopped_s = self.info.stopped_s if self.info.stopped_s is not None else self._last_t_s
        self.outlets.on_session("stop", stopped_s, self.info.id, self.info.meta.label)

    def close(self, linger_s: float) -> None:
        """Close the outlets once no consumer is connected any more, or after linger_s: LSL
        sends in the background, and closing at once could cut off the last samples."""
        deadline_s = time.monotonic() + linger_s
        while self.outlets.has_consumers() and time.monotonic() < deadline_s:
            time.sleep(LINGER_POLL_S)
        self.outlets.close()

    def _notes_until(self, t_s: float) -> None:
        while self._notes and self._notes[0].t_s <= t_s:
            note = self._notes.popleft()
            self.outlets.on_note(note.t_s, note.text, note.author)
