"""A room's link to its studio: the broker publisher and the database copier, around a live
runtime, and the one condition the room page shows for both.

Nothing here can stop monitoring: both run in their own threads, take what the runtime hands
them without waiting, and when the broker or the database is out of reach they say so
(`condition`, on_condition), keep trying, and catch up. An outage of the broker in which
live messages were not sent is recorded in the session as a fault ("studio_link").
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ashisense.live import LiveRuntime
from ashisense.store import RecorderFault
from ashisense.studio.condition import LinkCondition
from ashisense.studio.copier import LiveCopier
from ashisense.studio.publisher import Outage, RoomPublisher
from ashisense.studio.urls import StudioUrl, topic_part

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoomConfig:
    """Which room this is and where its studio is. studio: the broker (None: no live link);
    store_url: the studio's PostgreSQL (None: sessions stay in the room's file only)."""

    room: str
    studio: StudioUrl | None = None
    store_url: str | None = None

    def __post_init__(self) -> None:
        topic_part(self.room, "--room")  # refused now, not when the broker is reached


class RoomLink:
    """The studio link of one live runtime. publisher: the broker's sink (hand it to a live
    display thinned to 20 frames a second), None without a broker. on_condition(text): the
    condition as a JSON message for the room page (type "studio"), on every change (from
    the link's threads; return at once)."""

    def __init__(
        self, config: RoomConfig, on_condition: Callable[[str], None] | None = None
    ) -> None:
        self.config = config
        self._on_condition = on_condition
        self._lock = threading.Lock()
        self._runtime: LiveRuntime | None = None
        self._copier: LiveCopier | None = None
        self._database_state = ""
        self.publisher = (
            RoomPublisher(
                config.studio, config.room, on_change=self._changed, on_outage=self._outage
            )
            if config.studio is not None
            else None
        )

    def start(self, runtime: LiveRuntime) -> RoomLink:
        """Listen to the runtime's runner, connect to the broker, start copying sessions."""
        self._runtime = runtime
        if self.publisher is not None:
            runtime.runner.add_listener(self.publisher)
            self.publisher.start()
        if self.config.store_url is not None:
            self._copier = LiveCopier(
                runtime.config.store_path,
                self.config.store_url,
                lambda: _recording(runtime),
                on_change=self._database_changed,
            ).start()
        self._changed(None)
        return self

    def stop(self) -> None:
        """Copy what is left, say "offline" to the broker, stop (after the runtime stopped)."""
        if self._copier is not None:
            self._copier.stop()
        if self.publisher is not None:
            if self._runtime is not None:
                self._runtime.runner.remove_listener(self.publisher)
            self.publisher.stop()

    def condition(self) -> dict[str, Any]:
        """The room page's "studio" message: the broker's and the database's conditions."""
        off = LinkCondition()
        broker = self.publisher.condition if self.publisher else off
        database = self._copier.condition if self._copier else off
        return {
            "type": "studio",
            "room": self.config.room,
            "broker": broker.as_json(),
            "database": database.as_json(),
        }

    # -- the link's threads -------------------------------------------------------------------
    def _changed(self, _condition: LinkCondition | None) -> None:
        if self._on_condition is not None:
            self._on_condition(json.dumps(self.condition(), separators=(",", ":")))

    def _database_changed(self, condition: LinkCondition) -> None:
        """The room page hears every round; the desk (retained presence) each change of state."""
        self._changed(condition)
        with self._lock:
            moved, self._database_state = condition.state != self._database_state, condition.state
        if moved and self.publisher is not None:
            self.publisher.set_studio_link(
                database={"state": condition.state, "message": condition.message}
            )

    def _outage(self, outage: Outage) -> None:
        """Record the broker outage in the session recording now (if any)."""
        runtime = self._runtime
        writer = runtime.runner.recording if runtime else None
        message = (
            f"studio broker {self.config.studio} out of reach for "
            f"{outage.t_end_s - outage.t_start_s:.1f} s: {outage.frames_unsent} live messages "
            f"not sent, {outage.events_dropped} alarm/note messages dropped (the rest sent late)"
        )
        log.warning("%s", message)
        if writer is not None:
            writer.add_fault(RecorderFault(outage.t_start_s, "studio_link", message, 0))


def _recording(runtime: LiveRuntime) -> int | None:
    writer = runtime.runner.recording
    return writer.session_id if writer is not None else None
