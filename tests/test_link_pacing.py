"""Spaced reads (Link.read_every_s, used while nobody watches): catch_up reads at once and
returns when the listeners have what was read; nothing is lost; stop() does not wait."""

from __future__ import annotations

import threading

import numpy as np

from firmware_bridge.blocks import SampleBlock
from firmware_bridge.listener import Listener
from tests.linkkit import samples, streaming_link


def test_catch_up_reads_now_while_reads_are_spaced_and_nothing_is_lost(pty_pair, collector):
    with streaming_link(pty_pair, collector) as (dev, link):
        link.read_every_s = 60.0  # after a read, none for a minute unless asked
        for seq in range(6):  # six samples, each written on its own
            dev.send(samples(seq, 1))
        # a pty hands written bytes to its reader a moment later: ask until all are read
        for _ in range(20):
            assert link.catch_up(5)
            if collector.n_samples == 6:
                break
        assert collector.n_samples == 6
        assert link.stats.lost_samples == 0
    seqs = np.concatenate([b.seq for b in collector.blocks])
    assert seqs.tolist() == list(range(6))
    assert collector.stopped.is_set()  # stop() does not wait out the spacing


def test_catch_up_is_at_once_when_reads_are_not_spaced(pty_pair, collector):
    with streaming_link(pty_pair, collector) as (_, link):
        assert link.catch_up(0.0)


def test_catch_up_says_when_the_listeners_did_not_get_there(pty_pair):
    release = threading.Event()

    class Stuck(Listener):
        def on_block(self, block: SampleBlock) -> None:
            release.wait(10)

    try:
        with streaming_link(pty_pair, Stuck()) as (dev, link):
            link.read_every_s = 60.0
            dev.send(samples(0, 1))
            assert not link.catch_up(0.3)  # the listener is stuck on the first block
            release.set()
            assert link.catch_up(5)
    finally:
        release.set()
