"""The dispatcher: every listener gets every item in order; a faulty one neither stops the
others nor floods the log."""

from __future__ import annotations

import logging
import threading

import numpy as np

from firmware_bridge.blocks import Gap, SampleBlock
from firmware_bridge.listener import Dispatcher, Listener


def block(i: int) -> SampleBlock:
    return SampleBlock(
        t_s=np.array([float(i)]),
        t_device_s=np.array([float(i)]),
        seq=np.array([i], dtype=np.int64),
        counts=np.zeros((1, 1), dtype=np.int32),
        invalid=np.zeros((1, 1), dtype=bool),
        channels=("a",),
    )


class Broken(Listener):
    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def on_block(self, block: SampleBlock) -> None:
        raise RuntimeError("boom")

    def on_error(self, exc: BaseException) -> None:
        self.errors.append(exc)


def test_a_failing_listener_does_not_starve_the_others_and_is_logged_once(collector, caplog):
    broken = Broken()
    with caplog.at_level(logging.ERROR, logger="firmware_bridge.listener"):
        d = Dispatcher([broken, collector])
        for i in range(500):
            d.put(block(i))
        d.put(Gap(1.0, 2.0, 3, "test"))
        d.stop()
    seqs = [int(s) for b in collector.blocks for s in b.seq]
    assert seqs == list(range(500))  # every sample, in order (queued blocks may come joined)
    assert collector.gaps == [Gap(1.0, 2.0, 3, "test")]
    assert len(broken.errors) == len(collector.blocks)  # told of each failure
    assert all(isinstance(e, RuntimeError) for e in broken.errors)
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert 1 <= len(failures) <= 2, [r.getMessage() for r in failures]
    assert failures[0].exc_info is not None  # the first one carries the traceback
    assert collector.stopped.is_set()


class Slow(Listener):
    """Takes its time with the first block, so the next ones queue up behind it."""

    def __init__(self) -> None:
        self.items: list[object] = []
        self.release = threading.Event()

    def on_block(self, block: SampleBlock) -> None:
        self.release.wait(10)
        self.items.append(block)

    def on_gap(self, gap: Gap) -> None:
        self.items.append(gap)


def test_blocks_that_queue_up_come_joined_and_nothing_passes_a_gap() -> None:
    slow = Slow()
    d = Dispatcher([slow])
    for i in range(10):
        d.put(block(i))
    d.put(Gap(9.0, 20.0, 10, "lost"))
    for i in range(20, 30):
        d.put(block(i))
    slow.release.set()
    d.stop()
    seqs = [[int(s) for s in x.seq] if isinstance(x, SampleBlock) else "gap" for x in slow.items]
    flat = [s for x in seqs for s in (x if isinstance(x, list) else [x])]
    assert flat == [*range(10), "gap", *range(20, 30)]
    assert len(slow.items) < 21  # the queued blocks were joined (the first went alone)
