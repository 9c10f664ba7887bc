"""SQLiteStore keeps every part of a session exactly and refuses what does not fit."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import storekit

from ashisense.store import (
    AlarmRecord,
    Annotation,
    Batch,
    RecorderFault,
    SessionDataError,
    SessionNotFoundError,
    SessionSummary,
    SQLiteStore,
    StoreOpenError,
    StoreWriteError,
    open_store,
)
from ashisense.store.blocks import join_blocks
from ashisense.store.sqlite import CHUNK_SAMPLES
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock, SampleBlock


def _alarm(t_s: float, from_state: str, to_state: str) -> AlarmRecord:
    why = "raised" if to_state == "active" and from_state == "inactive" else "acknowledged"
    return AlarmRecord(
        t_s, "feet_over_limit", "high", why, from_state, to_state, 612.0, 500.0, "over"
    )


def test_a_session_reads_back_exactly_as_written(tmp_path: Path) -> None:
    blocks = storekit.blocks(30, 7)
    grid = GridBlock(
        t_s=np.array([1.7e9, 1.7e9 + 0.01]),
        seq=np.array([5, 6], dtype=np.int64),
        values=np.arange(2 * 3 * 4, dtype=np.uint16).reshape(2, 3, 4),
    )
    gap = Gap(1.7e9 + 0.1, 1.7e9 + 0.2, 12, "seq jump")
    event = DeviceEvent(1.7e9 + 0.05, 0.05, {"event": "overflow", "dropped": 3})
    alarms = [_alarm(1.7e9 + 0.1, "inactive", "active"), _alarm(1.7e9 + 0.3, "active", "inactive")]
    alarms.append(AlarmRecord(1.7e9 + 0.4, "link_stale", "high", "raised", "inactive", "active",
                              math.nan, 2.0, "no data"))  # fmt: skip
    note = Annotation(1.7e9 + 0.15, "heel on the lumbar band", "trainer")
    fault = RecorderFault(1.7e9 + 0.2, "link_error", "PortError: gone")
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        sid = store.create_session(storekit.meta())
        store.write(sid, Batch(hello=storekit.hello(), blocks=blocks[:10], events=[event]))
        store.write(sid, Batch(blocks=blocks[10:], grids=[grid], gaps=[gap], alarms=alarms))
        store.write(sid, Batch(annotations=[note], faults=[fault], calibration={"k": [1, 2]}))
        summary = SessionSummary(1.5, 210, 12, 0, 1, 640.5)
        store.finish_session(sid, 1.7e9 + 2.0, summary)

    with SQLiteStore(tmp_path / "s.sqlite", readonly=True) as store:
        info = store.session(sid)
        assert info.meta == storekit.meta(calibration={"k": [1, 2]})
        assert info.hello == storekit.hello().to_dict()
        assert info.channels == storekit.CHANNELS
        assert info.stopped_s == 1.7e9 + 2.0 and not info.interrupted
        assert info.summary == summary
        storekit.assert_same_samples(list(store.blocks(sid)), blocks)
        assert store.sample_count(sid) == 210
        (g,) = store.grids(sid)
        np.testing.assert_array_equal(g.values, grid.values)
        np.testing.assert_array_equal(g.t_s, grid.t_s)
        assert store.gaps(sid) == [gap]
        assert store.events(sid) == [event]
        got = store.alarms(sid)
        assert got[:2] == alarms[:2] and math.isnan(got[2].value) and got[2].limit == 2.0
        assert store.annotations(sid) == [note]
        assert store.faults(sid) == [fault]
        assert store.integrity_check() == "ok"


def test_consecutive_blocks_become_few_chunks_and_a_seq_jump_splits_them(tmp_path: Path) -> None:
    first = storekit.blocks(50, 4)
    after_gap = storekit.blocks(50, 4, seq0=1000, t0_s=1.7e9 + 5.0, seed=1)
    chunks = list(join_blocks(first + after_gap, 10_000))
    assert [len(c) for c in chunks] == [200, 200]
    assert [len(c) for c in join_blocks(first, 64)] == [64, 64, 64, 8]
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        sid = store.create_session(storekit.meta())
        store.write(sid, Batch(blocks=first + after_gap))
        read = list(store.blocks(sid))
        assert [int(b.seq[0]) for b in read] == [0, 1000]
        storekit.assert_same_samples(read, first + after_gap)
        # A time range gives only the chunks that reach into it.
        assert [int(b.seq[0]) for b in store.blocks(sid, t_start_s=1.7e9 + 4.0)] == [1000]


def test_each_commit_extends_the_newest_row_until_it_is_full(tmp_path: Path) -> None:
    blocks = storekit.blocks(1100, 4)  # 4400 samples, one commit per 4-sample block
    path = tmp_path / "s.sqlite"
    with SQLiteStore(path) as store, SQLiteStore(path, readonly=True) as reader:
        sid = store.create_session(storekit.meta())
        for i, block in enumerate(blocks):
            store.write(sid, Batch(blocks=[block]))
            if i in (0, 1, 99):  # a reader sees every commit, in one growing row
                assert [len(b) for b in reader.blocks(sid)] == [4 * (i + 1)]
        assert [len(b) for b in store.blocks(sid)] == [CHUNK_SAMPLES, 4400 - CHUNK_SAMPLES]
    with SQLiteStore(path) as store:  # another writer (a restart) never rewrites old rows
        store.write(sid, Batch(blocks=storekit.blocks(1, 4, seq0=4400)))
        assert [len(b) for b in store.blocks(sid)] == [CHUNK_SAMPLES, 304, 4]
        storekit.assert_same_samples(
            list(store.blocks(sid)), [*blocks, *storekit.blocks(1, 4, seq0=4400)]
        )


def test_a_session_that_never_stopped_is_listed_as_interrupted_with_figures_from_its_rows(
    tmp_path: Path,
) -> None:
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        sid = store.create_session(storekit.meta())
        store.write(
            sid,
            Batch(
                blocks=storekit.blocks(10, 10),
                gaps=[Gap(1.7e9, 1.7e9 + 0.1, 4, "seq jump"), Gap(1.7e9, 1.7e9, -1, "restart")],
                alarms=[
                    _alarm(1.7e9, "inactive", "active"),
                    _alarm(1.7e9 + 0.01, "active", "acknowledged"),
                    _alarm(1.7e9 + 0.05, "inactive", "active"),
                ],
                faults=[RecorderFault(1.7e9, "dropped", "queue full", 30)],
            ),
        )
        (info,) = store.sessions()
    assert info.interrupted
    assert info.summary == SessionSummary(
        duration_s=info.summary.duration_s, samples=100, lost_samples=4, dropped_samples=30,
        alarm_count=2, peak_feet_n=None,
    )  # fmt: skip
    assert info.summary.duration_s == pytest.approx(0.099, abs=1e-4)


def test_blocks_with_other_channels_than_the_session_are_refused(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        sid = store.create_session(storekit.meta())
        store.write(sid, Batch(blocks=storekit.blocks(2)))
        other = storekit.blocks(2, seq0=20, channels=("a", "b"))
        with pytest.raises(SessionDataError, match=r"expected channels \['bar_left_head'"):
            store.write(sid, Batch(blocks=other, events=[DeviceEvent(1.0, 1.0, {})]))
        assert store.events(sid) == []  # the whole batch was rolled back


def test_an_unknown_session_names_the_ones_there_are(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        sid = store.create_session(storekit.meta())
        with pytest.raises(SessionNotFoundError, match=rf"no session 99; sessions: \[{sid}\]"):
            list(store.blocks(99))
        with pytest.raises(SessionNotFoundError):
            store.write(99, Batch(blocks=storekit.blocks(1)))


def test_opening_what_is_not_a_recording_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreOpenError, match="no such recording file"):
        SQLiteStore(tmp_path / "missing.sqlite", readonly=True)
    with pytest.raises(StoreOpenError, match="does not exist"):
        SQLiteStore(tmp_path / "no-dir" / "x.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreOpenError, match="not an SQLite database"):
        SQLiteStore(junk)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(StoreOpenError, match="not an AshiSense recording"):
        SQLiteStore(other, readonly=True)


def test_a_read_only_store_refuses_writes(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.sqlite") as store:
        store.create_session(storekit.meta())
    with (
        SQLiteStore(tmp_path / "s.sqlite", readonly=True) as store,
        pytest.raises(StoreWriteError, match="readonly"),
    ):
        store.create_session(storekit.meta())


def test_open_store_takes_paths_and_sqlite_urls_and_lists_known_schemes(tmp_path: Path) -> None:
    with open_store(tmp_path / "a.sqlite") as store:
        assert isinstance(store, SQLiteStore)
    with open_store(f"sqlite://{tmp_path / 'a.sqlite'}", readonly=True) as store:
        assert store.sessions() == []
    with pytest.raises(StoreOpenError, match=r"scheme 'mongodb'.*postgresql.*sqlite"):
        open_store("mongodb://studio/sessions")


def test_readers_see_committed_batches_while_a_writer_is_open(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with SQLiteStore(path) as writer, SQLiteStore(path, readonly=True) as reader:
        sid = writer.create_session(storekit.meta())
        writer.write(sid, Batch(blocks=storekit.blocks(3)))
        assert reader.sample_count(sid) == 30
        writer.write(sid, Batch(blocks=storekit.blocks(3, seq0=30)))
        assert reader.sample_count(sid) == 60
        assert isinstance(next(reader.blocks(sid)), SampleBlock)


def test_a_reader_of_a_session_being_recorded_never_sees_chunks_without_their_channels(
    tmp_path: Path,
) -> None:
    """The recorder writes a session's channels with its first chunk. A reader that asked
    for the channels before that commit and for the chunks after it used to get chunks it
    could not decode (a (n, 0) reshape); now it reads the chunks its channels cover."""
    path = tmp_path / "s.sqlite"
    with SQLiteStore(path) as writer, SQLiteStore(path, readonly=True) as reader:
        sid = writer.create_session(storekit.meta())

        def commit_before_the_chunks_are_read(sql: str) -> None:
            if "FROM chunks" in sql and "channels_json" not in sql:
                reader._conn.set_trace_callback(None)
                writer.write(sid, Batch(blocks=storekit.blocks(3, 10)))

        # (the store's own connection: the only way to put a commit between its statements)
        reader._conn.set_trace_callback(commit_before_the_chunks_are_read)
        assert list(reader.blocks(sid)) == []  # nothing was recorded when it looked
        storekit.assert_same_samples(list(reader.blocks(sid)), storekit.blocks(3, 10))
