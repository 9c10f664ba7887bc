"""SessionWriter records all it is given, commits while running, and is loud about trouble."""

from __future__ import annotations

import math
import queue
import threading
from pathlib import Path

import numpy as np
import pytest
import storekit

from ashisense.store import (
    AlarmRecord,
    Batch,
    SessionStore,
    SessionWriter,
    SQLiteStore,
    StoreWriteError,
    WriterHealth,
)
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock
from firmware_bridge.listener import Dispatcher


class SpyStore(SQLiteStore):
    """A real SQLiteStore that reports each commit, and whose writes can be made to hang.

    `hold` cleared stands for a disk that stops answering (an NFS mount gone, a dying SD card):
    write() then waits until it is set again. Only the waiting is simulated; the writes are real.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.commits: queue.Queue[int] = queue.Queue()
        self.hold = threading.Event()
        self.hold.set()
        self.entered = threading.Event()

    def write(self, session_id: int, batch: Batch) -> None:
        self.entered.set()
        self.hold.wait(30)
        super().write(session_id, batch)
        self.commits.put(batch.samples)


def _faults() -> tuple[queue.Queue[WriterHealth], object]:
    seen: queue.Queue[WriterHealth] = queue.Queue()
    return seen, seen.put


def _wait_state(seen: queue.Queue[WriterHealth], state: str) -> WriterHealth:
    while True:
        health = seen.get(timeout=10)
        if health.state == state:
            return health


def test_everything_delivered_through_a_dispatcher_is_in_the_session(tmp_path: Path) -> None:
    blocks = storekit.blocks(40, 10)
    grid = GridBlock(np.array([1.7e9 + 0.2]), np.array([0]), np.ones((1, 2, 3), np.uint16))
    alarm = AlarmRecord(
        1.7e9 + 0.2, "feet_overload", "high", "raised", "inactive", "active", 610, 500, ""
    )
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        writer = SessionWriter(store, storekit.meta())
        sid = writer.start()
        dispatcher = Dispatcher([writer])
        dispatcher.put(storekit.hello())
        for i, block in enumerate(blocks):
            dispatcher.put(block)
            if i == 20:
                dispatcher.put(Gap(1.7e9 + 0.2, 1.7e9 + 0.21, 3, "seq jump"))
                dispatcher.put(grid)
                dispatcher.put(DeviceEvent(1.7e9 + 0.2, 0.2, {"event": "adc_fault", "channel": 2}))
        writer.add_alarms([alarm])
        writer.annotate(1.7e9 + 0.3, "good heel placement", "trainer")
        writer.note_estimate(np.array([np.nan, 120.0, 455.5, 300.0]))
        writer.note_estimate(np.full(3, np.nan))
        dispatcher.stop()  # stops every listener: the writer flushes

        assert writer.health.state == "ok"
        assert writer.health.written_samples == 400
        info = store.session(sid)
        assert not info.interrupted and info.hello == storekit.hello().to_dict()
        storekit.assert_same_samples(list(store.blocks(sid)), blocks)
        assert store.gaps(sid)[0].lost == 3
        assert store.events(sid)[0].name == "adc_fault"
        (stored_grid,) = store.grids(sid)
        np.testing.assert_array_equal(stored_grid.values, grid.values)
        assert store.alarms(sid) == [alarm]
        assert store.annotations(sid)[0].text == "good heel placement"
        s = info.summary
        assert (s.samples, s.lost_samples, s.alarm_count, s.peak_feet_n) == (400, 3, 1, 455.5)
        assert s.duration_s == pytest.approx(0.399, abs=1e-4)


def test_data_is_committed_while_the_session_runs(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    spy = SpyStore(path)
    with SessionWriter(spy, storekit.meta(), commit_interval_s=0.05) as writer:
        for block in storekit.blocks(5):
            writer.on_block(block)
        committed = 0
        while committed < 50:
            committed += spy.commits.get(timeout=5)
        with SQLiteStore(path, readonly=True) as reader:
            assert reader.sample_count(writer.session_id) == 50
            info = reader.session(writer.session_id)
            assert info.interrupted and info.summary.samples == 50  # running summary is there
    spy.close()


def test_a_hung_disk_is_reported_as_stalled_then_overflow_is_counted_and_recorded(
    tmp_path: Path,
) -> None:
    spy = SpyStore(tmp_path / "s.sqlite")
    seen, on_fault = _faults()
    writer = SessionWriter(
        spy, storekit.meta(), commit_interval_s=0.01, max_queue=8, stall_after_s=0.05,
        on_fault=on_fault,  # type: ignore[arg-type]
    )  # fmt: skip
    writer.start()
    blocks = storekit.blocks(60, 10)
    spy.hold.clear()
    writer.on_block(blocks[0])
    assert spy.entered.wait(5)  # the writer thread is now stuck in the disk
    i = 1
    stalled = None
    while stalled is None:  # offered blocks notice the writer has not come round
        writer.on_block(blocks[i])
        i += 1
        try:
            stalled = seen.get(timeout=0.02)
        except queue.Empty:
            continue
    assert stalled.state == "stalled" and "no commit for" in stalled.message
    for block in blocks[i:]:
        writer.on_block(block)
    dropping = _wait_state(seen, "dropping")
    assert "samples dropped" in dropping.message
    spy.hold.set()  # the disk answers again
    recovered = _wait_state(seen, "ok")
    assert "dropped in all" in recovered.message
    writer.stop()

    health = writer.health
    assert health.dropped_samples > 0
    assert health.written_samples + health.dropped_samples == 600
    sid = writer.session_id
    gaps = spy.gaps(sid)
    assert sum(g.lost for g in gaps) == health.dropped_samples
    assert all(g.reason == "recorder could not keep up" for g in gaps)
    assert sum(f.dropped_samples for f in spy.faults(sid)) == health.dropped_samples
    assert spy.session(sid).summary.dropped_samples == health.dropped_samples
    stored = np.concatenate([b.seq for b in spy.blocks(sid)])
    assert len(stored) == health.written_samples
    for gap in gaps:  # each gap covers exactly samples that are not stored
        t = np.concatenate([b.t_s for b in spy.blocks(sid)])
        assert not np.any((t >= gap.t_start_s) & (t <= gap.t_end_s))
    spy.close()


def test_blocks_with_changed_channels_are_refused_loudly(tmp_path: Path) -> None:
    seen, on_fault = _faults()
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        with SessionWriter(store, storekit.meta(), on_fault=on_fault) as writer:  # type: ignore[arg-type]
            writer.on_hello(storekit.hello())
            writer.on_block(storekit.blocks(1)[0])
            writer.on_block(storekit.blocks(1, seq0=10, channels=("x",))[0])
        health = seen.get(timeout=5)
        assert health.state == "dropping" and "expected channels" in health.message
        assert writer.health.dropped_samples == 10
        assert store.sample_count(writer.session_id) == 10


def test_start_fails_at_once_on_a_store_that_cannot_write(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "s.sqlite").close()
    with SQLiteStore(tmp_path / "s.sqlite", readonly=True) as store:
        writer = SessionWriter(store, storekit.meta())
        with pytest.raises(StoreWriteError, match="readonly"):
            writer.start()


def test_stop_is_idempotent_and_health_before_start_is_ok(tmp_path: Path) -> None:
    store: SessionStore
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        writer = SessionWriter(store, storekit.meta())
        assert writer.health.ok and math.isnan(writer.health.last_commit_s)
        with pytest.raises(RuntimeError, match="start"):
            _ = writer.session_id
        writer.stop()
        with writer:
            writer.on_block(storekit.blocks(1)[0])
        writer.stop()
        assert store.session(writer.session_id).summary.samples == 10
