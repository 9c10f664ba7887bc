"""Listeners consume what the link produces; one dispatcher thread fans items out to them."""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Iterable
from typing import Self

from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock
from firmware_bridge.protocol import Hello

log = logging.getLogger(__name__)
FAILURE_LOG_INTERVAL_S = 10.0
#: Most samples joined into one block when blocks wait in the queue (see Dispatcher).
JOIN_MAX_SAMPLES = 512
#: How often a put into a full queue looks again for room (listeners hopelessly behind).
FULL_POLL_S = 0.01

Item = SampleBlock | GridBlock | Gap | DeviceEvent | Hello | BaseException


class Listener:
    """Base listener: override what you need. Called from the dispatcher thread only.

    A listener is also a context manager: leaving the `with` block stops it.
    """

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def on_hello(self, hello: Hello) -> None:
        """The device (re)announced itself."""

    def on_block(self, block: SampleBlock) -> None:
        """A block of consecutive samples."""

    def on_grid(self, grid: GridBlock) -> None:
        """Frames of a pressure grid."""

    def on_gap(self, gap: Gap) -> None:
        """Samples were lost or the link was down."""

    def on_event(self, event: DeviceEvent) -> None:
        """The device reported an EVENT."""

    def on_error(self, exc: BaseException) -> None:
        """Something went wrong upstream (the link keeps going)."""

    def stop(self) -> None:
        """Flush and release resources; no more calls follow."""


def deliver(listener: Listener, item: Item) -> None:
    """Route one item to the matching listener method."""
    if isinstance(item, SampleBlock):
        listener.on_block(item)
    elif isinstance(item, GridBlock):
        listener.on_grid(item)
    elif isinstance(item, Gap):
        listener.on_gap(item)
    elif isinstance(item, DeviceEvent):
        listener.on_event(item)
    elif isinstance(item, Hello):
        listener.on_hello(item)
    else:
        listener.on_error(item)


class Dispatcher:
    """Owns a thread that takes items from a queue and hands each to every listener.

    A listener that raises is reported (logged and told via on_error) and keeps receiving:
    one faulty consumer must not starve the others. Blocks that wait in the queue behind one
    another (the listeners fell behind: a busy or small computer) are handed over joined, up
    to JOIN_MAX_SAMPLES, so each listener's per-block costs are paid once for all of them and
    the dispatcher catches up; they are consecutive samples (a loss would be a Gap between).
    """

    def __init__(self, listeners: Iterable[Listener] = (), maxsize: int = 10_000) -> None:
        self._listeners: list[Listener] = list(listeners)
        # SimpleQueue: put and get in C, one cheap wake-up per item (a Queue's conditions
        # cost the link thread more than its read); the bound is kept by put() below
        self._queue: queue.SimpleQueue[Item | threading.Event | None] = queue.SimpleQueue()
        self._maxsize = maxsize
        self._thread = threading.Thread(target=self._run, name="ashisense-dispatch", daemon=True)
        self._lock = threading.Lock()
        self._failures: dict[tuple[int, type], tuple[float, int, float]] = {}
        self._thread.start()

    def add(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.remove(listener)

    def put(self, item: Item) -> None:
        """Queue an item; blocks only if the listeners are hopelessly behind (10k items)."""
        while self._queue.qsize() >= self._maxsize and self._thread.is_alive():
            time.sleep(FULL_POLL_S)
        self._queue.put(item)

    def mark(self, reached: threading.Event) -> None:
        """Set `reached` once every item put before it has been handed to the listeners."""
        self._queue.put(reached)

    def _run(self) -> None:
        ahead: list[Item | threading.Event | None] = []  # taken from the queue while joining
        while True:
            item = ahead.pop() if ahead else self._queue.get()
            if item is None:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            if isinstance(item, SampleBlock):
                item = self._join_queued(item, ahead)
            self._deliver(item)

    def _join_queued(
        self, block: SampleBlock, ahead: list[Item | threading.Event | None]
    ) -> SampleBlock:
        """`block` and the blocks of the same channels queued right behind it, as one; the
        first other item taken goes to `ahead`."""
        blocks = [block]
        n = len(block)
        while n < JOIN_MAX_SAMPLES:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if not isinstance(item, SampleBlock) or item.channels != block.channels:
                ahead.append(item)
                break
            blocks.append(item)
            n += len(item)
        return block if len(blocks) == 1 else SampleBlock.concat(blocks)

    def _deliver(self, item: Item) -> None:
        """Hand one item to every listener, each isolated from the others' failures."""
        with self._lock:
            targets = list(self._listeners)
        for listener in targets:
            try:
                deliver(listener, item)
            except Exception as exc:  # a faulty listener must not stop the others
                self._report(listener, exc)
                if not isinstance(item, BaseException):
                    try:
                        listener.on_error(exc)
                    except Exception:
                        log.exception("listener %r failed in on_error", listener)

    def _report(self, listener: Listener, exc: Exception) -> None:
        """Log a listener's failure: in full the first time, then a count every 10 s.

        A listener that fails on every block must not bury the log (and the disk) in
        identical tracebacks.
        """
        # by type, not message: messages carrying values would make every failure new
        key = (id(listener), type(exc))
        now = time.monotonic()
        first, count, last_log = self._failures.get(key, (now, 0, -math.inf))
        count += 1
        if count == 1:
            log.error("listener %r failed", listener, exc_info=exc)
        elif now - last_log >= FAILURE_LOG_INTERVAL_S:
            log.error(
                "listener %r failed again: %s (%d times in %.0f s)",
                listener,
                exc,
                count,
                now - first,
            )
        else:
            self._failures[key] = (first, count, last_log)
            return
        self._failures[key] = (first, count, now)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Deliver what is queued, then stop every listener and the thread."""
        self._queue.put(None)
        self._thread.join(timeout_s)
        with self._lock:
            targets = list(self._listeners)
        for listener in targets:
            try:
                listener.stop()
            except Exception:
                log.exception("listener %r failed to stop", listener)
