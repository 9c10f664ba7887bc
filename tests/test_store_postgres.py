"""The PostgreSQL session store on a real server: a copied session reads back as the SQLite
one does, a copy interrupted anywhere and run again holds every sample and record once, the
schema comes from migrations, and no message shows the password."""

from __future__ import annotations

import dataclasses
import math
import threading
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
import storekit
from infrakit import PostgresCluster, wait_until

from ashisense.store import (
    AlarmRecord,
    Annotation,
    Batch,
    RecorderFault,
    SessionStore,
    SessionSummary,
    SQLiteStore,
    StoreError,
    open_store,
)
from ashisense.store import copy as store_copy
from ashisense.store import sqlite as store_sqlite
from ashisense.store.postgres import SIDE_TABLES, PostgresStore
from ashisense.store.records import BaselineRecord
from firmware_bridge.blocks import DeviceEvent, Gap, GridBlock


def _records_session(store: SessionStore) -> int:
    """A session holding one of every kind of record (NaN values, a -inf baseline time, two
    equal notes), still recording (never finished)."""
    sid = store.create_session(storekit.meta(label="all kinds"))
    blocks = storekit.blocks(60, 100)
    t = float(blocks[0].t_s[0])
    grid = GridBlock(
        t_s=t + np.arange(5) * 0.1,
        seq=np.arange(5, dtype=np.int64),
        values=np.arange(5 * 3 * 4, dtype=np.uint16).reshape(5, 3, 4),
    )
    store.write(sid, Batch(hello=storekit.hello(), blocks=blocks[:20], grids=[grid]))
    store.write(
        sid,
        Batch(
            blocks=blocks[20:],
            gaps=[Gap(t + 1.0, t + 1.5, 12, "link"), Gap(t + 2.0, t + 2.1, -1, "restart")],
            events=[DeviceEvent(t + 0.5, 0.5, {"kind": "button", "n": 1})],
            alarms=[
                AlarmRecord(
                    t + 3,
                    "feet_max",
                    "high",
                    "raised",
                    "calm",
                    "active",
                    800.0,
                    700.0,
                    "feet force high",
                ),
                AlarmRecord(
                    t + 4,
                    "link",
                    "medium",
                    "raised",
                    "calm",
                    "active",
                    math.nan,
                    math.nan,
                    "link lost",
                ),
            ],
            annotations=[
                Annotation(t + 2, "same note", "ann"),
                Annotation(t + 2, "same note", "ann"),
            ],
            faults=[RecorderFault(t + 5, "dropped", "queue full", 40)],
            baselines=[BaselineRecord(-math.inf, {"kind": "start", "offsets": [1.5, math.nan]})],
            calibration={"bar_left_head": {"offset_counts": 8000, "gain_n_per_count": 0.002}},
            summary=SessionSummary(duration_s=5.9, samples=6000, lost_samples=12),
        ),
    )
    store.add_annotation(sid, Annotation(t + 1, "a trainer's note, added last", "trainer"))
    return sid


def _recorded_file(path: Path) -> Path:
    with SQLiteStore(path) as store:
        storekit.sim_session(store, 20.0, seed=3)
        _records_session(store)
    return path


def _same(a: Any, b: Any) -> None:
    """Equal, counting NaN equal to NaN (records compare by repr; floats repr exactly)."""
    assert repr(a) == repr(b)


def assert_same_sessions(got: SessionStore, want: SessionStore) -> None:
    """`got` holds the sessions of `want`, each with the same samples and records."""
    got_infos, want_infos = got.sessions(), want.sessions()
    assert [i.uuid for i in got_infos] == [i.uuid for i in want_infos]
    for g, w in zip(got_infos, want_infos, strict=True):
        _same(dataclasses.replace(g, id=0), dataclasses.replace(w, id=0))
        assert got.chunk_sizes(g.id) == want.chunk_sizes(w.id)
        assert got.sample_count(g.id) == want.sample_count(w.id)
        storekit.assert_same_samples(list(got.blocks(g.id)), list(want.blocks(w.id)))
        for table in SIDE_TABLES:
            _same(getattr(got, table.name)(g.id), getattr(want, table.name)(w.id))
        got_grids, want_grids = list(got.grids(g.id)), list(want.grids(w.id))
        assert len(got_grids) == len(want_grids)
        for a, b in zip(got_grids, want_grids, strict=True):
            for name in ("t_s", "seq", "values"):
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_copied_sessions_read_back_as_the_sqlite_ones(tmp_path: Path, pg_url: str) -> None:
    path = _recorded_file(tmp_path / "room.sqlite")
    with SQLiteStore(path, readonly=True) as src, PostgresStore(pg_url) as dst:
        copies = store_copy.copy_sessions(src, dst)
        assert [c.chunks_skipped for c in copies] == [0, 0]
        assert copies[1].rows_copied["annotations"] == 3  # the two equal notes stay two
    with open_store(pg_url, readonly=True) as got, SQLiteStore(path, readonly=True) as want:
        assert_same_sessions(got, want)
        assert got.sessions()[1].interrupted
        # a time range reads the same chunks (here the second of two)
        g, w = got.sessions()[1], want.sessions()[1]
        t0_s = g.meta.started_s
        part = list(got.blocks(g.id, t0_s + 4.5, t0_s + 4.6))
        assert len(part) == 1
        storekit.assert_same_samples(part, list(want.blocks(w.id, t0_s + 4.5, t0_s + 4.6)))


def test_a_session_copied_while_it_records_catches_up_exactly(tmp_path: Path, pg_url: str) -> None:
    """The newest chunk grows between copies; each copy replaces it, never adds it twice."""
    blocks = storekit.blocks(100, 100)  # 10000 samples: chunks of 4096, 4096, 1808
    with SQLiteStore(tmp_path / "live.sqlite") as src, PostgresStore(pg_url) as dst:
        sid = src.create_session(storekit.meta())
        for part in range(0, 100, 7):
            src.write(sid, Batch(blocks=blocks[part : part + 7]))
            store_copy.copy_session(src, dst, sid)
        src.finish_session(sid, 1.7e9 + 10, SessionSummary(samples=10_000))
        last = store_copy.copy_session(src, dst, sid)
        assert (last.chunks_copied, last.chunks_skipped) == (0, 3)
        assert_same_sessions(dst, src)


def _steps(path: Path, pg_url: str) -> list[str]:
    """The committed steps of a full copy of the file, in order."""
    steps: list[str] = []
    with SQLiteStore(path, readonly=True) as src, PostgresStore(pg_url) as dst:
        store_copy.copy_sessions(src, dst, on_commit=steps.append)
    return steps


def _empty(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("TRUNCATE sessions CASCADE")


class Cut(Exception):
    """The copying process ends here (killed, powered off)."""


def test_a_copy_cut_after_any_step_and_run_again_holds_everything_once(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_sqlite, "CHUNK_SAMPLES", 500)  # many chunks: many steps
    monkeypatch.setattr(store_copy, "CHUNKS_PER_COMMIT", 4)
    path = _recorded_file(tmp_path / "room.sqlite")
    steps = _steps(path, pg_url)
    assert sum("chunks" in s for s in steps) >= 4
    for cut in range(len(steps) - 1):
        _empty(pg_url)

        def cut_after(what: str, cut: int = cut) -> None:
            if what == steps[cut]:
                raise Cut(what)

        with SQLiteStore(path, readonly=True) as src:
            with PostgresStore(pg_url) as dst, pytest.raises(Cut):
                store_copy.copy_sessions(src, dst, on_commit=cut_after)
            with PostgresStore(pg_url) as dst:
                store_copy.copy_sessions(src, dst)
                assert_same_sessions(dst, src)


def test_a_copy_goes_on_when_the_server_ends_its_connection_between_steps(
    tmp_path: Path, pg_url: str
) -> None:
    def end_connection(_what: str) -> None:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )

    path = _recorded_file(tmp_path / "room.sqlite")
    with SQLiteStore(path, readonly=True) as src, PostgresStore(pg_url) as dst:
        store_copy.copy_sessions(src, dst, on_commit=end_connection)
        assert_same_sessions(dst, src)


def test_a_copy_survives_postgres_stopping_in_the_middle_of_a_step(
    tmp_path: Path, own_postgres: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_sqlite, "CHUNK_SAMPLES", 500)
    path = _recorded_file(tmp_path / "room.sqlite")
    url = own_postgres.create_database("studio")
    stopper: list[threading.Thread] = []

    def stop_mid_step(what: str) -> None:
        """After the first chunks: hold a lock the next chunk step waits for, and once it
        waits (its COPY done, its transaction open), stop the server as if it died."""
        if "chunks" not in what or stopper:
            return
        admin = psycopg.connect(url)
        admin.execute("LOCK TABLE chunks IN EXCLUSIVE MODE")

        def copy_waits() -> bool:
            row = admin.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()
            return bool(row and row[0])

        def stop() -> None:
            try:
                wait_until(copy_waits, "the copy to wait for the chunks lock")
            finally:  # whatever happens, the copy must not wait on the lock for ever
                own_postgres.stop(immediate=True)
                admin.close()

        stopper.append(threading.Thread(target=stop))
        stopper[0].start()

    with SQLiteStore(path, readonly=True) as src, PostgresStore(url) as dst:
        with pytest.raises(StoreError) as cut:
            store_copy.copy_sessions(src, dst, on_commit=stop_mid_step)
        stopper[0].join()
        assert own_postgres.password not in str(cut.value)
        with pytest.raises(StoreError):  # still down: fails at once, does not hang
            store_copy.copy_sessions(src, dst)
        own_postgres.start()
        store_copy.copy_sessions(src, dst)  # the same store connects again
        assert_same_sessions(dst, src)
