"""A stored session as the stream the link once delivered: HELLO, then blocks, grid frames,
gaps and device events in time order, as fast as possible or paced like the original."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Iterable, Iterator

import numpy as np

from ashisense.store.base import SessionStore
from ashisense.store.blocks import join_blocks, slice_block
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock
from firmware_bridge.listener import Item
from firmware_bridge.protocol import Hello

# At equal times a gap comes before the block after it, events and frames after the samples.
_ORDER = {Gap: 0, SampleBlock: 1, GridBlock: 2, DeviceEvent: 3}


def item_time_s(item: Item) -> float:
    """Host time at which an item starts (NaN for a HELLO)."""
    if isinstance(item, SampleBlock | GridBlock):
        return float(item.t_s[0])
    if isinstance(item, Gap):
        return item.t_start_s
    if isinstance(item, DeviceEvent):
        return item.t_s
    return float("nan")


def session_items(
    store: SessionStore, session_id: int, block_samples: int | None = None, grids: bool = True
) -> Iterator[Item]:
    """The session's HELLO (if it had one), then everything else merged in time order.

    block_samples: join consecutive stored blocks up to this many samples; the pipeline and
    the alarms give the same results however the stream is cut, and far fewer, bigger blocks
    replay much faster. None: the rows as stored (up to 4096 samples each). Either way a
    block is cut where a grid block starts (see interleave). grids=False: leave the grid
    frames out (not even read).
    """
    info = store.session(session_id)
    if info.hello is not None:
        yield Hello.from_dict(info.hello)
    blocks: Iterable[SampleBlock] = store.blocks(session_id)
    if block_samples is not None:
        blocks = join_blocks(blocks, block_samples)
    streams: list[Iterable[Item]] = [
        store.gaps(session_id),
        interleave(blocks, store.grids(session_id) if grids else ()),
        store.events(session_id),
    ]
    # Each stream is in time order already: merging them is enough.
    for _, item in heapq.merge(*map(_keyed, streams), key=lambda pair: pair[0]):
        yield item


def interleave(
    blocks: Iterable[SampleBlock], grids: Iterable[GridBlock]
) -> Iterator[SampleBlock | GridBlock]:
    """Sample blocks and grid frames in time order, a sample block cut where a grid block
    starts, so that the pipeline has each frame (its contact area) before the samples that
    follow it, as it had live."""
    pending = iter(grids)
    grid = next(pending, None)
    for block in blocks:
        while grid is not None and len(block) and grid.t_s[0] <= block.t_s[-1]:
            cut = int(np.searchsorted(block.t_s, grid.t_s[0], side="left"))
            if cut:
                yield slice_block(block, 0, cut)
                block = slice_block(block, cut, len(block))
            yield grid
            grid = next(pending, None)
        if len(block):
            yield block
    if grid is not None:
        yield grid
        yield from pending


def _keyed(items: Iterable[Item]) -> Iterator[tuple[tuple[float, int], Item]]:
    for item in items:
        yield (item_time_s(item), _ORDER[type(item)]), item


def paced(
    items: Iterable[Item], speed: float, stop: threading.Event | None = None
) -> Iterator[Item]:
    """Yield items when they are due at `speed` times real time (2.0: twice as fast); stops
    early when `stop` is set."""
    if not speed > 0:
        raise ValueError(f"replay speed must be > 0, got {speed}")
    stop = stop or threading.Event()
    start_wall = time.monotonic()
    first_s: float | None = None
    for item in items:
        t_s = item_time_s(item)
        if t_s == t_s:  # not NaN
            if first_s is None:
                first_s = t_s
            due = start_wall + (t_s - first_s) / speed
            if stop.wait(max(0.0, due - time.monotonic())):
                return
        if stop.is_set():
            return
        yield item
