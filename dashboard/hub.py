"""The one crossing from the acquisition threads into asyncio, and every viewer's socket.

`Hub.publish` may be called from any thread: it builds the message's websocket frame once
(`dashboard.wire.text_frame`) and hands it to the event loop with `loop.call_soon_threadsafe`,
returning at once. In the loop every viewer gets the same bytes, written straight to its
socket while the socket takes them. A viewer that cannot take a frame (its socket is full, or
its page has not acknowledged the frames sent for a while) gets none: the newest message of
each kind waits for it, older frames are dropped and counted, and a viewer that stays behind
for `cut_s` is cut. Nobody upstream ever waits for a viewer, and no viewer for another.

Acknowledgements: a page that sends `{"type": "ack", "seq": N}` (N: the newest frame it has
handled) now and then is sent frames only while fewer than ACK_WINDOW_FRAMES are unacknowledged
and the oldest of them went out less than ACK_LAG_S ago, so what it shows is never more than
a fraction of a second old, however slowly it reads. A viewer that never acknowledges is held
back by its socket alone. A slow viewer is not behind while it takes frames now and then; one
that takes no frame (or, with no frame waiting, nothing) of what waits for it for `cut_s` is.
A page must acknowledge the newest frame it handled even when no other frame follows (a
trailing acknowledgement), or it waits for frames the server waits to have acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from dashboard.wire import text_frame

FRAME = "frame"
# The order in which waiting messages go out: what a viewer must know to read a frame first;
# kinds not named here (a client's press, ...) go after these and before the frame.
KIND_ORDER: tuple[str, ...] = ("setup", "alarms", "status", "studio", "press", "grid")
ACK_WINDOW_FRAMES = 16
ACK_LAG_S = 0.25
BEHIND_POLL_S = 0.02  # how often a viewer that is behind looks whether it can take more


@dataclass(frozen=True)
class Message:
    """An encoded message: its JSON text and the websocket frame of it, built once."""

    kind: str
    text: str
    wire: bytes
    seq: int | None = None  # a frame's newest device sample: what a page acknowledges

    @classmethod
    def of(cls, kind: str, text: str, seq: int | None = None) -> Message:
        return cls(kind, text, text_frame(text), seq)


class ViewerSocket(Protocol):
    """What a viewer's connection offers the hub (dashboard.wire.LiveWebSocketProtocol)."""

    @property
    def is_open(self) -> bool: ...

    @property
    def full(self) -> bool: ...

    def write(self, frame: bytes) -> None: ...


def in_order(kinds: Iterable[str]) -> list[str]:
    """Message kinds in the order they go out: KIND_ORDER's, the others, frames last."""
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return sorted(kinds, key=lambda k: rank.get(k, len(KIND_ORDER) + (k == FRAME)))


class Viewer:
    """One viewer (event-loop side): messages go straight to its socket while it takes them;
    otherwise the newest of each kind waits. `dropped` counts frames it never got."""

    def __init__(self, socket: ViewerSocket) -> None:
        self._socket = socket
        self._waiting: dict[str, Message] = {}
        self._unacked: deque[tuple[int, float]] = deque(maxlen=ACK_WINDOW_FRAMES)
        self._acks = False
        self._changed = asyncio.Event()
        self.sent = 0
        self.frames_sent = 0
        self.dropped = 0

    def offer(self, msg: Message) -> None:
        """Send `msg` now if the viewer can take it and nothing waits; else let it wait."""
        if not self._waiting and self._takes(msg):
            self._send(msg)
            return
        if msg.kind == FRAME and FRAME in self._waiting:
            self.dropped += 1
        self._waiting[msg.kind] = msg
        self._changed.set()

    def ack(self, seq: int) -> None:
        """The page has handled the frames up to device sample `seq`."""
        self._acks = True
        while self._unacked and self._unacked[0][0] <= seq:
            self._unacked.popleft()
        self._changed.set()

    @property
    def pending(self) -> int:
        """Messages waiting for the viewer (at most one of each kind)."""
        return len(self._waiting)

    async def pump(self, cut_s: float) -> None:
        """Send what waits as the viewer takes it. Returns when the socket closed, or when the
        viewer stayed behind (took nothing of what waited for it) for `cut_s`."""
        behind_since: float | None = None
        while self._socket.is_open:
            sent, frames_sent = self.sent, self.frames_sent
            self._flush()
            self._changed.clear()
            if not self._waiting:
                behind_since = None
                await self._changed.wait()
                continue
            now = time.monotonic()
            took = self.frames_sent != frames_sent if FRAME in self._waiting else self.sent != sent
            if behind_since is None or took:
                behind_since = now
            if now - behind_since >= cut_s:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), BEHIND_POLL_S)

    def _flush(self) -> None:
        for kind in in_order(self._waiting):
            msg = self._waiting[kind]
            if not self._takes(msg):
                return
            del self._waiting[kind]
            self._send(msg)

    def _takes(self, msg: Message) -> bool:
        if not self._socket.is_open or self._socket.full:
            return False
        if msg.kind != FRAME or not self._acks or not self._unacked:
            return True
        full = len(self._unacked) == ACK_WINDOW_FRAMES
        return not full and time.monotonic() - self._unacked[0][1] < ACK_LAG_S

    def _send(self, msg: Message) -> None:
        self._socket.write(msg.wire)
        self.sent += 1
        if msg.kind == FRAME:
            self.frames_sent += 1
            if msg.seq is not None:
                self._unacked.append((msg.seq, time.monotonic()))


class Hub:
    """Fans messages out to every Viewer; `publish` is thread-safe and never blocks.

    The newest message of each non-frame kind is kept, so a viewer that joins gets the
    current setup, status and alarms at once.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._viewers: set[Viewer] = set()
        self._latest: dict[str, Message] = {}
        self._closed = threading.Event()

    def publish(self, kind: str, text: str, seq: int | None = None) -> None:
        """Hand a message to the event loop (from any thread); dropped once the hub closed."""
        if self._closed.is_set():
            return
        msg = Message.of(kind, text, seq)
        # The loop may close between the check and the call while the server shuts down.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._fanout, msg)

    def _fanout(self, msg: Message) -> None:
        if msg.kind != FRAME:
            self._latest[msg.kind] = msg
        for viewer in self._viewers:
            viewer.offer(msg)

    def subscribe(self, socket: ViewerSocket) -> Viewer:
        """A new viewer on `socket`, sent the newest setup, status and alarms (loop only)."""
        viewer = Viewer(socket)
        for kind in in_order(self._latest):
            viewer.offer(self._latest[kind])
        self._viewers.add(viewer)
        return viewer

    def unsubscribe(self, viewer: Viewer) -> None:
        self._viewers.discard(viewer)

    @property
    def viewers(self) -> int:
        """How many viewers are connected (safe to read from any thread)."""
        return len(self._viewers)

    def close(self) -> None:
        """Stop taking messages (the server is shutting down)."""
        self._closed.set()
