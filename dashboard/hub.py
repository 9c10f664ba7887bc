"""The one crossing from the acquisition threads into asyncio, and the per-viewer mailboxes.

`Hub.publish` may be called from any thread: it hands the already-encoded message to the
event loop with `loop.call_soon_threadsafe` and returns at once. In the loop, each viewer
has a bounded `Mailbox`: frames go into a short queue that drops its oldest when full,
every other kind (setup, status, alarms, grid) keeps only its newest message. A viewer that
reads slowly or not at all loses old frames; nobody upstream ever waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque

FRAME = "frame"
# Sent before frames when several are waiting: what a viewer must know to read a frame.
PRIORITY_KINDS: tuple[str, ...] = ("setup", "alarms", "status", "grid")


class Mailbox:
    """One viewer's pending messages (event-loop side only).

    frames: up to `maxlen` frames, oldest dropped first. Other kinds: the newest of each.
    dropped counts frames this viewer never received.
    """

    def __init__(self, maxlen: int) -> None:
        self._frames: deque[str] = deque(maxlen=maxlen)
        self._latest: dict[str, str] = {}
        self._ready = asyncio.Event()
        self.dropped = 0
        self.sent = 0

    def put(self, kind: str, text: str) -> None:
        if kind == FRAME:
            if len(self._frames) == self._frames.maxlen:
                self.dropped += 1
            self._frames.append(text)
        else:
            self._latest[kind] = text
        self._ready.set()

    def _take(self) -> str | None:
        for kind in PRIORITY_KINDS:
            text = self._latest.pop(kind, None)
            if text is not None:
                return text
        if self._latest:
            return self._latest.pop(next(iter(self._latest)))
        return self._frames.popleft() if self._frames else None

    async def get(self) -> str:
        """The next message to send, waiting for one if none is pending."""
        while True:
            text = self._take()
            if text is not None:
                self.sent += 1
                return text
            self._ready.clear()
            await self._ready.wait()

    @property
    def pending(self) -> int:
        return len(self._frames) + len(self._latest)


class Hub:
    """Fans messages out to every viewer's Mailbox; `publish` is thread-safe and never blocks.

    The newest message of each non-frame kind is kept, so a viewer that joins gets the
    current setup, status and alarms at once.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, mailbox_len: int = 4) -> None:
        self._loop = loop
        self._mailbox_len = mailbox_len
        self._mailboxes: set[Mailbox] = set()
        self._latest: dict[str, str] = {}
        self._closed = threading.Event()

    def publish(self, kind: str, text: str) -> None:
        """Hand a message to the event loop (from any thread); dropped once the hub closed."""
        if self._closed.is_set():
            return
        # The loop may close between the check and the call while the server shuts down.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._fanout, kind, text)

    def _fanout(self, kind: str, text: str) -> None:
        if kind != FRAME:
            self._latest[kind] = text
        for box in self._mailboxes:
            box.put(kind, text)

    def subscribe(self) -> Mailbox:
        """A new viewer's mailbox, primed with the newest setup, status and alarms (loop only)."""
        box = Mailbox(self._mailbox_len)
        for kind, text in self._latest.items():
            box.put(kind, text)
        self._mailboxes.add(box)
        return box

    def unsubscribe(self, box: Mailbox) -> None:
        self._mailboxes.discard(box)

    @property
    def viewers(self) -> int:
        return len(self._mailboxes)

    def close(self) -> None:
        """Stop taking messages (the server is shutting down)."""
        self._closed.set()
