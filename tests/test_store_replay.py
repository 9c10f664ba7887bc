"""A stored session comes back as the stream the link delivered: in time order, nothing
lost or invented, grid frames before the samples that follow them, paced on request."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import numpy as np
import storekit
from hypothesis import given, settings
from hypothesis import strategies as st

from ashisense.store import Batch, SQLiteStore
from ashisense.store.replay import interleave, item_time_s, paced, session_items
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock
from firmware_bridge.protocol import Hello


def _grid(t_s: list[float]) -> GridBlock:
    n = len(t_s)
    return GridBlock(np.array(t_s), np.arange(n, dtype=np.int64), np.zeros((n, 2, 2), np.uint16))


@given(
    cuts=st.lists(st.integers(1, 299), max_size=6, unique=True),
    grid_times=st.lists(st.floats(-0.05, 0.35), max_size=8, unique=True),
)
@settings(max_examples=60, deadline=None)
def test_interleave_keeps_every_sample_and_puts_frames_before_later_samples(
    cuts: list[int], grid_times: list[float]
) -> None:
    (whole,) = storekit.blocks(1, 300, t0_s=0.0)  # 1 kHz: 0 .. 0.299 s
    edges = [0, *sorted(cuts), 300]
    blocks = [
        SampleBlock(
            whole.t_s[a:b],
            whole.t_device_s[a:b],
            whole.seq[a:b],
            whole.counts[a:b],
            whole.invalid[a:b],
            whole.channels,
        )
        for a, b in itertools.pairwise(edges)
    ]
    times = sorted(grid_times)
    grids = [_grid([t, t + 0.001]) for t in times]
    out = list(interleave(blocks, grids))
    samples = [b for b in out if isinstance(b, SampleBlock)]
    storekit.assert_same_samples(samples, [whole])
    assert [g for g in out if isinstance(g, GridBlock)] == grids
    starts = [item_time_s(item) for item in out]
    assert starts == sorted(starts)
    for i, item in enumerate(out):  # no sample block reaches past a later frame's start
        if isinstance(item, SampleBlock):
            later = [g.t_s[0] for g in out[i + 1 :] if isinstance(g, GridBlock)]
            assert not later or item.t_s[-1] < min(later)


def test_session_items_merge_the_hello_gaps_blocks_grids_and_events_in_time_order(
    tmp_path: Path,
) -> None:
    before = storekit.blocks(2, 100)  # 1.7e9 .. +0.2 s; then 10 samples lost
    after = storekit.blocks(2, 100, seq0=210, t0_s=1.7e9)  # +0.21 .. +0.41 s
    blocks = before + after
    gap = Gap(1.7e9 + 0.2, 1.7e9 + 0.21, 10, "seq jump")
    event = DeviceEvent(1.7e9 + 0.25, 0.25, {"event": "overflow", "dropped": 0})
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        sid = store.create_session(storekit.meta())
        store.write(sid, Batch(hello=storekit.hello(), blocks=before, gaps=[gap]))
        store.write(sid, Batch(blocks=after, events=[event],
                               grids=[_grid([1.7e9 + 0.305, 1.7e9 + 0.31])]))  # fmt: skip
        items = list(session_items(store, sid))
        joined = list(session_items(store, sid, block_samples=10_000))
    assert isinstance(items[0], Hello) and isinstance(joined[0], Hello)
    kinds = [type(i).__name__ for i in items[1:]]
    assert kinds == ["SampleBlock", "Gap", "SampleBlock", "DeviceEvent", "GridBlock",
                     "SampleBlock"]  # fmt: skip
    for stream in (items, joined):
        got = [b for b in stream if isinstance(b, SampleBlock)]
        storekit.assert_same_samples(got, blocks)


def test_paced_replay_keeps_the_original_spacing_and_stops_when_told() -> None:
    blocks = storekit.blocks(5, 100)  # 0.5 s of samples, 0.1 s apart
    stop = threading.Event()
    seen = []
    for item in paced(blocks, speed=10.0, stop=stop):  # 0.05 s in all
        seen.append(item)
        if len(seen) == 3:
            stop.set()
    assert seen == blocks[:3]
