"""A full disk is a clear error at start, and a loud one during a session; nothing vanishes.

How "full" is produced: SQLiteStore's max_bytes sets SQLite's `PRAGMA max_page_count`, a size
quota inside SQLite. Past it SQLite fails the write with SQLITE_FULL ("database or disk is
full"), the very error, and the very code path, a full file system gives. The disk itself
is not filled.
"""

from __future__ import annotations

import logging
import queue
from pathlib import Path

import numpy as np
import pytest
import storekit

from ashisense.store import (
    Batch,
    SessionWriter,
    SQLiteStore,
    StoreFullError,
    StoreOpenError,
    WriterHealth,
)


def test_no_room_for_even_the_schema_is_a_clear_error_at_open(tmp_path: Path) -> None:
    with pytest.raises(StoreOpenError, match=r"database or disk is full.*SQLITE_FULL"):
        SQLiteStore(tmp_path / "s.sqlite", max_bytes=4096)


def test_a_write_past_the_quota_raises_store_full_and_keeps_earlier_commits(
    tmp_path: Path,
) -> None:
    with SQLiteStore(tmp_path / "s.sqlite", max_bytes=256 * 1024) as store:
        sid = store.create_session(storekit.meta())
        store.write(sid, Batch(blocks=storekit.blocks(1, 100)))
        with pytest.raises(StoreFullError, match="database or disk is full"):
            for i in range(1, 1000):
                store.write(sid, Batch(blocks=storekit.blocks(1, 2000, seq0=i * 2000, seed=i)))
        assert store.sample_count(sid) > 100
        assert store.integrity_check() == "ok"


def test_the_writer_reports_a_full_disk_at_once_and_accounts_for_every_sample(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seen: queue.Queue[WriterHealth] = queue.Queue()
    blocks = storekit.blocks(200, 1000)
    with SQLiteStore(tmp_path / "s.sqlite", max_bytes=768 * 1024) as store:
        writer = SessionWriter(
            store, storekit.meta(), commit_interval_s=0.01, max_queue=len(blocks), on_fault=seen.put
        )
        with caplog.at_level(logging.ERROR, logger="ashisense.store.writer"):
            writer.start()
            try:
                for block in blocks:
                    writer.on_block(block)
                health = seen.get(timeout=10)
            finally:
                writer.stop()
        assert health.state == "failed"
        assert "database or disk is full" in health.message and "retrying" in health.message
        assert any("recorder failed" in r.getMessage() for r in caplog.records)
        assert any("samples not written" in r.getMessage() for r in caplog.records)
        final = writer.health
        assert final.state == "failed"
        assert final.written_samples + final.dropped_samples == 200_000
        assert final.dropped_samples > 0
        stored = store.sample_count(writer.session_id)
        assert stored == final.written_samples
        seq = np.concatenate([b.seq for b in store.blocks(writer.session_id)])
        np.testing.assert_array_equal(seq, np.arange(stored))  # what is there is whole
        assert store.integrity_check() == "ok"
