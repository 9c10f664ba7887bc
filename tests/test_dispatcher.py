"""The dispatcher: every listener gets every item in order; a faulty one neither stops the
others nor floods the log."""

from __future__ import annotations

import logging

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
    assert [int(b.seq[0]) for b in collector.blocks] == list(range(500))
    assert collector.gaps == [Gap(1.0, 2.0, 3, "test")]
    assert len(broken.errors) == 500 and all(isinstance(e, RuntimeError) for e in broken.errors)
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert 1 <= len(failures) <= 2, [r.getMessage() for r in failures]
    assert failures[0].exc_info is not None  # the first one carries the traceback
    assert collector.stopped.is_set()
